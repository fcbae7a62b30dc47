// illumos (semantics.md §6): usr/src/uts/common/inet/tcp/tcp_bind.c (tcp_bindi,
// tcp_update_next_port, tcp_bind_check), 2013-era snapshot without SO_REUSEPORT; Oracle Solaris
// Tunable Parameters. connect() TIME-WAIT handling and close/linger were not read: assumed.
#include "model/illumos_profile.h"

#include <array>

#include "model/bsd_family.h"
#include "model/common_rules.h"

namespace portlab::model {

namespace illumos_rule {
using C = Confidence;
// clang-format off
const Rule bind_ok{"illumos.bind.ok", "illumos", "no endpoint of the same IP version conflicts", "0", "tcp_bindi (semantics.md §6)", C::code};
const Rule bind_other_version{"illumos.bind.other-ip-version", "illumos", "explicit binds: IPv4 and IPv6 endpoints live in disjoint port spaces (conn_ipversion differs)", "0", "tcp_bindi (semantics.md §6)", C::code};
const Rule bind_reuseaddr_ok{"illumos.bind.reuseaddr", "illumos", "N has SO_REUSEADDR: only an exactly equal address that is LISTEN or BOUND conflicts; connected, TIME-WAIT and wildcard-vs-specific never do (the existing socket's flag is irrelevant)", "0", "tcp_bindi (semantics.md §6)", C::code};
const Rule bind_conflict_no_reuse{"illumos.bind.conflict.no-reuseaddr", "illumos", "N without SO_REUSEADDR: an overlapping address (equal or either wildcard) in state BOUND or later (bound, listening, connected, TIME-WAIT)", "EADDRINUSE", "tcp_bindi (semantics.md §6)", C::code};
const Rule bind_conflict_reuseaddr{"illumos.bind.conflict.same-address-bound", "illumos", "N has SO_REUSEADDR but a LISTEN or BOUND endpoint has exactly the same address", "EADDRINUSE", "tcp_bindi (semantics.md §6)", C::code};
const Rule bind_conflict_exclbind{"illumos.bind.conflict.exclbind", "illumos", "either socket has TCP_EXCLBIND and the existing one is at most ESTABLISHED: conflict unless both addresses are specific and different", "EADDRINUSE", "tcp_bindi TCP_EXCLBIND (semantics.md §6)", C::code};
const Rule port0_ok{"illumos.bind.port0.ok", "illumos", "anonymous port: random start (tcp_random_anon_port=1) then sequential in tcp_smallest_anon_port..tcp_largest_anon_port", "0", "tcp_update_next_port (semantics.md §6)", C::code};
const Rule port0_exhausted{"illumos.bind.port0.exhausted", "illumos", "no anonymous port: tcp_bindi returns 0 (TNOADDR); the socket errno is taken to be EADDRNOTAVAIL", "EADDRNOTAVAIL", "tcp_bindi (semantics.md §6; errno mapping inferred)", C::inferred};
const Rule listen_ok{"illumos.listen.ok", "illumos", "assumed: listen() does not re-check conflicts (not read)", "0", "semantics.md §6: not read", C::assumed};
const Rule connect_bound_ok{"illumos.connect.bound.ok", "illumos", "assumed: connect() from a bound socket succeeds when no endpoint holds the exact 4-tuple (connect was not read)", "0", "semantics.md §6: not read", C::assumed};
const Rule connect_bound_in_use{"illumos.connect.bound.tuple-in-use", "illumos", "assumed: an endpoint (TIME-WAIT included) holds the exact 4-tuple: EADDRINUSE, as on the BSDs", "EADDRINUSE", "semantics.md §1: not established", C::assumed};
const Rule connect_autobind_ok{"illumos.connect.autobind.ok", "illumos", "assumed: connect() takes an unused anonymous port", "0", "semantics.md §6: not read", C::assumed};
const Rule connect_autobind_exhausted{"illumos.connect.autobind.exhausted", "illumos", "no anonymous port (TNOADDR, errno mapping inferred)", "EADDRNOTAVAIL", "tcp_bindi (semantics.md §6)", C::inferred};
const Rule time_wait_enter{"illumos.time-wait.enter", "illumos", "TIME-WAIT for tcp_time_wait_interval (60 s)", "TIME-WAIT", "Solaris Tunable Parameters (semantics.md §6)", C::doc};
const Rule time_wait_rst_kill{"illumos.time-wait.rst-kill", "illumos", "assumed: an RST ends TIME-WAIT (RFC 9293; not read)", "CLOSED", "semantics.md §6: not read", C::assumed};
const Rule time_wait_syn_accepted{"illumos.time-wait.syn-accepted", "illumos", "assumed: a SYN with a higher sequence number reopens TIME-WAIT (RFC 1122)", "SYN-RECEIVED", "semantics.md §6: not read", C::assumed};
const Rule close_linger0_rst{"illumos.close.linger0-rst", "illumos", "assumed: SO_LINGER {1, 0} resets the connection (not read)", "0", "semantics.md §1: not read", C::assumed};
const Rule close_linger_wait{"illumos.close.linger-wait", "illumos", "assumed: SO_LINGER {1, N} waits up to N s (not read)", "0", "semantics.md §1: not read", C::assumed};
const Rule close_already_closed{"illumos.close.already-closed", "illumos", "assumed: closing a socket whose connection already ended sends nothing and leaves TIME-WAIT in place (close was not read)", "0", "semantics.md §6: not read", C::assumed};
const Rule fin_wait_2_orphan{"illumos.fin-wait-2.orphan", "illumos", "assumed: an orphaned FIN-WAIT-2 is dropped after tcp_fin_wait_2_flush_interval (675 s)", "FIN-WAIT-2", "not in semantics.md", C::assumed};
// clang-format on
}  // namespace illumos_rule

namespace {

using namespace illumos_rule;

namespace knob {
constexpr std::size_t smallest_anon = 0, largest_anon = 1, time_wait = 2, smallest_nonpriv = 3, tstamp = 4,
                      fin_wait_2_flush = 5;
}

// clang-format off
constexpr std::array<KnobSpec, 6> kKnobs{{
    {"tcp_smallest_anon_port", KnobKind::integer, 1024, 65535, "32768", "first anonymous port", "tcp_bind.c comment (semantics.md §6)"},
    {"tcp_largest_anon_port", KnobKind::integer, 1024, 65535, "65535", "last anonymous port", "tcp_bind.c comment (semantics.md §6)"},
    {"tcp_time_wait_interval", KnobKind::integer, 1000, 600000, "60000", "TIME-WAIT in ms", "Solaris Tunable Parameters (semantics.md §6)"},
    {"tcp_smallest_nonpriv_port", KnobKind::integer, 1024, 32768, "1024", "ports below need privilege", "Solaris Tunable Parameters"},
    {"tcp_tstamp_if_wscale", KnobKind::integer, 0, 1, "1", "timestamps when the peer offers them (modelled as on)", "Solaris Tunable Parameters (assumed)"},
    {"tcp_fin_wait_2_flush_interval", KnobKind::integer, 1000, 2000000, "675000", "ms an orphaned FIN-WAIT-2 lives (assumed)", "Solaris Tunable Parameters"},
}};
// clang-format on

bool is_v4(const BindOwnerView& v) { return v.family == Family::inet || v.addr.is_v4_mapped(); }

IpAddress plain(const BindOwnerView& v) {
  if (auto a = v.addr.unmapped_v4()) return *a;
  return v.addr;
}

Decision bind_decide(const Knobs&, const BindOwnerView& n, std::span<const BindOwnerView> owners, BindMode mode) {
  const bool probe = mode == BindMode::ephemeral_strict || mode == BindMode::ephemeral_relaxed;
  const Rule* decided = &bind_ok;
  const IpAddress na = plain(n);
  for (const auto& e : owners) {
    const IpAddress ea = plain(e);
    if (!probe && is_v4(n) != is_v4(e)) {  // anonymous ports share one space, explicit ones do not
      decided = &bind_other_version;
      continue;
    }
    const bool same = na == ea;
    const bool overlap = same || na.is_wildcard() || ea.is_wildcard();
    if (probe) {
      if (overlap) return {Errno::eaddrinuse, &bind_conflict_no_reuse};
      continue;
    }
    if ((n.exclbind || e.exclbind) && !e.past_established) {  // existing endpoint at most ESTABLISHED
      const bool both_specific_different = !na.is_wildcard() && !ea.is_wildcard() && !same;
      if (!both_specific_different) return {Errno::eaddrinuse, &bind_conflict_exclbind};
    }
    if (!n.reuseaddr) {
      if (overlap) return {Errno::eaddrinuse, &bind_conflict_no_reuse};
      continue;
    }
    if (same && !e.connected && !e.time_wait) return {Errno::eaddrinuse, &bind_conflict_reuseaddr};
    if (overlap) decided = &bind_reuseaddr_ok;
  }
  return {Errno::ok, decided};
}

HostParams params(const Knobs& k) {
  HostParams p;
  auto lo = static_cast<std::uint16_t>(k.integer(knob::smallest_anon));
  auto hi = static_cast<std::uint16_t>(k.integer(knob::largest_anon));
  p.ephemeral = lo <= hi ? PortRange{lo, hi} : PortRange{hi, lo};
  p.timestamps = k.integer(knob::tstamp) ? 1 : 0;
  p.v6only_default = false;
  p.privileged_below = static_cast<int>(k.integer(knob::smallest_nonpriv));
  p.rst_kills_time_wait = true;
  p.time_wait_syn_by_timestamp = false;
  return p;
}

Decision bound_connect_decide(const Knobs&, const TupleOccupant& o) {
  if (o.kind == TupleOccupant::Kind::none) return {Errno::ok, &connect_bound_ok};
  return {Errno::eaddrinuse, &connect_bound_in_use};
}

PortChoice pick_bind_port(const Knobs&, PortRange r, bool, std::uint32_t& last, Rng& rng,
                          const std::function<bool(std::uint16_t, bool)>& usable) {
  return bsd::sequential_scan(r, true, last, rng, [&](std::uint16_t p) { return usable(p, false); }, &port0_ok,
                              &port0_exhausted);
}

PortChoice pick_connect_port(const Knobs&, const ConnectScanInput& in, std::uint32_t&, std::uint32_t& last_port,
                             Rng& rng, const std::function<bool(std::uint16_t)>& usable) {
  return bsd::sequential_scan(in.range, true, last_port, rng, usable, &connect_autobind_ok,
                              &connect_autobind_exhausted);
}

Duration time_wait_duration(const Knobs& k) { return std::chrono::milliseconds(k.integer(knob::time_wait)); }

std::optional<Duration> orphan_fin_wait_2_timeout(const Knobs& k, std::optional<std::int64_t>) {
  return std::chrono::milliseconds(k.integer(knob::fin_wait_2_flush));
}

LingerAction close_linger(const Knobs&, const Linger& l, bool, bool, bool) {
  if (!l.on) return {};
  if (l.seconds == 0) return {LingerAction::Kind::abort, {}, false, Errno::ok, &close_linger0_rst};
  return {LingerAction::Kind::wait, std::chrono::seconds(l.seconds < 0 ? 0 : l.seconds), false, Errno::ok,
          &close_linger_wait};
}

bool supports_option(SockOpt o) {
  switch (o) {
    case SockOpt::so_reuseaddr:
    case SockOpt::tcp_exclbind:
    case SockOpt::so_linger:
    case SockOpt::so_rcvbuf:
    case SockOpt::so_sndbuf:
    case SockOpt::ipv6_v6only:
      return true;
    default:  // SO_REUSEPORT is not in the snapshot read (semantics.md §6)
      return false;
  }
}

constexpr CallRules calls() {
  CallRules c = common_call_rules();
  c.listen_ok = &illumos_rule::listen_ok;
  c.connect_autobind_exhausted = &illumos_rule::connect_autobind_exhausted;
  c.close_linger0_rst = &illumos_rule::close_linger0_rst;
  c.close_linger_wait = &illumos_rule::close_linger_wait;
  c.time_wait_enter = &illumos_rule::time_wait_enter;
  c.time_wait_rst_kill = &illumos_rule::time_wait_rst_kill;
  c.time_wait_syn_accepted = &illumos_rule::time_wait_syn_accepted;
  c.fin_wait_2_orphan = &illumos_rule::fin_wait_2_orphan;
  c.close_already_closed = &illumos_rule::close_already_closed;
  return c;
}
constexpr CallRules kCalls = calls();

constexpr std::array<const Rule*, 20> kRules{&illumos_rule::close_already_closed, 
    &bind_ok, &bind_other_version, &bind_reuseaddr_ok, &bind_conflict_no_reuse, &bind_conflict_reuseaddr,
    &bind_conflict_exclbind, &port0_ok, &port0_exhausted, &illumos_rule::listen_ok, &connect_bound_ok,
    &connect_bound_in_use, &connect_autobind_ok, &illumos_rule::connect_autobind_exhausted,
    &illumos_rule::time_wait_enter, &illumos_rule::time_wait_rst_kill, &illumos_rule::time_wait_syn_accepted,
    &illumos_rule::close_linger0_rst, &illumos_rule::close_linger_wait, &illumos_rule::fin_wait_2_orphan};

}  // namespace

const Profile& illumos_profile() {
  static const Profile p{
      .name = "illumos",
      .description = "illumos tcp_bind.c, 2013-era snapshot without SO_REUSEPORT (semantics.md §6)",
      .variant_of = "",
      .knobs = kKnobs,
      .rules = kRules,
      .calls = &kCalls,
      .params = params,
      .bind_decide = bind_decide,
      .listen_rechecks = false,
      .connect_precheck = nullptr,
      .bound_connect_decide = bound_connect_decide,
      .connect_port_usable = connect_needs_unused_port,
      .pick_bind_port = pick_bind_port,
      .pick_connect_port = pick_connect_port,
      .time_wait_duration = time_wait_duration,
      .orphan_fin_wait_2_timeout = orphan_fin_wait_2_timeout,
      .close_linger = close_linger,
      .supports_option = supports_option,
      .map_errno = same_errno,
  };
  return p;
}

}  // namespace portlab::model
