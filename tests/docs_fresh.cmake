# Fails when a generated document differs from what the tool prints now.
# -DCOMMAND="prog;arg;..." -DEXPECTED=path
execute_process(COMMAND ${COMMAND} OUTPUT_VARIABLE actual RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "command failed (${rc}): ${COMMAND}")
endif()
file(READ "${EXPECTED}" expected)
if(NOT actual STREQUAL expected)
  message(FATAL_ERROR "${EXPECTED} is stale; regenerate it with: ${COMMAND} > ${EXPECTED}")
endif()
message(STATUS "${EXPECTED} is up to date")
