#include "model/rule.h"

namespace portlab::model {

std::string_view name(Confidence c) {
  switch (c) {
    case Confidence::code: return "code";
    case Confidence::test: return "test";
    case Confidence::doc: return "doc";
    case Confidence::inferred: return "inferred";
    case Confidence::assumed: return "assumed";
  }
  return "?";
}

}  // namespace portlab::model
