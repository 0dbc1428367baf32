# Copyright (c) 2026 The processkit authors.
# Distributed under the Boost Software License, Version 1.0.
# (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

# cmake -DMODE=find_package|add_subdirectory -DSOURCE_DIR=... -DBUILD_DIR=... -DWORK_DIR=...
#       [-DSANITIZE=... -DSANITIZE_OPT=...] -P check.cmake
#
# SANITIZE: the -fsanitize list the processkit build under test used
# (BOOST_PROCESSKIT_SANITIZE), SANITIZE_OPT its optimization flags. The
# consumer, and in add_subdirectory mode the library it builds, then get the
# same flags: a sanitized library only links into a program built with its
# sanitizer, and the consumer runs under it. Without SANITIZE: unoptimised.
function(step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
endfunction()

# The consumers check the packaging, not speed: unoptimised (build type "None",
# -O0), the add_subdirectory one builds the library in half the time.
set(flags -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS=-O0)
if(SANITIZE)
  # Build type "None": no flags beyond CMAKE_CXX_FLAGS.
  set(flags -DCMAKE_BUILD_TYPE=None
            "-DCMAKE_CXX_FLAGS=${SANITIZE_OPT} -fsanitize=${SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer"
            "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=${SANITIZE}")
endif()

file(REMOVE_RECURSE ${WORK_DIR})
if(MODE STREQUAL "find_package")
  step(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix)
  step(${CMAKE_COMMAND} -S ${SOURCE_DIR}/test/consumer -B ${WORK_DIR}/build
       -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix ${flags})
else()
  step(${CMAKE_COMMAND} -S ${SOURCE_DIR}/test/consumer -B ${WORK_DIR}/build
       -DPROCESSKIT_SOURCE_DIR=${SOURCE_DIR} ${flags})
endif()
step(${CMAKE_COMMAND} --build ${WORK_DIR}/build --target consumer -j2)
step(${WORK_DIR}/build/consumer)
message(STATUS "consumer via ${MODE}: ok")
