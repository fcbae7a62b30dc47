# cmake -P script behind the Packaging_DownstreamFindPackage_BuildsAndRuns test.
# Inputs (-D): PORTLAB_BUILD_DIR DOWNSTREAM_SOURCE_DIR GENERATOR MAKE_PROGRAM CXX_COMPILER
#              BUILD_TYPE CXX_FLAGS CXX_FLAGS_CONFIG EXPECTED_TARGETS (comma-separated)
cmake_minimum_required(VERSION 3.25)

foreach(_var PORTLAB_BUILD_DIR DOWNSTREAM_SOURCE_DIR GENERATOR CXX_COMPILER)
  if(NOT DEFINED ${_var} OR "${${_var}}" STREQUAL "")
    message(FATAL_ERROR "packaging_downstream.cmake: -D${_var}=... is required")
  endif()
endforeach()

set(_prefix "${PORTLAB_BUILD_DIR}/downstream-prefix")
set(_build "${PORTLAB_BUILD_DIR}/downstream-build")
string(REPLACE "," ";" _expected "${EXPECTED_TARGETS}")
string(TOUPPER "${BUILD_TYPE}" _bt)

function(run_step what)
  message(STATUS "downstream: ${what}: ${ARGN}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "downstream: ${what} failed (${_rc})")
  endif()
endfunction()

# 1. Install into a clean prefix (so a removed header or target can't linger).
file(REMOVE_RECURSE "${_prefix}")
run_step("install" "${CMAKE_COMMAND}" --install "${PORTLAB_BUILD_DIR}" --prefix "${_prefix}")

# 2. Configure the consumer from scratch against that prefix only.
set(_configure "${CMAKE_COMMAND}" --fresh
  -S "${DOWNSTREAM_SOURCE_DIR}" -B "${_build}" -G "${GENERATOR}"
  "-DCMAKE_PREFIX_PATH=${_prefix}"
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
  -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF
  "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
  "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}"
  "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}"
  "-DPORTLAB_EXPECTED_TARGETS=${EXPECTED_TARGETS}")
if(MAKE_PROGRAM)
  list(APPEND _configure "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
endif()
if(_bt)
  list(APPEND _configure "-DCMAKE_CXX_FLAGS_${_bt}=${CXX_FLAGS_CONFIG}")
endif()
run_step("configure" ${_configure})

# It must have found the package we just installed, not one elsewhere on the system.
file(STRINGS "${_build}/CMakeCache.txt" _dir_line REGEX "^portlab_DIR:")
string(REGEX REPLACE "^portlab_DIR:[^=]*=" "" _found_dir "${_dir_line}")
file(REAL_PATH "${_prefix}" _real_prefix)
file(REAL_PATH "${_found_dir}" _real_found)
string(FIND "${_real_found}" "${_real_prefix}/" _pos)
if(NOT _pos EQUAL 0)
  message(FATAL_ERROR "downstream: found portlab in '${_found_dir}', not under '${_prefix}'")
endif()

# 3. Build.
run_step("build" "${CMAKE_COMMAND}" --build "${_build}")

# 4. Run and check the output.
execute_process(COMMAND "${_build}/portlab_downstream"
  RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
message(STATUS "downstream: program output:\n${_out}${_err}")
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "downstream: portlab_downstream exited with ${_rc}")
endif()
string(FIND "${_out}" "EADDRINUSE" _pos)
if(_pos EQUAL -1)
  message(FATAL_ERROR "downstream: output does not contain EADDRINUSE")
endif()
message(STATUS "downstream: OK (targets: ${EXPECTED_TARGETS})")
