// FreeBSD 14 (semantics.md §3): in_pcb.c (in_pcbbind_setup, in_pcblookup_local,
// in_pcb_lport_dest, in_pcbconnect_setup), tcp_timewait.c, uipc_socket.c soclose.
#include "model/freebsd_profile.h"

#include <array>

#include "model/bsd_family.h"
#include "model/common_rules.h"

namespace portlab::model {

namespace freebsd_rule {
using C = Confidence;
// clang-format off
const Rule bind_ok{"freebsd.bind.ok", "freebsd", "the lookup N's options choose finds no PCB on the port", "0", "in_pcbbind_setup (semantics.md §3.1)", C::code};
const Rule bind_exact_lookup_ok{"freebsd.bind.exact-lookup", "freebsd", "N has SO_REUSEADDR/SO_REUSEPORT: the EXACT lookup sees only unconnected PCBs with the very same address, so wildcard-vs-specific, connected and TIME-WAIT PCBs do not block", "0", "in_pcbbind_setup lookupflags; in_pcblookup_local EXACT (semantics.md §3.1 table)", C::inferred};
const Rule bind_shared_reuseport{"freebsd.bind.shared.reuseport", "freebsd", "exact duplicate, both SO_REUSEPORT", "0", "in_pcbbind_setup reuseport & t->so_options (semantics.md §3.1)", C::code};
const Rule bind_shared_reuseport_lb{"freebsd.bind.shared.reuseport-lb", "freebsd", "exact duplicate, both SO_REUSEPORT_LB (joins the load-balancing group)", "0", "in_pcbbind_setup reuseport_lb (semantics.md §3.1)", C::code};
const Rule bind_conflict_wildcard{"freebsd.bind.conflict.no-reuse-option", "freebsd", "N has no reuse option: any PCB with an overlapping address (bound, listening, connected or TIME-WAIT) blocks it", "EADDRINUSE", "in_pcblookup_local WILDCARD (semantics.md §3.1 table)", C::inferred};
const Rule bind_conflict_exact{"freebsd.bind.conflict.exact-duplicate", "freebsd", "an unconnected PCB with the same address and port, not sharing SO_REUSEPORT/SO_REUSEPORT_LB", "EADDRINUSE", "in_pcbbind_setup (semantics.md §3.1)", C::code};
const Rule bind_conflict_uid{"freebsd.bind.conflict.other-uid", "freebsd", "non-root owner: the best-fit unconnected PCB on the port belongs to another uid", "EADDRINUSE", "in_pcbbind_setup cross-user guard (semantics.md §3.1 (a))", C::code};
const Rule bind_conflict_v4_side{"freebsd.bind.conflict.dual-stack-v4", "freebsd", "dual-stack [::] bind: an IPv4 PCB with a specific address holds the port", "EADDRINUSE", "in6_pcbbind (not read; semantics.md §3.1 IPv6 paragraph, inferred from XNU)", C::inferred};
const Rule bind_eacces_privileged{"freebsd.bind.eacces.reserved-port", "freebsd", "port within reservedlow..reservedhigh (0..1023) without PRIV_NETINET_RESERVEDPORT (modelled as uid 0)", "EACCES", "in_pcbbind_setup (semantics.md §3.1)", C::code};
const Rule bind_einval_already_bound{"freebsd.bind.einval.already-bound", "freebsd", "inp_lport != 0 or inp_laddr != ANY", "EINVAL", "in_pcbbind (semantics.md §3.1)", C::code};
const Rule bind_eaddrnotavail{"freebsd.bind.eaddrnotavail.not-local", "freebsd", "non-local address without IP_BINDANY", "EADDRNOTAVAIL", "in_pcbbind_setup (semantics.md §3.1)", C::code};
const Rule port0_ok{"freebsd.bind.port0.ok", "freebsd", "bind(addr, 0): random start in portrange.first..last, then sequential", "0", "in_pcb_lport_dest (semantics.md §3.3)", C::code};
const Rule port0_exhausted{"freebsd.bind.port0.exhausted", "freebsd", "no free port in portrange.first..last", "EADDRNOTAVAIL", "in_pcb_lport_dest (semantics.md §3.3)", C::code};
const Rule listen_ok{"freebsd.listen.ok", "freebsd", "listen() does not re-check conflicts", "0", "tcp_usr_listen (semantics.md §3.1: read for XNU, FreeBSD structure identical)", C::inferred};
const Rule connect_bound_ok{"freebsd.connect.bound.ok", "freebsd", "no PCB on the exact 4-tuple", "0", "in_pcbconnect_setup (semantics.md §3.2)", C::code};
const Rule connect_bound_in_use{"freebsd.connect.bound.tuple-in-use", "freebsd", "a PCB holds the exact 4-tuple, TIME-WAIT included (no TIME-WAIT recycling on the active side)", "EADDRINUSE", "in_pcbconnect_setup in_pcblookup_hash_locked (semantics.md §3.2)", C::code};
const Rule connect_autobind_ok{"freebsd.connect.autobind.ok", "freebsd", "connect(): random start then sequential; a port is usable if the 4-tuple is free and no bound/listening PCB holds (laddr, port): ephemeral ports are shared across destinations", "0", "in_pcb_lport_dest with fsa (semantics.md §3.2, 13.0+ inferred)", C::code};
const Rule connect_autobind_exhausted{"freebsd.connect.autobind.exhausted", "freebsd", "connect() found no usable port", "EADDRNOTAVAIL", "in_pcb_lport_dest (semantics.md §3.3)", C::code};
const Rule time_wait_enter{"freebsd.time-wait.enter", "freebsd", "TIME-WAIT for 2 x net.inet.tcp.msl (60 s)", "TIME-WAIT", "tcp_twstart (semantics.md §3.4)", C::code};
const Rule time_wait_nolocal{"freebsd.time-wait.nolocaltimewait", "freebsd", "net.inet.tcp.nolocaltimewait (default 1 in 14): no TIME-WAIT when the peer is this host", "CLOSED", "tcp_twstart (semantics.md §3.4)", C::code};
const Rule time_wait_syn_accepted{"freebsd.time-wait.syn-accepted", "freebsd", "a SYN with seq > rcv_nxt closes the TIME-WAIT and reaches the listener (no timestamp test; RST in TIME-WAIT is dropped)", "SYN-RECEIVED", "tcp_twcheck (semantics.md §3.4)", C::code};
const Rule close_linger0_rst{"freebsd.close.linger0-rst", "freebsd", "SO_LINGER {1, 0}: tcp_drop, RST, no TIME-WAIT", "0", "tcp_disconnect (semantics.md §3.5)", C::inferred};
const Rule close_linger_wait{"freebsd.close.linger-wait", "freebsd", "SO_LINGER {1, N}: a blocking close() sleeps up to N s while connected", "0", "soclose (semantics.md §3.5)", C::code};
const Rule close_linger_nowait{"freebsd.close.linger-nonblocking", "freebsd", "SO_LINGER {1, N} on a non-blocking socket that is disconnecting: no wait", "0", "soclose (semantics.md §3.5)", C::code};
const Rule close_linger_expiry{"freebsd.close.linger-expiry-returns-0", "freebsd", "assumed: when the linger sleep times out, close(2) returns 0 (soclose returns EWOULDBLOCK; whether close(2) surfaces it was not checked)", "0", "semantics.md §3.5: not established", C::assumed};
const Rule connect_einval_listening{"freebsd.connect.einval.listening", "freebsd", "connect() on a listening socket", "EINVAL", "tcp_usr_connect (semantics.md §3.2)", C::code};
const Rule connect_port_zero{"freebsd.connect.eaddrnotavail.port-zero", "freebsd", "connect() to foreign port 0", "EADDRNOTAVAIL", "in_pcbconnect_setup (semantics.md §3.2)", C::code};
const Rule connect_broadcast{"freebsd.connect.eacces.broadcast", "freebsd", "connect() to INADDR_BROADCAST", "EACCES", "tcp_usr_connect (semantics.md §3.2)", C::code};
const Rule fin_wait_2_orphan{"freebsd.fin-wait-2.orphan", "freebsd", "assumed: an orphaned FIN-WAIT-2 is dropped after net.inet.tcp.finwait2_timeout (60 s)", "FIN-WAIT-2", "not in semantics.md", C::assumed};
// clang-format on
}  // namespace freebsd_rule

namespace {

using namespace freebsd_rule;

namespace knob {
constexpr std::size_t first = 0, last = 1, msl = 2, nolocaltimewait = 3, rfc1323 = 4, v6only = 5, reservedhigh = 6,
                      finwait2_timeout = 7, randomized = 8, syn_retries = 9;
}

// clang-format off
constexpr std::array<KnobSpec, 10> kKnobs{{
    {"net.inet.ip.portrange.first", KnobKind::integer, 1, 65535, "10000", "first ephemeral port (IPPORT_EPHEMERALFIRST)", "in_pcb.c (semantics.md §3.3)"},
    {"net.inet.ip.portrange.last", KnobKind::integer, 1, 65535, "65535", "last ephemeral port (IPPORT_EPHEMERALLAST)", "in_pcb.c (semantics.md §3.3)"},
    {"net.inet.tcp.msl", KnobKind::integer, 1, 600000, "30000", "MSL in ms; TIME-WAIT lasts 2 x msl", "tcp_timer.c (semantics.md §3.4)"},
    {"net.inet.tcp.nolocaltimewait", KnobKind::integer, 0, 1, "1", "no TIME-WAIT towards this host's own addresses", "tcp_timewait.c (semantics.md §3.4; default 1 in 14.x)"},
    {"net.inet.tcp.rfc1323", KnobKind::integer, 0, 1, "1", "RFC 7323 timestamps and window scaling", "tcp_subr.c (default on)"},
    {"net.inet6.ip6.v6only", KnobKind::integer, 0, 1, "1", "default of IPV6_V6ONLY", "in_pcballoc (semantics.md §3.1)"},
    {"net.inet.ip.portrange.reservedhigh", KnobKind::integer, 0, 65535, "1023", "ports 0..reservedhigh need privilege", "in_pcbbind_setup (semantics.md §3.3)"},
    {"net.inet.tcp.finwait2_timeout", KnobKind::integer, 0, 3600000, "60000", "ms an orphaned FIN-WAIT-2 lives (assumed default)", "tcp_timer.c (not in semantics.md)"},
    {"net.inet.ip.portrange.randomized", KnobKind::integer, 0, 1, "1", "random start of the ephemeral search", "in_pcb_lport_dest (semantics.md §3.3)"},
    {"net.inet.tcp.syn_retries", KnobKind::integer, 1, 127, "6", "assumed: SYN retransmissions before ETIMEDOUT (FreeBSD uses TCP_MAXRXTSHIFT; modelled like Linux)", "not in semantics.md"},
}};
// clang-format on

const bsd::BsdFlavor kFlavor{
    .has_reuseport_lb = true,
    .guard_needs_unconnected = true,
    .bind_ok = &bind_ok,
    .bind_exact_lookup_ok = &bind_exact_lookup_ok,
    .bind_shared_reuseport = &bind_shared_reuseport,
    .bind_shared_reuseport_lb = &bind_shared_reuseport_lb,
    .bind_conflict_wildcard = &bind_conflict_wildcard,
    .bind_conflict_exact = &bind_conflict_exact,
    .bind_conflict_uid = &bind_conflict_uid,
    .bind_conflict_v4_side = &bind_conflict_v4_side,
    .connect_bound_ok = &connect_bound_ok,
    .connect_bound_in_use = &connect_bound_in_use,
    .port0_ok = &port0_ok,
    .port0_exhausted = &port0_exhausted,
    .connect_autobind_ok = &connect_autobind_ok,
};

PortRange range(const Knobs& k) {
  auto lo = static_cast<std::uint16_t>(k.integer(knob::first));
  auto hi = static_cast<std::uint16_t>(k.integer(knob::last));
  return lo <= hi ? PortRange{lo, hi} : PortRange{hi, lo};
}

HostParams params(const Knobs& k) {
  HostParams p;
  p.ephemeral = range(k);
  p.timestamps = k.integer(knob::rfc1323) ? 1 : 0;
  p.v6only_default = k.integer(knob::v6only) != 0;
  p.privileged_below = static_cast<int>(k.integer(knob::reservedhigh)) + 1;
  p.nonlocal_bind = false;
  p.syn_retries = static_cast<int>(k.integer(knob::syn_retries));
  p.rst_kills_time_wait = false;          // tcp_twcheck: any RST is dropped (RFC 1337)
  p.time_wait_syn_by_timestamp = false;   // only seq > rcv_nxt
  p.time_wait_for_local_peer = k.integer(knob::nolocaltimewait) == 0;
  return p;
}

Decision bind_decide(const Knobs&, const BindOwnerView& n, std::span<const BindOwnerView> owners, BindMode mode) {
  return bsd::bind_decide(kFlavor, n, owners, mode);
}

Decision bound_connect_decide(const Knobs&, const TupleOccupant& o) { return bsd::bound_connect_decide(kFlavor, o); }

Decision connect_precheck(const Knobs&, const ConnectRequest& q) {
  if (q.listening) return {Errno::einval, &connect_einval_listening};
  if (q.broadcast) return {Errno::eacces, &connect_broadcast};
  if (q.port_zero) return {Errno::eaddrnotavail, &connect_port_zero};
  return {};
}

// in_pcb_lport_dest with a foreign address: the exact 4-tuple must be free, and no bound or
// listening PCB may hold (laddr, lport); connected PCBs to other destinations do not matter.
ConnectPortVerdict connect_port_usable(const Knobs&, const ConnectPortFacts& f, TimePoint) {
  return {f.occupant.kind == TupleOccupant::Kind::none && !f.unconnected_overlapping_owner, false, std::nullopt};
}

PortChoice pick_bind_port(const Knobs& k, PortRange r, bool, std::uint32_t& last, Rng& rng,
                          const std::function<bool(std::uint16_t, bool)>& usable) {
  return bsd::sequential_scan(r, k.integer(knob::randomized) != 0, last, rng,
                              [&](std::uint16_t p) { return usable(p, false); }, &port0_ok, &port0_exhausted);
}

PortChoice pick_connect_port(const Knobs& k, const ConnectScanInput& in, std::uint32_t&, std::uint32_t& last_port,
                             Rng& rng, const std::function<bool(std::uint16_t)>& usable) {
  return bsd::sequential_scan(in.range, k.integer(knob::randomized) != 0, last_port, rng, usable,
                              &connect_autobind_ok, &connect_autobind_exhausted);
}

Duration time_wait_duration(const Knobs& k) { return std::chrono::milliseconds(2 * k.integer(knob::msl)); }

std::optional<Duration> orphan_fin_wait_2_timeout(const Knobs& k, std::optional<std::int64_t>) {
  return std::chrono::milliseconds(k.integer(knob::finwait2_timeout));
}

LingerAction close_linger(const Knobs&, const Linger& l, bool, bool nonblock, bool) {
  if (!l.on) return {};
  if (l.seconds == 0) return {LingerAction::Kind::abort, {}, false, Errno::ok, &close_linger0_rst};
  // soclose: SO_LINGER and SS_NBIO and already disconnecting -> do not wait.
  if (nonblock) return {LingerAction::Kind::graceful, {}, false, Errno::ok, &close_linger_nowait};
  return {LingerAction::Kind::wait, std::chrono::seconds(l.seconds < 0 ? 0 : l.seconds), false, Errno::ok,
          &close_linger_expiry};
}

bool supports_option(SockOpt o) {
  switch (o) {
    case SockOpt::so_reuseaddr:
    case SockOpt::so_reuseport:
    case SockOpt::so_reuseport_lb:
    case SockOpt::so_linger:
    case SockOpt::so_rcvbuf:
    case SockOpt::so_sndbuf:
    case SockOpt::ipv6_v6only:
      return true;
    default:  // SO_BINDTODEVICE, TCP_LINGER2, IP_BIND_ADDRESS_NO_PORT, ... are not FreeBSD options
      return false;
  }
}

constexpr CallRules calls() {
  CallRules c = common_call_rules();
  c.bind_eaddrnotavail_not_local = &bind_eaddrnotavail;
  c.bind_eacces_privileged = &freebsd_rule::bind_eacces_privileged;
  c.bind_einval_already_bound = &freebsd_rule::bind_einval_already_bound;
  c.listen_ok = &freebsd_rule::listen_ok;
  c.connect_autobind_exhausted = &freebsd_rule::connect_autobind_exhausted;
  c.close_linger0_rst = &freebsd_rule::close_linger0_rst;
  c.close_linger_wait = &freebsd_rule::close_linger_wait;
  c.time_wait_enter = &freebsd_rule::time_wait_enter;
  c.time_wait_overflow = &time_wait_nolocal;
  c.time_wait_syn_accepted = &freebsd_rule::time_wait_syn_accepted;
  c.fin_wait_2_orphan = &freebsd_rule::fin_wait_2_orphan;
  return c;
}
constexpr CallRules kCalls = calls();

constexpr std::array<const Rule*, 29> kRules{&connect_einval_listening, &connect_port_zero, &connect_broadcast,
    &bind_ok, &bind_exact_lookup_ok, &bind_shared_reuseport, &bind_shared_reuseport_lb, &bind_conflict_wildcard,
    &bind_conflict_exact, &bind_conflict_uid, &bind_conflict_v4_side, &freebsd_rule::bind_eacces_privileged,
    &freebsd_rule::bind_einval_already_bound, &bind_eaddrnotavail, &port0_ok, &port0_exhausted,
    &freebsd_rule::listen_ok, &connect_bound_ok, &connect_bound_in_use, &connect_autobind_ok,
    &freebsd_rule::connect_autobind_exhausted, &freebsd_rule::time_wait_enter, &time_wait_nolocal,
    &freebsd_rule::time_wait_syn_accepted, &freebsd_rule::close_linger0_rst, &freebsd_rule::close_linger_wait,
    &close_linger_nowait, &close_linger_expiry, &freebsd_rule::fin_wait_2_orphan};

}  // namespace

const Profile& freebsd_profile() {
  static const Profile p{
      .name = "freebsd",
      .description = "FreeBSD 14.x (main before the in_pcbbind_avail rewrite), semantics.md §3",
      .variant_of = "",
      .knobs = kKnobs,
      .rules = kRules,
      .calls = &kCalls,
      .params = params,
      .bind_decide = bind_decide,
      .listen_rechecks = false,
      .connect_precheck = connect_precheck,
      .bound_connect_decide = bound_connect_decide,
      .connect_port_usable = connect_port_usable,
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
