// The `portlab check` and `portlab rules` commands as a user meets them: exit statuses, located
// errors, determinism of the printed trace, and the JSON document.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <set>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "model/linux_profile.h"
#include "model/profiles.h"

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

// ---------------------------------------------------------------------------------------------
// Several OSes. The multi-OS machinery is tested against a test-only second profile, "testos": a
// copy of the Linux profile whose bind() always succeeds, by a rule marked `assumed`; so its
// results differ from Linux's in a known way, whatever the registered profiles do.

const model::Rule kTestBindAssumed{"testos.bind.assumed-ok", "testos", "every bind() succeeds (a test-only assumption)",
                                   "0", "cli_test.cpp", model::Confidence::assumed};

model::Decision test_bind_decide(const model::Knobs&, const model::BindOwnerView&, std::span<const model::BindOwnerView>,
                                 model::BindMode) {
  return {model::Errno::ok, &kTestBindAssumed};
}

const model::Rule* const kTestRules[] = {&kTestBindAssumed};

const model::Profile& test_profile() {
  static const model::Profile p = [] {
    model::Profile q = model::linux_profile();
    q.name = "testos";
    q.description = "Linux, except that bind() never conflicts (test only)";
    q.bind_decide = &test_bind_decide;
    q.listen_rechecks = false;
    q.rules = kTestRules;
    return q;
  }();
  return p;
}

std::span<const model::Profile* const> test_registry() {
  static const model::Profile* const kRegistry[] = {&model::linux_profile(), &test_profile()};
  return kRegistry;
}

class MultiOsCheck : public CheckCommand {
 protected:
  int check_os(const std::vector<std::string>& files, const std::string& os = "", bool json = false,
               bool color = false) {
    out_.str("");
    err_.str("");
    CheckArgs a;
    a.files = files;
    a.os = os;
    a.json = json;
    a.color = color;
    return run_check_command(a, test_registry(), out_, err_);
  }
};

constexpr const char* kPerOs = R"(os linux,testos
a = socket(inet, stream)
b = socket(inet, stream)
bind(a, 127.0.0.1:7000) = 0
bind(b, 127.0.0.1:7000) = -1 EADDRINUSE @linux = 0 @testos
wait 1s
)";

TEST_F(MultiOsCheck, Check_OsDirective_RunsOncePerOsAndPrintsATableWithAColumnPerOs) {
  const std::string f = write("peros.pls", kPerOs);
  ASSERT_EQ(check_os({f}), kExitOk) << out_.str() << err_.str();
  const std::string out = out_.str();
  EXPECT_EQ(out.rfind(f + ": 2 OSes, seed 1, 1ms per call\n", 0), 0u) << out;
  EXPECT_NE(out.find("line  step"), std::string::npos) << out;
  const auto header = out.substr(out.find("line  step"), out.find('\n', out.find("line  step")) - out.find("line  step"));
  EXPECT_LT(header.find("linux"), header.find("testos")) << header;
  // The Linux column drops the "linux." prefix; the difference is marked with '*'.
  EXPECT_NE(out.find(" -1 EADDRINUSE ok  bind.conflict.no-reuse"), std::string::npos) << out;
  EXPECT_EQ(out.find("linux.bind.conflict.no-reuse"), std::string::npos) << out;
  EXPECT_NE(out.find("*0 ok  bind.assumed-ok (ASSUMED)"), std::string::npos) << out;
  EXPECT_NE(out.find("* = the result differs from linux's"), std::string::npos) << out;
  EXPECT_NE(out.find("linux: PASS: 2 checks, 0 failed\n"), std::string::npos) << out;
  EXPECT_NE(out.find("testos: PASS: 2 checks, 0 failed (2 steps decided by assumed rules)\n"), std::string::npos)
      << out;
  EXPECT_EQ(out.find("\x1b["), std::string::npos) << "no colour unless asked for";
}

TEST_F(MultiOsCheck, Check_Table_SameResultIsNotMarked) {
  ASSERT_EQ(check_os({write("peros.pls", kPerOs)}), kExitOk);
  const std::string out = out_.str();
  const auto row = out.substr(out.find("   4  bind(a, 127.0.0.1:7000) = 0"));
  EXPECT_EQ(row.substr(0, row.find('\n')).find('*'), std::string::npos) << row;
}

TEST_F(MultiOsCheck, Check_Table_ColourOnlyWhenAsked) {
  ASSERT_EQ(check_os({write("peros.pls", kPerOs)}, "", false, true), kExitOk);
  EXPECT_NE(out_.str().find("*\x1b[33m0 ok  bind.assumed-ok (ASSUMED)\x1b[0m"), std::string::npos) << out_.str();
}

TEST_F(MultiOsCheck, Check_OneOsFails_ExitsOneListingTheFailureAndTheReproduceCommand) {
  const std::string f = write("fail.pls", "os linux,testos\na = socket(inet, stream)\nb = socket(inet, stream)\n"
                                          "bind(a, 127.0.0.1:7000) = 0\nbind(b, 127.0.0.1:7000) = -1 EADDRINUSE\n");
  ASSERT_EQ(check_os({f}), kExitFailed) << out_.str();
  const std::string out = out_.str();
  EXPECT_NE(out.find("linux: PASS: 2 checks, 0 failed\n"), std::string::npos) << out;
  EXPECT_NE(out.find("testos: FAIL: 2 checks, 1 failed"), std::string::npos) << out;
  EXPECT_NE(out.find("  FAILED at " + f + ":5:1: expected -1 EADDRINUSE, got 0\n"), std::string::npos) << out;
  EXPECT_NE(out.find("  reproduce: portlab check " + f + " --os testos --seed 1 --step-time 1ms\n"), std::string::npos)
      << out;
  EXPECT_EQ(out.find("--os linux --seed"), std::string::npos) << "only failing runs get a reproduce line";
  EXPECT_NE(out.find("FAIL  bind.assumed-ok"), std::string::npos) << out;
}

TEST_F(MultiOsCheck, Check_OsFlag_OverridesTheDirective) {
  const std::string f = write("peros.pls", kPerOs);
  ASSERT_EQ(check_os({f}, "testos"), kExitOk) << out_.str() << err_.str();
  EXPECT_EQ(out_.str().rfind(f + ": os testos, seed 1, 1ms per call\n", 0), 0u) << "one OS: the plain report";
  ASSERT_EQ(check_os({f}, "all"), kExitOk);
  EXPECT_EQ(out_.str().rfind(f + ": 2 OSes", 0), 0u) << out_.str();
  ASSERT_EQ(check_os({f}, "testos, linux"), kExitOk);
  const std::string out = out_.str();
  EXPECT_LT(out.find("testos"), out.find("linux")) << "columns in --os order";
}

TEST_F(MultiOsCheck, Check_BadOsFlag_ExitsTwoAndRunsNothing) {
  const std::string f = write("peros.pls", kPerOs);
  EXPECT_EQ(check_os({f}, "linux,plan9"), kExitBadInput);
  EXPECT_EQ(err_.str(), "portlab: unknown --os 'plan9'; expected one or more of: linux, testos (comma-separated), or all\n");
  EXPECT_EQ(out_.str(), "");
  EXPECT_EQ(check_os({f}, "linux,linux"), kExitBadInput);
  EXPECT_EQ(err_.str(), "portlab: --os names 'linux' twice\n");
  EXPECT_EQ(check_os({f}, "linux,"), kExitBadInput);
}

TEST_F(MultiOsCheck, Check_UnknownOsInScript_ExitsTwoAtItsLocation) {
  const std::string d = write("d.pls", "os linux, tesots\nc = socket(inet, stream)\n");
  EXPECT_EQ(check_os({d}), kExitBadInput);
  EXPECT_EQ(err_.str().rfind(d + ":1:11: error: unknown OS 'tesots'; expected one of: linux, testos\n", 0), 0u)
      << err_.str();
  const std::string h = write("h.pls", "host a 10.0.0.1 os=windoze\na: c = socket(inet, stream)\n");
  EXPECT_EQ(check_os({h}), kExitBadInput);
  EXPECT_EQ(err_.str().rfind(h + ":1:20: error: unknown OS 'windoze'", 0), 0u) << err_.str();
  const std::string e = write("e.pls", "c = socket(inet, stream)\nclose(c) = 0 @linux = -1 EBADF @macOS\n");
  EXPECT_EQ(check_os({e}, "linux"), kExitBadInput) << "checked even when --os does not need it";
  EXPECT_EQ(err_.str().rfind(e + ":2:33: error: unknown OS 'macOS'", 0), 0u) << err_.str();
  const std::string x = write("x.pls", "c = socket(inet, stream)\nP = port(c)\nexpect P == 0 @bsd\n");
  EXPECT_EQ(check_os({x}), kExitBadInput);
  EXPECT_EQ(err_.str().rfind(x + ":3:16: error: unknown OS 'bsd'", 0), 0u) << err_.str();
  EXPECT_EQ(out_.str(), "");
}

TEST_F(MultiOsCheck, Check_ExpectLineForOtherOses_IsSkippedNotFailed) {
  const std::string f = write("x.pls", "a = socket(inet, stream)\nbind(a, 127.0.0.1:7000) = 0\nP = port(a)\n"
                                       "expect P == 1 @testos\nexpect P == 7000 @linux\n");
  ASSERT_EQ(check_os({f}, "linux"), kExitOk) << out_.str();
  EXPECT_NE(out_.str().find("expect P == 1 @testos"), std::string::npos);
  EXPECT_NE(out_.str().find("-> (not for linux)"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("PASS: 2 checks, 0 failed"), std::string::npos) << out_.str();
  ASSERT_EQ(check_os({f}, "linux,testos"), kExitFailed) << out_.str();
  EXPECT_NE(out_.str().find("FAILED at " + f + ":4:1: expected == 1, got 7000"), std::string::npos) << out_.str();
}

TEST_F(MultiOsCheck, Check_StepWithoutAGroupForTheOs_IsNotChecked) {
  const std::string f = write("x.pls", "a = socket(inet, stream)\nclose(a) = -1 EBADF @testos\n");
  ASSERT_EQ(check_os({f}, "linux"), kExitOk) << out_.str();
  EXPECT_NE(out_.str().find("PASS: 0 checks, 0 failed"), std::string::npos) << out_.str();
}

TEST_F(MultiOsCheck, Check_HostWithOwnOs_KeepsItsProfileWhateverTheRunOs) {
  const std::string f = write("cross.pls", "host srv 10.0.0.2 os=testos\nhost cli 10.0.0.1\n"
                                           "srv: a = socket(inet, stream)\nsrv: b = socket(inet, stream)\n"
                                           "srv: bind(a, 10.0.0.2:80) = 0\nsrv: bind(b, 10.0.0.2:80) = 0\n"
                                           "cli: c = socket(inet, stream)\ncli: d = socket(inet, stream)\n"
                                           "cli: bind(c, 10.0.0.1:80) = 0\n"
                                           "cli: bind(d, 10.0.0.1:80) = -1 EADDRINUSE @linux = 0 @testos\n");
  ASSERT_EQ(check_os({f}, "linux", true), kExitOk) << out_.str() << err_.str();
  auto j = nlohmann::json::parse(out_.str());
  EXPECT_EQ(j["os"], "linux");
  EXPECT_EQ(j["host_os"]["srv"], "testos");
  EXPECT_EQ(j["steps"][3]["rule"], "testos.bind.assumed-ok");
  EXPECT_EQ(j["steps"][3]["assumed"], true);
  EXPECT_EQ(j["steps"][7]["rule"], "linux.bind.conflict.no-reuse");
  EXPECT_EQ(j["steps"][7]["assumed"], false);
  ASSERT_EQ(check_os({f}, "linux"), kExitOk);
  EXPECT_EQ(out_.str().rfind(f + ": os linux (srv: testos), seed 1", 0), 0u) << out_.str();
  ASSERT_EQ(check_os({f}, "linux,testos"), kExitOk) << out_.str();
  EXPECT_NE(out_.str().find("; hosts with their own OS: srv=testos"), std::string::npos) << out_.str();
}

TEST_F(MultiOsCheck, Check_SysctlForOtherOses_IsCheckedAgainstTheirKnobsOnly) {
  const std::string ok = write("s.pls", "sysctl net.ipv4.tcp_tw_reuse=1 @testos\nc = socket(inet, stream)\n");
  EXPECT_EQ(check_os({ok}, "linux"), kExitOk) << err_.str();
  EXPECT_NE(out_.str().find("-> (not for linux)"), std::string::npos) << out_.str();
  const std::string bad = write("b.pls", "sysctl net.ipv4.tcp_tw_reuses=1 @testos\n");
  EXPECT_EQ(check_os({bad}, "linux"), kExitBadInput);
  EXPECT_EQ(err_.str().rfind(bad + ":1:8: error: unknown sysctl 'net.ipv4.tcp_tw_reuses' for the testos profile", 0),
            0u)
      << err_.str();
}

TEST_F(MultiOsCheck, Check_MultiOsJson_IsOneDocumentWithARunPerOs) {
  ASSERT_EQ(check_os({write("peros.pls", kPerOs)}, "", true), kExitOk) << out_.str();
  auto j = nlohmann::json::parse(out_.str());
  EXPECT_EQ(j["ok"], true);
  ASSERT_EQ(j["runs"].size(), 2u);
  EXPECT_EQ(j["runs"][0]["os"], "linux");
  EXPECT_EQ(j["runs"][1]["os"], "testos");
  EXPECT_EQ(j["runs"][0]["steps"][3]["result"], "-1 EADDRINUSE");
  EXPECT_EQ(j["runs"][0]["steps"][3]["assumed"], false);
  EXPECT_EQ(j["runs"][1]["steps"][3]["result"], "0");
  EXPECT_EQ(j["runs"][1]["steps"][3]["assumed"], true);
  EXPECT_EQ(j["runs"][1]["steps"][3]["expected"], "0");
}

TEST_F(MultiOsCheck, Check_OsAll_RunsEveryOsButNotTheVersionVariants) {
  out_.str("");
  err_.str("");
  CheckArgs a;
  a.files = {write("any.pls", "c = socket(inet, stream)\nclose(c) = 0\n")};
  a.os = "all";
  const int rc = run_check_command(a, out_, err_);
  ASSERT_NE(rc, kExitBadInput) << err_.str();
  for (const model::Profile* p : model::all_profiles()) {
    const bool shown = out_.str().find("\n" + std::string(p->name) + ": ") != std::string::npos;
    EXPECT_EQ(shown, p->variant_of.empty()) << p->name << "\n" << out_.str();
  }
}

TEST(RulesCommand, Rules_ListOs_PrintsEveryRegisteredProfile) {
  std::ostringstream out, err;
  RulesArgs a;
  a.list_os = true;
  ASSERT_EQ(run_rules_command(a, test_registry(), out, err), kExitOk);
  EXPECT_EQ(out.str(), "linux\ntestos\n");
}

TEST(RulesCommand, Rules_Markdown_HasAHeadingPerOsWithKnobsAndAssumptions) {
  std::ostringstream out, err;
  RulesArgs a;
  a.format = "markdown";
  ASSERT_EQ(run_rules_command(a, test_registry(), out, err), kExitOk);
  const std::string md = out.str();
  EXPECT_EQ(md.rfind("# Rules of the linux profile\n", 0), 0u);
  EXPECT_NE(md.find("\n# Rules of the testos profile\n"), std::string::npos);
  EXPECT_NE(md.find("\n## Knobs\n"), std::string::npos);
  EXPECT_NE(md.find("| `net.ipv4.tcp_tw_reuse` | `2` |"), std::string::npos) << md;
  const auto testos = md.substr(md.find("# Rules of the testos profile"));
  const auto assumptions = testos.substr(testos.find("## Assumptions"));
  EXPECT_NE(assumptions.find("| `testos.bind.assumed-ok` | every bind() succeeds"), std::string::npos) << assumptions;
}

TEST(RulesCommand, Rules_WriteDocs_WritesOneMarkdownFilePerProfile) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("portlab-rules-docs-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
  std::filesystem::remove_all(dir);
  std::ostringstream out, err;
  RulesArgs a;
  a.write_docs = dir.string();
  ASSERT_EQ(run_rules_command(a, test_registry(), out, err), kExitOk) << err.str();
  std::ostringstream md_out;
  RulesArgs one;
  one.os = "testos";
  one.format = "markdown";
  ASSERT_EQ(run_rules_command(one, test_registry(), md_out, err), kExitOk);
  std::ifstream in(dir / "testos.md");
  std::stringstream written;
  written << in.rdbuf();
  EXPECT_EQ(written.str(), md_out.str());
  EXPECT_TRUE(std::filesystem::exists(dir / "linux.md"));
  std::filesystem::remove_all(dir);
}

TEST(RulesCommand, Rules_UnknownOs_ExitsTwo) {
  std::ostringstream out, err;
  RulesArgs a;
  a.os = "plan9";
  EXPECT_EQ(run_rules_command(a, test_registry(), out, err), kExitBadInput);
  EXPECT_EQ(err.str(), "portlab: unknown --os 'plan9'; expected one of: linux, testos, or all\n");
}

TEST(RulesCommand, Rules_JsonOverAllProfiles_ListsEveryRuleOnce) {
  std::ostringstream out, err;
  RulesArgs a;
  a.format = "json";
  ASSERT_EQ(run_rules_command(a, test_registry(), out, err), kExitOk);
  auto j = nlohmann::json::parse(out.str());
  std::set<std::string> ids;
  for (const auto& r : j) EXPECT_TRUE(ids.insert(r["id"].get<std::string>()).second) << r["id"];
  EXPECT_TRUE(ids.count("testos.bind.assumed-ok"));
  EXPECT_TRUE(ids.count("linux.bind.ok"));
}

// ---- portlab explore -----------------------------------------------------------------------

class ExploreCommand : public CheckCommand {
 protected:
  int explore(ExploreArgs a) {
    out_.str("");
    err_.str("");
    return run_explore_command(a, out_, err_);
  }
  static ExploreArgs args(const std::string& file) {
    ExploreArgs a;
    a.file = file;
    return a;
  }
};

// The shutdown-then-linger0 race in its smallest form.
constexpr const char* kRace = R"(host client 10.0.0.1
host server 10.0.0.2
server: l = socket(inet, stream)
server: bind(l, 0.0.0.0:80) = 0
server: listen(l, 16) = 0
client: c = socket(inet, stream)
client: connect(c, 10.0.0.2:80) = 0
server: a = accept(l)
never client: count TIME_WAIT >= 1
process app on client {
  setsockopt(c, SO_LINGER, {1, 0}) = 0
  shutdown(c, SHUT_WR) = 0
  close(c) = 0
}
process peer on server {
  close(a) = 0
}
)";

std::string without_stats(const std::string& text) {
  std::istringstream in(text);
  std::string out;
  for (std::string line; std::getline(in, line);)
    if (line.rfind("states ", 0) != 0) out += line + "\n";
  return out;
}

TEST_F(ExploreCommand, Explore_SafeScript_ExitsZeroWithVerdictAndStatistics) {
  EXPECT_EQ(explore(args(write("ok.pls", kConflict))), kExitOk) << err_.str();
  EXPECT_NE(out_.str().find("verdict: safe"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("bytes/state"), std::string::npos) << out_.str();
}

TEST_F(ExploreCommand, Explore_Violation_ExitsOneWithNumberedTraceAndAReplayThatCheckFails) {
  auto a = args(write("race.pls", kRace));
  a.replay_out = (dir_ / "replay.pls").string();
  EXPECT_EQ(explore(a), kExitFailed) << err_.str();
  const std::string out = out_.str();
  EXPECT_NE(out.find("verdict: UNSAFE (never)"), std::string::npos) << out;
  EXPECT_NE(out.find("counterexample (shortest, 9 steps)"), std::string::npos) << out;
  EXPECT_NE(out.find("   9  peer     close(a) = 0"), std::string::npos) << out;
  EXPECT_NE(out.find("  | expect client: count TIME_WAIT < 1"), std::string::npos) << out;
  EXPECT_EQ(check({a.replay_out}), kExitFailed);
  EXPECT_NE(out_.str().find("FAIL: 7 checks, 1 failed"), std::string::npos) << out_.str();
}

TEST_F(ExploreCommand, Explore_OsAll_PrintsAVerdictRowPerOs) {
  auto a = args(write("race.pls", kRace));
  a.os = "all";
  EXPECT_EQ(explore(a), kExitFailed);
  for (const char* os : {"linux ", "freebsd ", "macos ", "windows ", "illumos "})
    EXPECT_NE(out_.str().find(std::string("\n") + os), std::string::npos) << os << "\n" << out_.str();
  EXPECT_EQ(out_.str().find("linux-4.4"), std::string::npos);
}

TEST_F(ExploreCommand, Explore_ParseErrorInABlock_ExitsTwoAndExploresNothing) {
  EXPECT_EQ(explore(args(write("bad.pls", "process p {\n  c = socket(inet, stream)\n"))), kExitBadInput);
  EXPECT_EQ(out_.str(), "");
  EXPECT_NE(err_.str().find("bad.pls:1:1: error: 'process' block is not closed"), std::string::npos) << err_.str();
}

TEST_F(ExploreCommand, Explore_StateLimit_ExitsTwoWithPartialStatistics) {
  auto a = args(write("race.pls", kRace));
  a.max_states = 3;
  EXPECT_EQ(explore(a), kExitBadInput);
  EXPECT_NE(out_.str().find("verdict: unknown: state limit of 3 reached"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("states 3, transitions"), std::string::npos) << out_.str();
  EXPECT_NE(err_.str().find("--max-states"), std::string::npos) << err_.str();
}

TEST_F(ExploreCommand, Explore_Json_HasVerdictStatisticsTraceAndReplay) {
  auto a = args(write("race.pls", kRace));
  a.json = true;
  EXPECT_EQ(explore(a), kExitFailed);
  const auto j = nlohmann::json::parse(out_.str());
  EXPECT_EQ(j["verdict"], "violation");
  EXPECT_GT(j["stats"]["states"].get<int>(), 5);
  EXPECT_EQ(j["counterexample"]["kind"], "never");
  EXPECT_EQ(j["counterexample"]["trace"].size(), 9u);
  EXPECT_NE(j["counterexample"]["replay"].get<std::string>().find("os linux"), std::string::npos);
}

TEST_F(ExploreCommand, Explore_Dot_WritesTheStateGraph) {
  auto a = args(write("race.pls", kRace));
  a.dot = (dir_ / "g.dot").string();
  EXPECT_EQ(explore(a), kExitFailed);
  std::ifstream f(a.dot);
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_EQ(ss.str().rfind("digraph G {", 0), 0u) << ss.str();
  EXPECT_NE(ss.str().find("->"), std::string::npos);
}

TEST_F(ExploreCommand, Explore_SameSeed_PrintsTheSameReportApartFromTimings) {
  const auto file = write("race.pls", kRace);
  explore(args(file));
  const std::string first = out_.str();
  explore(args(file));
  EXPECT_EQ(without_stats(first), without_stats(out_.str()));
  auto two = args(file);
  two.threads = 2;
  explore(two);
  std::string t = without_stats(out_.str());
  const auto at = t.find(", 2 threads");
  ASSERT_NE(at, std::string::npos) << t;
  t.replace(at, std::string(", 2 threads").size(), ", 1 thread");
  EXPECT_EQ(without_stats(first), t);
}

TEST_F(ExploreCommand, Explore_BadTimersOption_ExitsTwo) {
  auto a = args(write("ok.pls", kConflict));
  a.timers = "sometimes";
  EXPECT_EQ(explore(a), kExitBadInput);
  EXPECT_NE(err_.str().find("expected any or idle"), std::string::npos) << err_.str();
}

}  // namespace
}  // namespace portlab::cli
