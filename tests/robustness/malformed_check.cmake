# One malformed script through `portlab check`: exit status 2, nothing on stdout, and the first
# line of stderr starts with the text in the script's .expected sidecar
# (FILE:LINE:COL: error: MESSAGE, or a prefix of it), followed by the quoted line and a caret.
# -DPORTLAB=<portlab> -DSCRIPT=<path relative to the working directory> -DEXPECTED=<sidecar>
execute_process(COMMAND "${PORTLAB}" check "${SCRIPT}"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
file(READ "${EXPECTED}" expected)
string(REGEX REPLACE "\n+$" "" expected "${expected}")
set(problems "")
if(NOT rc STREQUAL "2")
  string(APPEND problems "exit status ${rc}, expected 2\n")
endif()
if(NOT out STREQUAL "")
  string(APPEND problems "stdout is not empty:\n${out}\n")
endif()
string(FIND "${err}" "\n" nl)
if(nl LESS 0)
  set(first "${err}")
else()
  string(SUBSTRING "${err}" 0 ${nl} first)
endif()
string(FIND "${first}" "${expected}" at)
if(NOT at EQUAL 0)
  string(APPEND problems "the first line of stderr does not start with the expected text\n")
endif()
# A located error quotes the line and puts a caret under the column.
if(expected MATCHES "^[^:]+:[1-9][0-9]*:[1-9][0-9]*: error: " AND NOT err MATCHES "\n  [^\n]*\n  [ \t]*\\^\n$")
  string(APPEND problems "stderr has no quoted line with a caret\n")
endif()
if(problems)
  message(FATAL_ERROR "${SCRIPT}:\n${problems}expected first line: ${expected}\nstderr:\n${err}")
endif()
