# CTest script: the SDK as a plugin developer gets it.
#   1. install the `sdk` component of the current build into a fresh prefix;
#   2. configure and build sdk/examples/hello_plugin out of tree against that prefix only;
#   3. check that the module exports `seqflow_plugin_entry` and nothing else;
#   4. run the example's pipeline with the CLI (SEQFLOW_PLUGIN_PATH = the example's build folder) and
#      compare its output with the expected file.
# Inputs (-D): BUILD_DIR CONFIG EXAMPLE_DIR EXPECTED WORK_DIR SEQFLOW_BIN GENERATOR CXX_COMPILER NM.
include(${CMAKE_CURRENT_LIST_DIR}/exported_symbols.cmake)

function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (exit ${rc}):\n${ARGN}\n--- stdout\n${out}\n--- stderr\n${err}")
  endif()
endfunction()

set(prefix ${WORK_DIR}/prefix)
set(build ${WORK_DIR}/hello_build)
set(output ${WORK_DIR}/out/hello.txt)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

run_step("installing the SDK"
  ${CMAKE_COMMAND} --install ${BUILD_DIR} --config ${CONFIG} --component sdk --prefix ${prefix})
foreach(f include/seqflow/plugin_abi.h include/seqflow/sdk.hpp)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "the sdk component did not install ${f} under ${prefix}")
  endif()
endforeach()

# Only the prefix may satisfy find_package: no package registry, and the found config must be ours.
run_step("configuring the example plugin against the installed SDK"
  ${CMAKE_COMMAND} -S ${EXAMPLE_DIR} -B ${build} -G ${GENERATOR}
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
file(STRINGS ${build}/CMakeCache.txt found_dir REGEX "^seqflow_DIR:")
file(GLOB expected_dir ${prefix}/lib*/cmake/seqflow)
if(NOT found_dir STREQUAL "seqflow_DIR:PATH=${expected_dir}")
  message(FATAL_ERROR "find_package(seqflow) used '${found_dir}', not the installed package '${expected_dir}'")
endif()
run_step("building the example plugin" ${CMAKE_COMMAND} --build ${build})

set(module ${build}/seqflow_hello.so)
seqflow_exported_symbols(${NM} ${module} exported)
if(NOT exported STREQUAL "seqflow_plugin_entry")
  message(FATAL_ERROR "${module} must export only seqflow_plugin_entry; it exports: ${exported}")
endif()

run_step("running the example pipeline"
  ${CMAKE_COMMAND} -E env SEQFLOW_PLUGIN_PATH=${build}
    ${SEQFLOW_BIN} run ${EXAMPLE_DIR}/pipeline.toml --set write.path=${output} --threads 2 --no-progress)
if(NOT EXISTS ${output})
  message(FATAL_ERROR "the example pipeline succeeded but wrote no ${output}")
endif()
file(READ ${output} got)
file(READ ${EXPECTED} want)
if(NOT got STREQUAL want)
  message(FATAL_ERROR "${output} differs from ${EXPECTED}\n--- got\n${got}--- expected\n${want}")
endif()
message(STATUS "hello plugin built against ${prefix} and ran: output matches ${EXPECTED}")
