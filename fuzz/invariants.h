// What must hold for every input, whatever its bytes: the properties the fuzz targets check
// (fuzz/fuzz_*.cpp) and that the regression test replays in every build
// (tests/robustness/fuzz_regressions_test.cpp). Each function returns the violated invariants,
// one sentence each; an empty list means every invariant held.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sim/check.h"
#include "sim/script/parser.h"

namespace portlab::fuzz {

// The file name every fuzz input is parsed under.
inline constexpr std::string_view kFuzzFile = "fuzz.pls";

// parse_script: exactly one of script/error; every SourceLoc (of the error, of every step and of
// every node inside it) lies on a line of `text` at a column inside that line (or one past its
// end); the parser's limits hold; variables are bound before use; host prefixes name hosts.
std::vector<std::string> parse_invariants(std::string_view text, const sim::script::ParseResult& result);

// Scripts whose loops expand to more steps than this are left to the limits tests: each step of
// `check` reports the host's connection table, so a loop of a few hundred iterations that opens a
// socket each time costs O(steps x sockets), 30-40 s an input under ASan and libFuzzer's
// coverage, which starved the json target to ~110 executions/s (2026-11-26).
inline constexpr std::size_t kFuzzMaxSteps = 1000;
bool too_many_steps_for_fuzzing(const sim::script::Script& script);

// The options the check targets run with: a profile and a seed chosen by the input's bytes
// (every profile in model::all_profiles() is reached),
// the default step time and the default limits.
sim::CheckOptions fuzz_options(std::string_view text);

// run_check: exactly one of report/error; a located error lies inside the text; a report has one
// step per script step, at the script step's line and column, counts its checks and failures
// right, never moves time backwards, gives every call that ran a rule, and stays within the
// virtual-time limit (a run that overshoots stops with sim.limit-exceeded).
std::vector<std::string> check_invariants(std::string_view text, const sim::script::Script& script,
                                          const sim::CheckOptions& options, const sim::CheckRun& run);

// format_json: parses with nlohmann-json and has one step per script step, with the report's
// line, column, ok and rule; format_text ends with the verdict line.
std::vector<std::string> output_invariants(const sim::script::Script& script, const sim::CheckReport& report);

// Everything: parse; on success check twice with the same options (the two text and JSON
// reports must be byte for byte equal); then the output invariants.
std::vector<std::string> all_invariants(std::string_view text);

// Prints the violations to stderr and aborts if there are any (for the fuzz targets).
void die_on(const std::vector<std::string>& violations, std::string_view text);

}  // namespace portlab::fuzz
