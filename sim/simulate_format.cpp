// Reports of `portlab simulate`: a text summary per workload, JSON with the time series, and CSV.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "sim/simulate.h"

namespace portlab::sim {

namespace {

std::string rate_text(double r) { return r >= 100 ? fmt::format("{:.0f}/s", r) : fmt::format("{:.2f}/s", r); }
std::string dur(model::Duration d) { return human_duration(d); }

std::string trim_zeros(std::string s) {
  if (s.find('.') == std::string::npos) return s;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

std::string offered(const WorkloadReport& w) {
  if (w.offered_rate_from == w.offered_rate_to) return rate_text(w.offered_rate_from);
  return rate_text(w.offered_rate_from) + ".." + rate_text(w.offered_rate_to);
}

std::string capacity_text(const CapacityEstimate& c) {
  if (!c.derived) return "no closed form: " + c.mechanism;
  if (!c.rate) return "not limited by ports: " + c.mechanism;
  return rate_text(*c.rate) + " (" + c.mechanism + ")";
}

}  // namespace

std::string human_duration(model::Duration d) {
  const auto ns = d.count();
  if (ns == 0) return "0s";
  const double v = static_cast<double>(ns);
  if (ns < 1'000) return fmt::format("{}ns", ns);
  if (ns < 1'000'000) return trim_zeros(fmt::format("{:.1f}", v / 1e3)) + "us";
  if (ns < 1'000'000'000) return trim_zeros(fmt::format("{:.3f}", v / 1e6)) + "ms";
  return trim_zeros(fmt::format("{:.3f}", v / 1e9)) + "s";
}

std::string format_simulate_text(const SimulateReport& r) {
  std::string out;
  out += fmt::format("simulate {} under {}: {} of virtual time, seed {}\n", r.file, r.os, dur(r.duration), r.seed);
  for (const auto& a : r.assumptions) out += "  assumption " + a + "\n";
  for (const auto& w : r.workloads) {
    out += fmt::format("\nworkload {} (line {}): {}\n", w.name, w.line, w.strategy);
    out += fmt::format("  offered {}, achieved {} over {}\n", offered(w), rate_text(w.achieved_rate), dur(w.duration));
    out += fmt::format("  attempts {}, successes {}, failures {}, retries {}, missed arrivals {}\n", w.attempts,
                       w.successes, w.failures, w.retries, w.missed_slots);
    out += fmt::format("  first failure: {}\n", w.first_failure ? "at " + dur(*w.first_failure) : std::string("none"));
    for (const auto& [k, st] : w.failures_by_kind) {
      out += fmt::format("    {} {} {} x{} ({}) first at {}, {} {}, longest {}{}\n", k.side, k.call,
                         k.err == model::Errno::ok ? std::string("EOF") : "-1 " + std::string(model::name(k.err)), st.count, k.rule, dur(st.first_at), st.outages,
                         st.outages == 1 ? "outage" : "outages", dur(st.longest_outage),
                         st.blocking() ? (st.open_at_end ? ", blocking: still failing at the end" : ", blocking")
                                       : ", transient");
    }
    out += fmt::format("  TIME-WAIT peak {}, FIN-WAIT-2 peak {}, ephemeral ports in use (client) peak {}\n",
                       w.time_wait_peak, w.fin_wait2_peak, w.ephemeral_peak);
    const double mean_probes = w.attempts ? static_cast<double>(w.probes_total) / static_cast<double>(w.attempts) : 0.0;
    out += fmt::format("  port search: {:.1f} probes per attempt, at most {}\n", mean_probes, w.probes_max);
    out += fmt::format("  connect latency p50 {}, p90 {}, p99 {}, max {}; stalls (> 200ms) {}\n", dur(w.latency_p50),
                       dur(w.latency_p90), dur(w.latency_p99), dur(w.latency_max), w.stalls);
    if (w.server_restarts) out += fmt::format("  server restarts {}\n", w.server_restarts);
    out += "  capacity (closed form): " + capacity_text(w.capacity) + "\n";
    for (const auto& e : w.expects) {
      if (e.skipped) continue;
      out += fmt::format("  {} line {}: {} (actual {})\n", e.ok ? "ok  " : "FAIL", e.line, e.text, e.actual);
    }
  }
  if (r.stopped) out += "\nstopped: " + *r.stopped + "\n";
  out += fmt::format("\n{} event(s), {} segment(s){}; {} check(s), {} failed\n", r.events, r.segments,
                     r.syn_lost ? fmt::format(", {} SYN(s) lost", r.syn_lost) : std::string(), r.checks, r.failed_checks);
  return out;
}

std::string format_simulate_json(const SimulateReport& r) {
  using nlohmann::ordered_json;
  ordered_json j;
  j["file"] = r.file;
  j["os"] = r.os;
  j["seed"] = r.seed;
  j["duration_ns"] = r.duration.count();
  j["sample_interval_ns"] = r.sample_interval.count();
  j["hosts"] = r.hosts;
  j["ephemeral_range"] = r.ephemeral_range;
  j["assumptions"] = r.assumptions;
  j["workloads"] = ordered_json::array();
  for (const auto& w : r.workloads) {
    ordered_json jw;
    jw["name"] = w.name;
    jw["line"] = w.line;
    jw["strategy"] = w.strategy;
    jw["offered_rate_from"] = w.offered_rate_from;
    jw["offered_rate_to"] = w.offered_rate_to;
    jw["duration_ns"] = w.duration.count();
    jw["attempts"] = w.attempts;
    jw["successes"] = w.successes;
    jw["failures"] = w.failures;
    jw["retries"] = w.retries;
    jw["missed_arrivals"] = w.missed_slots;
    jw["achieved_rate"] = w.achieved_rate;
    jw["first_failure_ns"] = w.first_failure ? ordered_json(w.first_failure->count()) : ordered_json(nullptr);
    jw["failures_by_kind"] = ordered_json::array();
    for (const auto& [k, st] : w.failures_by_kind) {
      jw["failures_by_kind"].push_back({{"side", k.side}, {"call", k.call}, {"errno", k.err == model::Errno::ok ? std::string("EOF") : std::string(model::name(k.err))},
                                        {"rule", k.rule}, {"count", st.count}, {"first_at_ns", st.first_at.count()},
                                        {"outages", st.outages}, {"longest_outage_ns", st.longest_outage.count()},
                                        {"open_at_end", st.open_at_end}, {"blocking", st.blocking()}});
    }
    jw["time_wait_peak"] = w.time_wait_peak;
    jw["fin_wait2_peak"] = w.fin_wait2_peak;
    jw["ephemeral_peak"] = w.ephemeral_peak;
    jw["probes_total"] = w.probes_total;
    jw["probes_max"] = w.probes_max;
    jw["stalls"] = w.stalls;
    jw["latency_ns"] = {{"p50", w.latency_p50.count()}, {"p90", w.latency_p90.count()},
                        {"p99", w.latency_p99.count()}, {"max", w.latency_max.count()}};
    jw["server_restarts"] = w.server_restarts;
    jw["capacity"] = {{"derived", w.capacity.derived},
                      {"rate", w.capacity.rate ? ordered_json(*w.capacity.rate) : ordered_json(nullptr)},
                      {"mechanism", w.capacity.mechanism},
                      {"basis", w.capacity.basis}};
    jw["expectations"] = ordered_json::array();
    for (const auto& e : w.expects)
      jw["expectations"].push_back({{"line", e.line}, {"text", e.text}, {"skipped", e.skipped}, {"ok", e.ok}, {"actual", e.actual}});
    j["workloads"].push_back(std::move(jw));
  }
  j["samples"] = ordered_json::array();
  for (const auto& s : r.samples) {
    ordered_json js;
    js["t_ns"] = s.at.count();
    js["attempts"] = s.attempts;
    js["successes"] = s.successes;
    js["failures"] = s.failures;
    js["hosts"] = ordered_json::array();
    for (const auto& h : s.hosts)
      js["hosts"].push_back({{"time_wait", h.time_wait}, {"fin_wait2", h.fin_wait2}, {"established", h.established},
                             {"ephemeral_in_use", h.ephemeral_in_use}, {"ephemeral_even", h.ephemeral_even},
                             {"ephemeral_odd", h.ephemeral_odd}});
    j["samples"].push_back(std::move(js));
  }
  j["events"] = r.events;
  j["segments"] = r.segments;
  j["syn_lost"] = r.syn_lost;
  j["stopped"] = r.stopped ? ordered_json(*r.stopped) : ordered_json(nullptr);
  j["checks"] = r.checks;
  j["failed_checks"] = r.failed_checks;
  return j.dump(2) + "\n";
}

// One row per sample and host: the time series in a form spreadsheets and plotting tools read.
std::string format_simulate_csv(const SimulateReport& r) {
  std::string out = "os,t_s,host,attempts,successes,failures,time_wait,fin_wait2,established,ephemeral_in_use,"
                    "ephemeral_even,ephemeral_odd\n";
  for (const auto& s : r.samples) {
    for (std::size_t h = 0; h < s.hosts.size(); ++h) {
      const auto& x = s.hosts[h];
      out += fmt::format("{},{:.6f},{},{},{},{},{},{},{},{},{},{}\n", r.os,
                         std::chrono::duration<double>(s.at).count(), r.hosts[h], s.attempts, s.successes, s.failures,
                         x.time_wait, x.fin_wait2, x.established, x.ephemeral_in_use, x.ephemeral_even, x.ephemeral_odd);
    }
  }
  return out;
}

}  // namespace portlab::sim
