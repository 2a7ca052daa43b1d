# seqflow_add_plugin(<module> <sources>...)
#
# Builds the plugin module `seqflow_<module>.so`: C++20, hidden visibility, and a linker version
# script so that the entry symbol `seqflow_plugin_entry` is the only one exported. The module links
# nothing of the host: everything it needs from the engine comes through the sf_host table.
set(_SEQFLOW_PLUGIN_MAP ${CMAKE_CURRENT_LIST_DIR}/plugin.map)

function(seqflow_add_plugin module)
  set(target seqflow_${module})
  add_library(${target} MODULE ${ARGN})
  target_link_libraries(${target} PRIVATE seqflow::sdk)
  target_compile_features(${target} PRIVATE cxx_std_20)
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    OUTPUT_NAME seqflow_${module}
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LINK_DEPENDS ${_SEQFLOW_PLUGIN_MAP})
  target_link_options(${target} PRIVATE
    "LINKER:--version-script=${_SEQFLOW_PLUGIN_MAP}" "LINKER:--no-undefined")
  if(DEFINED SEQFLOW_PLUGIN_OUTPUT_DIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${SEQFLOW_PLUGIN_OUTPUT_DIR})
  endif()
  if(DEFINED SEQFLOW_PLUGIN_INSTALL_DIR)
    install(TARGETS ${target} LIBRARY DESTINATION ${SEQFLOW_PLUGIN_INSTALL_DIR})
  endif()
endfunction()
