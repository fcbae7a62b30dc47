// Specification: listen() on Linux re-runs the bind-conflict check with the socket in LISTEN,
// semantics.md §2.6 (inet_csk_listen_start: sk_state = TCP_LISTEN, then get_port; on failure
// back to CLOSE). Since "E is not listening" is what lets SO_REUSEADDR share, whoever listens
// second loses.
#include <gtest/gtest.h>

#include "sim/test_support.h"

namespace portlab::testing {
namespace {

using model::Errno;
using model::Fd;
using model::TcpState;
namespace lr = model::linux_rule;

struct Row {
  const char* name;
  Reuse a;
  const char* a_addr;
  Reuse b;
  const char* b_addr;
  bool a_listens_first;
  bool second_listen_ok;
  const model::Rule* second_listen_rule;  // the rule of the second listen()
};

// semantics.md §2.6 "Cases where bind() succeeds but listen() fails", rows 1-7 (row 8, the
// connected socket, is its own test below).
const Row kRows[] = {
    {"ReuseAddrBoth_SameSpecific", {.ra = true}, "127.0.0.1:5000", {.ra = true}, "127.0.0.1:5000", true, false,
     &lr::listen_conflict_reuseaddr_existing_listens},
    {"ReuseAddr_Then_ReuseAddrReusePort", {.ra = true}, "127.0.0.1:5000", {.ra = true, .rp = true}, "127.0.0.1:5000",
     true, false, &lr::listen_conflict_reuseaddr_existing_listens},
    {"ReuseAddrReusePort_Then_ReuseAddr", {.ra = true, .rp = true}, "127.0.0.1:5000", {.ra = true}, "127.0.0.1:5000",
     true, false, &lr::listen_conflict_reuseaddr_existing_listens},
    {"ReusePortBoth_SameUid", {.rp = true}, "127.0.0.1:5000", {.rp = true}, "127.0.0.1:5000", true, true,
     &lr::listen_ok},
    {"ReuseAddrReusePortBoth_SameUid", {.ra = true, .rp = true}, "127.0.0.1:5000", {.ra = true, .rp = true},
     "127.0.0.1:5000", true, true, &lr::listen_ok},
    {"ReuseAddr_SpecificListensFirst_WildcardSecond", {.ra = true}, "127.0.0.1:5000", {.ra = true}, "0.0.0.0:5000",
     true, false, &lr::listen_conflict_reuseaddr_existing_listens},
    {"ReuseAddr_WildcardListensFirst_SpecificSecond", {.ra = true}, "127.0.0.1:5000", {.ra = true}, "0.0.0.0:5000",
     false, false, &lr::listen_conflict_reuseaddr_existing_listens},
};

class LinuxListenTable : public ::testing::TestWithParam<Row> {};

TEST_P(LinuxListenTable, BothBindsSucceed_SecondListenFollowsTable) {
  const Row r = GetParam();
  LinuxWorld w;
  const Fd a = w.socket();
  w.reuse(a, r.a);
  const Fd b = w.socket();
  w.reuse(b, r.b);
  EXPECT_TRUE(Gives(w.bind(a, r.a_addr), Errno::ok)) << "bind A";
  EXPECT_TRUE(Gives(w.bind(b, r.b_addr), Errno::ok)) << "bind B";
  const Fd first = r.a_listens_first ? a : b;
  const Fd second = r.a_listens_first ? b : a;
  EXPECT_TRUE(Gives(w.listen(first), Errno::ok, lr::listen_ok)) << "first listen";
  EXPECT_TRUE(Gives(w.listen(second), r.second_listen_ok ? Errno::ok : Errno::eaddrinuse, *r.second_listen_rule))
      << "second listen";
  // A failed listen() leaves the socket CLOSE (and bound), not LISTEN.
  EXPECT_EQ(w.host().socket_state(second), r.second_listen_ok ? TcpState::listen : TcpState::closed);
}

INSTANTIATE_TEST_SUITE_P(Linux, LinuxListenTable, ::testing::ValuesIn(kRows),
                         [](const ::testing::TestParamInfo<Row>& p) { return std::string(p.param.name); });

// Row 1 in the other order: it is the order of listen() calls, not of bind() calls, that decides.
TEST(LinuxListen, Linux_ReuseAddrBoth_SecondBoundListensFirst_FirstBoundLoses) {
  LinuxWorld w;
  const Fd a = w.socket();
  w.reuse(a, {.ra = true});
  must(w.bind(a, "127.0.0.1:5000"), "bind A");
  const Fd b = w.socket();
  w.reuse(b, {.ra = true});
  must(w.bind(b, "127.0.0.1:5000"), "bind B");
  EXPECT_TRUE(Gives(w.listen(b), Errno::ok, lr::listen_ok));
  EXPECT_TRUE(Gives(w.listen(a), Errno::eaddrinuse, lr::listen_conflict_reuseaddr_existing_listens));
}

// The failed listener went back to CLOSE, still bound: once the winner closes it can listen.
TEST(LinuxListen, Linux_FailedListen_SocketStaysBound_ListensAfterWinnerCloses) {
  LinuxWorld w;
  const Fd a = w.socket();
  w.reuse(a, {.ra = true});
  must(w.bind(a, "127.0.0.1:5000"), "bind A");
  const Fd b = w.socket();
  w.reuse(b, {.ra = true});
  must(w.bind(b, "127.0.0.1:5000"), "bind B");
  must(w.listen(a), "listen A");
  ASSERT_TRUE(Gives(w.listen(b), Errno::eaddrinuse));
  EXPECT_EQ(w.host().local_port(b), 5000);
  must(w.close(a), "close A");
  EXPECT_TRUE(Gives(w.listen(b), Errno::ok, lr::listen_ok));
}

// Row 8: "a server may listen on a port used by an outgoing connection if both have SO_REUSEADDR".
TEST(LinuxListen, Linux_ReuseAddrBoth_ConnectedFromPort_ThenBindAndListenSamePort_Ok) {
  LinuxWorld w;
  const Fd srv = w.listener("127.0.0.1:7000");
  const Fd a = w.socket();
  w.reuse(a, {.ra = true});
  must(w.bind(a, "127.0.0.1:5000"), "bind A");
  w.establish(a, "127.0.0.1:7000", srv);
  const Fd b = w.socket();
  w.reuse(b, {.ra = true});
  EXPECT_TRUE(Gives(w.bind(b, "127.0.0.1:5000"), Errno::ok, lr::bind_shared_reuseaddr));
  EXPECT_TRUE(Gives(w.listen(b), Errno::ok, lr::listen_ok));
}

// Without SO_REUSEADDR on the connected socket, the same bind is refused (§2.3 connected (0,0)).
TEST(LinuxListen, Linux_ConnectedFromPortWithoutReuse_BindSamePort_IsAddrInUse) {
  LinuxWorld w;
  const Fd srv = w.listener("127.0.0.1:7000");
  const Fd a = w.socket();
  must(w.bind(a, "127.0.0.1:5000"), "bind A");
  w.establish(a, "127.0.0.1:7000", srv);
  const Fd b = w.socket();
  w.reuse(b, {.ra = true});
  EXPECT_TRUE(Gives(w.bind(b, "127.0.0.1:5000"), Errno::eaddrinuse, lr::bind_conflict_no_reuse));
}

// semantics.md §2.6: listen() on a socket that is not CLOSE/LISTEN is EINVAL (connected: [test]).
TEST(LinuxListen, Linux_ListenOnConnectedSocket_IsEinval) {
  LinuxWorld w;
  const Fd srv = w.listener("127.0.0.1:7000");
  const Fd c = w.socket();
  const Pair p = w.establish(c, "127.0.0.1:7000", srv);
  EXPECT_TRUE(Gives(w.listen(p.client), Errno::einval, lr::listen_einval_state));
  EXPECT_TRUE(Gives(w.listen(p.server), Errno::einval, lr::listen_einval_state));
  EXPECT_EQ(w.host().socket_state(p.client), TcpState::established);
}

// listen() twice only changes the backlog (__inet_listen_sk).
TEST(LinuxListen, Linux_ListenTwice_SecondIsOk) {
  LinuxWorld w;
  const Fd l = w.listener("127.0.0.1:7000");
  EXPECT_TRUE(Gives(w.listen(l, 5), Errno::ok, lr::listen_again));
}

// semantics.md §2.6: listen() without bind() autobinds an ephemeral port through the bind(0)
// path (inet_csk_get_port(sk, 0)): a port in ip_local_port_range, odd first (§2.10), on 0.0.0.0.
TEST(LinuxListen, Linux_ListenWithoutBind_AutobindsEphemeralPort) {
  LinuxWorld w;
  const Fd l = w.socket();
  EXPECT_TRUE(Gives(w.listen(l), Errno::ok, lr::listen_ok));
  const auto name = w.sockname(l);
  ASSERT_TRUE(name);
  EXPECT_TRUE(name->addr.is_wildcard());
  EXPECT_GE(name->port, 32768);
  EXPECT_LE(name->port, 60999);
  EXPECT_EQ(name->port % 2, 1) << "bind(0)'s odd-port preference";
  // ... and the port really is listening: a connect to it is accepted.
  const Fd c = w.socket();
  EXPECT_TRUE(Gives(w.connect(c, "127.0.0.1:" + std::to_string(name->port)), Errno::ok));
  EXPECT_TRUE(Gives(w.accept(l), Errno::ok, lr::accept_ok));
}

// ... and when the range has no free port, listen() fails with EADDRINUSE.
TEST(LinuxListen, Linux_ListenWithoutBind_RangeExhausted_IsAddrInUse) {
  LinuxWorld w;
  w.knob("net.ipv4.ip_local_port_range", "40000 40000");
  const Fd holder = w.socket();
  must(w.bind(holder, "0.0.0.0:40000"), "bind the only port");
  const Fd l = w.socket();
  EXPECT_TRUE(Gives(w.listen(l), Errno::eaddrinuse, lr::listen_autobind_exhausted));
  EXPECT_EQ(w.host().socket_state(l), TcpState::closed);
}

// ---- accept() of a child reset while queued -----------------------------------------------------

// A connection that completed the handshake and was reset (RST) while still in the accept queue:
// tcp_reset -> tcp_done closes the child but leaves it in the listener's queue with sk_err set.
// accept() returns it, recv() hands out the data that arrived before the RST, then ECONNRESET,
// then EOF (tcp_done set RCV_SHUTDOWN); send() is EPIPE and connect() EISCONN (inet_accept made it
// SS_CONNECTED). Seen on 6.18.44 with `portlab conform` (kKnown "accept-returns-reset-child",
// removed). A half-open child (SYN-RECEIVED) is still simply forgotten.
TEST(LinuxListen, Linux_ChildResetInAcceptQueue_AcceptReturnsIt_DataThenConnResetThenEof) {
  LinuxWorld w;
  const Fd l = w.listener("127.0.0.1:7000");
  const Fd c = w.socket();
  must(w.connect(c, "127.0.0.1:7000"), "connect");
  must(w.send(c, 5), "send");
  w.linger(c, true, 0);
  EXPECT_TRUE(Gives(w.close(c), Errno::ok, lr::close_linger0_rst));
  EXPECT_TRUE(w.host().connections().size() == 1u) << "only the listener is visible: the child is CLOSE";
  const auto a = w.accept(l);
  ASSERT_TRUE(Gives(a, Errno::ok, lr::accept_ok));
  const Fd child = static_cast<Fd>(a.value);
  EXPECT_EQ(w.host().socket_state(child), TcpState::closed);
  EXPECT_EQ(w.sockname(child)->port, 7000);
  EXPECT_EQ(w.recv(child, 3).value, 3);
  EXPECT_EQ(w.recv(child, 10).value, 2);
  EXPECT_TRUE(Gives(w.recv(child, 10), Errno::econnreset, lr::connect_reset));
  EXPECT_TRUE(Gives(w.recv(child, 10), Errno::ok, lr::recv_eof));
  EXPECT_TRUE(Gives(w.send(child, 1), Errno::epipe, lr::send_epipe));
  EXPECT_TRUE(Gives(w.connect(child, "127.0.0.1:7000"), Errno::eisconn, lr::connect_eisconn));
  EXPECT_TRUE(Gives(w.close(child), Errno::ok));
}

// A child does not inherit SOCK_BINDPORT_LOCK (sk_clone_lock: sk_userlocks & ~SOCK_BINDPORT_LOCK),
// so when its connection ends (tcp_set_state(CLOSE) -> inet_put_port) it gives the port back: the
// accepted socket may bind() again (here to an ephemeral port), while getsockname() went on
// reporting the old port (inet_sport stays). Found by the differential test (seed 27, 400 cases).
TEST(LinuxListen, Linux_ChildResetInAcceptQueue_GivesItsPortBack_MayBindAgain) {
  LinuxWorld w;
  const Fd l = w.listener("127.0.0.1:7000");
  const Fd c = w.socket();
  must(w.connect(c, "127.0.0.1:7000"), "connect");
  w.linger(c, true, 0);
  must(w.close(c), "close with RST");
  const Fd child = static_cast<Fd>(must(w.accept(l), "accept").value);
  EXPECT_EQ(w.sockname(child)->port, 7000) << "inet_sport is kept";
  EXPECT_TRUE(Gives(w.bind(child, "127.0.0.1:0"), Errno::ok, lr::bind_port0_ok));
  EXPECT_NE(w.sockname(child)->port, 7000);
}

// The same child after the peer's FIN (CLOSE-WAIT) and then its RST: tcp_reset records EPIPE, and
// recv() reports the FIN (SOCK_DONE) before any error: EOF, EOF; send() EPIPE twice.
TEST(LinuxListen, Linux_ChildFinThenResetInAcceptQueue_AcceptReturnsIt_RecvEof_SendEpipe) {
  LinuxWorld w;
  const Fd l = w.listener("127.0.0.1:7000");
  const Fd d = w.socket();
  must(w.connect(d, "127.0.0.1:7000"), "connect");
  must(w.shutdown(d, false, true), "shutdown(SHUT_WR)");
  w.linger(d, true, 0);
  must(w.close(d), "close with RST");
  const auto b = w.accept(l);
  ASSERT_TRUE(Gives(b, Errno::ok, lr::accept_ok));
  const Fd child = static_cast<Fd>(b.value);
  EXPECT_TRUE(Gives(w.recv(child, 10), Errno::ok, lr::recv_eof));
  EXPECT_TRUE(Gives(w.recv(child, 10), Errno::ok, lr::recv_eof));
  EXPECT_TRUE(Gives(w.send(child, 1), Errno::epipe));
  EXPECT_TRUE(Gives(w.send(child, 1), Errno::epipe, lr::send_epipe));
}

// shutdown(SHUT_RDWR) on a socket that is not connected fails with ENOTCONN but sets sk_shutdown,
// and listen() keeps it. Every child is cloned from the listener (sk_clone_lock copies
// sk_shutdown), so it completes the handshake and sends a FIN at once (tcp_rcv_state_process,
// TCP_SYN_RECV: SEND_SHUTDOWN -> tcp_shutdown): the child is FIN-WAIT-2, the client CLOSE-WAIT,
// and the child reads EOF and cannot send. Found by the differential test (seed 23, 400 cases);
// agrees with 6.18.44 under `portlab conform`.
TEST(LinuxListen, Linux_ShutdownBeforeListen_ChildrenInheritIt_FinAtHandshake) {
  LinuxWorld w;
  const Fd l = w.socket();
  EXPECT_TRUE(Gives(w.shutdown(l, true, true), Errno::enotconn, lr::shutdown_enotconn));
  must(w.bind(l, "127.0.0.1:7000"), "bind");
  EXPECT_TRUE(Gives(w.listen(l), Errno::ok, lr::listen_ok));
  const Fd c = w.socket();
  must(w.bind(c, "127.0.0.1:5000"), "bind client");
  EXPECT_TRUE(Gives(w.connect(c, "127.0.0.1:7000"), Errno::ok));
  EXPECT_EQ(w.state("127.0.0.1:7000", "127.0.0.1:5000"), TcpState::fin_wait_2);
  EXPECT_EQ(w.state("127.0.0.1:5000", "127.0.0.1:7000"), TcpState::close_wait);
  const Fd child = static_cast<Fd>(must(w.accept(l), "accept").value);
  EXPECT_TRUE(Gives(w.recv(child, 10), Errno::ok, lr::recv_eof));
  EXPECT_TRUE(Gives(w.send(child, 1), Errno::epipe, lr::send_epipe));
  EXPECT_TRUE(Gives(w.recv(c, 10), Errno::ok, lr::recv_eof));
}

// ... and it stays ahead of connections that completed after it.
TEST(LinuxListen, Linux_ChildResetWhileQueued_StaysAheadOfLaterConnections) {
  LinuxWorld w;
  const Fd l = w.listener("127.0.0.1:7000");
  const Fd c1 = w.socket();
  must(w.connect(c1, "127.0.0.1:7000"), "connect 1");
  w.linger(c1, true, 0);
  must(w.close(c1), "linger-0 close: RST");
  const Fd c2 = w.socket();
  must(w.connect(c2, "127.0.0.1:7000"), "connect 2");
  const auto first = w.accept(l);
  const auto second = w.accept(l);
  ASSERT_TRUE(Gives(first, Errno::ok));
  ASSERT_TRUE(Gives(second, Errno::ok));
  EXPECT_EQ(w.host().socket_state(static_cast<Fd>(first.value)), TcpState::closed);
  EXPECT_EQ(w.host().socket_state(static_cast<Fd>(second.value)), TcpState::established);
}

// Closing the listener with a reset child still queued sends nothing for it (it has no peer
// left) and resets the later connection's client, as inet_csk_listen_stop does.
TEST(LinuxListen, Linux_ListenerClosedWithResetChildQueued_ResetsOnlyTheLiveOne) {
  LinuxWorld w;
  const Fd l = w.listener("127.0.0.1:7000");
  const Fd c1 = w.socket();
  must(w.connect(c1, "127.0.0.1:7000"), "connect 1");
  w.linger(c1, true, 0);
  must(w.close(c1), "linger-0 close: RST");
  const Fd c2 = w.socket();
  must(w.connect(c2, "127.0.0.1:7000"), "connect 2");
  must(w.close(l), "close the listener");
  EXPECT_TRUE(Gives(w.recv(c2), Errno::econnreset));
}

// The port lock is not inherited by an accepted socket either: reset after accept(), it gives
// its port back and may bind() to another one.
TEST(LinuxListen, Linux_AcceptedSocketReset_ReleasesItsPort_BindSucceeds) {
  LinuxWorld w;
  const Fd l = w.listener("127.0.0.1:7000");
  const Fd c = w.socket();
  must(w.connect(c, "127.0.0.1:7000"), "connect");
  const auto a = w.accept(l);
  ASSERT_TRUE(Gives(a, Errno::ok));
  w.linger(c, true, 0);
  must(w.close(c), "linger-0 close: RST");
  EXPECT_EQ(w.host().socket_state(static_cast<Fd>(a.value)), TcpState::closed);
  EXPECT_TRUE(Gives(w.bind(static_cast<Fd>(a.value), "127.0.0.1:7002"), Errno::ok));
}

}  // namespace
}  // namespace portlab::testing
