# CTest script: every built plugin module exports `seqflow_plugin_entry` and nothing else, as
# seqflow_add_plugin's version script promises (a leaked C++ symbol could bind to another module's).
# Inputs (-D): PLUGIN_DIR NM.
include(${CMAKE_CURRENT_LIST_DIR}/exported_symbols.cmake)

file(GLOB modules ${PLUGIN_DIR}/seqflow_*.so)
if(NOT modules)
  message(FATAL_ERROR "no plugin modules in ${PLUGIN_DIR}: build the project first")
endif()
set(bad "")
foreach(module ${modules})
  seqflow_exported_symbols(${NM} ${module} exported)
  if(NOT exported STREQUAL "seqflow_plugin_entry")
    string(APPEND bad "\n  ${module}: ${exported}")
  endif()
endforeach()
if(bad)
  message(FATAL_ERROR "plugin modules must export only seqflow_plugin_entry; these export:${bad}\n"
                      "build them with seqflow_add_plugin (hidden visibility and a version script)")
endif()
list(LENGTH modules n)
message(STATUS "${n} plugin modules export only seqflow_plugin_entry")
