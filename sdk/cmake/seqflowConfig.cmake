# find_package(seqflow) -> target seqflow::sdk and function seqflow_add_plugin(name sources...).
include(${CMAKE_CURRENT_LIST_DIR}/seqflowTargets.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/SeqflowPlugin.cmake)
