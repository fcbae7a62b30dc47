// Limits (issue 8): every limit a script can hit ends in a clear message and exit status 2 (or,
// for what only the run can tell, a failed step), never an abort, a hang or an overflow.
//
//   script size   4 MiB      parse: FILE: error: file is N bytes; scripts are limited to ...
//   line length   4096 B     parse: FILE:L:C: error: line is N bytes long; the limit is 4096 bytes
//   steps         100000     parse: too many steps: the limit is 100000 (which also bounds the
//                            sockets a script can open, far below the model's per-host cap)
//   hosts         64         parse: too many hosts: the limit is 64
//   virtual time  7 days     check: this wait takes the script past the virtual-time limit ...;
//                            --max-virtual-time raises it (at most 100 years); a blocking call
//                            that overshoots stops the run (sim.limit-exceeded)
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "cli/commands.h"

namespace portlab::cli {
namespace {

class Limits : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("portlab-limits-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& text) {
    auto path = (dir_ / "s.pls").string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  int check(const std::string& file, CheckArgs a = {}) {
    out_.str("");
    err_.str("");
    a.files = {file};
    return run_check_command(a, out_, err_);
  }
  // Exit status 2, nothing on stdout, and stderr starts with `prefix`.
  void expect_bad_input(int rc, const std::string& prefix) {
    EXPECT_EQ(rc, kExitBadInput) << err_.str() << out_.str();
    EXPECT_EQ(out_.str(), "") << "nothing runs on bad input";
    EXPECT_EQ(err_.str().rfind(prefix, 0), 0u) << "expected stderr to start with:\n" << prefix << "\ngot:\n" << err_.str();
  }

  std::filesystem::path dir_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(Limits, ScriptSize_Over4MiB_ExitsTwoNamingTheLimit) {
  std::string text;
  while (text.size() <= 4u * 1024u * 1024u) text += "# padding padding padding padding padding padding padding\n";
  const auto f = write(text);
  expect_bad_input(check(f), f + ": error: file is " + std::to_string(text.size()) +
                                 " bytes; scripts are limited to 4194304 bytes");
}

TEST_F(Limits, LineLength_Over4096Bytes_ExitsTwoAtTheLine) {
  const auto f = write("a = socket(inet, stream)\n# " + std::string(5000, 'x') + "\n");
  expect_bad_input(check(f), f + ":2:4097: error: line is 5002 bytes long; the limit is 4096 bytes");
}

TEST_F(Limits, Steps_Over100000_ExitsTwoAtTheFirstStepTooMany) {
  std::string text;
  for (int i = 0; i < 100001; ++i) text += "wait 1ns\n";
  const auto f = write(text);
  expect_bad_input(check(f), f + ":100001:1: error: too many steps: the limit is 100000");
}

TEST_F(Limits, Steps_Exactly100000_Run) {
  std::string text = "a = socket(inet, stream)\n";
  for (int i = 1; i < 100000; ++i) text += "wait 1ns\n";
  EXPECT_EQ(check(write(text)), kExitOk) << err_.str();
}

TEST_F(Limits, Hosts_Over64_ExitsTwoAtTheFirstHostTooMany) {
  std::string text;
  for (int i = 1; i <= 65; ++i) text += "host h" + std::to_string(i) + " 10.0.0." + std::to_string(i) + "\n";
  const auto f = write(text);
  expect_bad_input(check(f), f + ":65:1: error: too many hosts: the limit is 64");
}

TEST_F(Limits, VirtualTime_WaitPastSevenDays_ExitsTwoAtTheWait) {
  const auto f = write("wait 10000m\nwait 100m\nwait 1s\n");
  expect_bad_input(check(f), f + ":2:1: error: this wait takes the script past the virtual-time limit of 604800s = 7 days");
  EXPECT_NE(err_.str().find("raise the limit with --max-virtual-time (up to 100 years)"), std::string::npos) << err_.str();
}

TEST_F(Limits, VirtualTime_RaisedWithMaxVirtualTime_Runs) {
  CheckArgs a;
  a.max_virtual_time = "20000m";
  EXPECT_EQ(check(write("wait 10000m\nwait 100m\nwait 1s\n"), a), kExitOk) << err_.str();
}

TEST_F(Limits, VirtualTime_WaitsThatWouldOverflowTheClock_ExitTwoEvenAtTheLargestLimit) {
  // Two waits of 2^63-1 ns each: before the limit existed, their sum overflowed the 64-bit clock.
  CheckArgs a;
  a.max_virtual_time = "52560000m";
  const auto f = write("wait 9223372036854775807ns\nwait 9223372036854775807ns\n");
  expect_bad_input(check(f, a), f + ":1:1: error: this wait takes the script past the virtual-time limit of "
                                    "3153600000s = 36500 days");
}

TEST_F(Limits, VirtualTime_StepTimeLargerThanTheLimit_ExitsTwo) {
  CheckArgs a;
  a.step_time = "10081m";
  const auto f = write("a = socket(inet, stream)\n");
  expect_bad_input(check(f, a), f + ":0:0: error: the per-call step time must lie in 0s..604800s = 7 days");
}

TEST_F(Limits, VirtualTime_StepTimesAddingUpPastTheLimit_ExitTwoAtTheCall) {
  CheckArgs a;
  a.step_time = "1m";
  a.max_virtual_time = "2m";
  const auto f = write("a = socket(inet, stream)\nb = socket(inet, stream)\nc = socket(inet, stream)\n");
  expect_bad_input(check(f, a), f + ":3:1: error: this call takes the script past the virtual-time limit of 120s");
}

TEST_F(Limits, VirtualTime_BadMaxVirtualTimeOption_ExitsTwo) {
  for (const char* bad : {"0s", "52560001m", "7d", "-1s", ""}) {
    CheckArgs a;
    a.max_virtual_time = bad;
    expect_bad_input(check(write("wait 1s\n"), a), std::string("portlab: bad --max-virtual-time '") + bad + "'");
  }
}

TEST_F(Limits, VirtualTime_BlockingCallPastTheLimit_StopsTheRunWithAFailedStep) {
  // The client binds a non-local address (IP_FREEBIND), so the server's SYN-ACK has no route
  // back: connect() retransmits its SYN 20 times (about half an hour with Linux's 120 s RTO
  // cap), past a 10-minute limit. The steps after it do not run, and say why.
  CheckArgs a;
  a.max_virtual_time = "10m";
  const auto f = write(
      "host client 10.0.0.1\n"
      "host server 10.0.0.2\n"
      "sysctl client net.ipv4.tcp_syn_retries=20\n"
      "server: l = socket(inet, stream)\n"
      "server: bind(l, 0.0.0.0:80) = 0\n"
      "server: listen(l, 16) = 0\n"
      "client: c = socket(inet, stream)\n"
      "client: setsockopt(c, IP_FREEBIND, 1) = 0\n"
      "client: bind(c, 10.0.0.77:5000) = 0\n"
      "client: connect(c, 10.0.0.2:80) = -1 ETIMEDOUT\n"
      "client: d = socket(inet, stream)\n"
      "client: close(d) = 0\n");
  EXPECT_EQ(check(f, a), kExitFailed) << err_.str() << out_.str();
  const std::string out = out_.str();
  EXPECT_NE(out.find("linux.connect.timeout"), std::string::npos) << out;
  EXPECT_NE(out.find("sim.limit-exceeded"), std::string::npos) << out;
  EXPECT_NE(out.find(f + ":11:1: virtual time reached"), std::string::npos) << out;
  EXPECT_NE(out.find("at line 10, past the limit of 600s; raise it with --max-virtual-time"), std::string::npos) << out;
  EXPECT_NE(out.find("FAIL: 7 checks, 2 failed"), std::string::npos) << out;
}

}  // namespace
}  // namespace portlab::cli
