// A parse (or run-time) error, located in the script: file:line:column, with the offending
// source line and a caret under the column.
#pragma once

#include <string>

#include "sim/script/ast.h"

namespace portlab::sim::script {

struct Diagnostic {
  std::string file;
  SourceLoc loc;            // 1-based line and byte column
  std::string message;      // says what was expected and what was found
  std::string source_line;  // the line as written (no line terminator); invalid bytes shown as '?'

  // FILE:LINE:COL: error: MESSAGE
  //   <the source line>
  //   <spaces>^
  // Every line ends with '\n'. The caret line copies tabs from the source line and counts a
  // multi-byte UTF-8 character as one column, so the caret sits under the right character.
  // A diagnostic without a location (line 0) renders as the first line only.
  std::string render() const;
};

}  // namespace portlab::sim::script
