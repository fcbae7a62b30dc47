// `portlab simulate`: runs the reconnect workloads of a script over virtual time on a World with
// a network (latency, jitter, SYN loss, a middlebox), and measures what production would see:
// attempts and failures by call x errno x rule, achieved vs offered rate, TIME-WAIT and
// FIN-WAIT-2 populations, ephemeral port occupancy, connect() search cost and latency, and how
// long each kind of failure lasted. Deterministic: the same script, seed and options give the
// same report and the same event log, byte for byte.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "model/errno.h"
#include "model/profile.h"
#include "model/time.h"
#include "sim/script/ast.h"
#include "sim/script/diagnostic.h"

namespace portlab::sim {

struct SimulateOptions {
  std::uint64_t seed = 1;
  const model::Profile* profile = nullptr;  // default: Linux
  std::span<const model::Profile* const> registry = {};
  // Replaces every workload's own duration.
  std::optional<model::Duration> duration;
  // Replaces every workload's offered rate (the capacity search uses this).
  std::optional<double> rate;
  // Time-series resolution; 0 = the run's length / 200, at least 1 ms.
  model::Duration sample_interval{};
  // One line per event in fixed columns (docs/simulate.md); nullptr: no event log.
  std::ostream* events = nullptr;
  // Limits: a run that would exceed one stops with a clear message (SimulateReport::stopped).
  std::uint64_t max_connections = 50'000'000;  // connection attempts, all workloads together
  model::Duration max_virtual_time = std::chrono::hours(24 * 7);
  double max_wall_seconds = 600;
  // Hosts remember failed connect() port searches (model::Host::set_memoize_port_searches);
  // off only to show that the memo never changes a result.
  bool memoize_port_searches = true;
  // Called now and then with the fraction of virtual time done (for a progress bar).
  std::function<void(double)> progress;
};

// One kind of failure: which side, which call, which errno, which rule.
struct FailureKind {
  std::string side;  // "client" or "server"
  std::string call;  // "bind", "connect", "recv", ...
  model::Errno err = model::Errno::ok;
  std::string rule;  // rule id
  friend auto operator<=>(const FailureKind&, const FailureKind&) = default;
};

struct FailureStats {
  std::uint64_t count = 0;
  model::Duration first_at{};  // since the workload started
  model::Duration last_at{};
  // Outages: from a client's first failure of this kind to its next successful connection.
  std::uint64_t outages = 0;
  model::Duration longest_outage{};
  bool open_at_end = false;  // some client had been failing for over a second when the run ended
  // Transient: every outage ended within a second; blocking: one lasted longer or never ended.
  bool blocking() const { return open_at_end || longest_outage > std::chrono::seconds(1); }
};

struct CapacityEstimate {
  bool derived = true;         // false: no closed form for this combination (the simulation decides)
  std::optional<double> rate;  // connections/s the workload can sustain; nullopt: not limited by ports
  std::string mechanism;       // "28232 ports / 60s TIME-WAIT per destination", ...
  std::vector<std::string> basis;  // the profile decisions and rules the figure rests on
};

struct WorkloadReport {
  std::string name;
  int line = 0;
  std::string strategy;  // "source=ephemeral close=client-first options=- clients=1"
  double offered_rate_from = 0;
  double offered_rate_to = 0;
  model::Duration duration{};
  std::uint64_t attempts = 0;
  std::uint64_t successes = 0;
  std::uint64_t failures = 0;
  std::uint64_t retries = 0;
  std::uint64_t missed_slots = 0;  // arrivals that found their client still busy
  double achieved_rate = 0;        // successes / duration
  std::optional<model::Duration> first_failure;
  std::map<FailureKind, FailureStats> failures_by_kind;
  std::uint64_t time_wait_peak = 0;   // on the host that holds it (client or server)
  std::uint64_t fin_wait2_peak = 0;
  std::uint64_t ephemeral_peak = 0;   // client host
  std::uint64_t probes_total = 0;     // ports examined by connect()/bind(0) searches
  std::uint32_t probes_max = 0;
  std::uint64_t stalls = 0;           // connect() slower than 200 ms (a retransmitted SYN)
  model::Duration latency_p50{}, latency_p90{}, latency_p99{}, latency_max{};
  std::uint64_t server_restarts = 0;
  CapacityEstimate capacity;
  struct Expect {
    int line = 0;
    int column = 0;
    std::string text;
    bool ok = true;
    bool skipped = false;  // an `@OS` line for other OSes
    std::string actual;
  };
  std::vector<Expect> expects;
};

// Per-host counts at one sampling instant.
struct HostSample {
  std::uint32_t time_wait = 0;
  std::uint32_t fin_wait2 = 0;  // sockets and minisockets
  std::uint32_t established = 0;
  std::uint32_t ephemeral_in_use = 0;
  std::uint32_t ephemeral_even = 0;
  std::uint32_t ephemeral_odd = 0;
};

struct Sample {
  model::Duration at{};
  std::uint64_t attempts = 0;   // in the interval that ends here, all workloads
  std::uint64_t successes = 0;
  std::uint64_t failures = 0;
  std::vector<HostSample> hosts;  // parallel to SimulateReport::hosts
};

struct SimulateReport {
  std::string file;
  std::uint64_t seed = 0;
  std::string os;
  std::vector<std::string> hosts;
  std::vector<std::uint32_t> ephemeral_range;  // per host
  model::Duration duration{};                  // virtual time simulated
  model::Duration sample_interval{};
  std::vector<WorkloadReport> workloads;
  std::vector<Sample> samples;
  std::vector<std::string> assumptions;  // named assumptions this run rests on
  std::uint64_t events = 0;              // world events processed (segments delivered, timers fired)
  std::uint64_t segments = 0;
  std::uint64_t syn_lost = 0;
  std::optional<std::string> stopped;  // a limit that ended the run early
  bool stopped_by_wall_clock = false;  // that limit was wall time: the same seed may stop elsewhere
  int checks = 0;
  int failed_checks = 0;
  bool ok() const { return failed_checks == 0 && !stopped; }
};

struct SimulateRun {
  std::optional<SimulateReport> report;
  std::optional<script::Diagnostic> error;
};

SimulateRun run_simulate(const script::Script& script, std::string_view source, const SimulateOptions& options);

// The closed-form capacity of a workload under a profile, from the profile's own decisions.
CapacityEstimate closed_form_capacity(const script::Script& script, const script::Workload& w,
                                      const model::Profile& profile);

// The largest offered rate at which `workload` runs without failures and achieves at least 98 %
// of what is offered, found by a bisection over simulations (each one options.duration long, or
// long enough to cycle TIME-WAIT twice). nullopt: sustainable even at `ceiling`.
struct CapacitySearch {
  std::optional<double> rate;
  double ceiling = 0;
  double resolution = 0;
  int runs = 0;
  std::string error;
};
CapacitySearch search_capacity(const script::Script& script, std::string_view source, std::size_t workload,
                               const SimulateOptions& options);

// "47.054s", "12.5ms", "250us", "0s": durations as a reader wants them in a report.
std::string human_duration(model::Duration d);

std::string format_simulate_text(const SimulateReport& report);
std::string format_simulate_json(const SimulateReport& report);
std::string format_simulate_csv(const SimulateReport& report);

}  // namespace portlab::sim
