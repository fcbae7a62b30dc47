// `portlab bench-report`: pairing of real and model entries, the agreement verdict, the SVG chart,
// and clear errors (exit 2) for a missing file, malformed JSON and JSON that is not Google
// Benchmark's.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "cli/bench_report.h"

namespace portlab::cli {
namespace {

const std::string kFixture = std::string(PORTLAB_CLI_TESTDATA) + "/bench_small.json";

class CliBenchReport : public ::testing::Test {
 protected:
  int run(BenchReportArgs a) {
    out_.str("");
    err_.str("");
    return run_bench_report_command(a, out_, err_);
  }
  std::filesystem::path tmp(const std::string& name) {
    auto d = std::filesystem::temp_directory_path() /
             ("portlab-bench-report-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::create_directories(d);
    return d / name;
  }
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(CliBenchReport, PairsRealAndModelAndJudgesAgreement) {
  ASSERT_EQ(run({{kFixture}, "", false, ""}), 0) << err_.str();
  const std::string o = out_.str();
  EXPECT_NE(o.find("kernel Linux 6.18.0-test"), std::string::npos) << o;
  // Same failures and TIME-WAIT: agrees.
  const auto row1 = o.substr(o.find("ephemeral_graceful_tw0"));
  EXPECT_TRUE(std::regex_search(row1.substr(0, row1.find('\n')),
                                std::regex("connect_EADDRNOTAVAIL x500 +connect_EADDRNOTAVAIL x500 +500 +500 ")))
      << o;
  EXPECT_EQ(row1.substr(0, row1.find('\n')).substr(row1.find('\n') - 3, 3), "yes") << o;
  // The model predicts no failure where the kernel fails 999 times: disagrees.
  const auto row2 = o.substr(o.find("fixed_reuseaddr_graceful_ts0"));
  EXPECT_EQ(row2.substr(0, row2.find('\n')).substr(row2.find('\n') - 2, 2), "NO") << o;
  // A benchmark that could not run shows its error; it is not compared.
  EXPECT_NE(o.find("error: unshare(CLONE_NEWNET): EPERM"), std::string::npos) << o;
  EXPECT_NE(o.find("1 of 2 strategies"), std::string::npos) << o;
  EXPECT_NE(o.find("min 3.3x (ephemeral_graceful_tw0)"), std::string::npos) << o;
  EXPECT_NE(o.find("target 200x: missed"), std::string::npos) << o;
  // Micro-benchmarks are listed (aggregates skipped) and the bind-check flatness is summarised.
  EXPECT_NE(o.find("BM_BindConflictCheck/10/1000000"), std::string::npos) << o;
  EXPECT_EQ(o.find("_mean"), std::string::npos) << o;
  EXPECT_NE(o.find("161 ns with 1000 sockets on other ports, 170 ns with 1000000 (1.06x)"), std::string::npos) << o;
}

TEST_F(CliBenchReport, MarkdownAndSvg) {
  const auto svg = tmp("rates.svg");
  const auto md = tmp("report.md");
  ASSERT_EQ(run({{kFixture}, svg.string(), true, md.string()}), 0) << err_.str();
  EXPECT_TRUE(out_.str().empty());
  std::ifstream mdin(md);
  const std::string m((std::istreambuf_iterator<char>(mdin)), {});
  EXPECT_NE(m.find("| strategy | rate measured /s |"), std::string::npos) << m;
  EXPECT_NE(m.find("|---|"), std::string::npos) << m;
  std::ifstream in(svg);
  const std::string s((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(s.rfind("<svg", 0), 0u) << s;
  EXPECT_NE(s.find(">ephemeral_graceful_tw0</text>"), std::string::npos);
  EXPECT_NE(s.find("</svg>"), std::string::npos);
  std::filesystem::remove_all(svg.parent_path());
}

TEST_F(CliBenchReport, MissingFileIsBadInput) {
  EXPECT_EQ(run({{"/nonexistent/bench.json"}, "", false, ""}), 2);
  EXPECT_NE(err_.str().find("bench-report: cannot read /nonexistent/bench.json"), std::string::npos) << err_.str();
  EXPECT_TRUE(out_.str().empty());
}

TEST_F(CliBenchReport, MalformedJsonIsBadInput) {
  const auto p = tmp("bad.json");
  std::ofstream(p) << R"({"benchmarks": [ {"name": "x", )";
  EXPECT_EQ(run({{kFixture, p.string()}, "", false, ""}), 2);
  EXPECT_NE(err_.str().find("malformed JSON"), std::string::npos) << err_.str();
  EXPECT_TRUE(out_.str().empty());
  std::filesystem::remove_all(p.parent_path());
}

TEST_F(CliBenchReport, JsonThatIsNotGoogleBenchmarkIsBadInput) {
  const auto p = tmp("other.json");
  std::ofstream(p) << R"({"runs": []})";
  EXPECT_EQ(run({{p.string()}, "", false, ""}), 2);
  EXPECT_NE(err_.str().find("not Google Benchmark JSON"), std::string::npos) << err_.str();
  std::ofstream(p) << R"({"benchmarks": [ {"real_time": 1} ]})";
  EXPECT_EQ(run({{p.string()}, "", false, ""}), 2);
  EXPECT_NE(err_.str().find("without a name"), std::string::npos) << err_.str();
  std::filesystem::remove_all(p.parent_path());
}

}  // namespace
}  // namespace portlab::cli
