// A policy profile: one OS's socket-layer rules as data (knobs, rule catalogue) plus a few
// small policy functions that the host calls at its decision points. Not a class hierarchy:
// adding an OS means adding one file that defines one of these.
#pragma once

#include <cstdint>
#include <limits>
#include <functional>
#include <optional>
#include <span>
#include <string_view>

#include "model/address.h"
#include "model/errno.h"
#include "model/knobs.h"
#include "model/rng.h"
#include "model/rule.h"
#include "model/socket_option.h"
#include "model/time.h"

namespace portlab::model {

// A socket or TIME-WAIT entry as the bind-conflict check sees it (Linux: the fields that
// inet_bind_conflict and inet_rcv_saddr_equal read).
struct BindOwnerView {
  IpAddress addr;         // bound local address (may be wildcard or v4-mapped)
  Family family = Family::inet;
  bool v6only = false;
  std::string_view device;  // SO_BINDTODEVICE; empty = any
  bool reuseaddr = false;
  bool reuseport = false;
  std::uint32_t uid = 0;
  bool listening = false;
  bool time_wait = false;  // a TIME-WAIT (or FIN-WAIT-2 substate) entry
  bool connected = false;  // has a peer (SYN-SENT .. LAST-ACK); BSD EXACT lookups skip these
  bool exclusiveaddruse = false;  // Windows SO_EXCLUSIVEADDRUSE
  bool reuseport_lb = false;      // FreeBSD SO_REUSEPORT_LB
  bool exclbind = false;          // illumos TCP_EXCLBIND
  bool past_established = false;  // FIN-WAIT-1 .. TIME-WAIT: the connection is closing
};

// Why bind() is called: an explicit port, the listen() re-check, or an ephemeral-port probe
// (Linux inet_csk_find_open_port: relax=false first, relax=true under ip_autobind_reuse).
enum class BindMode : std::uint8_t { explicit_port, listen_recheck, ephemeral_strict, ephemeral_relaxed };

struct Decision {
  Errno err = Errno::ok;
  const Rule* rule = nullptr;
  bool ok() const { return err == Errno::ok; }
};

// Linux's summary of a port's owners, cached in its bind bucket (struct inet_bind_bucket:
// fastreuse, fastreuseport, fastuid, fast_rcv_saddr, fast_ipv6_only, fast_sk_family). It is
// written when a socket joins by bind() or re-checks at listen() (inet_csk_update_fastreuse) and
// is not recomputed when owners leave or change their options, so the fast path it feeds
// (inet_csk_get_port) can admit a socket that the owners themselves would refuse.
struct BindBucketCache {
  std::int8_t fastreuse = -1;      // -1: made by connect(); 0: no; 1: all joined with SO_REUSEADDR, not listening
  std::int8_t fastreuseport = -1;  // -1: made by connect(); 0: no; 1: FASTREUSEPORT_ANY; 2: FASTREUSEPORT_STRICT
  std::uint32_t fastuid = 0;
  IpAddress addr;  // the socket that set fastreuseport: its bound address, family and IPV6_V6ONLY
  Family family = Family::inet;
  bool v6only = false;
  friend bool operator==(const BindBucketCache&, const BindBucketCache&) = default;
};

// Who holds an exact 4-tuple when a socket that already owns its port connects.
struct TupleOccupant {
  enum class Kind : std::uint8_t { none, full_socket, time_wait } kind = Kind::none;
  bool ts_recent_seen = false;  // TIME-WAIT: a peer timestamp was recorded (tw_ts_recent_stamp != 0)
  bool fin_wait_2_substate = false;
  TimePoint entered{};          // TIME-WAIT: when it was created
  TimePoint ts_recent_stamp{};  // TIME-WAIT: when the last peer timestamp was recorded (if seen)
  bool loopback = false;        // TIME-WAIT bound to lo, or addresses in 127/8, ::1
};

struct PortChoice {
  std::optional<std::uint16_t> port;
  Errno err = Errno::ok;  // when no port was found: the OS's exhaustion errno
  const Rule* rule = nullptr;
  std::uint32_t probes = 0;  // ports examined: the search cost
};

struct ConnectScanInput {
  PortRange range;                  // effective range (netns range clamped by IP_LOCAL_PORT_RANGE)
  bool per_socket_range = false;    // IP_LOCAL_PORT_RANGE set: step 1, no parity split
  std::uint64_t port_offset = 0;    // the per-destination hash (secure_ipv4_port_ephemeral)
};

// What the host knows about a candidate port when connect() picks one.
struct ConnectPortFacts {
  bool bind_owned = false;                     // Linux: the bucket was used by bind()/listen() (fastreuse >= 0)
  bool any_overlapping_owner = false;          // some socket or TIME-WAIT holds (source address, port)
  bool unconnected_overlapping_owner = false;  // a bound or listening socket holds (source address, port)
  TupleOccupant occupant;                      // who holds the exact 4-tuple
};

// What an OS may check before connect() does anything else.
struct ConnectRequest {
  bool listening = false;       // connect() on a listening socket
  bool port_zero = false;       // destination port 0
  bool broadcast = false;       // destination 255.255.255.255
  bool to_itself = false;       // destination == the socket's own bound address and port
};

struct ConnectPortVerdict {
  bool usable = false;
  bool recycle_time_wait = false;  // usable because the 4-tuple's TIME-WAIT may be recycled
  // A verdict that depends on `now` says when it may next change (e.g. a TIME-WAIT that becomes
  // recyclable at a certain age); the host relies on this to reuse a failed port search until
  // then (Host: failed-scan memo). Verdicts without it must not depend on `now`.
  std::optional<TimePoint> changes_at;
};

// Host-wide parameters an OS derives from its knobs; the host's mechanics read these instead of
// any one OS's sysctl names.
struct HostParams {
  PortRange ephemeral{32768, 60999};
  int timestamps = 1;  // 0 off, 1 on with per-address-pair offsets, 2 on without offsets
  bool v6only_default = false;
  int privileged_below = 1024;            // binding a port below this needs uid 0 (0: no such ports)
  bool privileged_only_specific = false;  // macOS: wildcard binds to low ports need no privilege
  bool nonlocal_bind = false;     // AF_INET, and AF_INET6 binding a v4-mapped address (Linux net.ipv4.ip_nonlocal_bind)
  bool nonlocal_bind_v6 = false;  // AF_INET6 binding an IPv6 address (Linux net.ipv6.ip_nonlocal_bind)
  int syn_retries = 6;
  std::uint64_t max_time_wait = std::numeric_limits<std::uint64_t>::max();
  bool rst_kills_time_wait = true;          // RFC 1337 "assassination" happens (Linux tcp_rfc1337=0)
  // SYN-SENT receives an ACK that does not acknowledge its SYN (typically a TIME-WAIT's answer to
  // it): besides the RST every OS sends, retransmit the SYN after this delay if it was not
  // retransmitted yet (Linux tcp_rcv_synsent_state_process, TCP_TIMEOUT_MIN). nullopt: the SYN
  // waits for its normal retransmission timeout.
  std::optional<Duration> syn_sent_bad_ack_retransmit;
  // An accept-queue child (handshake complete, not yet accepted) that is reset stays queued, closed,
  // with its error pending: accept() returns it and recv() reports ECONNRESET (Linux: tcp_reset ->
  // tcp_done leaves the child in the listener's queue). false: the listener forgets it.
  bool accept_queue_keeps_reset_children = false;
  // New data reaching a socket in FIN-WAIT-1/2 that was shut down for reading (SHUT_RD), but is
  // still open, is answered with RST as if it were closed (Linux tcp_rcv_state_process: the
  // check is sk_shutdown & RCV_SHUTDOWN). false: only a closed (orphaned) socket resets (BSD
  // tcp_input checks SS_NOFDREF; other OSes assumed alike, not established in semantics.md).
  bool shut_rd_data_resets = false;
  // A connect() on a socket whose port bind(0) chose (no SOCK_BINDPORT_LOCK) that fails for its
  // 4-tuple gives the port back (Linux tcp_v4_connect/tcp_v6_connect `failure:` ->
  // tcp_set_state(TCP_CLOSE) -> inet_put_port). false: the socket stays bound (BSD in_pcbconnect
  // leaves the inpcb bound; other OSes assumed alike, not established in semantics.md).
  bool failed_connect_releases_port = false;
  bool time_wait_syn_by_timestamp = true;   // a SYN with a newer timestamp reopens TIME-WAIT (RFC 6191)
  bool time_wait_for_local_peer = true;     // false: FreeBSD nolocaltimewait, no TIME-WAIT towards own addresses
  bool reuse_options_fixed_at_bind = false; // Windows: SO_REUSEADDR/SO_EXCLUSIVEADDRUSE only count if set before bind()
};

// What close() does about SO_LINGER.
struct LingerAction {
  enum class Kind : std::uint8_t { graceful, abort, wait, fail } kind = Kind::graceful;
  Duration wait{};               // Kind::wait: the longest close() blocks for the FIN's ACK (max() = forever)
  bool reset_on_expiry = false;  // Windows: a linger that expires resets the connection
  Errno err = Errno::ok;         // Kind::fail: close() fails and the socket stays open
  const Rule* rule = nullptr;    // the rule behind a wait, a fail or an abort
};

// Slots for the rules that decide a call's outcome where every OS has *a* rule, though not
// necessarily the same one. Each profile fills every slot (PORTLAB_CALL_RULE_SLOTS).
#define PORTLAB_CALL_RULE_SLOTS(X)                                                                          \
  X(bind_einval_short_addr) X(bind_eafnosupport) X(bind_einval_v6_multicast) X(bind_eaddrnotavail_not_local) \
  X(bind_eacces_privileged) X(bind_einval_already_bound) X(bind_einval_v6only_mapped)                       \
  X(bind_einval_link_local_scope) X(bind_no_port_deferred) X(listen_ok) X(listen_again) X(listen_einval_state) \
  X(listen_autobind_exhausted) X(connect_eisconn) X(connect_ealready) X(connect_eafnosupport)               \
  X(connect_einval_short_addr) X(connect_enetunreach) X(connect_autobind_time_wait_reused)                  \
  X(connect_autobind_exhausted) X(connect_refused) X(connect_timeout) X(connect_reset) X(accept_ok)         \
  X(accept_einval) X(accept_eagain) X(send_ok) X(send_epipe) X(send_eagain) X(send_pending_error)           \
  X(recv_ok) X(recv_eof) X(recv_enotconn) X(recv_eagain) X(recv_pending_error) X(shutdown_ok)                \
  X(shutdown_enotconn) X(close_fin) X(close_unread_data_rst) X(close_linger0_rst) X(close_linger0_no_rst)     \
  X(close_already_closed) X(close_listener) X(close_linger_wait) X(close_no_connection) X(setsockopt_ok)     \
  X(setsockopt_einval) X(setsockopt_enoprotoopt) X(setsockopt_enodev) X(getsockopt_ok) X(getsockname_ok)     \
  X(socket_ok) X(ebadf) X(time_wait_enter) X(time_wait_overflow) X(time_wait_expire) X(time_wait_rearm)      \
  X(time_wait_rst_kill) X(time_wait_syn_accepted) X(fin_wait_2_orphan) X(fin_wait_2_linger2_rst)            \
  X(orphan_data_rst) X(setsockopt_reuse_after_bind)

struct CallRules {
#define PORTLAB_CALL_RULE_FIELD(n) const Rule* n = nullptr;
  PORTLAB_CALL_RULE_SLOTS(PORTLAB_CALL_RULE_FIELD)
#undef PORTLAB_CALL_RULE_FIELD
};

// Linux keeps a socket-layer state beside the TCP state (struct socket's SS_UNCONNECTED,
// SS_CONNECTING, SS_CONNECTED, SS_DISCONNECTING) and consults it in connect(), listen() and
// shutdown() (af_inet.c: __inet_stream_connect, inet_listen, inet_shutdown). Above all, a
// non-blocking connect() leaves the socket SS_CONNECTING whatever becomes of the connection, until
// the next connect() collects the outcome. A profile with these rules gets that state machine;
// without them, a socket is simply "connected since connect() or accept()" until the attempt
// fails.
struct SocketLayerRules {
  const Rule* connect_completed = nullptr;           // SS_CONNECTING, past the handshake: 0, SS_CONNECTED
  const Rule* connect_aborted = nullptr;             // SS_CONNECTING, CLOSE, no pending error: ECONNABORTED
  const Rule* connect_einval_disconnecting = nullptr;  // SS_DISCONNECTING: EINVAL
};

struct Profile {
  std::string_view name;         // "linux"
  std::string_view description;  // "Linux 6.12-6.18 (semantics.md §2)"
  std::string_view variant_of;   // "" for an OS profile; the base OS for a version variant ("linux")
  std::span<const KnobSpec> knobs;
  std::span<const Rule* const> rules;  // every rule of this OS, for the catalogue
  const CallRules* calls = nullptr;
  const SocketLayerRules* socket_layer = nullptr;  // nullptr: no SS_* state (see SocketLayerRules)

  HostParams (*params)(const Knobs& knobs) = nullptr;
  // Does N (the socket binding) conflict with the port's current owners?
  Decision (*bind_decide)(const Knobs& knobs, const BindOwnerView& n, std::span<const BindOwnerView> owners,
                          BindMode mode) = nullptr;
  // Is listen() a new conflict check (Linux inet_csk_listen_start)? Reruns bind_decide with n.listening.
  bool listen_rechecks = false;
  // A fast path before the conflict check, nullptr where there is none (Linux: inet_csk_get_port's
  // tb->fastreuse / sk_reuseport_match). Asked when N binds an explicit port or re-checks at
  // listen() and the port already has owners; a Decision with a rule admits N unchecked.
  Decision (*bind_fast_path)(const Knobs& knobs, const BindBucketCache& cache, const BindOwnerView& n) = nullptr;
  // Updates the cache once N has joined (bind(), bind(0), listen()'s autobind) or passed the
  // listen() re-check; `first`: the port had no owners before N (inet_csk_update_fastreuse).
  void (*bind_cache_update)(BindBucketCache& cache, const BindOwnerView& n, bool first) = nullptr;
  // Does an accepted socket keep its port when it reaches CLOSE with its descriptor open, as a
  // socket that bound its port itself does (SOCK_BINDPORT_LOCK)? Linux: no, sk_clone_lock clears
  // the lock. Other OSes: assumed yes (not established in semantics.md).
  bool child_keeps_port_lock = true;
  // Linux since "tcp: Update bind bucket state on port release" (2025; seen on 6.18): once the last
  // owner that got the port from bind() or listen() leaves a port's bucket, connect()'s autobind
  // may use the port again although sockets that got it from connect() (or their TIME-WAITs)
  // remain. false: the bucket stays closed to connect() until it is empty (inet_bind_bucket).
  bool bind_bucket_resets_on_release = false;
  // connect() checks before the common ones; nullptr, or a Decision with no rule, lets it go on.
  Decision (*connect_precheck)(const Knobs& knobs, const ConnectRequest& request) = nullptr;
  // connect() on a socket that owns its port, given the exact 4-tuple's occupant.
  Decision (*bound_connect_decide)(const Knobs& knobs, const TupleOccupant& occupant) = nullptr;
  // connect() autobind: may this port be used for this destination (and by recycling a TIME-WAIT)?
  ConnectPortVerdict (*connect_port_usable)(const Knobs& knobs, const ConnectPortFacts& facts, TimePoint now) = nullptr;
  // bind(addr, 0) / listen() autobind: scan order and exhaustion result.
  PortChoice (*pick_bind_port)(const Knobs& knobs, PortRange range, bool reuseaddr, std::uint32_t& last_port, Rng& rng,
                               const std::function<bool(std::uint16_t, bool relaxed)>& usable) = nullptr;
  // connect() autobind: scan order and exhaustion result. `perturb` is the per-destination slot of
  // Linux's perturbation table; `last_port` is host-wide state for sequential searches (BSD).
  PortChoice (*pick_connect_port)(const Knobs& knobs, const ConnectScanInput& in, std::uint32_t& perturb,
                                  std::uint32_t& last_port, Rng& rng,
                                  const std::function<bool(std::uint16_t)>& usable) = nullptr;
  Duration (*time_wait_duration)(const Knobs& knobs) = nullptr;
  // Lifetime of an orphaned FIN-WAIT-2; nullopt means "send RST instead" (Linux TCP_LINGER2 < 0).
  std::optional<Duration> (*orphan_fin_wait_2_timeout)(const Knobs& knobs, std::optional<std::int64_t> linger2) = nullptr;
  // close() under SO_LINGER; `in_seconds` is true when set with macOS SO_LINGER_SEC, `shut_wr`
  // when shutdown(SHUT_WR) came first.
  LingerAction (*close_linger)(const Knobs& knobs, const Linger& linger, bool in_seconds, bool nonblock,
                               bool shut_wr) = nullptr;
  // Does this OS have the option at all? (No: ENOPROTOOPT.)
  bool (*supports_option)(SockOpt opt) = nullptr;
  // The errno the application sees (Windows spells some WSAE*).
  Errno (*map_errno)(Errno e) = nullptr;
};

// Policy pieces several profiles use unchanged.
// The application sees the errno under the name the kernel gives it (every OS but Windows).
Errno same_errno(Errno e);
// connect() autobind takes only a port nobody holds at all (XNU's implicit bind with wild = 1;
// assumed for Windows and illumos, whose algorithms are not documented or not read).
ConnectPortVerdict connect_needs_unused_port(const Knobs& knobs, const ConnectPortFacts& facts, TimePoint now);

namespace generic_rule {
extern const Rule unmodelled;
}  // namespace generic_rule

// The catalogue of generic rules that do not belong to one OS (model limits, simulation).
std::span<const Rule* const> generic_rules();

}  // namespace portlab::model
