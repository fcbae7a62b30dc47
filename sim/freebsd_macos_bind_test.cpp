// Specification: the FreeBSD 14 and macOS (XNU) profiles, semantics.md §3 and §4. The BSD bind
// table of §3.1 (only the new socket's options choose the WILDCARD or the EXACT lookup; exact
// duplicates need SO_REUSEPORT, or SO_REUSEPORT_LB on FreeBSD, on both), the non-root cross-uid
// guard, no listen() re-check, connect() EADDRINUSE on any existing 4-tuple, ephemeral ports,
// TIME-WAIT lengths and knobs, SO_LINGER units, V6ONLY defaults and the §4.1 dual-stack rules.
//
// Host "a" (10.0.0.1, 10.0.0.3) runs the OS under test; host "b" (10.0.0.2) is a remote peer
// running the same OS. The non-Linux profiles keep their Rule objects private, so rules are named
// by id ("freebsd.bind.ok"); GivesId also checks that the profile knows the id.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "model/freebsd_profile.h"
#include "model/macos_profile.h"
#include "sim/os_test_support.h"

namespace portlab::testing {
namespace {

using model::Errno;
using model::Fd;
using model::Family;
using model::SockOpt;
using model::TcpState;
using model::TimePoint;

constexpr const char* kPeer = "10.0.0.2:7000";
constexpr const char* kPeer2 = "10.0.0.2:7001";
constexpr std::uint32_t kUid = 1000;  // the table runs as one non-root user, so the guard stays out

enum class Os { freebsd, macos };

const model::Profile& profile(Os os) { return os == Os::freebsd ? model::freebsd_profile() : model::macos_profile(); }
std::string os_name(Os os) { return os == Os::freebsd ? "Freebsd" : "Macos"; }
// "freebsd" + ".bind.ok"
std::string rid(Os os, std::string_view rest) { return std::string(profile(os).name) + std::string(rest); }

// ---- §3.1 decision table -------------------------------------------------------------------------

enum class Opt { none, ra, rp, lb };

std::string_view opt_name(Opt o) {
  switch (o) {
    case Opt::none: return "None";
    case Opt::ra: return "ReuseAddr";
    case Opt::rp: return "ReusePort";
    case Opt::lb: return "ReusePortLb";
  }
  return "?";
}

void apply(OsWorld& w, Fd fd, Opt o) {
  switch (o) {
    case Opt::none: break;
    case Opt::ra: w.flag(fd, SockOpt::so_reuseaddr); break;
    case Opt::rp: w.flag(fd, SockOpt::so_reuseport); break;
    case Opt::lb: w.flag(fd, SockOpt::so_reuseport_lb); break;
  }
}

enum class EState { bound, listen, connected, time_wait };

std::string_view state_name(EState s) {
  switch (s) {
    case EState::bound: return "Bound";
    case EState::listen: return "Listen";
    case EState::connected: return "Connected";
    case EState::time_wait: return "TimeWait";
  }
  return "?";
}

enum class Addrs { same_specific, both_wild, e_wild_n_specific, e_specific_n_wild, different_specific };

std::string_view addrs_name(Addrs a) {
  switch (a) {
    case Addrs::same_specific: return "SameSpecific";
    case Addrs::both_wild: return "BothWildcard";
    case Addrs::e_wild_n_specific: return "EWildcardNSpecific";
    case Addrs::e_specific_n_wild: return "ESpecificNWildcard";
    case Addrs::different_specific: return "DifferentSpecific";
  }
  return "?";
}

std::string e_addr(Addrs a) {
  return (a == Addrs::both_wild || a == Addrs::e_wild_n_specific) ? "0.0.0.0:5000" : "10.0.0.1:5000";
}
std::string n_addr(Addrs a) {
  if (a == Addrs::different_specific) return "10.0.0.3:5000";
  return (a == Addrs::both_wild || a == Addrs::e_specific_n_wild) ? "0.0.0.0:5000" : "10.0.0.1:5000";
}

struct Case {
  Os os;
  EState state;
  Opt e;
  Opt n;
  Addrs addrs;
};

// Which column of the §3.1 table the case falls in.
std::string_view column(const Case& c) {
  if (c.addrs == Addrs::different_specific) return "DifferentSpecificAddrs";
  if (c.state == EState::connected || c.state == EState::time_wait) return "EConnectedOrTimeWait";
  if (c.addrs == Addrs::e_wild_n_specific || c.addrs == Addrs::e_specific_n_wild) return "EWildcardVsSpecific";
  if (c.n == Opt::rp && c.e == Opt::rp) return "BothReusePort";
  if (c.n == Opt::lb && c.e == Opt::lb) return "BothReusePortLb";
  return "ESameExactAddr";
}

struct Expected {
  Errno err;
  std::string rule;  // after "<os>"
};

// semantics.md §3.1 "Resulting decision table" (macOS §4.1: the same minus the LB column):
//   N none          : EADDRINUSE in every overlapping column
//   N SO_REUSEADDR  : same exact addr EADDRINUSE; wildcard<->specific OK; connected/TIME-WAIT OK
//   N SO_REUSEPORT  : same exact addr OK iff E has SO_REUSEPORT; the rest OK
//   N SO_REUSEPORT_LB: same exact addr OK iff E has SO_REUSEPORT_LB; the rest OK
// E's SO_REUSEADDR is irrelevant. Different specific addresses never overlap.
Expected expected(const Case& c) {
  if (c.addrs == Addrs::different_specific) return {Errno::ok, ".bind.ok"};
  if (c.n == Opt::none) return {Errno::eaddrinuse, ".bind.conflict.no-reuse-option"};
  const bool same_exact = c.addrs == Addrs::same_specific || c.addrs == Addrs::both_wild;
  const bool unconnected = c.state == EState::bound || c.state == EState::listen;
  if (!(same_exact && unconnected)) return {Errno::ok, ".bind.exact-lookup"};
  if (c.n == Opt::rp && c.e == Opt::rp) return {Errno::ok, ".bind.shared.reuseport"};
  if (c.n == Opt::lb && c.e == Opt::lb) return {Errno::ok, ".bind.shared.reuseport-lb"};
  return {Errno::eaddrinuse, ".bind.conflict.exact-duplicate"};
}

std::string result_name(const Expected& x) { return x.err == Errno::ok ? "Ok" : "InUse"; }

std::string case_name(const Case& c) {
  return os_name(c.os) + "_N" + std::string(opt_name(c.n)) + "_" + std::string(column(c)) + "_E" +
         std::string(state_name(c.state)) + std::string(opt_name(c.e)) + "_" + std::string(addrs_name(c.addrs)) +
         "_Is" + result_name(expected(c));
}

// Builds E on host a in the requested state with real calls and checks that it got there.
void make_existing(OsWorld& w, EState s, Opt o, const std::string& at, std::uint32_t uid) {
  if (s == EState::bound || s == EState::listen) {
    const Fd e = w.socket({.uid = uid});
    apply(w, e, o);
    must(w.bind(e, at), "bind E");
    if (s == EState::listen) must(w.listen(e), "listen E");
    return;
  }
  const Fd lsn = w.listener(kPeer, {}, {}, kB);
  const Fd e = w.socket({.uid = uid});
  apply(w, e, o);
  must(w.bind(e, at), "bind E");
  const Pair p = w.establish(e, kPeer, lsn);
  if (w.state(at, kPeer) != TcpState::established) throw std::runtime_error("E is not ESTABLISHED");
  if (s == EState::time_wait) {
    w.client_closes_first(p);
    if (!w.has_time_wait(at, kPeer)) throw std::runtime_error("E is not in TIME-WAIT");
  }
}

class BsdBindTable : public ::testing::TestWithParam<Case> {};

// bind(N) gives the table's result, named by the rule of in_pcbbind_setup / in_pcbbind that
// decided it; when bind succeeds, listen(N) succeeds too (no listen-time re-check, §3.1 / §4.2).
TEST_P(BsdBindTable, BindThenListenOfNewSocket_FollowsDecisionTable) {
  const Case c = GetParam();
  const model::Profile& p = profile(c.os);
  const Expected x = expected(c);
  OsWorld w(p);
  make_existing(w, c.state, c.e, e_addr(c.addrs), kUid);
  const Fd n = w.socket({.uid = kUid});
  apply(w, n, c.n);
  const auto b = w.bind(n, n_addr(c.addrs));
  EXPECT_TRUE(GivesId(p, b, x.err, rid(c.os, x.rule))) << "bind N";
  if (x.err == Errno::ok) {
    EXPECT_TRUE(GivesId(p, w.listen(n), Errno::ok, rid(c.os, ".listen.ok"))) << "listen N";
  }
}

std::vector<Case> table_cases() {
  std::vector<Case> out;
  for (Os os : {Os::freebsd, Os::macos}) {
    std::vector<Opt> opts{Opt::none, Opt::ra, Opt::rp};
    if (os == Os::freebsd) opts.push_back(Opt::lb);  // macOS has no SO_REUSEPORT_LB column
    for (EState s : {EState::bound, EState::listen, EState::connected, EState::time_wait}) {
      const bool full = s == EState::bound || s == EState::listen;
      const std::vector<Addrs> variants =
          full ? std::vector<Addrs>{Addrs::same_specific, Addrs::both_wild, Addrs::e_wild_n_specific,
                                    Addrs::e_specific_n_wild, Addrs::different_specific}
               : std::vector<Addrs>{Addrs::same_specific, Addrs::e_specific_n_wild, Addrs::different_specific};
      for (Addrs a : variants)
        for (Opt e : opts)
          for (Opt n : opts) out.push_back({os, s, e, n, a});
    }
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Bsd, BsdBindTable, ::testing::ValuesIn(table_cases()),
                         [](const ::testing::TestParamInfo<Case>& i) { return case_name(i.param); });

// macOS has no SO_REUSEPORT_LB at all.
TEST(BsdBindOptions, Macos_SoReusePortLb_IsENOPROTOOPT) {
  OsWorld w(model::macos_profile());
  const Fd s = w.socket();
  EXPECT_TRUE(Gives(w.setopt(s, SockOpt::so_reuseport_lb, std::int64_t{1}), Errno::enoprotoopt));
}

// Privileged ports (§3.1 / §4.1): FreeBSD refuses ports 0..1023 (reservedhigh) to non-root
// owners on any address; macOS applies the < 1024 check only when binding a specific address.
TEST(BsdBindOptions, PrivilegedPort_FreebsdAnyAddress_MacosSpecificOnly) {
  {
    const model::Profile& p = model::freebsd_profile();
    OsWorld w(p);
    EXPECT_TRUE(GivesId(p, w.bind(w.socket({.uid = 1000}), "0.0.0.0:80"), Errno::eacces,
                        "freebsd.bind.eacces.reserved-port"));
    EXPECT_TRUE(GivesId(p, w.bind(w.socket({.uid = 1000}), "10.0.0.1:80"), Errno::eacces,
                        "freebsd.bind.eacces.reserved-port"));
    EXPECT_TRUE(Gives(w.bind(w.socket({.uid = 0}), "10.0.0.1:80"), Errno::ok));
  }
  {
    const model::Profile& p = model::macos_profile();
    OsWorld w(p);
    EXPECT_TRUE(GivesId(p, w.bind(w.socket({.uid = 1000}), "0.0.0.0:80"), Errno::ok, "macos.bind.ok"));
    OsWorld w2(p);
    EXPECT_TRUE(GivesId(p, w2.bind(w2.socket({.uid = 1000}), "10.0.0.1:80"), Errno::eacces,
                        "macos.bind.eacces.privileged-port"));
  }
}

// ---- §3.1 (a) / §4.1: the cross-uid guard ------------------------------------------------------

class BsdCrossUid : public ::testing::TestWithParam<Os> {};

std::string os_param_name(const ::testing::TestParamInfo<Os>& i) { return os_name(i.param); }

// E (uid 1000, no options) is bound to 0.0.0.0:5000; N has SO_REUSEADDR and binds 10.0.0.1:5000,
// which the EXACT lookup alone would allow (wildcard vs specific). A non-root N of another uid is
// refused by the guard; the same uid and root are not.
TEST_P(BsdCrossUid, UnconnectedBestFitOfOtherUid_BlocksNonRoot_RootExempt) {
  const Os os = GetParam();
  const model::Profile& p = profile(os);
  for (std::uint32_t n_uid : {1001u, 1000u, 0u}) {
    SCOPED_TRACE("N uid " + std::to_string(n_uid));
    OsWorld w(p);
    make_existing(w, EState::bound, Opt::none, "0.0.0.0:5000", 1000);
    const Fd n = w.socket({.uid = n_uid});
    w.flag(n, SockOpt::so_reuseaddr);
    const auto b = w.bind(n, "10.0.0.1:5000");
    if (n_uid == 1001) {
      EXPECT_TRUE(GivesId(p, b, Errno::eaddrinuse, rid(os, ".bind.conflict.other-uid")));
    } else {
      EXPECT_TRUE(GivesId(p, b, Errno::ok, rid(os, ".bind.exact-lookup")));
    }
  }
}

// Both bind the wildcard with SO_REUSEPORT under different non-root uids. macOS exempts a
// wildcard pair whose existing socket has SO_REUSEPORT; FreeBSD exempts only an SO_REUSEPORT_LB
// (without SO_REUSEPORT) existing socket, so FreeBSD refuses.
TEST_P(BsdCrossUid, BothWildcardReusePort_OtherUid_MacosExempt_FreebsdRefused) {
  const Os os = GetParam();
  const model::Profile& p = profile(os);
  OsWorld w(p);
  make_existing(w, EState::listen, Opt::rp, "0.0.0.0:5000", 1000);
  const Fd n = w.socket({.uid = 1001});
  w.flag(n, SockOpt::so_reuseport);
  const auto b = w.bind(n, "0.0.0.0:5000");
  if (os == Os::macos) {
    EXPECT_TRUE(GivesId(p, b, Errno::ok, rid(os, ".bind.shared.reuseport")));
  } else {
    EXPECT_TRUE(GivesId(p, b, Errno::eaddrinuse, rid(os, ".bind.conflict.other-uid")));
  }
}

// The macOS wildcard+SO_REUSEPORT exemption needs both to be wildcard: a specific N is refused.
TEST(BsdCrossUidMacos, Macos_SpecificAfterWildcardReusePort_OtherUid_Refused) {
  const model::Profile& p = model::macos_profile();
  OsWorld w(p);
  make_existing(w, EState::listen, Opt::rp, "0.0.0.0:5000", 1000);
  const Fd n = w.socket({.uid = 1001});
  w.flag(n, SockOpt::so_reuseport);
  EXPECT_TRUE(GivesId(p, w.bind(n, "10.0.0.1:5000"), Errno::eaddrinuse, "macos.bind.conflict.other-uid"));
}

// FreeBSD's guard exemption: both wildcard and the existing socket has SO_REUSEPORT_LB without
// SO_REUSEPORT -> the guard passes and both-LB sharing applies.
TEST(BsdCrossUidFreebsd, Freebsd_BothWildcardReusePortLb_OtherUid_JoinsGroup) {
  const model::Profile& p = model::freebsd_profile();
  OsWorld w(p);
  make_existing(w, EState::listen, Opt::lb, "0.0.0.0:5000", 1000);
  const Fd n = w.socket({.uid = 1001});
  w.flag(n, SockOpt::so_reuseport_lb);
  EXPECT_TRUE(GivesId(p, w.bind(n, "0.0.0.0:5000"), Errno::ok, "freebsd.bind.shared.reuseport-lb"));
}

// FreeBSD's guard looks only at unconnected PCBs ("t is unconnected"); XNU's wildcard lookup hit
// may be a connected or TIME-WAIT PCB, and its owner's uid counts.
TEST_P(BsdCrossUid, ConnectedOrTimeWaitOfOtherUid_FreebsdIgnores_MacosRefuses) {
  const Os os = GetParam();
  const model::Profile& p = profile(os);
  for (EState s : {EState::connected, EState::time_wait}) {
    SCOPED_TRACE(std::string(state_name(s)));
    OsWorld w(p);
    make_existing(w, s, Opt::none, "10.0.0.1:5000", 1000);
    const Fd n = w.socket({.uid = 1001});
    w.flag(n, SockOpt::so_reuseaddr);
    const auto b = w.bind(n, "10.0.0.1:5000");
    if (os == Os::freebsd) {
      EXPECT_TRUE(GivesId(p, b, Errno::ok, "freebsd.bind.exact-lookup"));
    } else {
      EXPECT_TRUE(GivesId(p, b, Errno::eaddrinuse, "macos.bind.conflict.other-uid"));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Bsd, BsdCrossUid, ::testing::Values(Os::freebsd, Os::macos), os_param_name);

// ---- §3.1 / §4.2: no listen() re-check ---------------------------------------------------------

class BsdListen : public ::testing::TestWithParam<Os> {};

// SO_REUSEADDR on a specific and on the wildcard address: on Linux whoever listens second loses
// (§2.6); on the BSDs both binds pass the EXACT lookup and both listens succeed, in either order.
TEST_P(BsdListen, ReuseAddrSpecificAndWildcard_BothListen_EitherOrder) {
  const Os os = GetParam();
  const model::Profile& p = profile(os);
  for (bool specific_first : {true, false}) {
    SCOPED_TRACE(specific_first ? "specific listens first" : "wildcard listens first");
    OsWorld w(p);
    const Fd spec = w.socket();
    w.flag(spec, SockOpt::so_reuseaddr);
    ASSERT_TRUE(GivesId(p, w.bind(spec, "10.0.0.1:5000"), Errno::ok, rid(os, ".bind.ok")));
    const Fd wild = w.socket();
    w.flag(wild, SockOpt::so_reuseaddr);
    ASSERT_TRUE(GivesId(p, w.bind(wild, "0.0.0.0:5000"), Errno::ok, rid(os, ".bind.exact-lookup")));
    const Fd first = specific_first ? spec : wild;
    const Fd second = specific_first ? wild : spec;
    EXPECT_TRUE(GivesId(p, w.listen(first), Errno::ok, rid(os, ".listen.ok")));
    EXPECT_TRUE(GivesId(p, w.listen(second), Errno::ok, rid(os, ".listen.ok")));
  }
}

// Both SO_REUSEPORT on the same address: both bind and both listen.
TEST_P(BsdListen, BothReusePortSameAddress_BothListen) {
  const Os os = GetParam();
  const model::Profile& p = profile(os);
  OsWorld w(p);
  const Fd a = w.socket();
  w.flag(a, SockOpt::so_reuseport);
  must(w.bind(a, "10.0.0.1:5000"), "bind A");
  const Fd b = w.socket();
  w.flag(b, SockOpt::so_reuseport);
  must(w.bind(b, "10.0.0.1:5000"), "bind B");
  EXPECT_TRUE(GivesId(p, w.listen(b), Errno::ok, rid(os, ".listen.ok")));
  EXPECT_TRUE(GivesId(p, w.listen(a), Errno::ok, rid(os, ".listen.ok")));
}

INSTANTIATE_TEST_SUITE_P(Bsd, BsdListen, ::testing::Values(Os::freebsd, Os::macos), os_param_name);

// ---- §3.2 / §4.2: connect() on a socket that owns its port ------------------------------------

class BsdConnect : public ::testing::TestWithParam<Os> {};

// A bound socket connecting to a 4-tuple an ESTABLISHED connection holds: EADDRINUSE (Linux:
// EADDRNOTAVAIL).
TEST_P(BsdConnect, BoundConnectToEstablishedTuple_EADDRINUSE) {
  const Os os = GetParam();
  const model::Profile& p = profile(os);
  OsWorld w(p);
  make_existing(w, EState::connected, Opt::ra, "10.0.0.1:5000", 0);
  const Fd n = w.socket();
  w.flag(n, SockOpt::so_reuseaddr);
  ASSERT_TRUE(GivesId(p, w.bind(n, "10.0.0.1:5000"), Errno::ok, rid(os, ".bind.exact-lookup")));
  EXPECT_TRUE(GivesId(p, w.connect(n, kPeer), Errno::eaddrinuse, rid(os, ".connect.bound.tuple-in-use")));
}

// The same over a TIME-WAIT 4-tuple: no TIME-WAIT recycling on the active side, whatever the
// timestamps. A different destination from the same port is fine; after TIME-WAIT ends, so is
// the old one.
TEST_P(BsdConnect, BoundConnectOverTimeWaitTuple_EADDRINUSE_UntilTimeWaitEnds) {
  const Os os = GetParam();
  const model::Profile& p = profile(os);
  OsWorld w(p);
  w.listener(kPeer2, {}, {}, kB);
  make_existing(w, EState::time_wait, Opt::ra, "10.0.0.1:5000", 0);
  const TimePoint entered = w.now();
  const Fd n = w.socket();
  w.flag(n, SockOpt::so_reuseaddr);
  ASSERT_TRUE(GivesId(p, w.bind(n, "10.0.0.1:5000"), Errno::ok, rid(os, ".bind.exact-lookup")))
      << "TIME-WAIT is invisible to the EXACT lookup";
  EXPECT_TRUE(GivesId(p, w.connect(n, kPeer), Errno::eaddrinuse, rid(os, ".connect.bound.tuple-in-use")));
  EXPECT_TRUE(w.has_time_wait("10.0.0.1:5000", kPeer)) << "the TIME-WAIT stays";
  must(w.close(n), "close the refused socket (it still holds 10.0.0.1:5000 unconnected)");

  const Fd other = w.socket();
  w.flag(other, SockOpt::so_reuseaddr);
  must(w.bind(other, "10.0.0.1:5000"), "bind for another destination");
  EXPECT_TRUE(GivesId(p, w.connect(other, kPeer2), Errno::ok, rid(os, ".connect.bound.ok")));

  const auto tw = os == Os::freebsd ? 60s : 30s;
  w.advance_to(entered + tw);
  ASSERT_FALSE(w.has_time_wait("10.0.0.1:5000", kPeer));
  const Fd later = w.socket();
  w.flag(later, SockOpt::so_reuseaddr);
  must(w.bind(later, "10.0.0.1:5000"), "bind after TIME-WAIT");
  EXPECT_TRUE(GivesId(p, w.connect(later, kPeer), Errno::ok, rid(os, ".connect.bound.ok")));
}

// ---- §3.2 / §3.3 / §4.2: ephemeral ports -------------------------------------------------------

void one_port_range(OsWorld& w, std::string_view port) {
  w.knob("net.inet.ip.portrange.first", port);
  w.knob("net.inet.ip.portrange.last", port);
}

// FreeBSD shares an ephemeral port across destinations (in_pcb_lport_dest with the foreign
// address); macOS's implicit bind takes a completely unused port (wild = 1).
TEST_P(BsdConnect, OnePortRange_SecondDestination_FreebsdSharesPort_MacosExhausted) {
  const Os os = GetParam();
  const model::Profile& p = profile(os);
  OsWorld w(p);
  one_port_range(w, "40000");
  w.listener(kPeer, {}, {}, kB);
  w.listener(kPeer2, {}, {}, kB);
  const Fd c1 = w.socket();
  ASSERT_TRUE(GivesId(p, w.connect(c1, kPeer), Errno::ok, rid(os, ".connect.autobind.ok")));
  EXPECT_EQ(w.host().local_port(c1), 40000);
  const Fd c2 = w.socket();
  const auto r2 = w.connect(c2, kPeer2);
  if (os == Os::freebsd) {
    EXPECT_TRUE(GivesId(p, r2, Errno::ok, "freebsd.connect.autobind.ok"));
    EXPECT_EQ(w.host().local_port(c2), 40000) << "4-tuple sharing";
    const Fd c3 = w.socket();
    EXPECT_TRUE(GivesId(p, w.connect(c3, kPeer), Errno::eaddrnotavail, "freebsd.connect.autobind.exhausted"))
        << "the same destination needs a free 4-tuple";
  } else {
    EXPECT_TRUE(GivesId(p, r2, Errno::eaddrnotavail, "macos.connect.autobind.exhausted"));
  }
}

// FreeBSD: a port held by a bound (unconnected) socket is not used by connect().
TEST(BsdEphemeral, Freebsd_PortHeldByBoundSocket_ConnectEADDRNOTAVAIL) {
  const model::Profile& p = model::freebsd_profile();
  OsWorld w(p);
  one_port_range(w, "40000");
  w.listener(kPeer, {}, {}, kB);
  const Fd b = w.socket();
  must(w.bind(b, "0.0.0.0:40000"), "bind the only port");
  const Fd c = w.socket();
  EXPECT_TRUE(GivesId(p, w.connect(c, kPeer), Errno::eaddrnotavail, "freebsd.connect.autobind.exhausted"));
}

// Default ranges: FreeBSD portrange.first/last 10000-65535 (not 49152!), macOS 49152-65535.
TEST_P(BsdConnect, DefaultEphemeralRange) {
  const Os os = GetParam();
  const model::Profile& p = profile(os);
  OsWorld w(p);
  const model::PortRange r = p.params(w.host().knobs()).ephemeral;
  const model::PortRange want = os == Os::freebsd ? model::PortRange{10000, 65535} : model::PortRange{49152, 65535};
  EXPECT_EQ(r.low, want.low);
  EXPECT_EQ(r.high, want.high);
  bool below_49152 = false;
  for (int i = 0; i < 50; ++i) {
    const Fd s = w.socket();
    ASSERT_TRUE(GivesId(p, w.bind(s, "0.0.0.0:0"), Errno::ok, rid(os, ".bind.port0.ok")));
    const auto port = *w.host().local_port(s);
    EXPECT_GE(port, want.low);
    EXPECT_LE(port, want.high);
    below_49152 |= port < 49152;
  }
  EXPECT_EQ(below_49152, os == Os::freebsd) << "FreeBSD draws from the whole 10000-65535 range";
}

// macOS: randomize_ports = 0, a sequential lastport++ search from the bottom of the range.
TEST(BsdEphemeral, Macos_Port0IsSequentialFrom49152) {
  OsWorld w(model::macos_profile());
  for (int want = 49152; want < 49156; ++want) {
    const Fd s = w.socket();
    must(w.bind(s, "0.0.0.0:0"), "bind(0)");
    EXPECT_EQ(w.host().local_port(s), want);
  }
}

// Exhaustion: EADDRNOTAVAIL for bind(0) and for connect() alike (Linux: EADDRINUSE for bind(0)).
TEST_P(BsdConnect, Exhaustion_Port0AndConnect_EADDRNOTAVAIL) {
  const Os os = GetParam();
  const model::Profile& p = profile(os);
  OsWorld w(p);
  w.knob("net.inet.ip.portrange.first", "40000");
  w.knob("net.inet.ip.portrange.last", "40001");
  w.listener(kPeer, {}, {}, kB);
  for (int i = 0; i < 2; ++i) must(w.bind(w.socket(), "0.0.0.0:0"), "bind(0)");
  EXPECT_TRUE(GivesId(p, w.bind(w.socket(), "0.0.0.0:0"), Errno::eaddrnotavail, rid(os, ".bind.port0.exhausted")));
  EXPECT_TRUE(
      GivesId(p, w.connect(w.socket(), kPeer), Errno::eaddrnotavail, rid(os, ".connect.autobind.exhausted")));
}

// ---- §3.4 / §4.3: TIME-WAIT ------------------------------------------------------------------

// 2 x net.inet.tcp.msl: FreeBSD 2 x 30 s = 60 s (remote peer), macOS 2 x 15 s = 30 s.
TEST_P(BsdConnect, TimeWaitLength_Freebsd60s_Macos30s) {
  const Os os = GetParam();
  OsWorld w(profile(os));
  make_existing(w, EState::time_wait, Opt::none, "10.0.0.1:5000", 0);
  const TimePoint entered = w.now();
  const auto tw = os == Os::freebsd ? 60s : 30s;
  w.advance_to(entered + tw - 1ms);
  EXPECT_TRUE(w.has_time_wait("10.0.0.1:5000", kPeer));
  w.advance_to(entered + tw);
  EXPECT_FALSE(w.has_time_wait("10.0.0.1:5000", kPeer));
}

// The msl knob scales TIME-WAIT.
TEST_P(BsdConnect, MslKnob_ChangesTimeWait) {
  const Os os = GetParam();
  OsWorld w(profile(os));
  w.knob("net.inet.tcp.msl", "5000");
  make_existing(w, EState::time_wait, Opt::none, "10.0.0.1:5000", 0);
  const TimePoint entered = w.now();
  w.advance_to(entered + 10s - 1ms);
  EXPECT_TRUE(w.has_time_wait("10.0.0.1:5000", kPeer));
  w.advance_to(entered + 10s);
  EXPECT_FALSE(w.has_time_wait("10.0.0.1:5000", kPeer));
}

// A connection to this host's own listener, closed actively by the client.
bool local_peer_time_wait(OsWorld& w) {
  const Fd lsn = w.listener("127.0.0.1:7000");
  const Fd c = w.socket();
  must(w.bind(c, "127.0.0.1:5000"), "bind client");
  const Pair p = w.establish(c, "127.0.0.1:7000", lsn, kA, kA);
  w.client_closes_first(p, kA, kA);
  return w.has_time_wait("127.0.0.1:5000", "127.0.0.1:7000");
}

// FreeBSD net.inet.tcp.nolocaltimewait (default 1 in 14): no TIME-WAIT towards a local peer;
// with the knob at 0 the local connection gets its TIME-WAIT.
TEST(BsdTimeWait, Freebsd_NoLocalTimeWait_LocalPeerLeavesNoTimeWait_KnobZeroRestoresIt) {
  {
    OsWorld w(model::freebsd_profile());
    EXPECT_FALSE(local_peer_time_wait(w));
    EXPECT_TRUE(has_rule(w.logged_rules(), "freebsd.time-wait.nolocaltimewait"));
    const Fd n = w.socket();
    EXPECT_TRUE(GivesId(model::freebsd_profile(), w.bind(n, "127.0.0.1:5000"), Errno::ok, "freebsd.bind.ok"))
        << "the port is free at once, even without SO_REUSEADDR";
  }
  {
    OsWorld w(model::freebsd_profile());
    w.knob("net.inet.tcp.nolocaltimewait", "0");
    EXPECT_TRUE(local_peer_time_wait(w));
  }
}

// macOS has no nolocaltimewait: a local connection gets its 30 s TIME-WAIT.
TEST(BsdTimeWait, Macos_LocalPeer_TimeWait30s) {
  OsWorld w(model::macos_profile());
  EXPECT_TRUE(local_peer_time_wait(w));
  w.advance(30s);
  EXPECT_FALSE(w.has_time_wait("127.0.0.1:5000", "127.0.0.1:7000"));
}

// tcp_twcheck (FreeBSD) / tcp_input (XNU): any RST in TIME-WAIT is dropped (RFC 1337).
TEST_P(BsdConnect, RstInTimeWait_Ignored) {
  const Os os = GetParam();
  auto routed = [](std::string name, std::string self, std::string peer) {
    auto c = host_config(std::move(name), {std::move(self)});
    c.routes.push_back({ip(peer), 32});
    return c;
  };
  model::Host a(profile(os), routed("a", "10.0.0.1", "10.0.0.2"));
  model::Host b(profile(os), routed("b", "10.0.0.2", "10.0.0.1"));
  Wire net({&a, &b});
  const Fd l = static_cast<Fd>(must(b.socket(Family::inet, false, 0), "socket").value);
  must(b.bind(l, ep("10.0.0.2:7000")), "bind");
  must(b.listen(l, 16), "listen");
  const Fd c = static_cast<Fd>(must(a.socket(Family::inet, false, 0), "socket").value);
  must(a.bind(c, ep("10.0.0.1:5000")), "bind");
  net.call(0, [&](model::Host& h, std::vector<model::Segment>& out, TimePoint now) {
    return h.connect(c, ep("10.0.0.2:7000"), now, out);
  });
  net.flush();
  const Fd s = static_cast<Fd>(must(b.accept(l), "accept").value);
  net.call(0, [&](model::Host& h, std::vector<model::Segment>& out, TimePoint now) { return h.close(c, now, out); });
  net.flush();
  net.call(1, [&](model::Host& h, std::vector<model::Segment>& out, TimePoint now) { return h.close(s, now, out); });
  net.flush();
  ASSERT_EQ(a.time_wait_count(), 1u);
  std::optional<model::Segment> fin;
  for (const auto& seg : net.seen())
    if (seg.flags.fin && seg.src == ep("10.0.0.2:7000")) fin = seg;
  ASSERT_TRUE(fin);
  model::Segment rst;
  rst.src = fin->src;
  rst.dst = fin->dst;
  rst.flags = {.rst = true};
  rst.seq = fin->seq + 1;  // in window: == rcv_nxt
  net.deliver({0, rst});
  EXPECT_TRUE(net.hold().empty()) << "an RST is never answered";
  EXPECT_EQ(a.time_wait_count(), 1u) << "the RST did not end TIME-WAIT";
}

// ---- §3.5 / §4.4: SO_LINGER ------------------------------------------------------------------

// SO_LINGER {1, value} (or macOS SO_LINGER_SEC) with the FIN stuck behind data the peer has no
// room for: close() blocks for the linger time in virtual time and returns 0.
sim::CallOutcome close_with_stuck_fin(OsWorld& w, SockOpt opt, std::int32_t value) {
  const Fd lsn = w.socket({}, kB);
  must(w.setopt(lsn, SockOpt::so_rcvbuf, std::int64_t{1}, kB), "small SO_RCVBUF on the peer");
  must(w.bind(lsn, kPeer, kB), "bind");
  must(w.listen(lsn, 128, kB), "listen");
  const Fd c = w.socket();
  w.establish(c, kPeer, lsn);
  must(w.send(c, 12000), "send more than the peer can take");
  w.linger(c, true, value, kA, opt);
  return w.close_outcome(c);
}

// macOS SO_LINGER counts 1/100 s ticks: {1, 5} lingers 50 ms; SO_LINGER_SEC {1, 5} lingers 5 s.
TEST(BsdLinger, Macos_SoLinger5Is50ms_SoLingerSec5Is5s) {
  const model::Profile& p = model::macos_profile();
  {
    OsWorld w(p);
    const auto o = close_with_stuck_fin(w, SockOpt::so_linger, 5);
    EXPECT_TRUE(GivesId(p, o.result, Errno::ok, "macos.close.linger-wait"));
    EXPECT_FALSE(o.blocked_forever);
    EXPECT_EQ(o.waited, 50ms);
  }
  {
    OsWorld w(p);
    const auto o = close_with_stuck_fin(w, SockOpt::so_linger_sec, 5);
    EXPECT_TRUE(GivesId(p, o.result, Errno::ok, "macos.close.linger-wait"));
    EXPECT_EQ(o.waited, 5s);
  }
}

// FreeBSD SO_LINGER is in seconds: {1, 5} lingers 5 s (a blocking close sleeps while connected).
TEST(BsdLinger, Freebsd_SoLinger5Is5s) {
  OsWorld w(model::freebsd_profile());
  const auto o = close_with_stuck_fin(w, SockOpt::so_linger, 5);
  EXPECT_TRUE(Gives(o.result, Errno::ok));
  EXPECT_EQ(o.waited, 5s);
}

// §3.5 / §4.4: SO_LINGER {1, N} on a non-blocking socket that is disconnecting: close() does not
// wait and returns 0 (Linux blocks anyway; Windows fails WSAEWOULDBLOCK).
TEST_P(BsdConnect, NonBlockingLinger_StuckFin_NoWait_ReturnsZero) {
  const Os os = GetParam();
  OsWorld w(profile(os));
  const Fd lsn = w.socket({}, kB);
  must(w.setopt(lsn, SockOpt::so_rcvbuf, std::int64_t{1}, kB), "small SO_RCVBUF on the peer");
  must(w.bind(lsn, kPeer, kB), "bind");
  must(w.listen(lsn, 128, kB), "listen");
  const Fd c = w.socket({.nonblock = true});
  w.establish(c, kPeer, lsn);
  while (!w.send(c, 65536).failed()) {
  }
  w.linger(c, true, 5);
  const auto o = w.close_outcome(c);
  EXPECT_TRUE(Gives(o.result, Errno::ok));
  EXPECT_EQ(o.waited, 0s);
}

// §3.5 (inferred for FreeBSD) / §4.4: linger-0 cannot remove a TIME-WAIT the connection reached
// while the descriptor was still open (shutdown(SHUT_WR), then the peer closed).
TEST_P(BsdConnect, Linger0AfterTimeWaitReachedWithFdOpen_TimeWaitRemains) {
  const Os os = GetParam();
  OsWorld w(profile(os));
  const Fd lsn = w.listener(kPeer, {}, {}, kB);
  const Fd c = w.socket();
  must(w.bind(c, "10.0.0.1:5000"), "bind");
  const Pair p = w.establish(c, kPeer, lsn);
  must(w.shutdown(c, false, true), "shutdown(SHUT_WR)");
  const auto eof = must(w.recv(p.server, 1, kB), "peer recv EOF");
  ASSERT_EQ(eof.value, 0);
  must(w.close(p.server, kB), "peer close");
  ASSERT_TRUE(w.has_time_wait("10.0.0.1:5000", kPeer)) << "TIME-WAIT reached with the descriptor open";
  w.linger(c, true, 0);
  EXPECT_TRUE(Gives(w.close(c), Errno::ok));
  EXPECT_TRUE(w.has_time_wait("10.0.0.1:5000", kPeer)) << "linger-0 did not remove the TIME-WAIT";
}

// SO_LINGER {1, 0}: tcp_drop, RST, no TIME-WAIT.
TEST_P(BsdConnect, Linger0_Rst_NoTimeWait) {
  const Os os = GetParam();
  const model::Profile& p = profile(os);
  OsWorld w(p);
  const Fd lsn = w.listener(kPeer, {}, {}, kB);
  const Fd c = w.socket();
  must(w.bind(c, "10.0.0.1:5000"), "bind");
  const Pair pr = w.establish(c, kPeer, lsn);
  w.linger(c, true, 0);
  EXPECT_TRUE(GivesId(p, w.close(c), Errno::ok, rid(os, ".close.linger0-rst")));
  EXPECT_FALSE(w.state("10.0.0.1:5000", kPeer));
  EXPECT_TRUE(Gives(w.recv(pr.server, 1, kB), Errno::econnreset));
}

// ---- §3.1 / §4.1: IPv6 -----------------------------------------------------------------------

// IPV6_V6ONLY defaults: FreeBSD net.inet6.ip6.v6only = 1, macOS ip6_v6only = 0.
TEST_P(BsdConnect, V6OnlyDefault_Freebsd1_Macos0) {
  const Os os = GetParam();
  OsWorld w(profile(os));
  const Fd s = w.socket({.family = Family::inet6});
  const auto r = must(w.getopt(s, SockOpt::ipv6_v6only), "getsockopt");
  ASSERT_TRUE(r.option);
  EXPECT_EQ(std::get<std::int64_t>(*r.option), os == Os::freebsd ? 1 : 0);
}

Fd dual_stack_socket(OsWorld& w) {
  const Fd s = w.socket({.family = Family::inet6});
  must(w.setopt(s, SockOpt::ipv6_v6only, std::int64_t{0}), "IPV6_V6ONLY=0");
  return s;
}

// §4.1 (and §3.1 for FreeBSD, inferred): AF_INET 0.0.0.0:P, then a dual-stack [::]:P -> allowed
// (in6_pcbbind: an IPv4 wildcard PCB of the other domain does not block); the reverse order ->
// EADDRINUSE (in_pcbbind_setup's exemption is for two AF_INET6 wildcards only).
TEST_P(BsdConnect, DualStack_V4WildcardThenDualWildcard_Ok_ReverseEADDRINUSE) {
  const Os os = GetParam();
  const model::Profile& p = profile(os);
  {
    OsWorld w(p);
    must(w.bind(w.socket(), "0.0.0.0:5000"), "bind AF_INET 0.0.0.0");
    EXPECT_TRUE(GivesId(p, w.bind(dual_stack_socket(w), "[::]:5000"), Errno::ok, rid(os, ".bind.ok")));
  }
  {
    OsWorld w(p);
    must(w.bind(dual_stack_socket(w), "[::]:5000"), "bind dual-stack [::]");
    EXPECT_TRUE(GivesId(p, w.bind(w.socket(), "0.0.0.0:5000"), Errno::eaddrinuse,
                        rid(os, ".bind.conflict.no-reuse-option")));
  }
}

// A dual-stack [::]:P after an AF_INET socket on a specific address: the IPv4 side is taken.
TEST_P(BsdConnect, DualStack_AfterV4Specific_EADDRINUSE) {
  const Os os = GetParam();
  const model::Profile& p = profile(os);
  OsWorld w(p);
  must(w.bind(w.socket(), "10.0.0.1:5000"), "bind AF_INET 10.0.0.1");
  EXPECT_TRUE(GivesId(p, w.bind(dual_stack_socket(w), "[::]:5000"), Errno::eaddrinuse,
                      rid(os, ".bind.conflict.dual-stack-v4")));
}

// FreeBSD's default V6ONLY [::] never touches IPv4: both orders bind.
TEST(BsdIpv6, Freebsd_DefaultV6OnlyWildcardAndV4Wildcard_BothOrdersOk) {
  const model::Profile& p = model::freebsd_profile();
  for (bool v4_first : {true, false}) {
    SCOPED_TRACE(v4_first ? "0.0.0.0 first" : "[::] first");
    OsWorld w(p);
    const Fd v4 = w.socket();
    const Fd v6 = w.socket({.family = Family::inet6});
    must(w.bind(v4_first ? v4 : v6, v4_first ? "0.0.0.0:5000" : "[::]:5000"), "first bind");
    EXPECT_TRUE(GivesId(p, w.bind(v4_first ? v6 : v4, v4_first ? "[::]:5000" : "0.0.0.0:5000"), Errno::ok,
                        "freebsd.bind.ok"));
  }
}

INSTANTIATE_TEST_SUITE_P(Bsd, BsdConnect, ::testing::Values(Os::freebsd, Os::macos), os_param_name);

}  // namespace
}  // namespace portlab::testing
