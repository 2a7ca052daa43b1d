# Sanitizer and fuzzing builds (tests/fuzz/README.md, scripts/sanitize.sh).
#
# SEQFLOW_SANITIZE instruments every target of the build: "address" is ASan + UBSan (clang-14 or GCC),
# "thread" is TSan (GCC). SEQFLOW_FUZZ adds libFuzzer's coverage instrumentation and the fuzz targets of
# tests/fuzz (it implies "address" and needs clang: Debian's clang-14, libclang-rt-14-dev,
# libfuzzer-14-dev).
#
# The sanitizer runtime is linked as a shared library (GCC's default, clang's -shared-libsan): plugin
# modules are linked with --no-undefined (sdk/cmake/SeqflowPlugin.cmake), and their __asan_* / __tsan_*
# references must resolve against the same runtime the host uses, which only a shared runtime allows.
#
# UBSan's vptr check stays recoverable so that its one suppression (tests/fuzz/ubsan.supp) can apply;
# UBSAN_OPTIONS=halt_on_error=1 makes every other report fatal. All other UBSan checks abort.
set(SEQFLOW_SANITIZE "" CACHE STRING "Instrument the build: address (ASan + UBSan), thread (TSan) or empty")
option(SEQFLOW_FUZZ "Build the libFuzzer targets of tests/fuzz under ASan + UBSan (clang only)" OFF)
if(SEQFLOW_FUZZ AND NOT SEQFLOW_SANITIZE)
  set(SEQFLOW_SANITIZE address)
endif()

# The plugin modules that seqflow_plugins (and so the CLI and every test) depends on; empty: all of
# them. A sanitizer build lists the few its tests need so that it compiles only those.
set(SEQFLOW_MODULES "" CACHE STRING "Plugin modules the CLI and tests depend on (empty: all)")

if(SEQFLOW_FUZZ AND NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "SEQFLOW_FUZZ needs clang (libFuzzer): configure with CC=clang-14 CXX=clang++-14")
endif()
if(SEQFLOW_SANITIZE)
  if(SEQFLOW_SANITIZE STREQUAL "address")
    set(_san -fsanitize=address,undefined -fno-sanitize-recover=all -fsanitize-recover=vptr)
    set(_runtime libclang_rt.asan-x86_64.so)
  elseif(SEQFLOW_SANITIZE STREQUAL "thread")
    set(_san -fsanitize=thread)
    # clang 14's shared TSan runtime crashes before main on this system; GCC's libtsan is shared by
    # default and works.
    if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
      message(FATAL_ERROR "SEQFLOW_SANITIZE=thread needs GCC (clang 14's shared TSan runtime crashes at "
                          "start): configure with CC=gcc CXX=g++")
    endif()
  else()
    message(FATAL_ERROR "SEQFLOW_SANITIZE must be address or thread, not '${SEQFLOW_SANITIZE}'")
  endif()
  # Line tables only (stack traces with lines, at a fraction of full debug info's compile time).
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    add_compile_options(${_san} -fno-omit-frame-pointer -gline-tables-only)
  else()
    add_compile_options(${_san} -fno-omit-frame-pointer -g1)
  endif()
  add_link_options(${_san})
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # The runtime is named first on every link line, so that it is the first library loaded (ASan
    # refuses to start otherwise: libstdc++ would come before it), and found through the run path.
    execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=${_runtime}
      OUTPUT_VARIABLE _rt OUTPUT_STRIP_TRAILING_WHITESPACE)
    get_filename_component(_rt_dir ${_rt} DIRECTORY)
    add_link_options(${_rt} -shared-libsan "LINKER:-rpath,${_rt_dir}")
  endif()
  if(SEQFLOW_FUZZ)
    add_compile_options(-fsanitize=fuzzer-no-link)
  endif()
endif()
