# CTest script: the embedding API as a C++ program gets it.
#   1. install the `sdk` and `engine` components of the current build into a fresh prefix;
#   2. configure and build engine/examples/embed_revcomp out of tree against that prefix only;
#   3. run it on its input with the build's plugins and compare its output with the expected file.
# Inputs (-D): BUILD_DIR CONFIG EXAMPLE_DIR WORK_DIR PLUGIN_DIR GENERATOR CXX_COMPILER.
function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (exit ${rc}):\n${ARGN}\n--- stdout\n${out}\n--- stderr\n${err}")
  endif()
endfunction()

set(prefix ${WORK_DIR}/prefix)
set(build ${WORK_DIR}/example_build)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

foreach(component sdk engine)
  run_step("installing the ${component} component"
    ${CMAKE_COMMAND} --install ${BUILD_DIR} --config ${CONFIG} --component ${component} --prefix ${prefix})
endforeach()
foreach(f include/seqflow/embed.hpp include/seqflow/engine.hpp include/seqflow/caller.h)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "the install did not put ${f} under ${prefix}")
  endif()
endforeach()

run_step("configuring the example program against the installed package"
  ${CMAKE_COMMAND} -S ${EXAMPLE_DIR} -B ${build} -G ${GENERATOR}
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
file(STRINGS ${build}/CMakeCache.txt found_dir REGEX "^seqflow_DIR:")
file(GLOB expected_dir ${prefix}/lib*/cmake/seqflow)
if(NOT found_dir STREQUAL "seqflow_DIR:PATH=${expected_dir}")
  message(FATAL_ERROR "find_package(seqflow) used '${found_dir}', not the installed package '${expected_dir}'")
endif()
run_step("building the example program" ${CMAKE_COMMAND} --build ${build})

foreach(threads 1 2)
  execute_process(
    COMMAND ${CMAKE_COMMAND} -E env SEQFLOW_PLUGIN_PATH=${PLUGIN_DIR} ${build}/embed_revcomp ${threads}
    INPUT_FILE ${EXAMPLE_DIR}/input.txt
    RESULT_VARIABLE rc OUTPUT_VARIABLE got ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "embed_revcomp ${threads} failed (exit ${rc}):\n${err}")
  endif()
  file(READ ${EXAMPLE_DIR}/expected.txt want)
  if(NOT got STREQUAL want)
    message(FATAL_ERROR "embed_revcomp ${threads} printed\n${got}--- expected\n${want}")
  endif()
endforeach()
message(STATUS "embed_revcomp built against ${prefix} and ran: output matches expected.txt")
