// The Linux profile against this machine's kernel: the differential property (props/differential.h)
// with the CI case budget, plus checks that the run reached every interesting path.
#include <gtest/gtest.h>

#include "model/linux_profile.h"
#include "props/differential.h"
#include "props/test_support.h"

namespace portlab::props {
namespace {

TEST(LinuxDifferential, ModelAndKernelAgreeOnRandomCallSequences) {
  DifferentialConfig c;
  c.profile = &model::linux_profile();
  c.cases = test::ci_cases();
  c.max_size = test::ci_max_size();
  c.failure_script_path = "differential-counterexample.pls";
  const DifferentialResult r = run_differential(c);
  ASSERT_TRUE(r.passed) << r.failure << "\nshrunk sequence (also in " << c.failure_script_path
                        << ", replay with `portlab conform`):\n"
                        << r.counterexample_script << "\nreproduce: RC_PARAMS=\"" << r.reproduce << "\"";
  // The classification must show that the generator reached every interesting path.
  for (const char* tag : {kTagAddrInUse, kTagAddrNotAvail, kTagTimeWaitReuse, kTagListenRecheck, kTagExhausted,
                          kTagTimeWait})
    EXPECT_TRUE(r.tags.count(tag)) << "no case reached: " << tag << " (seed " << r.seed << ")";
}

}  // namespace
}  // namespace portlab::props
