#include "sim/check.h"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <variant>

#include "model/linux_profile.h"
#include "model/profiles.h"
#include "sim/host_handle.h"
#include "sim/script_network.h"
#include "sim/script/parser.h"
#include "sim/world.h"

namespace portlab::sim {

// Shared by the engines (check, simulate, explore) and the CLI.
std::string source_line(std::string_view source, int line) {
  int n = 1;
  std::size_t start = 0;
  while (n < line && start < source.size()) {
    auto nl = source.find('\n', start);
    if (nl == std::string_view::npos) return {};
    start = nl + 1;
    ++n;
  }
  auto end = source.find('\n', start);
  std::string s(source.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
  if (!s.empty() && s.back() == '\r') s.pop_back();
  return s;
}

const model::Profile* find_in(std::span<const model::Profile* const> registry, std::string_view name) {
  for (const model::Profile* p : registry)
    if (p->name == name) return p;
  return nullptr;
}

std::string known_os(std::span<const model::Profile* const> registry) {
  std::string out;
  for (const model::Profile* p : registry) {
    if (!out.empty()) out += ", ";
    out += p->name;
  }
  return out;
}


namespace sim_rule {
// clang-format off
const model::Rule blocked_forever{"sim.blocked-forever", "any", "a blocking call waits for something that nothing left in the script can do (no segment in flight, no timer pending)", "blocked forever", "portlab simulator: the script is one thread", model::Confidence::code};
const model::Rule no_descriptor{"sim.no-descriptor", "any", "the socket variable holds no descriptor: the call that should have set it failed", "not run", "portlab simulator", model::Confidence::code};
const model::Rule limit_exceeded{"sim.limit-exceeded", "any", "a blocking call carried virtual time past the run's limit (--max-virtual-time); this step and the rest are not run", "not run", "portlab simulator: limits", model::Confidence::code};
// clang-format on
}  // namespace sim_rule

namespace {

using namespace script;
using model::Errno;

using Var = VarValue;

std::string format_result(const model::CallResult& r) {
  if (r.err != Errno::ok) return "-1 " + std::string(model::name(r.err));
  if (r.endpoint) return r.endpoint->to_string();
  if (r.option) return model::format_value(*r.option);
  return std::to_string(r.value);
}

std::string state_name(std::optional<model::TcpState> s) { return s ? std::string(model::name(*s)) : "none"; }

bool compare(std::int64_t a, CompareOp op, std::int64_t b) {
  switch (op) {
    case CompareOp::eq: return a == b;
    case CompareOp::ne: return a != b;
    case CompareOp::lt: return a < b;
    case CompareOp::le: return a <= b;
    case CompareOp::gt: return a > b;
    case CompareOp::ge: return a >= b;
  }
  return false;
}

std::span<const model::Profile* const> registry_or_all(std::span<const model::Profile* const> registry) {
  return registry.empty() ? model::all_profiles() : registry;
}

Diagnostic unknown_os(const Script& s, std::string_view source, std::span<const model::Profile* const> registry,
                      const OsRef& os) {
  return Diagnostic{s.file, os.loc, "unknown OS '" + os.name + "'; expected one of: " + known_os(registry),
                    source_line(source, os.loc.line)};
}

model::Endpoint wire(const model::Endpoint& e) {
  if (auto v4 = e.addr.unmapped_v4()) return {*v4, e.port};
  return e;
}

class Runner {
 public:
  Runner(const Script& s, std::string_view source, const CheckOptions& o)
      : script_(s),
        source_(source),
        profile_(o.profile ? o.profile : &model::linux_profile()),
        registry_(registry_or_all(o.registry)),
        seed_(o.seed),
        step_time_(o.step_time),
        max_virtual_time_(o.max_virtual_time),
        interleave_(o.network_interleave.value_or(s.network && s.network->interleave)) {}

  std::optional<Diagnostic> validate() {
    if (max_virtual_time_ <= model::Duration::zero() || max_virtual_time_ > kMaxVirtualTimeLimit)
      return Diagnostic{script_.file, {}, "the virtual-time limit must lie in 1ns.." + describe(kMaxVirtualTimeLimit) +
                                              ", not " + model::format_duration(max_virtual_time_), {}};
    if (step_time_ < model::Duration::zero() || step_time_ > max_virtual_time_)
      return Diagnostic{script_.file, {}, "the per-call step time must lie in 0s.." + describe(max_virtual_time_) +
                                              " (the virtual-time limit), not " + model::format_duration(step_time_), {}};
    // Virtual time: the waits and the per-call step times must fit in the limit. Checked with
    // headroom against overflow: every term is at most the limit, and the sum stops at the limit.
    {
      model::Duration total{};
      const std::vector<const Step*> linear = linear_steps(script_);
      if (linear.size() > script::kMaxSteps && !script_.processes.empty()) {
        return error(script_.processes.front().loc,
                     "the process blocks unroll to more than " + std::to_string(script::kMaxSteps) +
                         " steps for check (each process in turn, loops unrolled); expected fewer loop "
                         "iterations, or use portlab explore");
      }
      for (const Step* sp : linear) {
        const Step& step = *sp;
        model::Duration add{};
        if (std::holds_alternative<CallStep>(step.body)) add = step_time_;
        if (auto* w = std::get_if<WaitStep>(&step.body)) add = w->duration;
        if (add > max_virtual_time_ - total) {
          const bool is_wait = std::holds_alternative<WaitStep>(step.body);
          return error(step.loc, std::string(is_wait ? "this wait" : "this call") +
                                     " takes the script past the virtual-time limit of " + describe(max_virtual_time_) +
                                     ", counting every wait and " + model::format_duration(step_time_) +
                                     " per call; expected at most " + model::format_duration(max_virtual_time_ - total) +
                                     " more here; raise the limit with --max-virtual-time (up to 100 years)");
        }
        total += add;
      }
    }
    // OS names: every one must name a profile, whether or not this run needs it.
    if (auto err = check_os_names()) return err;
    // Hosts, each with its profile: its own (`os=`) or the run's.
    if (script_.hosts.empty()) {
      host_names_.push_back("local");
      host_profiles_.push_back(profile_);
    } else {
      for (const auto& h : script_.hosts) {
        host_names_.push_back(h.name);
        host_profiles_.push_back(h.os ? find_in(registry_, h.os->name) : profile_);
      }
      // One address belongs to one host: the network could not tell where to deliver it.
      std::map<model::IpAddress, std::string> owner;
      for (const auto& h : script_.hosts) {
        for (const auto& a : h.addresses) {
          auto [it, fresh] = owner.emplace(a, h.name);
          if (fresh) continue;
          SourceLoc loc{0, 1};
          for (int line = 1;; ++line) {
            const std::string text = source_line(source_, line);
            if (text.empty() && line > 1 && source_line(source_, line + 1).empty()) break;
            if (text.rfind("host " + h.name + " ", 0) == 0) {
              loc = {line, static_cast<int>(text.find(' ', 5)) + 2};
              break;
            }
          }
          return error(loc, "address " + a.to_string() + " is declared for host '" + it->second + "' and for host '" +
                                h.name + "'; expected each address on one host only");
        }
      }
    }
    // Sysctls are checked against the knob table of every profile they can meet (a host's own
    // profile, or the OSes of their `@` list, or the run's) before anything runs.
    std::map<std::string, std::size_t> var_host;
    std::vector<const Step*> all = linear_steps(script_);
    for (const auto& p : script_.processes)
      for (const auto& st : p.steps) all.push_back(&st);  // every step, also those of untaken branches
    for (const Step* sp : all) {
      const Step& step = *sp;
      if (auto* sc = std::get_if<SysctlStep>(&step.body)) {
        for (std::size_t h = 0; h < host_names_.size(); ++h) {
          if (sc->host && host_names_[h] != *sc->host) continue;
          std::vector<const model::Profile*> profiles;
          if (!script_.hosts.empty() && script_.hosts[h].os) {
            profiles.push_back(host_profiles_[h]);
          } else if (sc->os.empty()) {
            profiles.push_back(profile_);
          } else {
            for (const auto& o : sc->os) profiles.push_back(find_in(registry_, o.name));
          }
          for (const model::Profile* p : profiles) {
            if (auto err = check_sysctl(step, *sc, *p, h)) return err;
          }
        }
      }
      if (const auto* ds = std::get_if<DeliverStep>(&step.body); ds && !interleave_) {
        return error(step.loc, std::string(ds->drop ? "'drop'" : "'deliver'") +
                                   " moves a segment held by 'network interleave'; expected a 'network "
                                   "interleave' line after the host lines (or portlab explore --network interleave)");
      }
      // A socket lives on one host: using it from another is a mistake in the script.
      if (auto* cs = std::get_if<CallStep>(&step.body)) {
        const std::size_t h = host_index(cs->host);
        if (cs->call.sock) {
          auto it = var_host.find(cs->call.sock->name);
          if (it != var_host.end() && it->second != h)
            return error(cs->call.sock->loc, "socket '" + cs->call.sock->name + "' belongs to host '" +
                                                 host_names_[it->second] + "', not '" + host_names_[h] + "'");
        }
        if (cs->bind_var && (cs->call.kind == CallKind::socket || cs->call.kind == CallKind::accept))
          var_host[*cs->bind_var] = h;
      }
    }
    return std::nullopt;
  }

  World make_world() const {
    std::vector<HostSpec> specs;
    if (script_.hosts.empty()) {
      specs.push_back({"local", {}, {}, profile_});
    } else {
      for (std::size_t hi = 0; hi < script_.hosts.size(); ++hi) {
        const auto& h = script_.hosts[hi];
        HostSpec spec{h.name, {}, h.devices, host_profiles_[hi]};
        for (std::size_t i = 0; i < h.addresses.size(); ++i) {
          const int def = h.addresses[i].family() == model::Family::inet ? 32 : 128;
          spec.addresses.push_back({h.addresses[i], i < h.prefix_lengths.size() ? h.prefix_lengths[i] : def});
        }
        specs.push_back(std::move(spec));
      }
    }
    World world(seed_, std::move(specs));
    // The script's network (latency, jitter, SYN loss) holds for check too; middleboxes and
    // workloads belong to `portlab simulate`.
    if (script_.network) world.set_network(network_config(*script_.network));
    world.set_hold(interleave_);
    return world;
  }

  // Runs one step on `world` with `vars`, as run() does.
  void execute(const Step& step, World& world, Variables& vars, bool detail, StepReport& r) {
    world_ = &world;
    vars_ = &vars;
    r.line = step.loc.line;
    r.column = step.loc.column;
    r.text = step.text;
    if (std::holds_alternative<CallStep>(step.body)) world.advance_to(world.now() + step_time_);
    std::map<std::string, std::pair<std::string, std::string>> before;
    if (detail) before = snapshot();
    std::visit([&](const auto& body) { this->run_step(body, r); }, step.body);
    r.assumed = r.rule && r.rule->confidence == model::Confidence::assumed;
    if (detail) {
      r.changes = diff(before, snapshot());
      for (auto& e : world.take_log())
        r.events.push_back(fmt::format("[{}] {}: {}{}", model::format_duration(e.at.time_since_epoch()), e.host,
                                       e.what, e.rule ? " (" + std::string(e.rule->id) + ")" : ""));
    } else {
      world.take_log();
    }
    r.at = world.now();
    world_ = nullptr;
    vars_ = nullptr;
  }

  const model::Profile& profile() const { return *profile_; }
  const std::vector<std::string>& host_names() const { return host_names_; }
  bool interleave() const { return interleave_; }

  bool result_matches(const Expectation& ex, const model::CallResult& result, Variables& vars) {
    vars_ = &vars;  // read only here: matches() looks variables up
    bool any = false;
    for (const auto& alt : ex.alternatives) any = any || matches(alt, result);
    vars_ = nullptr;
    return ex.negated ? !any : any;
  }

  CheckReport run() {
    World world = make_world();
    Variables vars;
    CheckReport report;
    report.file = script_.file;
    report.seed = seed_;
    report.os = std::string(profile_->name);
    for (const auto& h : script_.hosts)
      if (h.os) report.host_os.emplace_back(h.name, h.os->name);
    report.step_time = step_time_;
    const TimePoint limit = TimePoint{} + max_virtual_time_;
    std::optional<std::string> stopped;  // why the run stopped early
    for (const Step* sp : linear_steps(script_)) {
      const Step& step = *sp;
      StepReport r;
      r.line = step.loc.line;
      r.column = step.loc.column;
      r.text = step.text;
      if (!stopped && world.now() > limit) {
        stopped = fmt::format("virtual time reached {} at line {}, past the limit of {}; raise it with --max-virtual-time",
                              model::format_duration(world.now().time_since_epoch()), report.steps.back().line,
                              describe(max_virtual_time_));
      }
      if (stopped) {
        r.result = "not run";
        r.rule = &sim_rule::limit_exceeded;
        r.checked = true;
        r.ok = false;
        r.message = *stopped;
        r.at = world.now();
        ++report.checks;
        ++report.failures;
        report.steps.push_back(std::move(r));
        continue;
      }
      execute(step, world, vars, true, r);
      if (r.checked) {
        ++report.checks;
        if (!r.ok) ++report.failures;
      }
      report.steps.push_back(std::move(r));
    }
    // Workload blocks run over time under `portlab simulate`; say so instead of skipping them silently.
    for (const auto& w : script_.workloads) {
      StepReport r;
      r.line = w.loc.line;
      r.column = w.loc.column;
      r.text = w.lines.front();
      r.result = "not run: a workload (portlab simulate)";
      r.at = world.now();
      report.steps.push_back(std::move(r));
    }
    return report;
  }

 private:
  // "604800s = 7 days": a limit, readable.
  static std::string describe(model::Duration d) {
    constexpr model::Duration day = std::chrono::hours(24);
    std::string out = model::format_duration(d);
    if (d >= day && d % day == model::Duration::zero()) out += fmt::format(" = {} days", d / day);
    return out;
  }

  Diagnostic error(SourceLoc loc, std::string msg) const {
    return Diagnostic{script_.file, loc, std::move(msg), source_line(source_, loc.line)};
  }

  std::optional<Diagnostic> check_os_names() const {
    const auto check = [&](const OsRef& o) -> std::optional<Diagnostic> {
      if (find_in(registry_, o.name)) return std::nullopt;
      return unknown_os(script_, source_, registry_, o);
    };
    for (const auto& o : script_.os)
      if (auto e = check(o)) return e;
    for (const auto& h : script_.hosts)
      if (h.os)
        if (auto e = check(*h.os)) return e;
    for (const auto& step : script_.steps) {
      std::vector<const std::vector<OsRef>*> lists;
      if (auto* sc = std::get_if<SysctlStep>(&step.body)) lists.push_back(&sc->os);
      if (auto* es = std::get_if<ExpectStep>(&step.body)) lists.push_back(&es->os);
      if (auto* cs = std::get_if<CallStep>(&step.body))
        for (const auto& ex : cs->expects) lists.push_back(&ex.os);
      for (const auto* l : lists)
        for (const auto& o : *l)
          if (auto e = check(o)) return e;
    }
    for (const auto& prop : script_.properties) {  // check does not run them, explore does
      const std::vector<OsRef>& l =
          prop.call ? prop.call->results.os : std::get<ExpectStep>(prop.expr.body).os;
      for (const auto& o : l)
        if (auto e = check(o)) return e;
    }
    return std::nullopt;
  }

  // A sysctl against one profile's knob table, for host h.
  std::optional<Diagnostic> check_sysctl(const Step& step, const SysctlStep& sc, const model::Profile& p,
                                         std::size_t h) const {
    model::Knobs probe(p.knobs);
    auto idx = probe.find(sc.name);
    // Name a host only when it runs another profile than the run's.
    const std::string where =
        &p == profile_ || script_.hosts.empty() || !script_.hosts[h].os ? "" : " (host '" + host_names_[h] + "')";
    if (!idx) {
      SourceLoc loc = step.loc;
      auto col = step.text.find(sc.name);
      if (col != std::string::npos) loc.column = step.loc.column + static_cast<int>(col);
      return error(loc, "unknown sysctl '" + sc.name + "' for the " + std::string(p.name) + " profile" + where +
                            "; expected one of: " + knob_list(p));
    }
    auto parsed = model::parse_knob_value(p.knobs[*idx], sc.value);
    if (!parsed.value) {
      return error(sc.value_loc, "bad value for " + sc.name + (&p == profile_ ? "" : " (" + std::string(p.name) + ")") +
                                     where + ": " + parsed.error);
    }
    return std::nullopt;
  }

  static std::string knob_list(const model::Profile& p) {
    std::string out;
    for (const auto& k : p.knobs) {
      if (!out.empty()) out += ", ";
      out += k.name;
    }
    return out;
  }

  std::size_t host_index(const std::optional<std::string>& name) const {
    if (!name) return 0;
    for (std::size_t i = 0; i < host_names_.size(); ++i)
      if (host_names_[i] == *name) return i;
    return 0;
  }

  std::map<std::string, std::pair<std::string, std::string>> snapshot() const {
    std::map<std::string, std::pair<std::string, std::string>> out;  // key -> (host, state)
    for (std::size_t h = 0; h < world_->host_count(); ++h) {
      for (const auto& c : world_->host(h).connections()) {
        std::string key = host_names_[h] + " " + c.key();
        while (out.count(key)) key += "'";
        out[key] = {host_names_[h], std::string(model::name(c.state))};
      }
    }
    return out;
  }

  static std::vector<std::string> diff(const std::map<std::string, std::pair<std::string, std::string>>& a,
                                       const std::map<std::string, std::pair<std::string, std::string>>& b) {
    std::vector<std::string> out;
    for (const auto& [k, v] : b) {
      auto it = a.find(k);
      if (it == a.end()) {
        out.push_back(k + " " + v.second + " (new)");
      } else if (it->second.second != v.second) {
        out.push_back(k + " " + it->second.second + " -> " + v.second);
      }
    }
    for (const auto& [k, v] : a)
      if (!b.count(k)) out.push_back(k + " " + v.second + " -> gone");
    return out;
  }

  std::optional<std::int64_t> int_value(const IntExpr& e) const {
    if (auto* i = std::get_if<std::int64_t>(&e)) return *i;
    auto it = vars_->find(std::get<VarRef>(e).name);
    if (it == vars_->end()) return std::nullopt;
    return it->second.value;
  }

  std::optional<model::Endpoint> endpoint(const EndpointExpr& e) const {
    if (auto* p = std::get_if<std::uint16_t>(&e.port)) return model::Endpoint{e.addr, *p};
    auto it = vars_->find(std::get<VarRef>(e.port).name);
    if (it == vars_->end() || !it->second.value) return std::nullopt;
    const auto v = *it->second.value;
    if (v < 0 || v > 65535) return std::nullopt;
    return model::Endpoint{e.addr, static_cast<std::uint16_t>(v)};
  }

  std::string format_expected(const Expectation& ex) const {
    std::string out;
    if (ex.negated) out += "not ";
    for (std::size_t k = 0; k < ex.alternatives.size(); ++k) {
      const ExpectedValue& alt = ex.alternatives[k];
      if (k > 0) out += " | ";
      if (alt.any_error) {
        out += "-1 (any error)";
      } else if (alt.error) {
        out += "-1 " + std::string(model::name(*alt.error));
      } else if (alt.integer) {
        if (auto* i = std::get_if<std::int64_t>(&*alt.integer)) {
          out += std::to_string(*i);
        } else {
          const auto& name = std::get<VarRef>(*alt.integer).name;
          auto v = int_value(*alt.integer);
          out += name + (v ? "(=" + std::to_string(*v) + ")" : "");
        }
      } else if (alt.endpoint) {
        auto ep = endpoint(*alt.endpoint);
        out += ep ? ep->to_string() : "?";
      } else if (alt.opt_value) {
        out += model::format_value(*alt.opt_value);
      }
    }
    return out;
  }

  bool matches(const ExpectedValue& alt, const model::CallResult& r) const {
    if (alt.any_error) return r.err != Errno::ok;
    if (alt.error) return r.err == *alt.error;
    if (r.err != Errno::ok) return false;
    if (alt.integer) {
      auto v = int_value(*alt.integer);
      if (!v) return false;
      if (r.option) {
        if (auto* i = std::get_if<std::int64_t>(&*r.option)) return *i == *v;
        return false;
      }
      return r.value == *v;
    }
    if (alt.endpoint) {
      auto ep = endpoint(*alt.endpoint);
      return ep && r.endpoint && *ep == *r.endpoint;
    }
    if (alt.opt_value) return r.option && *r.option == *alt.opt_value;
    return false;
  }

  void run_step(const CallStep& cs, StepReport& r) {
    const std::size_t h = host_index(cs.host);
    r.host = host_names_[h];
    const Call& c = cs.call;
    std::optional<model::Fd> fd;
    if (c.sock) {
      auto it = vars_->find(c.sock->name);
      if (it == vars_->end() || !it->second.value) {
        r.result = "not run";
        r.rule = &sim_rule::no_descriptor;
        r.checked = true;
        r.ok = false;
        r.message = "socket '" + c.sock->name + "' holds no descriptor (the call that should have set it failed)";
        return;
      }
      fd = static_cast<model::Fd>(*it->second.value);
    }
    std::optional<model::Endpoint> ep;
    if (c.endpoint) {
      ep = endpoint(*c.endpoint);
      if (!ep) return not_run(r, "the port variable in the address holds no value");
    }
    std::int64_t count = 0;
    if (c.count) {
      auto v = int_value(*c.count);
      if (!v) return not_run(r, "the count variable holds no value");
      count = *v;
    }
    HostHandle host(*world_, h);
    const model::Fd f = fd.value_or(-1);
    CallOutcome o = [&]() -> CallOutcome {
      switch (c.kind) {
        case CallKind::socket:
          return host.socket(c.socket_args.family, c.socket_args.nonblock, c.socket_args.uid.value_or(0));
        case CallKind::setsockopt: return host.setsockopt(f, *c.opt, *c.opt_value);
        case CallKind::getsockopt: return host.getsockopt(f, *c.opt);
        case CallKind::bind: return host.bind(f, *ep);
        case CallKind::listen: return host.listen(f, c.count ? static_cast<int>(count) : 128);
        case CallKind::connect: return host.connect(f, *ep);
        case CallKind::accept: return host.accept(f);
        case CallKind::send: return host.send(f, count);
        case CallKind::recv: return host.recv(f, count);
        case CallKind::shutdown: return host.shutdown(f, *c.how != ShutdownHow::wr, *c.how != ShutdownHow::rd);
        case CallKind::close: return host.close(f);
        case CallKind::getsockname: return host.getsockname(f);
        case CallKind::port: {
          auto res = host.getsockname(f);
          if (!res.result.failed()) {
            res.result.value = res.result.endpoint->port;
            res.result.endpoint.reset();
          }
          return res;
        }
      }
      return {};
    }();
    if (o.would_block) {
      r.would_block = true;
      return;
    }
    r.waited = o.waited;
    r.rule = o.result.rule;
    r.err = o.result.err;
    if (o.blocked_forever) {
      r.result = "blocked forever";
      r.rule = &sim_rule::blocked_forever;
      r.checked = true;
      r.ok = false;
      r.message = "the call blocks and nothing left in the script can complete it";
      return;
    }
    r.result = format_result(o.result);
    r.value = o.result.value;
    r.call_result = o.result;
    if (o.waited > model::Duration::zero())
      r.events.push_back("blocked for " + model::format_duration(o.waited));
    if (cs.bind_var) {
      Var v;
      v.is_socket = c.kind != CallKind::port;
      v.host = h;
      if (!o.result.failed()) v.value = o.result.value;
      (*vars_)[*cs.bind_var] = v;
    }
    if (const Expectation* ex = expectation_for(cs, profile_->name)) {
      r.checked = true;
      r.expected = format_expected(*ex);
      bool any = false;
      for (const auto& alt : ex->alternatives)
        if (matches(alt, o.result)) any = true;
      r.ok = ex->negated ? !any : any;
      if (!r.ok) r.message = "expected " + r.expected + ", got " + r.result;
    }
  }

  void not_run(StepReport& r, std::string why) {
    r.result = "not run";
    r.rule = &sim_rule::no_descriptor;
    r.checked = true;
    r.ok = false;
    r.message = std::move(why);
  }

  void run_step(const SysctlStep& sc, StepReport& r) {
    r.host = sc.host.value_or("");
    if (!applies_to(sc.os, profile_->name)) {
      r.skipped = true;
      return;
    }
    for (std::size_t h = 0; h < world_->host_count(); ++h) {
      if (sc.host && host_names_[h] != *sc.host) continue;
      world_->host(h).sysctl(sc.name, sc.value);  // validated before the run
    }
    r.host = sc.host.value_or("");
  }

  void run_step(const WaitStep& ws, StepReport&) { world_->advance_to(world_->now() + ws.duration); }

  // deliver SRC -> DST: the head of the flow arrives now (no time passes). Fails when the flow
  // holds nothing: the script expected a segment that was never sent, or already delivered.
  void run_step(const DeliverStep& ds, StepReport& r) {
    const auto src = endpoint(ds.src);
    const auto dst = endpoint(ds.dst);
    if (!src || !dst) return not_run(r, "a port variable holds no value");
    if (ds.drop) {
      std::string not_syn;
      if (world_->drop_syn(wire(*src), wire(*dst), &not_syn)) {
        r.result = "dropped";
        return;
      }
      if (!not_syn.empty()) {
        r.result = "not a SYN";
        r.checked = true;
        r.ok = false;
        r.expected = "a held SYN";
        r.message = "only a SYN can be dropped (assumption sim.loss-syn-only: the model retransmits no other "
                    "segment); the head of the flow is " + not_syn;
        return;
      }
    } else if (world_->deliver(wire(*src), wire(*dst))) {
      r.result = "delivered";
      return;
    }
    r.result = "nothing held";
    r.checked = true;
    r.ok = false;
    r.expected = "a held segment";
    r.message = "no segment is held on the flow " + src->to_string() + " -> " + dst->to_string();
  }

  void run_step(const ExpectStep& es, StepReport& r) {
    if (!applies_to(es.os, profile_->name)) {
      if (es.host) r.host = *es.host;
      r.skipped = true;
      return;
    }
    r.checked = true;
    const std::size_t h = host_index(es.host);
    if (es.host) r.host = *es.host;
    const auto& host = world_->host(h);
    std::visit(
        [&](const auto& what) {
          using T = std::decay_t<decltype(what)>;
          if constexpr (std::is_same_v<T, ExpectTupleState>) {
            auto l = endpoint(what.local);
            auto rem = endpoint(what.remote);
            if (!l || !rem) return not_run(r, "a port variable holds no value");
            std::optional<model::TcpState> actual;
            for (const auto& c : host.connections()) {
              if (c.remote && wire(c.local) == wire(*l) && wire(*c.remote) == wire(*rem)) {
                actual = c.state;
                break;
              }
            }
            const bool equal = actual == what.state;
            r.ok = what.op == CompareOp::ne ? !equal : equal;
            r.result = state_name(actual);
            r.expected = std::string(what.op == CompareOp::ne ? "!= " : "") + state_name(what.state);
          } else if constexpr (std::is_same_v<T, ExpectSocketState>) {
            auto it = vars_->find(what.sock.name);
            if (it == vars_->end() || !it->second.value) return not_run(r, "socket holds no descriptor");
            auto st = host.socket_state(static_cast<model::Fd>(*it->second.value));
            const bool equal = st == what.state;
            r.ok = what.op == CompareOp::ne ? !equal : equal;
            r.result = st ? state_name(st) : "not open";
            r.expected = std::string(what.op == CompareOp::ne ? "!= " : "") + std::string(model::name(what.state));
          } else if constexpr (std::is_same_v<T, ExpectCount>) {
            std::optional<std::int64_t> port;
            if (what.port) {
              if (auto* p = std::get_if<std::uint16_t>(&*what.port)) {
                port = *p;
              } else {
                auto it = vars_->find(std::get<VarRef>(*what.port).name);
                if (it == vars_->end() || !it->second.value) return not_run(r, "port variable holds no value");
                port = *it->second.value;
              }
            }
            std::optional<model::Endpoint> l, rem;
            if (what.local) {
              l = endpoint(*what.local);
              rem = endpoint(*what.remote);
              if (!l || !rem) return not_run(r, "a port variable holds no value");
            }
            std::int64_t n = 0;
            for (const auto& c : host.connections()) {
              if (c.state != what.state || (port && c.local.port != *port)) continue;
              if (l && !(c.remote && wire(c.local) == wire(*l) && wire(*c.remote) == wire(*rem))) continue;
              ++n;
            }
            r.ok = compare(n, what.op, what.value);
            r.result = std::to_string(n);
            r.expected = std::string(name(what.op)) + " " + std::to_string(what.value);
          } else if constexpr (std::is_same_v<T, ExpectInRange>) {
            auto v = int_value(what.value);
            if (!v) return not_run(r, "variable holds no value");
            r.ok = *v >= what.low && *v <= what.high;
            r.result = std::to_string(*v);
            r.expected = "in " + std::to_string(what.low) + ".." + std::to_string(what.high);
          } else if constexpr (std::is_same_v<T, ExpectCompare>) {
            auto a = int_value(what.lhs);
            auto b = int_value(what.rhs);
            if (!a || !b) return not_run(r, "variable holds no value");
            r.ok = compare(*a, what.op, *b);
            r.result = std::to_string(*a);
            r.expected = std::string(name(what.op)) + " " + std::to_string(*b);
          }
        },
        es.what);
    if (!r.ok && r.message.empty()) r.message = "expected " + r.expected + ", got " + r.result;
  }

  const Script& script_;
  std::string_view source_;
  const model::Profile* profile_;
  std::span<const model::Profile* const> registry_;
  std::uint64_t seed_;
  model::Duration step_time_;
  model::Duration max_virtual_time_;
  bool interleave_ = false;
  std::vector<std::string> host_names_;
  std::vector<const model::Profile*> host_profiles_;  // parallel to host_names_
  Variables* vars_ = nullptr;
  World* world_ = nullptr;
};

}  // namespace

OsSelection script_profiles(const script::Script& script, std::string_view source,
                            std::span<const model::Profile* const> registry) {
  registry = registry_or_all(registry);
  OsSelection out;
  if (script.os.empty()) {
    const model::Profile* linux = find_in(registry, "linux");
    out.profiles.push_back(linux ? linux : &model::linux_profile());
    return out;
  }
  for (const auto& o : script.os) {
    const model::Profile* p = find_in(registry, o.name);
    if (!p) {
      out.profiles.clear();
      out.error = unknown_os(script, source, registry, o);
      return out;
    }
    out.profiles.push_back(p);
  }
  return out;
}

std::vector<const script::Step*> linear_steps(const script::Script& script) {
  std::vector<const Step*> out;
  if (script.processes.empty()) {
    for (const auto& st : script.steps) out.push_back(&st);
    return out;
  }
  const std::size_t before = std::min(script.steps_before_processes, script.steps.size());
  for (std::size_t i = 0; i < before; ++i) out.push_back(&script.steps[i]);
  for (const auto& p : script.processes) {
    std::vector<std::int64_t> loops;
    std::size_t pc = 0;
    // Nested loops can multiply: stop just past the parser's step limit (validate() reports it).
    while (pc < p.code.size() && out.size() <= script::kMaxSteps) {
      const ProcessOp& op = p.code[pc];
      switch (op.kind) {
        case ProcessOp::Kind::step:
          out.push_back(&p.steps[op.step]);
          ++pc;
          break;
        case ProcessOp::Kind::loop_enter:
          if (op.count == 0) {
            pc = op.target;
          } else {
            loops.push_back(op.count);
            ++pc;
          }
          break;
        case ProcessOp::Kind::loop_next:
          if (--loops.back() > 0) {
            pc = op.target;
          } else {
            loops.pop_back();
            ++pc;
          }
          break;
        case ProcessOp::Kind::choose: pc = op.branches.front(); break;
        case ProcessOp::Kind::jump: pc = op.target; break;
      }
    }
  }
  for (std::size_t i = before; i < script.steps.size(); ++i) out.push_back(&script.steps[i]);
  return out;
}

struct StepRunner::Impl {
  Impl(const Script& s, std::string_view source, const CheckOptions& o) : runner(s, source, o) {}
  Runner runner;
};

StepRunner::StepRunner(const script::Script& script, std::string_view source, const CheckOptions& options)
    : impl_(std::make_unique<Impl>(script, source, options)) {}
StepRunner::~StepRunner() = default;
std::optional<script::Diagnostic> StepRunner::validate() { return impl_->runner.validate(); }
World StepRunner::make_world(bool defer_blocking) const {
  World w = impl_->runner.make_world();
  w.set_defer_blocking(defer_blocking);
  return w;
}
StepReport StepRunner::run(const script::Step& step, World& world, Variables& vars, bool detail) const {
  StepReport r;
  impl_->runner.execute(step, world, vars, detail, r);
  return r;
}
const model::Profile& StepRunner::profile() const { return impl_->runner.profile(); }
const std::vector<std::string>& StepRunner::host_names() const { return impl_->runner.host_names(); }
bool StepRunner::interleave() const { return impl_->runner.interleave(); }
bool StepRunner::matches(const script::Expectation& ex, const model::CallResult& result, Variables& vars) const {
  return impl_->runner.result_matches(ex, result, vars);
}

CheckRun run_check(const script::Script& script, std::string_view source, const CheckOptions& options) {
  Runner runner(script, source, options);
  if (auto err = runner.validate()) return {std::nullopt, std::move(err)};
  return {runner.run(), std::nullopt};
}

std::string format_text(const CheckReport& report) {
  std::string os = report.os;
  for (std::size_t i = 0; i < report.host_os.size(); ++i)
    os += (i == 0 ? " (" : ", ") + report.host_os[i].first + ": " + report.host_os[i].second +
          (i + 1 == report.host_os.size() ? ")" : "");
  std::string out = fmt::format("{}: os {}, seed {}, {} per call\n", report.file, os, report.seed,
                                model::format_duration(report.step_time));
  for (const auto& s : report.steps) {
    std::string mark = s.checked ? (s.ok ? "ok  " : "FAIL") : "    ";
    std::string rule;
    if (s.rule) {
      rule = std::string(s.rule->id);
      if (s.rule->confidence == model::Confidence::assumed) rule += " (ASSUMED)";
    }
    std::string result = s.skipped         ? "-> (not for " + report.os + ")"
                         : s.result.empty() ? ""
                                            : "-> " + s.result;
    out += fmt::format("{:>4}  {:<56} {:<22} {} {}\n", s.line, s.text, result, mark, rule);
    for (const auto& e : s.events) out += fmt::format("{:>6}{}\n", "", e);
    for (const auto& c : s.changes) out += fmt::format("{:>6}{}\n", "", c);
    if (!s.ok) out += fmt::format("{:>6}FAILED at {}:{}:{}: {}\n", "", report.file, s.line, s.column, s.message);
  }
  out += fmt::format("{}: {} checks, {} failed\n", report.ok() ? "PASS" : "FAIL", report.checks, report.failures);
  return out;
}

std::string format_json(const CheckReport& report) {
  nlohmann::ordered_json j;
  j["file"] = report.file;
  j["os"] = report.os;
  if (!report.host_os.empty()) {
    auto& ho = j["host_os"] = nlohmann::ordered_json::object();
    for (const auto& [h, o] : report.host_os) ho[h] = o;
  }
  j["seed"] = report.seed;
  j["step_time_ns"] = report.step_time.count();
  j["ok"] = report.ok();
  j["checks"] = report.checks;
  j["failures"] = report.failures;
  auto& steps = j["steps"] = nlohmann::ordered_json::array();
  for (const auto& s : report.steps) {
    nlohmann::ordered_json st;
    st["line"] = s.line;
    st["column"] = s.column;
    st["call"] = s.text;
    if (!s.host.empty()) st["host"] = s.host;
    st["result"] = s.result;
    if (s.value) st["value"] = *s.value;
    st["errno"] = s.err == model::Errno::ok ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(std::string(model::name(s.err)));
    st["expected"] = s.checked ? nlohmann::ordered_json(s.expected) : nlohmann::ordered_json(nullptr);
    st["ok"] = s.ok;
    if (s.rule) {
      st["rule"] = s.rule->id;
      st["confidence"] = model::name(s.rule->confidence);
    } else {
      st["rule"] = nullptr;
    }
    st["assumed"] = s.assumed;
    if (s.skipped) st["skipped"] = true;
    st["time_ns"] = s.at.time_since_epoch().count();
    if (s.waited.count()) st["blocked_ns"] = s.waited.count();
    st["changes"] = s.changes;
    st["events"] = s.events;
    if (!s.ok) st["message"] = s.message;
    steps.push_back(std::move(st));
  }
  return j.dump(2) + "\n";
}

}  // namespace portlab::sim
