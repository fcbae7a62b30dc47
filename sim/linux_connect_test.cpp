// Specification: connect() on Linux, semantics.md §2.7 (tcp_v4_connect, __inet_hash_connect,
// __inet_check_established, tcp_twsk_unique), the connect() half of §2.10 (port selection) and
// IP_BIND_ADDRESS_NO_PORT from §2.9. The client is the active closer, so the client side holds
// the TIME-WAIT; the server is 127.0.0.1:7000, as in the verified-outcomes table.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "sim/test_support.h"

namespace portlab::testing {
namespace {

using model::Errno;
using model::Family;
using model::Fd;
using model::SockOpt;
using model::TcpState;
namespace lr = model::linux_rule;

// ---- bound socket over a TIME-WAIT 4-tuple ----------------------------------------------------

struct TwKnobs {
  int timestamps;
  int tw_reuse;
};

class LinuxBoundConnectOverTimeWait : public ::testing::TestWithParam<TwKnobs> {};

// Verified outcomes, rows 1-2: new socket SO_REUSEADDR, bind(127.0.0.1:P), connect to the same
// destination while TW(P -> dst) exists (the old socket had SO_REUSEADDR). tcp_twsk_unique with
// twp == NULL looks only at tw_ts_recent_stamp: tcp_tw_reuse is never consulted.
TEST_P(LinuxBoundConnectOverTimeWait, BindOk_ConnectReusesTimeWaitIffTimestamps) {
  const TwKnobs k = GetParam();
  LinuxWorld w;
  w.knob("net.ipv4.tcp_timestamps", std::to_string(k.timestamps));
  w.knob("net.ipv4.tcp_tw_reuse", std::to_string(k.tw_reuse));
  const Fd srv = w.listener("127.0.0.1:7000", {.ra = true});
  const Fd old = w.socket();
  w.reuse(old, {.ra = true});
  must(w.bind(old, "127.0.0.1:5000"), "bind old");
  w.client_closes_first(w.establish(old, "127.0.0.1:7000", srv));
  ASSERT_TRUE(w.has_time_wait("127.0.0.1:5000", "127.0.0.1:7000"));

  const Fd n = w.socket();
  w.reuse(n, {.ra = true});
  EXPECT_TRUE(Gives(w.bind(n, "127.0.0.1:5000"), Errno::ok, lr::bind_shared_reuseaddr));
  const auto c = w.connect(n, "127.0.0.1:7000");
  if (k.timestamps) {
    EXPECT_TRUE(Gives(c, Errno::ok, lr::connect_bound_time_wait_reused));
    // The TIME-WAIT is replaced by the new ESTABLISHED connection, which the server accepts.
    EXPECT_FALSE(w.has_time_wait("127.0.0.1:5000", "127.0.0.1:7000"));
    EXPECT_EQ(w.host().socket_state(n), TcpState::established);
    EXPECT_TRUE(Gives(w.accept(srv), Errno::ok, lr::accept_ok));
  } else {
    EXPECT_TRUE(Gives(c, Errno::eaddrnotavail, lr::connect_bound_time_wait_no_timestamps));
    EXPECT_TRUE(w.has_time_wait("127.0.0.1:5000", "127.0.0.1:7000")) << "the TIME-WAIT stays";
  }
}

INSTANTIATE_TEST_SUITE_P(Linux, LinuxBoundConnectOverTimeWait,
                         ::testing::Values(TwKnobs{1, 0}, TwKnobs{1, 1}, TwKnobs{1, 2}, TwKnobs{0, 0}, TwKnobs{0, 1},
                                           TwKnobs{0, 2}),
                         [](const ::testing::TestParamInfo<TwKnobs>& p) {
                           return "Timestamps" + std::to_string(p.param.timestamps) + "_TwReuse" +
                                  std::to_string(p.param.tw_reuse);
                         });

class LinuxBoundConnectOverTimeWaitV6 : public ::testing::TestWithParam<int> {};

// Verified outcomes row 3: the same over IPv6 ([::1]), tcp_tw_reuse=2: OK / EADDRNOTAVAIL.
TEST_P(LinuxBoundConnectOverTimeWaitV6, Ipv6_ConnectReusesTimeWaitIffTimestamps) {
  const int timestamps = GetParam();
  LinuxWorld w;
  w.knob("net.ipv4.tcp_timestamps", std::to_string(timestamps));
  w.knob("net.ipv4.tcp_tw_reuse", "2");
  const Fd srv = w.listener("[::1]:7000", {.ra = true});
  const Fd old = w.socket({.family = Family::inet6});
  w.reuse(old, {.ra = true});
  must(w.bind(old, "[::1]:5000"), "bind old");
  w.client_closes_first(w.establish(old, "[::1]:7000", srv));
  ASSERT_TRUE(w.has_time_wait("[::1]:5000", "[::1]:7000"));

  const Fd n = w.socket({.family = Family::inet6});
  w.reuse(n, {.ra = true});
  EXPECT_TRUE(Gives(w.bind(n, "[::1]:5000"), Errno::ok, lr::bind_shared_reuseaddr));
  if (timestamps) {
    EXPECT_TRUE(Gives(w.connect(n, "[::1]:7000"), Errno::ok, lr::connect_bound_time_wait_reused));
    EXPECT_FALSE(w.has_time_wait("[::1]:5000", "[::1]:7000"));
  } else {
    EXPECT_TRUE(
        Gives(w.connect(n, "[::1]:7000"), Errno::eaddrnotavail, lr::connect_bound_time_wait_no_timestamps));
    EXPECT_TRUE(w.has_time_wait("[::1]:5000", "[::1]:7000"));
  }
}

INSTANTIATE_TEST_SUITE_P(Linux, LinuxBoundConnectOverTimeWaitV6, ::testing::Values(1, 0),
                         [](const ::testing::TestParamInfo<int>& p) {
                           return "Timestamps" + std::to_string(p.param);
                         });

// Verified outcomes row 4: same port, different destination (7001): the 4-tuple is free.
TEST(LinuxConnect, Linux_BoundPortInTimeWait_ConnectToOtherDestinationPort_Ok) {
  LinuxWorld w;
  w.knob("net.ipv4.tcp_tw_reuse", "2");
  const Fd srv = w.listener("127.0.0.1:7000", {.ra = true});
  const Fd other = w.listener("127.0.0.1:7001");
  const Fd old = w.socket();
  w.reuse(old, {.ra = true});
  must(w.bind(old, "127.0.0.1:5000"), "bind old");
  w.client_closes_first(w.establish(old, "127.0.0.1:7000", srv));
  ASSERT_TRUE(w.has_time_wait("127.0.0.1:5000", "127.0.0.1:7000"));
  const Fd n = w.socket();
  w.reuse(n, {.ra = true});
  must(w.bind(n, "127.0.0.1:5000"), "bind new");
  EXPECT_TRUE(Gives(w.connect(n, "127.0.0.1:7001"), Errno::ok, lr::connect_bound_ok));
  EXPECT_TRUE(Gives(w.accept(other), Errno::ok));
  EXPECT_TRUE(w.has_time_wait("127.0.0.1:5000", "127.0.0.1:7000")) << "the other TIME-WAIT is untouched";
}

// The client closes a connection the server never accepted: the client's side becomes an orphaned
// FIN-WAIT-2 entry (a TIME-WAIT minisocket in the FIN-WAIT-2 substate, with the peer's timestamp),
// the server's child sits in the accept queue in CLOSE-WAIT. A new socket bound to the same port
// connects to the same server: tcp_twsk_unique (twp == NULL) recycles the entry, and the SYN meets
// the CLOSE-WAIT child, which answers with a challenge ACK (tcp_validate_incoming). SYN-SENT resets
// it (the RST is exactly at the child's rcv_nxt, so the child is reset, and stays queued, closed)
// and re-sends the SYN 8 ms later (tcp_rcv_synsent_state_process), which the listener accepts.
// Both ends of the new connection are ESTABLISHED; accept() returns the reset child first. Seen on
// 6.18.44 with `portlab conform` (kKnown "syn-over-orphan-fin-wait-2-with-peer-in-close-wait",
// removed).
TEST(LinuxConnect, Linux_BoundConnectRecyclesOrphanFinWait2_PeerChildInCloseWait_ResetThenEstablished) {
  LinuxWorld w;
  const Fd srv = w.listener("127.0.0.1:7000");
  const Fd old = w.socket();
  w.reuse(old, {.ra = true});
  must(w.bind(old, "127.0.0.1:5000"), "bind old");
  must(w.connect(old, "127.0.0.1:7000"), "connect old");
  must(w.close(old), "close old");
  ASSERT_EQ(w.state("127.0.0.1:5000", "127.0.0.1:7000"), TcpState::fin_wait_2);
  ASSERT_EQ(w.state("127.0.0.1:7000", "127.0.0.1:5000"), TcpState::close_wait);

  const Fd n = w.socket();
  w.reuse(n, {.ra = true});
  must(w.bind(n, "127.0.0.1:5000"), "bind new");
  const auto c = w.connect_outcome(n, "127.0.0.1:7000");
  EXPECT_TRUE(Gives(c.result, Errno::ok, lr::connect_bound_time_wait_reused));
  EXPECT_EQ(c.waited, 8ms) << "the first SYN met the CLOSE-WAIT child; the re-sent one the listener";
  EXPECT_EQ(w.state("127.0.0.1:5000", "127.0.0.1:7000"), TcpState::established);
  EXPECT_EQ(w.state("127.0.0.1:7000", "127.0.0.1:5000"), TcpState::established);
  const Fd reset_child = static_cast<Fd>(must(w.accept(srv), "accept the reset child").value);
  EXPECT_TRUE(Gives(w.recv(reset_child, 10), Errno::ok, lr::recv_eof)) << "its FIN came before the RST";
  const Fd child = static_cast<Fd>(must(w.accept(srv), "accept the new connection").value);
  EXPECT_EQ(w.host().socket_state(child), TcpState::established);
}

// ---- bound socket over an ESTABLISHED 4-tuple -------------------------------------------------

class LinuxBoundConnectOverEstablished : public ::testing::TestWithParam<Reuse> {};

// Verified outcomes rows 5-6: A (ra | rp) established P -> dst; B (same option) binds P (allowed
// by §2.3) but connect() to dst finds a full socket on the 4-tuple: EADDRNOTAVAIL.
TEST_P(LinuxBoundConnectOverEstablished, SecondSocketBindsSamePort_ConnectSameDestination_IsAddrNotAvail) {
  const Reuse r = GetParam();
  LinuxWorld w;
  const Fd srv = w.listener("127.0.0.1:7000");
  const Fd a = w.socket();
  w.reuse(a, r);
  must(w.bind(a, "127.0.0.1:5000"), "bind A");
  w.establish(a, "127.0.0.1:7000", srv);
  const Fd b = w.socket();
  w.reuse(b, r);
  EXPECT_TRUE(Gives(w.bind(b, "127.0.0.1:5000"), Errno::ok,
                    r.ra ? lr::bind_shared_reuseaddr : lr::bind_shared_reuseport));
  EXPECT_TRUE(Gives(w.connect(b, "127.0.0.1:7000"), Errno::eaddrnotavail, lr::connect_bound_tuple_in_use));
  EXPECT_EQ(w.host().socket_state(a), TcpState::established) << "A is untouched";
}

INSTANTIATE_TEST_SUITE_P(Linux, LinuxBoundConnectOverEstablished, ::testing::Values(Reuse{true, false}, Reuse{false, true}),
                         [](const ::testing::TestParamInfo<Reuse>& p) {
                           return std::string(p.param.ra ? "ReuseAddr" : "ReusePort");
                         });

// semantics.md §2.7: "also for non-blocking connect [test]": the error is immediate, not EINPROGRESS.
TEST(LinuxConnect, Linux_NonBlockingConnectOverEstablishedTuple_IsAddrNotAvailAtOnce) {
  LinuxWorld w;
  const Fd srv = w.listener("127.0.0.1:7000");
  const Fd a = w.socket();
  w.reuse(a, {.ra = true});
  must(w.bind(a, "127.0.0.1:5000"), "bind A");
  w.establish(a, "127.0.0.1:7000", srv);
  const Fd b = w.socket({.nonblock = true});
  w.reuse(b, {.ra = true});
  must(w.bind(b, "127.0.0.1:5000"), "bind B");
  EXPECT_TRUE(Gives(w.connect(b, "127.0.0.1:7000"), Errno::eaddrnotavail, lr::connect_bound_tuple_in_use));
}

// ---- autobind over a TIME-WAIT: tcp_tw_reuse, timestamps, tcp_tw_reuse_delay ------------------

// A world whose only ephemeral port (40000) holds TW(127.0.0.1:40000 -> 127.0.0.1:7000).
struct OnePortTimeWait {
  LinuxWorld w;
  Fd srv = -1;
  model::TimePoint tw_entered{};

  explicit OnePortTimeWait(int tw_reuse, int timestamps = 1) {
    w.knob("net.ipv4.ip_local_port_range", "40000 40000");
    w.knob("net.ipv4.tcp_tw_reuse", std::to_string(tw_reuse));
    w.knob("net.ipv4.tcp_timestamps", std::to_string(timestamps));
    srv = w.listener("127.0.0.1:7000");
    const Fd c = w.socket();
    const Pair p = w.establish(c, "127.0.0.1:7000", srv);
    if (w.host().local_port(c) != 40000) throw std::runtime_error("autobind did not pick 40000");
    w.client_closes_first(p);
    if (!w.has_time_wait("127.0.0.1:40000", "127.0.0.1:7000")) throw std::runtime_error("no TIME-WAIT on 40000");
    tw_entered = w.now();
  }
};

class LinuxAutobindOverTimeWait : public ::testing::TestWithParam<int> {};

// Verified outcomes rows 7-9 (Linux >= 6.14: the threshold is tcp_tw_reuse_delay = 1000 ms from
// TIME-WAIT entry): immediately EADDRNOTAVAIL for every tcp_tw_reuse; after 1.2 s OK for 1 and
// 2 (loopback), still EADDRNOTAVAIL for 0.
TEST_P(LinuxAutobindOverTimeWait, OnlyPortInTimeWait_ImmediateThenAfter1200ms) {
  const int tw_reuse = GetParam();
  OnePortTimeWait s(tw_reuse);
  LinuxWorld& w = s.w;
  const Fd first = w.socket();
  EXPECT_TRUE(Gives(w.connect(first, "127.0.0.1:7000"), Errno::eaddrnotavail, lr::connect_autobind_exhausted))
      << "immediately";
  w.advance_to(s.tw_entered + 1200ms);
  ASSERT_TRUE(w.has_time_wait("127.0.0.1:40000", "127.0.0.1:7000"));
  const Fd later = w.socket();
  const auto r = w.connect(later, "127.0.0.1:7000");
  if (tw_reuse == 0) {
    EXPECT_TRUE(Gives(r, Errno::eaddrnotavail, lr::connect_autobind_exhausted)) << "after 1.2 s";
    EXPECT_TRUE(w.has_time_wait("127.0.0.1:40000", "127.0.0.1:7000"));
  } else {
    EXPECT_TRUE(Gives(r, Errno::ok, lr::connect_autobind_time_wait_reused)) << "after 1.2 s";
    EXPECT_EQ(w.host().local_port(later), 40000);
    EXPECT_FALSE(w.has_time_wait("127.0.0.1:40000", "127.0.0.1:7000"));
    EXPECT_EQ(w.state("127.0.0.1:40000", "127.0.0.1:7000"), TcpState::established);
  }
}

INSTANTIATE_TEST_SUITE_P(Linux, LinuxAutobindOverTimeWait, ::testing::Values(0, 1, 2),
                         [](const ::testing::TestParamInfo<int>& p) {
                           return "TwReuse" + std::to_string(p.param);
                         });

// tcp_twsk_unique: the delay is strict (now > entry + delay), so at exactly 1000 ms it is still too early.
TEST(LinuxConnect, Linux_AutobindTwReuse1_AtExactlyReuseDelay_StillAddrNotAvail) {
  OnePortTimeWait s(1);
  s.w.advance_to(s.tw_entered + 1000ms);
  const Fd c = s.w.socket();
  EXPECT_TRUE(Gives(s.w.connect(c, "127.0.0.1:7000"), Errno::eaddrnotavail, lr::connect_autobind_exhausted));
  s.w.advance_to(s.tw_entered + 1001ms);
  const Fd d = s.w.socket();
  EXPECT_TRUE(Gives(s.w.connect(d, "127.0.0.1:7000"), Errno::ok, lr::connect_autobind_time_wait_reused));
}

// tcp_twsk_unique: without a recorded peer timestamp the TIME-WAIT is never recycled.
TEST(LinuxConnect, Linux_AutobindTwReuse1_NoTimestamps_AddrNotAvailEvenAfterDelay) {
  OnePortTimeWait s(1, /*timestamps=*/0);
  s.w.advance_to(s.tw_entered + 1200ms);
  const Fd c = s.w.socket();
  EXPECT_TRUE(Gives(s.w.connect(c, "127.0.0.1:7000"), Errno::eaddrnotavail, lr::connect_autobind_exhausted));
}

// tcp_twsk_unique: reuse forced to 0 for a TIME-WAIT that is an orphaned FIN-WAIT-2 substate.
TEST(LinuxConnect, Linux_AutobindTwReuse1_OrphanFinWait2OnPort_NeverRecycled) {
  LinuxWorld w;
  w.knob("net.ipv4.ip_local_port_range", "40000 40000");
  w.knob("net.ipv4.tcp_tw_reuse", "1");
  const Fd srv = w.listener("127.0.0.1:7000");
  const Fd c = w.socket();
  w.establish(c, "127.0.0.1:7000", srv);
  must(w.close(c), "client close; the server does not close");
  ASSERT_EQ(w.state("127.0.0.1:40000", "127.0.0.1:7000"), TcpState::fin_wait_2);
  w.advance(2s);
  const Fd d = w.socket();
  EXPECT_TRUE(Gives(w.connect(d, "127.0.0.1:7000"), Errno::eaddrnotavail, lr::connect_autobind_exhausted));
}

// tcp_tw_reuse=2 is loopback only: between two hosts on 10.0.0.0/24 it does not recycle, 1 does.
TEST(LinuxConnect, Linux_AutobindTwReuse2_NonLoopbackPeer_NotRecycled_TwReuse1_Recycled) {
  for (int tw_reuse : {2, 1}) {
    SCOPED_TRACE("tcp_tw_reuse=" + std::to_string(tw_reuse));
    LinuxWorld w = LinuxWorld::hosts(2);
    w.knob("net.ipv4.ip_local_port_range", "40000 40000", 0);
    w.knob("net.ipv4.tcp_tw_reuse", std::to_string(tw_reuse), 0);
    const Fd srv = w.listener("10.0.0.2:7000", {}, {}, 1);
    const Fd c = w.socket({}, 0);
    w.client_closes_first(w.establish(c, "10.0.0.2:7000", srv, 0, 1), 0, 1);
    ASSERT_TRUE(w.has_time_wait("10.0.0.1:40000", "10.0.0.2:7000", 0));
    w.advance(1200ms);
    const Fd d = w.socket({}, 0);
    const auto r = w.connect(d, "10.0.0.2:7000", 0);
    if (tw_reuse == 2) {
      EXPECT_TRUE(Gives(r, Errno::eaddrnotavail, lr::connect_autobind_exhausted));
    } else {
      EXPECT_TRUE(Gives(r, Errno::ok, lr::connect_autobind_time_wait_reused));
    }
  }
}

// ---- autobind: ports owned by bind(), 4-tuple sharing, parity, direction ----------------------

// semantics.md §2.7/§2.10: a bind bucket created by bind() is skipped by connect() (tb->fastreuse
// >= 0 || tb->fastreuseport >= 0): a range consisting only of a bound port gives EADDRNOTAVAIL.
TEST(LinuxConnect, Linux_RangeIsOnlyABoundPort_AutobindConnect_IsAddrNotAvail) {
  for (const char* held : {"127.0.0.1:40000", "0.0.0.0:40000", "127.0.0.2:40000"}) {
    SCOPED_TRACE(held);
    LinuxWorld w;
    w.knob("net.ipv4.ip_local_port_range", "40000 40000");
    w.listener("127.0.0.1:7000");
    const Fd holder = w.socket();
    w.reuse(holder, {.ra = true, .rp = true});
    must(w.bind(holder, held), "bind the only port");
    const Fd c = w.socket();
    EXPECT_TRUE(Gives(w.connect(c, "127.0.0.1:7000"), Errno::eaddrnotavail, lr::connect_autobind_exhausted));
    // Once the bound socket is gone the port is connect()'s again.
    must(w.close(holder), "close holder");
    const Fd d = w.socket();
    EXPECT_TRUE(Gives(w.connect(d, "127.0.0.1:7000"), Errno::ok, lr::connect_autobind_ok));
    EXPECT_EQ(w.host().local_port(d), 40000);
  }
}

// semantics.md §2.10 observed: 2-port range, the third connect to the same destination is
// EADDRNOTAVAIL; a connect to a different destination reuses an already used port.
TEST(LinuxConnect, Linux_TwoPortRange_ThirdConnectSameDestinationFails_OtherDestinationSharesPort) {
  LinuxWorld w;
  w.knob("net.ipv4.ip_local_port_range", "40000 40001");
  const Fd s1 = w.listener("127.0.0.1:7000");
  const Fd s2 = w.listener("127.0.0.1:7001");
  std::set<std::uint16_t> used;
  for (int i = 0; i < 2; ++i) {
    const Fd c = w.socket();
    EXPECT_TRUE(Gives(w.connect(c, "127.0.0.1:7000"), Errno::ok, lr::connect_autobind_ok));
    must(w.accept(s1), "accept");
    used.insert(*w.host().local_port(c));
  }
  EXPECT_EQ(used, (std::set<std::uint16_t>{40000, 40001}));
  const Fd third = w.socket();
  EXPECT_TRUE(Gives(w.connect(third, "127.0.0.1:7000"), Errno::eaddrnotavail, lr::connect_autobind_exhausted));
  const Fd other = w.socket();
  EXPECT_TRUE(Gives(w.connect(other, "127.0.0.1:7001"), Errno::ok, lr::connect_autobind_ok));
  EXPECT_TRUE(used.count(*w.host().local_port(other))) << "4-tuple sharing: a port already in use";
  EXPECT_TRUE(Gives(w.accept(s2), Errno::ok));
}

// semantics.md §2.10 observed: 300 connects to one destination with the default range are all
// even (low's parity first), and consecutive connects move forward by small steps
// (table_perturb += max(i, random(0..7) * 2) + 2).
TEST(LinuxConnect, Linux_DefaultRange_ManyConnectsToOneDestination_EvenPortsMovingForward) {
  LinuxWorld w;
  const Fd srv = w.listener("127.0.0.1:7000");
  constexpr int kRange = 60999 - 32768 + 1;
  std::vector<int> ports;
  for (int i = 0; i < 300; ++i) {
    const Fd c = w.socket();
    must(w.connect(c, "127.0.0.1:7000"), "connect");
    must(w.accept(srv), "accept");
    ports.push_back(*w.host().local_port(c));
  }
  for (std::size_t i = 0; i < ports.size(); ++i) {
    EXPECT_GE(ports[i], 32768);
    EXPECT_LE(ports[i], 60999);
    EXPECT_EQ(ports[i] % 2, 0) << "connect #" << i << " got " << ports[i];
    if (i == 0) continue;
    const int step = ((ports[i] - ports[i - 1]) % kRange + kRange) % kRange;
    EXPECT_GE(step, 2) << "connect #" << i;
    EXPECT_LE(step, 16) << "connect #" << i << ": " << ports[i - 1] << " -> " << ports[i];
  }
  EXPECT_EQ(std::set<int>(ports.begin(), ports.end()).size(), ports.size()) << "no port twice";
}

// IP_LOCAL_PORT_RANGE (Linux 6.3): the per-socket range clamps the netns range and connect()
// then scans with step 1 (no parity split), so odd ports are used too.
TEST(LinuxConnect, Linux_IpLocalPortRange_ClampsConnectPorts_StepOne) {
  LinuxWorld w;
  const Fd srv = w.listener("127.0.0.1:7000");
  std::set<std::uint16_t> ports;
  for (int i = 0; i < 4; ++i) {
    const Fd c = w.socket();
    must(w.setopt(c, SockOpt::ip_local_port_range, model::PortRange{45000, 45003}), "IP_LOCAL_PORT_RANGE");
    EXPECT_TRUE(Gives(w.connect(c, "127.0.0.1:7000"), Errno::ok, lr::connect_autobind_ok));
    must(w.accept(srv), "accept");
    ports.insert(*w.host().local_port(c));
  }
  EXPECT_EQ(ports, (std::set<std::uint16_t>{45000, 45001, 45002, 45003}));
  const Fd c = w.socket();
  must(w.setopt(c, SockOpt::ip_local_port_range, model::PortRange{45000, 45003}), "IP_LOCAL_PORT_RANGE");
  EXPECT_TRUE(Gives(w.connect(c, "127.0.0.1:7000"), Errno::eaddrnotavail, lr::connect_autobind_exhausted));
}

// ip_local_reserved_ports are skipped by connect() autobind too.
TEST(LinuxConnect, Linux_ReservedPorts_SkippedByConnectAutobind) {
  LinuxWorld w;
  w.knob("net.ipv4.ip_local_port_range", "40000 40003");
  w.knob("net.ipv4.ip_local_reserved_ports", "40000-40002");
  const Fd srv = w.listener("127.0.0.1:7000");
  const Fd c = w.socket();
  must(w.connect(c, "127.0.0.1:7000"), "connect");
  must(w.accept(srv), "accept");
  EXPECT_EQ(w.host().local_port(c), 40003);
  const Fd d = w.socket();
  EXPECT_TRUE(Gives(w.connect(d, "127.0.0.1:7000"), Errno::eaddrnotavail, lr::connect_autobind_exhausted));
}

// ---- IP_BIND_ADDRESS_NO_PORT (semantics.md §2.9) ----------------------------------------------

// The §2.9 test row: 1-port range; two NO_PORT sockets to two different servers share the port;
// a plain bind(0) then finds nothing (EADDRINUSE); a third NO_PORT socket to an already used
// 4-tuple gets EADDRNOTAVAIL.
TEST(LinuxConnect, Linux_BindAddressNoPort_SharesTheOnlyPortAcrossDestinations) {
  LinuxWorld w;
  w.knob("net.ipv4.ip_local_port_range", "40030 40030");
  const Fd s1 = w.listener("127.0.0.1:7000");
  const Fd s2 = w.listener("127.0.0.1:7001");
  auto no_port_socket = [&] {
    const Fd fd = w.socket();
    must(w.setopt(fd, SockOpt::ip_bind_address_no_port, std::int64_t{1}), "IP_BIND_ADDRESS_NO_PORT");
    EXPECT_TRUE(Gives(w.bind(fd, "127.0.0.1:0"), Errno::ok, lr::bind_no_port_deferred));
    EXPECT_EQ(w.sockname(fd)->port, 0) << "no port is reserved at bind()";
    return fd;
  };
  const Fd a = no_port_socket();
  const Fd b = no_port_socket();
  EXPECT_TRUE(Gives(w.connect(a, "127.0.0.1:7000"), Errno::ok, lr::connect_autobind_ok));
  EXPECT_TRUE(Gives(w.connect(b, "127.0.0.1:7001"), Errno::ok, lr::connect_autobind_ok));
  EXPECT_EQ(w.host().local_port(a), 40030);
  EXPECT_EQ(w.host().local_port(b), 40030);
  must(w.accept(s1), "accept 1");
  must(w.accept(s2), "accept 2");

  const Fd plain = w.socket();
  EXPECT_TRUE(Gives(w.bind(plain, "127.0.0.1:0"), Errno::eaddrinuse, lr::bind_port0_exhausted));

  const Fd third = no_port_socket();
  EXPECT_TRUE(Gives(w.connect(third, "127.0.0.1:7000"), Errno::eaddrnotavail, lr::connect_autobind_exhausted));
}

// "A bind() with a nonzero port ignores the option": the port is reserved at bind().
TEST(LinuxConnect, Linux_BindAddressNoPort_WithExplicitPort_ReservesPortAtBind) {
  LinuxWorld w;
  const Fd a = w.socket();
  must(w.setopt(a, SockOpt::ip_bind_address_no_port, std::int64_t{1}), "IP_BIND_ADDRESS_NO_PORT");
  EXPECT_TRUE(Gives(w.bind(a, "127.0.0.1:5000"), Errno::ok, lr::bind_ok));
  EXPECT_EQ(w.sockname(a)->port, 5000);
  const Fd b = w.socket();
  EXPECT_TRUE(Gives(w.bind(b, "127.0.0.1:5000"), Errno::eaddrinuse, lr::bind_conflict_no_reuse));
}

// ---- errors before the 4-tuple check, and refusal ----------------------------------------------

// Nobody listens: the peer's RST in SYN-SENT gives ECONNREFUSED (tcp_reset).
TEST(LinuxConnect, Linux_ConnectToPortNobodyListensOn_IsConnRefused) {
  LinuxWorld w;
  const Fd c = w.socket();
  EXPECT_TRUE(Gives(w.connect(c, "127.0.0.1:7999"), Errno::econnrefused, lr::connect_refused));
  EXPECT_EQ(w.host().socket_state(c), TcpState::closed);
}

// A blocking connect() that fails runs tcp_disconnect (__inet_stream_connect's error path): the
// socket is usable again, recv() says ENOTCONN rather than EOF, and an address the user did not
// choose goes back to the wildcard. Found by the differential test against a 6.18 kernel.
TEST(LinuxConnect, Linux_FailedBlockingConnect_DisconnectsTheSocket_RecvEnotconn_WildcardKept) {
  LinuxWorld w;
  const Fd a = w.socket();
  ASSERT_TRUE(Gives(w.bind(a, "0.0.0.0:7001"), Errno::ok));
  ASSERT_TRUE(Gives(w.connect(a, "127.0.0.1:7000"), Errno::econnrefused, lr::connect_refused));
  EXPECT_TRUE(Gives(w.recv(a, 1), Errno::enotconn, lr::recv_enotconn));
  ASSERT_TRUE(Gives(w.listen(a), Errno::ok));
  EXPECT_EQ(w.sockname(a)->addr, *model::IpAddress::parse("0.0.0.0")) << "SOCK_BINDADDR_LOCK was not set";
}

// inet_stream_connect: connect() on a connected socket, and on a listening one, is EISCONN.
TEST(LinuxConnect, Linux_ConnectOnConnectedOrListeningSocket_IsEisconn) {
  LinuxWorld w;
  const Fd srv = w.listener("127.0.0.1:7000");
  const Fd c = w.socket();
  w.establish(c, "127.0.0.1:7000", srv);
  EXPECT_TRUE(Gives(w.connect(c, "127.0.0.1:7000"), Errno::eisconn, lr::connect_eisconn));
  EXPECT_TRUE(Gives(w.connect(srv, "127.0.0.1:7000"), Errno::eisconn, lr::connect_eisconn));
}

// __inet_stream_connect SS_CONNECTING: a second connect() while a non-blocking one is in
// progress is EALREADY (the network is given latency so the handshake is still under way). Once
// the handshake is over, the socket is still SS_CONNECTING: the next connect() returns 0 and
// makes it SS_CONNECTED, and only the one after is EISCONN (this test used to expect EISCONN at
// once; 6.18.44 returns 0, see the SS_* tests below).
TEST(LinuxConnect, Linux_SecondConnectWhileNonBlockingConnectInProgress_IsEalready) {
  LinuxWorld w;
  w.world().set_latency(10ms);
  w.listener("127.0.0.1:7000");
  const Fd c = w.socket({.nonblock = true});
  EXPECT_TRUE(Gives(w.connect(c, "127.0.0.1:7000"), Errno::einprogress));
  EXPECT_EQ(w.host().socket_state(c), TcpState::syn_sent);
  EXPECT_TRUE(Gives(w.connect(c, "127.0.0.1:7000"), Errno::ealready, lr::connect_ealready));
  w.advance(100ms);
  EXPECT_EQ(w.host().socket_state(c), TcpState::established);
  EXPECT_TRUE(Gives(w.connect(c, "127.0.0.1:7000"), Errno::ok, lr::connect_async_completed));
  EXPECT_TRUE(Gives(w.connect(c, "127.0.0.1:7000"), Errno::eisconn, lr::connect_eisconn));
}

// connect() to the socket's own address and port is a simultaneous open with itself: the SYN
// arrives at the same socket in SYN-SENT (ehash: the 4-tuple is its own), which goes to
// SYN-RECEIVED and sends SYN,ACK (tcp_rcv_synsent_state_process, "connect to self"); that SYN,ACK
// arrives in SYN-RECEIVED and tcp_validate_incoming lets it through (seq + 1 == rcv_nxt, ack_seq ==
// snd_nxt) to complete the handshake. One socket, ESTABLISHED A -> A, that reads what it sends.
// Seen on 6.18.44 with `portlab conform` (kKnown "self-connect", removed).
TEST(LinuxConnect, Linux_ConnectToOwnAddressAndPort_SimultaneousOpenWithItself_Established) {
  LinuxWorld w;
  const Fd a = w.socket();
  must(w.bind(a, "127.0.0.1:5000"), "bind");
  EXPECT_TRUE(Gives(w.connect(a, "127.0.0.1:5000"), Errno::ok, lr::connect_bound_ok));
  EXPECT_EQ(w.host().socket_state(a), TcpState::established);
  EXPECT_EQ(w.state("127.0.0.1:5000", "127.0.0.1:5000"), TcpState::established);
  EXPECT_EQ(w.host().connections().size(), 1u) << "one socket, both ends of the connection";
  EXPECT_TRUE(Gives(w.send(a, 10), Errno::ok, lr::send_ok));
  const auto r = w.recv(a, 100);
  EXPECT_TRUE(Gives(r, Errno::ok, lr::recv_ok));
  EXPECT_EQ(r.value, 10) << "it reads its own bytes";
}

// shutdown(SHUT_WR) on the unconnected socket fails (ENOTCONN) but leaves SEND_SHUTDOWN set, and
// connect() does not clear it. The ordinary handshake ignores it (tcp_finish_connect), but a
// simultaneous open completes in tcp_rcv_state_process's TCP_SYN_RECV case, which calls
// tcp_shutdown(SEND_SHUTDOWN): the FIN goes out at once, and a socket connected to itself receives
// its own FIN and ACK (FIN-WAIT-1 -> CLOSING -> TIME-WAIT). The blocking connect() wakes to a
// CLOSE socket without an error: ECONNABORTED (__inet_stream_connect, sock_error). Found by the
// differential test once the "self-connect" entry was gone; a real blocking connect() on 6.18.44
// says ECONNABORTED and leaves the TIME-WAIT, and `portlab conform` agrees.
TEST(LinuxConnect, Linux_ShutdownWrBeforeConnectToItself_FinAtOnce_TimeWait_Econnaborted) {
  LinuxWorld w;
  const Fd a = w.socket();
  must(w.bind(a, "127.0.0.1:5000"), "bind");
  EXPECT_TRUE(Gives(w.shutdown(a, false, true), Errno::enotconn, lr::shutdown_enotconn));
  EXPECT_TRUE(Gives(w.connect(a, "127.0.0.1:5000"), Errno::econnaborted, lr::connect_async_aborted));
  EXPECT_TRUE(w.has_time_wait("127.0.0.1:5000", "127.0.0.1:5000"));
}

// The same flag does nothing to an ordinary connection (tcp_finish_connect sends no FIN).
TEST(LinuxConnect, Linux_ShutdownRdwrBeforeConnect_ToListener_StaysEstablished) {
  LinuxWorld w;
  const Fd l = w.listener("127.0.0.1:7000");
  const Fd a = w.socket();
  EXPECT_TRUE(Gives(w.shutdown(a, true, true), Errno::enotconn, lr::shutdown_enotconn));
  EXPECT_TRUE(Gives(w.connect(a, "127.0.0.1:7000"), Errno::ok));
  EXPECT_EQ(w.host().socket_state(a), TcpState::established);
  const Fd child = static_cast<Fd>(must(w.accept(l), "accept").value);
  EXPECT_EQ(w.host().socket_state(child), TcpState::established) << "no FIN came";
}

TEST(LinuxConnect, Linux_NonBlockingConnectToOwnWildcardBoundPort_EinprogressThenEstablished) {
  LinuxWorld w;
  const Fd a = w.socket({.nonblock = true});
  must(w.bind(a, "0.0.0.0:5000"), "bind");
  EXPECT_TRUE(Gives(w.connect(a, "127.0.0.1:5000"), Errno::einprogress, lr::connect_bound_ok));
  EXPECT_EQ(w.state("127.0.0.1:5000", "127.0.0.1:5000"), TcpState::established);
}

// ---- the socket layer's SS_* state (af_inet.c) -------------------------------------------------
// A non-blocking connect() leaves struct socket SS_CONNECTING whatever becomes of the connection;
// the next connect() collects the outcome (__inet_stream_connect), listen() needs SS_UNCONNECTED
// (inet_listen), and shutdown() settles it (inet_shutdown). Each test below was run against
// 6.18.44 with `portlab conform` (kKnown "socket-still-connecting-after-async-connect", removed).

// Refused asynchronously: listen() is EINVAL, the next connect() reports the pending ECONNREFUSED
// (sock_error; SS_UNCONNECTED, tcp_disconnect), and the one after starts a new attempt.
TEST(LinuxConnect, Linux_AsyncConnectRefused_NextConnectReportsTheError_ListenBeforeItIsEinval) {
  LinuxWorld w;
  w.listener("127.0.0.1:7000");
  const Fd a = w.socket({.nonblock = true});
  must(w.bind(a, "127.0.0.1:5000"), "bind");
  EXPECT_TRUE(Gives(w.connect(a, "127.0.0.1:7999"), Errno::einprogress));
  EXPECT_EQ(w.host().socket_state(a), TcpState::closed) << "refused at once (zero latency)";
  EXPECT_TRUE(Gives(w.listen(a), Errno::einval, lr::listen_einval_state)) << "still SS_CONNECTING";
  EXPECT_TRUE(Gives(w.connect(a, "127.0.0.1:7999"), Errno::econnrefused, lr::connect_refused));
  EXPECT_TRUE(Gives(w.connect(a, "127.0.0.1:7000"), Errno::einprogress, lr::connect_bound_ok));
}

// Succeeded asynchronously: the next connect() returns 0 (SS_CONNECTED), the one after EISCONN.
TEST(LinuxConnect, Linux_AsyncConnectEstablished_NextConnectReturnsZero_ThenEisconn) {
  LinuxWorld w;
  w.listener("127.0.0.1:7000");
  const Fd a = w.socket({.nonblock = true});
  EXPECT_TRUE(Gives(w.connect(a, "127.0.0.1:7000"), Errno::einprogress));
  ASSERT_EQ(w.host().socket_state(a), TcpState::established);
  EXPECT_TRUE(Gives(w.connect(a, "127.0.0.1:7000"), Errno::ok, lr::connect_async_completed));
  EXPECT_TRUE(Gives(w.connect(a, "127.0.0.1:7000"), Errno::eisconn, lr::connect_eisconn));
}

// The pending error was already taken (here by recv()): connect() finds CLOSE without an error and
// says ECONNABORTED (sock_error(sk) ?: -ECONNABORTED); the disconnect makes recv() ENOTCONN.
TEST(LinuxConnect, Linux_AsyncConnectRefused_ErrorTakenByRecv_NextConnectIsEconnaborted) {
  LinuxWorld w;
  const Fd b = w.socket({.nonblock = true});
  EXPECT_TRUE(Gives(w.connect(b, "127.0.0.1:7998"), Errno::einprogress));
  EXPECT_TRUE(Gives(w.recv(b, 10), Errno::econnrefused));
  EXPECT_TRUE(Gives(w.connect(b, "127.0.0.1:7998"), Errno::econnaborted, lr::connect_async_aborted));
  EXPECT_TRUE(Gives(w.recv(b, 10), Errno::enotconn, lr::recv_enotconn));
}

// tcp_recvmsg_locked looks at sk_err before RCV_SHUTDOWN: after an asynchronous refusal and a
// shutdown(SHUT_RD) (ENOTCONN), recv() still reports the pending ECONNREFUSED, then EOF. Found by
// the differential test (seed 24, 400 cases) once the SS_* entry, which had hidden it, was gone.
TEST(LinuxConnect, Linux_AsyncConnectRefused_ShutdownRd_RecvStillReportsTheError) {
  LinuxWorld w;
  const Fd s0 = w.socket({.nonblock = true});
  EXPECT_TRUE(Gives(w.connect(s0, "127.0.0.1:7000"), Errno::einprogress));
  EXPECT_TRUE(Gives(w.shutdown(s0, true, false), Errno::enotconn, lr::shutdown_enotconn));
  EXPECT_TRUE(Gives(w.recv(s0, 1), Errno::econnrefused, lr::connect_refused));
  EXPECT_TRUE(Gives(w.recv(s0, 1), Errno::ok, lr::recv_eof));
}

// shutdown() of a socket still SS_CONNECTING: SS_DISCONNECTING if the connection is CLOSE (then
// connect() is EINVAL and listen() too), SS_CONNECTED if it is past the handshake (then EISCONN).
TEST(LinuxConnect, Linux_ShutdownWhileSsConnecting_ClosedIsDisconnectingEinval_EstablishedIsConnectedEisconn) {
  LinuxWorld w;
  w.listener("127.0.0.1:7000");
  const Fd c = w.socket({.nonblock = true});
  EXPECT_TRUE(Gives(w.connect(c, "127.0.0.1:7997"), Errno::einprogress));
  EXPECT_TRUE(Gives(w.shutdown(c, false, true), Errno::enotconn, lr::shutdown_enotconn));
  EXPECT_TRUE(Gives(w.connect(c, "127.0.0.1:7000"), Errno::einval, lr::connect_einval_disconnecting));
  EXPECT_TRUE(Gives(w.listen(c), Errno::einval, lr::listen_einval_state));

  const Fd d = w.socket({.nonblock = true});
  EXPECT_TRUE(Gives(w.connect(d, "127.0.0.1:7000"), Errno::einprogress));
  EXPECT_TRUE(Gives(w.shutdown(d, false, true), Errno::ok, lr::shutdown_ok));
  EXPECT_TRUE(Gives(w.connect(d, "127.0.0.1:7000"), Errno::eisconn, lr::connect_eisconn));
}

// tcp_v4_connect: an IPv6 destination on an AF_INET socket is EAFNOSUPPORT.
TEST(LinuxConnect, Linux_Ipv4SocketConnectsToIpv6Address_IsEafnosupport) {
  LinuxWorld w;
  w.listener("[::1]:7000");
  const Fd c = w.socket();
  EXPECT_TRUE(Gives(w.connect(c, "[::1]:7000"), Errno::eafnosupport, lr::connect_eafnosupport));
}

// ---- the ICE-TCP layout of semantics.md §7.3 ---------------------------------------------------

// Listener *:P with ra+rp plus an active socket bound 127.0.0.1:P: with ra+rp (or rp only) it
// binds and connects out while the listener keeps accepting on P; with ra only, EADDRINUSE.
TEST(LinuxConnect, Linux_IceTcp_ListenerAndActiveSocketOnSamePort_NeedReusePortOnBoth) {
  for (Reuse active : {Reuse{true, true}, Reuse{false, true}, Reuse{true, false}}) {
    SCOPED_TRACE("active ra=" + std::to_string(active.ra) + " rp=" + std::to_string(active.rp));
    LinuxWorld w;
    const Fd remote = w.listener("127.0.0.1:7000");
    const Fd passive = w.listener("0.0.0.0:5000", {.ra = true, .rp = true});
    const Fd a = w.socket();
    w.reuse(a, active);
    const auto b = w.bind(a, "127.0.0.1:5000");
    if (!active.rp) {
      EXPECT_TRUE(Gives(b, Errno::eaddrinuse, lr::bind_conflict_reuseaddr_existing_listens));
      continue;
    }
    EXPECT_TRUE(Gives(b, Errno::ok, lr::bind_shared_reuseport));
    EXPECT_TRUE(Gives(w.connect(a, "127.0.0.1:7000"), Errno::ok, lr::connect_bound_ok));
    must(w.accept(remote), "remote accepts");
    const Fd in = w.socket();
    EXPECT_TRUE(Gives(w.connect(in, "127.0.0.1:5000"), Errno::ok)) << "inbound to P";
    EXPECT_TRUE(Gives(w.accept(passive), Errno::ok, lr::accept_ok)) << "accepted by the listener";
  }
}

}  // namespace
}  // namespace portlab::testing
