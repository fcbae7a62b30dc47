// The CLI's subcommands, as functions from arguments to an exit status, so that tests can run
// them without a process.
#pragma once

#include <cstdint>
#include <ostream>
#include <span>
#include <string>
#include <utility>
#include <vector>
#include <optional>

#include "model/profile.h"
#include "model/time.h"
#include "sim/script/ast.h"

namespace portlab::cli {

// Exit statuses shared by every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;    // an expectation did not hold
inline constexpr int kExitBadInput = 2;  // unreadable file, parse error, bad option

struct CheckArgs {
  std::vector<std::string> files;
  bool json = false;
  std::uint64_t seed = 1;
  // "linux", "linux,freebsd,windows" or "all" (every registered profile); "" = each script's
  // `os` directive, else linux. More than one OS: the script runs once per OS and the report is
  // a side-by-side table (text) or {"runs": [...]} (JSON).
  std::string os;
  bool color = false;  // ANSI colours in the side-by-side table (main: stdout is a terminal)
  std::string step_time = "1ms";
  std::string max_virtual_time = "10080m";  // 7 days: sim::CheckOptions::max_virtual_time
};

struct RulesArgs {
  std::string os = "all";  // a profile name or "all"
  std::string format = "text";
  bool list_os = false;     // print the registered profile names, one per line
  std::string write_docs;   // a directory: write DIR/<os>.md (the markdown catalogue) per profile
};

// `portlab conform`: each script on the model and on this machine's kernel (cli/conform.cpp).
struct ConformArgs {
  std::vector<std::string> files;
  std::uint64_t seed = 1;
  double max_wait_seconds = 5.0;  // longer `wait` steps are refused unless allow_slow
  bool allow_slow = false;
  double block_timeout_seconds = 3.0;  // a blocking call still blocked after this is "blocked forever"
};

int run_conform_command(const ConformArgs& args, std::ostream& out, std::ostream& err);

// A script file's text, refusing files over the parser's size limit; nullopt and `why` on failure.
std::optional<std::string> read_script(const std::string& path, std::string& why);

// A duration written as in scripts ("1ms", "250us", "1.5s"); nullopt if malformed.
std::optional<model::Duration> parse_duration(const std::string& text);

int run_check_command(const CheckArgs& args, std::ostream& out, std::ostream& err);

// `--os linux,freebsd` or `--os all` (every OS, not the version variants); on a bad name, `why`
// says so and the list is empty.
std::vector<const model::Profile*> select_os(const std::string& spec, std::span<const model::Profile* const> registry,
                                             std::string& why);

// A script file read and parsed: (script, text), or nullopt after printing the error on `err`.
std::optional<std::pair<sim::script::Script, std::string>> parse_file(const std::string& file, std::ostream& err);

// A script read and parsed, with the OSes to run it under: `os` (as --os) if given, else the
// script's `os` line, else linux. nullopt after printing the located error on `err`.
struct LoadedScript {
  std::string text;
  sim::script::Script script;
  std::vector<const model::Profile*> profiles;
};
std::optional<LoadedScript> load_script(const std::string& file, const std::string& os,
                                        std::span<const model::Profile* const> registry, std::ostream& err);

// `portlab simulate` (cli/simulate_command.cpp).
struct SimulateArgs {
  std::string file;
  std::string os;  // as for check; "" = the script's `os` line, else linux
  std::uint64_t seed = 1;
  std::string duration;        // "" = each workload's own
  bool json = false;
  std::string events;          // FILE: the event log
  std::string csv;             // FILE: the time series
  std::string json_out;        // FILE: the JSON report (besides the text on stdout)
  std::string plot;            // FILE.svg
  bool capacity = false;       // also search the sustainable rate by simulation
  int swarm = 0;               // N random configurations
  int swarm_case = -1;         // re-run one swarm configuration
  bool progress = false;       // progress bar on stderr (main: stderr is a terminal)
  std::uint64_t max_connections = 50'000'000;
  std::string max_virtual_time = "10080m";
  double max_seconds = 600;
};
int run_simulate_command(const SimulateArgs& args, std::ostream& out, std::ostream& err);
// `portlab explore FILE`: every interleaving of the script's processes, timers and choices
// (cli/explore_command.cpp). Exit 0: safe under every OS; 1: a violation (with a shortest
// counterexample); 2: bad input, or a limit stopped the search before an answer.
struct ExploreArgs {
  std::string file;
  std::string os;  // as CheckArgs::os
  std::uint64_t seed = 1;
  bool json = false;
  std::string dot;         // write the state graph (DOT) here
  std::string replay_out;  // write the counterexample's replay script here
  std::uint64_t max_states = 2'000'000;
  std::uint32_t max_depth = 10'000;
  double max_seconds = 300;
  std::uint64_t max_memory_mb = 2048;
  unsigned threads = 1;  // 0: every core
  std::string step_time = "1ms";
  std::size_t max_graph_states = 5000;
  std::string timers = "any";  // "any": a timer may fire between any two steps; "idle": only when no process can step
  // "settle": the network delivers everything after each action; "interleave": segments are held
  // per flow and each delivery is a choice point; "": as the script's `network` line says.
  std::string network;
  std::uint32_t drops = 0;  // with interleave: SYNs that may be lost per run
};
int run_explore_command(const ExploreArgs& args, std::ostream& out, std::ostream& err);
int run_explore_command(const ExploreArgs& args, std::span<const model::Profile* const> registry, std::ostream& out,
                        std::ostream& err);

int run_rules_command(const RulesArgs& args, std::ostream& out, std::ostream& err);

// The same, over an explicit list of profiles instead of model::all_profiles() (tests use a
// registry with test-only profiles). The registry must not be empty.
int run_check_command(const CheckArgs& args, std::span<const model::Profile* const> registry, std::ostream& out,
                      std::ostream& err);
int run_rules_command(const RulesArgs& args, std::span<const model::Profile* const> registry, std::ostream& out,
                      std::ostream& err);

}  // namespace portlab::cli
