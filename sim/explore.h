// `portlab explore`: every interleaving of a script's processes, timers and choices, searched
// breadth-first over canonical states, so that the first counterexample found is a shortest one.
//
// The atomic actions (the edges of the state graph) are:
//   - one step of one enabled process, run exactly as `portlab check` runs a step (the step time
//     passes, the call runs, the network settles at zero latency);
//   - firing the earliest pending timer of the world (virtual time jumps to its deadline: a
//     `wait` in the replay script);
//   - a process choosing one branch of a `choose`;
//   - with `network interleave`: delivering the segment at the head of one flow (a `deliver` step
//     in the replay script). Segments are then held per flow instead of arriving at once;
//   - with `network interleave` and max_drops > 0: losing the SYN at the head of one flow (a `drop`
//     step), at most max_drops times per run.
// An accept, recv or send that would wait for another process makes its process not enabled until
// it can complete. Every counterexample is therefore a linear sequence of steps and waits: a
// `portlab check` script that replays it to the same failure.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/profile.h"
#include "model/time.h"
#include "sim/script/ast.h"
#include "sim/script/diagnostic.h"

namespace portlab::sim {

struct ExploreLimits {
  std::uint64_t max_states = 2'000'000;
  std::uint32_t max_depth = 10'000;
  double max_seconds = 300;
  std::uint64_t max_memory_bytes = std::uint64_t{2} << 30;  // resident set size
};

struct ExploreOptions {
  std::uint64_t seed = 1;
  model::Duration step_time = std::chrono::milliseconds(1);  // as CheckOptions::step_time
  const model::Profile* profile = nullptr;                    // default: Linux
  std::span<const model::Profile* const> registry = {};
  ExploreLimits limits;
  unsigned threads = 1;  // level-synchronous BFS; the verdict and counterexample do not depend on it
  bool graph = false;    // keep the state graph (DOT, cycle analysis), up to max_graph_states states
  std::size_t max_graph_states = 5000;
  bool keep_fingerprints = false;  // ExploreReport::fingerprints (tests)
  // Timers are choice points at every state (false), or fire only when no process can take a
  // step (true: "the application is never slower than the kernel's timers"; --timers idle).
  bool timers_when_idle = false;
  // Segments held per flow, each delivery a choice point (true: `--network interleave`), or the
  // network settling after every action (false); nullopt: as the script's `network` line says.
  std::optional<bool> network_interleave = std::nullopt;
  // With network interleave: at most this many SYNs may be lost in one run (each loss a choice
  // point: "drop the head of flow F" when it is a SYN). Assumption sim.loss-syn-only: the model
  // retransmits only SYNs, so no other segment may be lost.
  std::uint32_t max_drops = 0;
};

struct ExploreStats {
  std::uint64_t states = 0;       // distinct states stored
  std::uint64_t transitions = 0;  // edges followed, including those into known states
  std::uint32_t depth = 0;        // BFS levels: the longest shortest path from the initial state
  double seconds = 0;
  double states_per_second = 0;
  double bytes_per_state = 0;  // the visited set and the parent links, per stored state
  std::uint64_t peak_rss_bytes = 0;
  // Hash compaction: states are stored as 64-bit fingerprints. The probability that some state
  // was taken for another and not explored is at most states^2 / 2^65.
  double omission_probability = 0;
};

enum class Verdict : std::uint8_t { safe, violation, limit };

struct TraceStep {
  int number = 0;
  std::string who;     // a process name ("main" for the steps outside processes), "timer" or "network"
  std::string what;    // the step as written, "wait 60s", or "choose branch 2"
  std::string result;  // "0", "-1 EADDRNOTAVAIL", "blocked forever", ""
  std::string rule;    // the deciding rule id, or ""
  int line = 0;        // of the step in the script (0 for timers)
  std::vector<std::string> events;  // timers fired, segments that changed states
  bool failed = false;              // this step is the violation
};

struct Counterexample {
  std::string kind;     // "expectation", "always", "never", "deadlock" (a call property: "always"/"never")
  std::string message;  // what failed, with file:line:col
  std::vector<TraceStep> trace;
  std::string replay;  // a linear script: `portlab check` on it fails the same way
};

struct ExploreReport {
  std::string file;
  std::string os;
  std::uint64_t seed = 0;
  unsigned threads = 1;
  bool interleave = false;      // the network held segments per flow (network interleave)
  std::uint32_t max_drops = 0;  // SYN losses allowed per run
  Verdict verdict = Verdict::safe;
  std::string limit_message;  // Verdict::limit: which limit, and where
  ExploreStats stats;
  std::optional<Counterexample> counterexample;
  // With ExploreOptions::graph: strongly connected components with a cycle (a run that goes
  // round for ever without a process finishing), and the graph as DOT.
  std::size_t cycles = 0;
  std::string dot;
  std::vector<std::uint64_t> fingerprints;  // sorted; with keep_fingerprints
};

struct ExploreRun {
  std::optional<ExploreReport> report;
  std::optional<script::Diagnostic> error;  // bad input, found before the search
};

ExploreRun run_explore(const script::Script& script, std::string_view source, const ExploreOptions& options);

// The fingerprints of the states one random run passes through (a seeded random choice among the
// enabled actions at every state, until none is left or `max_steps`): for checking that the
// search misses nothing a simulation can reach.
std::vector<std::uint64_t> random_run_fingerprints(const script::Script& script, std::string_view source,
                                                   const ExploreOptions& options, std::uint64_t walk_seed,
                                                   std::size_t max_steps = 10'000);

std::string format_text(const ExploreReport& report);
std::string format_json(const ExploreReport& report);  // one JSON object
std::string_view name(Verdict v);                     // "safe", "UNSAFE", "limit"

}  // namespace portlab::sim
