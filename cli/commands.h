// The CLI's subcommands, as functions from arguments to an exit status, so that tests can run
// them without a process.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace portlab::cli {

// Exit statuses shared by every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;    // an expectation did not hold
inline constexpr int kExitBadInput = 2;  // unreadable file, parse error, bad option

struct CheckArgs {
  std::vector<std::string> files;
  bool json = false;
  std::uint64_t seed = 1;
  std::string os = "linux";
};

struct RulesArgs {
  std::string os = "linux";
  std::string format = "text";
};

int run_check_command(const CheckArgs& args, std::ostream& out, std::ostream& err);
int run_rules_command(const RulesArgs& args, std::ostream& out, std::ostream& err);

}  // namespace portlab::cli
