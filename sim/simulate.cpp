#include "sim/simulate.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <queue>
#include <set>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "model/linux_profile.h"
#include "model/profiles.h"
#include "sim/check.h"
#include "sim/script_network.h"
#include "sim/world.h"

namespace portlab::sim {

using script::CloseStyle;
using script::Diagnostic;
using script::Script;
using script::SourceLoc;
using script::SourcePort;
using script::Workload;

namespace {

using Clock = std::chrono::steady_clock;
constexpr model::Duration kStall = std::chrono::milliseconds(200);

Diagnostic located(const Script& s, std::string_view source, SourceLoc loc, std::string message) {
  return Diagnostic{s.file, loc, std::move(message), source_line(source, loc.line)};
}


// "1.000000000": seconds with nanoseconds, fixed width for the event log.
std::string stamp(model::Duration d) {
  const auto ns = d.count();
  return fmt::format("{:>6}.{:09}", ns / 1'000'000'000, ns % 1'000'000'000);
}

std::string seconds(model::Duration d) { return human_duration(d); }

std::string rate_text(double r) {
  if (r >= 100) return fmt::format("{:.0f}/s", r);
  return fmt::format("{:.2f}/s", r);
}

bool compare(double a, script::CompareOp op, double b) {
  switch (op) {
    case script::CompareOp::eq: return a == b;
    case script::CompareOp::ne: return a != b;
    case script::CompareOp::lt: return a < b;
    case script::CompareOp::le: return a <= b;
    case script::CompareOp::gt: return a > b;
    case script::CompareOp::ge: return a >= b;
  }
  return false;
}

model::Duration percentile(std::vector<model::Duration>& v, double q) {
  if (v.empty()) return {};
  const auto k = static_cast<std::size_t>(std::min<double>(static_cast<double>(v.size() - 1),
                                                           std::floor(q * static_cast<double>(v.size() - 1) + 0.5)));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

// ---------------------------------------------------------------------------------------------

class Engine {
 public:
  Engine(const Script& s, std::string_view source, const SimulateOptions& o)
      : script_(s), source_(source), options_(o) {
    profile_ = o.profile ? o.profile : &model::linux_profile();
    registry_ = o.registry.empty() ? model::all_profiles() : o.registry;
  }

  std::optional<Diagnostic> setup();
  SimulateReport run();

 private:
  enum class Phase : std::uint8_t { idle, connecting, awaiting_reply, awaiting_eof };
  struct Client {
    std::size_t workload = 0;
    int index = 0;
    std::size_t host = 0;
    model::Fd fd = -1;
    Phase phase = Phase::idle;
    model::TimePoint next_slot{};
    model::TimePoint connect_at{};
    model::Duration backoff{};
    std::uint64_t cycle = 0;
    bool scheduled = false;
    std::optional<std::pair<FailureKind, model::TimePoint>> outage;  // failing since
  };
  struct ServerConn {
    std::size_t workload = 0;
    std::size_t host = 0;
    model::Fd fd = -1;
    bool replied = false;
  };
  struct Listener {
    std::size_t workload = 0;
    std::size_t server = 0;  // index in Workload::servers
    std::size_t host = 0;
    model::Fd fd = -1;
    bool up = false;
    std::optional<std::pair<FailureKind, model::TimePoint>> outage;  // failing to come back since
  };
  enum class Who : std::uint8_t { client, server_conn, listener };
  struct PendingOp {
    Who who{};
    std::size_t index = 0;
    model::Pending what{};
    model::CallResult first;
    std::int64_t bytes = 0;
    bool done = false;
  };
  enum class ActionKind : std::uint8_t { client_start, listener_down, listener_up, sample };
  struct Action {
    model::TimePoint at;
    std::uint64_t order;
    ActionKind kind;
    std::size_t index;
    bool operator>(const Action& o) const { return at != o.at ? at > o.at : order > o.order; }
  };
  struct WorkloadState {
    const Workload* w = nullptr;
    model::TimePoint begin{};
    model::TimePoint end{};
    std::size_t client_host = 0;
    std::vector<std::size_t> server_hosts;
    std::vector<model::Duration> latencies;
  };

  std::optional<std::size_t> host_index(const std::string& name) const {
    for (std::size_t i = 0; i < host_names_.size(); ++i)
      if (host_names_[i] == name) return i;
    return std::nullopt;
  }
  void schedule(model::TimePoint at, ActionKind k, std::size_t index) { actions_.push({at, order_++, k, index}); }
  double offered_rate(const WorkloadState& ws, model::TimePoint t) const;
  void schedule_next(Client& c, bool after_failure);
  void start_cycle(std::size_t ci);
  void client_failed(std::size_t ci, const char* call, const model::CallResult& r);
  void client_succeeded(std::size_t ci);
  void client_close(std::size_t ci);
  void listener_up(std::size_t li);
  void listener_down(std::size_t li);
  void on_done(PendingOp& op, const model::CallResult& r);
  void drain_pending();
  void take_sample();
  void drain_log();
  void log_call(std::size_t host, model::Fd fd, std::string_view what, const model::CallResult& r);
  WorkloadReport& wr(std::size_t w) { return report_.workloads[w]; }
  void count_probes(std::size_t w, const model::CallResult& r) {
    wr(w).probes_total += r.probes;
    wr(w).probes_max = std::max(wr(w).probes_max, r.probes);
  }
  model::CallResult call(std::size_t h, const std::function<model::CallResult(model::Host&, std::vector<model::Segment>&)>& f) {
    if (options_.events) drain_log();  // what the network and timers did before this call comes first
    return world_->call(h, f);
  }
  void evaluate_expectations();
  void finish_outages();

  const Script& script_;
  std::string_view source_;
  SimulateOptions options_;
  const model::Profile* profile_ = nullptr;
  std::span<const model::Profile* const> registry_;

  std::vector<std::string> host_names_;
  std::vector<const model::Profile*> host_profiles_;
  std::unique_ptr<World> world_;
  std::vector<WorkloadState> workloads_;
  std::vector<Client> clients_;
  std::vector<ServerConn> conns_;
  std::vector<std::size_t> free_conns_;
  std::vector<Listener> listeners_;
  std::vector<PendingOp> pending_;
  std::priority_queue<Action, std::vector<Action>, std::greater<>> actions_;
  std::uint64_t order_ = 0;
  model::TimePoint end_{};
  Sample interval_;  // counts since the last sample
  std::uint64_t total_attempts_ = 0;
  SimulateReport report_;
};

std::optional<Diagnostic> Engine::setup() {
  if (script_.workloads.empty()) {
    return Diagnostic{script_.file, {}, "no workload to simulate; expected a 'workload NAME { ... }' block (see docs/simulate.md)", {}};
  }
  if (!script_.processes.empty())
    return located(script_, source_, script_.processes.front().loc,
                   "simulate runs workloads; process blocks are for 'portlab explore' and 'portlab check'");
  if (!script_.properties.empty())
    return located(script_, source_, script_.properties.front().expr.loc,
                   "simulate runs workloads; always/never properties are for 'portlab explore'");
  if (script_.network && script_.network->interleave)
    return located(script_, source_, script_.network->loc,
                   "simulate runs workloads over time; 'network interleave' (segments held until delivered by "
                   "'deliver' steps) is for 'portlab check' and 'portlab explore'");
  // Steps that `check` runs have no meaning over time: reject them rather than skip them.
  for (const auto& step : script_.steps) {
    if (std::holds_alternative<script::SysctlStep>(step.body)) continue;
    return located(script_, source_, step.loc,
                   "simulate runs workloads; this step is for 'portlab check' (expected only host, os, sysctl, network, "
                   "middlebox and workload lines)");
  }
  // OS names anywhere in the script must name a profile.
  auto check_os = [&](const script::OsRef& o) -> std::optional<Diagnostic> {
    if (find_in(registry_, o.name)) return std::nullopt;
    return located(script_, source_, o.loc, "unknown OS '" + o.name + "'");
  };
  for (const auto& o : script_.os)
    if (auto e = check_os(o)) return e;
  for (const auto& h : script_.hosts)
    if (h.os)
      if (auto e = check_os(*h.os)) return e;
  for (const auto& w : script_.workloads)
    for (const auto& e : w.expects)
      for (const auto& o : e.os)
        if (auto err = check_os(o)) return err;

  std::vector<HostSpec> specs;
  if (script_.hosts.empty()) {
    specs.push_back({"local", {}, {}, profile_});
    host_names_.push_back("local");
    host_profiles_.push_back(profile_);
  } else {
    for (const auto& h : script_.hosts) {
      const model::Profile* p = h.os ? find_in(registry_, h.os->name) : profile_;
      HostSpec spec{h.name, {}, h.devices, p};
      for (std::size_t i = 0; i < h.addresses.size(); ++i) {
        const int def = h.addresses[i].family() == model::Family::inet ? 32 : 128;
        spec.addresses.push_back({h.addresses[i], i < h.prefix_lengths.size() ? h.prefix_lengths[i] : def});
      }
      specs.push_back(std::move(spec));
      host_names_.push_back(h.name);
      host_profiles_.push_back(p);
    }
  }
  world_ = std::make_unique<World>(options_.seed, std::move(specs));
  world_->set_keep_events(options_.events != nullptr);
  if (!options_.memoize_port_searches)
    for (std::size_t h = 0; h < world_->host_count(); ++h) world_->host(h).set_memoize_port_searches(false);
  world_->set_trace_segments(options_.events != nullptr);
  if (script_.network) {
    const NetworkConfig n = network_config(*script_.network);
    world_->set_network(n);
    if (n.syn_loss > 0) report_.assumptions.push_back("sim.loss-syn-only: only SYNs are lost (the model retransmits no other segment)");
    if (n.duplicate > 0 || n.reorder > 0)
      report_.assumptions.push_back("sim.dup-reorder-control-only: only segments without payload are duplicated or reordered");
  }
  for (const auto& m : script_.middleboxes) world_->add_middlebox(middlebox_rule(m));
  // Sysctls: every one applies before the workloads start, to the hosts it names.
  for (const auto& step : script_.steps) {
    const auto& sc = std::get<script::SysctlStep>(step.body);
    if (!sc.os.empty() && !script::applies_to(sc.os, profile_->name)) continue;
    bool any = false;
    for (std::size_t h = 0; h < host_names_.size(); ++h) {
      if (sc.host && *sc.host != host_names_[h]) continue;
      any = true;
      const std::string err = world_->host(h).sysctl(sc.name, sc.value);
      if (!err.empty()) return located(script_, source_, sc.value_loc, err);
    }
    if (!any) return located(script_, source_, step.loc, "unknown host '" + sc.host.value_or("") + "'");
  }
  // Workloads: hosts, addresses.
  for (const auto& w : script_.workloads) {
    WorkloadState ws;
    ws.w = &w;
    auto ch = host_index(w.client_host);
    if (!ch) return located(script_, source_, w.loc, "unknown client host '" + w.client_host + "'");
    ws.client_host = *ch;
    for (const auto& s : w.servers) {
      auto sh = host_index(s.host);
      if (!sh) return located(script_, source_, s.loc, "unknown server host '" + s.host + "'");
      if (!world_->host(*sh).is_local(s.endpoint.addr))
        return located(script_, source_, s.loc,
                       "server address " + s.endpoint.addr.to_string() + " is not an address of host '" + s.host +
                           "'; expected one of its declared addresses");
      ws.server_hosts.push_back(*sh);
    }
    for (const auto& a : w.source_addresses) {
      if (!world_->host(ws.client_host).is_local(a))
        return located(script_, source_, w.loc,
                       "source address " + a.to_string() + " is not an address of host '" + w.client_host + "'");
      if (a.family() != w.servers.front().endpoint.addr.family())
        return located(script_, source_, w.loc, "source address " + a.to_string() + " is not of the servers' family");
    }
    if (w.source == SourcePort::fixed && static_cast<int>(w.fixed_port) + w.clients - 1 > 65535)
      return located(script_, source_, w.loc, "fixed source ports run past 65535: lower the port or the client count");
    const model::Duration d = options_.duration.value_or(w.duration);
    ws.begin = model::TimePoint{} + w.start;
    ws.end = ws.begin + d;
    if (ws.end - model::TimePoint{} > options_.max_virtual_time)
      return located(script_, source_, w.loc,
                     "workload '" + w.name + "' runs until " + seconds(ws.end.time_since_epoch()) +
                         ", past the virtual-time limit of " + seconds(options_.max_virtual_time) +
                         "; shorten it or raise the limit with --max-virtual-time");
    end_ = std::max(end_, ws.end);
    workloads_.push_back(std::move(ws));
  }
  return std::nullopt;
}

double Engine::offered_rate(const WorkloadState& ws, model::TimePoint t) const {
  const Workload& w = *ws.w;
  const double from = options_.rate.value_or(w.rate_from);
  const double to = options_.rate.value_or(w.rate_to);
  if (from == to) return from;
  const double span = std::chrono::duration<double>(ws.end - ws.begin).count();
  const double done = std::chrono::duration<double>(t - ws.begin).count();
  return from + (to - from) * std::clamp(span > 0 ? done / span : 1.0, 0.0, 1.0);
}

// The client's next arrival: its share of the offered rate, or sooner under a retry policy.
void Engine::schedule_next(Client& c, bool after_failure) {
  const WorkloadState& ws = workloads_[c.workload];
  const Workload& w = *ws.w;
  const model::TimePoint now = world_->now();
  model::TimePoint at;
  if (after_failure && w.retry != script::RetryPolicy::none) {
    if (w.retry == script::RetryPolicy::fixed) {
      at = now + w.retry_delay;
    } else {
      c.backoff = c.backoff == model::Duration::zero() ? w.retry_delay : std::min(w.retry_max, c.backoff * 2);
      at = now + c.backoff;
    }
    ++wr(c.workload).retries;
  } else {
    const double per_client = offered_rate(ws, std::max(now, c.next_slot)) / w.clients;
    const auto gap = model::Duration(static_cast<model::Duration::rep>(per_client > 0 ? 1e9 / per_client : 1e18));
    c.next_slot += gap;
    if (c.next_slot < now) {
      // The client was busy through one or more of its arrival slots: those are missed, not queued.
      const auto behind = (now - c.next_slot) / gap + 1;
      wr(c.workload).missed_slots += static_cast<std::uint64_t>(behind);
      c.next_slot += behind * gap;
    }
    at = c.next_slot;
  }
  if (at >= ws.end) return;
  c.scheduled = true;
  schedule(at, ActionKind::client_start, static_cast<std::size_t>(&c - clients_.data()));
}

void Engine::log_call(std::size_t host, model::Fd fd, std::string_view what, const model::CallResult& r) {
  if (!options_.events) return;
  std::string result = r.err == model::Errno::ok ? std::to_string(r.value) : "-1 " + std::string(model::name(r.err));
  if (r.pending != model::Pending::none) result = "pending";
  *options_.events << fmt::format("{} {:<10} {:<6} {:<64} {:<22} {}\n", stamp(world_->now().time_since_epoch()),
                                  host_names_[host], fd >= 0 ? "fd" + std::to_string(fd) : std::string("-"), what, result,
                                  r.rule ? r.rule->id : std::string_view("-"));
}

void Engine::drain_log() {
  for (auto& e : world_->take_log()) {
    if (options_.events)
      *options_.events << fmt::format("{} {:<10} {:<6} {:<64} {:<22} {}\n", stamp(e.at.time_since_epoch()), e.host, "-",
                                      e.what, "", e.rule ? e.rule->id : std::string_view("-"));
  }
}

void Engine::start_cycle(std::size_t ci) {
  Client& c = clients_[ci];
  c.scheduled = false;
  WorkloadState& ws = workloads_[c.workload];
  const Workload& w = *ws.w;
  const std::size_t h = ws.client_host;
  if (total_attempts_ >= options_.max_connections) {
    if (!report_.stopped)
      report_.stopped = fmt::format("the run reached the limit of {} connection attempts (--max-connections)",
                                    options_.max_connections);
    return;
  }
  ++total_attempts_;
  ++wr(c.workload).attempts;
  ++interval_.attempts;
  ++c.cycle;
  // Each client goes round the destinations from its own starting point, so that clients and
  // destinations do not pair up in lockstep (16 clients x 4 servers would otherwise use 4 pairs).
  const auto& server = w.servers[(c.cycle + static_cast<std::uint64_t>(c.index) / std::max<std::size_t>(
                                                                                 1, w.source_addresses.size())) %
                                 w.servers.size()];
  const model::Family fam = server.endpoint.addr.family();
  auto r = call(h, [&](model::Host& host, std::vector<model::Segment>&) { return host.socket(fam, false, 0); });
  log_call(h, -1, "socket()", r);
  if (r.failed()) return client_failed(ci, "socket", r);
  c.fd = static_cast<model::Fd>(r.value);
  auto set = [&](model::SockOpt o, const model::OptValue& v) {
    return call(h, [&](model::Host& host, std::vector<model::Segment>&) { return host.setsockopt(c.fd, o, v); });
  };
  for (model::SockOpt o : w.options) {
    auto s = set(o, std::int64_t{1});
    log_call(h, c.fd, fmt::format("setsockopt({}, 1)", model::name(o)), s);
    if (s.failed()) return client_failed(ci, "setsockopt", s);
  }
  std::optional<model::IpAddress> src;
  if (!w.source_addresses.empty()) src = w.source_addresses[static_cast<std::size_t>(c.index) % w.source_addresses.size()];
  auto bind_to = [&](std::uint16_t port) {
    model::IpAddress a = src.value_or(fam == model::Family::inet ? *model::IpAddress::parse("0.0.0.0")
                                                                 : *model::IpAddress::parse("::"));
    const model::Endpoint ep{a, port};
    auto b = call(h, [&](model::Host& host, std::vector<model::Segment>&) { return host.bind(c.fd, ep); });
    log_call(h, c.fd, "bind(" + ep.to_string() + ")", b);
    count_probes(c.workload, b);
    return b;
  };
  switch (w.source) {
    case SourcePort::ephemeral:
      if (src) {
        // A source address without a port choice: bind the address and let connect() pick.
        auto s = set(model::SockOpt::ip_bind_address_no_port, std::int64_t{1});
        if (s.failed()) return client_failed(ci, "setsockopt", s);
        auto b = bind_to(0);
        if (b.failed()) return client_failed(ci, "bind", b);
      }
      break;
    case SourcePort::fixed: {
      auto b = bind_to(static_cast<std::uint16_t>(w.fixed_port + c.index));
      if (b.failed()) return client_failed(ci, "bind", b);
      break;
    }
    case SourcePort::bind0: {
      auto b = bind_to(0);
      if (b.failed()) return client_failed(ci, "bind", b);
      break;
    }
    case SourcePort::bind_no_port: {
      auto s = set(model::SockOpt::ip_bind_address_no_port, std::int64_t{1});
      log_call(h, c.fd, "setsockopt(IP_BIND_ADDRESS_NO_PORT, 1)", s);
      if (s.failed()) return client_failed(ci, "setsockopt", s);
      auto b = bind_to(0);
      if (b.failed()) return client_failed(ci, "bind", b);
      break;
    }
    case SourcePort::range: {
      auto s = set(model::SockOpt::ip_local_port_range, w.range);
      log_call(h, c.fd, "setsockopt(IP_LOCAL_PORT_RANGE)", s);
      if (s.failed()) return client_failed(ci, "setsockopt", s);
      break;
    }
  }
  c.connect_at = world_->now();
  const model::Endpoint dst = server.endpoint;
  auto cr = call(h, [&](model::Host& host, std::vector<model::Segment>& out) {
    return host.connect(c.fd, dst, world_->now(), out);
  });
  log_call(h, c.fd, "connect(" + dst.to_string() + ")", cr);
  count_probes(c.workload, cr);
  if (cr.pending != model::Pending::none) {
    c.phase = Phase::connecting;
    pending_.push_back({Who::client, ci, cr.pending, cr, 0, false});
    return;
  }
  if (cr.failed()) return client_failed(ci, "connect", cr);
  on_done(pending_.emplace_back(PendingOp{Who::client, ci, model::Pending::connect, cr, 0, true}), cr);
}

void Engine::client_failed(std::size_t ci, const char* callname, const model::CallResult& r) {
  Client& c = clients_[ci];
  WorkloadReport& rep = wr(c.workload);
  const WorkloadState& ws = workloads_[c.workload];
  const model::Duration since = world_->now() - ws.begin;
  FailureKind k{"client", callname, r.err, r.rule ? std::string(r.rule->id) : "-"};
  auto& st = rep.failures_by_kind[k];
  if (st.count == 0) st.first_at = since;
  ++st.count;
  st.last_at = since;
  ++rep.failures;
  ++interval_.failures;
  if (!rep.first_failure) rep.first_failure = since;
  if (!c.outage) {
    c.outage = {k, world_->now()};
    ++st.outages;
  }
  if (c.fd >= 0) {
    const model::Fd fd = c.fd;
    auto r2 = call(ws.client_host, [&](model::Host& host, std::vector<model::Segment>& out) {
      return host.close(fd, world_->now(), out);
    });
    log_call(ws.client_host, fd, "close()", r2);
    c.fd = -1;
  }
  c.phase = Phase::idle;
  schedule_next(c, true);
}

void Engine::client_succeeded(std::size_t ci) {
  Client& c = clients_[ci];
  WorkloadReport& rep = wr(c.workload);
  ++rep.successes;
  ++interval_.successes;
  c.backoff = {};
  if (c.outage) {
    auto& st = rep.failures_by_kind[c.outage->first];
    st.longest_outage = std::max(st.longest_outage, world_->now() - c.outage->second);
    c.outage.reset();
  }
}

// The client's side of the end of a cycle, by close style.
void Engine::client_close(std::size_t ci) {
  Client& c = clients_[ci];
  const WorkloadState& ws = workloads_[c.workload];
  const std::size_t h = ws.client_host;
  const model::Fd fd = c.fd;
  auto set_linger0 = [&] {
    auto s = call(h, [&](model::Host& host, std::vector<model::Segment>&) {
      return host.setsockopt(fd, model::SockOpt::so_linger, model::Linger{true, 0});
    });
    log_call(h, fd, "setsockopt(SO_LINGER, {1, 0})", s);
  };
  switch (ws.w->close) {
    case CloseStyle::client_first:
    case CloseStyle::server_first:
      break;
    case CloseStyle::linger0:
      set_linger0();
      break;
    case CloseStyle::shutdown_linger0: {
      auto s = call(h, [&](model::Host& host, std::vector<model::Segment>& out) {
        return host.shutdown(fd, false, true, world_->now(), out);
      });
      log_call(h, fd, "shutdown(SHUT_WR)", s);
      set_linger0();
      break;
    }
  }
  auto r = call(h, [&](model::Host& host, std::vector<model::Segment>& out) { return host.close(fd, world_->now(), out); });
  log_call(h, fd, "close()", r);
  c.fd = -1;
  c.phase = Phase::idle;
  schedule_next(c, false);
}

void Engine::on_done(PendingOp& op, const model::CallResult& r) {
  op.done = true;
  if (op.who == Who::client) {
    const std::size_t ci = op.index;
    Client& c = clients_[ci];
    const std::size_t h = workloads_[c.workload].client_host;
    const model::Fd fd = c.fd;
    switch (c.phase) {
      case Phase::connecting: {
        log_call(h, fd, "connect() completes", r);
        if (r.failed()) return client_failed(ci, "connect", r);
        const model::Duration lat = world_->now() - c.connect_at;
        auto& ws = workloads_[c.workload];
        ws.latencies.push_back(lat);
        if (lat > kStall) ++wr(c.workload).stalls;
        auto s = call(h, [&](model::Host& host, std::vector<model::Segment>& out) {
          return host.send(fd, 1, world_->now(), out);
        });
        log_call(h, fd, "send(1)", s);
        if (s.failed()) return client_failed(ci, "send", s);
        c.phase = Phase::awaiting_reply;
        auto rr = call(h, [&](model::Host& host, std::vector<model::Segment>& out) {
          return host.recv(fd, 1, world_->now(), out);
        });
        if (rr.pending != model::Pending::none) {
          pending_.push_back({Who::client, ci, rr.pending, rr, 1, false});
          return;
        }
        return on_done(pending_.emplace_back(PendingOp{Who::client, ci, model::Pending::recv, rr, 1, true}), rr);
      }
      case Phase::awaiting_reply: {
        log_call(h, fd, "recv(1)", r);
        if (r.failed() || r.value == 0) {
          if (r.failed()) return client_failed(ci, "recv", r);
          return client_failed(ci, "recv", r);  // end of file before the reply: err stays ok, shown as EOF
        }
        client_succeeded(ci);
        if (workloads_[c.workload].w->close == CloseStyle::server_first) {
          c.phase = Phase::awaiting_eof;
          auto rr = call(h, [&](model::Host& host, std::vector<model::Segment>& out) {
            return host.recv(fd, 1, world_->now(), out);
          });
          if (rr.pending != model::Pending::none) {
            pending_.push_back({Who::client, ci, rr.pending, rr, 1, false});
            return;
          }
          return on_done(pending_.emplace_back(PendingOp{Who::client, ci, model::Pending::recv, rr, 1, true}), rr);
        }
        return client_close(ci);
      }
      case Phase::awaiting_eof:
        log_call(h, fd, "recv(1) (EOF)", r);
        return client_close(ci);
      case Phase::idle:
        return;
    }
    return;
  }
  if (op.who == Who::listener) {
    Listener& l = listeners_[op.index];
    if (!l.up) return;
    log_call(l.host, l.fd, "accept()", r);
    if (!r.failed()) {
      const auto fd = static_cast<model::Fd>(r.value);
      std::size_t si;
      if (!free_conns_.empty()) {
        si = free_conns_.back();
        free_conns_.pop_back();
        conns_[si] = {l.workload, l.host, fd, false};
      } else {
        si = conns_.size();
        conns_.push_back({l.workload, l.host, fd, false});
      }
      auto rr = call(l.host, [&](model::Host& host, std::vector<model::Segment>& out) {
        return host.recv(fd, 1, world_->now(), out);
      });
      if (rr.pending != model::Pending::none) {
        pending_.push_back({Who::server_conn, si, rr.pending, rr, 1, false});
      } else {
        on_done(pending_.emplace_back(PendingOp{Who::server_conn, si, model::Pending::recv, rr, 1, true}), rr);
      }
    }
    // Accept the next one.
    const std::size_t li = static_cast<std::size_t>(&l - listeners_.data());
    auto ar = call(l.host, [&](model::Host& host, std::vector<model::Segment>&) { return host.accept(listeners_[li].fd); });
    if (ar.pending != model::Pending::none) {
      pending_.push_back({Who::listener, li, ar.pending, ar, 0, false});
    } else if (!ar.failed()) {
      on_done(pending_.emplace_back(PendingOp{Who::listener, li, model::Pending::accept, ar, 0, true}), ar);
    }
    return;
  }
  // A server connection: the request arrived (reply, maybe close), or the client's FIN/RST did (close).
  const std::size_t si = op.index;
  ServerConn& sc = conns_[si];
  const std::size_t h = sc.host;
  const model::Fd fd = sc.fd;
  const CloseStyle style = workloads_[sc.workload].w->close;
  auto close_it = [&] {
    auto cr = call(h, [&](model::Host& host, std::vector<model::Segment>& out) { return host.close(fd, world_->now(), out); });
    log_call(h, fd, "close()", cr);
    free_conns_.push_back(si);
  };
  if (!sc.replied && !r.failed() && r.value > 0) {
    sc.replied = true;
    auto s = call(h, [&](model::Host& host, std::vector<model::Segment>& out) { return host.send(fd, 1, world_->now(), out); });
    log_call(h, fd, "send(1)", s);
    if (style == CloseStyle::server_first || s.failed()) return close_it();
    auto rr = call(h, [&](model::Host& host, std::vector<model::Segment>& out) { return host.recv(fd, 1, world_->now(), out); });
    if (rr.pending != model::Pending::none) {
      pending_.push_back({Who::server_conn, si, rr.pending, rr, 1, false});
      return;
    }
    return close_it();
  }
  close_it();
}

void Engine::drain_pending() {
  for (bool progress = true; progress;) {
    progress = false;
    for (std::size_t i = 0; i < pending_.size(); ++i) {
      if (pending_[i].done) continue;
      std::size_t h = 0;
      model::Fd fd = -1;
      switch (pending_[i].who) {
        case Who::client:
          h = workloads_[clients_[pending_[i].index].workload].client_host;
          fd = clients_[pending_[i].index].fd;
          break;
        case Who::server_conn:
          h = conns_[pending_[i].index].host;
          fd = conns_[pending_[i].index].fd;
          break;
        case Who::listener:
          h = listeners_[pending_[i].index].host;
          fd = listeners_[pending_[i].index].fd;
          break;
      }
      auto r = world_->poll(h, fd, pending_[i].what, pending_[i].first, pending_[i].bytes);
      if (!r) continue;
      if (r->pending != model::Pending::none) {
        pending_[i].first = *r;
        continue;
      }
      progress = true;
      PendingOp op = pending_[i];
      pending_[i].done = true;
      on_done(op, *r);
    }
    std::erase_if(pending_, [](const PendingOp& p) { return p.done; });
  }
}

void Engine::listener_up(std::size_t li) {
  Listener& l = listeners_[li];
  const WorkloadState& ws = workloads_[l.workload];
  const auto& s = ws.w->servers[l.server];
  const std::size_t h = l.host;
  auto fail = [&](const char* callname, const model::CallResult& r) {
    WorkloadReport& rep = wr(l.workload);
    FailureKind k{"server", callname, r.err, r.rule ? std::string(r.rule->id) : "-"};
    auto& st = rep.failures_by_kind[k];
    const model::Duration since = world_->now() - ws.begin;
    if (st.count == 0) st.first_at = since;
    ++st.count;
    st.last_at = since;
    if (!l.outage) {
      l.outage = {k, world_->now()};
      ++st.outages;
    }
    if (l.fd >= 0) {
      const model::Fd fd = l.fd;
      call(h, [&](model::Host& host, std::vector<model::Segment>& out) { return host.close(fd, world_->now(), out); });
      l.fd = -1;
    }
    // The server retries its bind every 100 ms, as a supervisor restarting it would.
    schedule(world_->now() + std::chrono::milliseconds(100), ActionKind::listener_up, li);
  };
  auto r = call(h, [&](model::Host& host, std::vector<model::Segment>&) {
    return host.socket(s.endpoint.addr.family(), false, 0);
  });
  log_call(h, -1, "socket()", r);
  if (r.failed()) return fail("socket", r);
  l.fd = static_cast<model::Fd>(r.value);
  for (model::SockOpt o : ws.w->server_options) {
    auto so = call(h, [&](model::Host& host, std::vector<model::Segment>&) { return host.setsockopt(l.fd, o, std::int64_t{1}); });
    log_call(h, l.fd, fmt::format("setsockopt({}, 1)", model::name(o)), so);
    if (so.failed()) return fail("setsockopt", so);
  }
  auto b = call(h, [&](model::Host& host, std::vector<model::Segment>&) { return host.bind(l.fd, s.endpoint); });
  log_call(h, l.fd, "bind(" + s.endpoint.to_string() + ")", b);
  if (b.failed()) return fail("bind", b);
  auto ls = call(h, [&](model::Host& host, std::vector<model::Segment>&) { return host.listen(l.fd, s.backlog); });
  log_call(h, l.fd, "listen()", ls);
  if (ls.failed()) return fail("listen", ls);
  l.up = true;
  if (l.outage) {
    auto& st = wr(l.workload).failures_by_kind[l.outage->first];
    st.longest_outage = std::max(st.longest_outage, world_->now() - l.outage->second);
    l.outage.reset();
  }
  auto ar = call(h, [&](model::Host& host, std::vector<model::Segment>&) { return host.accept(listeners_[li].fd); });
  if (ar.pending != model::Pending::none) pending_.push_back({Who::listener, li, ar.pending, ar, 0, false});
  if (ws.w->restart_every > model::Duration::zero() && world_->now() + ws.w->restart_every - ws.w->restart_down < ws.end) {
    const model::TimePoint since = ws.begin + ((world_->now() - ws.begin) / ws.w->restart_every + 1) * ws.w->restart_every;
    schedule(since - ws.w->restart_down, ActionKind::listener_down, li);
  }
}

void Engine::listener_down(std::size_t li) {
  Listener& l = listeners_[li];
  if (!l.up) return;
  l.up = false;
  ++wr(l.workload).server_restarts;
  for (auto& p : pending_)
    if (p.who == Who::listener && p.index == li) p.done = true;
  std::erase_if(pending_, [](const PendingOp& p) { return p.done; });
  const model::Fd fd = l.fd;
  auto r = call(l.host, [&](model::Host& host, std::vector<model::Segment>& out) { return host.close(fd, world_->now(), out); });
  log_call(l.host, fd, "close() (restart)", r);
  l.fd = -1;
  schedule(world_->now() + workloads_[l.workload].w->restart_down, ActionKind::listener_up, li);
}

void Engine::take_sample() {
  Sample s = interval_;
  s.at = world_->now().time_since_epoch();
  for (std::size_t h = 0; h < host_names_.size(); ++h) {
    const auto c = world_->host(h).census();
    HostSample hs;
    hs.time_wait = c.count(model::TcpState::time_wait);
    hs.fin_wait2 = c.count(model::TcpState::fin_wait_2);
    hs.established = c.count(model::TcpState::established);
    hs.ephemeral_in_use = c.ephemeral_in_use;
    hs.ephemeral_even = c.ephemeral_in_use_even;
    hs.ephemeral_odd = c.ephemeral_in_use_odd;
    s.hosts.push_back(hs);
    for (std::size_t w = 0; w < workloads_.size(); ++w) {
      const auto& ws = workloads_[w];
      const bool involved = h == ws.client_host ||
                            std::find(ws.server_hosts.begin(), ws.server_hosts.end(), h) != ws.server_hosts.end();
      if (!involved) continue;
      wr(w).time_wait_peak = std::max<std::uint64_t>(wr(w).time_wait_peak, hs.time_wait);
      wr(w).fin_wait2_peak = std::max<std::uint64_t>(wr(w).fin_wait2_peak, hs.fin_wait2);
      if (h == ws.client_host) wr(w).ephemeral_peak = std::max<std::uint64_t>(wr(w).ephemeral_peak, hs.ephemeral_in_use);
    }
  }
  report_.samples.push_back(std::move(s));
  interval_ = {};
}

void Engine::finish_outages() {
  for (auto& l : listeners_) {
    if (!l.outage) continue;
    auto& st = wr(l.workload).failures_by_kind[l.outage->first];
    const model::Duration open = world_->now() - l.outage->second;
    st.longest_outage = std::max(st.longest_outage, open);
    if (open > std::chrono::seconds(1)) st.open_at_end = true;
  }
  for (auto& c : clients_) {
    if (!c.outage) continue;
    auto& st = wr(c.workload).failures_by_kind[c.outage->first];
    const model::Duration open = world_->now() - c.outage->second;
    st.longest_outage = std::max(st.longest_outage, open);
    // An outage the end of the run cut short counts as blocking only once it outlasted a second.
    if (open > std::chrono::seconds(1)) st.open_at_end = true;
  }
}

void Engine::evaluate_expectations() {
  for (std::size_t w = 0; w < workloads_.size(); ++w) {
    WorkloadReport& rep = wr(w);
    for (const auto& e : workloads_[w].w->expects) {
      WorkloadReport::Expect x;
      x.line = e.loc.line;
      x.column = e.loc.column;
      x.text = e.text;
      if (!e.os.empty() && !script::applies_to(e.os, profile_->name)) {
        x.skipped = true;
        rep.expects.push_back(std::move(x));
        continue;
      }
      double actual = 0;
      bool have = true;
      const std::string& m = e.metric;
      if (m == "attempts") actual = static_cast<double>(rep.attempts);
      else if (m == "successes") actual = static_cast<double>(rep.successes);
      else if (m == "rate") actual = rep.achieved_rate;
      else if (m == "time_wait_peak") actual = static_cast<double>(rep.time_wait_peak);
      else if (m == "fin_wait2_peak") actual = static_cast<double>(rep.fin_wait2_peak);
      else if (m == "stalls") actual = static_cast<double>(rep.stalls);
      else if (m == "latency_p50") actual = static_cast<double>(rep.latency_p50.count());
      else if (m == "latency_p99") actual = static_cast<double>(rep.latency_p99.count());
      else if (m == "first_failure") {
        have = rep.first_failure.has_value();
        if (have) actual = static_cast<double>(rep.first_failure->count());
      } else if (m == "failures" || m == "blocked_for") {
        std::uint64_t n = 0;
        model::Duration longest{};
        for (const auto& [k, st] : rep.failures_by_kind) {
          if (k.side != "client") continue;
          if (e.call && k.call != script::name(*e.call)) continue;
          if (e.err && k.err != *e.err) continue;
          n += st.count;
          longest = std::max(longest, st.longest_outage);
        }
        actual = m == "failures" ? static_cast<double>(n) : static_cast<double>(longest.count());
      }
      if (!have) {
        x.ok = false;
        x.actual = "no failure at all";
      } else {
        x.ok = compare(actual, e.op, e.value);
        x.actual = e.is_duration ? seconds(model::Duration(static_cast<model::Duration::rep>(actual)))
                   : m == "rate" ? rate_text(actual)
                                 : fmt::format("{}", static_cast<std::uint64_t>(actual));
      }
      ++report_.checks;
      if (!x.ok) ++report_.failed_checks;
      rep.expects.push_back(std::move(x));
    }
  }
}

SimulateReport Engine::run() {
  report_.file = script_.file;
  report_.seed = options_.seed;
  report_.os = std::string(profile_->name);
  report_.hosts = host_names_;
  for (std::size_t h = 0; h < host_names_.size(); ++h)
    report_.ephemeral_range.push_back(world_->host(h).census().ephemeral_range);
  const model::Duration total = end_ - model::TimePoint{};
  report_.sample_interval = options_.sample_interval > model::Duration::zero()
                                ? options_.sample_interval
                                : std::max<model::Duration>(std::chrono::milliseconds(1), total / 200);
  // Listeners come up at each workload's start; clients start one arrival gap later, staggered.
  for (std::size_t w = 0; w < workloads_.size(); ++w) {
    const WorkloadState& ws = workloads_[w];
    WorkloadReport rep;
    rep.name = ws.w->name;
    rep.line = ws.w->loc.line;
    rep.strategy = fmt::format("source={} close={} clients={}", script::name(ws.w->source), script::name(ws.w->close),
                               ws.w->clients);
    rep.offered_rate_from = options_.rate.value_or(ws.w->rate_from);
    rep.offered_rate_to = options_.rate.value_or(ws.w->rate_to);
    rep.duration = ws.end - ws.begin;
    rep.capacity = closed_form_capacity(script_, *ws.w, *host_profiles_[ws.client_host]);
    report_.workloads.push_back(std::move(rep));
    for (std::size_t s = 0; s < ws.w->servers.size(); ++s) {
      listeners_.push_back({w, s, ws.server_hosts[s], -1, false, std::nullopt});
      schedule(ws.begin, ActionKind::listener_up, listeners_.size() - 1);
    }
  }
  for (std::size_t w = 0; w < workloads_.size(); ++w) {
    const WorkloadState& ws = workloads_[w];
    for (int i = 0; i < ws.w->clients; ++i) {
      Client c;
      c.workload = w;
      c.index = i;
      c.host = ws.client_host;
      const double per_client = offered_rate(ws, ws.begin) / ws.w->clients;
      const auto gap = model::Duration(static_cast<model::Duration::rep>(per_client > 0 ? 1e9 / per_client : 1e18));
      c.next_slot = ws.begin + std::chrono::milliseconds(1) + gap * i / ws.w->clients;
      clients_.push_back(c);
    }
  }
  for (std::size_t ci = 0; ci < clients_.size(); ++ci) {
    const auto& ws = workloads_[clients_[ci].workload];
    if (clients_[ci].next_slot < ws.end) schedule(clients_[ci].next_slot, ActionKind::client_start, ci);
  }
  schedule(model::TimePoint{} + report_.sample_interval, ActionKind::sample, 0);

  const auto wall_start = Clock::now();
  std::uint64_t steps = 0;
  for (;;) {
    const auto tw = world_->next_event_time();
    const std::optional<model::TimePoint> ta =
        actions_.empty() ? std::nullopt : std::optional<model::TimePoint>(actions_.top().at);
    if (!tw && !ta) break;
    const model::TimePoint t = !tw ? *ta : !ta ? *tw : std::min(*tw, *ta);
    if (t > end_) break;
    if (tw && *tw == t) {
      world_->advance_to(t);
    } else {
      world_->advance_to(t);
      while (!actions_.empty() && actions_.top().at == t) {
        const Action a = actions_.top();
        actions_.pop();
        switch (a.kind) {
          case ActionKind::client_start: start_cycle(a.index); break;
          case ActionKind::listener_up: listener_up(a.index); break;
          case ActionKind::listener_down: listener_down(a.index); break;
          case ActionKind::sample:
            take_sample();
            if (t + report_.sample_interval <= end_) schedule(t + report_.sample_interval, ActionKind::sample, 0);
            break;
        }
      }
    }
    drain_pending();
    drain_log();
    if (report_.stopped) break;
    if ((++steps & 0xff) == 0) {
      const double wall = std::chrono::duration<double>(Clock::now() - wall_start).count();
      if (wall > options_.max_wall_seconds) {
        report_.stopped = fmt::format("the run took more than {:.0f} s of wall time (--max-seconds) at virtual time {}",
                                      options_.max_wall_seconds, seconds(world_->now().time_since_epoch()));
        report_.stopped_by_wall_clock = true;
        break;
      }
      if (options_.progress && total > model::Duration::zero())
        options_.progress(std::chrono::duration<double>(world_->now().time_since_epoch()) /
                          std::chrono::duration<double>(total));
    }
  }
  if (!report_.stopped) world_->advance_to(end_);
  if (report_.samples.empty() || report_.samples.back().at != world_->now().time_since_epoch()) take_sample();
  drain_log();
  finish_outages();
  report_.duration = world_->now().time_since_epoch();
  report_.segments = world_->network_stats().segments;
  report_.events = world_->network_stats().events;
  report_.syn_lost = world_->network_stats().syn_lost;
  for (std::size_t w = 0; w < workloads_.size(); ++w) {
    WorkloadReport& rep = wr(w);
    const double secs = std::chrono::duration<double>(rep.duration).count();
    rep.achieved_rate = secs > 0 ? static_cast<double>(rep.successes) / secs : 0;
    auto& l = workloads_[w].latencies;
    rep.latency_p50 = percentile(l, 0.50);
    rep.latency_p90 = percentile(l, 0.90);
    rep.latency_p99 = percentile(l, 0.99);
    rep.latency_max = l.empty() ? model::Duration{} : *std::max_element(l.begin(), l.end());
  }
  evaluate_expectations();
  if (report_.stopped) {
    ++report_.checks;
    ++report_.failed_checks;
  }
  return std::move(report_);
}

}  // namespace

SimulateRun run_simulate(const Script& script, std::string_view source, const SimulateOptions& options) {
  Engine e(script, source, options);
  if (auto err = e.setup()) return {std::nullopt, std::move(err)};
  return {e.run(), std::nullopt};
}

}  // namespace portlab::sim
