#include "cli/commands.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>

#include "model/profile.h"
#include "model/profiles.h"
#include "sim/check.h"
#include "sim/script/parser.h"

namespace portlab::cli {
namespace {

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}


// The rule id as a table cell: without its OS prefix when that is the column's OS, or the OS a
// version variant belongs to ("linux." in the linux-4.4 column).
std::string short_rule(const model::Rule* rule, std::string_view os) {
  if (!rule) return {};
  std::string id(rule->id);
  for (std::string_view base : {os, os.substr(0, os.find('-'))}) {
    const std::string prefix = std::string(base) + ".";
    if (id.size() > prefix.size() && id.compare(0, prefix.size(), prefix) == 0) {
      id.erase(0, prefix.size());
      break;
    }
  }
  if (rule->confidence == model::Confidence::assumed) id += " (ASSUMED)";
  return id;
}

std::string table_cell(const sim::StepReport& s, std::string_view os) {
  if (s.skipped) return "-";
  std::string c = s.result;
  if (s.checked) c += s.ok ? " ok" : " FAIL";
  const std::string rule = short_rule(s.rule, os);
  if (!rule.empty()) c += (c.empty() ? "" : "  ") + rule;
  return c;
}

std::string shorten(const std::string& text, std::size_t max) {
  if (text.size() <= max) return text;
  std::size_t cut = max - 3;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0u) == 0x80u) --cut;
  return text.substr(0, cut) + "...";
}

std::string reproduce(const sim::CheckReport& r) {
  return fmt::format("portlab check {} --os {} --seed {} --step-time {}", r.file, r.os, r.seed,
                     model::format_duration(r.step_time));
}

// One script run under several OSes: a row per step, a column per OS (result, ok/FAIL, rule),
// cells whose result differs from the first column marked '*' (and coloured), then a verdict
// per OS with its failures and the command that reproduces each failing run.
std::string format_table(const std::vector<const sim::CheckReport*>& runs, bool color) {
  const sim::CheckReport& first = *runs.front();
  std::string host_os;
  for (const auto& [h, o] : first.host_os) host_os += fmt::format("{}{}={}", host_os.empty() ? "; hosts with their own OS: " : ", ", h, o);
  std::string out = fmt::format("{}: {} OSes, seed {}, {} per call{}\n", first.file, runs.size(), first.seed,
                                model::format_duration(first.step_time), host_os);
  constexpr std::size_t kMaxText = 60;
  std::size_t text_w = 4;
  for (const auto& s : first.steps) text_w = std::max(text_w, shorten(s.text, kMaxText).size());
  const std::size_t n = runs.size();
  std::vector<std::vector<std::string>> cells(first.steps.size(), std::vector<std::string>(n));
  std::vector<std::vector<bool>> differs(first.steps.size(), std::vector<bool>(n, false));
  std::vector<std::size_t> width(n);
  bool any_diff = false;
  for (std::size_t k = 0; k < n; ++k) width[k] = runs[k]->os.size();
  for (std::size_t i = 0; i < first.steps.size(); ++i) {
    for (std::size_t k = 0; k < n; ++k) {
      const auto& s = runs[k]->steps.at(i);
      cells[i][k] = table_cell(s, runs[k]->os);
      width[k] = std::max(width[k], cells[i][k].size());
      const auto& f = first.steps[i];
      differs[i][k] = k > 0 && !s.skipped && !f.skipped && s.result != f.result;
      any_diff = any_diff || differs[i][k];
    }
  }
  const auto row = [&](const std::string& line, const std::string& text, const std::vector<std::string>& cols,
                       const std::vector<bool>& marks, const std::vector<std::string>& colours) {
    std::string r = fmt::format("{:>4}  {:<{}}", line, text, text_w);
    for (std::size_t k = 0; k < n; ++k) {
      r += "  ";
      r += marks[k] ? '*' : ' ';
      const std::string& c = cols[k];
      if (!colours[k].empty()) {
        r += colours[k] + c + "\x1b[0m";
      } else {
        r += c;
      }
      if (k + 1 < n) r += std::string(width[k] - c.size(), ' ');
    }
    while (!r.empty() && r.back() == ' ') r.pop_back();
    return r + "\n";
  };
  std::vector<std::string> names;
  for (const auto* r : runs) names.push_back(r->os);
  out += row("line", "step", names, std::vector<bool>(n, false), std::vector<std::string>(n));
  for (std::size_t i = 0; i < first.steps.size(); ++i) {
    std::vector<std::string> colours(n);
    for (std::size_t k = 0; k < n && color; ++k) {
      const auto& s = runs[k]->steps[i];
      if (s.checked && !s.ok) {
        colours[k] = "\x1b[31m";
      } else if (differs[i][k]) {
        colours[k] = "\x1b[33m";
      }
    }
    out += row(std::to_string(first.steps[i].line), shorten(first.steps[i].text, kMaxText), cells[i], differs[i],
               colours);
  }
  if (any_diff) out += fmt::format("* = the result differs from {}'s\n", first.os);
  for (const auto* r : runs) {
    int assumed = 0;
    for (const auto& s : r->steps) assumed += s.assumed ? 1 : 0;
    out += fmt::format("{}: {}: {} checks, {} failed{}\n", r->os, r->ok() ? "PASS" : "FAIL", r->checks, r->failures,
                       assumed ? fmt::format(" ({} step{} decided by assumed rules)", assumed, assumed == 1 ? "" : "s")
                               : "");
    if (r->ok()) continue;
    for (const auto& s : r->steps)
      if (!s.ok) out += fmt::format("  FAILED at {}:{}:{}: {}\n", r->file, s.line, s.column, s.message);
    out += fmt::format("  reproduce: {}\n", reproduce(*r));
  }
  return out;
}


}  // namespace

// `--os linux,freebsd` or `--os all`; on a bad name, `why` says so and the list is empty.
std::vector<const model::Profile*> select_os(const std::string& spec, std::span<const model::Profile* const> registry,
                                             std::string& why) {
  std::vector<const model::Profile*> out;
  // `all` is every OS; version variants (linux-4.4, windows-xp, ...) are named explicitly.
  if (trim(spec) == "all") {
    for (const model::Profile* p : registry)
      if (p->variant_of.empty()) out.push_back(p);
    return out;
  }
  std::stringstream ss(spec);
  std::string item;
  std::set<std::string> seen;
  bool any = false;
  while (std::getline(ss, item, ',')) {
    any = true;
    item = trim(item);
    const model::Profile* p = sim::find_in(registry, item);
    if (!p) {
      why = fmt::format("unknown --os '{}'; expected one or more of: {} (comma-separated), or all", item,
                        sim::known_os(registry));
      return {};
    }
    if (!seen.insert(item).second) {
      why = fmt::format("--os names '{}' twice", item);
      return {};
    }
    out.push_back(p);
  }
  if (!any || spec.back() == ',') {
    why = fmt::format("bad --os '{}'; expected one or more of: {} (comma-separated), or all", spec, sim::known_os(registry));
    return {};
  }
  return out;
}

std::optional<std::string> read_script(const std::string& path, std::string& why) {
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

std::optional<model::Duration> parse_duration(const std::string& text) {
  if (text.find_first_of("\n#") != std::string::npos) return std::nullopt;
  auto parsed = sim::script::parse_script("wait " + text + "\n", "--step-time");
  if (!parsed.script || parsed.script->steps.size() != 1) return std::nullopt;
  const auto* w = std::get_if<sim::script::WaitStep>(&parsed.script->steps[0].body);
  if (!w) return std::nullopt;
  return w->duration;
}

std::optional<std::pair<sim::script::Script, std::string>> parse_file(const std::string& file, std::ostream& err) {
  std::string why;
  auto text = read_script(file, why);
  if (!text) {
    err << file << ": error: " << why << "\n";
    return std::nullopt;
  }
  auto parsed = sim::script::parse_script(*text, file);
  if (!parsed.script) {
    err << parsed.error->render();
    return std::nullopt;
  }
  return std::pair{std::move(*parsed.script), std::move(*text)};
}

std::optional<LoadedScript> load_script(const std::string& file, const std::string& os,
                                        std::span<const model::Profile* const> registry, std::ostream& err) {
  auto parsed = parse_file(file, err);
  if (!parsed) return std::nullopt;
  std::string why;
  LoadedScript out{std::move(parsed->second), std::move(parsed->first), {}};
  if (!os.empty()) {
    out.profiles = select_os(os, registry, why);
    if (out.profiles.empty()) {
      err << "portlab: " << why << "\n";
      return std::nullopt;
    }
  } else {
    auto sel = sim::script_profiles(out.script, out.text, registry);
    if (sel.error) {
      err << sel.error->render();
      return std::nullopt;
    }
    out.profiles = std::move(sel.profiles);
  }
  return out;
}

int run_check_command(const CheckArgs& args, std::ostream& out, std::ostream& err) {
  return run_check_command(args, model::all_profiles(), out, err);
}

int run_check_command(const CheckArgs& args, std::span<const model::Profile* const> registry, std::ostream& out,
                      std::ostream& err) {
  std::optional<std::vector<const model::Profile*>> forced;  // --os
  if (!args.os.empty()) {
    std::string why;
    auto selected = select_os(args.os, registry, why);
    if (selected.empty()) {
      err << "portlab: " << why << "\n";
      return kExitBadInput;
    }
    forced = std::move(selected);
  }
  // A duration in the script's own syntax, so that `--step-time 250us` reads like `wait 250us`.
  auto step_time = parse_duration(args.step_time);
  if (!step_time) {
    err << "portlab: bad --step-time '" << args.step_time << "'; expected a duration such as 1ms, 250us or 0s\n";
    return kExitBadInput;
  }
  auto max_virtual_time = parse_duration(args.max_virtual_time);
  if (!max_virtual_time || *max_virtual_time <= model::Duration::zero() ||
      *max_virtual_time > sim::kMaxVirtualTimeLimit) {
    err << "portlab: bad --max-virtual-time '" << args.max_virtual_time
        << "'; expected a duration from 1ns to 52560000m (100 years), such as 10080m (7 days, the default)\n";
    return kExitBadInput;
  }
  // Parse everything first: on bad input nothing runs.
  std::vector<std::pair<sim::script::Script, std::string>> scripts;
  for (const auto& f : args.files) {
    auto parsed = parse_file(f, err);
    if (!parsed) return kExitBadInput;
    scripts.push_back(std::move(*parsed));
  }
  // Every script under each of its OSes: --os, else its `os` directive, else linux.
  std::vector<std::vector<sim::CheckReport>> reports;  // per script, per OS
  bool multi = false;
  for (const auto& [script, text] : scripts) {
    std::vector<const model::Profile*> profiles;
    if (forced) {
      profiles = *forced;
    } else {
      auto sel = sim::script_profiles(script, text, registry);
      if (sel.error) {
        err << sel.error->render();
        return kExitBadInput;
      }
      profiles = std::move(sel.profiles);
    }
    multi = multi || profiles.size() > 1;
    auto& per_os = reports.emplace_back();
    for (const model::Profile* profile : profiles) {
      auto run = sim::run_check(script, text,
                                {.seed = args.seed,
                                 .step_time = *step_time,
                                 .profile = profile,
                                 .registry = registry,
                                 .max_virtual_time = *max_virtual_time});
      if (!run.report) {
        err << run.error->render();
        return kExitBadInput;
      }
      per_os.push_back(std::move(*run.report));
    }
  }
  bool ok = true;
  for (const auto& per_os : reports)
    for (const auto& r : per_os) ok = ok && r.ok();
  if (args.json) {
    nlohmann::ordered_json j = nlohmann::ordered_json::array();
    for (const auto& per_os : reports)
      for (const auto& r : per_os) j.push_back(nlohmann::ordered_json::parse(sim::format_json(r)));
    if (multi) {
      nlohmann::ordered_json doc;
      doc["ok"] = ok;
      doc["runs"] = std::move(j);
      out << doc.dump(2) << "\n";
    } else {
      out << (j.size() == 1 ? j[0].dump(2) : j.dump(2)) << "\n";
    }
  } else {
    for (const auto& per_os : reports) {
      if (per_os.size() > 1) {
        std::vector<const sim::CheckReport*> runs;
        for (const auto& r : per_os) runs.push_back(&r);
        out << format_table(runs, args.color);
        continue;
      }
      const auto& r = per_os.front();
      out << sim::format_text(r);
      if (!r.ok()) out << "reproduce: " << reproduce(r) << "\n";
    }
  }
  return ok ? kExitOk : kExitFailed;
}

namespace {

std::vector<const model::Rule*> generic_catalogue() {
  std::vector<const model::Rule*> rules(model::generic_rules().begin(), model::generic_rules().end());
  rules.push_back(&sim::sim_rule::blocked_forever);
  rules.push_back(&sim::sim_rule::no_descriptor);
  rules.push_back(&sim::sim_rule::limit_exceeded);
  return rules;
}

// A markdown table cell: '|' would end the cell.
std::string md(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

// The catalogue of one profile, as committed in docs/semantics/<os>.md.
std::string markdown(const model::Profile& p) {
  std::vector<const model::Rule*> rules(p.rules.begin(), p.rules.end());
  const auto generic = generic_catalogue();
  rules.insert(rules.end(), generic.begin(), generic.end());
  std::string out = fmt::format("# Rules of the {} profile\n\n{}\n\n", p.name, md(p.description));
  out += "| rule | condition | result | source | confidence |\n|---|---|---|---|---|\n";
  for (const auto* r : rules)
    out += fmt::format("| `{}` | {} | {} | {} | {} |\n", r->id, md(r->condition), md(r->result), md(r->source),
                       model::name(r->confidence));
  out += fmt::format("\n## Knobs\n\nThe {} profile's tunables, set in scripts with `sysctl NAME=VALUE`.\n\n", p.name);
  if (p.knobs.empty()) {
    out += "None.\n";
  } else {
    out += "| knob | default | meaning | source |\n|---|---|---|---|\n";
    for (const auto& k : p.knobs)
      out += fmt::format("| `{}` | {} | {} | {} |\n", k.name,
                         k.default_text.empty() ? std::string("(empty)") : "`" + md(k.default_text) + "`", md(k.meaning),
                         md(k.source));
  }
  out += fmt::format(
      "\n## Assumptions\n\nThe {} profile's rules whose confidence is `assumed`: the reference says the "
      "behaviour is not established, so the profile makes an explicit assumption. `portlab check` marks every step "
      "such a rule decides with `(ASSUMED)` (JSON: `\"assumed\": true`).\n\n",
      p.name);
  std::vector<const model::Rule*> assumed;
  for (const auto* r : p.rules)
    if (r->confidence == model::Confidence::assumed) assumed.push_back(r);
  if (assumed.empty()) {
    out += "None.\n";
  } else {
    out += "| rule | condition | result | source |\n|---|---|---|---|\n";
    for (const auto* r : assumed)
      out += fmt::format("| `{}` | {} | {} | {} |\n", r->id, md(r->condition), md(r->result), md(r->source));
  }
  return out;
}

std::string rule_text(const model::Rule& r) {
  return fmt::format("{:<52} {:<13} [{}]\n    {}\n    source: {}\n", r.id, r.result, model::name(r.confidence),
                     r.condition, r.source);
}

}  // namespace

int run_rules_command(const RulesArgs& args, std::ostream& out, std::ostream& err) {
  return run_rules_command(args, model::all_profiles(), out, err);
}

int run_rules_command(const RulesArgs& args, std::span<const model::Profile* const> registry, std::ostream& out,
                      std::ostream& err) {
  if (args.list_os) {
    for (const model::Profile* p : registry) out << p->name << "\n";
    return kExitOk;
  }
  std::vector<const model::Profile*> profiles;
  if (args.os == "all") {
    profiles.assign(registry.begin(), registry.end());
  } else if (const model::Profile* p = sim::find_in(registry, args.os)) {
    profiles.push_back(p);
  } else {
    err << "portlab: unknown --os '" << args.os << "'; expected one of: " << sim::known_os(registry) << ", or all\n";
    return kExitBadInput;
  }
  if (!args.write_docs.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(args.write_docs, ec);
    for (const model::Profile* p : profiles) {
      const auto path = std::filesystem::path(args.write_docs) / (std::string(p->name) + ".md");
      std::ofstream f(path, std::ios::binary);
      f << markdown(*p);
      f.close();
      if (!f) {
        err << "portlab: cannot write " << path.string() << "\n";
        return kExitBadInput;
      }
      out << "wrote " << path.string() << "\n";
    }
    return kExitOk;
  }
  if (args.format == "json") {
    // One flat list: every rule once, each naming its OS.
    std::vector<const model::Rule*> rules;
    std::set<const model::Rule*> seen;
    for (const model::Profile* p : profiles)
      for (const auto* r : p->rules)
        if (seen.insert(r).second) rules.push_back(r);
    for (const auto* r : generic_catalogue())
      if (seen.insert(r).second) rules.push_back(r);
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
    for (std::size_t i = 0; i < profiles.size(); ++i) out << (i ? "\n" : "") << markdown(*profiles[i]);
  } else if (profiles.size() == 1) {
    for (const auto* r : profiles[0]->rules) out << rule_text(*r);
    for (const auto* r : generic_catalogue()) out << rule_text(*r);
  } else {
    for (const model::Profile* p : profiles) {
      out << fmt::format("== {}: {} ==\n", p->name, p->description);
      for (const auto* r : p->rules) out << rule_text(*r);
    }
    out << "== every OS: model limits and the simulator ==\n";
    for (const auto* r : generic_catalogue()) out << rule_text(*r);
  }
  return kExitOk;
}

}  // namespace portlab::cli
