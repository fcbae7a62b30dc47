// Every result the model returns names the rule that decided it, so a trace explains itself
// (after NetSem's named rules). Rules are static data: each profile file defines its own.
#pragma once

#include <cstdint>
#include <string_view>

namespace portlab::model {

// How the rule is known (semantics.md §0): read in source, observed on a kernel, documented,
// derived, or an explicit assumption where the reference says "not established".
enum class Confidence : std::uint8_t { code, test, doc, inferred, assumed };

std::string_view name(Confidence c);

struct Rule {
  std::string_view id;         // "linux.bind.conflict.reuseaddr-existing-listens"
  std::string_view os;         // "linux", "any"
  std::string_view condition;  // in words
  std::string_view result;     // in words, e.g. "EADDRINUSE"
  std::string_view source;     // kernel function / document, semantics.md section
  Confidence confidence;
};

}  // namespace portlab::model
