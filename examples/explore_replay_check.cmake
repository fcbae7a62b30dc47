# `portlab explore SCRIPT --os all` prints a verdict table with an UNSAFE row for REPLAY_OS; its
# replay script, run by `portlab check`, fails at its last call with REPLAY_ERRNO.
# -DPORTLAB -DSCRIPT -DREPLAY_OS -DREPLAY_ERRNO -DREPLAY=<file to write>
execute_process(COMMAND "${PORTLAB}" explore "${SCRIPT}" --os all --replay-out "${REPLAY}"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 1)
  message(FATAL_ERROR "explore: exit status ${rc}, expected 1\n${out}${err}")
endif()
if(NOT out MATCHES "\n${REPLAY_OS} +UNSAFE ")
  message(FATAL_ERROR "explore: no UNSAFE row for ${REPLAY_OS}:\n${out}")
endif()
string(REGEX REPLACE "\\.pls$" ".${REPLAY_OS}.pls" replay_file "${REPLAY}")
if(NOT EXISTS "${replay_file}")
  set(replay_file "${REPLAY}")
endif()
execute_process(COMMAND "${PORTLAB}" check "${replay_file}" --os ${REPLAY_OS}
  RESULT_VARIABLE rc2 OUTPUT_VARIABLE out2 ERROR_VARIABLE err2)
if(NOT rc2 EQUAL 1)
  message(FATAL_ERROR "check of the replay: exit status ${rc2}, expected 1\n${out2}${err2}")
endif()
if(NOT out2 MATCHES "-> -1 ${REPLAY_ERRNO} +FAIL [^\n]*\n +FAILED at [^\n]*\nFAIL: [0-9]+ checks, 1 failed\n")
  message(FATAL_ERROR "check of the replay does not fail once, at its last step, with ${REPLAY_ERRNO}:\n${out2}")
endif()
