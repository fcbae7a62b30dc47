// Behaviour that POSIX or RFC 9293 fixes for every OS; where an OS's own source is more specific,
// its profile overrides the slot. Confidence `doc` means the POSIX/RFC text; `inferred` means
// the model assumes the common behaviour because semantics.md says nothing OS-specific.
#include "model/common_rules.h"

#include <array>

namespace portlab::model {
namespace common_rule {
using C = Confidence;
// clang-format off
const Rule bind_einval_short_addr{"tcp.bind.einval.family", "any", "an IPv4 address given to an AF_INET6 socket", "EINVAL", "POSIX bind(): address length/family invalid for the socket", C::inferred};
const Rule bind_eafnosupport{"tcp.bind.eafnosupport", "any", "an IPv6 address given to an AF_INET socket", "EAFNOSUPPORT", "POSIX bind()", C::doc};
const Rule bind_einval_v6_multicast{"tcp.bind.einval.multicast", "any", "a stream socket binding a multicast address", "EINVAL", "RFC 9293: TCP has no multicast", C::inferred};
const Rule bind_eaddrnotavail_not_local{"tcp.bind.eaddrnotavail.not-local", "any", "the address is not one of the host's", "EADDRNOTAVAIL", "POSIX bind()", C::doc};
const Rule bind_eacces_privileged{"tcp.bind.eacces.privileged-port", "any", "a port below the privileged limit, owner uid not 0", "EACCES", "POSIX bind() EACCES", C::doc};
const Rule bind_einval_already_bound{"tcp.bind.einval.already-bound", "any", "the socket already has an address", "EINVAL", "POSIX bind() EINVAL", C::doc};
const Rule bind_einval_v6only_mapped{"tcp.bind.einval.v6only-mapped", "any", "an IPV6_V6ONLY socket binding a v4-mapped address", "EINVAL", "RFC 3493 §5.3", C::inferred};
const Rule bind_einval_link_local_scope{"tcp.bind.einval.link-local-scope", "any", "a link-local IPv6 address without a scope", "EINVAL", "RFC 4007", C::inferred};
const Rule bind_no_port_deferred{"tcp.bind.no-port.deferred", "any", "IP_BIND_ADDRESS_NO_PORT is a Linux option; never reached elsewhere", "0", "Linux only", C::code};
const Rule listen_ok{"tcp.listen.ok", "any", "listen() on a bound socket", "0", "POSIX listen()", C::doc};
const Rule listen_again{"tcp.listen.again", "any", "listen() on a listening socket changes the backlog", "0", "POSIX listen()", C::inferred};
const Rule listen_einval_state{"tcp.listen.einval.state", "any", "listen() on a connected socket", "EINVAL", "POSIX listen() EINVAL", C::doc};
const Rule listen_autobind_exhausted{"tcp.listen.autobind-exhausted", "any", "listen() without a port found no ephemeral port", "EADDRINUSE", "POSIX listen() EADDRINUSE", C::inferred};
const Rule connect_eisconn{"tcp.connect.eisconn", "any", "connect() on a connected or listening socket", "EISCONN", "POSIX connect() EISCONN", C::doc};
const Rule connect_ealready{"tcp.connect.ealready", "any", "connect() while a non-blocking connect is in progress", "EALREADY", "POSIX connect() EALREADY", C::doc};
const Rule connect_eafnosupport{"tcp.connect.eafnosupport", "any", "an IPv6 destination given to an AF_INET socket", "EAFNOSUPPORT", "POSIX connect()", C::doc};
const Rule connect_einval_short_addr{"tcp.connect.einval.family", "any", "an IPv4 destination given to an AF_INET6 socket", "EINVAL", "POSIX connect()", C::inferred};
const Rule connect_enetunreach{"tcp.connect.enetunreach", "any", "no route to the destination, or a multicast destination", "ENETUNREACH", "POSIX connect() ENETUNREACH", C::doc};
const Rule connect_autobind_time_wait_reused{"tcp.connect.autobind.time-wait-reused", "any", "connect() reused a TIME-WAIT 4-tuple", "0", "RFC 6191", C::inferred};
const Rule connect_autobind_exhausted{"tcp.connect.autobind.exhausted", "any", "connect() found no ephemeral port", "EADDRNOTAVAIL", "POSIX connect() EADDRNOTAVAIL", C::doc};
const Rule connect_refused{"tcp.connect.refused", "any", "the peer answered the SYN with RST", "ECONNREFUSED", "RFC 9293 3.10.7.3", C::doc};
const Rule connect_timeout{"tcp.connect.timeout", "any", "the SYN was never answered", "ETIMEDOUT", "RFC 9293 3.8.3 (user timeout)", C::doc};
const Rule connect_reset{"tcp.connect.reset", "any", "the connection was reset", "ECONNRESET", "RFC 9293 3.10.7.4", C::doc};
const Rule accept_ok{"tcp.accept.ok", "any", "a completed connection was taken from the accept queue", "fd", "POSIX accept()", C::doc};
const Rule accept_einval{"tcp.accept.einval", "any", "accept() on a socket that is not listening", "EINVAL", "POSIX accept() EINVAL", C::doc};
const Rule accept_eagain{"tcp.accept.eagain", "any", "non-blocking accept() with an empty queue", "EAGAIN", "POSIX accept() EAGAIN", C::doc};
const Rule send_ok{"tcp.send.ok", "any", "bytes queued for sending", "bytes", "POSIX send()", C::doc};
const Rule send_epipe{"tcp.send.epipe", "any", "send() after the socket was shut down for writing, or on a closed connection", "EPIPE", "POSIX send() EPIPE", C::doc};
const Rule send_eagain{"tcp.send.eagain", "any", "non-blocking send() with a full send buffer", "EAGAIN", "POSIX send() EAGAIN", C::doc};
const Rule send_pending_error{"tcp.send.pending-error", "any", "the connection was reset; the error is reported once", "ECONNRESET", "POSIX send() ECONNRESET", C::doc};
const Rule recv_ok{"tcp.recv.ok", "any", "bytes taken from the receive queue", "bytes", "POSIX recv()", C::doc};
const Rule recv_eof{"tcp.recv.eof", "any", "the peer's FIN was received and the queue is empty", "0", "POSIX recv()", C::doc};
const Rule recv_enotconn{"tcp.recv.enotconn", "any", "recv() on a socket that never connected", "ENOTCONN", "POSIX recv() ENOTCONN", C::doc};
const Rule recv_eagain{"tcp.recv.eagain", "any", "non-blocking recv() with nothing queued", "EAGAIN", "POSIX recv() EAGAIN", C::doc};
const Rule recv_pending_error{"tcp.recv.pending-error", "any", "the connection was reset; the error is reported once", "ECONNRESET", "POSIX recv() ECONNRESET", C::doc};
const Rule shutdown_ok{"tcp.shutdown.ok", "any", "shutdown() on a connected socket (SHUT_WR sends FIN)", "0", "POSIX shutdown(); RFC 9293 CLOSE", C::doc};
const Rule shutdown_enotconn{"tcp.shutdown.enotconn", "any", "shutdown() on a socket that is not connected", "ENOTCONN", "POSIX shutdown() ENOTCONN", C::doc};
const Rule close_fin{"tcp.close.fin", "any", "graceful close: FIN sent", "0", "RFC 9293 3.10.4", C::doc};
const Rule close_unread_data_rst{"tcp.close.unread-data-rst", "any", "unread received data at close(): RST", "0", "RFC 2525 §2.17", C::inferred};
const Rule close_linger0_rst{"tcp.close.linger0-rst", "any", "SO_LINGER {1, 0}: abortive close, RST, no TIME-WAIT", "0", "SO_LINGER abortive close (semantics.md §1 table)", C::doc};
const Rule close_linger0_no_rst{"tcp.close.linger0-no-rst", "any", "SO_LINGER {1, 0} with nothing to reset", "0", "RFC 9293 3.10.5", C::inferred};
const Rule close_already_closed{"tcp.close.already-closed", "any", "the connection already ended; nothing is sent", "0", "RFC 9293 3.10.4", C::inferred};
const Rule close_listener{"tcp.close.listener", "any", "close of a listener: un-accepted connections are reset", "0", "RFC 9293 3.10.5", C::inferred};
const Rule close_linger_wait{"tcp.close.linger-wait", "any", "SO_LINGER {1, N>0}: close() waits for the FIN to be ACKed", "0", "POSIX close() with SO_LINGER", C::doc};
const Rule close_no_connection{"tcp.close.no-connection", "any", "close of a socket with no connection", "0", "POSIX close()", C::doc};
const Rule setsockopt_ok{"tcp.setsockopt.ok", "any", "option set", "0", "POSIX setsockopt()", C::doc};
const Rule setsockopt_einval{"tcp.setsockopt.einval", "any", "option value invalid, or IPV6_V6ONLY after bind", "EINVAL", "POSIX setsockopt(); RFC 3493 §5.3", C::inferred};
const Rule setsockopt_enoprotoopt{"tcp.setsockopt.enoprotoopt", "any", "the option does not exist on this OS or for this family", "ENOPROTOOPT", "POSIX setsockopt() ENOPROTOOPT", C::doc};
const Rule setsockopt_enodev{"tcp.setsockopt.enodev", "any", "unknown device", "ENODEV", "SO_BINDTODEVICE", C::inferred};
const Rule getsockopt_ok{"tcp.getsockopt.ok", "any", "option read", "value", "POSIX getsockopt()", C::doc};
const Rule getsockname_ok{"tcp.getsockname.ok", "any", "local address and port", "address", "POSIX getsockname()", C::doc};
const Rule socket_ok{"tcp.socket.ok", "any", "a new socket", "fd", "POSIX socket()", C::doc};
const Rule ebadf{"tcp.ebadf", "any", "the descriptor is not open", "EBADF", "POSIX EBADF", C::doc};
const Rule time_wait_enter{"tcp.time-wait.enter", "any", "the active closer enters TIME-WAIT for 2 MSL", "TIME-WAIT", "RFC 9293 3.10.7.4", C::doc};
const Rule time_wait_overflow{"tcp.time-wait.skipped", "any", "the connection closed without TIME-WAIT", "CLOSED", "OS limit", C::inferred};
const Rule time_wait_expire{"tcp.time-wait.expire", "any", "the 2 MSL timer expired", "CLOSED", "RFC 9293 3.10.8", C::doc};
const Rule time_wait_rearm{"tcp.time-wait.rearm", "any", "a retransmitted FIN re-arms the 2 MSL timer", "TIME-WAIT", "RFC 9293 3.10.7.4", C::doc};
const Rule time_wait_rst_kill{"tcp.time-wait.rst-kill", "any", "an RST ends TIME-WAIT", "CLOSED", "RFC 9293 3.10.7.4 (RFC 1337 recommends ignoring it)", C::doc};
const Rule time_wait_syn_accepted{"tcp.time-wait.syn-accepted", "any", "a SYN with a higher sequence number reopens the connection from TIME-WAIT", "SYN-RECEIVED", "RFC 1122 4.2.2.13", C::doc};
const Rule fin_wait_2_orphan{"tcp.fin-wait-2.orphan", "any", "an orphaned FIN-WAIT-2 is closed after a timeout", "FIN-WAIT-2", "OS timer outside RFC 9293", C::inferred};
const Rule fin_wait_2_linger2_rst{"tcp.fin-wait-2.rst", "any", "an orphan reaching FIN-WAIT-2 is reset at once", "CLOSED", "Linux TCP_LINGER2 < 0 only", C::code};
const Rule orphan_data_rst{"tcp.orphan.data-rst", "any", "data arriving after close() is answered with RST", "CLOSED", "RFC 9293 3.10.7.4 / RFC 2525", C::inferred};
const Rule setsockopt_reuse_after_bind{"tcp.setsockopt.after-bind", "any", "a reuse option set after bind() takes effect at the next conflict check (only Windows documents otherwise)", "0", "Linux/BSD read the flag at each check (semantics.md §2.3, §3.1)", C::code};
// clang-format on
}  // namespace common_rule

std::span<const Rule* const> common_rules() {
#define PORTLAB_COMMON_RULE_PTR(n) &common_rule::n,
  static constexpr std::array kRules{PORTLAB_CALL_RULE_SLOTS(PORTLAB_COMMON_RULE_PTR)};
#undef PORTLAB_COMMON_RULE_PTR
  return kRules;
}

}  // namespace portlab::model
