// Specification: the illumos profile, semantics.md §6 (tcp_bind.c tcp_bindi, 2013-era snapshot):
// only the new socket's SO_REUSEADDR matters; IPv4 and IPv6 explicit binds live in disjoint port
// spaces; TCP_EXCLBIND; anonymous ports 32768-65535; TIME-WAIT 60 s (tcp_time_wait_interval).
//
// Host "a" (10.0.0.1, 10.0.0.3) runs illumos; host "b" (10.0.0.2) is an illumos peer.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "model/illumos_profile.h"
#include "sim/os_test_support.h"

namespace portlab::testing {
namespace {

using model::Errno;
using model::Family;
using model::Fd;
using model::SockOpt;
using model::TcpState;
using model::TimePoint;

constexpr const char* kPeer = "10.0.0.2:7000";

const model::Profile& ill() { return model::illumos_profile(); }

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

// Builds E on host a; `exclbind` sets TCP_EXCLBIND on it.
void make_existing(OsWorld& w, EState s, bool reuseaddr, const std::string& at, bool exclbind = false) {
  const Fd e = w.socket();
  if (reuseaddr) w.flag(e, SockOpt::so_reuseaddr);
  if (exclbind) w.flag(e, SockOpt::tcp_exclbind);
  must(w.bind(e, at), "bind E");
  if (s == EState::bound) return;
  if (s == EState::listen) {
    must(w.listen(e), "listen E");
    return;
  }
  const Fd lsn = w.listener(kPeer, {}, {}, kB);
  const Pair p = w.establish(e, kPeer, lsn);
  if (s == EState::time_wait) {
    w.client_closes_first(p);
    if (!w.has_time_wait(at, kPeer)) throw std::runtime_error("E is not in TIME-WAIT");
  }
}

// ---- §6 tcp_bindi: the SO_REUSEADDR table ------------------------------------------------------

struct Case {
  EState state;
  bool e_ra;
  bool n_ra;
  Addrs addrs;
};

struct Expected {
  Errno err;
  std::string_view rule;
};

// semantics.md §6:
//  * N without SO_REUSEADDR: conflict if the addresses overlap (equal or either wildcard) and E is
//    bound, listening, connected or TIME-WAIT;
//  * N with SO_REUSEADDR: conflict only if E has exactly the same address and is LISTEN or BOUND;
//  * E's SO_REUSEADDR is irrelevant.
Expected expected(const Case& c) {
  if (c.addrs == Addrs::different_specific) return {Errno::ok, "illumos.bind.ok"};
  if (!c.n_ra) return {Errno::eaddrinuse, "illumos.bind.conflict.no-reuseaddr"};
  const bool same = c.addrs == Addrs::same_specific || c.addrs == Addrs::both_wild;
  if (same && (c.state == EState::bound || c.state == EState::listen))
    return {Errno::eaddrinuse, "illumos.bind.conflict.same-address-bound"};
  return {Errno::ok, "illumos.bind.reuseaddr"};
}

std::string case_name(const Case& c) {
  const Expected x = expected(c);
  return std::string("Illumos_N") + (c.n_ra ? "ReuseAddr" : "None") + "_E" + std::string(state_name(c.state)) +
         (c.e_ra ? "ReuseAddr" : "None") + "_" + std::string(addrs_name(c.addrs)) +
         (x.err == Errno::ok ? "_IsOk" : "_IsInUse");
}

class IllumosBindTable : public ::testing::TestWithParam<Case> {};

TEST_P(IllumosBindTable, NewSocketsReuseAddrAloneDecides) {
  const Case c = GetParam();
  const Expected x = expected(c);
  OsWorld w(ill());
  make_existing(w, c.state, c.e_ra, e_addr(c.addrs));
  const Fd n = w.socket();
  if (c.n_ra) w.flag(n, SockOpt::so_reuseaddr);
  EXPECT_TRUE(GivesId(ill(), w.bind(n, n_addr(c.addrs)), x.err, x.rule));
}

std::vector<Case> table_cases() {
  std::vector<Case> out;
  for (EState s : {EState::bound, EState::listen, EState::connected, EState::time_wait}) {
    const bool full = s == EState::bound || s == EState::listen;
    const std::vector<Addrs> variants =
        full ? std::vector<Addrs>{Addrs::same_specific, Addrs::both_wild, Addrs::e_wild_n_specific,
                                  Addrs::e_specific_n_wild, Addrs::different_specific}
             : std::vector<Addrs>{Addrs::same_specific, Addrs::e_specific_n_wild, Addrs::different_specific};
    for (Addrs a : variants)
      for (bool e_ra : {false, true})
        for (bool n_ra : {false, true}) out.push_back({s, e_ra, n_ra, a});
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Illumos, IllumosBindTable, ::testing::ValuesIn(table_cases()),
                         [](const ::testing::TestParamInfo<Case>& i) { return case_name(i.param); });

// The server-restart consequence: a new SO_REUSEADDR listener binds over TIME-WAIT children of an
// old listener that had no SO_REUSEADDR (on Linux the old one must have had it too).
TEST(IllumosBind, Illumos_RestartOverTimeWaitChildrenOfListenerWithoutReuseAddr_Ok) {
  OsWorld w(ill());
  const Fd old = w.listener("0.0.0.0:5000");
  const Fd c = w.socket({}, kB);
  const Pair p = w.establish(c, "10.0.0.1:5000", old, kB, kA);
  const std::string client = "10.0.0.2:" + std::to_string(*w.host(kB).local_port(c));
  must(w.close(old), "close the old listener");
  // The server closes first: its accepted connection goes to TIME-WAIT.
  w.client_closes_first({p.server, p.client}, kA, kB);
  ASSERT_TRUE(w.has_time_wait("10.0.0.1:5000", client));
  const Fd fresh = w.socket();
  w.flag(fresh, SockOpt::so_reuseaddr);
  EXPECT_TRUE(GivesId(ill(), w.bind(fresh, "0.0.0.0:5000"), Errno::ok, "illumos.bind.reuseaddr"));
  EXPECT_TRUE(GivesId(ill(), w.listen(fresh), Errno::ok, "illumos.listen.ok"));
}

// ---- §6 IPv4 and IPv6 explicit binds live in disjoint port spaces -------------------------------

TEST(IllumosBind, Illumos_V4AndV6ExplicitBinds_DisjointPortSpaces) {
  for (bool v4_first : {true, false}) {
    SCOPED_TRACE(v4_first ? "0.0.0.0 first" : "[::] first");
    OsWorld w(ill());
    const Fd v4 = w.socket();
    const Fd v6 = w.socket({.family = Family::inet6});
    must(w.setopt(v6, SockOpt::ipv6_v6only, std::int64_t{0}), "IPV6_V6ONLY=0 (dual stack)");
    must(w.bind(v4_first ? v4 : v6, v4_first ? "0.0.0.0:5000" : "[::]:5000"), "first bind");
    must(w.listen(v4_first ? v4 : v6), "first listen");
    EXPECT_TRUE(GivesId(ill(), w.bind(v4_first ? v6 : v4, v4_first ? "[::]:5000" : "0.0.0.0:5000"), Errno::ok,
                        "illumos.bind.other-ip-version"));
  }
}

TEST(IllumosBind, Illumos_TwoV6WildcardBinds_Conflict) {
  OsWorld w(ill());
  must(w.bind(w.socket({.family = Family::inet6}), "[::]:5000"), "first bind");
  EXPECT_TRUE(GivesId(ill(), w.bind(w.socket({.family = Family::inet6}), "[::]:5000"), Errno::eaddrinuse,
                      "illumos.bind.conflict.no-reuseaddr"));
}

// ---- §6 TCP_EXCLBIND ----------------------------------------------------------------------------

// E with TCP_EXCLBIND on the wildcard: even a SO_REUSEADDR bind of a specific address conflicts.
TEST(IllumosExclbind, Illumos_ExistingExclbindWildcard_BlocksReuseAddrSpecific) {
  OsWorld w(ill());
  make_existing(w, EState::listen, true, "0.0.0.0:5000", /*exclbind=*/true);
  const Fd n = w.socket();
  w.flag(n, SockOpt::so_reuseaddr);
  EXPECT_TRUE(GivesId(ill(), w.bind(n, "10.0.0.1:5000"), Errno::eaddrinuse, "illumos.bind.conflict.exclbind"));
}

// N with TCP_EXCLBIND (and SO_REUSEADDR) against a connected E on the same address: E is at most
// ESTABLISHED, so TCP_EXCLBIND makes it a conflict (SO_REUSEADDR alone would pass).
TEST(IllumosExclbind, Illumos_NewExclbind_ConflictsWithEstablished) {
  OsWorld w(ill());
  make_existing(w, EState::connected, false, "10.0.0.1:5000");
  const Fd n = w.socket();
  w.flag(n, SockOpt::so_reuseaddr);
  w.flag(n, SockOpt::tcp_exclbind);
  EXPECT_TRUE(GivesId(ill(), w.bind(n, "10.0.0.1:5000"), Errno::eaddrinuse, "illumos.bind.conflict.exclbind"));
}

// TIME-WAIT is past ESTABLISHED: TCP_EXCLBIND does not apply, SO_REUSEADDR decides.
TEST(IllumosExclbind, Illumos_NewExclbindReuseAddr_OverTimeWait_Ok) {
  OsWorld w(ill());
  make_existing(w, EState::time_wait, false, "10.0.0.1:5000");
  const Fd n = w.socket();
  w.flag(n, SockOpt::so_reuseaddr);
  w.flag(n, SockOpt::tcp_exclbind);
  EXPECT_TRUE(GivesId(ill(), w.bind(n, "10.0.0.1:5000"), Errno::ok, "illumos.bind.reuseaddr"));
}

// "Conflict unless both addresses are specific and different."
TEST(IllumosExclbind, Illumos_Exclbind_DifferentSpecificAddresses_Ok) {
  OsWorld w(ill());
  make_existing(w, EState::listen, false, "10.0.0.1:5000", /*exclbind=*/true);
  const Fd n = w.socket();
  w.flag(n, SockOpt::tcp_exclbind);
  EXPECT_TRUE(GivesId(ill(), w.bind(n, "10.0.0.3:5000"), Errno::ok, "illumos.bind.ok"));
}

// ---- §6 anonymous ports, TIME-WAIT -------------------------------------------------------------

TEST(IllumosPorts, Illumos_AnonymousRange_32768To65535) {
  OsWorld w(ill());
  const model::PortRange r = ill().params(w.host().knobs()).ephemeral;
  EXPECT_EQ(r.low, 32768);
  EXPECT_EQ(r.high, 65535);
  for (int i = 0; i < 50; ++i) {
    const Fd s = w.socket();
    ASSERT_TRUE(GivesId(ill(), w.bind(s, "0.0.0.0:0"), Errno::ok, "illumos.bind.port0.ok"));
    EXPECT_GE(*w.host().local_port(s), 32768);
  }
}

TEST(IllumosPorts, Illumos_AnonymousPortsExhausted_EADDRNOTAVAIL) {
  OsWorld w(ill());
  w.knob("tcp_smallest_anon_port", "40000");
  w.knob("tcp_largest_anon_port", "40001");
  for (int i = 0; i < 2; ++i) must(w.bind(w.socket(), "0.0.0.0:0"), "bind(0)");
  EXPECT_TRUE(GivesId(ill(), w.bind(w.socket(), "0.0.0.0:0"), Errno::eaddrnotavail, "illumos.bind.port0.exhausted"));
}

TEST(IllumosTimeWait, Illumos_TimeWaitLasts60s) {
  OsWorld w(ill());
  make_existing(w, EState::time_wait, false, "10.0.0.1:5000");
  const TimePoint entered = w.now();
  w.advance_to(entered + 60s - 1ms);
  EXPECT_TRUE(w.has_time_wait("10.0.0.1:5000", kPeer));
  w.advance_to(entered + 60s);
  EXPECT_FALSE(w.has_time_wait("10.0.0.1:5000", kPeer));
}

}  // namespace
}  // namespace portlab::testing
