// libFuzzer target: parse, then `simulate` every workload on one profile (chosen by the input's
// hash, as fuzz_check does) under tight limits (2 s of virtual time sampled every 100 ms, 250
// connection attempts, 2 s of wall time), so that fuzzed rates and durations end quickly.
// Invariants: exactly one of report and located error; counts that add up; the JSON report
// re-parses; the same seed gives the same report byte for byte.
//
// The limits are set for speed: with the default 200 samples per run, printing and re-parsing
// the time series cost more than the simulation, and 5 s with 3000 connections ran about 300
// inputs/s on one core, too slow for a 10^7-execution run (docs/robustness.md). At 1000
// attempts the corpus drifted to high-rate workloads and the run slowed to about 960/s; a small
// port range (a sysctl in the script) still reaches exhaustion within 250.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz/invariants.h"
#include "sim/simulate.h"

namespace {

std::vector<std::string> simulate_invariants(const portlab::sim::script::Script& script,
                                             const portlab::sim::SimulateRun& run, const std::string& json) {
  std::vector<std::string> v;
  if (run.report.has_value() == run.error.has_value()) {
    v.push_back("run_simulate must set exactly one of report and error");
    return v;
  }
  if (run.error) {
    if (run.error->message.empty()) v.push_back("simulate error with an empty message");
    return v;
  }
  const auto& r = *run.report;
  if (r.workloads.size() != script.workloads.size()) v.push_back("one report per workload expected");
  for (const auto& w : r.workloads) {
    if (w.successes > w.attempts) v.push_back("workload " + w.name + ": more successes than attempts");
    std::uint64_t client_failures = 0;
    for (const auto& [k, st] : w.failures_by_kind) {
      if (st.count == 0) v.push_back("workload " + w.name + ": a failure kind with no failure");
      if (k.side == "client") client_failures += st.count;
    }
    if (client_failures != w.failures) v.push_back("workload " + w.name + ": failures do not add up by kind");
    if (w.successes + w.failures > w.attempts) v.push_back("workload " + w.name + ": more outcomes than attempts");
    if (w.achieved_rate < 0) v.push_back("workload " + w.name + ": negative rate");
  }
  const auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded()) v.push_back("the JSON report does not parse");
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = portlab::sim::script::parse_script(text, std::string(portlab::fuzz::kFuzzFile));
  if (!parsed.script || parsed.script->workloads.empty()) return 0;
  portlab::sim::SimulateOptions o;
  o.profile = portlab::fuzz::fuzz_options(text).profile;
  o.duration = std::chrono::seconds(2);
  o.sample_interval = std::chrono::milliseconds(100);
  o.max_connections = 250;
  o.max_wall_seconds = 2;
  o.max_virtual_time = std::chrono::hours(1);
  const auto run = portlab::sim::run_simulate(*parsed.script, text, o);
  const std::string json = run.report ? portlab::sim::format_simulate_json(*run.report) : std::string();
  portlab::fuzz::die_on(simulate_invariants(*parsed.script, run, json), text);
  // A run stopped by its attempt limit must repeat exactly; one stopped by wall time need not.
  if (!run.report || run.report->stopped_by_wall_clock) return 0;
  const auto again = portlab::sim::run_simulate(*parsed.script, text, o);
  if (!again.report || portlab::sim::format_simulate_json(*again.report) != json)
    portlab::fuzz::die_on({"two simulations with the same seed printed different reports"}, text);
  return 0;
}
