#include "props/conform.h"

#include <fmt/format.h>
#include <sys/utsname.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>
#include <variant>

#include "model/linux_profile.h"
#include "sim/check.h"
#include "sim/world.h"

namespace portlab::props {

namespace {

using namespace sim::script;
using model::Endpoint;
using model::Errno;

Endpoint wire(const Endpoint& e) {
  if (auto v4 = e.addr.unmapped_v4()) return {*v4, e.port};
  return e;
}

// Kernel ephemeral port -> the model's port for the same socket.
class PortMap {
 public:
  // Returns a note when the pair contradicts what was learned before.
  std::optional<std::string> learn(std::uint16_t kernel, std::uint16_t model) {
    if (kernel == 0 || model == 0) return std::nullopt;
    auto k = k2m_.find(kernel);
    if (k != k2m_.end()) {
      if (k->second == model) return std::nullopt;
      return fmt::format("kernel port {} already stands for model port {}, now also for {}", kernel, k->second, model);
    }
    auto m = m2k_.find(model);
    if (m != m2k_.end())
      return fmt::format("model port {} already stands for kernel port {}, now also for {}", model, m->second, kernel);
    k2m_[kernel] = model;
    m2k_[model] = kernel;
    return std::nullopt;
  }
  std::uint16_t to_model(std::uint16_t kernel) const {
    auto it = k2m_.find(kernel);
    return it == k2m_.end() ? kernel : it->second;
  }

 private:
  std::map<std::uint16_t, std::uint16_t> k2m_;
  std::map<std::uint16_t, std::uint16_t> m2k_;
};

std::string format_conn(const Endpoint& local, const std::optional<Endpoint>& remote, model::TcpState state) {
  if (!remote) return fmt::format("{} {}", wire(local).to_string(), model::name(state));
  return fmt::format("{} -> {} {}", wire(local).to_string(), wire(*remote).to_string(), model::name(state));
}

std::string kernel_text(const KernelResult& r) {
  if (r.blocked_forever) return "blocked forever";
  if (r.failed()) return "-1 " + errno_name(r.sys_errno);
  if (r.endpoint) return r.endpoint->to_string();
  if (r.option) return model::format_value(*r.option);
  return std::to_string(r.value);
}

std::string model_text(const sim::CallOutcome& o) {
  if (o.blocked_forever) return "blocked forever";
  const auto& r = o.result;
  if (r.err != Errno::ok) return "-1 " + std::string(model::name(r.err));
  if (r.endpoint) return r.endpoint->to_string();
  if (r.option) return model::format_value(*r.option);
  return std::to_string(r.value);
}

// The kernel's text for a sysctl value in the model's syntax.
std::string kernel_sysctl_text(const model::KnobValue& v) {
  if (auto* r = std::get_if<model::PortRange>(&v)) return fmt::format("{}\t{}", r->low, r->high);
  return model::format_knob_value(v);
}

}  // namespace

struct Conformer::Impl {
  struct Var {
    std::size_t host = 0;
    bool is_socket = false;
    std::optional<std::int64_t> model;
    std::optional<std::int64_t> kernel;
  };

  ConformOptions options;
  const model::Profile* profile = nullptr;
  std::vector<std::string> names;
  // Declared before the kernel hosts: they must outlive them.
  std::vector<std::unique_ptr<KernelNamespace>> namespaces;
  std::vector<std::unique_ptr<KernelHost>> kernels;
  std::unique_ptr<sim::World> world;
  // One mapping for all hosts: a client's port shows up at the server as the remote port.
  PortMap port_map;
  std::map<std::string, Var> vars;
  model::Duration step_time = sim::CheckOptions{}.step_time;
  // The kernel's clock runs in real time: a blocking call that the model abandons, a settle, or
  // simply a slow case lets seconds pass for the kernel (tcp_tw_reuse_delay, timestamps, timers)
  // while `portlab check` would move the model 1 ms per call. So the model's clock never lags the
  // wall clock since setup: each call advances it to max(now + step_time, epoch + elapsed wall).
  std::chrono::steady_clock::time_point wall_epoch;
  model::TimePoint model_epoch;

  // Advances the model by at least `at_least`, and at least to the wall time elapsed since setup.
  void advance_model(model::Duration at_least) {
    const auto wall = std::chrono::duration_cast<model::Duration>(std::chrono::steady_clock::now() - wall_epoch);
    world->advance_to(std::max(world->now() + at_least, model_epoch + wall));
  }

  std::size_t host_index(const std::optional<std::string>& name) const {
    if (!name) return 0;
    for (std::size_t i = 0; i < names.size(); ++i)
      if (names[i] == *name) return i;
    return 0;
  }

  void setup(const Script& script) {
    profile = options.profile ? options.profile : &model::linux_profile();
    if (profile->name != "linux")
      throw ConformError("the real-kernel harness runs Linux only; --os " + std::string(profile->name) +
                         " cannot be compared with this kernel");
    std::vector<HostDecl> decls = script.hosts;
    if (decls.empty()) decls.push_back(HostDecl{"local", {}, {}, {}, {}});
    for (const auto& h : decls)
      if (h.os && h.os->name != "linux")
        throw ConformError("host '" + h.name + "' runs os=" + h.os->name +
                           "; the real-kernel harness runs Linux only");
    std::vector<sim::HostSpec> specs;
    for (const auto& h : decls) {
      names.push_back(h.name);
      sim::HostSpec spec{h.name, {}, h.devices, profile};
      for (std::size_t i = 0; i < h.addresses.size(); ++i) {
        const int def = h.addresses[i].family() == model::Family::inet ? 32 : 128;
        spec.addresses.push_back({h.addresses[i], i < h.prefix_lengths.size() ? h.prefix_lengths[i] : def});
      }
      specs.push_back(std::move(spec));
    }
    for (std::size_t i = 0; i < decls.size(); ++i) {
      namespaces.push_back(std::make_unique<KernelNamespace>());
      KernelNamespace& ns = *namespaces.back();
      ns.write_sysctl("net.ipv4.conf.all.rp_filter", "0");
      ns.write_sysctl("net.ipv4.conf.default.rp_filter", "0");
      // Host addresses live on lo as host routes (/32, /128): exactly these addresses are local,
      // as in the model. Loopback addresses are there already.
      for (const auto& a : specs[i].addresses)
        if (!a.addr.is_loopback()) ns.add_address("lo", a.addr, a.addr.family() == model::Family::inet ? 32 : 128);
      // Declared devices: one end of a veth pair (the other end, "<dev>p", carries no traffic).
      for (const auto& d : decls[i].devices) {
        if (d.size() > 14) throw ConformError("device name '" + d + "' is too long for the kernel (15 bytes at most)");
        ns.add_veth(d, d + "p", nullptr);
        ns.link_up(d);
        ns.link_up(d + "p");
      }
    }
    // Hosts are joined pairwise by veth links with host routes and permanent neighbour entries.
    for (std::size_t i = 0; i < decls.size(); ++i) {
      for (std::size_t j = i + 1; j < decls.size(); ++j) {
        const std::string a = fmt::format("pl{}x{}", i, j);
        const std::string b = fmt::format("pl{}x{}", j, i);
        namespaces[i]->add_veth(a, b, namespaces[j].get());
        namespaces[i]->link_up(a);
        namespaces[j]->link_up(b);
        const std::string mac_a = namespaces[i]->hw_address(a);
        const std::string mac_b = namespaces[j]->hw_address(b);
        auto wire_up = [&](std::size_t from, const std::string& dev, std::size_t to, const std::string& peer_mac) {
          for (const auto& dst : specs[to].addresses) {
            if (dst.addr.is_loopback()) continue;
            std::optional<model::IpAddress> src;
            for (const auto& mine : specs[from].addresses)
              if (!src && mine.addr.family() == dst.addr.family() && !mine.addr.is_loopback()) src = mine.addr;
            namespaces[from]->add_route(dev, dst.addr, dst.addr.family() == model::Family::inet ? 32 : 128, src);
            namespaces[from]->add_neighbor(dev, dst.addr, peer_mac);
          }
        };
        wire_up(i, a, j, mac_b);
        wire_up(j, b, i, mac_a);
      }
    }
    for (auto& ns : namespaces) kernels.push_back(std::make_unique<KernelHost>(*ns, options.block_timeout));
    world = std::make_unique<sim::World>(options.seed, std::move(specs));
    // The model starts from the namespace's own sysctl values.
    for (std::size_t h = 0; h < names.size(); ++h) {
      for (const auto& k : profile->knobs) {
        auto v = namespaces[h]->read_sysctl(k.name);
        if (!v) continue;
        std::replace(v->begin(), v->end(), '\t', ' ');
        world->host(h).sysctl(k.name, *v);  // an unparsable value keeps the default
      }
    }
    wall_epoch = std::chrono::steady_clock::now();
    model_epoch = world->now();
  }

  std::optional<std::int64_t> int_value(const IntExpr& e, bool kernel) const {
    if (auto* i = std::get_if<std::int64_t>(&e)) return *i;
    auto it = vars.find(std::get<VarRef>(e).name);
    if (it == vars.end()) return std::nullopt;
    return kernel ? it->second.kernel : it->second.model;
  }

  std::optional<Endpoint> endpoint(const EndpointExpr& e, bool kernel) const {
    if (auto* p = std::get_if<std::uint16_t>(&e.port)) return Endpoint{e.addr, *p};
    auto it = vars.find(std::get<VarRef>(e.port).name);
    if (it == vars.end()) return std::nullopt;
    auto v = kernel ? it->second.kernel : it->second.model;
    if (!v || *v < 0 || *v > 65535) return std::nullopt;
    return Endpoint{e.addr, static_cast<std::uint16_t>(*v)};
  }

  // Learns the ephemeral-port mapping from one socket's local port on both sides.
  void learn_port(std::size_t h, std::optional<std::int64_t> mfd, std::optional<std::int64_t> kfd,
                  StepComparison& r) {
    if (!mfd || !kfd || *mfd < 0 || *kfd < 0) return;
    auto mp = world->host(h).local_port(static_cast<model::Fd>(*mfd));
    auto kn = kernels[h]->getsockname(static_cast<int>(*kfd));
    if (!mp || !kn.endpoint) return;
    if (auto note = port_map.learn(kn.endpoint->port, *mp)) r.notes.push_back(*note);
  }

  void run_call(const CallStep& cs, StepComparison& r) {
    const std::size_t h = host_index(cs.host);
    r.host = names[h];
    const Call& c = cs.call;
    std::optional<std::int64_t> mfd, kfd;
    if (c.sock) {
      auto it = vars.find(c.sock->name);
      if (it != vars.end()) {
        mfd = it->second.model;
        kfd = it->second.kernel;
      }
    }
    auto mep = c.endpoint ? endpoint(*c.endpoint, false) : std::nullopt;
    auto kep = c.endpoint ? endpoint(*c.endpoint, true) : std::nullopt;
    std::int64_t mcount = 0, kcount = 0;
    if (c.count) {
      mcount = int_value(*c.count, false).value_or(0);
      kcount = int_value(*c.count, true).value_or(0);
    }
    // The model, exactly as `portlab check` drives it.
    sim::CallOutcome mo;
    bool model_ran = !(c.sock && !mfd) && !(c.endpoint && !mep);
    // A call that blocks forever makes the World run every remaining timer (hours of virtual
    // time: TIME-WAIT expires), while the kernel side only waited `block_timeout`. For calls that
    // change nothing when abandoned (accept, recv), the World is rolled back to before the call.
    std::optional<sim::World> before;
    if (model_ran && (c.kind == CallKind::accept || c.kind == CallKind::recv)) before.emplace(*world);
    if (model_ran) {
      sim::World& w = *world;
      // Time passes between calls, as in `portlab check` (clocks and timestamps move on), and
      // never less than it did for the kernel.
      advance_model(step_time);
      const model::Fd fd = static_cast<model::Fd>(mfd.value_or(-1));
      mo = w.run_call(h, fd, mcount, [&](model::Host& host, std::vector<model::Segment>& out) -> model::CallResult {
        const auto now = w.now();
        switch (c.kind) {
          case CallKind::socket:
            return host.socket(c.socket_args.family, c.socket_args.nonblock, c.socket_args.uid.value_or(0));
          case CallKind::setsockopt: return host.setsockopt(fd, *c.opt, *c.opt_value);
          case CallKind::getsockopt: return host.getsockopt(fd, *c.opt);
          case CallKind::bind: return host.bind(fd, *mep);
          case CallKind::listen: return host.listen(fd, c.count ? static_cast<int>(mcount) : 128);
          case CallKind::connect: return host.connect(fd, *mep, now, out);
          case CallKind::accept: return host.accept(fd);
          case CallKind::send: return host.send(fd, mcount, now, out);
          case CallKind::recv: return host.recv(fd, mcount, now, out);
          case CallKind::shutdown:
            return host.shutdown(fd, *c.how != ShutdownHow::wr, *c.how != ShutdownHow::rd, now, out);
          case CallKind::close: return host.close(fd, now, out);
          case CallKind::getsockname:
          case CallKind::port: return host.getsockname(fd);
        }
        return {};
      });
      if (mo.blocked_forever && before) *world = std::move(*before);
      r.rule = mo.blocked_forever ? &sim::sim_rule::blocked_forever : mo.result.rule;
      r.model_err = mo.result.err;
      r.model_result = model_text(mo);
    } else {
      r.rule = &sim::sim_rule::no_descriptor;
      r.model_result = "not run";
    }
    // The kernel.
    KernelResult ko;
    bool kernel_ran = !(c.sock && !kfd) && !(c.endpoint && !kep);
    if (kernel_ran) {
      KernelHost& k = *kernels[h];
      const int fd = static_cast<int>(kfd.value_or(-1));
      switch (c.kind) {
        case CallKind::socket:
          ko = k.socket(c.socket_args.family, c.socket_args.nonblock, c.socket_args.uid.value_or(0));
          break;
        case CallKind::setsockopt: ko = k.setsockopt(fd, *c.opt, *c.opt_value); break;
        case CallKind::getsockopt: ko = k.getsockopt(fd, *c.opt); break;
        case CallKind::bind: ko = k.bind(fd, *kep); break;
        case CallKind::listen: ko = k.listen(fd, c.count ? static_cast<int>(kcount) : 128); break;
        case CallKind::connect: ko = k.connect(fd, *kep); break;
        case CallKind::accept: ko = k.accept(fd); break;
        case CallKind::send: ko = k.send(fd, kcount); break;
        case CallKind::recv: ko = k.recv(fd, kcount); break;
        case CallKind::shutdown: ko = k.shutdown(fd, *c.how != ShutdownHow::wr, *c.how != ShutdownHow::rd); break;
        case CallKind::close: ko = k.close(fd); break;
        case CallKind::getsockname:
        case CallKind::port: ko = k.getsockname(fd); break;
      }
      r.kernel_errno = ko.sys_errno;
    }
    // port(s): the port number, through the ephemeral-port mapping.
    if (c.kind == CallKind::port || c.kind == CallKind::getsockname) {
      if (model_ran && !mo.result.failed() && mo.result.endpoint && kernel_ran && !ko.failed() && ko.endpoint) {
        if (auto note = port_map.learn(ko.endpoint->port, mo.result.endpoint->port)) r.notes.push_back(*note);
      }
      if (c.kind == CallKind::port) {
        if (model_ran && !mo.result.failed() && mo.result.endpoint) {
          mo.result.value = mo.result.endpoint->port;
          mo.result.endpoint.reset();
          r.model_result = model_text(mo);
        }
        if (kernel_ran && !ko.failed() && ko.endpoint) {
          ko.value = ko.endpoint->port;
          ko.endpoint.reset();
        }
      }
    }
    if (kernel_ran) {
      if (ko.endpoint) ko.endpoint->port = port_map.to_model(ko.endpoint->port);
      if (c.kind == CallKind::port && !ko.failed() && !ko.blocked_forever)
        ko.value = port_map.to_model(static_cast<std::uint16_t>(ko.value));
      r.kernel_result = kernel_text(ko);
    } else {
      r.kernel_result = "not run";
    }
    r.result_differs = r.model_result != r.kernel_result;
    // Variables.
    const bool defines_socket = c.kind == CallKind::socket || c.kind == CallKind::accept;
    if (cs.bind_var) {
      Var v;
      v.host = h;
      v.is_socket = defines_socket;
      if (model_ran && !mo.blocked_forever && !mo.result.failed())
        v.model = c.kind == CallKind::port ? mo.result.value : mo.result.value;
      if (kernel_ran && !ko.blocked_forever && !ko.failed()) v.kernel = ko.value;
      if (c.kind == CallKind::port && v.kernel) {
        // Keep the kernel's own number: later steps hand it back to the kernel.
        auto kn = kernels[h]->getsockname(static_cast<int>(*kfd));
        if (kn.endpoint) v.kernel = kn.endpoint->port;
      }
      vars[*cs.bind_var] = v;
      if (defines_socket) learn_port(h, v.model, v.kernel, r);
    }
    if (c.kind == CallKind::bind || c.kind == CallKind::listen || c.kind == CallKind::connect)
      learn_port(h, mfd, kfd, r);
  }

  void run_sysctl(const SysctlStep& sc, StepComparison& r) {
    r.host = sc.host.value_or("");
    if (!applies_to(sc.os, "linux")) return;  // `sysctl ... @OS` for other OSes
    for (std::size_t h = 0; h < names.size(); ++h) {
      if (sc.host && names[h] != *sc.host) continue;
      const model::Knobs& knobs = world->host(h).knobs();
      auto idx = knobs.find(sc.name);
      if (!idx) throw ConformError("unknown sysctl " + sc.name);
      auto parsed = model::parse_knob_value(profile->knobs[*idx], sc.value);
      if (!parsed.value) throw ConformError("bad value for " + sc.name + ": " + parsed.error);
      world->host(h).sysctl(sc.name, sc.value);
      try {
        namespaces[h]->write_sysctl(sc.name, kernel_sysctl_text(*parsed.value));
        r.kernel_result = "0";
      } catch (const HarnessError& e) {
        r.kernel_result = std::string("failed: ") + e.what();
      }
      r.model_result = "0";
    }
    r.result_differs = r.model_result != r.kernel_result;
  }

  // A handshake or close still in flight (KernelHost::settle waits for these to end).
  static bool in_flight(model::TcpState s) {
    using model::TcpState;
    return s == TcpState::syn_sent || s == TcpState::syn_received || s == TcpState::fin_wait_1 ||
           s == TcpState::closing || s == TcpState::last_ack;
  }

  // The kernel side settles in real time (KernelHost::settle: up to 500 ms while a handshake or
  // close is in flight); the model gets the same 500 ms in virtual time, event by event, while one
  // of its connections is in such a state. Without it, a model timer that the kernel's settle
  // outlasts would be compared before it fires (Linux re-sends a SYN 2 jiffies after an
  // unacceptable ACK in SYN-SENT: tcp_rcv_synsent_state_process).
  void settle_model() {
    const model::TimePoint limit = world->now() + std::chrono::milliseconds(500);
    sim::World& w = *world;
    for (;;) {
      bool moving = false;
      for (std::size_t h = 0; h < names.size() && !moving; ++h)
        for (const auto& c : w.host(h).connections()) moving |= in_flight(c.state);
      const auto next = w.next_event_time();
      if (!moving || !next || *next > limit) return;
      w.advance_to(*next);
    }
  }

  void compare_connections(StepComparison& r) {
    settle_model();
    for (auto& k : kernels) k->settle();
    for (std::size_t h = 0; h < names.size(); ++h) {
      std::vector<std::string> m = model_view(h);
      std::vector<std::string> k;
      for (auto c : kernels[h]->connections()) {
        c.local.port = port_map.to_model(c.local.port);
        if (c.remote) c.remote->port = port_map.to_model(c.remote->port);
        k.push_back(format_conn(c.local, c.remote, c.state));
      }
      std::sort(k.begin(), k.end());
      std::vector<std::string> mo, ko;
      std::set_difference(m.begin(), m.end(), k.begin(), k.end(), std::back_inserter(mo));
      std::set_difference(k.begin(), k.end(), m.begin(), m.end(), std::back_inserter(ko));
      for (auto& s : mo) r.model_only.push_back(names[h] + ": " + s);
      for (auto& s : ko) r.kernel_only.push_back(names[h] + ": " + s);
    }
  }

  std::vector<std::string> model_view(std::size_t h) {
    std::vector<std::string> m;
    for (const auto& c : world->host(h).connections()) m.push_back(format_conn(c.local, c.remote, c.state));
    std::sort(m.begin(), m.end());
    return m;
  }
};

Conformer::Conformer(const Script& script, const ConformOptions& options) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
  impl_->setup(script);
}

Conformer::~Conformer() = default;

std::size_t Conformer::host_count() const { return impl_->names.size(); }
model::Host& Conformer::model_host(std::size_t i) { return impl_->world->host(i); }
KernelHost& Conformer::kernel_host(std::size_t i) { return *impl_->kernels.at(i); }
std::vector<std::string> Conformer::model_connections(std::size_t host) { return impl_->model_view(host); }

StepComparison Conformer::step(const Step& step) {
  StepComparison r;
  r.line = step.loc.line;
  r.column = step.loc.column;
  r.text = step.text;
  std::visit(
      [&](const auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, CallStep>) {
          impl_->run_call(body, r);
        } else if constexpr (std::is_same_v<T, SysctlStep>) {
          impl_->run_sysctl(body, r);
        } else if constexpr (std::is_same_v<T, WaitStep>) {
          std::this_thread::sleep_for(body.duration);
          impl_->advance_model(body.duration);
        }
        // `expect` steps check the script against one engine; conform compares engines.
      },
      step.body);
  if (!std::holds_alternative<ExpectStep>(step.body)) impl_->compare_connections(r);
  impl_->world->take_log();
  return r;
}

std::string kernel_release() {
  utsname u{};
  if (uname(&u) != 0) return "unknown";
  return u.release;
}

ConformRun run_conform(const Script& script, std::string_view source, const ConformOptions& options) {
  // Everything `portlab check` rejects is rejected here too, before any namespace exists.
  auto check = sim::run_check(script, source, {.seed = options.seed, .profile = options.profile});
  if (check.error) return {std::nullopt, std::move(check.error), std::nullopt};
  for (const auto& step : script.steps) {
    if (auto* w = std::get_if<WaitStep>(&step.body)) {
      if (w->duration > options.max_wait && !options.allow_slow)
        return {std::nullopt, std::nullopt,
                fmt::format("{}:{}: `{}` would sleep {} of real time on the kernel side (the limit is {}); "
                            "pass --allow-slow to run it anyway",
                            script.file, step.loc.line, step.text, model::format_duration(w->duration),
                            model::format_duration(options.max_wait))};
    }
  }
  ConformReport report;
  report.file = script.file;
  report.seed = options.seed;
  report.kernel = kernel_release();
  try {
    Conformer c(script, options);
    for (const auto& step : script.steps) {
      auto r = c.step(step);
      if (r.differs()) ++report.differences;
      report.steps.push_back(std::move(r));
    }
  } catch (const ConformError& e) {
    return {std::nullopt, std::nullopt, std::string(script.file) + ": " + e.what()};
  }
  return {std::move(report), std::nullopt, std::nullopt};
}

std::string format_conform_text(const ConformReport& report) {
  std::string out = fmt::format("{}: model linux (seed {}) vs kernel {}\n", report.file, report.seed, report.kernel);
  for (const auto& s : report.steps) {
    const char* mark = s.differs() ? "DIFF" : "same";
    std::string res;
    if (!s.model_result.empty() || !s.kernel_result.empty()) {
      res = s.result_differs ? fmt::format("model {} / kernel {}", s.model_result, s.kernel_result)
                             : "-> " + s.model_result;
    }
    out += fmt::format("{:>4}  {:<56} {:<30} {} {}\n", s.line, s.text, res, mark, s.rule ? s.rule->id : "");
    for (const auto& m : s.model_only) out += fmt::format("{:>6}model only:  {}\n", "", m);
    for (const auto& k : s.kernel_only) out += fmt::format("{:>6}kernel only: {}\n", "", k);
    for (const auto& n : s.notes) out += fmt::format("{:>6}note: {}\n", "", n);
  }
  out += fmt::format("{}: {} of {} steps differ\n", report.ok() ? "SAME" : "DIFFERENT", report.differences,
                     report.steps.size());
  return out;
}

}  // namespace portlab::props
