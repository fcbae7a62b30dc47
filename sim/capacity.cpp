// The closed-form capacity of a reconnect workload: how many connections per second the port
// space sustains before TIME-WAIT (or a bind reservation) runs it dry. The figures come from the
// profile's own policy functions, probed with synthetic facts, so that a profile's rules and its
// capacity can never disagree: which ports connect() may share between destinations
// (connect_port_usable), when it may recycle a TIME-WAIT (the same, with a TIME-WAIT occupant of
// a given age), whether a bound connect() may take over a TIME-WAIT 4-tuple
// (bound_connect_decide), and how long TIME-WAIT lasts (time_wait_duration).
#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "model/host.h"
#include "model/linux_profile.h"
#include "model/profiles.h"
#include "sim/simulate.h"

namespace portlab::sim {

using script::CloseStyle;
using script::SourcePort;

namespace {

// The knobs of `host` after the script's sysctls (those for every OS, and those for this one).
model::Knobs knobs_after_sysctls(const script::Script& s, const std::string& host, const model::Profile& p) {
  model::Host h(p, model::HostConfig{});
  for (const auto& step : s.steps) {
    const auto* sc = std::get_if<script::SysctlStep>(&step.body);
    if (!sc || (sc->host && *sc->host != host)) continue;
    if (!sc->os.empty() && !script::applies_to(sc->os, p.name)) continue;
    h.sysctl(sc->name, sc->value);
  }
  return h.knobs();
}


// The youngest age at which `usable(age)` holds, to 1 ms, if it holds by `limit`.
template <class F>
std::optional<model::Duration> youngest(model::Duration limit, F usable) {
  if (!usable(limit)) return std::nullopt;
  if (usable(model::Duration::zero())) return model::Duration::zero();
  model::Duration lo{}, hi = limit;
  while (hi - lo > std::chrono::milliseconds(1)) {
    const model::Duration mid = lo + (hi - lo) / 2;
    (usable(mid) ? hi : lo) = mid;
  }
  return hi;
}

}  // namespace

CapacityEstimate closed_form_capacity(const script::Script& s, const script::Workload& w, const model::Profile& p) {
  CapacityEstimate c;
  const model::Knobs k = knobs_after_sysctls(s, w.client_host, p);
  const model::HostParams params = p.params(k);
  const model::Duration tw = p.time_wait_duration(k);
  const double tw_s = std::chrono::duration<double>(tw).count();
  const bool loopback = w.servers.front().endpoint.addr.is_loopback();
  const auto destinations = static_cast<double>(w.servers.size());
  const double sources = std::max<double>(1, static_cast<double>(w.source_addresses.size()));
  const bool reuseaddr = std::find(w.options.begin(), w.options.end(), model::SockOpt::so_reuseaddr) != w.options.end();

  if (w.close == CloseStyle::linger0 || w.close == CloseStyle::shutdown_linger0) {
    c.mechanism = "no TIME-WAIT (SO_LINGER {1, 0} resets): not limited by ports";
    c.basis.push_back(std::string(p.calls->close_linger0_rst->id));
    return c;
  }
  if (w.close == CloseStyle::server_first) {
    c.mechanism = "TIME-WAIT stays on the server, where a new SYN may reopen it: not limited by client ports";
    c.basis.push_back(std::string(p.calls->time_wait_syn_accepted->id));
    return c;
  }
  // The client holds TIME-WAIT for `tw` after each connection.
  const model::TimePoint t0 = model::TimePoint{} + std::chrono::hours(1);
  model::TupleOccupant tw_occupant;
  tw_occupant.kind = model::TupleOccupant::Kind::time_wait;
  tw_occupant.ts_recent_seen = params.timestamps != 0;
  tw_occupant.entered = t0;
  tw_occupant.ts_recent_stamp = t0;
  tw_occupant.loopback = loopback;

  if (w.source == SourcePort::fixed) {
    auto recycle = youngest(tw, [&](model::Duration age) {
      model::TupleOccupant o = tw_occupant;
      o.entered = t0 - age;
      o.ts_recent_stamp = t0 - age;
      return p.bound_connect_decide(k, o).ok();
    });
    const auto per_tuple = recycle && *recycle < tw ? *recycle : tw;
    if (recycle && *recycle == model::Duration::zero()) {
      c.mechanism = "a bound connect() takes over its own TIME-WAIT at once: not limited by ports";
      c.basis.push_back("bound_connect_decide(TIME-WAIT, age 0) = ok");
      return c;
    }
    const double per_tuple_s = std::chrono::duration<double>(per_tuple).count();
    c.rate = w.clients * destinations / per_tuple_s;
    c.mechanism = fmt::format("{} fixed port(s) x {} destination(s) / {} TIME-WAIT per 4-tuple", w.clients,
                              w.servers.size(), model::format_duration(per_tuple));
    c.basis.push_back(fmt::format("bound_connect_decide(TIME-WAIT) fails until age {}", model::format_duration(per_tuple)));
    if (!reuseaddr) c.basis.push_back("without SO_REUSEADDR the bind() itself may also fail while TIME-WAIT lives");
    return c;
  }

  const model::PortRange range = w.source == SourcePort::range ? w.range : params.ephemeral;
  const double ports = range.high >= range.low ? range.high - range.low + 1.0 : 0.0;

  if (w.source == SourcePort::bind0) {
    if (reuseaddr) {
      c.derived = false;
      c.mechanism = "bind(addr, 0) with SO_REUSEADDR may reuse TIME-WAIT ports; no closed form (see the simulation)";
      return c;
    }
    c.rate = ports * sources / tw_s;
    c.mechanism = fmt::format("{:.0f} ports reserved by bind(addr, 0) / {} TIME-WAIT (destinations do not help)", ports,
                              model::format_duration(tw));
    c.basis.push_back("bind(addr, 0) never shares a port that a TIME-WAIT holds without SO_REUSEADDR");
    return c;
  }

  // connect() picks the port: may it share a port another 4-tuple holds, and recycle a TIME-WAIT?
  model::ConnectPortFacts shared;
  shared.any_overlapping_owner = true;
  const bool per_destination = p.connect_port_usable(k, shared, t0).usable;
  auto recycle = youngest(tw, [&](model::Duration age) {
    model::ConnectPortFacts f;
    f.any_overlapping_owner = true;
    f.occupant = tw_occupant;
    f.occupant.entered = t0 - age;
    f.occupant.ts_recent_stamp = t0 - age;
    return p.connect_port_usable(k, f, t0).usable;
  });
  const model::Duration hold = recycle && *recycle < tw ? *recycle : tw;
  const double hold_s = std::chrono::duration<double>(hold).count();
  const double pools = (per_destination ? destinations : 1.0) * (w.source == SourcePort::bind_no_port ? sources : 1.0);
  if (hold == model::Duration::zero()) {
    c.mechanism = "connect() recycles TIME-WAIT at once: not limited by ports";
    return c;
  }
  c.rate = ports * pools / hold_s;
  c.mechanism = fmt::format("{:.0f} ports{} / {} {}", ports,
                            per_destination ? fmt::format(" x {} destination(s)", w.servers.size()) : std::string(),
                            model::format_duration(hold),
                            hold < tw ? "until connect() may recycle a TIME-WAIT" : "TIME-WAIT");
  c.basis.push_back(per_destination ? "connect() shares a port between 4-tuples (connect_port_usable)"
                                    : "connect() takes only a port nobody holds (connect_port_usable)");
  c.basis.push_back(hold < tw ? fmt::format("connect() recycles a TIME-WAIT aged {} or more", model::format_duration(hold))
                              : "connect() never recycles a TIME-WAIT");
  return c;
}

CapacitySearch search_capacity(const script::Script& s, std::string_view source, std::size_t workload,
                               const SimulateOptions& options) {
  CapacitySearch out;
  if (workload >= s.workloads.size()) {
    out.error = "no such workload";
    return out;
  }
  script::Script one = s;
  one.workloads = {s.workloads[workload]};
  const script::Workload& w = one.workloads.front();
  const model::Profile& p = options.profile ? *options.profile : model::linux_profile();
  const CapacityEstimate closed = closed_form_capacity(s, w, p);
  const model::Duration tw = p.time_wait_duration(knobs_after_sysctls(s, w.client_host, p));
  SimulateOptions o = options;
  o.events = nullptr;
  o.progress = nullptr;
  // Long enough for every port to go round TIME-WAIT twice.
  o.duration = std::max(options.duration.value_or(w.duration), 2 * tw + std::chrono::seconds(10));
  out.ceiling = std::min(200'000.0, std::max({closed.rate.value_or(0) * 2, w.rate_from * 2, w.rate_to * 2, 10.0}));
  auto sustainable = [&](double rate) -> std::optional<bool> {
    o.rate = rate;
    auto run = run_simulate(one, source, o);
    ++out.runs;
    if (!run.report) {
      out.error = run.error ? run.error->message : "simulation failed";
      return std::nullopt;
    }
    const auto& r = run.report->workloads.front();
    if (run.report->stopped) {
      out.error = *run.report->stopped;
      return std::nullopt;
    }
    return r.failures == 0 && r.achieved_rate >= 0.98 * rate;
  };
  auto top = sustainable(out.ceiling);
  if (!top) return out;
  out.resolution = out.ceiling / 1024;
  if (*top) return out;
  double lo = 0, hi = out.ceiling;
  while (hi - lo > out.resolution) {
    const double mid = (lo + hi) / 2;
    auto ok = sustainable(mid);
    if (!ok) return out;
    (*ok ? lo : hi) = mid;
  }
  out.rate = lo;
  return out;
}

}  // namespace portlab::sim
