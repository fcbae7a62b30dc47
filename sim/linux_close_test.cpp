// Specification: close(), shutdown() and SO_LINGER on Linux, semantics.md §2.12 (tcp.c:__tcp_close,
// tcp_disconnect; stream.c:sk_stream_wait_close), the TIME-WAIT / FIN-WAIT-2 lifecycle of §2.11
// (tcp_minisocks.c, inet_timewait_sock.c) and the passive side of §2.8
// (tcp_timewait_state_process). "Our side" is the client, 127.0.0.1:<ephemeral> or :5000; the
// peer is the accepted socket of the listener on 127.0.0.1:7000.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "sim/test_support.h"

namespace portlab::testing {
namespace {

using model::Errno;
using model::Fd;
using model::Host;
using model::Segment;
using model::SockOpt;
using model::TcpState;
using model::TimePoint;
namespace lr = model::linux_rule;

constexpr const char* kServer = "127.0.0.1:7000";
constexpr const char* kClient = "127.0.0.1:5000";

// A client bound to 127.0.0.1:5000 connected to the listener on 127.0.0.1:7000.
struct Connected {
  LinuxWorld w;
  Fd lsn = -1;
  Pair p;
  explicit Connected(SocketSpec client = {}, Reuse client_reuse = {}, Reuse server_reuse = {}) {
    lsn = w.listener(kServer, server_reuse);
    const Fd c = w.socket(client);
    w.reuse(c, client_reuse);
    must(w.bind(c, kClient), "bind client");
    p = w.establish(c, kServer, lsn);
  }
  std::optional<TcpState> ours() { return w.state(kClient, kServer); }
  std::optional<TcpState> peers() { return w.state(kServer, kClient); }
};

bool contains(const std::vector<std::string_view>& ids, const model::Rule& r) {
  return std::find(ids.begin(), ids.end(), r.id) != ids.end();
}

// ---- the §2.12 observed table ------------------------------------------------------------------

TEST(LinuxClose, Linux_NormalCloseInEstablished_PeerSeesEof_OurSideTimeWaitAfterPeerCloses) {
  Connected s;
  EXPECT_TRUE(Gives(s.w.close(s.p.client), Errno::ok, lr::close_fin));
  EXPECT_EQ(s.ours(), TcpState::fin_wait_2);
  EXPECT_TRUE(Gives(s.w.recv(s.p.server), Errno::ok, lr::recv_eof));
  EXPECT_TRUE(Gives(s.w.close(s.p.server), Errno::ok, lr::close_fin));
  EXPECT_TRUE(s.w.has_time_wait(kClient, kServer));
  EXPECT_FALSE(s.peers()) << "the passive closer leaves no state (LAST-ACK -> CLOSED)";
}

TEST(LinuxClose, Linux_Linger0CloseInEstablished_NoTimeWait_PeerRecvIsConnReset) {
  Connected s;
  s.w.linger(s.p.client, true, 0);
  EXPECT_TRUE(Gives(s.w.close(s.p.client), Errno::ok, lr::close_linger0_rst));
  EXPECT_FALSE(s.ours()) << "no TIME-WAIT, nothing";
  EXPECT_TRUE(Gives(s.w.recv(s.p.server), Errno::econnreset, lr::connect_reset));
  EXPECT_FALSE(s.peers());
}

// Correction 3 of semantics.md §1: shutdown() before close() does not defeat linger-0 while the
// connection is in FIN-WAIT-2: tcp_disconnect resets it. The peer got the FIN first: recv sees EOF
// (SOCK_DONE is checked before sk_err), and the RST in CLOSE-WAIT set sk_err = EPIPE (tcp_reset),
// which send() reports.
TEST(LinuxClose, Linux_ShutdownWrThenLinger0CloseInFinWait2_NoTimeWait_PeerRecvEofThenSendEpipe) {
  Connected s;
  must(s.w.shutdown(s.p.client, false, true), "shutdown(SHUT_WR)");
  ASSERT_EQ(s.w.host().socket_state(s.p.client), TcpState::fin_wait_2);
  ASSERT_EQ(s.peers(), TcpState::close_wait);
  s.w.linger(s.p.client, true, 0);
  EXPECT_TRUE(Gives(s.w.close(s.p.client), Errno::ok, lr::close_linger0_rst));
  EXPECT_FALSE(s.ours()) << "RST from FIN-WAIT-2, no TIME-WAIT";
  EXPECT_TRUE(Gives(s.w.recv(s.p.server), Errno::ok, lr::recv_eof)) << "peer recv";
  EXPECT_TRUE(Gives(s.w.send(s.p.server, 10), Errno::epipe)) << "peer send";
}

// ... but once TIME-WAIT was reached with the descriptor open (our FIN ACKed and the peer's FIN
// received), close() finds a CLOSE socket: nothing is sent and the TIME-WAIT stays.
TEST(LinuxClose, Linux_ShutdownWrPeerClosesThenLinger0Close_TimeWaitRemains) {
  Connected s;
  must(s.w.shutdown(s.p.client, false, true), "shutdown(SHUT_WR)");
  EXPECT_TRUE(Gives(s.w.recv(s.p.server), Errno::ok, lr::recv_eof)) << "peer sees EOF";
  must(s.w.close(s.p.server), "peer closes");
  ASSERT_TRUE(s.w.has_time_wait(kClient, kServer));
  EXPECT_EQ(s.w.host().socket_state(s.p.client), TcpState::closed) << "the full socket is CLOSE, fd open";
  s.w.linger(s.p.client, true, 0);
  EXPECT_TRUE(Gives(s.w.close(s.p.client), Errno::ok, lr::close_already_closed));
  EXPECT_TRUE(s.w.has_time_wait(kClient, kServer));
}

// RFC 2525 §2.17 / __tcp_close data_was_unread: RST, no TIME-WAIT.
TEST(LinuxClose, Linux_CloseWithUnreadData_Rst_PeerRecvIsConnReset) {
  Connected s;
  must(s.w.send(s.p.server, 100), "peer sends 100 bytes");
  EXPECT_TRUE(Gives(s.w.close(s.p.client), Errno::ok, lr::close_unread_data_rst));
  EXPECT_FALSE(s.ours());
  EXPECT_TRUE(Gives(s.w.recv(s.p.server), Errno::econnreset, lr::connect_reset));
}

// Reading everything first makes it a normal close again.
TEST(LinuxClose, Linux_CloseAfterReadingAllData_IsNormalFin) {
  Connected s;
  must(s.w.send(s.p.server, 100), "peer sends 100 bytes");
  EXPECT_TRUE(Gives(s.w.recv(s.p.client, 100), Errno::ok, lr::recv_ok));
  EXPECT_TRUE(Gives(s.w.close(s.p.client), Errno::ok, lr::close_fin));
  EXPECT_EQ(s.ours(), TcpState::fin_wait_2);
}

TEST(LinuxClose, Linux_Linger0CloseInCloseWait_NothingLeft_PeersFinWait2Gone) {
  Connected s;
  must(s.w.close(s.p.server), "peer closes first");
  ASSERT_EQ(s.peers(), TcpState::fin_wait_2);
  ASSERT_EQ(s.ours(), TcpState::close_wait);
  s.w.linger(s.p.client, true, 0);
  EXPECT_TRUE(Gives(s.w.close(s.p.client), Errno::ok, lr::close_linger0_rst));
  EXPECT_FALSE(s.ours());
  EXPECT_FALSE(s.peers()) << "the peer's FIN-WAIT-2 was reset";
  EXPECT_EQ(s.w.host().time_wait_count(), 0u);
}

// inet_csk_listen_stop: un-accepted children are reset (the table's row used linger 0 on the
// listener; the code resets them either way).
TEST(LinuxClose, Linux_CloseListenerWithUnacceptedConnection_ClientRecvIsConnReset) {
  for (bool linger0 : {true, false}) {
    SCOPED_TRACE(linger0 ? "listener SO_LINGER {1,0}" : "listener without SO_LINGER");
    LinuxWorld w;
    const Fd lsn = w.listener(kServer);
    if (linger0) w.linger(lsn, true, 0);
    const Fd c = w.socket();
    must(w.connect(c, kServer), "connect (never accepted)");
    EXPECT_TRUE(Gives(w.close(lsn), Errno::ok, lr::close_listener));
    EXPECT_TRUE(Gives(w.recv(c), Errno::econnreset, lr::connect_reset));
  }
}

// SO_LINGER {1,2} with the FIN stuck behind data the peer has no room for: close() blocks the
// whole 2 s, returns 0, and the orphan stays in FIN-WAIT-1 — also on a non-blocking socket,
// because sk_stream_wait_close does not look at O_NONBLOCK.
class LinuxLingerStuck : public ::testing::TestWithParam<bool> {};

TEST_P(LinuxLingerStuck, Linger2sFinBehindUnsendableData_CloseBlocks2sReturnsZero_FinWait1) {
  const bool nonblock = GetParam();
  LinuxWorld w;
  const Fd lsn = w.socket();
  must(w.setopt(lsn, SockOpt::so_rcvbuf, std::int64_t{1}), "small SO_RCVBUF on the peer");  // -> SOCK_MIN_RCVBUF
  must(w.bind(lsn, kServer), "bind");
  must(w.listen(lsn), "listen");
  const Fd c = w.socket({.nonblock = nonblock});
  const Pair p = w.establish(c, kServer, lsn);
  const int client_port = *w.host().local_port(c);
  // Fill: more than the peer's window, within our send buffer.
  if (nonblock) {
    while (!w.send(c, 65536).failed()) {
    }
    ASSERT_TRUE(Gives(w.send(c, 1), Errno::eagain, lr::send_eagain));
  } else {
    must(w.send(c, 12000), "send more than the peer can take");
  }
  w.linger(c, true, 2);
  const auto start = w.now();
  const auto o = w.close_outcome(c);
  EXPECT_TRUE(Gives(o.result, Errno::ok, lr::close_linger_wait));
  EXPECT_FALSE(o.blocked_forever);
  EXPECT_EQ(o.waited, 2s);
  EXPECT_EQ(w.now() - start, 2s);
  // The descriptor is gone; the orphan carries on in FIN-WAIT-1 (no RST on expiry).
  const auto orphan = w.find("127.0.0.1:" + std::to_string(client_port), kServer);
  ASSERT_TRUE(orphan) << "the orphan is still there";
  EXPECT_FALSE(orphan->fd);
  EXPECT_EQ(orphan->state, TcpState::fin_wait_1);
  EXPECT_EQ(w.state(kServer, "127.0.0.1:" + std::to_string(client_port)), TcpState::established)
      << "the peer got neither FIN nor RST";
  // The orphan carries on normally: once the peer reads, the data and then the FIN go out.
  std::int64_t drained = 0;
  for (int i = 0; i < 100; ++i) {
    const auto r = must(w.recv(p.server, 65536), "peer recv");
    if (r.value == 0) break;
    drained += r.value;
  }
  EXPECT_GT(drained, 4608) << "more than one window's worth was queued behind the FIN";
  EXPECT_EQ(w.state("127.0.0.1:" + std::to_string(client_port), kServer), TcpState::fin_wait_2);
}

INSTANTIATE_TEST_SUITE_P(Linux, LinuxLingerStuck, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return std::string(p.param ? "NonBlocking" : "Blocking");
                         });

TEST(LinuxClose, Linux_Linger2sEverythingAcked_ReturnsAtOnce_FinWait2) {
  Connected s;
  s.w.linger(s.p.client, true, 2);
  const auto o = s.w.close_outcome(s.p.client);
  EXPECT_TRUE(Gives(o.result, Errno::ok));
  EXPECT_EQ(o.waited, 0s);
  EXPECT_EQ(s.ours(), TcpState::fin_wait_2);
}

// ---- §2.11 lifecycle ---------------------------------------------------------------------------

// TCP_TIMEWAIT_LEN = 60 s, not tunable: present at 59.999 s, gone at 60 s.
TEST(LinuxTimeWait, Linux_TimeWaitLastsExactly60Seconds) {
  Connected s;
  s.w.client_closes_first(s.p);
  ASSERT_TRUE(s.w.has_time_wait(kClient, kServer));
  const TimePoint entered = s.w.now();
  s.w.advance_to(entered + 59999ms);
  EXPECT_TRUE(s.w.has_time_wait(kClient, kServer)) << "at 59.999 s";
  s.w.advance_to(entered + 60s);
  EXPECT_FALSE(s.w.has_time_wait(kClient, kServer)) << "at 60 s";
  EXPECT_TRUE(contains(s.w.logged_rules(), lr::time_wait_expire));
  // ... and the port is free again for a socket without SO_REUSEADDR.
  const Fd n = s.w.socket();
  EXPECT_TRUE(Gives(s.w.bind(n, kClient), Errno::ok, lr::bind_ok));
}

// semantics.md §8: tcp_fin_timeout does not change TIME-WAIT.
TEST(LinuxTimeWait, Linux_FinTimeout5_DoesNotShortenTimeWait) {
  Connected s;
  s.w.knob("net.ipv4.tcp_fin_timeout", "5");
  s.w.client_closes_first(s.p);
  const TimePoint entered = s.w.now();
  s.w.advance_to(entered + 30s);
  EXPECT_TRUE(s.w.has_time_wait(kClient, kServer));
}

// Orphaned FIN-WAIT-2 lives tcp_fin_timeout (here 5 s), as a TIME-WAIT minisock in substate FIN-WAIT-2.
TEST(LinuxTimeWait, Linux_FinTimeout5_OrphanFinWait2GoneAfter5Seconds) {
  Connected s;
  s.w.knob("net.ipv4.tcp_fin_timeout", "5");
  must(s.w.close(s.p.client), "close; the peer does not close");
  const TimePoint closed = s.w.now();
  const auto v = s.w.find(kClient, kServer);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->state, TcpState::fin_wait_2);
  EXPECT_TRUE(v->time_wait_entry) << "represented by a timewait socket";
  EXPECT_TRUE(contains(s.w.logged_rules(), lr::fin_wait_2_orphan));
  s.w.advance_to(closed + 4999ms);
  EXPECT_EQ(s.ours(), TcpState::fin_wait_2) << "at 4.999 s";
  s.w.advance_to(closed + 5s);
  EXPECT_FALSE(s.ours()) << "at 5 s";
}

// TCP_LINGER2 is capped at 120 s (TCP_FIN_TIMEOUT_MAX).
TEST(LinuxTimeWait, Linux_TcpLinger2AboveMax_OrphanFinWait2CappedAt120Seconds) {
  Connected s;
  must(s.w.setopt(s.p.client, SockOpt::tcp_linger2, std::int64_t{500}), "TCP_LINGER2=500");
  must(s.w.close(s.p.client), "close");
  const TimePoint closed = s.w.now();
  s.w.advance_to(closed + 119999ms);
  EXPECT_EQ(s.ours(), TcpState::fin_wait_2);
  s.w.advance_to(closed + 120s);
  EXPECT_FALSE(s.ours());
}

// TCP_LINGER2 < 0: an orphan reaching FIN-WAIT-2 is reset at once instead. The peer, in
// CLOSE-WAIT with our FIN received, sees EOF and then EPIPE (tcp_reset in CLOSE-WAIT).
TEST(LinuxTimeWait, Linux_TcpLinger2Negative_OrphanFinWait2ResetAtOnce) {
  Connected s;
  must(s.w.setopt(s.p.client, SockOpt::tcp_linger2, std::int64_t{-1}), "TCP_LINGER2=-1");
  EXPECT_TRUE(Gives(s.w.close(s.p.client), Errno::ok, lr::close_fin));
  EXPECT_FALSE(s.ours()) << "no FIN-WAIT-2";
  EXPECT_TRUE(contains(s.w.logged_rules(), lr::fin_wait_2_linger2_rst));
  EXPECT_FALSE(s.peers()) << "the peer was reset";
  EXPECT_TRUE(Gives(s.w.recv(s.p.server), Errno::ok, lr::recv_eof));
  EXPECT_TRUE(Gives(s.w.send(s.p.server, 1), Errno::epipe));
}

// A FIN-WAIT-2 whose descriptor is still open (shutdown(SHUT_WR)) has no timeout.
TEST(LinuxTimeWait, Linux_NonOrphanFinWait2_WaitsForever) {
  Connected s;
  s.w.knob("net.ipv4.tcp_fin_timeout", "5");
  must(s.w.shutdown(s.p.client, false, true), "shutdown(SHUT_WR)");
  s.w.advance(1000s);
  EXPECT_EQ(s.w.host().socket_state(s.p.client), TcpState::fin_wait_2);
  EXPECT_EQ(s.peers(), TcpState::close_wait);
}

// tcp_max_tw_buckets = 0: inet_twsk_alloc fails, the socket closes without TIME-WAIT, and the port
// can be bound again without SO_REUSEADDR.
TEST(LinuxTimeWait, Linux_MaxTwBucketsZero_NoTimeWait_PortRebindableWithoutReuseAddr) {
  Connected s;
  s.w.knob("net.ipv4.tcp_max_tw_buckets", "0");
  s.w.client_closes_first(s.p);
  EXPECT_FALSE(s.ours());
  EXPECT_EQ(s.w.host().time_wait_count(), 0u);
  EXPECT_TRUE(contains(s.w.logged_rules(), lr::time_wait_overflow));
  const Fd n = s.w.socket();
  EXPECT_TRUE(Gives(s.w.bind(n, kClient), Errno::ok, lr::bind_ok));
}

// The peer closed first: our side goes CLOSE-WAIT -> LAST-ACK -> CLOSED, the peer holds TIME-WAIT.
TEST(LinuxTimeWait, Linux_PeerClosesFirst_OurSideNoState_PeerTimeWait) {
  Connected s;
  must(s.w.close(s.p.server), "peer closes first");
  EXPECT_TRUE(Gives(s.w.recv(s.p.client), Errno::ok, lr::recv_eof));
  must(s.w.close(s.p.client), "we close");
  EXPECT_FALSE(s.ours());
  EXPECT_TRUE(s.w.has_time_wait(kServer, kClient));
}

// ---- server restart over TIME-WAIT children (§2.11 last row; correction 2 of §1) ---------------

struct Restart {
  bool old_ra;
  bool new_ra;
};

class LinuxServerRestart : public ::testing::TestWithParam<Restart> {};

// The listener on 0.0.0.0:5000 closed; its accepted connections closed first and sit in
// TIME-WAIT with the listener's SO_REUSEADDR (children inherit it). A new bind(0.0.0.0:5000)
// succeeds only if both the old and the new socket have SO_REUSEADDR.
TEST_P(LinuxServerRestart, BindOverTimeWaitChildren_OkOnlyIfOldAndNewHaveReuseAddr) {
  const Restart r = GetParam();
  LinuxWorld w;
  const Fd lsn = w.listener("0.0.0.0:5000", {.ra = r.old_ra});
  std::vector<Fd> clients;
  std::vector<Fd> children;
  for (int i = 0; i < 3; ++i) {
    const Fd c = w.socket();
    children.push_back(w.establish(c, "127.0.0.1:5000", lsn).server);
    clients.push_back(c);
  }
  for (std::size_t i = 0; i < clients.size(); ++i) {
    must(w.close(children[i]), "server closes the connection first");
    must(w.recv(clients[i]), "client reads EOF");
    must(w.close(clients[i]), "client closes");
  }
  must(w.close(lsn), "listener closes");
  ASSERT_EQ(w.host().time_wait_count(), 3u);
  const Fd n = w.socket();
  w.reuse(n, {.ra = r.new_ra});
  const auto b = w.bind(n, "0.0.0.0:5000");
  if (r.old_ra && r.new_ra) {
    EXPECT_TRUE(Gives(b, Errno::ok, lr::bind_shared_reuseaddr));
    EXPECT_TRUE(Gives(w.listen(n), Errno::ok, lr::listen_ok));
  } else {
    EXPECT_TRUE(Gives(b, Errno::eaddrinuse, lr::bind_conflict_no_reuse));
  }
}

INSTANTIATE_TEST_SUITE_P(Linux, LinuxServerRestart,
                         ::testing::Values(Restart{false, false}, Restart{false, true}, Restart{true, false},
                                           Restart{true, true}),
                         [](const ::testing::TestParamInfo<Restart>& p) {
                           return "OldReuseAddr" + std::to_string(p.param.old_ra) + "_NewReuseAddr" +
                                  std::to_string(p.param.new_ra);
                         });

// ---- §2.8: a SYN hitting the server's TIME-WAIT ------------------------------------------------

class LinuxSynToServerTimeWait : public ::testing::TestWithParam<int> {};

// Server closed first (server holds TIME-WAIT); the client re-binds the same source port with
// SO_REUSEADDR and reconnects: the SYN is newer (sequence after rcv_nxt, or a newer timestamp),
// so TCP_TW_SYN hands it to the listener: accepted, server side ESTABLISHED.
TEST_P(LinuxSynToServerTimeWait, ClientReconnectsFromSamePort_AcceptedByListener) {
  const int timestamps = GetParam();
  LinuxWorld w;
  w.knob("net.ipv4.tcp_timestamps", std::to_string(timestamps));
  const Fd lsn = w.listener(kServer, {.ra = true});
  const Fd old = w.socket();
  w.reuse(old, {.ra = true});
  must(w.bind(old, kClient), "bind client");
  const Pair p = w.establish(old, kServer, lsn);
  must(w.close(p.server), "server closes first");
  must(w.recv(p.client), "client reads EOF");
  must(w.close(p.client), "client closes");
  ASSERT_TRUE(w.has_time_wait(kServer, kClient));
  EXPECT_FALSE(w.find(kClient, kServer)) << "our side leaves no state";
  w.logged_rules();
  w.advance(1s);  // the clock behind ISNs and timestamps moves on, as it did in the experiment

  const Fd n = w.socket();
  w.reuse(n, {.ra = true});
  EXPECT_TRUE(Gives(w.bind(n, kClient), Errno::ok));
  EXPECT_TRUE(Gives(w.connect(n, kServer), Errno::ok, lr::connect_bound_ok));
  EXPECT_TRUE(contains(w.logged_rules(), lr::time_wait_syn_accepted));
  EXPECT_TRUE(Gives(w.accept(lsn), Errno::ok, lr::accept_ok));
  EXPECT_EQ(w.state(kServer, kClient), TcpState::established);
  EXPECT_FALSE(w.has_time_wait(kServer, kClient));
}

INSTANTIATE_TEST_SUITE_P(Linux, LinuxSynToServerTimeWait, ::testing::Values(1, 0),
                         [](const ::testing::TestParamInfo<int>& p) {
                           return "Timestamps" + std::to_string(p.param);
                         });

// The server's TIME-WAIT (server closed first) as above, but nothing listens on the port any more.
// Returns after the old connection is gone on our side.
void server_time_wait_without_listener(LinuxWorld& w) {
  const Fd lsn = w.listener(kServer, {.ra = true});
  const Fd old = w.socket();
  w.reuse(old, {.ra = true});
  must(w.bind(old, kClient), "bind client");
  const Pair p = w.establish(old, kServer, lsn);
  must(w.close(p.server), "server closes first");
  must(w.recv(p.client), "client reads EOF");
  must(w.close(p.client), "client closes");
  must(w.close(lsn), "server stops listening");
  if (!w.has_time_wait(kServer, kClient)) throw std::runtime_error("the server holds no TIME-WAIT");
  w.advance(1s);
}

// The new SYN reaches the TIME-WAIT; TCP_TW_SYN finds no listener (tcp_v4_rcv, do_time_wait) and
// falls through to TCP_TW_ACK: tcp_v4_timewait_ack answers with ACK = tw_rcv_nxt. That ACK does
// not acknowledge our SYN: tcp_rcv_synsent_state_process re-arms the retransmit timer at
// TCP_TIMEOUT_MIN (icsk_retransmits == 0) and resets (reset_and_undo: RST, seq = the ACK's
// ack_seq). The RST is in window for the TIME-WAIT, which tcp_timewait_state_process kills
// (TIME-WAIT assassination, tcp_rfc1337=0). The SYN retransmitted 2 jiffies later (8 ms at
// HZ=250) finds neither TIME-WAIT nor listener: RST, ECONNREFUSED. Seen on 6.18.44 with
// `portlab conform` (kKnown "syn-to-time-wait-without-listener", removed).
TEST(LinuxTimeWait, Linux_SynToTimeWaitWithoutListener_AssassinatesTimeWait_ThenRefused) {
  LinuxWorld w;
  server_time_wait_without_listener(w);
  const Fd n = w.socket();
  w.reuse(n, {.ra = true});
  must(w.bind(n, kClient), "bind client again");
  w.logged_rules();
  const auto c = w.connect_outcome(n, kServer);
  EXPECT_TRUE(Gives(c.result, Errno::econnrefused, lr::connect_refused));
  EXPECT_EQ(c.waited, 8ms) << "the SYN is retransmitted after TCP_TIMEOUT_MIN, not the 1 s initial RTO";
  EXPECT_TRUE(contains(w.logged_rules(), lr::time_wait_rst_kill));
  EXPECT_FALSE(w.has_time_wait(kServer, kClient));
  EXPECT_EQ(w.host().socket_state(n), TcpState::closed);
}

// With tcp_rfc1337=1 the RST is ignored: the TIME-WAIT survives and keeps answering the SYN with
// an ACK. The quick retransmission happens only once (icsk_retransmits == 0); afterwards the SYN
// waits out its doubled RTO, so the connection attempt lingers in SYN-SENT.
TEST(LinuxTimeWait, Linux_SynToTimeWaitWithoutListener_Rfc1337_TimeWaitSurvives_StillSynSent) {
  LinuxWorld w;
  w.knob("net.ipv4.tcp_rfc1337", "1");
  server_time_wait_without_listener(w);
  const Fd n = w.socket({.nonblock = true});
  w.reuse(n, {.ra = true});
  must(w.bind(n, kClient), "bind client again");
  EXPECT_TRUE(Gives(w.connect(n, kServer), Errno::einprogress));
  w.advance(8ms);  // the quick retransmission: answered by the TIME-WAIT's ACK again
  EXPECT_TRUE(w.has_time_wait(kServer, kClient));
  EXPECT_EQ(w.host().socket_state(n), TcpState::syn_sent);
  w.advance(2s - 1ms);  // the next retransmission is due at 8 ms + 2 s (RTO doubled)
  EXPECT_TRUE(w.has_time_wait(kServer, kClient));
  EXPECT_EQ(w.host().socket_state(n), TcpState::syn_sent);
}

// ---- crafted segments: Wire over model::Host ---------------------------------------------------

// Two hosts, a = 10.0.0.1 and b = 10.0.0.2, each routed to the other.
struct TwoHosts {
  Host a;
  Host b;
  Wire net;
  TwoHosts()
      : a(model::linux_profile(), routed("a", "10.0.0.1", "10.0.0.2")),
        b(model::linux_profile(), routed("b", "10.0.0.2", "10.0.0.1")),
        net({&a, &b}) {}

  static model::HostConfig routed(std::string name, std::string self, std::string peer) {
    auto c = host_config(std::move(name), {std::move(self)});
    c.routes.push_back({ip(peer), 32});
    return c;
  }

  // a:5000 connected to b:7000; returns {a's fd, b's accepted fd}.
  Pair connect() {
    const Fd l = static_cast<Fd>(must(b.socket(model::Family::inet, false, 0), "socket").value);
    must(b.bind(l, ep("10.0.0.2:7000")), "bind");
    must(b.listen(l, 16), "listen");
    const Fd c = static_cast<Fd>(must(a.socket(model::Family::inet, false, 0), "socket").value);
    must(a.bind(c, ep("10.0.0.1:5000")), "bind");
    net.call(0, [&](Host& h, std::vector<Segment>& out, TimePoint now) { return h.connect(c, ep("10.0.0.2:7000"), now, out); });
    net.flush();
    const Fd s = static_cast<Fd>(must(b.accept(l), "accept").value);
    return {c, s};
  }
  model::CallResult close(std::size_t h, Fd fd) {
    return net.call(h, [&](Host& x, std::vector<Segment>& out, TimePoint now) { return x.close(fd, now, out); });
  }
};

// §2.11 "Simultaneous close": both FINs in flight before either arrives (both FIN-WAIT-1, then
// CLOSING) -> both sides end in TIME-WAIT.
TEST(LinuxTimeWaitSegments, Linux_SimultaneousClose_BothSidesTimeWait) {
  TwoHosts t;
  const Pair p = t.connect();
  must(t.close(0, p.client), "a closes");
  must(t.close(1, p.server), "b closes");
  auto fins = t.net.hold();  // both FINs are on the wire, neither delivered
  ASSERT_EQ(fins.size(), 2u);
  EXPECT_TRUE(fins[0].seg.flags.fin && fins[1].seg.flags.fin);
  EXPECT_EQ(find_connection(t.a, ep("10.0.0.1:5000"), ep("10.0.0.2:7000"))->state, TcpState::fin_wait_1);
  EXPECT_EQ(find_connection(t.b, ep("10.0.0.2:7000"), ep("10.0.0.1:5000"))->state, TcpState::fin_wait_1);
  for (const auto& f : fins) t.net.deliver(f);
  EXPECT_EQ(find_connection(t.a, ep("10.0.0.1:5000"), ep("10.0.0.2:7000"))->state, TcpState::closing);
  t.net.flush();  // the ACKs of the FINs
  EXPECT_EQ(t.a.time_wait_count(), 1u);
  EXPECT_EQ(t.b.time_wait_count(), 1u);
  EXPECT_TRUE(find_connection(t.a, ep("10.0.0.1:5000"), ep("10.0.0.2:7000"))->time_wait_entry);
  EXPECT_TRUE(find_connection(t.b, ep("10.0.0.2:7000"), ep("10.0.0.1:5000"))->time_wait_entry);
}

// a is in TIME-WAIT; returns the FIN from b that put it there.
Segment into_time_wait(TwoHosts& t) {
  const Pair p = t.connect();
  must(t.close(0, p.client), "a closes first");
  t.net.flush();
  must(t.close(1, p.server), "b closes");
  t.net.flush();
  if (t.a.time_wait_count() != 1) throw std::runtime_error("a is not in TIME-WAIT");
  for (auto it = t.net.seen().rbegin(); it != t.net.seen().rend(); ++it)
    if (it->flags.fin && it->src == ep("10.0.0.2:7000")) return *it;
  throw std::runtime_error("no FIN from b seen");
}

// §2.11 / §2.8: a retransmitted FIN is ACKed and re-arms the 60 s timer (inet_twsk_reschedule).
TEST(LinuxTimeWaitSegments, Linux_RetransmittedFin_RearmsTimeWaitFor60Seconds) {
  TwoHosts t;
  const Segment fin = into_time_wait(t);
  const TimePoint entered = t.net.now();
  t.a.take_events();
  t.net.advance_to(entered + 30s);
  t.net.deliver({0, fin});
  auto replies = t.net.hold();
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_TRUE(replies[0].seg.flags.ack && !replies[0].seg.flags.rst) << "the FIN is ACKed";
  EXPECT_EQ(replies[0].seg.ack, fin.seq + 1);
  bool rearmed = false;
  for (const auto& e : t.a.take_events()) rearmed |= e.rule == &lr::time_wait_rearm;
  EXPECT_TRUE(rearmed);
  t.net.advance_to(entered + 60s);
  EXPECT_EQ(t.a.time_wait_count(), 1u) << "not expired at the original deadline";
  t.net.advance_to(entered + 90s - 1ms);
  EXPECT_EQ(t.a.time_wait_count(), 1u);
  t.net.advance_to(entered + 90s);
  EXPECT_EQ(t.a.time_wait_count(), 0u) << "60 s after the retransmitted FIN";
}

// §2.8: an in-window bare ACK (seq == rcv_nxt, no data) re-arms the timer without an answer.
TEST(LinuxTimeWaitSegments, Linux_InWindowBareAck_RearmsTimeWaitSilently) {
  TwoHosts t;
  const Segment fin = into_time_wait(t);
  const TimePoint entered = t.net.now();
  t.net.advance_to(entered + 30s);
  Segment ack;
  ack.src = fin.src;
  ack.dst = fin.dst;
  ack.flags = {.ack = true};
  ack.seq = fin.seq + 1;
  ack.ack = fin.ack;
  t.net.deliver({0, ack});
  EXPECT_TRUE(t.net.hold().empty()) << "a bare in-window ACK is not answered";
  t.net.advance_to(entered + 60s);
  EXPECT_EQ(t.a.time_wait_count(), 1u);
  t.net.advance_to(entered + 90s);
  EXPECT_EQ(t.a.time_wait_count(), 0u);
}

// §2.8: a new SYN (sequence after rcv_nxt) for a TIME-WAIT whose port has no listener is answered
// with an ACK (TCP_TW_SYN without a listener falls back to TCP_TW_ACK); the TIME-WAIT stays.
TEST(LinuxTimeWaitSegments, Linux_NewSynToTimeWaitWithoutListener_AnsweredWithAck) {
  TwoHosts t;
  const Segment fin = into_time_wait(t);
  Segment syn;
  syn.src = fin.src;
  syn.dst = fin.dst;
  syn.flags = {.syn = true};
  syn.seq = fin.seq + 100000;
  syn.window = 65535;
  t.net.deliver({0, syn});
  const auto replies = t.net.hold();
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_TRUE(replies[0].seg.flags.ack);
  EXPECT_FALSE(replies[0].seg.flags.syn || replies[0].seg.flags.rst);
  EXPECT_EQ(replies[0].seg.ack, fin.seq + 1) << "the ACK carries the TIME-WAIT's rcv_nxt";
  EXPECT_EQ(t.a.time_wait_count(), 1u);
}

// §2.8 "TIME_WAIT assassination": an in-window RST kills the TIME-WAIT with tcp_rfc1337=0 (the
// default) and is ignored with tcp_rfc1337=1.
class LinuxTimeWaitRst : public ::testing::TestWithParam<int> {};

TEST_P(LinuxTimeWaitRst, InWindowRst_KillsTimeWaitOnlyWithoutRfc1337) {
  const int rfc1337 = GetParam();
  TwoHosts t;
  set_knob(t.a, "net.ipv4.tcp_rfc1337", std::to_string(rfc1337));
  const Segment fin = into_time_wait(t);
  Segment rst;
  rst.src = fin.src;
  rst.dst = fin.dst;
  rst.flags = {.rst = true};
  rst.seq = fin.seq + 1;  // == the TIME-WAIT's rcv_nxt
  t.net.deliver({0, rst});
  EXPECT_TRUE(t.net.hold().empty()) << "an RST is never answered";
  EXPECT_EQ(t.a.time_wait_count(), rfc1337 ? 1u : 0u);
  if (!rfc1337) {
    // The 4-tuple is free at once: a new bind of the port without SO_REUSEADDR succeeds.
    const Fd n = static_cast<Fd>(must(t.a.socket(model::Family::inet, false, 0), "socket").value);
    EXPECT_TRUE(Gives(t.a.bind(n, ep("10.0.0.1:5000")), Errno::ok, lr::bind_ok));
  }
}

INSTANTIATE_TEST_SUITE_P(Linux, LinuxTimeWaitRst, ::testing::Values(0, 1),
                         [](const ::testing::TestParamInfo<int>& p) {
                           return "Rfc1337_" + std::to_string(p.param);
                         });

}  // namespace
}  // namespace portlab::testing
