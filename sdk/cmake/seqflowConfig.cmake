# find_package(seqflow) -> target seqflow::sdk (include path, C++20) and the function
# seqflow_add_plugin(<module> <sources>...) that builds seqflow_<module>.so.
# The SDK is header-only and has no dependencies of its own.
include(${CMAKE_CURRENT_LIST_DIR}/seqflowTargets.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/SeqflowPlugin.cmake)
