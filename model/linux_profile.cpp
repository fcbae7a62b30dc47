// Linux socket-layer policy, rule by rule from semantics.md §2 (Linux 6.12 source, 6.18 tests).
#include "model/linux_profile.h"

#include <algorithm>
#include <array>

namespace portlab::model {

namespace linux_rule {
using C = Confidence;
// clang-format off
const Rule bind_ok{"linux.bind.ok", "linux", "no device-compatible socket with an overlapping address owns the port", "0", "inet_csk_get_port/inet_bind_conflict; inet_rcv_saddr_equal (semantics.md §2.3-2.5)", C::test};
const Rule bind_shared_reuseaddr{"linux.bind.shared.reuseaddr", "linux", "every overlapping owner and the new socket have SO_REUSEADDR and no owner is listening", "0", "inet_bind_conflict: sk_reuse && sk2_reuse && sk2 not LISTEN (semantics.md §2.3)", C::test};
const Rule bind_shared_reuseport{"linux.bind.shared.reuseport", "linux", "both have SO_REUSEPORT and the owner has the same uid or is TIME-WAIT", "0", "inet_bind_conflict: reuseport && (TIME_WAIT || uid_eq) (semantics.md §2.3)", C::test};
const Rule bind_conflict_no_reuse{"linux.bind.conflict.no-reuse", "linux", "an overlapping owner and the new socket do not both have SO_REUSEADDR or both SO_REUSEPORT", "EADDRINUSE", "inet_bind_conflict (semantics.md §2.3 table)", C::test};
const Rule bind_conflict_reuseaddr_existing_listens{"linux.bind.conflict.reuseaddr-existing-listens", "linux", "both have SO_REUSEADDR but the overlapping owner is listening (and SO_REUSEPORT does not share)", "EADDRINUSE", "inet_bind_conflict: sk2->sk_state != TCP_LISTEN (semantics.md §2.3 rows listen (1,0)/(1,1))", C::test};
const Rule bind_conflict_reuseport_uid{"linux.bind.conflict.reuseport-uid", "linux", "both have SO_REUSEPORT but the owner is not TIME-WAIT and has another uid", "EADDRINUSE", "inet_bind_conflict: uid_eq(sk_uid, sock_i_uid(sk2)) (semantics.md §2.3 uid table)", C::test};
const Rule bind_einval_short_addr{"linux.bind.einval.short-addr", "linux", "an IPv4 sockaddr given to an AF_INET6 socket (addr_len < SIN6_LEN_RFC2133)", "EINVAL", "inet6_bind (semantics.md §2.2 #1)", C::code};
const Rule bind_eafnosupport{"linux.bind.eafnosupport", "linux", "an IPv6 address given to an AF_INET socket", "EAFNOSUPPORT", "__inet_bind (semantics.md §2.2 #2)", C::test};
const Rule bind_einval_v6_multicast{"linux.bind.einval.v6-multicast", "linux", "AF_INET6 stream socket binding a multicast address", "EINVAL", "__inet6_bind (semantics.md §2.2 #3)", C::code};
const Rule bind_eaddrnotavail_not_local{"linux.bind.eaddrnotavail.not-local", "linux", "the address is not local and neither ip_nonlocal_bind nor IP_FREEBIND is set", "EADDRNOTAVAIL", "__inet_bind inet_addr_valid_or_nonlocal (semantics.md §2.2 #4)", C::test};
const Rule bind_eacces_privileged{"linux.bind.eacces.privileged-port", "linux", "port below ip_unprivileged_port_start and the owner uid is not 0 (CAP_NET_BIND_SERVICE modelled as uid 0)", "EACCES", "__inet_bind (semantics.md §2.2 #5)", C::test};
const Rule bind_einval_already_bound{"linux.bind.einval.already-bound", "linux", "the socket is not CLOSE or already has a port", "EINVAL", "__inet_bind (semantics.md §2.2 #6)", C::test};
const Rule bind_einval_v6only_mapped{"linux.bind.einval.v6only-mapped", "linux", "IPV6_V6ONLY socket binding a v4-mapped address", "EINVAL", "__inet6_bind (semantics.md §2.2 #7)", C::test};
const Rule bind_einval_link_local_scope{"linux.bind.einval.link-local-scope", "linux", "link-local IPv6 address without a bound device", "EINVAL", "__inet6_bind (semantics.md §2.2 #8)", C::code};
const Rule bind_port0_ok{"linux.bind.port0.ok", "linux", "bind(addr, 0): first free port in the scan (odd ports first; SO_REUSEADDR scans the lower half first)", "0", "inet_csk_find_open_port (semantics.md §2.10)", C::test};
const Rule bind_port0_autobind_reuse{"linux.bind.port0.autobind-reuse", "linux", "bind(addr, 0) with no free port: ip_autobind_reuse picked a port whose owners all have SO_REUSEADDR and are not listening", "0", "inet_csk_find_open_port relax pass (semantics.md §2.9)", C::code};
const Rule bind_port0_exhausted{"linux.bind.port0.exhausted", "linux", "bind(addr, 0) found no usable port in ip_local_port_range", "EADDRINUSE", "inet_csk_get_port returns -EADDRINUSE (semantics.md §2.10)", C::test};
const Rule bind_no_port_deferred{"linux.bind.no-port.deferred", "linux", "IP_BIND_ADDRESS_NO_PORT with port 0: only the address is recorded; the port is chosen at connect()", "0", "__inet_bind BIND_NO_CAP_NET_BIND_SERVICE/IP_BIND_ADDRESS_NO_PORT (semantics.md §2.9)", C::test};
const Rule listen_ok{"linux.listen.ok", "linux", "the re-check with the socket in LISTEN finds no conflict", "0", "inet_csk_listen_start -> get_port (semantics.md §2.6)", C::test};
const Rule listen_again{"linux.listen.again", "linux", "listen() on a listening socket only changes the backlog", "0", "__inet_listen_sk (semantics.md §2.6)", C::code};
const Rule listen_einval_state{"linux.listen.einval.state", "linux", "listen() on a socket that is neither CLOSE nor LISTEN", "EINVAL", "__inet_listen_sk (semantics.md §2.6)", C::test};
const Rule listen_conflict_no_reuse{"linux.listen.conflict.no-reuse", "linux", "re-check at listen(): an overlapping owner without shared reuse options", "EADDRINUSE", "inet_csk_listen_start -> inet_csk_bind_conflict (semantics.md §2.6)", C::test};
const Rule listen_conflict_reuseaddr_existing_listens{"linux.listen.conflict.reuseaddr-existing-listens", "linux", "re-check at listen(): both SO_REUSEADDR but the other socket already listens (whoever listens second loses)", "EADDRINUSE", "inet_csk_listen_start -> inet_bind_conflict (semantics.md §2.6 table)", C::test};
const Rule listen_conflict_reuseport_uid{"linux.listen.conflict.reuseport-uid", "linux", "re-check at listen(): SO_REUSEPORT owner of another uid", "EADDRINUSE", "inet_bind_conflict uid rule (semantics.md §2.3, §2.6)", C::code};
const Rule listen_autobind_exhausted{"linux.listen.autobind-exhausted", "linux", "listen() without a port found no ephemeral port", "EADDRINUSE", "inet_csk_listen_start (semantics.md §2.6)", C::code};
const Rule connect_eisconn{"linux.connect.eisconn", "linux", "connect() on a connected or listening socket", "EISCONN", "inet_stream_connect (semantics.md §2.7)", C::test};
const Rule connect_ealready{"linux.connect.ealready", "linux", "connect() while a non-blocking connect is in progress", "EALREADY", "__inet_stream_connect SS_CONNECTING", C::code};
const Rule connect_eafnosupport{"linux.connect.eafnosupport", "linux", "an IPv6 destination given to an AF_INET socket", "EAFNOSUPPORT", "tcp_v4_connect (semantics.md §2.7)", C::code};
const Rule connect_einval_short_addr{"linux.connect.einval.short-addr", "linux", "an IPv4 sockaddr given to an AF_INET6 socket", "EINVAL", "tcp_v6_connect addr_len check (semantics.md §2.7)", C::code};
const Rule connect_enetunreach{"linux.connect.enetunreach", "linux", "no route to the destination, or a multicast/broadcast destination", "ENETUNREACH", "ip_route_connect (semantics.md §2.7)", C::code};
const Rule connect_bound_ok{"linux.connect.bound.ok", "linux", "the socket owns its port and the exact 4-tuple is free", "0", "__inet_check_established (semantics.md §2.7)", C::test};
const Rule connect_bound_tuple_in_use{"linux.connect.bound.tuple-in-use", "linux", "the exact 4-tuple belongs to a socket that is not TIME-WAIT", "EADDRNOTAVAIL", "__inet_check_established (semantics.md §2.7)", C::test};
const Rule connect_bound_time_wait_reused{"linux.connect.bound.time-wait-reused", "linux", "the 4-tuple is in TIME-WAIT and that connection recorded a peer timestamp: the TIME-WAIT is recycled at once, whatever tcp_tw_reuse says", "0", "tcp_twsk_unique with twp == NULL (semantics.md §2.7, §8 correction 1)", C::test};
const Rule connect_bound_time_wait_no_timestamps{"linux.connect.bound.time-wait-no-timestamps", "linux", "the 4-tuple is in TIME-WAIT and that connection saw no peer timestamp", "EADDRNOTAVAIL", "tcp_twsk_unique: tw_ts_recent_stamp == 0 (semantics.md §2.7)", C::test};
const Rule connect_autobind_ok{"linux.connect.autobind.ok", "linux", "connect() picked an ephemeral port (per-destination hash, low's parity first, ports owned by bind() skipped)", "0", "__inet_hash_connect (semantics.md §2.10)", C::test};
const Rule connect_autobind_time_wait_reused{"linux.connect.autobind.time-wait-reused", "linux", "connect() recycled a TIME-WAIT 4-tuple: timestamps seen, tcp_tw_reuse allows it (2 = loopback only) and tcp_tw_reuse_delay has passed since TIME-WAIT began", "0", "tcp_twsk_unique (Linux >= 6.14 threshold) (semantics.md §2.7)", C::test};
const Rule connect_autobind_exhausted{"linux.connect.autobind.exhausted", "linux", "connect() found no usable ephemeral port for this destination", "EADDRNOTAVAIL", "__inet_hash_connect (semantics.md §2.7, §2.10)", C::test};
const Rule connect_refused{"linux.connect.refused", "linux", "the peer answered the SYN with RST (nothing listening)", "ECONNREFUSED", "tcp_reset in SYN-SENT (RFC 9293 3.10.7.3)", C::code};
const Rule connect_timeout{"linux.connect.timeout", "linux", "no answer to the SYN after tcp_syn_retries retransmissions", "ETIMEDOUT", "tcp_write_timeout (tcp_syn_retries, initial RTO 1 s)", C::code};
const Rule connect_reset{"linux.connect.reset", "linux", "the connection was reset while connecting", "ECONNRESET", "tcp_reset", C::code};
const Rule connect_async_completed{"linux.connect.async-completed", "linux", "connect() on a socket still SS_CONNECTING from a non-blocking connect() whose handshake has completed (the connection may have moved on, but is not CLOSE)", "0", "__inet_stream_connect: SS_CONNECTING, not SYN-SENT/SYN-RECV, not CLOSE -> SS_CONNECTED", C::test};
const Rule connect_async_aborted{"linux.connect.async-aborted", "linux", "connect() on a socket still SS_CONNECTING (or a blocking connect() waking up) whose connection is over (CLOSE) and whose error, if any, was already reported", "ECONNABORTED", "__inet_stream_connect sock_error: sock_error(sk) ?: -ECONNABORTED; SS_UNCONNECTED, tcp_disconnect", C::code};
const Rule connect_einval_disconnecting{"linux.connect.einval.disconnecting", "linux", "connect() after shutdown() of a socket that was SS_CONNECTING in SYN-RECV or CLOSE (now SS_DISCONNECTING; from SYN-SENT, shutdown() disconnects it to SS_UNCONNECTED instead)", "EINVAL", "inet_shutdown -> SS_DISCONNECTING; __inet_stream_connect default case", C::test};
const Rule accept_ok{"linux.accept.ok", "linux", "a completed connection was taken from the accept queue", "fd", "inet_csk_accept", C::code};
const Rule accept_einval{"linux.accept.einval", "linux", "accept() on a socket that is not listening", "EINVAL", "inet_csk_accept", C::code};
const Rule accept_eagain{"linux.accept.eagain", "linux", "non-blocking accept() with an empty queue", "EAGAIN", "inet_csk_accept", C::code};
const Rule send_ok{"linux.send.ok", "linux", "bytes queued for sending", "bytes", "tcp_sendmsg_locked", C::code};
const Rule send_epipe{"linux.send.epipe", "linux", "send() on a socket that is not connected or was shut down for writing", "EPIPE", "tcp_sendmsg_locked / sk_stream_wait_connect", C::code};
const Rule send_eagain{"linux.send.eagain", "linux", "non-blocking send() with a full send buffer", "EAGAIN", "sk_stream_wait_memory", C::code};
const Rule send_pending_error{"linux.send.pending-error", "linux", "the connection was reset; the error is reported once", "ECONNRESET", "sock_error", C::code};
const Rule recv_ok{"linux.recv.ok", "linux", "bytes taken from the receive queue", "bytes", "tcp_recvmsg", C::code};
const Rule recv_eof{"linux.recv.eof", "linux", "the peer's FIN was received (or SHUT_RD) and the queue is empty", "0", "tcp_recvmsg RCV_SHUTDOWN", C::code};
const Rule recv_enotconn{"linux.recv.enotconn", "linux", "recv() on a socket that never connected", "ENOTCONN", "tcp_recvmsg TCP_LISTEN/CLOSE", C::code};
const Rule recv_eagain{"linux.recv.eagain", "linux", "non-blocking recv() with nothing queued", "EAGAIN", "tcp_recvmsg", C::code};
const Rule recv_pending_error{"linux.recv.pending-error", "linux", "the connection was reset; the error is reported once", "ECONNRESET", "sock_error", C::code};
const Rule shutdown_ok{"linux.shutdown.ok", "linux", "shutdown() on a connected socket (SHUT_WR sends FIN)", "0", "inet_shutdown / tcp_shutdown", C::code};
const Rule shutdown_enotconn{"linux.shutdown.enotconn", "linux", "shutdown() on a socket that is not connected", "ENOTCONN", "inet_shutdown TCP_CLOSE", C::code};
const Rule close_fin{"linux.close.fin", "linux", "graceful close: FIN sent (ESTABLISHED -> FIN-WAIT-1, CLOSE-WAIT -> LAST-ACK)", "0", "__tcp_close tcp_close_state (semantics.md §2.12 step 6)", C::test};
const Rule close_unread_data_rst{"linux.close.unread-data-rst", "linux", "unread received data at close(): RST, no TIME-WAIT", "0", "__tcp_close data_was_unread (RFC 2525; semantics.md §2.12 step 4)", C::test};
const Rule close_linger0_rst{"linux.close.linger0-rst", "linux", "SO_LINGER {1, 0}: RST (ESTABLISHED, CLOSE-WAIT, FIN-WAIT-1/2, SYN-RECV), no TIME-WAIT", "0", "__tcp_close -> tcp_disconnect (semantics.md §2.12 step 5)", C::test};
const Rule close_linger0_no_rst{"linux.close.linger0-no-rst", "linux", "SO_LINGER {1, 0} in a state where tcp_disconnect sends no RST (SYN-SENT, or nothing left to reset)", "0", "tcp_disconnect (semantics.md §2.12 step 5)", C::code};
const Rule close_already_closed{"linux.close.already-closed", "linux", "the socket is already CLOSE (never connected, reset, or its connection is in TIME-WAIT): nothing is sent and an existing TIME-WAIT is not touched", "0", "__tcp_close TCP_CLOSE (semantics.md §2.12 step 3)", C::test};
const Rule close_listener{"linux.close.listener", "linux", "close of a listener: un-accepted connections are reset", "0", "inet_csk_listen_stop (semantics.md §2.12 step 1)", C::test};
const Rule close_linger_wait{"linux.close.linger-wait", "linux", "SO_LINGER {1, N>0}: close() waits up to N s for the FIN to be ACKed, even on a non-blocking socket, and returns 0", "0", "sk_stream_wait_close (semantics.md §2.12 step 7)", C::test};
const Rule close_no_connection{"linux.close.no-connection", "linux", "close of a socket with no connection (bound or fresh): it leaves the bind table", "0", "inet_release / inet_put_port", C::code};
const Rule setsockopt_ok{"linux.setsockopt.ok", "linux", "option set", "0", "sk_setsockopt / do_ip_setsockopt / do_ipv6_setsockopt / do_tcp_setsockopt", C::code};
const Rule setsockopt_einval{"linux.setsockopt.einval", "linux", "value out of range, or IPV6_V6ONLY on a bound socket", "EINVAL", "do_ipv6_setsockopt / sk_setsockopt", C::code};
const Rule setsockopt_enoprotoopt{"linux.setsockopt.enoprotoopt", "linux", "the option does not exist on Linux or not for this family (IPv6 option on AF_INET)", "ENOPROTOOPT", "ip_setsockopt level check", C::inferred};
const Rule setsockopt_enodev{"linux.setsockopt.enodev", "linux", "SO_BINDTODEVICE with an unknown device", "ENODEV", "sock_bindtoindex", C::code};
const Rule getsockopt_ok{"linux.getsockopt.ok", "linux", "option read", "value", "sk_getsockopt", C::code};
const Rule getsockname_ok{"linux.getsockname.ok", "linux", "local address and port (port 0 while IP_BIND_ADDRESS_NO_PORT defers it)", "address", "inet_getname", C::test};
const Rule socket_ok{"linux.socket.ok", "linux", "a new socket; its owner uid is fixed now", "fd", "inet_create (sock_i_uid captured at creation, semantics.md §2.3)", C::code};
const Rule ebadf{"linux.ebadf", "linux", "the descriptor is not open", "EBADF", "fdget", C::code};
const Rule time_wait_enter{"linux.time-wait.enter", "linux", "the active closer enters TIME-WAIT for 60 s (TCP_TIMEWAIT_LEN, not tunable); the entry keeps the socket's SO_REUSEADDR/SO_REUSEPORT, address and device", "TIME-WAIT", "tcp_time_wait / inet_twsk_alloc (semantics.md §2.11)", C::test};
const Rule time_wait_overflow{"linux.time-wait.overflow", "linux", "tcp_max_tw_buckets reached: the socket closes without TIME-WAIT", "CLOSED", "inet_twsk_alloc returns NULL (semantics.md §2.11)", C::test};
const Rule time_wait_expire{"linux.time-wait.expire", "linux", "the TIME-WAIT (or FIN-WAIT-2 substate) timer expired", "CLOSED", "inet_twsk_kill (semantics.md §2.11)", C::code};
const Rule time_wait_rearm{"linux.time-wait.rearm", "linux", "a retransmitted FIN or in-window ACK re-arms the 60 s timer", "TIME-WAIT", "tcp_timewait_state_process inet_twsk_reschedule (semantics.md §2.8)", C::code};
const Rule time_wait_rst_kill{"linux.time-wait.rst-kill", "linux", "an in-window RST kills the TIME-WAIT (tcp_rfc1337=0, the default)", "CLOSED", "tcp_timewait_state_process (semantics.md §2.8)", C::code};
const Rule time_wait_syn_accepted{"linux.time-wait.syn-accepted", "linux", "a SYN newer than the TIME-WAIT (sequence after rcv_nxt, or newer timestamp) is handed to a listener; ISN = tw_snd_nxt + 65537", "SYN-RECEIVED", "tcp_timewait_state_process TCP_TW_SYN (semantics.md §2.8)", C::test};
const Rule fin_wait_2_orphan{"linux.fin-wait-2.orphan", "linux", "an orphaned FIN-WAIT-2 lives tcp_fin_timeout (or TCP_LINGER2) seconds, at least 3.5 RTO, as a TIME-WAIT minisocket with substate FIN-WAIT-2", "FIN-WAIT-2", "tcp_close / tcp_fin_time (semantics.md §2.11)", C::test};
const Rule fin_wait_2_linger2_rst{"linux.fin-wait-2.linger2-rst", "linux", "TCP_LINGER2 < 0: an orphan reaching FIN-WAIT-2 is reset at once", "CLOSED", "tcp_close linger2 < 0 (semantics.md §2.11)", C::code};
const Rule orphan_data_rst{"linux.orphan.data-rst", "linux", "new data arriving at a closed (orphaned) socket, or at one in FIN-WAIT-1/2 shut down for reading (SHUT_RD), is answered with RST", "CLOSED", "tcp_rcv_state_process RCV_SHUTDOWN abort-on-data (TCPAbortOnData)", C::test};
const Rule setsockopt_reuse_after_bind{"linux.setsockopt.reuse-after-bind", "linux", "SO_REUSEADDR/SO_REUSEPORT set after bind() count at the next conflict check: inet_bind_conflict reads sk_reuse each time (the seed's bind(0)-then-SO_REUSEADDR case)", "0", "inet_bind_conflict (semantics.md §2.3, shared/README.md)", C::code};
const Rule listener_no_match_rst{"linux.segment.no-socket-rst", "linux", "a segment for which no socket exists is answered with RST", "RST", "tcp_v4_send_reset (RFC 9293 3.10.7.1)", C::code};
const Rule bind_fast_path_reuseaddr{"linux.bind.fast-path.reuseaddr", "linux", "the port's bind bucket remembers that every socket joined it with SO_REUSEADDR and not listening (tb->fastreuse > 0): a socket with SO_REUSEADDR is admitted without a look at the owners, even one that has cleared SO_REUSEADDR since. Before 6.8 only (linux-4.4): since 'tcp: Link bhash2 to bhash' tb->fastreuse never becomes 1", "0", "inet_csk_get_port: tb->fastreuse > 0 && reuse; inet_csk_update_fastreuse first-owner branch", C::inferred};
const Rule bind_fast_path_reuseport{"linux.bind.fast-path.reuseport", "linux", "the port's bind bucket remembers a SO_REUSEPORT socket of this uid whose address covers this one (tb->fastreuseport, sk_reuseport_match): admitted without a look at the owners, even one without SO_REUSEPORT that joined before a later bind()/listen() reset the cache to FASTREUSEPORT_STRICT", "0", "inet_csk_get_port: sk_reuseport_match; inet_csk_update_fastreuse (corrects semantics.md §2.3 'the fast paths must give the same answer'; differential soak seed 10539985514226835962)", C::test};
const Rule listen_fast_path_reuseport{"linux.listen.fast-path.reuseport", "linux", "the listen() re-check is skipped: the port's bind bucket remembers a SO_REUSEPORT socket of this uid whose address covers this one (sk_reuseport_match)", "0", "inet_csk_listen_start -> inet_csk_get_port: sk_reuseport_match", C::code};
const Rule v44_bind_fast_path_reuseport{"linux-4.4.bind.fast-path.reuseport", "linux-4.4", "before 4.14: tb->fastreuseport > 0 (every socket joined with SO_REUSEPORT and this uid) admits a SO_REUSEPORT socket of the same uid whatever its address; a non-matching socket clears it for good", "0", "inet_csk_get_port before commit 637bc8bbe6c0 (no FASTREUSEPORT_STRICT)", C::inferred};
const Rule v613_time_wait_reused{"linux-6.13.connect.autobind.time-wait-reused", "linux-6.13", "before 6.14: tcp_tw_reuse may recycle a TIME-WAIT once the clock is in a later second than the last peer timestamp (0-1 s); tcp_tw_reuse_delay does not exist", "0", "tcp_twsk_unique before commits 19ce8cd30465/ca6a6f93867a (semantics.md §2.7)", C::doc};
const Rule v44_port0_ok{"linux-4.4.bind.port0.ok", "linux-4.4", "before 4.6: bind(addr, 0) starts at a random port and walks the whole range one by one (no odd-port preference, no SO_REUSEADDR half split)", "0", "inet_csk_get_port before commit ea8add2b1903 (semantics.md §2.10 history)", C::doc};
const Rule v44_port0_exhausted{"linux-4.4.bind.port0.exhausted", "linux-4.4", "before 4.6: no free port", "EADDRINUSE", "inet_csk_get_port (semantics.md §2.10)", C::doc};
const Rule v44_connect_ok{"linux-4.4.connect.autobind.ok", "linux-4.4", "4.2-5.11: connect() walks the range one by one from an even offset = per-destination hash + a global hint (RFC 6056 Algorithm 3); the hint moves on by the ports tried", "0", "__inet_hash_connect after commit 07f4c90062f8, before 190cc82489f4 (semantics.md §2.10 history)", C::doc};
const Rule v44_connect_exhausted{"linux-4.4.connect.autobind.exhausted", "linux-4.4", "no usable port for this destination", "EADDRNOTAVAIL", "__inet_hash_connect (semantics.md §2.10)", C::doc};
const Rule v44_time_wait_reused{"linux-4.4.connect.autobind.time-wait-reused", "linux-4.4", "tcp_tw_reuse=1 (boolean, default 0 before 4.18/4.19) recycles a TIME-WAIT once the clock is in a later second than the last peer timestamp", "0", "tcp_twsk_unique (semantics.md §2.7 history)", C::doc};
// clang-format on
}  // namespace linux_rule

namespace {

using namespace linux_rule;

#define PORTLAB_RULE_PTR(n) &linux_rule::n,
constexpr std::array kLinuxRules{PORTLAB_LINUX_RULES(PORTLAB_RULE_PTR)};
#undef PORTLAB_RULE_PTR

// clang-format off
constexpr std::array<KnobSpec, 14> kLinuxKnobs{{
    {"net.ipv4.ip_local_port_range", KnobKind::port_range, 1, 65535, "32768 60999", "ephemeral port range", "Documentation/networking/ip-sysctl.rst; default since 4.2 (semantics.md §2.10)"},
    {"net.ipv4.ip_local_reserved_ports", KnobKind::port_set, 0, 65535, "", "ports skipped by bind(0) and connect() autobind", "ip-sysctl.rst (semantics.md §2.9)"},
    {"net.ipv4.tcp_tw_reuse", KnobKind::integer, 0, 2, "2", "recycle TIME-WAIT for autobind connect(): 0 off, 1 on, 2 loopback only", "tcp_twsk_unique (semantics.md §2.7)"},
    {"net.ipv4.tcp_tw_reuse_delay", KnobKind::integer, 1, 2000000, "1000", "ms after TIME-WAIT entry before tcp_tw_reuse may recycle it (Linux >= 6.14)", "commit ca6a6f93867a (semantics.md §2.7)"},
    {"net.ipv4.tcp_timestamps", KnobKind::integer, 0, 2, "1", "send and accept RFC 7323 timestamps", "tcp_syn_options"},
    {"net.ipv4.tcp_fin_timeout", KnobKind::integer, 1, 2147483, "60", "lifetime (s) of an orphaned FIN-WAIT-2", "tcp_fin_time (semantics.md §2.11)"},
    {"net.ipv4.tcp_max_tw_buckets", KnobKind::integer, 0, 2147483647, "131072", "TIME-WAIT entries at most; beyond, sockets close without TIME-WAIT", "inet_twsk_alloc (semantics.md §2.11)"},
    {"net.ipv4.ip_autobind_reuse", KnobKind::integer, 0, 1, "0", "bind(0) may share a port whose owners all have SO_REUSEADDR", "inet_csk_find_open_port (semantics.md §2.9)"},
    {"net.ipv6.bindv6only", KnobKind::integer, 0, 1, "0", "default of IPV6_V6ONLY for new AF_INET6 sockets", "inet6_create (semantics.md §2.4)"},
    {"net.ipv4.ip_unprivileged_port_start", KnobKind::integer, 0, 65536, "1024", "ports below need CAP_NET_BIND_SERVICE (modelled as uid 0)", "__inet_bind (semantics.md §2.2)"},
    {"net.ipv4.tcp_rfc1337", KnobKind::integer, 0, 1, "0", "1: RST does not kill TIME-WAIT", "tcp_timewait_state_process (semantics.md §2.8)"},
    {"net.ipv4.ip_nonlocal_bind", KnobKind::integer, 0, 1, "0", "allow bind() to non-local addresses", "inet_addr_valid_or_nonlocal (semantics.md §2.9)"},
    {"net.ipv4.tcp_syn_retries", KnobKind::integer, 1, 127, "6", "SYN retransmissions before connect() fails with ETIMEDOUT", "tcp_write_timeout"},
    {"net.ipv6.ip_nonlocal_bind", KnobKind::integer, 0, 1, "0", "allow an AF_INET6 bind() to non-local IPv6 addresses (a v4-mapped address follows net.ipv4.ip_nonlocal_bind)", "__inet6_bind: ipv6_can_nonlocal_bind; inet_addr_valid_or_nonlocal for v4-mapped"},
}};
// clang-format on

// Why an overlapping owner E blocks or admits N; inet_bind_conflict (6.12) reduced to the model.
enum class Verdict { no_conflict_shared_reuseaddr, no_conflict_shared_reuseport, conflict_no_reuse,
                     conflict_reuseaddr_listens, conflict_reuseport_uid };

Verdict judge(const BindOwnerView& n, const BindOwnerView& e, bool relax, bool reuseport_ok) {
  const bool reuseport_shares = n.reuseport && e.reuseport && (e.time_wait || n.uid == e.uid);
  if (n.reuseaddr && e.reuseaddr && !e.listening) {
    // relax=false (bind(0) first pass) makes every overlapping owner a conflict.
    if (!relax) return Verdict::conflict_no_reuse;
    if (!reuseport_ok && reuseport_shares) return Verdict::conflict_no_reuse;
    return Verdict::no_conflict_shared_reuseaddr;
  }
  if (reuseport_ok && reuseport_shares) return Verdict::no_conflict_shared_reuseport;
  if (n.reuseaddr && e.reuseaddr && e.listening && !(n.reuseport && e.reuseport))
    return Verdict::conflict_reuseaddr_listens;
  if (n.reuseaddr && e.reuseaddr && e.listening) return Verdict::conflict_reuseport_uid;
  if (n.reuseport && e.reuseport) return Verdict::conflict_reuseport_uid;
  return Verdict::conflict_no_reuse;
}

// The IPv4 view of a bound address (sk_rcv_saddr): nullopt for a pure IPv6 address.
std::optional<IpAddress> v4_view(const BindOwnerView& s) {
  if (s.family == Family::inet) return s.addr;
  if (s.addr.is_wildcard()) return IpAddress::any(Family::inet);
  return s.addr.unmapped_v4();
}

// inet_rcv_saddr_equal(sk=n, sk2=e, match_wildcard=true): ipv6_rcv_saddr_equal /
// ipv4_rcv_saddr_equal (semantics.md §2.4).
bool addresses_overlap(const BindOwnerView& n, const BindOwnerView& e) {
  if (n.family == Family::inet) {
    if (e.v6only) return false;
    auto e4 = v4_view(e);
    if (!e4) return false;
    return n.addr == *e4 || n.addr.is_wildcard() || e4->is_wildcard();
  }
  // N is AF_INET6. An AF_INET owner looks like a v4-mapped address to this code.
  const bool n_mapped = n.addr.is_v4_mapped();
  const bool n_any = n.addr.is_wildcard();
  const bool e_is_v6 = e.family == Family::inet6;
  const bool e_mapped = !e_is_v6 || e.addr.is_v4_mapped();
  const bool e_any = e_is_v6 && e.addr.is_wildcard();
  if (n_mapped && e_mapped) {
    if (e.v6only) return false;
    auto n4 = v4_view(n);
    auto e4 = v4_view(e);
    return *n4 == *e4 || n4->is_wildcard() || e4->is_wildcard();
  }
  if (n_any && e_any) return true;
  if (e_any && !(e.v6only && n_mapped)) return true;
  if (n_any && !(n.v6only && e_mapped)) return true;
  return e_is_v6 && n.addr == e.addr;
}

bool devices_compatible(const BindOwnerView& n, const BindOwnerView& e) {
  return n.device.empty() || e.device.empty() || n.device == e.device;
}

// sk_reuseport_match's address test: ipv4_rcv_saddr_equal / ipv6_rcv_saddr_equal with sk1 = the
// socket the cache recorded (its wildcard covers everything) and sk2 = N (its wildcard does not).
bool cached_address_covers(const BindBucketCache& c, const BindOwnerView& n) {
  if (c.family == Family::inet) {
    if (n.v6only) return false;
    auto n4 = v4_view(n);
    return n4 && (c.addr == *n4 || c.addr.is_wildcard());
  }
  const bool c_mapped = c.addr.is_v4_mapped();
  const bool n_mapped = n.family == Family::inet || n.addr.is_v4_mapped();
  const bool n_any = n.family == Family::inet6 && n.addr.is_wildcard();
  if (c_mapped && n_mapped) {
    if (n.v6only) return false;
    auto c4 = c.addr.unmapped_v4();
    auto n4 = v4_view(n);
    return c4 && n4 && (*c4 == *n4 || c4->is_wildcard());
  }
  if (c.addr.is_wildcard() && n_any) return true;
  if (c.addr.is_wildcard() && !(c.v6only && n_mapped)) return true;
  return n.family == Family::inet6 && c.addr == n.addr;
}

bool reuseport_cache_matches(const BindBucketCache& c, const BindOwnerView& n) {
  return c.fastreuseport > 0 && n.reuseport && c.fastuid == n.uid &&
         (c.fastreuseport == 1 /* FASTREUSEPORT_ANY */ || cached_address_covers(c, n));
}

// inet_csk_get_port, when the port has owners: `if ((tb->fastreuse > 0 && reuse) ||
// sk_reuseport_match(tb, sk)) goto success;` (reuse = sk_reuse && state != LISTEN).
Decision linux_bind_fast_path(const Knobs&, const BindBucketCache& c, const BindOwnerView& n) {
  if (c.fastreuse > 0 && n.reuseaddr && !n.listening) return {Errno::ok, &bind_fast_path_reuseaddr};
  if (reuseport_cache_matches(c, n)) return {Errno::ok, n.listening ? &listen_fast_path_reuseport : &bind_fast_path_reuseport};
  return {};
}

void remember_reuseport(BindBucketCache& c, const BindOwnerView& n, std::int8_t mode) {
  c.fastreuseport = mode;
  c.fastuid = n.uid;
  c.addr = n.addr;
  c.family = n.family;
  c.v6only = n.v6only;
}

// inet_csk_update_fastreuse, as it behaves since 6.8 ("tcp: Link bhash2 to bhash"): the new
// socket's bhash2 bucket is already linked into tb->bhash2 when it runs, so its first-owner
// branch (`hlist_empty(&tb->bhash2)`: fastreuse = reuse, FASTREUSEPORT_ANY) is never taken.
// tb->fastreuse keeps its creation value (0 from bind(), -1 from connect()) or drops to 0, and
// tb->fastreuseport moves between 0 and FASTREUSEPORT_STRICT. Seen on 6.18.44: a SO_REUSEADDR
// bind next to an owner that cleared SO_REUSEADDR is refused (props/conform-cases/
// reuseport-bucket-cache-admits-conflicting-bind.pls), so tb->fastreuse was not 1.
void linux_bind_cache_update(BindBucketCache& c, const BindOwnerView& n, bool first) {
  if (first) c.fastreuse = c.fastreuseport = 0;  // inet_bind_bucket_create
  const bool reuse = n.reuseaddr && !n.listening;
  if (!reuse) c.fastreuse = 0;
  // "We know that there are no bind conflicts with this socket in this tb, so reset our tb's
  // reuseport settings": the owners that do not share with a later socket are forgotten.
  if (!n.reuseport) c.fastreuseport = 0;
  else if (!reuseport_cache_matches(c, n)) remember_reuseport(c, n, 2);  // FASTREUSEPORT_STRICT
}

Decision linux_bind_decide(const Knobs&, const BindOwnerView& n, std::span<const BindOwnerView> owners, BindMode mode) {
  const bool relax = mode != BindMode::ephemeral_strict;
  const bool reuseport_ok = mode == BindMode::explicit_port || mode == BindMode::listen_recheck;
  const bool listen = mode == BindMode::listen_recheck;
  const Rule* shared = nullptr;
  for (const auto& e : owners) {
    if (!devices_compatible(n, e) || !addresses_overlap(n, e)) continue;
    switch (judge(n, e, relax, reuseport_ok)) {
      case Verdict::no_conflict_shared_reuseaddr:
        if (!shared) shared = &bind_shared_reuseaddr;
        break;
      case Verdict::no_conflict_shared_reuseport:
        if (!shared || shared == &bind_shared_reuseaddr) shared = &bind_shared_reuseport;
        break;
      case Verdict::conflict_no_reuse:
        return {Errno::eaddrinuse, listen ? &listen_conflict_no_reuse : &bind_conflict_no_reuse};
      case Verdict::conflict_reuseaddr_listens:
        return {Errno::eaddrinuse,
                listen ? &listen_conflict_reuseaddr_existing_listens : &bind_conflict_reuseaddr_existing_listens};
      case Verdict::conflict_reuseport_uid:
        return {Errno::eaddrinuse, listen ? &listen_conflict_reuseport_uid : &bind_conflict_reuseport_uid};
    }
  }
  if (listen) return {Errno::ok, &listen_ok};
  return {Errno::ok, shared ? shared : &bind_ok};
}

Decision linux_bound_connect_decide(const Knobs&, const TupleOccupant& o) {
  switch (o.kind) {
    case TupleOccupant::Kind::none:
      return {Errno::ok, &connect_bound_ok};
    case TupleOccupant::Kind::full_socket:
      return {Errno::eaddrnotavail, &connect_bound_tuple_in_use};
    case TupleOccupant::Kind::time_wait:
      // tcp_twsk_unique(sk, tw, twp=NULL): only tw_ts_recent_stamp matters.
      if (o.ts_recent_seen) return {Errno::ok, &connect_bound_time_wait_reused};
      return {Errno::eaddrnotavail, &connect_bound_time_wait_no_timestamps};
  }
  return {Errno::eaddrnotavail, &connect_bound_tuple_in_use};
}

bool linux_autobind_time_wait_reusable(const Knobs& k, const TupleOccupant& o, TimePoint now) {
  std::int64_t reuse = k.integer(linux_knob::tcp_tw_reuse);
  if (o.fin_wait_2_substate) reuse = 0;
  if (reuse == 2 && !o.loopback) reuse = 0;
  if (!o.ts_recent_seen || reuse == 0) return false;
  const auto delay = std::chrono::milliseconds(k.integer(linux_knob::tcp_tw_reuse_delay));
  // tcp_twsk_unique: time_after32(tcp_clock_ms(), tw_entry_stamp + delay), both clocks truncated
  // to milliseconds (semantics.md §2.7): not the truncated difference, which can be 1 ms off.
  using std::chrono::floor;
  using std::chrono::milliseconds;
  return floor<milliseconds>(now.time_since_epoch()) > floor<milliseconds>(o.entered.time_since_epoch()) + delay;
}

// __inet_hash_connect: a port whose bucket bind() created is never shared; otherwise the exact
// 4-tuple must be free or a TIME-WAIT that tcp_twsk_unique lets us recycle.
ConnectPortVerdict linux_connect_port_usable(const Knobs& k, const ConnectPortFacts& f, TimePoint now) {
  if (f.bind_owned) return {};
  switch (f.occupant.kind) {
    case TupleOccupant::Kind::none:
      return {true, false, std::nullopt};
    case TupleOccupant::Kind::full_socket:
      return {};
    case TupleOccupant::Kind::time_wait: {
      if (linux_autobind_time_wait_reusable(k, f.occupant, now)) return {true, true, std::nullopt};
      ConnectPortVerdict v;
      // floor_ms(now) > floor_ms(entered) + delay first holds at the next millisecond after that.
      const auto delay = std::chrono::milliseconds(k.integer(linux_knob::tcp_tw_reuse_delay));
      if (f.occupant.ts_recent_seen)
        v.changes_at = TimePoint{} +
                       std::chrono::floor<std::chrono::milliseconds>(f.occupant.entered.time_since_epoch()) + delay +
                       std::chrono::milliseconds(1);
      return v;
    }
  }
  return {};
}

// inet_csk_find_open_port (6.12): odd ports first (opposite parity to connect()), SO_REUSEADDR
// sockets scan the lower half first, then relax under ip_autobind_reuse.
PortChoice linux_pick_bind_port(const Knobs& k, PortRange range, bool reuseaddr, std::uint32_t& /*last_port*/, Rng& rng,
                                const std::function<bool(std::uint16_t, bool)>& usable) {
  const PortSet& reserved = k.set_of_ports(linux_knob::ip_local_reserved_ports);
  PortChoice choice;
  for (bool relax : {false, true}) {
    if (relax && k.integer(linux_knob::ip_autobind_reuse) == 0) break;
    int attempt_half = reuseaddr ? 1 : 0;
    while (true) {
      std::uint32_t low = range.low;
      std::uint32_t high = std::uint32_t{range.high} + 1;
      if (high - low < 4) attempt_half = 0;
      if (attempt_half) {
        const std::uint32_t half = low + (((high - low) >> 2) << 1);
        if (attempt_half == 1) {
          high = half;
        } else {
          low = half;
        }
      }
      std::uint32_t remaining = high - low;
      if (remaining > 1) remaining &= ~1u;
      std::uint32_t offset = rng.below(remaining) | 1u;
      while (true) {
        std::uint32_t port = low + offset;
        for (std::uint32_t i = 0; i < remaining; i += 2, port += 2) {
          if (port >= high) port -= remaining;
          if (reserved.contains(static_cast<std::uint16_t>(port))) continue;
          ++choice.probes;
          if (usable(static_cast<std::uint16_t>(port), relax)) {
            choice.port = static_cast<std::uint16_t>(port);
            choice.rule = relax ? &bind_port0_autobind_reuse : &bind_port0_ok;
            return choice;
          }
        }
        --offset;
        if (offset & 1u) break;
      }
      if (attempt_half == 1) {
        attempt_half = 2;
        continue;
      }
      break;
    }
  }
  choice.rule = &bind_port0_exhausted;
  choice.err = Errno::eaddrinuse;  // inet_csk_get_port returns -EADDRINUSE
  return choice;
}

// __inet_hash_connect (6.12): RFC 6056 Algorithm 4 with a 2^16 perturbation table; low's parity first.
PortChoice linux_pick_connect_port(const Knobs& k, const ConnectScanInput& in, std::uint32_t& perturb,
                                   std::uint32_t& /*last_port*/, Rng& rng,
                                   const std::function<bool(std::uint16_t)>& usable) {
  const PortSet& reserved = k.set_of_ports(linux_knob::ip_local_reserved_ports);
  PortChoice choice;
  const std::uint32_t low = in.range.low;
  const std::uint32_t high = std::uint32_t{in.range.high} + 1;
  const std::uint32_t step = in.per_socket_range ? 1 : 2;
  std::uint32_t remaining = high - low;
  if (!in.per_socket_range && remaining > 1) remaining &= ~1u;
  std::uint32_t offset = static_cast<std::uint32_t>((perturb + (in.port_offset >> 32)) % remaining);
  if (!in.per_socket_range) offset &= ~1u;
  while (true) {
    std::uint32_t port = low + offset;
    for (std::uint32_t i = 0; i < remaining; i += step, port += step) {
      if (port >= high) port -= remaining;
      if (reserved.contains(static_cast<std::uint16_t>(port))) continue;
      ++choice.probes;
      if (usable(static_cast<std::uint16_t>(port))) {
        // "a little bit of randomness to the next source port"
        i = std::max(i, rng.below(8) * step);
        perturb += i + step;
        choice.port = static_cast<std::uint16_t>(port);
        choice.rule = &connect_autobind_ok;
        return choice;
      }
    }
    if (in.per_socket_range) break;
    ++offset;
    if (!((offset & 1u) && remaining > 1)) break;
  }
  choice.rule = &connect_autobind_exhausted;
  choice.err = Errno::eaddrnotavail;
  return choice;
}

Duration linux_time_wait_duration(const Knobs&) { return std::chrono::seconds(60); }  // TCP_TIMEWAIT_LEN

std::optional<Duration> linux_orphan_fin_wait_2_timeout(const Knobs& k, std::optional<std::int64_t> linger2) {
  if (linger2 && *linger2 < 0) return std::nullopt;
  std::int64_t secs = (linger2 && *linger2 > 0) ? std::min<std::int64_t>(*linger2, 120)  // TCP_FIN_TIMEOUT_MAX
                                                 : k.integer(linux_knob::tcp_fin_timeout);
  Duration d = std::chrono::seconds(secs);
  // tcp_fin_time: at least 3.5 RTO; the model's RTO is TCP_RTO_MIN (200 ms), as on a LAN.
  const Duration floor = std::chrono::milliseconds(700);
  return d < floor ? floor : d;
}

HostParams linux_params(const Knobs& k) {
  HostParams p;
  p.ephemeral = k.range(linux_knob::ip_local_port_range);
  p.timestamps = static_cast<int>(k.integer(linux_knob::tcp_timestamps));
  p.v6only_default = k.integer(linux_knob::bindv6only) != 0;
  p.privileged_below = static_cast<int>(k.integer(linux_knob::ip_unprivileged_port_start));
  p.nonlocal_bind = k.integer(linux_knob::ip_nonlocal_bind) != 0;
  p.nonlocal_bind_v6 = k.integer(linux_knob::ip6_nonlocal_bind) != 0;
  p.syn_retries = static_cast<int>(k.integer(linux_knob::tcp_syn_retries));
  p.max_time_wait = static_cast<std::uint64_t>(k.integer(linux_knob::tcp_max_tw_buckets));
  p.rst_kills_time_wait = k.integer(linux_knob::tcp_rfc1337) == 0;
  // tcp_rcv_synsent_state_process, "Previous FIN/ACK or RST/ACK might be ignored": an
  // unacceptable ACK in SYN-SENT, while icsk_retransmits == 0, re-arms the retransmit timer at
  // TCP_TIMEOUT_MIN (2 jiffies; 8 ms at CONFIG_HZ=250, the Debian and test kernels' value) before
  // the RST goes out (reset_and_undo). Observed on 6.18.44: a SYN that a TIME-WAIT answers with an
  // ACK is refused within one settle of portlab conform, not after the 1 s initial RTO.
  p.syn_sent_bad_ack_retransmit = std::chrono::milliseconds(8);
  // tcp_reset -> tcp_done on a child still in the accept queue: it stays queued in CLOSE with
  // sk_err set; accept() returns it, recv() gives the queued data, then ECONNRESET, then EOF.
  // Observed on 6.18.44-fc-v669 with portlab conform (kKnown "accept-returns-reset-child").
  p.accept_queue_keeps_reset_children = true;
  // tcp_rcv_state_process, TCP_FIN_WAIT1/2: "RFC 1122 says we MUST send a reset" when
  // sk_shutdown & RCV_SHUTDOWN and the segment carries new data: shutdown(SHUT_RDWR) then data
  // from the peer resets both ends (differential soak seed 7841629526941001492).
  p.shut_rd_data_resets = true;
  // tcp_v4_connect: inet_hash_connect fails (the 4-tuple is taken) -> `failure:` ->
  // tcp_set_state(TCP_CLOSE), which puts back a port not locked by bind() (soak seed
  // 17403046728638870307: the port of a bind(0) socket reopened to another connect()).
  p.failed_connect_releases_port = true;
  p.time_wait_syn_by_timestamp = true;  // tcp_timewait_state_process (semantics.md §2.8)
  p.time_wait_for_local_peer = true;
  return p;
}

// __tcp_close: {1,0} -> tcp_disconnect (RST); {1,N} -> sk_stream_wait_close for up to N s,
// O_NONBLOCK not consulted; expiry leaves the orphan to finish normally (semantics.md §2.12).
LingerAction linux_close_linger(const Knobs&, const Linger& l, bool, bool, bool) {
  if (!l.on) return {};
  if (l.seconds == 0) return {LingerAction::Kind::abort, {}, false, Errno::ok, &close_linger0_rst};
  // A negative l_linger is "forever" (>= MAX_SCHEDULE_TIMEOUT/HZ in sk_setsockopt).
  const Duration wait = l.seconds < 0 ? Duration::max() : Duration(std::chrono::seconds(l.seconds));
  return {LingerAction::Kind::wait, wait, false, Errno::ok, &close_linger_wait};
}

bool linux_supports_option(SockOpt o) {
  switch (o) {
    case SockOpt::so_exclusiveaddruse:
    case SockOpt::so_reuseport_lb:
    case SockOpt::so_linger_sec:
    case SockOpt::tcp_exclbind:
      return false;  // no such option number on Linux
    default:
      return true;
  }
}

#define PORTLAB_LINUX_CALL_SLOT(n) .n = &linux_rule::n,
constexpr CallRules kLinuxCalls{PORTLAB_CALL_RULE_SLOTS(PORTLAB_LINUX_CALL_SLOT)};
#undef PORTLAB_LINUX_CALL_SLOT

constexpr SocketLayerRules kLinuxSocketLayer{&connect_async_completed, &connect_async_aborted,
                                             &connect_einval_disconnecting};

// ---- version variants ---------------------------------------------------------------------

// Before 6.14 the tcp_tw_reuse threshold was "a later second than tw_ts_recent_stamp".
bool pre614_time_wait_reusable(const Knobs& k, const TupleOccupant& o, TimePoint now) {
  std::int64_t reuse = k.integer(linux_knob::tcp_tw_reuse);
  if (o.fin_wait_2_substate) reuse = 0;
  if (reuse == 2 && !o.loopback) reuse = 0;
  if (!o.ts_recent_seen || reuse == 0) return false;
  using std::chrono::floor;
  using std::chrono::seconds;
  return floor<seconds>(now.time_since_epoch()) > floor<seconds>(o.ts_recent_stamp.time_since_epoch());
}

ConnectPortVerdict pre614_connect_port_usable(const Knobs& k, const ConnectPortFacts& f, TimePoint now) {
  if (f.bind_owned) return {};
  switch (f.occupant.kind) {
    case TupleOccupant::Kind::none:
      return {true, false, std::nullopt};
    case TupleOccupant::Kind::full_socket:
      return {};
    case TupleOccupant::Kind::time_wait: {
      if (pre614_time_wait_reusable(k, f.occupant, now)) return {true, true, std::nullopt};
      ConnectPortVerdict v;
      // floor_s(now) > floor_s(ts_recent_stamp) first holds at the next whole second.
      if (f.occupant.ts_recent_seen)
        v.changes_at = TimePoint{} + std::chrono::floor<std::chrono::seconds>(f.occupant.ts_recent_stamp.time_since_epoch()) +
                       std::chrono::seconds(1);
      return v;
    }
  }
  return {};
}

// inet_csk_get_port before 4.6: random start, step 1 over the whole range; the first port
// with no bucket, or whose owners do not conflict (relax=false), wins.
PortChoice v44_pick_bind_port(const Knobs& k, PortRange range, bool, std::uint32_t&, Rng& rng,
                              const std::function<bool(std::uint16_t, bool)>& usable) {
  const PortSet& reserved = k.set_of_ports(linux_knob::ip_local_reserved_ports);
  PortChoice c;
  const std::uint32_t low = range.low;
  const std::uint32_t remaining = std::uint32_t{range.high} - low + 1;
  std::uint32_t rover = rng.below(remaining) + low;
  for (std::uint32_t i = 0; i < remaining; ++i) {
    if (!reserved.contains(static_cast<std::uint16_t>(rover))) {
      ++c.probes;
      if (usable(static_cast<std::uint16_t>(rover), false)) {
        c.port = static_cast<std::uint16_t>(rover);
        c.rule = &v44_port0_ok;
        return c;
      }
    }
    if (++rover > range.high) rover = low;
  }
  c.rule = &v44_port0_exhausted;
  c.err = Errno::eaddrinuse;
  return c;
}

// __inet_hash_connect, 4.2-5.11: offset = (hint + port_offset) & ~1, then step 1; the global
// hint (kept in `last_port`) moves on by (i + 2) & ~1 after a success.
PortChoice v44_pick_connect_port(const Knobs& k, const ConnectScanInput& in, std::uint32_t&, std::uint32_t& hint, Rng&,
                                 const std::function<bool(std::uint16_t)>& usable) {
  const PortSet& reserved = k.set_of_ports(linux_knob::ip_local_reserved_ports);
  PortChoice c;
  const std::uint32_t low = in.range.low;
  const std::uint32_t remaining = std::uint32_t{in.range.high} - low + 1;
  const std::uint32_t offset = static_cast<std::uint32_t>(hint + in.port_offset) & ~1u;
  for (std::uint32_t i = 0; i < remaining; ++i) {
    const std::uint32_t port = low + (i + offset) % remaining;
    if (reserved.contains(static_cast<std::uint16_t>(port))) continue;
    ++c.probes;
    if (usable(static_cast<std::uint16_t>(port))) {
      hint += (i + 2) & ~1u;
      c.port = static_cast<std::uint16_t>(port);
      c.rule = &v44_connect_ok;
      return c;
    }
  }
  c.rule = &v44_connect_exhausted;
  c.err = Errno::eaddrnotavail;
  return c;
}

bool v44_supports_option(SockOpt o) {
  if (o == SockOpt::ip_local_port_range) return false;  // added in 6.3
  return linux_supports_option(o);
}

constexpr CallRules v613_calls() {
  CallRules c = kLinuxCalls;
  c.connect_autobind_time_wait_reused = &v613_time_wait_reused;
  return c;
}
constexpr CallRules kLinux613Calls = v613_calls();

constexpr CallRules v44_calls() {
  CallRules c = kLinuxCalls;
  c.connect_autobind_time_wait_reused = &v44_time_wait_reused;
  c.connect_autobind_exhausted = &v44_connect_exhausted;
  return c;
}
constexpr CallRules kLinux44Calls = v44_calls();

// 4.4: tcp_tw_reuse was a boolean defaulting to 0; the rest of the table is as in 6.x (knobs
// that did not exist yet, such as ip_autobind_reuse, keep their 6.x meaning but are never read).
constexpr std::array<KnobSpec, 14> linux44_knobs() {
  auto k = kLinuxKnobs;
  k[linux_knob::tcp_tw_reuse] = {"net.ipv4.tcp_tw_reuse", KnobKind::integer, 0, 1, "0",
                                 "recycle TIME-WAIT for autobind connect() (boolean before 4.18/4.19)",
                                 "tcp_twsk_unique (semantics.md §2.7 history)"};
  return k;
}
constexpr std::array<KnobSpec, 14> kLinux44Knobs = linux44_knobs();

constexpr std::array kLinux613Rules{&v613_time_wait_reused};
constexpr std::array kLinux44Rules{&v44_bind_fast_path_reuseport, &v44_port0_ok, &v44_port0_exhausted, &v44_connect_ok, &v44_connect_exhausted,
                                   &v44_time_wait_reused};

}  // namespace

const Profile& linux_profile() {
  static const Profile p{
      .name = "linux",
      .description = "Linux 6.12 source, behaviour checked on 6.18 (semantics.md §2)",
      .variant_of = "",
      .knobs = kLinuxKnobs,
      .rules = kLinuxRules,
      .calls = &kLinuxCalls,
      .socket_layer = &kLinuxSocketLayer,
      .params = linux_params,
      .bind_decide = linux_bind_decide,
      .listen_rechecks = true,
      .bind_fast_path = linux_bind_fast_path,
      .bind_cache_update = linux_bind_cache_update,
      // sk_clone_lock: newsk->sk_userlocks = sk->sk_userlocks & ~SOCK_BINDPORT_LOCK (checked
      // against 6.18: a reset accepted socket can bind() again).
      .child_keeps_port_lock = false,
      // Found by the differential test (seed 31) on 6.18.44: a listener that autobound a port beside
      // a connect()-made TIME-WAIT, then closed, leaves the port usable by connect() again.
      .bind_bucket_resets_on_release = true,
      .connect_precheck = nullptr,
      .bound_connect_decide = linux_bound_connect_decide,
      .connect_port_usable = linux_connect_port_usable,
      .pick_bind_port = linux_pick_bind_port,
      .pick_connect_port = linux_pick_connect_port,
      .time_wait_duration = linux_time_wait_duration,
      .orphan_fin_wait_2_timeout = linux_orphan_fin_wait_2_timeout,
      .close_linger = linux_close_linger,
      .supports_option = linux_supports_option,
      .map_errno = same_errno,
  };
  return p;
}

}  // namespace portlab::model

namespace portlab::model {

const Profile& linux_613_profile() {
  static const Profile p = [] {
    Profile v = linux_profile();
    v.name = "linux-6.13";
    v.variant_of = "linux";
    v.description = "Linux 5.18-6.13: as linux, but tcp_tw_reuse recycles after a later second, not tcp_tw_reuse_delay (semantics.md §2.7), and a port bind() used stays closed to connect() until its bucket empties";
    v.rules = kLinux613Rules;
    v.calls = &kLinux613Calls;
    v.connect_port_usable = pre614_connect_port_usable;
    v.bind_bucket_resets_on_release = false;  // the change is from 2025, after 6.13
    return v;
  }();
  return p;
}

namespace {

// 4.4 (before commit 637bc8bbe6c0, 4.14): tb->fastreuseport is all-or-nothing, with no address.
Decision v44_bind_fast_path(const Knobs&, const BindBucketCache& c, const BindOwnerView& n) {
  if (c.fastreuse > 0 && n.reuseaddr && !n.listening) return {Errno::ok, &linux_rule::bind_fast_path_reuseaddr};
  if (c.fastreuseport > 0 && n.reuseport && c.fastuid == n.uid) return {Errno::ok, &linux_rule::v44_bind_fast_path_reuseport};
  return {};
}

void v44_bind_cache_update(BindBucketCache& c, const BindOwnerView& n, bool first) {
  const bool reuse = n.reuseaddr && !n.listening;
  if (first) {
    c.fastreuse = reuse ? 1 : 0;
    c.fastreuseport = n.reuseport ? 1 : 0;
    c.fastuid = n.uid;
    return;
  }
  if (c.fastreuse && !reuse) c.fastreuse = 0;
  if (c.fastreuseport && (!n.reuseport || c.fastuid != n.uid)) c.fastreuseport = 0;
}

}  // namespace

const Profile& linux_44_profile() {
  static const Profile p = [] {
    Profile v = linux_profile();
    v.name = "linux-4.4";
    v.variant_of = "linux";
    v.description = "Linux 4.4: bind(0) without odd-port preference or half split, connect() by RFC 6056 Algorithm 3, boolean tcp_tw_reuse off by default (semantics.md §2.10, §2.13)";
    v.knobs = kLinux44Knobs;
    v.rules = kLinux44Rules;
    v.calls = &kLinux44Calls;
    v.connect_port_usable = pre614_connect_port_usable;
    v.pick_bind_port = v44_pick_bind_port;
    v.pick_connect_port = v44_pick_connect_port;
    v.supports_option = v44_supports_option;
    v.bind_fast_path = v44_bind_fast_path;
    v.bind_cache_update = v44_bind_cache_update;
    v.bind_bucket_resets_on_release = false;
    return v;
  }();
  return p;
}

}  // namespace portlab::model
