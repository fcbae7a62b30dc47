// Every input the fuzzers once broke (fuzz/regressions/), and every example and malformed script,
// replayed through the fuzz targets' invariants (fuzz/invariants.h) in the normal builds: parse,
// check twice with the same seed, and the JSON report.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz/invariants.h"

namespace portlab::fuzz {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> files_in(const fs::path& dir, const std::string& ext = "") {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && (ext.empty() || e.path().extension() == ext) && e.path().filename().string()[0] != '.')
      out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += "  - " + s + "\n";
  return out;
}

const fs::path kSource = PORTLAB_SOURCE_DIR;

TEST(FuzzRegressions, EveryRegressionInput_HoldsEveryInvariant) {
  const auto files = files_in(kSource / "fuzz" / "regressions", ".pls");
  ASSERT_FALSE(files.empty()) << "fuzz/regressions/ is empty";
  for (const auto& f : files) {
    const std::string text = read(f);
    const auto v = all_invariants(text);
    EXPECT_TRUE(v.empty()) << f << ":\n" << joined(v);
  }
}

TEST(FuzzRegressions, EveryExampleAndMalformedScript_HoldsEveryInvariant) {
  auto files = files_in(kSource / "examples", ".pls");
  for (const auto& f : files_in(kSource / "tests" / "malformed", ".pls")) files.push_back(f);
  ASSERT_GE(files.size(), 40u);
  for (const auto& f : files) {
    const std::string text = read(f);
    const auto v = all_invariants(text);
    EXPECT_TRUE(v.empty()) << f << ":\n" << joined(v);
  }
}


}  // namespace
}  // namespace portlab::fuzz
