// The differential property can fail: each test builds a test-only variant of the Linux profile
// with one rule deliberately wrong and asserts that the property finds a disagreement with the
// kernel within the CI case budget (no shrinking: only "is it caught" matters here).
#include <gtest/gtest.h>

#include <span>
#include <vector>

#include "model/linux_profile.h"
#include "props/conform.h"
#include "props/differential.h"
#include "props/test_support.h"
#include "sim/script/parser.h"

namespace portlab::props {
namespace {

using model::BindMode;
using model::BindOwnerView;
using model::Decision;
using model::Knobs;

// The real Linux decision, looked up once (the profile's functions are file-local).
const model::Profile& real() { return model::linux_profile(); }

void expect_caught(const model::Profile& broken, const char* what) {
  DifferentialConfig c;
  c.profile = &broken;
  c.cases = test::ci_cases();
  c.max_size = test::ci_max_size();
  c.shrink = false;
  c.verbose = false;
  const DifferentialResult r = run_differential(c);
  EXPECT_FALSE(r.passed) << what << ": the differential property did not notice within " << c.cases
                         << " cases (seed " << r.seed << ")";
  if (!r.passed)
    std::cerr << "props: broken rule '" << what << "' caught after " << r.cases << " passing cases:\n"
              << r.failure.substr(0, r.failure.find("\nas a portlab script")) << "\n";
}

// Bind conflict: a wildcard and a specific address no longer overlap (the BSD rule), instead of
// Linux's "wildcard overlap is treated like equality" (semantics.md §2.3, §2.4).
Decision bind_wildcard_does_not_overlap(const Knobs& k, const BindOwnerView& n, std::span<const BindOwnerView> owners,
                                        BindMode mode) {
  std::vector<BindOwnerView> exact;
  for (const auto& e : owners)
    if (e.addr == n.addr || (e.addr.is_wildcard() && n.addr.is_wildcard())) exact.push_back(e);
  return real().bind_decide(k, n, exact, mode);
}

TEST(BrokenRule, BindConflictWildcardOverlapIsCaught) {
  model::Profile p = real();
  p.bind_decide = bind_wildcard_does_not_overlap;
  expect_caught(p, "bind conflict: wildcard vs specific");
}

TEST(BrokenRule, ListenRecheckOffIsCaught) {
  model::Profile p = real();
  p.listen_rechecks = false;
  expect_caught(p, "listen re-check off");
}

// TIME-WAIT flag inheritance: the entry is judged with the *new* socket's SO_REUSEADDR /
// SO_REUSEPORT instead of the ones it copied from the closed socket (inet_twsk_alloc,
// semantics.md §2.1, §2.11). Done through bind_decide, which sees every TIME-WAIT owner.
Decision bind_time_wait_without_inherited_flags(const Knobs& k, const BindOwnerView& n,
                                                std::span<const BindOwnerView> owners, BindMode mode) {
  std::vector<BindOwnerView> v(owners.begin(), owners.end());
  for (auto& e : v) {
    if (!e.time_wait) continue;
    e.reuseaddr = n.reuseaddr;
    e.reuseport = n.reuseport;
  }
  return real().bind_decide(k, n, v, mode);
}

TEST(BrokenRule, TimeWaitFlagInheritanceIsCaught) {
  model::Profile p = real();
  p.bind_decide = bind_time_wait_without_inherited_flags;
  expect_caught(p, "TIME-WAIT flag inheritance");
}

// Bound connect over a TIME-WAIT 4-tuple: never recycled (ignores the peer-timestamp rule of
// tcp_twsk_unique with twp == NULL, semantics.md §2.7).
Decision bound_connect_never_recycles(const Knobs& k, const model::TupleOccupant& o) {
  if (o.kind == model::TupleOccupant::Kind::time_wait)
    return {model::Errno::eaddrnotavail, &model::linux_rule::connect_bound_time_wait_no_timestamps};
  return real().bound_connect_decide(k, o);
}

TEST(BrokenRule, BoundConnectTimeWaitReuseIsCaught) {
  model::Profile p = real();
  p.bound_connect_decide = bound_connect_never_recycles;
  expect_caught(p, "bound-connect TIME-WAIT reuse");
}

// Ephemeral exhaustion: connect() gives up after the first parity pass, so it reports exhaustion
// while a port of the other parity is still free (__inet_hash_connect scans both, §2.10).
model::PortChoice connect_scan_one_parity(const Knobs& k, const model::ConnectScanInput& in, std::uint32_t& perturb,
                                          std::uint32_t& last_port, model::Rng& rng,
                                          const std::function<bool(std::uint16_t)>& usable) {
  const std::uint16_t low = in.range.low;
  return real().pick_connect_port(k, in, perturb, last_port, rng,
                                  [&](std::uint16_t port) { return (port - low) % 2 == 0 && usable(port); });
}

// The broken rule is visible at all: two connections from a 2-port range to one server.
TEST(BrokenRule, EphemeralExhaustionTooEarly_TwoConnectsToOneServer_Differ) {
  model::Profile p = real();
  p.pick_connect_port = connect_scan_one_parity;
  auto parsed = sim::script::parse_script(
      "sysctl net.ipv4.ip_local_port_range=40000 40001\n"
      "l = socket(inet, stream)\nbind(l, 127.0.0.1:7000)\nlisten(l)\n"
      "c1 = socket(inet, stream)\nconnect(c1, 127.0.0.1:7000)\n"
      "c2 = socket(inet, stream)\nconnect(c2, 127.0.0.1:7000)\n",
      "two-connects");
  ASSERT_TRUE(parsed.script);
  ConformOptions o;
  o.profile = &p;
  Conformer conformer(*parsed.script, o);
  std::vector<std::string> differing;
  for (const auto& step : parsed.script->steps) {
    const StepComparison r = conformer.step(step);
    std::cerr << step.text << ": model " << r.model_result << " / kernel " << r.kernel_result << "\n";
    if (r.differs()) differing.push_back(step.text);
  }
  EXPECT_EQ(differing, std::vector<std::string>{"connect(c2, 127.0.0.1:7000)"});
}

TEST(BrokenRule, EphemeralExhaustionTooEarlyIsCaught) {
  model::Profile p = real();
  p.pick_connect_port = connect_scan_one_parity;
  expect_caught(p, "ephemeral exhaustion (connect scans one parity only)");
}

// The exhaustion errno: bind(0) reports EADDRNOTAVAIL (as connect() does) instead of Linux's
// EADDRINUSE (inet_csk_get_port returns -EADDRINUSE, semantics.md §2.10).
model::PortChoice bind0_wrong_errno(const Knobs& k, model::PortRange range, bool reuseaddr, std::uint32_t& last_port,
                                    model::Rng& rng, const std::function<bool(std::uint16_t, bool)>& usable) {
  model::PortChoice c = real().pick_bind_port(k, range, reuseaddr, last_port, rng, usable);
  if (!c.port) c.err = model::Errno::eaddrnotavail;
  return c;
}

TEST(BrokenRule, EphemeralExhaustionErrnoIsCaught) {
  model::Profile p = real();
  p.pick_bind_port = bind0_wrong_errno;
  expect_caught(p, "ephemeral exhaustion errno (bind(0) says EADDRNOTAVAIL)");
}

}  // namespace
}  // namespace portlab::props
