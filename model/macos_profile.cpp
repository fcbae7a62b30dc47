// macOS / XNU (xnu-11417.101.15, semantics.md §4): bsd/netinet/in_pcb.c (in_pcbbind,
// in_pcblookup_local, in_pcbconnect), in6_pcb.c, tcp_usrreq.c, tcp_timer.h, uipc_socket.c.
#include "model/macos_profile.h"

#include <array>

#include "model/bsd_family.h"
#include "model/common_rules.h"

namespace portlab::model {

namespace macos_rule {
using C = Confidence;
// clang-format off
const Rule bind_ok{"macos.bind.ok", "macos", "the lookup N's options choose finds no PCB on the port", "0", "in_pcbbind (semantics.md §4.1)", C::code};
const Rule bind_exact_lookup_ok{"macos.bind.exact-lookup", "macos", "N has SO_REUSEADDR/SO_REUSEPORT: the EXACT lookup sees only unconnected PCBs with the very same address; wildcard-vs-specific, connected and TIME-WAIT PCBs do not block", "0", "in_pcbbind wild = !(SO_REUSEADDR||SO_REUSEPORT) (semantics.md §4.1)", C::code};
const Rule bind_shared_reuseport{"macos.bind.shared.reuseport", "macos", "exact duplicate, both SO_REUSEPORT", "0", "in_pcbbind (semantics.md §4.1)", C::code};
const Rule bind_conflict_wildcard{"macos.bind.conflict.no-reuse-option", "macos", "N has no reuse option: any PCB with an overlapping address (bound, listening, connected or TIME-WAIT) blocks it", "EADDRINUSE", "in_pcblookup_local_and_cleanup WILDCARD (semantics.md §4.1)", C::code};
const Rule bind_conflict_exact{"macos.bind.conflict.exact-duplicate", "macos", "an unconnected PCB with the same address and port, not both SO_REUSEPORT", "EADDRINUSE", "in_pcbbind (semantics.md §4.1)", C::code};
const Rule bind_conflict_uid{"macos.bind.conflict.other-uid", "macos", "non-root owner: the best-fit PCB on the port belongs to another uid (unless both wildcard and it has SO_REUSEPORT)", "EADDRINUSE", "in_pcbbind cross-uid guard (semantics.md §4.1)", C::code};
const Rule bind_conflict_v4_side{"macos.bind.conflict.dual-stack-v4", "macos", "dual-stack [::] bind: an IPv4 PCB with a specific address holds the port", "EADDRINUSE", "in6_pcbbind (semantics.md §4.1)", C::code};
const Rule bind_eacces_privileged{"macos.bind.eacces.privileged-port", "macos", "port < 1024 on a specific address without privilege (uid 0); wildcard binds need none", "EACCES", "in_pcbbind XNU_TARGET_OS_OSX (semantics.md §4.1)", C::code};
const Rule port0_ok{"macos.bind.port0.ok", "macos", "bind(addr, 0): sequential lastport++ in portrange.first..last (randomize_ports=0)", "0", "in_pcbbind (semantics.md §4.2)", C::code};
const Rule port0_exhausted{"macos.bind.port0.exhausted", "macos", "no free port", "EADDRNOTAVAIL", "in_pcbbind (semantics.md §4.2)", C::code};
const Rule listen_ok{"macos.listen.ok", "macos", "listen() does not re-check conflicts (only autobinds an unbound socket)", "0", "tcp_usr_listen (semantics.md §4.2)", C::code};
const Rule connect_bound_ok{"macos.connect.bound.ok", "macos", "no PCB on the exact 4-tuple", "0", "tcp_connect (semantics.md §4.2)", C::code};
const Rule connect_bound_in_use{"macos.connect.bound.tuple-in-use", "macos", "a PCB holds the exact 4-tuple, TIME-WAIT included", "EADDRINUSE", "tcp_connect (TF_RCVD_CC never set) (semantics.md §4.2)", C::code};
const Rule connect_autobind_ok{"macos.connect.autobind.ok", "macos", "connect() implicit bind takes a completely unused port (wild = 1): no sharing of ephemeral ports across destinations", "0", "tcp_connect -> in_pcbbind (semantics.md §4.2)", C::code};
const Rule connect_autobind_exhausted{"macos.connect.autobind.exhausted", "macos", "connect() found no unused port", "EADDRNOTAVAIL", "in_pcbbind (semantics.md §4.2)", C::code};
const Rule time_wait_enter{"macos.time-wait.enter", "macos", "TIME-WAIT for 2 x net.inet.tcp.msl = 2 x 15 s = 30 s", "TIME-WAIT", "tcp_timer.h TCPTV_MSL (semantics.md §4.3)", C::code};
const Rule time_wait_syn_accepted{"macos.time-wait.syn-accepted", "macos", "a SYN with seq > rcv_nxt closes the TIME-WAIT and reaches the listener; RST in TIME-WAIT is ignored", "SYN-RECEIVED", "tcp_input.c (semantics.md §4.3)", C::code};
const Rule connect_to_itself{"macos.connect.einval.to-itself", "macos", "connect() to the socket's own address and port", "EINVAL", "tcp_connect (semantics.md §4.2)", C::code};
const Rule fin_wait_2_orphan{"macos.fin-wait-2.orphan", "macos", "an orphaned FIN-WAIT-2 lives net.inet.tcp.fin_timeout (60 s)", "FIN-WAIT-2", "TCPTV_FINWAIT2 (semantics.md §4.3)", C::code};
const Rule close_unread_data_rst{"macos.close.unread-data-rst", "macos", "unread data in the receive buffer at close: tcp_drop, RST", "0", "tcp_disconnect so_rcv.sb_cc != 0 (semantics.md §4.4)", C::code};
const Rule close_linger0_rst{"macos.close.linger0-rst", "macos", "SO_LINGER {1, 0}: tcp_drop, RST, no TIME-WAIT", "0", "tcp_disconnect (semantics.md §4.4)", C::code};
const Rule close_linger_wait{"macos.close.linger-wait", "macos", "SO_LINGER {1, N}: a blocking close() waits N/100 s (SO_LINGER counts 1/100 s ticks; SO_LINGER_SEC counts seconds), then returns 0", "0", "soclose_locked, sosetoptlock (semantics.md §4.4)", C::code};
const Rule close_linger_nowait{"macos.close.linger-nonblocking", "macos", "SO_LINGER on a non-blocking socket that is disconnecting: no wait, returns 0", "0", "soclose_locked SS_NBIO (semantics.md §4.4)", C::code};
// clang-format on
}  // namespace macos_rule

namespace {

using namespace macos_rule;

namespace knob {
constexpr std::size_t first = 0, last = 1, msl = 2, rfc1323 = 3, v6only = 4, fin_timeout = 5, randomize_ports = 6,
                      syn_retries = 7;
}

// clang-format off
constexpr std::array<KnobSpec, 8> kKnobs{{
    {"net.inet.ip.portrange.first", KnobKind::integer, 1, 65535, "49152", "first ephemeral port", "in_pcb.c (semantics.md §4.2)"},
    {"net.inet.ip.portrange.last", KnobKind::integer, 1, 65535, "65535", "last ephemeral port", "in_pcb.c (semantics.md §4.2)"},
    {"net.inet.tcp.msl", KnobKind::integer, 1, 600000, "15000", "MSL in ms; TIME-WAIT lasts 2 x msl", "tcp_timer.h TCPTV_MSL (semantics.md §4.3)"},
    {"net.inet.tcp.rfc1323", KnobKind::integer, 0, 1, "1", "RFC 7323 timestamps", "tcp_subr.c (default on)"},
    {"net.inet6.ip6.v6only", KnobKind::integer, 0, 1, "0", "default of IPV6_V6ONLY", "in6_proto.c (semantics.md §4.1)"},
    {"net.inet.tcp.fin_timeout", KnobKind::integer, 1, 3600000, "60000", "ms an orphaned FIN-WAIT-2 lives", "TCPTV_FINWAIT2 (semantics.md §4.3)"},
    {"net.inet.tcp.randomize_ports", KnobKind::integer, 0, 1, "0", "random start of the ephemeral search (default: sequential)", "in_pcbbind (semantics.md §4.2)"},
    {"net.inet.tcp.syn_retries", KnobKind::integer, 1, 127, "6", "assumed: SYN retransmissions before ETIMEDOUT (modelled like Linux)", "not in semantics.md"},
}};
// clang-format on

const bsd::BsdFlavor kFlavor{
    .has_reuseport_lb = false,
    .guard_needs_unconnected = false,
    .bind_ok = &bind_ok,
    .bind_exact_lookup_ok = &bind_exact_lookup_ok,
    .bind_shared_reuseport = &bind_shared_reuseport,
    .bind_shared_reuseport_lb = &bind_shared_reuseport,
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
  p.privileged_below = 1024;
  p.privileged_only_specific = true;  // XNU_TARGET_OS_OSX: INADDR_ANY/:: need no privilege
  p.syn_retries = static_cast<int>(k.integer(knob::syn_retries));
  p.rst_kills_time_wait = false;
  p.time_wait_syn_by_timestamp = false;
  return p;
}

Decision bind_decide(const Knobs&, const BindOwnerView& n, std::span<const BindOwnerView> owners, BindMode mode) {
  return bsd::bind_decide(kFlavor, n, owners, mode);
}

Decision bound_connect_decide(const Knobs&, const TupleOccupant& o) { return bsd::bound_connect_decide(kFlavor, o); }

Decision connect_precheck(const Knobs&, const ConnectRequest& q) {
  if (q.to_itself) return {Errno::einval, &connect_to_itself};
  return {};
}

PortChoice pick_bind_port(const Knobs& k, PortRange r, bool, std::uint32_t& last, Rng& rng,
                          const std::function<bool(std::uint16_t, bool)>& usable) {
  return bsd::sequential_scan(r, k.integer(knob::randomize_ports) != 0, last, rng,
                              [&](std::uint16_t p) { return usable(p, false); }, &port0_ok, &port0_exhausted);
}

PortChoice pick_connect_port(const Knobs& k, const ConnectScanInput& in, std::uint32_t&, std::uint32_t& last_port,
                             Rng& rng, const std::function<bool(std::uint16_t)>& usable) {
  return bsd::sequential_scan(in.range, k.integer(knob::randomize_ports) != 0, last_port, rng, usable,
                              &connect_autobind_ok, &connect_autobind_exhausted);
}

Duration time_wait_duration(const Knobs& k) { return std::chrono::milliseconds(2 * k.integer(knob::msl)); }

std::optional<Duration> orphan_fin_wait_2_timeout(const Knobs& k, std::optional<std::int64_t>) {
  return std::chrono::milliseconds(k.integer(knob::fin_timeout));
}

LingerAction close_linger(const Knobs&, const Linger& l, bool in_seconds, bool nonblock, bool) {
  if (!l.on) return {};
  if (l.seconds == 0) return {LingerAction::Kind::abort, {}, false, Errno::ok, &close_linger0_rst};
  if (nonblock) return {LingerAction::Kind::graceful, {}, false, Errno::ok, &close_linger_nowait};
  // SO_LINGER stores l_linger raw as 1/100 s ticks; SO_LINGER_SEC stores seconds * hz.
  const Duration wait = in_seconds ? Duration(std::chrono::seconds(l.seconds))
                                   : Duration(std::chrono::milliseconds(10 * std::int64_t{l.seconds}));
  return {LingerAction::Kind::wait, wait < Duration::zero() ? Duration::zero() : wait, false, Errno::ok,
          &close_linger_wait};
}

bool supports_option(SockOpt o) {
  switch (o) {
    case SockOpt::so_reuseaddr:
    case SockOpt::so_reuseport:
    case SockOpt::so_linger:
    case SockOpt::so_linger_sec:
    case SockOpt::so_rcvbuf:
    case SockOpt::so_sndbuf:
    case SockOpt::ipv6_v6only:
      return true;
    default:  // no SO_BINDTODEVICE (XNU has IP_BOUND_IF), TCP_LINGER2, SO_REUSEPORT_LB, ...
      return false;
  }
}

constexpr CallRules calls() {
  CallRules c = common_call_rules();
  c.bind_eacces_privileged = &macos_rule::bind_eacces_privileged;
  c.listen_ok = &macos_rule::listen_ok;
  c.connect_autobind_exhausted = &macos_rule::connect_autobind_exhausted;
  c.close_unread_data_rst = &macos_rule::close_unread_data_rst;
  c.close_linger0_rst = &macos_rule::close_linger0_rst;
  c.close_linger_wait = &macos_rule::close_linger_wait;
  c.time_wait_enter = &macos_rule::time_wait_enter;
  c.time_wait_syn_accepted = &macos_rule::time_wait_syn_accepted;
  c.fin_wait_2_orphan = &macos_rule::fin_wait_2_orphan;
  return c;
}
constexpr CallRules kCalls = calls();

constexpr std::array<const Rule*, 23> kRules{&connect_to_itself, 
    &bind_ok, &bind_exact_lookup_ok, &bind_shared_reuseport, &bind_conflict_wildcard, &bind_conflict_exact,
    &bind_conflict_uid, &bind_conflict_v4_side, &macos_rule::bind_eacces_privileged, &port0_ok, &port0_exhausted,
    &macos_rule::listen_ok, &connect_bound_ok, &connect_bound_in_use, &connect_autobind_ok,
    &macos_rule::connect_autobind_exhausted, &macos_rule::time_wait_enter, &macos_rule::time_wait_syn_accepted,
    &macos_rule::fin_wait_2_orphan, &macos_rule::close_unread_data_rst, &macos_rule::close_linger0_rst,
    &macos_rule::close_linger_wait, &close_linger_nowait};

}  // namespace

const Profile& macos_profile() {
  static const Profile p{
      .name = "macos",
      .description = "macOS 15-era XNU (xnu-11417.101.15), semantics.md §4; Skywalk netns reservations not modelled",
      .variant_of = "",
      .knobs = kKnobs,
      .rules = kRules,
      .calls = &kCalls,
      .params = params,
      .bind_decide = bind_decide,
      .listen_rechecks = false,
      .connect_precheck = connect_precheck,
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
