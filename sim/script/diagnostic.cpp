#include "sim/script/diagnostic.h"

#include <cstddef>

namespace portlab::sim::script {

std::string Diagnostic::render() const {
  std::string out = file;
  out += ':';
  out += std::to_string(loc.line);
  out += ':';
  out += std::to_string(loc.column);
  out += ": error: ";
  out += message;
  out += '\n';
  if (loc.line <= 0) return out;
  out += "  ";
  out += source_line;
  out += "\n  ";
  const std::size_t upto = loc.column > 0 ? static_cast<std::size_t>(loc.column - 1) : 0;
  for (std::size_t i = 0; i < upto; ++i) {
    if (i >= source_line.size()) {
      out += ' ';
      continue;
    }
    const auto b = static_cast<unsigned char>(source_line[i]);
    if (b == '\t') {
      out += '\t';
    } else if ((b & 0xC0u) != 0x80u) {  // continuation bytes add no column on screen
      out += ' ';
    }
  }
  out += "^\n";
  return out;
}

}  // namespace portlab::sim::script
