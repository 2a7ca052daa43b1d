# seqflow_add_plugin(<module> <sources>...)
#
# Builds the plugin module `seqflow_<module>.so`: C++20, hidden visibility, and a linker version
# script so that the entry symbol `seqflow_plugin_entry` is the only one exported. The module links
# nothing of the host: everything it needs from the engine comes through the sf_host table.
#
# Inside the seqflow build tree, SEQFLOW_PLUGIN_OUTPUT_DIR and SEQFLOW_PLUGIN_INSTALL_DIR place and
# install the module with the built-in ones. A third-party project gets neither by default: the module
# lands in its own build folder (point SEQFLOW_PLUGIN_PATH there) and it writes its own install rule.
function(seqflow_add_plugin module)
  # CMAKE_CURRENT_FUNCTION_LIST_DIR is this file's folder whichever directory calls the function; a
  # variable set when the file was included would be invisible outside the including directory.
  set(map ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/plugin.map)
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
    LINK_DEPENDS ${map})
  target_link_options(${target} PRIVATE "LINKER:--version-script=${map}" "LINKER:--no-undefined")
  if(DEFINED SEQFLOW_PLUGIN_OUTPUT_DIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${SEQFLOW_PLUGIN_OUTPUT_DIR})
  endif()
  if(DEFINED SEQFLOW_PLUGIN_INSTALL_DIR)
    install(TARGETS ${target} LIBRARY DESTINATION ${SEQFLOW_PLUGIN_INSTALL_DIR})
  endif()
endfunction()
