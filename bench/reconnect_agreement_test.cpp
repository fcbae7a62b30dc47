// The model and this machine's kernel agree on every reconnect strategy: the same failures (call,
// errno, count), no stall on either side, and the TIME-WAIT population at the end within 5 %.
// One run per strategy (1000 connections, 500 ephemeral ports, as reconnect_bench) in its own
// network namespace. Why not fewer ports: with tcp_tw_reuse=2 and tcp_tw_reuse_delay=1 ms, the
// first TIME-WAIT recycling happens when the port scan wraps, at an age of (ports/2) x cycle time.
// Within 1 ms of the delay the kernel's ms-truncated clocks (tcp_clock_ms() > tw_entry_stamp +
// delay) and the model's elapsed-time comparison can disagree by one connection; with 500 ports
// the age is far beyond that window.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <ostream>
#include <string>

#include "bench/reconnect.h"
#include "props/kernel_namespace.h"

namespace pb = portlab::bench;

namespace portlab::bench {
// Test names and failure messages show the strategy's name, not its bytes.
void PrintTo(const Strategy& s, std::ostream* os) { *os << s.name; }
}  // namespace portlab::bench

namespace {

class BenchReconnectAgreement : public ::testing::TestWithParam<pb::Strategy> {};

TEST_P(BenchReconnectAgreement, ModelMatchesKernel) {
  const pb::Strategy& s = GetParam();
  pb::RunConfig cfg;
  cfg.port_low = 40000;
  cfg.port_high = 40499;
  constexpr int kIterations = 1000;
  pb::LoopResult real;
  try {
    pb::RealLoop loop(s, cfg);
    for (int i = 0; i < kIterations; ++i) loop.iterate();
    real = loop.finish();
  } catch (const portlab::props::HarnessError& e) {
    GTEST_SKIP() << "no private network namespace here: " << e.what();
  }
  ASSERT_TRUE(real.harness_error.empty()) << real.harness_error;
  ASSERT_EQ(real.skipped, 0);
  pb::ModelLoop mloop(s, cfg, real.timeline);
  for (int i = 0; i < kIterations; ++i) mloop.iterate();
  const pb::LoopResult model = mloop.finish();

  EXPECT_EQ(model.failures, real.failures) << "model: " << model.failure_pattern()
                                           << "\nkernel: " << real.failure_pattern();
  EXPECT_EQ(model.successes, real.successes);
  EXPECT_EQ(model.stalls, 0);
  EXPECT_EQ(real.stalls, 0);
  const double tolerance = std::max(1.0, 0.05 * static_cast<double>(real.time_wait_end));
  EXPECT_LE(std::abs(static_cast<double>(model.time_wait_end - real.time_wait_end)), tolerance)
      << "TIME-WAIT at the end: model " << model.time_wait_end << ", kernel " << real.time_wait_end;
}

INSTANTIATE_TEST_SUITE_P(Strategies, BenchReconnectAgreement, ::testing::ValuesIn(pb::strategies()),
                         [](const ::testing::TestParamInfo<pb::Strategy>& p) { return p.param.name; });

}  // namespace
