// `portlab simulate FILE`: the script's workloads over virtual time, per OS; a summary table, the
// event log, the time series (CSV/JSON), an SVG plot, the capacity search and swarm mode.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "model/profiles.h"
#include "model/rng.h"
#include "sim/check.h"
#include "sim/script/parser.h"
#include "sim/simulate.h"
#include "sim/svg_chart.h"

namespace portlab::cli {

namespace {

std::string rate_text(double r) { return r >= 100 ? fmt::format("{:.0f}/s", r) : fmt::format("{:.2f}/s", r); }

std::string pad(std::string s, std::size_t n) {
  if (s.size() < n) s.append(n - s.size(), ' ');
  return s;
}

// One swarm configuration: a strategy, knobs, rate and faults drawn from (seed, case).
struct SwarmCase {
  std::string description;
  sim::script::Script script;
};

SwarmCase swarm_case(const sim::script::Script& base, std::uint64_t seed, int k) {
  model::Rng rng(seed * 0x9e3779b97f4a7c15ull + static_cast<std::uint64_t>(k) + 1);
  SwarmCase c;
  c.script = base;
  using sim::script::CloseStyle;
  using sim::script::SourcePort;
  const SourcePort sources[] = {SourcePort::ephemeral, SourcePort::fixed, SourcePort::bind0, SourcePort::bind_no_port};
  const CloseStyle closes[] = {CloseStyle::client_first, CloseStyle::server_first, CloseStyle::linger0,
                               CloseStyle::shutdown_linger0};
  const double factors[] = {0.25, 0.5, 1, 2, 4};
  const std::int64_t latencies_us[] = {0, 100, 1000, 20000};
  const double losses[] = {0, 0.01, 0.05};
  std::string d;
  for (auto& w : c.script.workloads) {
    w.source = sources[rng.below(4)];
    if (w.source == SourcePort::fixed && w.fixed_port == 0) w.fixed_port = 40000;
    w.close = closes[rng.below(4)];
    const bool reuse = rng.below(2) == 1;
    std::erase(w.options, model::SockOpt::so_reuseaddr);
    if (reuse) w.options.push_back(model::SockOpt::so_reuseaddr);
    const double f = factors[rng.below(5)];
    w.rate_from *= f;
    w.rate_to *= f;
    d += fmt::format("{}source={} close={} reuseaddr={} rate=x{}", d.empty() ? "" : "; ", sim::script::name(w.source),
                     sim::script::name(w.close), reuse ? 1 : 0, f);
  }
  sim::script::NetworkDecl n = base.network.value_or(sim::script::NetworkDecl{});
  n.latency = std::chrono::microseconds(latencies_us[rng.below(4)]);
  n.syn_loss = losses[rng.below(3)];
  c.script.network = n;
  d += fmt::format(" latency={} syn-loss={}%", model::format_duration(n.latency), n.syn_loss * 100);
  // Linux knobs (other OSes ignore `@linux` sysctls).
  const int tw_reuse = static_cast<int>(rng.below(3));
  const int timestamps = static_cast<int>(rng.below(2));
  for (const auto& [name, value] : {std::pair<std::string, int>{"net.ipv4.tcp_tw_reuse", tw_reuse},
                                    std::pair<std::string, int>{"net.ipv4.tcp_timestamps", timestamps}}) {
    sim::script::Step step;
    sim::script::SysctlStep sc;
    sc.name = name;
    sc.value = std::to_string(value);
    sc.os.push_back({"linux", {}});
    step.body = sc;
    step.text = "sysctl " + name + "=" + sc.value + " @linux";
    c.script.steps.push_back(std::move(step));
  }
  d += fmt::format(" linux: tcp_tw_reuse={} tcp_timestamps={}", tw_reuse, timestamps);
  c.description = d;
  return c;
}

void write_plot(const std::vector<sim::SimulateReport>& runs, sim::ChartSpec& spec) {
  sim::ChartPanel rate{"achieved connections per second", "conn/s", {}};
  sim::ChartPanel fails{"failures per second", "failures/s", {}};
  sim::ChartPanel tw{"TIME-WAIT population (all hosts)", "entries", {}};
  sim::ChartPanel eph{"ephemeral ports in use (all hosts)", "ports", {}};
  for (const auto& r : runs) {
    sim::ChartSeries a{r.os, {}}, f{r.os, {}}, t{r.os, {}}, e{r.os, {}};
    model::Duration prev{};
    for (const auto& s : r.samples) {
      const double x = std::chrono::duration<double>(s.at).count();
      const double dt = std::chrono::duration<double>(s.at - prev).count();
      prev = s.at;
      if (dt > 0) {
        a.points.emplace_back(x, static_cast<double>(s.successes) / dt);
        f.points.emplace_back(x, static_cast<double>(s.failures) / dt);
      }
      double tws = 0, eps = 0;
      for (const auto& h : s.hosts) {
        tws += h.time_wait;
        eps += h.ephemeral_in_use;
      }
      t.points.emplace_back(x, tws);
      e.points.emplace_back(x, eps);
    }
    rate.series.push_back(std::move(a));
    fails.series.push_back(std::move(f));
    tw.series.push_back(std::move(t));
    eph.series.push_back(std::move(e));
  }
  spec.panels = {std::move(rate), std::move(fails), std::move(tw), std::move(eph)};
}

bool write_file(const std::string& path, const std::string& text, std::ostream& err) {
  std::ofstream f(path, std::ios::binary);
  if (!f || !(f << text) || !f.flush()) {
    err << "portlab: cannot write " << path << "\n";
    return false;
  }
  return true;
}

}  // namespace

int run_simulate_command(const SimulateArgs& args, std::ostream& out, std::ostream& err) {
  const auto registry = model::all_profiles();
  auto loaded = load_script(args.file, args.os, registry, err);
  if (!loaded) return kExitBadInput;
  const sim::script::Script& script = loaded->script;
  const std::string* const text = &loaded->text;
  const std::vector<const model::Profile*>& profiles = loaded->profiles;
  sim::SimulateOptions base;
  base.seed = args.seed;
  base.registry = registry;
  base.max_connections = args.max_connections;
  base.max_wall_seconds = args.max_seconds;
  if (!args.duration.empty()) {
    auto d = parse_duration(args.duration);
    if (!d || *d <= model::Duration::zero()) {
      err << "portlab: bad --duration '" << args.duration << "'; expected a duration such as 60s or 10m\n";
      return kExitBadInput;
    }
    base.duration = *d;
  }
  auto mvt = parse_duration(args.max_virtual_time);
  if (!mvt || *mvt <= model::Duration::zero() || *mvt > sim::kMaxVirtualTimeLimit) {
    err << "portlab: bad --max-virtual-time '" << args.max_virtual_time << "'; expected a duration such as 10080m\n";
    return kExitBadInput;
  }
  base.max_virtual_time = *mvt;
  if (args.max_connections == 0 || args.max_seconds <= 0) {
    err << "portlab: --max-connections and --max-seconds must be positive\n";
    return kExitBadInput;
  }
  if (!args.plot.empty()) {
    const auto dot = args.plot.rfind('.');
    const std::string ext = dot == std::string::npos ? "" : args.plot.substr(dot);
    if (ext != ".svg") {
      err << "portlab: --plot writes SVG only; expected a file name ending in .svg, not '" << args.plot << "'\n";
      return kExitBadInput;
    }
  }
  if (args.swarm < 0 || args.swarm > 100000) {
    err << "portlab: --swarm must lie in 0..100000\n";
    return kExitBadInput;
  }

  // The one line that reproduces this run.
  std::string options = fmt::format("--os {}", [&] {
    std::string s;
    for (const auto* p : profiles) s += (s.empty() ? "" : ",") + std::string(p->name);
    return s;
  }());
  if (!args.duration.empty()) options += " --duration " + args.duration;
  if (args.swarm_case >= 0) options += fmt::format(" --swarm-case {}", args.swarm_case);
  out << fmt::format("SEED={} options={}\n", args.seed, options);

  // Swarm mode: N configurations, report the failing ones.
  if (args.swarm > 0) {
    int failing = 0;
    for (int k = 0; k < args.swarm; ++k) {
      SwarmCase c = swarm_case(script, args.seed, k);
      for (const model::Profile* p : profiles) {
        sim::SimulateOptions o = base;
        o.profile = p;
        auto run = sim::run_simulate(c.script, *text, o);
        if (!run.report) {
          err << run.error->render();
          return kExitBadInput;
        }
        if (run.report->ok()) continue;
        ++failing;
        out << fmt::format("case {} under {} fails: {}\n", k, p->name, c.description);
        for (const auto& w : run.report->workloads)
          for (const auto& e : w.expects)
            if (!e.skipped && !e.ok) out << fmt::format("  line {}: {} (actual {})\n", e.line, e.text, e.actual);
        if (run.report->stopped) out << "  stopped: " << *run.report->stopped << "\n";
        out << fmt::format("  reproduce: portlab simulate {} --os {} --seed {} --swarm-case {}{}\n", args.file, p->name,
                           args.seed, k, args.duration.empty() ? "" : " --duration " + args.duration);
      }
    }
    out << fmt::format("swarm: {} configuration(s) x {} OS(es), {} failing run(s)\n", args.swarm, profiles.size(), failing);
    return failing ? kExitFailed : kExitOk;
  }

  sim::script::Script chosen = script;
  if (args.swarm_case >= 0) {
    SwarmCase c = swarm_case(script, args.seed, args.swarm_case);
    out << "swarm case " << args.swarm_case << ": " << c.description << "\n";
    chosen = std::move(c.script);
  }

  std::ofstream events;
  if (!args.events.empty()) {
    events.open(args.events, std::ios::binary);
    if (!events) {
      err << "portlab: cannot write " << args.events << "\n";
      return kExitBadInput;
    }
    events << "# portlab simulate event log: TIME(s) HOST SOCKET EVENT RESULT RULE (docs/simulate.md)\n";
  }
  std::vector<sim::SimulateReport> runs;
  std::vector<std::vector<sim::CapacitySearch>> searches;
  for (const model::Profile* p : profiles) {
    sim::SimulateOptions o = base;
    o.profile = p;
    if (events.is_open()) {
      events << "# os=" << p->name << " seed=" << args.seed << "\n";
      o.events = &events;
    }
    if (args.progress) {
      // Only for runs that take more than a second: a quick run prints no bar at all.
      o.progress = [name = std::string(p->name), &err, start = std::chrono::steady_clock::now()](double f) {
        if (std::chrono::steady_clock::now() - start < std::chrono::seconds(1)) return;
        const int filled = static_cast<int>(f * 30);
        err << fmt::format("\r{:<8} [{}{}] {:3.0f}%", name, std::string(static_cast<std::size_t>(filled), '#'),
                           std::string(static_cast<std::size_t>(30 - filled), ' '), f * 100)
            << std::flush;
      };
    }
    auto run = sim::run_simulate(chosen, *text, o);
    if (args.progress) err << "\r" << std::string(50, ' ') << "\r" << std::flush;
    if (!run.report) {
      err << run.error->render();
      return kExitBadInput;
    }
    auto& per = searches.emplace_back();
    if (args.capacity) {
      for (std::size_t w = 0; w < chosen.workloads.size(); ++w) {
        sim::SimulateOptions so = base;
        so.profile = p;
        per.push_back(sim::search_capacity(chosen, *text, w, so));
      }
    }
    runs.push_back(std::move(*run.report));
  }
  if (events.is_open()) events.close();

  bool ok = true;
  for (const auto& r : runs) ok = ok && r.ok();
  if (args.json) {
    nlohmann::ordered_json j;
    j["seed"] = args.seed;
    j["options"] = options;
    j["runs"] = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < runs.size(); ++i) {
      auto jr = nlohmann::ordered_json::parse(sim::format_simulate_json(runs[i]));
      if (args.capacity) {
        for (std::size_t w = 0; w < searches[i].size(); ++w) {
          const auto& s = searches[i][w];
          jr["workloads"][w]["capacity"]["simulated_rate"] = s.rate ? nlohmann::ordered_json(*s.rate) : nullptr;
          jr["workloads"][w]["capacity"]["search_ceiling"] = s.ceiling;
          jr["workloads"][w]["capacity"]["search_resolution"] = s.resolution;
          jr["workloads"][w]["capacity"]["search_runs"] = s.runs;
          if (!s.error.empty()) jr["workloads"][w]["capacity"]["search_error"] = s.error;
        }
      }
      j["runs"].push_back(std::move(jr));
    }
    out << j.dump(2) << "\n";
  } else {
    for (const auto& r : runs) out << "\n" << sim::format_simulate_text(r);
    // The side-by-side table: one row per OS and workload.
    std::size_t name_width = 10;
    for (const auto& w : chosen.workloads) name_width = std::max(name_width, w.name.size() + 2);
    out << "\n"
        << pad("OS", 10) << pad("workload", name_width) << pad("offered", 12) << pad("achieved", 12) << pad("failures", 10)
        << pad("first failure", 15) << pad("TW peak", 9) << pad("capacity (closed form)", 24)
        << (args.capacity ? "capacity (simulated)" : "") << "\n";
    for (std::size_t i = 0; i < runs.size(); ++i) {
      for (std::size_t w = 0; w < runs[i].workloads.size(); ++w) {
        const auto& x = runs[i].workloads[w];
        const std::string offered = x.offered_rate_from == x.offered_rate_to
                                        ? rate_text(x.offered_rate_from)
                                        : rate_text(x.offered_rate_from) + ".." + rate_text(x.offered_rate_to);
        std::string closed = !x.capacity.derived ? "no closed form"
                             : x.capacity.rate   ? rate_text(*x.capacity.rate)
                                                 : "unlimited";
        std::string simulated;
        if (args.capacity && w < searches[i].size()) {
          const auto& s = searches[i][w];
          simulated = !s.error.empty() ? "error: " + s.error
                      : s.rate         ? fmt::format("{} (±{})", rate_text(*s.rate), rate_text(s.resolution))
                                       : "≥ " + rate_text(s.ceiling);
        }
        out << pad(runs[i].os, 10) << pad(x.name, name_width) << pad(offered, 12) << pad(rate_text(x.achieved_rate), 12)
            << pad(std::to_string(x.failures), 10)
            << pad(x.first_failure ? sim::human_duration(*x.first_failure) : "-", 15)
            << pad(std::to_string(x.time_wait_peak), 9) << pad(closed, 24) << simulated << "\n";
      }
    }
    for (const auto& r : runs) {
      if (r.ok()) continue;
      out << fmt::format("\n{} under {}: {} of {} check(s) failed{}\n  reproduce: portlab simulate {} --os {} --seed {}{}{}\n",
                         r.file, r.os, r.failed_checks, r.checks, r.stopped ? " (stopped: " + *r.stopped + ")" : "",
                         args.file, r.os, args.seed, args.duration.empty() ? "" : " --duration " + args.duration,
                         args.swarm_case >= 0 ? fmt::format(" --swarm-case {}", args.swarm_case) : "");
    }
  }
  if (!args.csv.empty()) {
    std::string csv;
    for (std::size_t i = 0; i < runs.size(); ++i) {
      std::string part = sim::format_simulate_csv(runs[i]);
      if (i > 0) part = part.substr(part.find('\n') + 1);  // one header
      csv += part;
    }
    if (!write_file(args.csv, csv, err)) return kExitBadInput;
  }
  if (!args.json_out.empty()) {
    std::string all = "[\n";
    for (std::size_t i = 0; i < runs.size(); ++i) all += (i ? ",\n" : "") + sim::format_simulate_json(runs[i]);
    all += "]\n";
    if (!write_file(args.json_out, all, err)) return kExitBadInput;
  }
  if (!args.plot.empty()) {
    sim::ChartSpec spec;
    spec.title = fmt::format("portlab simulate {} (seed {})", args.file, args.seed);
    spec.x_label = "virtual time (s)";
    write_plot(runs, spec);
    if (!write_file(args.plot, sim::render_svg(spec), err)) return kExitBadInput;
  }
  return ok ? kExitOk : kExitFailed;
}

}  // namespace portlab::cli
