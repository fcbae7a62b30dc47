# `portlab explore SCRIPT [ARGS]` exits with one of EXPECTED_RC (a list) and prints a verdict.
# -DPORTLAB=<portlab> -DSCRIPT=<script> -DEXPECTED_RC=<0|1|0;1> [-DARGS=<more options, a list>]
execute_process(COMMAND "${PORTLAB}" explore "${SCRIPT}" ${ARGS} --max-seconds 120
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
list(FIND EXPECTED_RC "${rc}" at)
if(at LESS 0)
  message(FATAL_ERROR "portlab explore ${SCRIPT} ${ARGS}: exit status ${rc}, expected ${EXPECTED_RC}\n${out}${err}")
endif()
if(NOT out MATCHES "verdict: |\n[a-z0-9-]+ +(safe|UNSAFE) ")
  message(FATAL_ERROR "portlab explore ${SCRIPT}: no verdict in the output:\n${out}")
endif()
