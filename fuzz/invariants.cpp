#include "fuzz/invariants.h"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <variant>

#include "model/profiles.h"

namespace portlab::fuzz {
namespace {

using namespace sim::script;

// The lines of `text` as the parser numbers them: a UTF-8 byte order mark is not part of line 1,
// a CR before the LF is not part of its line.
std::vector<std::string_view> split_lines(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  for (;;) {
    const std::size_t nl = text.find('\n', start);
    std::string_view line = text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return lines;
}

class Checker {
 public:
  explicit Checker(std::string_view text) : lines_(split_lines(text)) {}

  std::vector<std::string> out;

  void fail(std::string what) { out.push_back(std::move(what)); }

  // A location on a line of the text, at a column no further than one past the line's end.
  void loc(const SourceLoc& l, const std::string& what, std::optional<int> same_line = std::nullopt) {
    if (l.line < 1 || static_cast<std::size_t>(l.line) > lines_.size()) {
      fail(what + ": line " + std::to_string(l.line) + " is not a line of the text (1.." +
           std::to_string(lines_.size()) + ")");
      return;
    }
    const auto len = lines_[static_cast<std::size_t>(l.line - 1)].size();
    if (l.column < 1 || static_cast<std::size_t>(l.column) > len + 1)
      fail(what + ": column " + std::to_string(l.column) + " is outside line " + std::to_string(l.line) + " (1.." +
           std::to_string(len + 1) + ")");
    if (same_line && l.line != *same_line)
      fail(what + ": at line " + std::to_string(l.line) + ", but its step is at line " + std::to_string(*same_line));
  }

  std::string_view line(int n) const {
    if (n < 1 || static_cast<std::size_t>(n) > lines_.size()) return {};
    return lines_[static_cast<std::size_t>(n - 1)];
  }

  std::size_t line_count() const { return lines_.size(); }

 private:
  std::vector<std::string_view> lines_;
};

struct ScriptWalker {
  Checker& c;
  int line = 0;
  std::map<std::string, int> bound;  // variable -> line of the step that bound it

  void var(const VarRef& v, const std::string& what) {
    c.loc(v.loc, what + " '" + v.name + "'", line);
    auto it = bound.find(v.name);
    if (it == bound.end() || it->second >= line)
      c.fail("line " + std::to_string(line) + ": variable '" + v.name + "' is used before any step bound it");
  }
  void port(const PortExpr& p, const std::string& what) {
    if (auto* v = std::get_if<VarRef>(&p)) var(*v, what);
  }
  void integer(const IntExpr& e, const std::string& what) {
    if (auto* v = std::get_if<VarRef>(&e)) var(*v, what);
  }
  void endpoint(const EndpointExpr& e, const std::string& what) {
    c.loc(e.loc, what, line);
    port(e.port, what + " port");
  }

  void operator()(const CallStep& cs) {
    const Call& call = cs.call;
    c.loc(call.loc, "call name", line);
    if (call.kind == CallKind::socket) {
      if (call.sock) c.fail("line " + std::to_string(line) + ": socket() has a socket argument");
    } else if (!call.sock) {
      c.fail("line " + std::to_string(line) + ": " + std::string(name(call.kind)) + "() has no socket argument");
    } else {
      var(*call.sock, "socket argument");
    }
    if ((call.kind == CallKind::bind || call.kind == CallKind::connect) != call.endpoint.has_value())
      c.fail("line " + std::to_string(line) + ": an address argument on the wrong call");
    if (call.endpoint) endpoint(*call.endpoint, "address argument");
    if ((call.kind == CallKind::setsockopt || call.kind == CallKind::getsockopt) != call.opt.has_value())
      c.fail("line " + std::to_string(line) + ": a socket option on the wrong call");
    if ((call.kind == CallKind::setsockopt) != call.opt_value.has_value())
      c.fail("line " + std::to_string(line) + ": an option value on the wrong call");
    if ((call.kind == CallKind::shutdown) != call.how.has_value())
      c.fail("line " + std::to_string(line) + ": a shutdown mode on the wrong call");
    if (call.count) integer(*call.count, "count argument");
    if (call.kind == CallKind::port && !cs.bind_var)
      c.fail("line " + std::to_string(line) + ": port() without a variable to bind");
    for (const auto& ex : cs.expects) {
      c.loc(ex.loc, "'='", line);
      for (const auto& o : ex.os) c.loc(o.loc, "OS name", line);
      if (ex.alternatives.empty()) c.fail("line " + std::to_string(line) + ": '=' with no alternative");
      for (const auto& alt : ex.alternatives) {
        c.loc(alt.loc, "expected result", line);
        const int set = alt.error.has_value() + alt.integer.has_value() + alt.endpoint.has_value() +
                        alt.opt_value.has_value() + alt.any_error;
        if (set != 1) c.fail("line " + std::to_string(line) + ": an expected result with " + std::to_string(set) + " forms");
        if (alt.integer) integer(*alt.integer, "expected integer");
        if (alt.endpoint) endpoint(*alt.endpoint, "expected address");
      }
    }
    if (cs.bind_var) bound[*cs.bind_var] = line;
  }
  void operator()(const SysctlStep& sc) {
    c.loc(sc.value_loc, "sysctl value", line);
    for (const auto& o : sc.os) c.loc(o.loc, "OS name", line);
    for (const auto& o : sc.os) c.loc(o.loc, "OS name", line);
    if (sc.name.empty()) c.fail("line " + std::to_string(line) + ": sysctl with an empty name");
  }
  void operator()(const WaitStep& w) {
    if (w.duration < model::Duration::zero()) c.fail("line " + std::to_string(line) + ": negative wait");
  }
  void operator()(const DeliverStep& d) {
    endpoint(d.src, "source address");
    endpoint(d.dst, "destination address");
  }
  void operator()(const ExpectStep& es) {
    for (const auto& o : es.os) c.loc(o.loc, "OS name", line);
    for (const auto& o : es.os) c.loc(o.loc, "OS name", line);
    std::visit(
        [&](const auto& what) {
          using T = std::decay_t<decltype(what)>;
          if constexpr (std::is_same_v<T, ExpectTupleState>) {
            endpoint(what.local, "local address");
            endpoint(what.remote, "remote address");
          } else if constexpr (std::is_same_v<T, ExpectSocketState>) {
            var(what.sock, "socket");
          } else if constexpr (std::is_same_v<T, ExpectCount>) {
            if (what.port) port(*what.port, "port");
            if (what.local) endpoint(*what.local, "local address");
            if (what.remote) endpoint(*what.remote, "remote address");
          } else if constexpr (std::is_same_v<T, ExpectInRange>) {
            integer(what.value, "value");
          } else if constexpr (std::is_same_v<T, ExpectCompare>) {
            integer(what.lhs, "left-hand side");
            integer(what.rhs, "right-hand side");
          }
        },
        es.what);
  }
};

std::string trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

std::vector<std::string> parse_invariants(std::string_view text, const ParseResult& result) {
  Checker c(text);
  if (result.script.has_value() == result.error.has_value()) {
    c.fail("parse_script must set exactly one of script and error");
    return c.out;
  }
  if (result.error) {
    const Diagnostic& d = *result.error;
    if (d.file != kFuzzFile) c.fail("diagnostic names file '" + d.file + "'");
    if (d.message.empty()) c.fail("diagnostic with an empty message");
    if (text.size() <= kMaxScriptBytes) {
      c.loc(d.loc, "diagnostic");
      const auto src = c.line(d.loc.line);
      if (d.source_line.size() > std::min(src.size(), kMaxLineBytes))
        c.fail("diagnostic quotes " + std::to_string(d.source_line.size()) + " bytes of a " +
               std::to_string(src.size()) + "-byte line");
    }
    const std::string r = d.render();
    const std::string head = d.file + ":" + std::to_string(d.loc.line) + ":" + std::to_string(d.loc.column) +
                             ": error: " + d.message + "\n";
    if (r.rfind(head, 0) != 0) c.fail("render() does not start with FILE:LINE:COL: error: MESSAGE");
    if (r.empty() || r.back() != '\n') c.fail("render() does not end with a newline");
    if (d.loc.line > 0 && r.size() >= 2 && r.substr(r.size() - 2) != "^\n") c.fail("render() has no caret line");
    return c.out;
  }
  const Script& s = *result.script;
  if (s.file != kFuzzFile) c.fail("script names file '" + s.file + "'");
  if (s.hosts.size() > kMaxHosts) c.fail("more hosts than kMaxHosts");
  if (s.steps.size() > kMaxSteps) c.fail("more steps than kMaxSteps");
  for (std::size_t i = 0; i < c.line_count(); ++i)
    if (c.line(static_cast<int>(i + 1)).size() > kMaxLineBytes) c.fail("a line longer than kMaxLineBytes parsed");
  for (const auto& o : s.os) c.loc(o.loc, "OS name '" + o.name + "' of the script");
  std::set<std::string> hosts;
  for (const auto& h : s.hosts) {
    if (h.os) c.loc(h.os->loc, "OS name '" + h.os->name + "' of host '" + h.name + "'");
    if (!hosts.insert(h.name).second) c.fail("duplicate host '" + h.name + "'");
    if (h.addresses.empty()) c.fail("host '" + h.name + "' without an address");
    if (h.prefix_lengths.size() > h.addresses.size()) c.fail("more prefix lengths than addresses");
  }
  ScriptWalker w{c, 0, {}};
  int prev_line = 0;
  for (const auto& step : s.steps) {
    c.loc(step.loc, "step");
    if (step.loc.line <= prev_line) c.fail("steps out of source order at line " + std::to_string(step.loc.line));
    prev_line = step.loc.line;
    if (step.text.empty()) c.fail("step at line " + std::to_string(step.loc.line) + " with empty text");
    if (c.line(step.loc.line).find(step.text) == std::string_view::npos)
      c.fail("step text '" + step.text + "' is not part of line " + std::to_string(step.loc.line));
    if (step.text != trimmed(step.text)) c.fail("step text is not trimmed");
    std::optional<std::string> host;
    if (auto* cs = std::get_if<CallStep>(&step.body)) host = cs->host;
    if (auto* sc = std::get_if<SysctlStep>(&step.body)) host = sc->host;
    if (auto* es = std::get_if<ExpectStep>(&step.body)) host = es->host;
    if (host && !(s.hosts.empty() ? *host == "local" : hosts.count(*host) == 1))
      c.fail("line " + std::to_string(step.loc.line) + ": unknown host '" + *host + "' accepted");
    if (s.hosts.size() > 1) {
      if (auto* cs = std::get_if<CallStep>(&step.body); cs && !cs->host)
        c.fail("line " + std::to_string(step.loc.line) + ": a call without HOST: in a script with several hosts");
    }
    w.line = step.loc.line;
    std::visit(w, step.body);
  }
  return c.out;
}

bool too_many_steps_for_fuzzing(const Script& script) { return sim::linear_steps(script).size() > kFuzzMaxSteps; }

sim::CheckOptions fuzz_options(std::string_view text) {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char b : text) h = (h ^ b) * 1099511628211ull;
  sim::CheckOptions o;
  o.seed = 1 + h % 7;
  // Every profile, chosen by the input's hash so that the same input always meets the same one.
  const auto profiles = model::all_profiles();
  o.profile = profiles[(h >> 8) % profiles.size()];
  return o;
}

std::vector<std::string> check_invariants(std::string_view text, const Script& script, const sim::CheckOptions& options,
                                          const sim::CheckRun& run) {
  Checker c(text);
  if (run.report.has_value() == run.error.has_value()) {
    c.fail("run_check must set exactly one of report and error");
    return c.out;
  }
  if (run.error) {
    if (run.error->message.empty()) c.fail("run_check error with an empty message");
    if (run.error->loc.line != 0) c.loc(run.error->loc, "run_check error");
    return c.out;
  }
  const sim::CheckReport& r = *run.report;
  // With process blocks, check runs the steps of sim::linear_steps (processes one after another);
  // then one report line per workload block (not run by check).
  const std::vector<const Step*> linear = sim::linear_steps(script);
  if (r.steps.size() != linear.size() + script.workloads.size()) {
    c.fail("report has " + std::to_string(r.steps.size()) + " steps for a script of " +
           std::to_string(linear.size()) + " steps and " + std::to_string(script.workloads.size()) + " workloads");
    return c.out;
  }
  int checks = 0;
  int failures = 0;
  model::TimePoint prev{};
  bool stopped = false;
  for (std::size_t i = 0; i < r.steps.size(); ++i) {
    const auto& st = r.steps[i];
    const std::string at = "report step " + std::to_string(i) + " (line " + std::to_string(st.line) + ")";
    if (i >= linear.size()) {
      const auto& w = script.workloads[i - linear.size()];
      if (st.line != w.loc.line || st.checked || !st.ok) c.fail(at + ": not the unchecked line of its workload block");
      continue;
    }
    const auto& sc = *linear[i];
    if (st.line != sc.loc.line || st.column != sc.loc.column) c.fail(at + ": not at its script step's location");
    if (st.text != sc.text) c.fail(at + ": text differs from the script step's");
    if (st.checked) {
      ++checks;
      if (!st.ok) ++failures;
    } else if (!st.ok) {
      c.fail(at + ": not ok without a check");
    }
    if (!st.ok && st.message.empty()) c.fail(at + ": a failed step without a message");
    if (st.at < prev) c.fail(at + ": virtual time went backwards");
    prev = st.at;
    const bool limit = st.rule == &sim::sim_rule::limit_exceeded;
    if (stopped && !limit) c.fail(at + ": a step ran after the run stopped at its limit");
    stopped = stopped || limit;
    if (!limit && st.at.time_since_epoch() > options.max_virtual_time && i + 1 < r.steps.size() &&
        r.steps[i + 1].rule != &sim::sim_rule::limit_exceeded)
      c.fail(at + ": past the virtual-time limit, and the next step still ran");
    if (std::holds_alternative<CallStep>(sc.body) && st.rule == nullptr)
      c.fail(at + ": a call step without a rule (result '" + st.result + "')");
    if (std::holds_alternative<CallStep>(sc.body) && st.result.empty()) c.fail(at + ": a call step without a result");
  }
  if (checks != r.checks) c.fail("report counts " + std::to_string(r.checks) + " checks, steps say " + std::to_string(checks));
  if (failures != r.failures)
    c.fail("report counts " + std::to_string(r.failures) + " failures, steps say " + std::to_string(failures));
  if (r.seed != options.seed) c.fail("report has another seed");
  return c.out;
}

std::vector<std::string> output_invariants(const Script& script, const sim::CheckReport& report) {
  std::vector<std::string> out;
  const std::string text = sim::format_text(report);
  const std::string verdict =
      (report.ok() ? "PASS: " : "FAIL: ") + std::to_string(report.checks) + " checks, " + std::to_string(report.failures) + " failed\n";
  if (text.size() < verdict.size() || text.compare(text.size() - verdict.size(), verdict.size(), verdict) != 0)
    out.push_back("format_text does not end with '" + verdict.substr(0, verdict.size() - 1) + "'");
  std::string json_text;
  try {
    json_text = sim::format_json(report);
  } catch (const std::exception& e) {
    out.push_back(std::string("format_json threw: ") + e.what());
    return out;
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json_text);
  } catch (const std::exception& e) {
    out.push_back(std::string("format_json's output does not parse: ") + e.what());
    return out;
  }
  try {
    if (!j.is_object()) {
      out.push_back("the JSON report is not an object");
      return out;
    }
    if (j.at("ok").get<bool>() != report.ok()) out.push_back("JSON ok differs from the report");
    if (j.at("checks").get<int>() != report.checks) out.push_back("JSON checks differs from the report");
    if (j.at("failures").get<int>() != report.failures) out.push_back("JSON failures differs from the report");
    if (j.at("seed").get<std::uint64_t>() != report.seed) out.push_back("JSON seed differs from the report");
    const auto& steps = j.at("steps");
    const std::vector<const Step*> linear = sim::linear_steps(script);
    if (!steps.is_array() || steps.size() != linear.size() + script.workloads.size()) {
      out.push_back("JSON has " + std::to_string(steps.size()) + " steps for a script of " +
                    std::to_string(linear.size()));
      return out;
    }
    for (std::size_t i = 0; i < steps.size(); ++i) {
      const auto& s = steps[i];
      const auto& r = report.steps[i];
      const std::string at = "JSON step " + std::to_string(i);
      const bool workload = i >= linear.size();
      const SourceLoc loc = workload ? script.workloads[i - linear.size()].loc : linear[i]->loc;
      const std::string& step_text = workload ? script.workloads[i - linear.size()].lines.front() : linear[i]->text;
      if (s.at("line").get<int>() != loc.line) out.push_back(at + ": wrong line");
      if (s.at("column").get<int>() != loc.column) out.push_back(at + ": wrong column");
      if (s.at("call").get<std::string>() != step_text) out.push_back(at + ": call is not the step's text");
      if (s.at("ok").get<bool>() != r.ok) out.push_back(at + ": wrong ok");
      if (s.at("result").get<std::string>() != r.result) out.push_back(at + ": wrong result");
      if (r.rule ? s.at("rule").get<std::string>() != r.rule->id : !s.at("rule").is_null())
        out.push_back(at + ": wrong rule");
      if (s.at("time_ns").get<std::int64_t>() != r.at.time_since_epoch().count()) out.push_back(at + ": wrong time_ns");
      if (!r.ok && !s.contains("message")) out.push_back(at + ": a failed step without a message");
    }
  } catch (const std::exception& e) {
    out.push_back(std::string("the JSON report lacks a field or has a wrong type: ") + e.what());
  }
  return out;
}

std::vector<std::string> all_invariants(std::string_view text) {
  auto parsed = parse_script(text, std::string(kFuzzFile));
  auto out = parse_invariants(text, parsed);
  if (!out.empty() || !parsed.script) return out;
  const auto options = fuzz_options(text);
  auto run = sim::run_check(*parsed.script, text, options);
  auto more = check_invariants(text, *parsed.script, options, run);
  out.insert(out.end(), more.begin(), more.end());
  if (!out.empty() || !run.report) return out;
  auto again = sim::run_check(*parsed.script, text, options);
  if (!again.report || sim::format_text(*again.report) != sim::format_text(*run.report) ||
      sim::format_json(*again.report) != sim::format_json(*run.report))
    out.push_back("two runs with the same seed printed different reports");
  more = output_invariants(*parsed.script, *run.report);
  out.insert(out.end(), more.begin(), more.end());
  return out;
}

void die_on(const std::vector<std::string>& violations, std::string_view text) {
  if (violations.empty()) return;
  std::fprintf(stderr, "portlab fuzz: %zu invariant(s) violated for this %zu-byte input:\n", violations.size(),
               text.size());
  for (const auto& v : violations) std::fprintf(stderr, "  - %s\n", v.c_str());
  std::abort();
}

}  // namespace portlab::fuzz
