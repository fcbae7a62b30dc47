#include "sim/explore.h"

#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
// GCC 12 reports false -Wmaybe-uninitialized positives inside Boost.Graph's edge iterators
// (boost::optional in adj_list_edge_iterator) at -O2.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/graphviz.hpp>
#include <boost/graph/strong_components.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "model/linux_profile.h"
#include "sim/check.h"
#include "sim/fingerprint_set.h"
#include "sim/world.h"

namespace portlab::sim {

namespace {

using namespace script;

// ---- State --------------------------------------------------------------------------------

struct ProcState {
  std::uint32_t pc = 0;
  std::vector<std::int64_t> loops;  // loop counters, innermost last
};

// One state of the search: the world between two actions, the script's variables, and where
// every process is. procs[0] is `main`, the steps outside the process blocks.
struct Node {
  World world;
  Variables vars;
  std::vector<ProcState> procs;
  std::uint32_t drops = 0;  // SYNs lost so far (ExploreOptions::max_drops)
};

// An action, packed: kind in the top byte, process in the next, branch in the low half.
enum class ActionKind : std::uint8_t { step = 0, choose = 1, timer = 2, deliver = 3, drop = 4 };
using Action = std::uint32_t;
Action make_action(ActionKind k, std::size_t proc, std::size_t branch = 0) {
  return (static_cast<std::uint32_t>(k) << 24) | (static_cast<std::uint32_t>(proc) << 16) |
         static_cast<std::uint32_t>(branch);
}
ActionKind kind_of(Action a) { return static_cast<ActionKind>(a >> 24); }
std::size_t proc_of(Action a) { return (a >> 16) & 0xff; }
std::size_t branch_of(Action a) { return a & 0xffff; }  // a choose's branch, or a delivery's flow

// The `deliver SRC -> DST` step that delivers the head of `f`: what the replay script says.
Step deliver_step(const World::HeldFlow& f, bool drop = false) {
  Step st;
  DeliverStep d;
  d.drop = drop;
  d.src.addr = f.src.addr;
  d.src.port = f.src.port;
  d.dst.addr = f.dst.addr;
  d.dst.port = f.dst.port;
  st.body = std::move(d);
  st.text = (drop ? "drop " : "deliver ") + f.src.to_string() + " -> " + f.dst.to_string();
  return st;
}

std::string trim_copy(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

void put64(std::string& out, std::int64_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }

std::uint64_t fingerprint_of(std::string_view bytes) {
  std::uint64_t h = 0x243f6a8885a308d3ull ^ bytes.size();
  std::size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, bytes.data() + i, 8);
    h = fingerprint_mix(h ^ fingerprint_mix(w + 0x9e3779b97f4a7c15ull));
  }
  std::uint64_t tail = 0;
  std::memcpy(&tail, bytes.data() + i, bytes.size() - i);
  return fingerprint_mix(h ^ fingerprint_mix(tail ^ 0x13198a2e03707344ull));
}

// The resident set size now (Linux /proc/self/statm), or 0 when it cannot be read.
std::uint64_t current_rss() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  unsigned long long size = 0, resident = 0;
  const int n = std::fscanf(f, "%llu %llu", &size, &resident);
  std::fclose(f);
  return n == 2 ? resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE)) : 0;
}

std::uint64_t peak_rss() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<std::uint64_t>(ru.ru_maxrss) * 1024;
}

// ---- The transition system of one script under one OS --------------------------------------

// What one action did.
struct Outcome {
  bool enabled = true;        // false: the step would block (not an edge)
  std::optional<StepReport> report;  // process steps
  std::vector<std::string> timer_events;
  model::Duration waited{};  // timer: how far time jumped
  bool violation = false;    // the step's expectation failed
  std::optional<std::size_t> call_property;  // or the call violates this call property
  std::string step_text;     // deliver: the step as the replay script writes it
};

class Space {
 public:
  Space(const Script& s, std::string_view source, const CheckOptions& o, std::uint32_t max_drops)
      : script_(s), runner_(s, source, o), max_drops_(max_drops) {}

  std::optional<Diagnostic> validate() { return runner_.validate(); }

  std::size_t process_count() const { return script_.processes.size() + 1; }
  std::string process_name(std::size_t p) const { return p == 0 ? "main" : script_.processes[p - 1].name; }

  Node initial() const {
    Node n{runner_.make_world(true), {}, std::vector<ProcState>(process_count())};
    for (std::size_t p = 1; p < process_count(); ++p) normalize(p, n.procs[p]);
    return n;
  }

  bool finished(const Node& n, std::size_t p) const {
    if (p == 0) return n.procs[0].pc >= script_.steps.size();
    return n.procs[p].pc >= script_.processes[p - 1].code.size();
  }
  bool all_finished(const Node& n) const {
    for (std::size_t p = 0; p < process_count(); ++p)
      if (!finished(n, p)) return false;
    return true;
  }
  // main runs its steps before the processes, waits for them all, then runs the rest.
  bool may_run(const Node& n, std::size_t p) const {
    if (finished(n, p)) return false;
    const std::size_t before = script_.processes.empty() ? script_.steps.size() : script_.steps_before_processes;
    if (p == 0) {
      if (n.procs[0].pc < before) return true;
      for (std::size_t q = 1; q < process_count(); ++q)
        if (!finished(n, q)) return false;
      return true;
    }
    return n.procs[0].pc >= before;
  }

  // The step a process is at (nullptr at a choose).
  const Step* current_step(const Node& n, std::size_t p) const {
    if (p == 0) return &script_.steps[n.procs[0].pc];
    const Process& proc = script_.processes[p - 1];
    const ProcessOp& op = proc.code[n.procs[p].pc];
    return op.kind == ProcessOp::Kind::step ? &proc.steps[op.step] : nullptr;
  }
  const ProcessOp* current_op(const Node& n, std::size_t p) const {
    if (p == 0) return nullptr;
    return &script_.processes[p - 1].code[n.procs[p].pc];
  }

  // The actions possible in `n`, in a fixed order: processes in declaration order (main first),
  // each choose branch in order, then the timer.
  void actions(const Node& n, std::vector<Action>& out) const {
    out.clear();
    for (std::size_t p = 0; p < process_count(); ++p) {
      if (!may_run(n, p)) continue;
      const ProcessOp* op = current_op(n, p);
      if (op && op->kind == ProcessOp::Kind::choose) {
        for (std::size_t b = 0; b < op->branches.size(); ++b) out.push_back(make_action(ActionKind::choose, p, b));
      } else {
        out.push_back(make_action(ActionKind::step, p));
      }
    }
    if (runner_.interleave()) {
      const auto flows = n.world.held_flows();
      for (std::size_t f = 0; f < flows.size() && f <= 0xffff; ++f) out.push_back(make_action(ActionKind::deliver, 0, f));
      if (n.drops < max_drops_) {
        for (std::size_t f = 0; f < flows.size() && f <= 0xffff; ++f)
          if (n.world.head_is_syn(flows[f].src, flows[f].dst)) out.push_back(make_action(ActionKind::drop, 0, f));
      }
    }
    if (next_deadline(n.world)) out.push_back(make_action(ActionKind::timer, 0));
  }

  static std::optional<model::TimePoint> next_deadline(const World& w) {
    std::optional<model::TimePoint> t;
    for (std::size_t h = 0; h < w.host_count(); ++h) {
      auto d = w.host(h).next_deadline();
      if (d && (!t || *d < *t)) t = d;
    }
    return t;
  }

  // Applies `a` to `n` (in place). Not enabled: `n` is left in an unspecified state.
  Outcome apply(Node& n, Action a, bool detail) const {
    Outcome o;
    const std::size_t p = proc_of(a);
    switch (kind_of(a)) {
      case ActionKind::timer: {
        const auto t = next_deadline(n.world);
        const auto before = n.world.now();
        n.world.advance_to(*t);
        o.waited = n.world.now() - before;
        auto log = n.world.take_log();
        if (detail)
          for (auto& e : log)
            o.timer_events.push_back(fmt::format("[{}] {}: {}{}", model::format_duration(e.at.time_since_epoch()),
                                                 e.host, e.what, e.rule ? " (" + std::string(e.rule->id) + ")" : ""));
        return o;
      }
      case ActionKind::choose: {
        n.procs[p].pc = static_cast<std::uint32_t>(current_op(n, p)->branches[branch_of(a)]);
        normalize(p, n.procs[p]);
        return o;
      }
      case ActionKind::deliver:
      case ActionKind::drop: {
        const bool drop = kind_of(a) == ActionKind::drop;
        const Step st = deliver_step(n.world.held_flows().at(branch_of(a)), drop);
        o.step_text = st.text;
        o.report = runner_.run(st, n.world, n.vars, detail);
        if (drop) ++n.drops;
        return o;
      }
      case ActionKind::step: {
        const Step& step = *current_step(n, p);
        StepReport r = runner_.run(step, n.world, n.vars, detail);
        if (r.would_block) {
          o.enabled = false;
          return o;
        }
        o.violation = r.checked && !r.ok && !r.skipped;
        if (!o.violation) o.call_property = violated_call_property(step, r, n.vars);
        o.report = std::move(r);
        ++n.procs[p].pc;
        if (p != 0) normalize(p, n.procs[p]);
        return o;
      }
    }
    return o;
  }

  // Runs the loop and jump ops up to the next step or choose (or the end).
  void normalize(std::size_t p, ProcState& ps) const {
    const Process& proc = script_.processes[p - 1];
    while (ps.pc < proc.code.size()) {
      const ProcessOp& op = proc.code[ps.pc];
      switch (op.kind) {
        case ProcessOp::Kind::step:
        case ProcessOp::Kind::choose: return;
        case ProcessOp::Kind::loop_enter:
          if (op.count == 0) {
            ps.pc = static_cast<std::uint32_t>(op.target);
          } else {
            ps.loops.push_back(op.count);
            ++ps.pc;
          }
          break;
        case ProcessOp::Kind::loop_next:
          if (--ps.loops.back() > 0) {
            ps.pc = static_cast<std::uint32_t>(op.target);
          } else {
            ps.loops.pop_back();
            ++ps.pc;
          }
          break;
        case ProcessOp::Kind::jump: ps.pc = static_cast<std::uint32_t>(op.target); break;
      }
    }
  }

  // The first call property the call of `step` violates, if any.
  std::optional<std::size_t> violated_call_property(const Step& step, const StepReport& r, Variables& vars) const {
    const auto* cs = std::get_if<CallStep>(&step.body);
    if (!cs || !r.call_result || !cs->call.sock) return std::nullopt;
    for (std::size_t i = 0; i < script_.properties.size(); ++i) {
      const Property& prop = script_.properties[i];
      if (!prop.call) continue;
      const CallProperty& cp = *prop.call;
      if (cp.call != cs->call.kind || cp.sock.name != cs->call.sock->name) continue;
      if (cp.host && cp.host != cs->host) continue;
      if (!applies_to(cp.results.os, runner_.profile().name)) continue;
      if (runner_.matches(cp.results, *r.call_result, vars) == prop.never) return i;
    }
    return std::nullopt;
  }

  // The first state property the state violates, if any: (index, report).
  std::optional<std::pair<std::size_t, StepReport>> violated_property(Node& n) const {
    for (std::size_t i = 0; i < script_.properties.size(); ++i) {
      const Property& prop = script_.properties[i];
      if (prop.call) continue;  // a property of calls, checked as they run
      StepReport r = runner_.run(prop.expr, n.world, n.vars, false);
      if (!r.checked || r.skipped || r.rule == &sim_rule::no_descriptor) continue;  // vacuous: no such variable yet
      if (prop.never ? r.ok : !r.ok) return std::make_pair(i, std::move(r));
    }
    return std::nullopt;
  }

  void encode(const Node& n, std::string& out) const {
    out.clear();
    n.world.encode_state(out);
    for (const auto& [name, v] : n.vars) {
      out += name;
      out += '\0';
      put64(out, static_cast<std::int64_t>(v.host) * 4 + v.is_socket * 2 + v.value.has_value());
      if (v.value) put64(out, *v.value);
    }
    for (const auto& ps : n.procs) {
      put64(out, ps.pc);
      for (auto l : ps.loops) put64(out, l);
      put64(out, -1);
    }
    if (max_drops_ > 0) put64(out, n.drops);
  }

  // A label for the state in the DOT graph: where each process is, and the TCP states per host.
  std::string label(const Node& n) const {
    std::string out;
    for (std::size_t p = 0; p < process_count(); ++p) {
      if (p == 0 && script_.steps.empty()) continue;
      const Step* s = finished(n, p) ? nullptr : current_step(n, p);
      out += process_name(p) + ": " + (finished(n, p) ? "end" : s ? "line " + std::to_string(s->loc.line) : "choose") +
             "\\n";
    }
    for (std::size_t h = 0; h < n.world.host_count(); ++h) {
      std::string states;
      for (const auto& c : n.world.host(h).connections()) {
        if (!states.empty()) states += ", ";
        states += std::string(model::name(c.state));
      }
      out += n.world.host_name(h) + ": " + (states.empty() ? "-" : states) + "\\n";
    }
    if (runner_.interleave()) {
      std::size_t held = 0;
      for (const auto& f : n.world.held_flows()) held += f.segments;
      out += "held: " + std::to_string(held) + "\\n";
    }
    return out;
  }

  std::string action_label(const Node& before, Action a) const {
    const std::size_t p = proc_of(a);
    switch (kind_of(a)) {
      case ActionKind::timer: return "timer";
      case ActionKind::choose: return process_name(p) + ": choose branch " + std::to_string(branch_of(a) + 1);
      case ActionKind::step: return process_name(p) + ": " + current_step(before, p)->text;
      case ActionKind::deliver:
      case ActionKind::drop:
        return "network: " +
               deliver_step(before.world.held_flows().at(branch_of(a)), kind_of(a) == ActionKind::drop).text;
    }
    return {};
  }

  const Script& script() const { return script_; }
  const StepRunner& runner() const { return runner_; }

 private:
  const Script& script_;
  StepRunner runner_;
  std::uint32_t max_drops_ = 0;
};

// ---- Replay scripts -------------------------------------------------------------------------

std::string host_line(const HostDecl& h) {
  std::string out = "host " + h.name;
  for (std::size_t i = 0; i < h.addresses.size(); ++i) {
    out += " " + h.addresses[i].to_string();
    const int def = h.addresses[i].family() == model::Family::inet ? 32 : 128;
    if (i < h.prefix_lengths.size() && h.prefix_lengths[i] != def) out += "/" + std::to_string(h.prefix_lengths[i]);
  }
  if (!h.devices.empty()) {
    out += " dev";
    for (const auto& d : h.devices) out += " " + d;
  }
  if (h.os) out += " os=" + h.os->name;
  return out;
}

// The step as a top-level line: a step of a process `on HOST` gets its `HOST:` prefix.
std::string replay_line(const Step& step) {
  std::string text = step.text;
  if (const auto* cs = std::get_if<CallStep>(&step.body)) {
    if (cs->host && text.rfind(*cs->host + ":", 0) != 0) text = *cs->host + ": " + text;
  } else if (const auto* es = std::get_if<ExpectStep>(&step.body)) {
    const std::string rest = text.substr(std::string_view("expect").size());
    if (es->host && trim_copy(rest).rfind(*es->host + ":", 0) != 0) text = "expect " + *es->host + ":" + rest;
  }
  return text;
}

// A result of a call property as written: `-1 EADDRNOTAVAIL`, `-1`, `0`, `P`, `10.0.0.1:5000`.
std::string result_text(const ExpectedValue& alt) {
  if (alt.any_error) return "-1";
  if (alt.error) return "-1 " + std::string(model::name(*alt.error));
  if (alt.integer) {
    if (const auto* i = std::get_if<std::int64_t>(&*alt.integer)) return std::to_string(*i);
    return std::get<VarRef>(*alt.integer).name;
  }
  if (alt.endpoint) {
    const std::string port = std::holds_alternative<std::uint16_t>(alt.endpoint->port)
                                 ? std::to_string(std::get<std::uint16_t>(alt.endpoint->port))
                                 : std::get<VarRef>(alt.endpoint->port).name;
    const std::string addr = alt.endpoint->addr.to_string();
    return (alt.endpoint->addr.family() == model::Family::inet6 ? "[" + addr + "]" : addr) + ":" + port;
  }
  if (alt.opt_value) return model::format_value(*alt.opt_value);
  return "?";
}

// The step that violates a call property, as the replay script's last line: the call as written
// (with its host prefix), its own expected results replaced by the property's, `!=` for `never`
// and `=` for `always`, so that `portlab check` fails there exactly when the property is violated.
std::string call_property_line(const Step& step, const Property& prop) {
  const auto& cs = std::get<CallStep>(step.body);
  std::string text = replay_line(step);
  // The call's closing parenthesis: the first ')' after the call name outside a string.
  const std::string name(script::name(cs.call.kind));
  std::size_t at = text.find(name + "(");
  bool in_string = false;
  for (std::size_t i = at == std::string::npos ? 0 : at; i < text.size(); ++i) {
    if (text[i] == '"') in_string = !in_string;
    if (text[i] == ')' && !in_string) {
      text.resize(i + 1);
      break;
    }
  }
  std::string results;
  for (const auto& alt : prop.call->results.alternatives) results += (results.empty() ? "" : " | ") + result_text(alt);
  return text + (prop.never ? " != " : " = ") + results;
}

// `always X` -> `expect X`; `never X` -> `expect` with the comparison negated.
std::string property_as_expect(const Property& prop) {
  std::string body = prop.expr.text.substr(prop.never ? 5 : 6);
  if (!prop.never) return "expect" + body;
  // The last comparison operator of the line (skipping the `->` of a tuple).
  const std::string ops = "=<>!";
  std::size_t end = std::string::npos;
  for (std::size_t i = body.size(); i-- > 0;) {
    if (ops.find(body[i]) == std::string::npos) continue;
    if (body[i] == '>' && i > 0 && body[i - 1] == '-') continue;
    end = i;
    break;
  }
  if (end == std::string::npos) return "expect" + body;
  std::size_t begin = end;
  if (begin > 0 && ops.find(body[begin - 1]) != std::string::npos) --begin;
  const std::string op = body.substr(begin, end - begin + 1);
  static const std::map<std::string, std::string> negate = {{"==", "!="}, {"!=", "=="}, {"<", ">="},
                                                            {"<=", ">"},  {">", "<="},  {">=", "<"}};
  auto it = negate.find(op);
  if (it == negate.end()) return "expect" + body;
  return "expect" + body.substr(0, begin) + it->second + body.substr(end + 1);
}


// ---- The search ---------------------------------------------------------------------------

struct Found {
  std::string kind;
  std::uint32_t state = 0;          // the state where it was found (the parent, for a step's expectation)
  std::optional<Action> action;     // the failing step, if the violation is a transition
  std::size_t property = 0;
  bool call_property = false;  // the failing action is a call that violates properties[property]
};

constexpr int kStopTime = 1;
constexpr int kStopMemory = 2;

struct Succ {
  std::uint32_t parent = 0;
  Action action = 0;
  std::uint64_t fp = 0;
  std::optional<Node> node;  // moved into the next frontier if new; empty for a state known already
  bool step_violation = false;
  std::optional<std::size_t> call_property;  // with step_violation: a call property, not the step's expectation
  bool property_violation = false;
  std::size_t property = 0;
  bool deadlock = false;  // the parent is a deadlock (no action at all); no child
  std::string label;      // with ExploreOptions::graph: the action as written
};

CheckOptions check_options(const ExploreOptions& o) {
  CheckOptions c;
  c.seed = o.seed;
  c.step_time = o.step_time;
  c.profile = o.profile;
  c.registry = o.registry;
  c.max_virtual_time = kMaxVirtualTimeLimit;
  c.network_interleave = o.network_interleave;
  return c;
}

class Search {
 public:
  Search(const Script& s, std::string_view source, const ExploreOptions& o) : script_(s), source_(source), opts_(o) {
    const unsigned t = std::max(1u, std::min(o.threads, 64u));
    for (unsigned i = 0; i < t; ++i)
      spaces_.push_back(std::make_unique<Space>(s, source, check_options(o), o.max_drops));
  }

  std::optional<Diagnostic> validate() {
    for (auto& sp : spaces_)
      if (auto e = sp->validate()) return e;
    if (opts_.max_drops > 0 && !spaces_[0]->runner().interleave())
      return Diagnostic{script_.file, {}, "losing SYNs (--drops) needs network interleave (--network interleave, or "
                                          "a 'network interleave' line)", {}};
    return std::nullopt;
  }

  ExploreReport run() {
    const auto start = std::chrono::steady_clock::now();
    start_ = start;
    const Space& sp = *spaces_[0];
    ExploreReport rep;
    rep.file = script_.file;
    rep.os = std::string(sp.runner().profile().name);
    rep.seed = opts_.seed;
    rep.threads = static_cast<unsigned>(spaces_.size());
    rep.interleave = sp.runner().interleave();
    rep.max_drops = opts_.max_drops;

    std::string buf;
    Node root = sp.initial();
    sp.encode(root, buf);
    visited_.insert(fingerprint_of(buf));
    add_state(0, 0, fingerprint_of(buf), &root);
    std::optional<Found> found;
    if (auto v = sp.violated_property(root)) found = Found{script_.properties[v->first].never ? "never" : "always", 0, {}, v->first};

    std::vector<std::pair<std::uint32_t, Node>> frontier;
    frontier.emplace_back(0, std::move(root));
    std::uint32_t depth = 0;
    std::string limit;
    while (!found && !frontier.empty()) {
      if (depth >= opts_.limits.max_depth) {
        limit = fmt::format("depth limit of {} reached (--max-depth)", opts_.limits.max_depth);
        break;
      }
      // Expand the level: contiguous chunks, one per thread; merged in order below.
      const std::size_t t = std::min<std::size_t>(spaces_.size(), frontier.size());
      std::vector<std::vector<Succ>> out(t);
      std::atomic<int> stop{0};
      auto work = [&](std::size_t k) {
        const std::size_t lo = frontier.size() * k / t, hi = frontier.size() * (k + 1) / t;
        expand(*spaces_[k], frontier, lo, hi, out[k], stop);
      };
      if (t == 1) {
        work(0);
      } else {
        std::vector<std::thread> threads;
        for (std::size_t k = 1; k < t; ++k) threads.emplace_back(work, k);
        work(0);
        for (auto& th : threads) th.join();
      }
      if (stop == kStopTime) {
        limit = fmt::format("time limit of {}s reached (--max-seconds)", opts_.limits.max_seconds);
        break;
      }
      if (stop == kStopMemory) {
        limit = fmt::format("memory limit of {} MiB reached (--max-memory)", opts_.limits.max_memory_bytes >> 20);
        break;
      }
      std::vector<std::pair<std::uint32_t, Node>> next;
      for (auto& chunk : out) {
        for (auto& s : chunk) {
          if (s.deadlock) {
            found = Found{"deadlock", s.parent, {}, 0};
            break;
          }
          ++rep.stats.transitions;
          if (opts_.graph) graph_edge(s);
          if (s.step_violation) {
            if (s.call_property) {
              const std::size_t i = *s.call_property;
              found = Found{script_.properties[i].never ? "never" : "always", s.parent, s.action, i, true};
            } else {
              found = Found{"expectation", s.parent, s.action, 0};
            }
            break;
          }
          if (!s.node || !visited_.insert(s.fp)) continue;
          const auto id = static_cast<std::uint32_t>(parents_.size());
          add_state(s.parent, s.action, s.fp, s.node ? &*s.node : nullptr);
          if (opts_.graph) graph_edge_to_new(s, id);
          if (s.property_violation) {
            found = Found{script_.properties[s.property].never ? "never" : "always", id, {}, s.property};
            break;
          }
          next.emplace_back(id, std::move(*s.node));
          if (parents_.size() >= opts_.limits.max_states) {
            limit = fmt::format("state limit of {} reached (--max-states)", opts_.limits.max_states);
            break;
          }
        }
        if (found || !limit.empty()) break;
      }
      frontier = std::move(next);
      ++depth;
      if (found || !limit.empty()) break;
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (secs > opts_.limits.max_seconds) {
        limit = fmt::format("time limit of {}s reached (--max-seconds)", opts_.limits.max_seconds);
        break;
      }
      if (current_rss() > opts_.limits.max_memory_bytes) {
        limit = fmt::format("memory limit of {} MiB reached (--max-memory)", opts_.limits.max_memory_bytes >> 20);
        break;
      }
    }

    auto& st = rep.stats;
    st.states = parents_.size();
    st.depth = depth;
    st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    st.states_per_second = st.seconds > 0 ? static_cast<double>(st.states) / st.seconds : 0;
    st.bytes_per_state = st.states ? static_cast<double>(visited_.bytes() + parents_.capacity() * sizeof(Link)) /
                                         static_cast<double>(st.states)
                                   : 0;
    st.peak_rss_bytes = peak_rss();
    st.omission_probability = std::min(1.0, std::pow(static_cast<double>(st.states), 2) / std::pow(2.0, 65));
    if (found) {
      rep.verdict = Verdict::violation;
      rep.counterexample = counterexample(*found);
    } else if (!limit.empty()) {
      rep.verdict = Verdict::limit;
      rep.limit_message = limit + fmt::format(" after {} states, depth {}", st.states, depth);
    }
    if (opts_.graph) finish_graph(rep);
    if (opts_.keep_fingerprints) {
      rep.fingerprints = fingerprints_;
      std::sort(rep.fingerprints.begin(), rep.fingerprints.end());
    }
    return rep;
  }

 private:
  struct Link {
    std::uint32_t parent;
    Action action;
  };

  void add_state(std::uint32_t parent, Action a, std::uint64_t fp, const Node* n) {
    parents_.push_back({parent, a});
    if (opts_.keep_fingerprints) fingerprints_.push_back(fp);
    if (opts_.graph && n && graph_labels_.size() < opts_.max_graph_states) {
      graph_labels_.push_back(spaces_[0]->label(*n));
      graph_ids_.emplace(fp, static_cast<std::uint32_t>(parents_.size() - 1));
    }
  }

  void expand(const Space& sp, std::vector<std::pair<std::uint32_t, Node>>& frontier, std::size_t lo, std::size_t hi,
              std::vector<Succ>& out, std::atomic<int>& stop) const {
    std::vector<Action> acts;
    std::string buf;
    // States seen in this chunk: a repeat (or a state of an earlier level) is kept as an edge only,
    // so that the level does not hold a world per edge.
    std::unordered_set<std::uint64_t> seen;
    for (std::size_t i = lo; i < hi; ++i) {
      if (((i - lo) & 63) == 63) {
        if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count() > opts_.limits.max_seconds)
          stop = kStopTime;
        else if (current_rss() > opts_.limits.max_memory_bytes)
          stop = kStopMemory;
      }
      if (stop) return;
      auto& [id, node] = frontier[i];
      sp.actions(node, acts);
      bool any = false;
      for (Action a : acts) {
        if (any && opts_.timers_when_idle && kind_of(a) == ActionKind::timer) continue;
        Node child = node;
        Outcome o = sp.apply(child, a, false);
        if (!o.enabled) continue;
        any = true;
        Succ s;
        s.parent = id;
        s.action = a;
        if (opts_.graph && id < opts_.max_graph_states) s.label = sp.action_label(node, a);
        if (o.violation || o.call_property) {
          s.step_violation = true;
          s.call_property = o.call_property;
          out.push_back(std::move(s));
          return;  // nothing after it in this chunk can come first
        }
        sp.encode(child, buf);
        s.fp = fingerprint_of(buf);
        if (visited_.contains(s.fp) || !seen.insert(s.fp).second) {  // the visited set is read-only here
          out.push_back(std::move(s));
          continue;
        }
        if (auto v = sp.violated_property(child)) {
          s.property_violation = true;
          s.property = v->first;
        }
        s.node = std::move(child);
        out.push_back(std::move(s));
      }
      if (!any && !sp.all_finished(node)) {
        Succ s;
        s.parent = id;
        s.deadlock = true;
        out.push_back(std::move(s));
        return;
      }
      // Expanded: free the world here, on this thread, rather than all at once after the merge.
      [[maybe_unused]] const Node done = std::move(node);
    }
  }

  // ---- Counterexamples ----

  Counterexample counterexample(const Found& f) {
    std::vector<Action> path;
    for (std::uint32_t s = f.state; s != 0; s = parents_[s].parent) path.push_back(parents_[s].action);
    std::reverse(path.begin(), path.end());
    if (f.action) path.push_back(*f.action);
    cx_path_ = path;
    const Space& sp = *spaces_[0];
    Counterexample cx;
    cx.kind = f.kind;
    std::string replay = fmt::format(
        "# A counterexample found by: portlab explore {} --os {} --seed {}\n"
        "# Replay it with:            portlab check THIS-FILE --os {} --seed {}\n",
        script_.file, sp.runner().profile().name, opts_.seed, sp.runner().profile().name, opts_.seed);
    replay += fmt::format("os {}\n", sp.runner().profile().name);
    for (const auto& h : script_.hosts) replay += host_line(h) + "\n";
    if (sp.runner().interleave()) replay += "network interleave\n";
    Node n = sp.initial();
    n.world.set_trace_segments(true);  // the trace shows every segment sent (logging only)
    int number = 0;
    for (std::size_t i = 0; i < path.size(); ++i) {
      const Action a = path[i];
      TraceStep ts;
      ts.number = ++number;
      ts.who = kind_of(a) == ActionKind::timer                                         ? "timer"
               : kind_of(a) == ActionKind::deliver || kind_of(a) == ActionKind::drop ? "network"
                                                                                       : sp.process_name(proc_of(a));
      const Step* step = kind_of(a) == ActionKind::step ? sp.current_step(n, proc_of(a)) : nullptr;
      Outcome o = sp.apply(n, a, true);
      switch (kind_of(a)) {
        case ActionKind::timer:
          ts.what = "wait " + model::format_duration(o.waited);
          ts.events = o.timer_events;
          replay += ts.what + "\n";
          break;
        case ActionKind::choose:
          ts.what = "choose branch " + std::to_string(branch_of(a) + 1);
          replay += "# " + ts.who + ": " + ts.what + "\n";
          break;
        case ActionKind::deliver:
        case ActionKind::drop:
          ts.what = o.step_text;
          replay += ts.what + "\n";
          if (o.report) {
            ts.result = o.report->result;
            ts.events = o.report->events;
            for (auto& c : o.report->changes) ts.events.push_back(c);
          }
          break;
        case ActionKind::step: {
          ts.what = step->text;
          ts.line = step->loc.line;
          const bool breaks_property = f.call_property && i + 1 == path.size();
          if (breaks_property) {
            const Property& prop = script_.properties[f.property];
            replay += call_property_line(*step, prop) + "   # the property, line " +
                      std::to_string(prop.expr.loc.line) + (ts.who == "main" ? "" : "; " + ts.who) + "\n";
          } else {
            replay += replay_line(*step) + (ts.who == "main" ? "" : "  # " + ts.who) + "\n";
          }
          if (o.report) {
            ts.result = o.report->result;
            if (o.report->rule) ts.rule = std::string(o.report->rule->id);
            ts.events = o.report->events;
            for (auto& c : o.report->changes) ts.events.push_back(c);
            if (o.violation) {
              ts.failed = true;
              cx.message = fmt::format("{}:{}:{}: {}", script_.file, o.report->line, o.report->column,
                                       o.report->message);
            } else if (breaks_property && o.call_property == f.property) {
              const Property& prop = script_.properties[f.property];
              ts.failed = true;
              cx.message = fmt::format("{}:{}:{}: '{}' is violated by the call at line {}: got {}", script_.file,
                                       prop.expr.loc.line, prop.expr.loc.column, prop.expr.text, step->loc.line,
                                       o.report->result);
            }
          }
          break;
        }
      }
      cx.trace.push_back(std::move(ts));
    }
    if ((f.kind == "always" || f.kind == "never") && !f.call_property) {
      const Property& prop = script_.properties[f.property];
      auto v = sp.violated_property(n);
      cx.message = fmt::format("{}:{}:{}: '{}' is violated: {}", script_.file, prop.expr.loc.line, prop.expr.loc.column,
                               prop.expr.text, v ? "got " + v->second.result : "(not reproduced)");
      replay += property_as_expect(prop) + "   # the property, line " + std::to_string(prop.expr.loc.line) + "\n";
    } else if (f.kind == "deadlock") {
      std::string who;
      bool blocked_line = false;
      for (std::size_t p = 0; p < sp.process_count(); ++p) {
        if (sp.finished(n, p)) continue;
        const Step* s = sp.current_step(n, p);
        if (!who.empty()) who += ", ";
        who += sp.process_name(p) + (s ? fmt::format(" at line {} ({})", s->loc.line, s->text) : "");
        // The first blocked step ends the replay: check reports it blocked forever.
        if (s && sp.may_run(n, p) && !blocked_line) {
          replay += replay_line(*s) + "   # blocks for ever\n";
          blocked_line = true;
        }
      }
      cx.message = fmt::format("{}: deadlock: no process can go on and no timer is pending; waiting: {}", script_.file,
                               who);
    }
    cx.replay = std::move(replay);
    return cx;
  }

  // ---- The state graph (Boost.Graph) ----

  void graph_edge(const Succ& s) {
    if (s.step_violation || s.deadlock) return;
    auto it = graph_ids_.find(s.fp);
    if (it != graph_ids_.end() && s.parent < graph_labels_.size()) graph_edges_.push_back({s.parent, it->second, s.label});
  }
  void graph_edge_to_new(const Succ& s, std::uint32_t id) {
    if (id < graph_labels_.size() && s.parent < graph_labels_.size()) graph_edges_.push_back({s.parent, id, s.label});
  }

  struct Edge {
    std::uint32_t from, to;
    std::string label;
  };

  void finish_graph(ExploreReport& rep) {
    using G = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, boost::no_property,
                                    boost::property<boost::edge_name_t, std::string>>;
    G g(graph_labels_.size());
    for (const auto& e : graph_edges_) boost::add_edge(e.from, e.to, e.label, g);
    std::vector<int> comp(boost::num_vertices(g));
    const int n = boost::strong_components(g, boost::make_iterator_property_map(comp.begin(),
                                                                                 boost::get(boost::vertex_index, g)));
    std::vector<int> size(static_cast<std::size_t>(n), 0);
    for (int c : comp) ++size[static_cast<std::size_t>(c)];
    std::vector<bool> cyclic(static_cast<std::size_t>(n), false);
    for (std::size_t c = 0; c < size.size(); ++c) cyclic[c] = size[c] > 1;
    for (const auto& e : graph_edges_)
      if (e.from == e.to) cyclic[static_cast<std::size_t>(comp[e.from])] = true;
    rep.cycles = static_cast<std::size_t>(std::count(cyclic.begin(), cyclic.end(), true));
    std::ostringstream os;
    const auto vlabel = [&](std::ostream& o, std::size_t v) {
      std::string l = "s" + std::to_string(v) + "\\n" + graph_labels_[v];
      o << "[label=" << boost::escape_dot_string(l) << "]";
    };
    boost::write_graphviz(os, g, vlabel, boost::make_label_writer(boost::get(boost::edge_name, g)));
    rep.dot = os.str();
    if (parents_.size() <= graph_labels_.size()) return;
    if (rep.counterexample) {
      rep.dot = fmt::format("// {} states: more than --max-graph-states ({}); the counterexample's neighbourhood: its "
                            "states and every state one action away from them\n",
                            parents_.size(), graph_labels_.size()) +
                neighbourhood_dot();
      return;
    }
    rep.dot = fmt::format("// the first {} of {} states in breadth-first order (--max-graph-states)\n",
                          graph_labels_.size(), parents_.size()) +
              rep.dot;
  }

  // The counterexample's path, and every action enabled along it, as DOT.
  std::string neighbourhood_dot() const {
    using G = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, boost::no_property,
                                    boost::property<boost::edge_name_t, std::string>>;
    const Space& sp = *spaces_[0];
    G g;
    std::vector<std::string> labels;
    const auto vertex = [&](const Node& x, const std::string& head) {
      labels.push_back(head + "\\n" + sp.label(x));
      return boost::add_vertex(g);
    };
    Node n = sp.initial();
    auto cur = vertex(n, "path 0");
    std::vector<Action> acts;
    for (std::size_t i = 0; i < cx_path_.size(); ++i) {
      sp.actions(n, acts);
      std::optional<Node> next;
      auto next_v = cur;
      for (Action a : acts) {
        Node child = n;
        const Outcome o = sp.apply(child, a, false);
        if (!o.enabled) continue;
        const bool on_path = a == cx_path_[i];
        const auto v = vertex(child, on_path ? "path " + std::to_string(i + 1) : "off path");
        boost::add_edge(cur, v, sp.action_label(n, a) + (o.violation ? " (FAILS)" : ""), g);
        if (on_path) {
          next = std::move(child);
          next_v = v;
        }
      }
      if (!next) break;
      n = std::move(*next);
      cur = next_v;
    }
    std::ostringstream os;
    const auto vlabel = [&](std::ostream& o, std::size_t v) { o << "[label=" << boost::escape_dot_string(labels[v]) << "]"; };
    boost::write_graphviz(os, g, vlabel, boost::make_label_writer(boost::get(boost::edge_name, g)));
    return os.str();
  }

  const Script& script_;
  std::string_view source_;
  ExploreOptions opts_;
  std::chrono::steady_clock::time_point start_{};
  std::vector<std::unique_ptr<Space>> spaces_;  // one per thread (a StepRunner is not thread-safe)
  FingerprintSet visited_{16};
  std::vector<Link> parents_;
  std::vector<std::uint64_t> fingerprints_;
  std::vector<std::string> graph_labels_;
  std::unordered_map<std::uint64_t, std::uint32_t> graph_ids_;
  std::vector<Edge> graph_edges_;
  std::vector<Action> cx_path_;  // the counterexample's actions, once found
};

}  // namespace

ExploreRun run_explore(const script::Script& script, std::string_view source, const ExploreOptions& options) {
  Search search(script, source, options);
  if (auto e = search.validate()) return {std::nullopt, std::move(e)};
  return {search.run(), std::nullopt};
}

std::vector<std::uint64_t> random_run_fingerprints(const script::Script& script, std::string_view source,
                                                   const ExploreOptions& options, std::uint64_t walk_seed,
                                                   std::size_t max_steps) {
  Space sp(script, source, check_options(options), options.max_drops);
  if (sp.validate()) return {};
  std::mt19937_64 rng(walk_seed);
  std::vector<std::uint64_t> out;
  std::string buf;
  Node n = sp.initial();
  sp.encode(n, buf);
  out.push_back(fingerprint_of(buf));
  std::vector<Action> acts;
  for (std::size_t i = 0; i < max_steps; ++i) {
    sp.actions(n, acts);
    // The timer is last in `acts`; with timers_when_idle it stays last (tried only if nothing else is enabled).
    const bool timer_last = options.timers_when_idle && !acts.empty() && kind_of(acts.back()) == ActionKind::timer;
    std::shuffle(acts.begin(), acts.end() - (timer_last ? 1 : 0), rng);
    bool moved = false;
    for (Action a : acts) {
      Node child = n;
      Outcome o = sp.apply(child, a, false);
      if (!o.enabled) continue;
      if (o.violation) return out;  // the search stops there too
      n = std::move(child);
      moved = true;
      break;
    }
    if (!moved) break;
    sp.encode(n, buf);
    out.push_back(fingerprint_of(buf));
  }
  return out;
}

std::string_view name(Verdict v) {
  switch (v) {
    case Verdict::safe: return "safe";
    case Verdict::violation: return "UNSAFE";
    case Verdict::limit: return "limit";
  }
  return "?";
}

std::string format_text(const ExploreReport& r) {
  std::string out = fmt::format("{}: os {}, seed {}, {} thread{}\n", r.file, r.os, r.seed, r.threads,
                                r.threads == 1 ? "" : "s");
  if (r.interleave) {
    out += "network: interleave (segments held per flow; each delivery a choice point)";
    if (r.max_drops > 0)
      out += fmt::format(", at most {} SYN{} lost per run (assumption sim.loss-syn-only: the model retransmits no "
                         "other segment)",
                         r.max_drops, r.max_drops == 1 ? "" : "s");
    out += "\n";
  }
  switch (r.verdict) {
    case Verdict::safe: out += "verdict: safe (every interleaving explored, no violation)\n"; break;
    case Verdict::violation: out += "verdict: UNSAFE (" + r.counterexample->kind + ")\n"; break;
    case Verdict::limit: out += "verdict: unknown: " + r.limit_message + " (partial statistics below)\n"; break;
  }
  const auto& s = r.stats;
  out += fmt::format(
      "states {}, transitions {}, depth {}, {:.3f}s, {:.0f} states/s, {:.1f} bytes/state, peak memory {} MiB, "
      "omission probability <= {:.1e}\n",
      s.states, s.transitions, s.depth, s.seconds, s.states_per_second, s.bytes_per_state, s.peak_rss_bytes >> 20,
      s.omission_probability);
  if (!r.dot.empty() || r.cycles) out += fmt::format("cycles without progress: {}\n", r.cycles);
  if (r.counterexample) {
    const auto& cx = *r.counterexample;
    out += "counterexample (shortest, " + std::to_string(cx.trace.size()) + " steps):\n";
    for (const auto& t : cx.trace) {
      std::string res = t.result.empty() ? "" : "-> " + t.result;
      out += fmt::format("{:>4}  {:<8} {:<52} {:<18} {}{}\n", t.number, t.who, t.what, res, t.failed ? "FAIL  " : "",
                         t.rule);
      for (const auto& e : t.events) out += fmt::format("{:>15}{}\n", "", e);
    }
    out += cx.message + "\n";
    out += "replay script (portlab check reproduces the failure):\n";
    std::istringstream lines(cx.replay);
    for (std::string l; std::getline(lines, l);) out += "  | " + l + "\n";
  }
  return out;
}

std::string format_json(const ExploreReport& r) {
  nlohmann::ordered_json j;
  j["file"] = r.file;
  j["os"] = r.os;
  j["seed"] = r.seed;
  j["threads"] = r.threads;
  if (r.interleave) {
    j["network"] = "interleave";
    j["max_drops"] = r.max_drops;
  }
  j["verdict"] = r.verdict == Verdict::safe ? "safe" : r.verdict == Verdict::violation ? "violation" : "limit";
  if (r.verdict == Verdict::limit) j["limit"] = r.limit_message;
  auto& s = j["stats"];
  s["states"] = r.stats.states;
  s["transitions"] = r.stats.transitions;
  s["depth"] = r.stats.depth;
  s["seconds"] = r.stats.seconds;
  s["states_per_second"] = r.stats.states_per_second;
  s["bytes_per_state"] = r.stats.bytes_per_state;
  s["peak_rss_bytes"] = r.stats.peak_rss_bytes;
  s["omission_probability"] = r.stats.omission_probability;
  if (!r.dot.empty()) j["cycles"] = r.cycles;
  if (r.counterexample) {
    auto& c = j["counterexample"];
    c["kind"] = r.counterexample->kind;
    c["message"] = r.counterexample->message;
    auto& tr = c["trace"] = nlohmann::ordered_json::array();
    for (const auto& t : r.counterexample->trace) {
      nlohmann::ordered_json e;
      e["n"] = t.number;
      e["who"] = t.who;
      e["what"] = t.what;
      if (t.line) e["line"] = t.line;
      e["result"] = t.result;
      e["rule"] = t.rule.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(t.rule);
      e["failed"] = t.failed;
      e["events"] = t.events;
      tr.push_back(std::move(e));
    }
    c["replay"] = r.counterexample->replay;
  }
  return j.dump(2);
}

}  // namespace portlab::sim
