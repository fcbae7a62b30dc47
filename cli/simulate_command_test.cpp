// `portlab simulate` as a user meets it: the reproduce line, exit statuses, outputs, swarm mode.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "cli/commands.h"

namespace portlab::cli {
namespace {

class SimulateCommand : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& text) {
    auto path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }
  int run(SimulateArgs a) {
    out_.str("");
    err_.str("");
    return run_simulate_command(a, out_, err_);
  }
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("portlab-sim-test-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
  std::ostringstream out_;
  std::ostringstream err_;
};

// 1000 ports, 60 s TIME-WAIT: 16.7/s sustainable; 25/s fails from 40 s on.
constexpr const char* kExhaust = R"(host client 10.0.0.1
host server 10.0.0.2
sysctl client net.ipv4.ip_local_port_range=40000 40999
workload w {
  client client
  server server 10.0.0.2:80
  rate 25/s
  duration 60s
  expect failures == 0
}
)";

TEST_F(SimulateCommand, FirstLine_IsTheSeedAndOptions) {
  SimulateArgs a;
  a.file = write("x.pls", kExhaust);
  a.seed = 42;
  run(a);
  EXPECT_EQ(out_.str().substr(0, out_.str().find('\n')), "SEED=42 options=--os linux");
}

TEST_F(SimulateCommand, FailedExpectation_ExitsOne_AndPrintsTheCommandThatReproducesIt) {
  SimulateArgs a;
  a.file = write("x.pls", kExhaust);
  a.seed = 7;
  EXPECT_EQ(run(a), kExitFailed);
  EXPECT_NE(out_.str().find("FAIL line 9: expect failures == 0"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("reproduce: portlab simulate " + a.file + " --os linux --seed 7"), std::string::npos)
      << out_.str();
}

TEST_F(SimulateCommand, Json_HasOneRunPerOs_WithTimeSeries) {
  SimulateArgs a;
  std::string script = kExhaust;
  script.replace(script.find("40999") + 5, 0, " @linux");
  a.file = write("x.pls", script);
  a.json = true;
  a.os = "linux,macos";
  run(a);
  const std::string text = out_.str().substr(out_.str().find('\n') + 1);
  auto j = nlohmann::json::parse(text);
  ASSERT_EQ(j["runs"].size(), 2u);
  EXPECT_EQ(j["runs"][0]["os"], "linux");
  EXPECT_EQ(j["runs"][1]["os"], "macos");
  EXPECT_GT(j["runs"][0]["samples"].size(), 100u);
  EXPECT_GT(j["runs"][0]["workloads"][0]["failures"].get<int>(), 0);
}

TEST_F(SimulateCommand, Plot_WritesAnSvg_AndRefusesOtherFormats) {
  SimulateArgs a;
  a.file = write("x.pls", kExhaust);
  a.plot = (dir_ / "out.svg").string();
  run(a);
  std::ifstream svg(a.plot);
  std::stringstream ss;
  ss << svg.rdbuf();
  EXPECT_NE(ss.str().find("<svg"), std::string::npos);
  EXPECT_NE(ss.str().find("TIME-WAIT"), std::string::npos);
  a.plot = (dir_ / "out.png").string();
  EXPECT_EQ(run(a), kExitBadInput);
  EXPECT_NE(err_.str().find("SVG only"), std::string::npos);
}

TEST_F(SimulateCommand, Csv_HasAHeaderAndOneRowPerSampleAndHost) {
  SimulateArgs a;
  a.file = write("x.pls", kExhaust);
  a.csv = (dir_ / "out.csv").string();
  run(a);
  std::ifstream csv(a.csv);
  std::string header, row;
  std::getline(csv, header);
  EXPECT_EQ(header.rfind("os,t_s,host,", 0), 0u);
  int rows = 0;
  while (std::getline(csv, row)) ++rows;
  EXPECT_EQ(rows % 2, 0);
  EXPECT_GT(rows, 200);
}

TEST_F(SimulateCommand, ParseErrorOrBadOption_ExitsTwo) {
  SimulateArgs a;
  a.file = write("bad.pls", "workload w {\n  rate 10/s\n}\n");
  EXPECT_EQ(run(a), kExitBadInput);
  EXPECT_NE(err_.str().find("bad.pls:3:1: error: workload 'w' has no server"), std::string::npos) << err_.str();
  a.file = write("x.pls", kExhaust);
  a.duration = "soon";
  EXPECT_EQ(run(a), kExitBadInput);
  a.duration = "";
  a.os = "plan9";
  EXPECT_EQ(run(a), kExitBadInput);
}

TEST_F(SimulateCommand, Limits_StopTheRunWithAClearMessage) {
  SimulateArgs a;
  a.file = write("x.pls", kExhaust);
  a.max_connections = 100;
  EXPECT_EQ(run(a), kExitFailed);
  EXPECT_NE(out_.str().find("stopped: the run reached the limit of 100 connection attempts"), std::string::npos)
      << out_.str();
}

TEST_F(SimulateCommand, Capacity_PrintsClosedFormAndSimulatedSideBySide) {
  SimulateArgs a;
  a.file = write("x.pls", kExhaust);
  a.capacity = true;
  run(a);
  EXPECT_NE(out_.str().find("16.67/s"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("capacity (simulated)"), std::string::npos) << out_.str();
}

TEST_F(SimulateCommand, Swarm_ReportsFailingConfigurations_AndItsCaseReproduces) {
  SimulateArgs a;
  a.file = write("x.pls", kExhaust);
  a.swarm = 6;
  a.duration = "20s";
  const int rc = run(a);
  const std::string out = out_.str();
  EXPECT_NE(out.find("swarm: 6 configuration(s)"), std::string::npos) << out;
  const auto at = out.find("--swarm-case ");
  if (rc == kExitFailed) {
    ASSERT_NE(at, std::string::npos) << out;
    SimulateArgs b = a;
    b.swarm = 0;
    b.swarm_case = std::stoi(out.substr(at + 13));
    EXPECT_EQ(run(b), kExitFailed) << out_.str();
  } else {
    EXPECT_EQ(at, std::string::npos);
  }
}

}  // namespace
}  // namespace portlab::cli
