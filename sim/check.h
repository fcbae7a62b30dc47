// `portlab check`: runs a scenario script once, step by step, on a World, and reports each
// step's result, the rule that decided it, the TCP states it changed, and whether the script's
// expectations held.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <string>
#include <vector>

#include "model/errno.h"
#include "model/profile.h"
#include "model/rule.h"
#include "model/time.h"
#include "sim/script/ast.h"
#include "sim/script/diagnostic.h"
#include "sim/world.h"

namespace portlab::sim {

struct StepReport {
  int line = 0;
  int column = 0;
  std::string text;  // the step as written
  std::string host;  // empty for steps that are not about one host
  std::string result;  // "0", "-1 EADDRINUSE", "3", "[::1]:80", "blocked forever", "" for wait/sysctl
  std::optional<std::int64_t> value;
  model::Errno err = model::Errno::ok;
  std::string expected;  // "" when the step states no expectation
  bool checked = false;  // the step had an expectation (call with `= ...`, or `expect`)
  bool ok = true;
  const model::Rule* rule = nullptr;
  bool assumed = false;  // the deciding rule's confidence is `assumed`: the result rests on an assumption
  bool skipped = false;  // an `expect ... @OS` line for other OSes: not evaluated in this run
  std::vector<std::string> changes;  // "client 10.0.0.1:5000 -> 10.0.0.2:80 ESTABLISHED -> FIN-WAIT-1"
  std::vector<std::string> events;   // timers and other happenings during the step
  std::string message;               // why a check failed
  model::TimePoint at{};             // virtual time when the step ended
  model::Duration waited{};          // how long a blocking call blocked
  bool would_block = false;          // StepRunner with deferred blocking: the call cannot complete yet
  std::optional<model::CallResult> call_result;  // a call that ran: its result (for call properties)
};

struct CheckReport {
  std::string file;
  std::uint64_t seed = 0;
  std::string os;  // the profile the run is under (hosts with `os=` keep their own, see host_os)
  std::vector<std::pair<std::string, std::string>> host_os;  // hosts declared with `os=`: (host, os)
  model::Duration step_time{};
  std::vector<StepReport> steps;
  int checks = 0;
  int failures = 0;
  bool ok() const { return failures == 0; }
};

struct CheckOptions {
  std::uint64_t seed = 1;
  // Virtual time that passes before each call: real programs are never instantaneous, and the
  // kernel's ISN clock (64 ns ticks) and timestamp clock (1 ms) must move between two
  // connections for RFC 6191 TIME-WAIT reuse to work as on a real host. An explicit
  // assumption, printed in every report; 0 makes all calls simultaneous.
  model::Duration step_time = std::chrono::milliseconds(1);
  const model::Profile* profile = nullptr;  // default: Linux
  // The profiles OS names in the script (`os`, `host ... os=`, `@OS`) are resolved against;
  // empty: model::all_profiles().
  std::span<const model::Profile* const> registry = {};
  // Limits: a script that exceeds one gets a located error before anything runs (or, when only the
  // run itself can tell, a failed step that stops the run), never an abort or a hang.
  // Virtual time the whole run may cover: the sum of `wait` steps and per-call step times is
  // checked before the run; a blocking call that carries the clock past it stops the run.
  model::Duration max_virtual_time = std::chrono::hours(24 * 7);
  // Hold segments per flow (`network interleave`) or not, whatever the script's `network` line
  // says; nullopt: as the script says. `portlab explore --network`.
  std::optional<bool> network_interleave = std::nullopt;
};

// The largest value CheckOptions::max_virtual_time (and --max-virtual-time) accepts: 100 years,
// far below the 292 years at which the 64-bit nanosecond clock would overflow.
inline constexpr model::Duration kMaxVirtualTimeLimit = std::chrono::hours(24 * 365 * 100);

// Exactly one is set: a report, or a located error found before anything ran.
struct CheckRun {
  std::optional<CheckReport> report;
  std::optional<script::Diagnostic> error;
};

// `source` is the script's text (for quoting lines in diagnostics). The run is under
// options.profile; a host declared with `os=NAME` runs NAME's profile instead. Expected results
// and `@OS` lines are chosen by options.profile's name. Every OS name in the script must name a
// profile of the registry (else a located error, before anything runs).
CheckRun run_check(const script::Script& script, std::string_view source, const CheckOptions& options);

// The profiles a script is about: its `os` directive resolved against `registry` (empty:
// model::all_profiles()), or linux when it has none. Exactly one is set.
struct OsSelection {
  std::vector<const model::Profile*> profiles;
  std::optional<script::Diagnostic> error;  // an unknown OS name, located
};
OsSelection script_profiles(const script::Script& script, std::string_view source,
                            std::span<const model::Profile* const> registry = {});

// Human-readable report: one block per step.
std::string format_text(const CheckReport& report);
// The same as one JSON document.
std::string format_json(const CheckReport& report);

// A script variable during a run: a socket's descriptor or an integer.
struct VarValue {
  bool is_socket = false;
  std::size_t host = 0;
  std::optional<std::int64_t> value;  // nullopt when the defining call failed
  friend bool operator==(const VarValue&, const VarValue&) = default;
};
using Variables = std::map<std::string, VarValue, std::less<>>;

// The check engine one step at a time, for engines that choose the order of the steps themselves
// (`portlab explore`): the same validation, the same world, the same execution of every step, so
// that a path found by another engine replays with `portlab check` to the same results.
class StepRunner {
 public:
  StepRunner(const script::Script& script, std::string_view source, const CheckOptions& options);
  ~StepRunner();
  StepRunner(const StepRunner&) = delete;
  StepRunner& operator=(const StepRunner&) = delete;

  // As run_check does before running: nullopt, or a located error.
  std::optional<script::Diagnostic> validate();
  // The world at time zero, as check builds it. With `defer_blocking`, accept/recv/send that must
  // wait report StepReport::would_block instead (World::set_defer_blocking).
  World make_world(bool defer_blocking) const;
  // Runs one step (a step of the script, of one of its processes, or a property's expression) as
  // check does: a call advances the step time first. `detail` fills StepReport::changes/events.
  StepReport run(const script::Step& step, World& world, Variables& vars, bool detail) const;
  const model::Profile& profile() const;
  const std::vector<std::string>& host_names() const;
  // Whether segments are held per flow (`network interleave`, or CheckOptions::network_interleave).
  bool interleave() const;
  // Whether a call's result matches `ex` (`!=` negates), with the variables of `vars` (not changed).
  bool matches(const script::Expectation& ex, const model::CallResult& result, Variables& vars) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The steps check runs for a script with process blocks: the steps before the processes, each
// process in declaration order (loops unrolled, the first branch of every choose), then the steps
// after them. For a script without processes, its steps.
std::vector<const script::Step*> linear_steps(const script::Script& script);

// Line `line` (1-based) of `source`, without its terminator: what a diagnostic quotes.
std::string source_line(std::string_view source, int line);
// The profile of `registry` named `name`, or nullptr.
const model::Profile* find_in(std::span<const model::Profile* const> registry, std::string_view name);
// "linux, freebsd, ...": the registry's names, for messages.
std::string known_os(std::span<const model::Profile* const> registry);

// Rules that belong to the simulator rather than to an OS.
namespace sim_rule {
extern const model::Rule blocked_forever;
extern const model::Rule no_descriptor;
extern const model::Rule limit_exceeded;
}  // namespace sim_rule

}  // namespace portlab::sim
