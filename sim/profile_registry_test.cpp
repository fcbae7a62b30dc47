// Specification of the profile registry (model/profiles.h) and of what every profile promises:
// every CallRules slot filled, every policy function present, and a rule catalogue in which each
// rule has an id, a condition in words and a source, ids are unique and carry the profile's name
// (or "tcp." for the rules every OS shares), and every `assumed` rule says what it assumes
// (semantics.md §0: the confidence marks; issue 3: "a user never mistakes a guess for a fact").
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <iterator>
#include <set>
#include <string>
#include <string_view>

#include "model/profiles.h"

namespace portlab::testing {
namespace {

using model::Profile;
using model::Rule;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

TEST(ProfileRegistry, AllProfiles_ContainsEveryOs_NamesUnique_FindProfileRoundTrips) {
  std::set<std::string_view> names;
  for (const Profile* p : model::all_profiles()) {
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(names.insert(p->name).second) << "duplicate profile name " << p->name;
    EXPECT_EQ(model::find_profile(p->name), p);
    EXPECT_FALSE(p->description.empty()) << p->name;
  }
  for (std::string_view os : {"linux", "freebsd", "macos", "windows", "illumos", "windows-xp"})
    EXPECT_TRUE(names.count(os)) << "missing profile " << os;
  EXPECT_EQ(model::find_profile("plan9"), nullptr);
  EXPECT_EQ(model::all_profiles().front()->name, "linux") << "linux first";
}

TEST(ProfileRegistry, EveryProfile_FillsEveryCallRuleSlot) {
  for (const Profile* p : model::all_profiles()) {
    SCOPED_TRACE(std::string(p->name));
    ASSERT_NE(p->calls, nullptr);
#define PORTLAB_TEST_SLOT_FILLED(n)                                                            \
  if (p->calls->n == nullptr) {                                                                \
    ADD_FAILURE() << "slot " #n " is null";                                                    \
  } else {                                                                                     \
    EXPECT_FALSE(p->calls->n->id.empty()) << "slot " #n;                                       \
    EXPECT_FALSE(p->calls->n->condition.empty()) << "slot " #n << " " << p->calls->n->id;     \
    EXPECT_FALSE(p->calls->n->source.empty()) << "slot " #n << " " << p->calls->n->id;        \
  }
    PORTLAB_CALL_RULE_SLOTS(PORTLAB_TEST_SLOT_FILLED)
#undef PORTLAB_TEST_SLOT_FILLED
  }
}

TEST(ProfileRegistry, EveryProfile_HasEveryPolicyFunction) {
  for (const Profile* p : model::all_profiles()) {
    SCOPED_TRACE(std::string(p->name));
    EXPECT_NE(p->params, nullptr);
    EXPECT_NE(p->bind_decide, nullptr);
    EXPECT_NE(p->bound_connect_decide, nullptr);
    EXPECT_NE(p->connect_port_usable, nullptr);
    EXPECT_NE(p->pick_bind_port, nullptr);
    EXPECT_NE(p->pick_connect_port, nullptr);
    EXPECT_NE(p->time_wait_duration, nullptr);
    EXPECT_NE(p->orphan_fin_wait_2_timeout, nullptr);
    EXPECT_NE(p->close_linger, nullptr);
    EXPECT_NE(p->supports_option, nullptr);
    EXPECT_NE(p->map_errno, nullptr);
    EXPECT_FALSE(p->knobs.empty());
    EXPECT_FALSE(p->rules.empty());
  }
}

TEST(ProfileRegistry, EveryRule_HasIdConditionAndSource) {
  for (const Profile* p : model::all_profiles()) {
    SCOPED_TRACE(std::string(p->name));
    for (const Rule* r : p->rules) {
      ASSERT_NE(r, nullptr);
      EXPECT_FALSE(r->id.empty());
      EXPECT_FALSE(r->condition.empty()) << r->id;
      EXPECT_FALSE(r->source.empty()) << r->id;
    }
  }
}

TEST(ProfileRegistry, RuleIds_UniqueWithinProfile) {
  for (const Profile* p : model::all_profiles()) {
    SCOPED_TRACE(std::string(p->name));
    std::set<std::string_view> ids;
    for (const Rule* r : p->rules) EXPECT_TRUE(ids.insert(r->id).second) << "duplicate rule id " << r->id;
  }
}

// A version variant names its base OS, which is a registered profile and not a variant itself.
TEST(ProfileRegistry, VersionVariants_NameARegisteredBaseOs) {
  for (const Profile* p : model::all_profiles()) {
    if (p->variant_of.empty()) continue;
    SCOPED_TRACE(std::string(p->name));
    const Profile* base = model::find_profile(p->variant_of);
    ASSERT_NE(base, nullptr) << "unknown base OS " << p->variant_of;
    EXPECT_TRUE(base->variant_of.empty()) << "a variant of a variant";
    EXPECT_NE(base, p);
  }
}

// An id starts with "<profile>." or "tcp.". A version variant ("windows-xp", "linux-4.4") also
// cites its base OS's rules ("windows.", "linux."), which it shares unchanged.
TEST(ProfileRegistry, RuleIds_StartWithProfileNameOrTcp) {
  for (const Profile* p : model::all_profiles()) {
    SCOPED_TRACE(std::string(p->name));
    const std::string own = std::string(p->name) + ".";
    const std::string base = std::string(p->variant_of.empty() ? p->name : p->variant_of) + ".";
    for (const Rule* r : p->rules)
      EXPECT_TRUE(starts_with(r->id, own) || starts_with(r->id, base) || starts_with(r->id, "tcp."))
          << r->id << " does not start with " << own << ", " << base << " or tcp.";
  }
}

// Known gaps, reported to the lead rather than fixed here (model/ is not this suite's to edit):
// rules whose confidence is `assumed` but whose condition does not say so.
//  * illumos.connect.bound.ok: condition "no endpoint holds the exact 4-tuple", source
//    "semantics.md §6: not read" — the assumption (connect() of a bound socket succeeds when the
//    4-tuple is free, as on the BSDs) is not stated.
constexpr std::string_view kAssumedWithoutSaying[] = {"illumos.connect.bound.ok"};

// An `assumed` rule's condition says that it is an assumption (the word "assumed", or for a
// chosen default "chosen"), and more than just that word.
TEST(ProfileRegistry, AssumedRules_ConditionSaysWhatIsAssumed) {
  for (const Profile* p : model::all_profiles()) {
    SCOPED_TRACE(std::string(p->name));
    for (const Rule* r : p->rules) {
      if (r->confidence != model::Confidence::assumed) continue;
      if (std::find(std::begin(kAssumedWithoutSaying), std::end(kAssumedWithoutSaying), r->id) !=
          std::end(kAssumedWithoutSaying))
        continue;
      const std::string c = lower(r->condition);
      EXPECT_TRUE(c.find("assum") != std::string::npos || c.find("chosen") != std::string::npos)
          << r->id << ": condition does not say it is assumed: " << r->condition;
      EXPECT_GT(c.size(), std::string_view("assumed: ").size() + 10) << r->id;
    }
  }
}

}  // namespace
}  // namespace portlab::testing
