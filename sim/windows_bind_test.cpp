// Specification: the Windows profiles, semantics.md §5 (documentation only). The 6x6 sharing
// matrix of §5.1 ("Sharing Transport Addresses"), run with both sockets created by the same user
// and by different users (CHECK: success for the same user, WSAEACCES otherwise); different
// specific addresses; SO_EXCLUSIVEADDRUSE against the port hijack; the XP-era variant; the Winsock
// errno spellings; closesocket() linger semantics (§5.3); connect() over TIME-WAIT and
// TcpTimedWaitDelay (§5.2); and the cross-stack timestamp consequence of §1 correction 1.
//
// Host "a" (10.0.0.1, 10.0.0.3) runs the OS under test, host "b" (10.0.0.2) is the peer.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "model/linux_profile.h"
#include "model/windows_profile.h"
#include "sim/os_test_support.h"

namespace portlab::testing {
namespace {

using model::Errno;
using model::Fd;
using model::SockOpt;
using model::TcpState;
using model::TimePoint;
namespace lr = model::linux_rule;

constexpr const char* kPeer = "10.0.0.2:7000";

const model::Profile& win() { return model::windows_profile(); }
const model::Profile& xp() { return model::windows_xp_profile(); }

// ---- §5.1 the sharing matrix -------------------------------------------------------------------

enum class Opt { none, reuseaddr, exclusive };

struct Bind {
  Opt opt;
  bool wildcard;
};

std::string bind_name(Bind b) {
  std::string s = b.opt == Opt::none ? "None" : b.opt == Opt::reuseaddr ? "ReuseAddr" : "ExclusiveAddrUse";
  return s + (b.wildcard ? "Wildcard" : "Specific");
}

// The table's row/column order: none-W, none-S, RA-W, RA-S, EX-W, EX-S.
Bind bind_at(int i) { return {static_cast<Opt>(i / 2), i % 2 == 0}; }

enum class Cell { success, inuse, denied, check };

// semantics.md §5.1, transcribed: rows = second bind, columns = first bind.
constexpr Cell S = Cell::success;
constexpr Cell U = Cell::inuse;
constexpr Cell D = Cell::denied;
constexpr Cell C = Cell::check;
constexpr std::array<std::array<Cell, 6>, 6> kMatrix{{
    //  none-W none-S RA-W RA-S EX-W EX-S      (first bind)
    {{U, S, U, S, U, S}},  // none, Wildcard
    {{C, U, C, D, D, U}},  // none, Specific
    {{D, S, S, S, D, S}},  // SO_REUSEADDR, Wildcard
    {{C, D, S, S, D, D}},  // SO_REUSEADDR, Specific
    {{U, U, U, U, U, U}},  // SO_EXCLUSIVEADDRUSE, Wildcard
    {{C, U, C, U, D, U}},  // SO_EXCLUSIVEADDRUSE, Specific
}};

struct MatrixCase {
  int second;  // row
  int first;   // column
  bool same_user;
};

std::string result_name(const MatrixCase& c) {
  switch (kMatrix[c.second][c.first]) {
    case Cell::success: return "Success";
    case Cell::inuse: return "InUse";
    case Cell::denied: return "Denied";
    case Cell::check: return c.same_user ? "CheckSameUserSuccess" : "CheckOtherUserDenied";
  }
  return "?";
}

std::string matrix_case_name(const MatrixCase& c) {
  return "Windows_" + bind_name(bind_at(c.second)) + "_After_" + bind_name(bind_at(c.first)) + "_Is" +
         result_name(c);
}

Fd socket_with(OsWorld& w, Opt o, std::uint32_t uid) {
  const Fd s = w.socket({.uid = uid});
  if (o == Opt::reuseaddr) w.flag(s, SockOpt::so_reuseaddr);
  if (o == Opt::exclusive) w.flag(s, SockOpt::so_exclusiveaddruse);
  return s;
}

std::string addr(Bind b, std::string_view specific = "10.0.0.1") {
  return (b.wildcard ? std::string("0.0.0.0") : std::string(specific)) + ":5000";
}

class WindowsMatrix : public ::testing::TestWithParam<MatrixCase> {};

// The first socket (uid 1000) binds; the second (uid 1000, or 1001 for "other user") binds the
// same port on the wildcard or the same specific address. INUSE is WSAEADDRINUSE, DENIED is
// WSAEACCES, CHECK is success for the same user and WSAEACCES for another.
TEST_P(WindowsMatrix, SecondBind_FollowsSharingMatrix) {
  const MatrixCase c = GetParam();
  const Bind first = bind_at(c.first);
  const Bind second = bind_at(c.second);
  OsWorld w(win());
  const Fd f = socket_with(w, first.opt, 1000);
  must(w.bind(f, addr(first)), "first bind");
  const Fd s = socket_with(w, second.opt, c.same_user ? 1000 : 1001);
  const auto r = w.bind(s, addr(second));
  switch (kMatrix[c.second][c.first]) {
    case Cell::success:
      EXPECT_TRUE(GivesId(win(), r, Errno::ok, "windows.bind.matrix.success"));
      break;
    case Cell::inuse:
      EXPECT_TRUE(GivesId(win(), r, Errno::wsaeaddrinuse, "windows.bind.matrix.inuse"));
      break;
    case Cell::denied:
      EXPECT_TRUE(GivesId(win(), r, Errno::wsaeacces, "windows.bind.matrix.denied"));
      break;
    case Cell::check:
      if (c.same_user) {
        EXPECT_TRUE(GivesId(win(), r, Errno::ok, "windows.bind.matrix.check-same-user"));
      } else {
        EXPECT_TRUE(GivesId(win(), r, Errno::wsaeacces, "windows.bind.matrix.check-other-user"));
      }
      break;
  }
}

std::vector<MatrixCase> matrix_cases(bool same_user) {
  std::vector<MatrixCase> out;
  for (int second = 0; second < 6; ++second)
    for (int first = 0; first < 6; ++first) out.push_back({second, first, same_user});
  return out;
}

INSTANTIATE_TEST_SUITE_P(SameUser, WindowsMatrix, ::testing::ValuesIn(matrix_cases(true)),
                         [](const ::testing::TestParamInfo<MatrixCase>& i) { return matrix_case_name(i.param); });
INSTANTIATE_TEST_SUITE_P(OtherUser, WindowsMatrix, ::testing::ValuesIn(matrix_cases(false)),
                         [](const ::testing::TestParamInfo<MatrixCase>& i) { return matrix_case_name(i.param); });

// "Two different specific addresses never share anything, so that second bind always succeeds."
TEST(WindowsBind, Windows_DifferentSpecificAddresses_AlwaysSucceed) {
  for (int fo = 0; fo < 3; ++fo) {
    for (int so = 0; so < 3; ++so) {
      for (std::uint32_t uid : {1000u, 1001u}) {
        SCOPED_TRACE("first opt " + std::to_string(fo) + ", second opt " + std::to_string(so) + ", uid " +
                     std::to_string(uid));
        OsWorld w(win());
        must(w.bind(socket_with(w, static_cast<Opt>(fo), 1000), "10.0.0.1:5000"), "first bind");
        EXPECT_TRUE(GivesId(win(), w.bind(socket_with(w, static_cast<Opt>(so), uid), "10.0.0.3:5000"), Errno::ok,
                            "windows.bind.ok"));
      }
    }
  }
}

// The hijack: a server that opted in with SO_REUSEADDR on the wildcard can be joined by another
// user's SO_REUSEADDR socket on a specific address (or the wildcard) — SUCCESS in the matrix. A
// server with SO_EXCLUSIVEADDRUSE cannot: DENIED (WSAEACCES), or INUSE for a second wildcard
// without options.
TEST(WindowsBind, Windows_ReuseAddrServerIsHijacked_ExclusiveAddrUseStopsIt) {
  struct Attack {
    Opt opt;
    bool wildcard;
  };
  for (Attack a : {Attack{Opt::reuseaddr, false}, Attack{Opt::reuseaddr, true}}) {
    SCOPED_TRACE(bind_name({a.opt, a.wildcard}));
    OsWorld w(win());
    const Fd server = socket_with(w, Opt::reuseaddr, 1000);
    must(w.bind(server, "0.0.0.0:5000"), "server bind");
    must(w.listen(server), "server listen");
    const Fd thief = socket_with(w, a.opt, 1001);
    EXPECT_TRUE(GivesId(win(), w.bind(thief, addr({a.opt, a.wildcard})), Errno::ok, "windows.bind.matrix.success"));
    EXPECT_TRUE(GivesId(win(), w.listen(thief), Errno::ok, "windows.listen.ok")) << "the hijacker listens";
  }
  for (Opt o : {Opt::none, Opt::reuseaddr, Opt::exclusive}) {
    for (bool wildcard : {false, true}) {
      SCOPED_TRACE("against SO_EXCLUSIVEADDRUSE: " + bind_name({o, wildcard}));
      OsWorld w(win());
      const Fd server = socket_with(w, Opt::exclusive, 1000);
      must(w.bind(server, "0.0.0.0:5000"), "server bind");
      must(w.listen(server), "server listen");
      const auto r = w.bind(socket_with(w, o, 1001), addr({o, wildcard}));
      EXPECT_TRUE(r.failed()) << describe(r);
      const bool inuse = wildcard ? (o != Opt::reuseaddr) : false;  // column EX-W of the matrix
      if (inuse) {
        EXPECT_TRUE(GivesId(win(), r, Errno::wsaeaddrinuse, "windows.bind.matrix.inuse"));
      } else {
        EXPECT_TRUE(GivesId(win(), r, Errno::wsaeacces, "windows.bind.matrix.denied"));
      }
    }
  }
}

// Since Server 2003 the first socket must opt in: a default (no options) first socket on the
// wildcard is not joined by another user's SO_REUSEADDR specific bind (CHECK -> WSAEACCES).
TEST(WindowsBind, Windows_DefaultServer_OtherUsersReuseAddrSpecific_WSAEACCES) {
  OsWorld w(win());
  const Fd server = socket_with(w, Opt::none, 1000);
  must(w.bind(server, "0.0.0.0:5000"), "server bind");
  must(w.listen(server), "server listen");
  EXPECT_TRUE(GivesId(win(), w.bind(socket_with(w, Opt::reuseaddr, 1001), "10.0.0.1:5000"), Errno::wsaeacces,
                      "windows.bind.matrix.check-other-user"));
}

// ---- windows-xp: the second socket's SO_REUSEADDR alone suffices --------------------------------

TEST(WindowsXpBind, WindowsXp_SecondReuseAddrAloneSuffices_VistaDenies) {
  for (bool wildcard : {true, false}) {
    SCOPED_TRACE(wildcard ? "both wildcard" : "both 10.0.0.1");
    const std::string at = wildcard ? "0.0.0.0:5000" : "10.0.0.1:5000";
    {
      OsWorld w(xp());
      must(w.bind(socket_with(w, Opt::none, 1000), at), "first bind (no options)");
      EXPECT_TRUE(
          GivesId(xp(), w.bind(socket_with(w, Opt::reuseaddr, 1001), at), Errno::ok, "windows-xp.bind.reuseaddr-second-only"));
    }
    {
      OsWorld w(win());
      must(w.bind(socket_with(w, Opt::none, 1000), at), "first bind (no options)");
      // Vista and later: rows RA-W/RA-S against columns none-W/none-S are DENIED.
      EXPECT_TRUE(GivesId(win(), w.bind(socket_with(w, Opt::reuseaddr, 1001), at), Errno::wsaeacces,
                          "windows.bind.matrix.denied"));
    }
  }
}

TEST(WindowsXpBind, WindowsXp_WithoutReuseAddr_SameAddressInUse) {
  OsWorld w(xp());
  must(w.bind(socket_with(w, Opt::none, 1000), "0.0.0.0:5000"), "first bind");
  EXPECT_TRUE(GivesId(xp(), w.bind(socket_with(w, Opt::none, 1000), "0.0.0.0:5000"), Errno::wsaeaddrinuse,
                      "windows-xp.bind.inuse"));
}

TEST(WindowsXpBind, WindowsXp_FirstExclusiveAddrUse_StopsReuseAddr) {
  OsWorld w(xp());
  must(w.bind(socket_with(w, Opt::exclusive, 1000), "0.0.0.0:5000"), "first bind");
  EXPECT_TRUE(GivesId(xp(), w.bind(socket_with(w, Opt::reuseaddr, 1001), "0.0.0.0:5000"), Errno::wsaeacces,
                      "windows-xp.bind.exclusive"));
}

// ---- errno spellings ---------------------------------------------------------------------------

TEST(WindowsErrno, Windows_ErrnoNamesAreWinsockSpellings) {
  EXPECT_EQ(model::name(Errno::wsaeaddrinuse), "WSAEADDRINUSE");
  EXPECT_EQ(model::name(Errno::wsaeacces), "WSAEACCES");
  EXPECT_EQ(model::name(Errno::wsaewouldblock), "WSAEWOULDBLOCK");
  EXPECT_EQ(model::name(Errno::wsaenobufs), "WSAENOBUFS");
  EXPECT_EQ(win().map_errno(Errno::eaddrinuse), Errno::wsaeaddrinuse);
  EXPECT_EQ(win().map_errno(Errno::eacces), Errno::wsaeacces);
  EXPECT_EQ(win().map_errno(Errno::eagain), Errno::wsaewouldblock);
}

// ---- §5.3 closesocket() and linger ---------------------------------------------------------------

// SO_LINGER {1, t>0} on a non-blocking socket: closesocket fails WSAEWOULDBLOCK, the socket is
// not closed (still ESTABLISHED, still usable).
TEST(WindowsLinger, Windows_NonBlockingCloseWithNonzeroLinger_WSAEWOULDBLOCK_SocketStaysOpen) {
  OsWorld w(win());
  const Fd lsn = w.listener(kPeer, {}, {}, kB);
  const Fd c = w.socket({.nonblock = true});
  must(w.bind(c, "10.0.0.1:5000"), "bind");
  const Pair p = w.establish(c, kPeer, lsn);
  w.linger(c, true, 5);
  EXPECT_TRUE(GivesId(win(), w.close(c), Errno::wsaewouldblock, "windows.close.linger-wouldblock"));
  EXPECT_EQ(w.host().socket_state(c), TcpState::established) << "the socket stays open";
  EXPECT_TRUE(Gives(w.send(c, 10), Errno::ok)) << "and usable";
  EXPECT_EQ(w.state("10.0.0.2:7000", "10.0.0.1:5000", kB), TcpState::established);
  // Without the linger the close goes through.
  w.linger(c, false, 0);
  EXPECT_TRUE(Gives(w.close(c), Errno::ok));
  EXPECT_FALSE(w.host().socket_state(c));
  (void)p;
}

// SO_LINGER {1, t>0} on a blocking socket whose FIN is stuck behind data the peer has no room
// for: closesocket blocks t, then the connection is reset (abortive); the peer sees the reset.
TEST(WindowsLinger, Windows_BlockingCloseStuckFin_WaitsLingerThenResets) {
  OsWorld w(win());
  const Fd lsn = w.socket({}, kB);
  must(w.setopt(lsn, SockOpt::so_rcvbuf, std::int64_t{1}, kB), "small SO_RCVBUF on the peer");
  must(w.bind(lsn, kPeer, kB), "bind");
  must(w.listen(lsn, 128, kB), "listen");
  const Fd c = w.socket();
  must(w.bind(c, "10.0.0.1:5000"), "bind");
  const Pair p = w.establish(c, kPeer, lsn);
  must(w.send(c, 12000), "send more than the peer can take");
  w.linger(c, true, 3);
  const auto o = w.close_outcome(c);
  EXPECT_TRUE(GivesId(win(), o.result, Errno::ok, "windows.close.linger-wait"));
  EXPECT_FALSE(o.blocked_forever);
  EXPECT_EQ(o.waited, 3s);
  EXPECT_FALSE(w.state("10.0.0.1:5000", kPeer)) << "reset: no state left on our side, no TIME-WAIT";
  Errno seen = Errno::ok;
  for (int i = 0; i < 100 && seen == Errno::ok; ++i) {
    const auto r = w.recv(p.server, 65536, kB);
    if (r.failed()) seen = r.err;
    else if (r.value == 0) break;
  }
  EXPECT_EQ(seen, Errno::wsaeconnreset) << "the peer sees the reset, not an EOF (Winsock spelling)";
}

// SO_LINGER {1, 0}: hard close, RST, no TIME-WAIT.
TEST(WindowsLinger, Windows_Linger0_HardClose_NoTimeWait) {
  OsWorld w(win());
  const Fd lsn = w.listener(kPeer, {}, {}, kB);
  const Fd c = w.socket();
  must(w.bind(c, "10.0.0.1:5000"), "bind");
  const Pair p = w.establish(c, kPeer, lsn);
  w.linger(c, true, 0);
  EXPECT_TRUE(GivesId(win(), w.close(c), Errno::ok, "windows.close.linger0-rst"));
  EXPECT_FALSE(w.state("10.0.0.1:5000", kPeer));
  EXPECT_TRUE(Gives(w.recv(p.server, 1, kB), Errno::wsaeconnreset));
}

// ---- §5.2 connect() over TIME-WAIT, TcpTimedWaitDelay -------------------------------------------

// A Windows client bound to 10.0.0.1:5000 closed first: its TIME-WAIT; returns when it began.
TimePoint windows_client_time_wait(OsWorld& w) {
  const Fd lsn = w.listener(kPeer, {}, {}, kB);
  const Fd c = w.socket();
  w.flag(c, SockOpt::so_reuseaddr);
  must(w.bind(c, "10.0.0.1:5000"), "bind");
  const Pair p = w.establish(c, kPeer, lsn);
  w.client_closes_first(p);
  if (!w.has_time_wait("10.0.0.1:5000", kPeer)) throw std::runtime_error("no TIME-WAIT");
  return w.now();
}

// Event 4227: a connect() whose 4-tuple is in TIME-WAIT fails WSAEADDRINUSE until
// TcpTimedWaitDelay (default 120 s) elapses.
TEST(WindowsTimeWait, Windows_ConnectOverTimeWaitTuple_WSAEADDRINUSE_For120s) {
  OsWorld w(win());
  const TimePoint entered = windows_client_time_wait(w);
  const Fd n = w.socket();
  w.flag(n, SockOpt::so_reuseaddr);
  ASSERT_TRUE(GivesId(win(), w.bind(n, "10.0.0.1:5000"), Errno::ok, "windows.bind.ignores-connections"));
  EXPECT_TRUE(GivesId(win(), w.connect(n, kPeer), Errno::wsaeaddrinuse, "windows.connect.bound.tuple-in-use"));
  w.advance_to(entered + 120s - 1ms);
  EXPECT_TRUE(w.has_time_wait("10.0.0.1:5000", kPeer));
  w.advance_to(entered + 120s);
  EXPECT_FALSE(w.has_time_wait("10.0.0.1:5000", kPeer));
  const Fd later = w.socket();
  w.flag(later, SockOpt::so_reuseaddr);
  must(w.bind(later, "10.0.0.1:5000"), "bind after TIME-WAIT");
  EXPECT_TRUE(GivesId(win(), w.connect(later, kPeer), Errno::ok, "windows.connect.bound.ok"));
}

TEST(WindowsTimeWait, Windows_TcpTimedWaitDelayKnob_SetsTimeWaitLength) {
  OsWorld w(win());
  w.knob("Tcpip.Parameters.TcpTimedWaitDelay", "30");
  const TimePoint entered = windows_client_time_wait(w);
  w.advance_to(entered + 30s - 1ms);
  EXPECT_TRUE(w.has_time_wait("10.0.0.1:5000", kPeer));
  w.advance_to(entered + 30s);
  EXPECT_FALSE(w.has_time_wait("10.0.0.1:5000", kPeer));
}

TEST(WindowsTimeWait, Windows_DefaultDynamicPortRange_49152To65535) {
  OsWorld w(win());
  const model::PortRange r = win().params(w.host().knobs()).ephemeral;
  EXPECT_EQ(r.low, 49152);
  EXPECT_EQ(r.high, 65535);
}

// §5.2: event 4231, the connect() errno on exhaustion commonly reported as WSAENOBUFS (an
// assumed rule: not confirmed from a primary source).
TEST(WindowsTimeWait, Windows_ConnectExhaustion_WSAENOBUFS_Assumed) {
  OsWorld w(win());
  w.knob("netsh.dynamicport.tcp.num", "255");
  w.listener(kPeer, {}, {}, kB);
  for (int i = 0; i < 255; ++i) must(w.bind(w.socket(), "0.0.0.0:0"), "bind(0)");
  const auto r = w.connect(w.socket(), kPeer);
  EXPECT_TRUE(GivesId(win(), r, Errno::wsaenobufs, "windows.connect.autobind.exhausted"));
  ASSERT_TRUE(r.rule);
  EXPECT_EQ(r.rule->confidence, model::Confidence::assumed);
}

// ---- §1 correction 1 / §2.7: a Linux client's TIME-WAIT towards a Windows server -----------------

// A Linux client on host a (bound 10.0.0.1:5000, SO_REUSEADDR) closes first towards a server on
// host b, then a new SO_REUSEADDR socket binds 10.0.0.1:5000 and reconnects to the same server.
// Linux reuses the TIME-WAIT only if the old connection saw peer timestamps: yes towards a Linux
// server, no towards a Windows server (Tcp1323Opts without timestamps, the profile's default),
// yes again when the Windows server enables timestamps (Tcp1323Opts=3).
model::CallResult linux_bound_reconnect(const model::Profile& server, std::string_view tcp1323 = "") {
  OsWorld w(model::linux_profile(), &server);
  if (!tcp1323.empty()) w.knob("Tcpip.Parameters.Tcp1323Opts", tcp1323, kB);
  const Fd lsn = w.listener(kPeer, {}, {}, kB);
  const Fd c = w.socket();
  w.flag(c, SockOpt::so_reuseaddr);
  must(w.bind(c, "10.0.0.1:5000"), "bind");
  w.client_closes_first(w.establish(c, kPeer, lsn));
  if (!w.has_time_wait("10.0.0.1:5000", kPeer)) throw std::runtime_error("the Linux client is not in TIME-WAIT");
  const Fd n = w.socket();
  w.flag(n, SockOpt::so_reuseaddr);
  must(w.bind(n, "10.0.0.1:5000"), "bind over the TIME-WAIT (both SO_REUSEADDR)");
  return w.connect(n, kPeer);
}

TEST(WindowsCrossStack, LinuxClient_TimeWaitTowardsLinuxServer_ReusedByBoundReconnect) {
  EXPECT_TRUE(Gives(linux_bound_reconnect(model::linux_profile()), Errno::ok, lr::connect_bound_time_wait_reused));
}

TEST(WindowsCrossStack, LinuxClient_TimeWaitTowardsWindowsServer_NotReusable_EADDRNOTAVAIL) {
  EXPECT_TRUE(Gives(linux_bound_reconnect(win()), Errno::eaddrnotavail, lr::connect_bound_time_wait_no_timestamps));
}

TEST(WindowsCrossStack, LinuxClient_TimeWaitTowardsWindowsServerWithTcp1323Opts3_Reused) {
  EXPECT_TRUE(Gives(linux_bound_reconnect(win(), "3"), Errno::ok, lr::connect_bound_time_wait_reused));
}

}  // namespace
}  // namespace portlab::testing
