// Windows, from documentation only (semantics.md §5): "Sharing Transport Addresses" (WSK),
// "Using SO_REUSEADDR and SO_EXCLUSIVEADDRUSE", closesocket, KB929851, TcpTimedWaitDelay,
// events 4227/4231. Everything the documents leave open is an explicit `assumed` rule.
#include "model/windows_profile.h"

#include <array>

#include "model/bsd_family.h"
#include "model/common_rules.h"

namespace portlab::model {

namespace windows_rule {
using C = Confidence;
// clang-format off
const Rule bind_ok{"windows.bind.ok", "windows", "no socket is bound to an overlapping transport address", "0", "Sharing Transport Addresses (semantics.md §5.1)", C::doc};
const Rule bind_success{"windows.bind.matrix.success", "windows", "the sharing matrix says SUCCESS for these two binds (e.g. both SO_REUSEADDR, or wildcard after a specific address)", "0", "Sharing Transport Addresses table (semantics.md §5.1)", C::doc};
const Rule bind_check_same_user{"windows.bind.matrix.check-same-user", "windows", "the matrix says CHECK and the same user created both sockets: allowed", "0", "Sharing Transport Addresses; Winsock SO_EXCLUSIVEADDRUSE page (semantics.md §5.1)", C::doc};
const Rule bind_check_other_user{"windows.bind.matrix.check-other-user", "windows", "the matrix says CHECK and another user created the first socket", "WSAEACCES", "Sharing Transport Addresses (semantics.md §5.1)", C::doc};
const Rule bind_inuse{"windows.bind.matrix.inuse", "windows", "the matrix says INUSE (STATUS_ADDRESS_ALREADY_EXISTS)", "WSAEADDRINUSE", "Sharing Transport Addresses (semantics.md §5.1)", C::doc};
const Rule bind_denied{"windows.bind.matrix.denied", "windows", "the matrix says DENIED (STATUS_ACCESS_DENIED): the first socket did not opt in with SO_REUSEADDR, or one of them has SO_EXCLUSIVEADDRUSE", "WSAEACCES", "Sharing Transport Addresses (semantics.md §5.1)", C::doc};
const Rule bind_ignores_connections{"windows.bind.ignores-connections", "windows", "assumed: TIME-WAIT endpoints and connected sockets do not count as a first bind (KB307175: re-binding while accepted connections remain succeeds since Windows 2000)", "0", "semantics.md §5.1: not established", C::assumed};
const Rule listen_ok{"windows.listen.ok", "windows", "assumed: listen() does not re-check the sharing matrix", "0", "semantics.md §5.1: not documented", C::assumed};
const Rule connect_bound_ok{"windows.connect.bound.ok", "windows", "no endpoint holds the exact 4-tuple", "0", "connect() reference", C::doc};
const Rule connect_bound_in_use{"windows.connect.bound.tuple-in-use", "windows", "the 4-tuple is in TIME-WAIT (event 4227 EVENT_TCPIP_TCP_TIME_WAIT_COLLISION) or held by a connection", "WSAEADDRINUSE", "event 4227 + KB (semantics.md §5.2; errno for the plain case inferred)", C::inferred};
const Rule connect_autobind_ok{"windows.connect.autobind.ok", "windows", "assumed: connect() takes an unused port from the dynamic range, random start then sequential (the algorithm is not documented)", "0", "semantics.md §5.2: not documented", C::assumed};
const Rule connect_autobind_exhausted{"windows.connect.autobind.exhausted", "windows", "assumed: no dynamic port left: WSAENOBUFS (event 4231); the errno is commonly reported, not confirmed", "WSAENOBUFS", "semantics.md §5.2: not established", C::assumed};
const Rule port0_ok{"windows.bind.port0.ok", "windows", "assumed: bind(addr, 0) takes an unused port from the dynamic range", "0", "semantics.md §5.2: not documented", C::assumed};
const Rule port0_exhausted{"windows.bind.port0.exhausted", "windows", "assumed: bind(addr, 0) with no dynamic port left fails WSAEADDRINUSE", "WSAEADDRINUSE", "semantics.md §5.2: not established", C::assumed};
const Rule time_wait_enter{"windows.time-wait.enter", "windows", "TIME-WAIT for TcpTimedWaitDelay seconds (default chosen: 120 s, the Server 2003 document's default; the Windows 2000 document says 240 s and no current page gives one)", "TIME-WAIT", "TcpTimedWaitDelay (semantics.md §5.2)", C::assumed};
const Rule time_wait_rst_kill{"windows.time-wait.rst-kill", "windows", "assumed: an RST ends TIME-WAIT as RFC 9293 says (RFC 1337 behaviour not documented)", "CLOSED", "semantics.md §1: not documented", C::assumed};
const Rule time_wait_syn_accepted{"windows.time-wait.syn-accepted", "windows", "assumed: a SYN with a higher sequence number reopens TIME-WAIT (RFC 1122 4.2.2.13)", "SYN-RECEIVED", "semantics.md §7.3: peer behaviour not documented", C::assumed};
const Rule close_linger0_rst{"windows.close.linger0-rst", "windows", "SO_LINGER {1, 0}: hard (abortive) close, RST; the peer's recv fails WSAECONNRESET", "0", "closesocket reference (semantics.md §5.3)", C::doc};
const Rule close_linger_wait{"windows.close.linger-wait", "windows", "SO_LINGER {1, t>0} blocking: closesocket waits up to t for the data and FIN to be ACKed; on expiry the connection is reset", "0", "closesocket reference (semantics.md §5.3)", C::doc};
const Rule close_linger_wouldblock{"windows.close.linger-wouldblock", "windows", "SO_LINGER {1, t>0} on a non-blocking socket: closesocket fails and the socket stays open", "WSAEWOULDBLOCK", "closesocket reference (semantics.md §5.3)", C::doc};
const Rule close_linger0_after_shutdown{"windows.close.linger0-after-shutdown", "windows", "assumed: SO_LINGER {1, 0} after shutdown(SD_SEND) still resets the connection if it has not reached TIME-WAIT (modelled as on Linux; no primary source for current Windows)", "0", "semantics.md §5.3, §10: not established", C::assumed};
const Rule close_already_closed{"windows.close.already-closed", "windows", "assumed: closing a socket whose connection already ended (e.g. in TIME-WAIT after shutdown) sends nothing and leaves TIME-WAIT in place", "0", "semantics.md §10: not established", C::assumed};
const Rule setsockopt_after_bind{"windows.setsockopt.reuse-after-bind", "windows", "SO_REUSEADDR / SO_EXCLUSIVEADDRUSE set after bind() have no effect on sharing (they must be set before bind)", "0", "Using SO_REUSEADDR and SO_EXCLUSIVEADDRUSE (semantics.md §5.1)", C::doc};
const Rule fin_wait_2_orphan{"windows.fin-wait-2.orphan", "windows", "assumed: an orphaned FIN-WAIT-2 is dropped after TcpFinWait2Delay (240 s)", "FIN-WAIT-2", "not in semantics.md", C::assumed};
const Rule xp_bind_reuseaddr{"windows-xp.bind.reuseaddr-second-only", "windows-xp", "before Server 2003, the second socket's SO_REUSEADDR alone lets it bind the same address and port", "0", "Winsock SO_REUSEADDR page / MS blog 2005 (semantics.md §5.1)", C::doc};
const Rule xp_bind_exclusive{"windows-xp.bind.exclusive", "windows-xp", "the first socket has SO_EXCLUSIVEADDRUSE (NT 4.0 SP4 and later)", "WSAEACCES", "Winsock SO_EXCLUSIVEADDRUSE page (semantics.md §5.1)", C::doc};
const Rule xp_bind_inuse{"windows-xp.bind.inuse", "windows-xp", "assumed: without SO_REUSEADDR, the same address (or wildcard after wildcard) is in use; wildcard and specific coexist as in the 2003 matrix's 'none' row", "WSAEADDRINUSE", "semantics.md §5.1 (XP matrix not documented)", C::assumed};
// clang-format on
}  // namespace windows_rule

namespace {

using namespace windows_rule;

namespace knob {
constexpr std::size_t dyn_start = 0, dyn_num = 1, tw_delay = 2, tcp1323 = 3, finwait2 = 4, connect_retries = 5;
}

// clang-format off
constexpr std::array<KnobSpec, 6> kKnobs{{
    {"netsh.dynamicport.tcp.start", KnobKind::integer, 1025, 65535, "49152", "first dynamic (ephemeral) port (netsh int ipv4 set dynamicport tcp start=)", "KB929851 (semantics.md §5.2)"},
    {"netsh.dynamicport.tcp.num", KnobKind::integer, 255, 64511, "16384", "number of dynamic ports", "KB929851 (semantics.md §5.2)"},
    {"Tcpip.Parameters.TcpTimedWaitDelay", KnobKind::integer, 30, 300, "120", "TIME-WAIT seconds (default chosen: 120, the Server 2003 document; 240 in the Windows 2000 one)", "TcpTimedWaitDelay (semantics.md §5.2)"},
    {"Tcpip.Parameters.Tcp1323Opts", KnobKind::integer, 0, 3, "1", "RFC 1323 options: 1 = window scaling, 2 = timestamps, 3 = both (default chosen: no timestamps; the current default is not established)", "semantics.md §1 correction 1"},
    {"Tcpip.Parameters.TcpFinWait2Delay", KnobKind::integer, 30, 3600, "240", "seconds an orphaned FIN-WAIT-2 lives (assumed default)", "not in semantics.md"},
    {"Tcpip.Parameters.TcpMaxConnectRetransmissions", KnobKind::integer, 1, 255, "2", "SYN retransmissions before connect() times out (assumed default)", "not in semantics.md"},
}};
// clang-format on

enum class Opt { none, reuseaddr, exclusive };
enum class Outcome { success, inuse, denied, check };

Opt opt_of(const BindOwnerView& v) {
  if (v.exclusiveaddruse) return Opt::exclusive;
  if (v.reuseaddr) return Opt::reuseaddr;
  return Opt::none;
}

// semantics.md §5.1: rows = second bind (N), columns = first bind (E), both (option, wildcard?).
Outcome matrix(Opt n, bool n_wild, Opt e, bool e_wild) {
  using O = Outcome;
  static constexpr O kTable[6][6] = {
      // E: none-W   none-S     RA-W       RA-S       EX-W       EX-S
      {O::inuse, O::success, O::inuse, O::success, O::inuse, O::success},     // N none-W
      {O::check, O::inuse, O::check, O::denied, O::denied, O::inuse},         // N none-S
      {O::denied, O::success, O::success, O::success, O::denied, O::success},  // N RA-W
      {O::check, O::denied, O::success, O::success, O::denied, O::denied},    // N RA-S
      {O::inuse, O::inuse, O::inuse, O::inuse, O::inuse, O::inuse},           // N EX-W
      {O::check, O::inuse, O::check, O::inuse, O::denied, O::inuse},          // N EX-S
  };
  const int row = static_cast<int>(n) * 2 + (n_wild ? 0 : 1);
  const int col = static_cast<int>(e) * 2 + (e_wild ? 0 : 1);
  return kTable[row][col];
}

struct Overlap {
  bool overlaps = false;
  bool e_wild = false;
  bool n_wild = false;
};

Overlap overlap(const BindOwnerView& n, const BindOwnerView& e) {
  const Family f = (n.family == Family::inet || n.addr.is_v4_mapped()) ? Family::inet : Family::inet6;
  const IpAddress na = f == Family::inet && n.family == Family::inet6 ? *n.addr.unmapped_v4() : n.addr;
  auto ea = bsd::lookup_address(e, f);  // a dual-stack [::] socket also covers IPv4
  if (!ea) return {};
  // Two different specific addresses never share anything (semantics.md §5.1).
  if (!na.is_wildcard() && !ea->is_wildcard() && na != *ea) return {};
  return {true, ea->is_wildcard(), na.is_wildcard()};
}

Decision vista_bind(const Knobs&, const BindOwnerView& n, std::span<const BindOwnerView> owners, BindMode mode) {
  const bool probe = mode == BindMode::ephemeral_strict || mode == BindMode::ephemeral_relaxed;
  const Rule* decided = &bind_ok;
  for (const auto& e : owners) {
    const Overlap o = overlap(n, e);
    if (!o.overlaps) continue;
    if (probe) return {Errno::wsaeaddrinuse, &bind_inuse};  // an ephemeral port must be unused
    if (e.time_wait || e.connected) {
      decided = &bind_ignores_connections;
      continue;
    }
    switch (matrix(opt_of(n), o.n_wild, opt_of(e), o.e_wild)) {
      case Outcome::success:
        decided = &bind_success;
        break;
      case Outcome::inuse:
        return {Errno::wsaeaddrinuse, &bind_inuse};
      case Outcome::denied:
        return {Errno::wsaeacces, &bind_denied};
      case Outcome::check:
        if (n.uid != e.uid) return {Errno::wsaeacces, &bind_check_other_user};
        decided = &bind_check_same_user;
        break;
    }
  }
  return {Errno::ok, decided};
}

Decision xp_bind(const Knobs&, const BindOwnerView& n, std::span<const BindOwnerView> owners, BindMode mode) {
  const bool probe = mode == BindMode::ephemeral_strict || mode == BindMode::ephemeral_relaxed;
  const Rule* decided = &bind_ok;
  for (const auto& e : owners) {
    const Overlap o = overlap(n, e);
    if (!o.overlaps) continue;
    if (probe) return {Errno::wsaeaddrinuse, &bind_inuse};
    if (e.time_wait || e.connected) {
      decided = &bind_ignores_connections;
      continue;
    }
    if (e.exclusiveaddruse) return {Errno::wsaeacces, &xp_bind_exclusive};
    if (n.reuseaddr) {
      decided = &xp_bind_reuseaddr;
      continue;
    }
    if (o.n_wild == o.e_wild) return {Errno::wsaeaddrinuse, &xp_bind_inuse};
  }
  return {Errno::ok, decided};
}

HostParams params(const Knobs& k) {
  HostParams p;
  const auto start = k.integer(knob::dyn_start);
  const auto end = std::min<std::int64_t>(65535, start + k.integer(knob::dyn_num) - 1);
  p.ephemeral = {static_cast<std::uint16_t>(start), static_cast<std::uint16_t>(end)};
  p.timestamps = (k.integer(knob::tcp1323) & 2) ? 1 : 0;
  p.v6only_default = true;  // IPV6_V6ONLY is on by default for AF_INET6 sockets (Winsock IPV6_V6ONLY docs)
  p.privileged_below = 0;   // Windows has no privileged ports
  p.syn_retries = static_cast<int>(k.integer(knob::connect_retries));
  p.rst_kills_time_wait = true;
  p.time_wait_syn_by_timestamp = false;
  p.reuse_options_fixed_at_bind = true;
  return p;
}

Decision bound_connect_decide(const Knobs&, const TupleOccupant& o) {
  if (o.kind == TupleOccupant::Kind::none) return {Errno::ok, &connect_bound_ok};
  return {Errno::wsaeaddrinuse, &connect_bound_in_use};
}

PortChoice pick_bind_port(const Knobs&, PortRange r, bool, std::uint32_t& last, Rng& rng,
                          const std::function<bool(std::uint16_t, bool)>& usable) {
  PortChoice c = bsd::sequential_scan(r, true, last, rng, [&](std::uint16_t p) { return usable(p, false); }, &port0_ok,
                                      &port0_exhausted);
  if (!c.port) c.err = Errno::wsaeaddrinuse;
  return c;
}

PortChoice pick_connect_port(const Knobs&, const ConnectScanInput& in, std::uint32_t&, std::uint32_t& last_port,
                             Rng& rng, const std::function<bool(std::uint16_t)>& usable) {
  PortChoice c =
      bsd::sequential_scan(in.range, true, last_port, rng, usable, &connect_autobind_ok, &connect_autobind_exhausted);
  if (!c.port) c.err = Errno::wsaenobufs;
  return c;
}

Duration time_wait_duration(const Knobs& k) { return std::chrono::seconds(k.integer(knob::tw_delay)); }

std::optional<Duration> orphan_fin_wait_2_timeout(const Knobs& k, std::optional<std::int64_t>) {
  return std::chrono::seconds(k.integer(knob::finwait2));
}

LingerAction close_linger(const Knobs&, const Linger& l, bool, bool nonblock, bool shut_wr) {
  if (!l.on) return {};
  if (l.seconds == 0 && shut_wr)  // semantics.md §5.3: only KB176736 (NT 4.0) speaks to this
    return {LingerAction::Kind::abort, {}, false, Errno::ok, &close_linger0_after_shutdown};
  if (l.seconds == 0) return {LingerAction::Kind::abort, {}, false, Errno::ok, &close_linger0_rst};
  if (nonblock) return {LingerAction::Kind::fail, {}, false, Errno::wsaewouldblock, &close_linger_wouldblock};
  return {LingerAction::Kind::wait, std::chrono::seconds(l.seconds < 0 ? 0 : l.seconds), true, Errno::ok,
          &close_linger_wait};
}

bool supports_option(SockOpt o) {
  switch (o) {
    case SockOpt::so_reuseaddr:
    case SockOpt::so_exclusiveaddruse:
    case SockOpt::so_linger:
    case SockOpt::so_rcvbuf:
    case SockOpt::so_sndbuf:
    case SockOpt::ipv6_v6only:
      return true;
    default:  // no SO_REUSEPORT, SO_BINDTODEVICE, TCP_LINGER2, ... on Windows
      return false;
  }
}

// Winsock's own error codes (Windows Sockets Error Codes reference): a non-blocking connect()
// reports WSAEWOULDBLOCK, send() after shutdown(SD_SEND) WSAESHUTDOWN, a closed descriptor
// WSAENOTSOCK; the rest are the WSA spellings of the POSIX names.
Errno winsock_errno(Errno e) {
  switch (e) {
    case Errno::eaddrinuse: return Errno::wsaeaddrinuse;
    case Errno::eacces: return Errno::wsaeacces;
    case Errno::eagain: return Errno::wsaewouldblock;
    case Errno::einprogress: return Errno::wsaewouldblock;
    case Errno::eaddrnotavail: return Errno::wsaeaddrnotavail;
    case Errno::econnreset: return Errno::wsaeconnreset;
    case Errno::econnrefused: return Errno::wsaeconnrefused;
    case Errno::einval: return Errno::wsaeinval;
    case Errno::enoprotoopt: return Errno::wsaenoprotoopt;
    case Errno::eisconn: return Errno::wsaeisconn;
    case Errno::enotconn: return Errno::wsaenotconn;
    case Errno::etimedout: return Errno::wsaetimedout;
    case Errno::ealready: return Errno::wsaealready;
    case Errno::eafnosupport: return Errno::wsaeafnosupport;
    case Errno::enetunreach: return Errno::wsaenetunreach;
    case Errno::epipe: return Errno::wsaeshutdown;
    case Errno::ebadf: return Errno::wsaenotsock;
    default: return e;
  }
}

constexpr CallRules calls() {
  CallRules c = common_call_rules();
  c.listen_ok = &windows_rule::listen_ok;
  c.connect_autobind_exhausted = &windows_rule::connect_autobind_exhausted;
  c.close_linger0_rst = &windows_rule::close_linger0_rst;
  c.close_linger_wait = &windows_rule::close_linger_wait;
  c.time_wait_enter = &windows_rule::time_wait_enter;
  c.time_wait_rst_kill = &windows_rule::time_wait_rst_kill;
  c.time_wait_syn_accepted = &windows_rule::time_wait_syn_accepted;
  c.fin_wait_2_orphan = &windows_rule::fin_wait_2_orphan;
  c.close_already_closed = &windows_rule::close_already_closed;
  c.setsockopt_reuse_after_bind = &windows_rule::setsockopt_after_bind;
  return c;
}
constexpr CallRules kCalls = calls();

constexpr std::array<const Rule*, 24> kRules{&close_linger0_after_shutdown, &windows_rule::close_already_closed, &setsockopt_after_bind,
    &bind_ok, &bind_success, &bind_check_same_user, &bind_check_other_user, &bind_inuse, &bind_denied,
    &bind_ignores_connections, &windows_rule::listen_ok, &connect_bound_ok, &connect_bound_in_use,
    &connect_autobind_ok, &windows_rule::connect_autobind_exhausted, &port0_ok, &port0_exhausted,
    &windows_rule::time_wait_enter, &windows_rule::time_wait_rst_kill, &windows_rule::time_wait_syn_accepted,
    &windows_rule::close_linger0_rst, &windows_rule::close_linger_wait, &close_linger_wouldblock,
    &windows_rule::fin_wait_2_orphan};

constexpr std::array<const Rule*, 27> kXpRules{&close_linger0_after_shutdown, &windows_rule::close_already_closed, &setsockopt_after_bind,
    &bind_ok, &xp_bind_reuseaddr, &xp_bind_exclusive, &xp_bind_inuse, &bind_inuse, &bind_ignores_connections,
    &windows_rule::listen_ok, &connect_bound_ok, &connect_bound_in_use, &connect_autobind_ok,
    &windows_rule::connect_autobind_exhausted, &port0_ok, &port0_exhausted, &windows_rule::time_wait_enter,
    &windows_rule::time_wait_rst_kill, &windows_rule::time_wait_syn_accepted, &windows_rule::close_linger0_rst,
    &windows_rule::close_linger_wait, &close_linger_wouldblock, &windows_rule::fin_wait_2_orphan,
    &bind_success, &bind_check_same_user, &bind_check_other_user, &bind_denied};

Profile make(std::string_view name, std::string_view description, std::string_view variant_of,
             std::span<const Rule* const> rules,
             Decision (*decide)(const Knobs&, const BindOwnerView&, std::span<const BindOwnerView>, BindMode)) {
  return Profile{
      .name = name,
      .description = description,
      .variant_of = variant_of,
      .knobs = kKnobs,
      .rules = rules,
      .calls = &kCalls,
      .params = params,
      .bind_decide = decide,
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
      .map_errno = winsock_errno,
  };
}

}  // namespace

const Profile& windows_profile() {
  static const Profile p = make("windows", "Windows Vista/Server 2008 and later, enhanced socket security (documentation only, semantics.md §5)", "", kRules, vista_bind);
  return p;
}

const Profile& windows_xp_profile() {
  static const Profile p = make("windows-xp", "Windows XP and earlier sharing rules: the second socket's SO_REUSEADDR alone suffices (semantics.md §5.1)", "windows", kXpRules, xp_bind);
  return p;
}

}  // namespace portlab::model
