#include "cli/commands.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "model/linux_profile.h"
#include "model/profile.h"
#include "sim/check.h"
#include "sim/script/parser.h"

namespace portlab::cli {
namespace {

const model::Profile* find_profile(const std::string& os) {
  if (os == "linux") return &model::linux_profile();
  return nullptr;
}

std::optional<std::string> read_file(const std::string& path, std::string& why) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    why = ec.message();
    return std::nullopt;
  }
  if (size > sim::script::kMaxScriptBytes) {
    why = fmt::format("file is {} bytes; scripts are limited to {} bytes", size, sim::script::kMaxScriptBytes);
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    why = "cannot open";
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::optional<model::Duration> parse_duration(const std::string& text) {
  if (text.find_first_of("\n#") != std::string::npos) return std::nullopt;
  auto parsed = sim::script::parse_script("wait " + text + "\n", "--step-time");
  if (!parsed.script || parsed.script->steps.size() != 1) return std::nullopt;
  const auto* w = std::get_if<sim::script::WaitStep>(&parsed.script->steps[0].body);
  if (!w) return std::nullopt;
  return w->duration;
}

int run_check_command(const CheckArgs& args, std::ostream& out, std::ostream& err) {
  const model::Profile* profile = find_profile(args.os);
  if (!profile) {
    err << "portlab: unknown --os '" << args.os << "'; expected: linux\n";
    return kExitBadInput;
  }
  // A duration in the script's own syntax, so that `--step-time 250us` reads like `wait 250us`.
  auto step_time = parse_duration(args.step_time);
  if (!step_time) {
    err << "portlab: bad --step-time '" << args.step_time << "'; expected a duration such as 1ms, 250us or 0s\n";
    return kExitBadInput;
  }
  // Parse everything first: on bad input nothing runs.
  std::vector<std::pair<sim::script::Script, std::string>> scripts;
  for (const auto& f : args.files) {
    std::string why;
    auto text = read_file(f, why);
    if (!text) {
      err << f << ": error: " << why << "\n";
      return kExitBadInput;
    }
    auto parsed = sim::script::parse_script(*text, f);
    if (!parsed.script) {
      err << parsed.error->render();
      return kExitBadInput;
    }
    scripts.emplace_back(std::move(*parsed.script), std::move(*text));
  }
  std::vector<sim::CheckReport> reports;
  for (const auto& [script, text] : scripts) {
    auto run = sim::run_check(script, text, {.seed = args.seed, .step_time = *step_time, .profile = profile});
    if (!run.report) {
      err << run.error->render();
      return kExitBadInput;
    }
    reports.push_back(std::move(*run.report));
  }
  bool ok = true;
  if (args.json) {
    nlohmann::ordered_json j = nlohmann::ordered_json::array();
    for (const auto& r : reports) {
      j.push_back(nlohmann::ordered_json::parse(sim::format_json(r)));
      ok = ok && r.ok();
    }
    out << (reports.size() == 1 ? j[0].dump(2) : j.dump(2)) << "\n";
  } else {
    for (const auto& r : reports) {
      out << sim::format_text(r);
      ok = ok && r.ok();
      if (!r.ok())
        out << fmt::format("reproduce: portlab check {} --os {} --seed {} --step-time {}\n", r.file, r.os, r.seed,
                           model::format_duration(r.step_time));
    }
  }
  return ok ? kExitOk : kExitFailed;
}

int run_rules_command(const RulesArgs& args, std::ostream& out, std::ostream& err) {
  const model::Profile* profile = find_profile(args.os);
  if (!profile) {
    err << "portlab: unknown --os '" << args.os << "'; expected: linux\n";
    return kExitBadInput;
  }
  std::vector<const model::Rule*> rules(profile->rules.begin(), profile->rules.end());
  for (const auto* r : model::generic_rules()) rules.push_back(r);
  rules.push_back(&sim::sim_rule::blocked_forever);
  rules.push_back(&sim::sim_rule::no_descriptor);
  if (args.format == "json") {
    nlohmann::ordered_json j = nlohmann::ordered_json::array();
    for (const auto* r : rules)
      j.push_back({{"id", r->id},
                   {"os", r->os},
                   {"condition", r->condition},
                   {"result", r->result},
                   {"source", r->source},
                   {"confidence", model::name(r->confidence)}});
    out << j.dump(2) << "\n";
  } else if (args.format == "markdown") {
    out << fmt::format("# Rules of the {} profile\n\n{}\n\n", profile->name, profile->description);
    out << "| rule | condition | result | source | confidence |\n|---|---|---|---|---|\n";
    for (const auto* r : rules)
      out << fmt::format("| `{}` | {} | {} | {} | {} |\n", r->id, r->condition, r->result, r->source,
                         model::name(r->confidence));
  } else {
    for (const auto* r : rules)
      out << fmt::format("{:<52} {:<13} [{}]\n    {}\n    source: {}\n", r->id, r->result,
                         model::name(r->confidence), r->condition, r->source);
  }
  return kExitOk;
}

}  // namespace portlab::cli
