# `portlab conform` on every example (issue #6): the Linux model and this machine's kernel agree
# on every step of every script that can run here. A script may be "not run" only for the two
# reasons that are not failures: a host declared with another OS, or a `wait` longer than 5 s
# (it would really sleep; `portlab conform --allow-slow examples/*.pls` runs those too, in about
# 6 minutes). Anything else (a harness error, a difference) fails the test.
# -DPORTLAB=<portlab> -DSCRIPTS=<list of scripts>
execute_process(COMMAND "${PORTLAB}" conform ${SCRIPTS}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 AND NOT rc EQUAL 2)
  message(FATAL_ERROR "portlab conform: exit status ${rc} (1: a difference)\n${out}${err}")
endif()
if(NOT out MATCHES "conform: ([0-9]+) scripts: ([0-9]+) same, 0 different, ([0-9]+) not run")
  message(FATAL_ERROR "portlab conform: no summary with 0 different\n${out}${err}")
endif()
set(total "${CMAKE_MATCH_1}")
set(same "${CMAKE_MATCH_2}")
set(not_run "${CMAKE_MATCH_3}")
# (A CMake list is ';'-separated and the reasons contain ';'.)
string(REPLACE ";" "," flat "${out}")
string(REGEX MATCHALL "\n  not run: [^\n]*" lines "${flat}")
set(excused 0)
foreach(line IN LISTS lines)
  if(line MATCHES "pass --allow-slow to run it anyway$" OR line MATCHES "the real-kernel harness runs Linux only$")
    math(EXPR excused "${excused} + 1")
  else()
    message(FATAL_ERROR "portlab conform: a script did not run for a reason that is a failure:${line}\n${err}")
  endif()
endforeach()
if(NOT excused EQUAL not_run OR same LESS 10)
  message(FATAL_ERROR "portlab conform: ${same} of ${total} scripts ran and agreed; ${not_run} not run "
                      "(${excused} excused): too few ran\n${out}${err}")
endif()
message(STATUS "portlab conform: ${same} of ${total} examples agree with the kernel; ${not_run} need --allow-slow or another OS")
