// `portlab explore`: the CLI face of sim/explore.h.
#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/commands.h"
#include "model/profiles.h"
#include "sim/check.h"
#include "sim/explore.h"
#include "sim/script/parser.h"

namespace portlab::cli {

namespace {

// FILE, or FILE with `.OS` before its extension when several OSes each write one.
std::string per_os_path(const std::string& path, std::string_view os, bool several) {
  if (!several) return path;
  const auto slash = path.find_last_of('/');
  const auto dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return path + "." + std::string(os);
  return path.substr(0, dot) + "." + std::string(os) + path.substr(dot);
}

bool write_file(const std::string& path, const std::string& text, std::ostream& err) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  if (!f) {
    err << "portlab: cannot write " << path << "\n";
    return false;
  }
  return true;
}

std::string table(const std::vector<sim::ExploreReport>& runs) {
  std::string out = fmt::format("{:<12} {:<8} {:>10} {:>12} {:>6} {:>9}  {}\n", "os", "verdict", "states",
                                "transitions", "depth", "cx steps", "failure");
  for (const auto& r : runs) {
    std::string failure;
    if (r.counterexample) failure = r.counterexample->kind + ": " + r.counterexample->message;
    if (r.verdict == sim::Verdict::limit) failure = r.limit_message;
    out += fmt::format("{:<12} {:<8} {:>10} {:>12} {:>6} {:>9}  {}\n", r.os, sim::name(r.verdict), r.stats.states,
                       r.stats.transitions, r.stats.depth,
                       r.counterexample ? std::to_string(r.counterexample->trace.size()) : "-", failure);
  }
  return out;
}

}  // namespace

int run_explore_command(const ExploreArgs& args, std::ostream& out, std::ostream& err) {
  return run_explore_command(args, model::all_profiles(), out, err);
}

int run_explore_command(const ExploreArgs& args, std::span<const model::Profile* const> registry, std::ostream& out,
                        std::ostream& err) {
  auto step_time = parse_duration(args.step_time);
  if (!step_time) {
    err << "portlab: bad --step-time '" << args.step_time << "'; expected a duration such as 1ms, 250us or 0s\n";
    return kExitBadInput;
  }
  if (args.max_states == 0 || args.max_depth == 0 || !(args.max_seconds > 0) || args.max_memory_mb == 0) {
    err << "portlab: --max-states, --max-depth, --max-seconds and --max-memory must be positive\n";
    return kExitBadInput;
  }
  if (args.timers != "any" && args.timers != "idle") {
    err << "portlab: bad --timers '" << args.timers << "'; expected any or idle\n";
    return kExitBadInput;
  }
  if (!args.network.empty() && args.network != "settle" && args.network != "interleave") {
    err << "portlab: bad --network '" << args.network << "'; expected settle or interleave\n";
    return kExitBadInput;
  }
  auto loaded = load_script(args.file, args.os, registry, err);
  if (!loaded) return kExitBadInput;
  const auto& script = loaded->script;
  const std::string* const text = &loaded->text;
  const std::vector<const model::Profile*>& profiles = loaded->profiles;
  unsigned threads = args.threads;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());

  std::vector<sim::ExploreReport> runs;
  for (const model::Profile* profile : profiles) {
    sim::ExploreOptions o;
    o.seed = args.seed;
    o.step_time = *step_time;
    o.profile = profile;
    o.registry = registry;
    o.limits.max_states = args.max_states;
    o.limits.max_depth = args.max_depth;
    o.limits.max_seconds = args.max_seconds;
    o.limits.max_memory_bytes = args.max_memory_mb << 20;
    o.threads = threads;
    o.graph = !args.dot.empty();
    o.max_graph_states = args.max_graph_states;
    o.timers_when_idle = args.timers == "idle";
    if (!args.network.empty()) o.network_interleave = args.network == "interleave";
    o.max_drops = args.drops;
    auto run = sim::run_explore(script, *text, o);
    if (!run.report) {
      err << run.error->render();
      return kExitBadInput;
    }
    runs.push_back(std::move(*run.report));
  }

  bool violation = false, limit = false;
  std::size_t with_cx = 0;
  for (const auto& r : runs) {
    violation = violation || r.verdict == sim::Verdict::violation;
    limit = limit || r.verdict == sim::Verdict::limit;
    if (r.counterexample) ++with_cx;
  }
  const bool several = runs.size() > 1;
  for (const auto& r : runs) {
    if (!args.dot.empty() && !write_file(per_os_path(args.dot, r.os, several), r.dot, err)) return kExitBadInput;
    if (!args.replay_out.empty() && r.counterexample &&
        !write_file(per_os_path(args.replay_out, r.os, with_cx > 1), r.counterexample->replay, err))
      return kExitBadInput;
  }

  if (args.json) {
    if (!several) {
      out << sim::format_json(runs.front()) << "\n";
    } else {
      nlohmann::ordered_json doc;
      doc["ok"] = !violation && !limit;
      auto& a = doc["runs"] = nlohmann::ordered_json::array();
      for (const auto& r : runs) a.push_back(nlohmann::ordered_json::parse(sim::format_json(r)));
      out << doc.dump(2) << "\n";
    }
  } else if (!several) {
    out << sim::format_text(runs.front());
  } else {
    out << fmt::format("{}: {} OSes, seed {}\n", args.file, runs.size(), args.seed);
    out << table(runs);
    for (const auto& r : runs) {
      if (r.verdict == sim::Verdict::safe) continue;
      out << "\n" << sim::format_text(r);
    }
  }
  // Workload blocks run over time under `portlab simulate`; say so rather than skip them silently.
  for (const auto& w : script.workloads)
    err << fmt::format("{}:{}: note: workload '{}' is not explored; it runs under 'portlab simulate'\n", args.file,
                       w.loc.line, w.name);
  if (limit) err << "portlab: a search limit was reached before an answer; raise it with --max-states, --max-depth, "
                    "--max-seconds or --max-memory\n";
  if (violation) return kExitFailed;
  return limit ? kExitBadInput : kExitOk;
}

}  // namespace portlab::cli
