// The `portlab check` and `portlab rules` commands as a user meets them: exit statuses, located
// errors, determinism of the printed trace, and the JSON document.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "cli/commands.h"

namespace portlab::cli {
namespace {

class CheckCommand : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& text) {
    auto path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }
  int check(const std::vector<std::string>& files, bool json = false, std::uint64_t seed = 1) {
    out_.str("");
    err_.str("");
    CheckArgs a;
    a.files = files;
    a.json = json;
    a.seed = seed;
    return run_check_command(a, out_, err_);
  }
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("portlab-cli-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::ostringstream out_;
  std::ostringstream err_;
};

constexpr const char* kConflict = R"(a = socket(inet, stream)
b = socket(inet, stream)
bind(a, 127.0.0.1:7000) = 0
bind(b, 127.0.0.1:7000) = -1 EADDRINUSE
)";

TEST_F(CheckCommand, Check_AllExpectationsHold_ExitsZeroAndPrintsRuleIds) {
  EXPECT_EQ(check({write("ok.pls", kConflict)}), kExitOk);
  EXPECT_NE(out_.str().find("linux.bind.conflict.no-reuse"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("PASS: 2 checks, 0 failed"), std::string::npos) << out_.str();
}

TEST_F(CheckCommand, Check_ExpectationFails_ExitsOneNamingLineExpectedActualAndRule) {
  const std::string f = write("fail.pls", "a = socket(inet, stream)\nb = socket(inet, stream)\n"
                                          "bind(a, 127.0.0.1:7000) = 0\nbind(b, 127.0.0.1:7000) = 0\n");
  EXPECT_EQ(check({f}), kExitFailed);
  const std::string out = out_.str();
  EXPECT_NE(out.find(f + ":4:1: expected 0, got -1 EADDRINUSE"), std::string::npos) << out;
  EXPECT_NE(out.find("linux.bind.conflict.no-reuse"), std::string::npos) << out;
  EXPECT_NE(out.find("reproduce: portlab check " + f + " --os linux --seed 1"), std::string::npos) << out;
}

TEST_F(CheckCommand, Check_ParseError_ExitsTwoWithFileLineColumnAndRunsNothing) {
  const std::string f = write("bad.pls", "a = socket(inet, stream)\nbnd(a, 127.0.0.1:7000) = 0\n");
  EXPECT_EQ(check({write("ok.pls", kConflict), f}), kExitBadInput);
  EXPECT_EQ(err_.str().rfind(f + ":2:1: error: unknown call 'bnd'", 0), 0u) << err_.str();
  EXPECT_EQ(out_.str(), "") << "nothing runs when any input is bad";
}

TEST_F(CheckCommand, Check_UnknownSysctl_ExitsTwoPointingAtTheName) {
  const std::string f = write("sysctl.pls", "sysctl net.ipv4.tcp_tw_reuses=1\n");
  EXPECT_EQ(check({f}), kExitBadInput);
  EXPECT_EQ(err_.str().rfind(f + ":1:8: error: unknown sysctl 'net.ipv4.tcp_tw_reuses'", 0), 0u) << err_.str();
}

TEST_F(CheckCommand, Check_SysctlValueOutOfRange_ExitsTwoPointingAtTheValue) {
  const std::string f = write("sysctl.pls", "sysctl net.ipv4.tcp_tw_reuse=3\n");
  EXPECT_EQ(check({f}), kExitBadInput);
  EXPECT_EQ(err_.str().rfind(f + ":1:30: error: bad value for net.ipv4.tcp_tw_reuse: value 3 out of range 0..2", 0), 0u)
      << err_.str();
}

TEST_F(CheckCommand, Check_SocketUsedOnAnotherHost_ExitsTwo) {
  const std::string f = write("hosts.pls",
                              "host a 10.0.0.1\nhost b 10.0.0.2\na: s = socket(inet, stream)\nb: close(s) = 0\n");
  EXPECT_EQ(check({f}), kExitBadInput);
  EXPECT_NE(err_.str().find(":4:10: error: socket 's' belongs to host 'a', not 'b'"), std::string::npos) << err_.str();
}

TEST_F(CheckCommand, Check_MissingFile_ExitsTwo) {
  EXPECT_EQ(check({(dir_ / "nope.pls").string()}), kExitBadInput);
  EXPECT_NE(err_.str().find("nope.pls: error:"), std::string::npos);
}

TEST_F(CheckCommand, Check_BlockingAcceptWithNoClient_ReportsBlockedForeverNotAHang) {
  const std::string f = write("accept.pls", "l = socket(inet, stream)\nbind(l, 127.0.0.1:80) = 0\nlisten(l) = 0\n"
                                            "a = accept(l)\n");
  EXPECT_EQ(check({f}), kExitFailed);
  EXPECT_NE(out_.str().find("blocked forever"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("sim.blocked-forever"), std::string::npos);
}

constexpr const char* kEphemeral = R"(l = socket(inet, stream)
bind(l, 127.0.0.1:80) = 0
listen(l) = 0
c1 = socket(inet, stream)
connect(c1, 127.0.0.1:80) = 0
b = socket(inet, stream)
bind(b, 127.0.0.1:0) = 0
P = port(b)
expect P in 32768..60999
)";

TEST_F(CheckCommand, Check_SameSeed_PrintsTheSameTraceByteForByte) {
  const std::string f = write("eph.pls", kEphemeral);
  ASSERT_EQ(check({f}, false, 42), kExitOk) << out_.str();
  const std::string first = out_.str();
  ASSERT_EQ(check({f}, false, 42), kExitOk);
  EXPECT_EQ(first, out_.str());
  ASSERT_EQ(check({f}, false, 43), kExitOk);
  EXPECT_NE(first, out_.str()) << "another seed picks other ephemeral ports";
}

TEST_F(CheckCommand, Check_Json_HasOneEntryPerStepWithResultRuleAndExpectation) {
  ASSERT_EQ(check({write("ok.pls", kConflict)}, true), kExitOk);
  auto j = nlohmann::json::parse(out_.str());
  EXPECT_EQ(j["ok"], true);
  ASSERT_EQ(j["steps"].size(), 4u);
  const auto& s = j["steps"][3];
  EXPECT_EQ(s["line"], 4);
  EXPECT_EQ(s["result"], "-1 EADDRINUSE");
  EXPECT_EQ(s["errno"], "EADDRINUSE");
  EXPECT_EQ(s["expected"], "-1 EADDRINUSE");
  EXPECT_EQ(s["ok"], true);
  EXPECT_EQ(s["rule"], "linux.bind.conflict.no-reuse");
  EXPECT_EQ(s["confidence"], "test");
}

TEST(RulesCommand, Rules_Json_EveryRuleHasSourceAndConfidence) {
  std::ostringstream out, err;
  RulesArgs a;
  a.format = "json";
  ASSERT_EQ(run_rules_command(a, out, err), kExitOk);
  auto j = nlohmann::json::parse(out.str());
  ASSERT_GT(j.size(), 50u);
  std::set<std::string> ids;
  for (const auto& r : j) {
    EXPECT_FALSE(r["source"].get<std::string>().empty()) << r["id"];
    EXPECT_FALSE(r["condition"].get<std::string>().empty()) << r["id"];
    EXPECT_TRUE(ids.insert(r["id"].get<std::string>()).second) << "duplicate rule id " << r["id"];
  }
}

}  // namespace
}  // namespace portlab::cli
