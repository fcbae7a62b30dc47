// Rules that hold on every OS the model knows, because POSIX or RFC 9293 says so, and a
// CallRules table filled with them: an OS profile starts from this table and overrides the
// slots where its own source says something more specific.
#pragma once

#include "model/profile.h"

namespace portlab::model {

namespace common_rule {
#define PORTLAB_COMMON_RULE_DECL(n) extern const Rule n;
PORTLAB_CALL_RULE_SLOTS(PORTLAB_COMMON_RULE_DECL)
#undef PORTLAB_COMMON_RULE_DECL
}  // namespace common_rule

constexpr CallRules common_call_rules() {
  CallRules c;
#define PORTLAB_COMMON_RULE_SET(n) c.n = &common_rule::n;
  PORTLAB_CALL_RULE_SLOTS(PORTLAB_COMMON_RULE_SET)
#undef PORTLAB_COMMON_RULE_SET
  return c;
}

// Every common rule, for the catalogue.
std::span<const Rule* const> common_rules();

}  // namespace portlab::model
