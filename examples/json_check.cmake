# Runs `portlab check --json SCRIPT` and checks the document: it parses, it is the report of
# SCRIPT under the linux profile, the script passed with no failures, and the bound reconnect
# (connect(c2, ...)) returned 0 by recycling the TIME-WAIT
# (rule linux.connect.bound.time-wait-reused; semantics.md §2.7).
# Usage: cmake -DPORTLAB=path/to/portlab -DSCRIPT=examples/NAME.pls -P json_check.cmake
cmake_minimum_required(VERSION 3.25)

execute_process(COMMAND ${PORTLAB} check --json ${SCRIPT}
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "portlab check --json ${SCRIPT} exited with ${rc}\n${err}\n${out}")
endif()

function(json_get var)
  string(JSON value ERROR_VARIABLE json_err GET "${out}" ${ARGN})
  if(json_err)
    message(FATAL_ERROR "JSON: cannot read ${ARGN}: ${json_err}\n${out}")
  endif()
  set(${var} "${value}" PARENT_SCOPE)
endfunction()

function(expect_eq what actual expected)
  if(NOT actual STREQUAL expected)
    message(FATAL_ERROR "${what}: expected '${expected}', got '${actual}'")
  endif()
endfunction()

json_get(file file)
expect_eq("file" "${file}" "${SCRIPT}")
json_get(os os)
expect_eq("os" "${os}" "linux")
json_get(ok ok)
expect_eq("ok" "${ok}" "ON")
json_get(failures failures)
expect_eq("failures" "${failures}" "0")
json_get(checks checks)
if(checks LESS 1)
  message(FATAL_ERROR "checks: expected at least one check, got ${checks}")
endif()

# Find the connect() of the second socket and check its result and rule.
string(JSON nsteps LENGTH "${out}" steps)
set(found FALSE)
math(EXPR last "${nsteps} - 1")
foreach(i RANGE ${last})
  json_get(call steps ${i} call)
  if(call MATCHES "connect\\(c2, ")
    set(found TRUE)
    json_get(step_ok steps ${i} ok)
    expect_eq("step '${call}' ok" "${step_ok}" "ON")
    json_get(result steps ${i} result)
    expect_eq("step '${call}' result" "${result}" "0")
    json_get(rule steps ${i} rule)
    expect_eq("step '${call}' rule" "${rule}" "linux.connect.bound.time-wait-reused")
  endif()
endforeach()
if(NOT found)
  message(FATAL_ERROR "no connect(c2, ...) step in the report of ${SCRIPT}")
endif()
message(STATUS "${SCRIPT}: JSON report parses; ok, ${checks} checks, TIME-WAIT recycled by the bound connect()")
