// The scenario-script parser. Line-oriented, hand-written, stops at the first error: a script
// with any error produces no Script at all, so nothing ever runs on bad input. Never throws
// (other than std::bad_alloc).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "sim/script/ast.h"
#include "sim/script/diagnostic.h"

namespace portlab::sim::script {

// Limits; exceeding any of them is a located error, never a crash.
inline constexpr std::size_t kMaxScriptBytes = 4u * 1024u * 1024u;  // 4 MiB
inline constexpr std::size_t kMaxLineBytes = 4096;                  // excluding the line terminator
inline constexpr std::size_t kMaxSteps = 100000;
inline constexpr std::size_t kMaxHosts = 64;

// Exactly one of the two is set.
struct ParseResult {
  std::optional<Script> script;
  std::optional<Diagnostic> error;
};

// `file` is only used for Script::file and in diagnostics.
ParseResult parse_script(std::string_view text, std::string file);

}  // namespace portlab::sim::script
