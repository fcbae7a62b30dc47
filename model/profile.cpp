#include "model/profile.h"

#include <array>

namespace portlab::model {
namespace generic_rule {
// clang-format off
const Rule unmodelled{"model.unmodelled", "any", "the situation is outside what the model covers; no answer is guessed", "unmodelled", "docs/semantics.md: not modelled", Confidence::assumed};
// clang-format on
}  // namespace generic_rule

Errno same_errno(Errno e) { return e; }

ConnectPortVerdict connect_needs_unused_port(const Knobs&, const ConnectPortFacts& f, TimePoint) {
  return {!f.any_overlapping_owner && f.occupant.kind == TupleOccupant::Kind::none, false, std::nullopt};
}

std::span<const Rule* const> generic_rules() {
  static constexpr std::array<const Rule*, 1> kRules{&generic_rule::unmodelled};
  return kRules;
}

}  // namespace portlab::model
