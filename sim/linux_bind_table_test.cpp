// Specification: the Linux bind-conflict decision table, semantics.md §2.3 (Linux 6.12
// inet_connection_sock.c:inet_bind_conflict / inet_csk_bind_conflict / inet_csk_get_port;
// observed on 6.18). E is an existing socket on port P in one of four states, built with real
// calls; N is a new socket binding P. Every row x column of the verified table is run for every
// address variant its footnote lists, and where the table says OK/OK, N's listen() must succeed
// too (inet_csk_listen_start re-runs the check, §2.6).
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "sim/test_support.h"

namespace portlab::testing {
namespace {

using model::Errno;
using model::Fd;
using model::TcpState;
namespace lr = model::linux_rule;

constexpr const char* kPort = "5000";       // P
constexpr const char* kServer = "127.0.0.1:7000";  // the peer for connected / TIME-WAIT E

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

// The address pairs of the §2.3 footnote, plus the table's last row (different specific addresses).
enum class Addrs { same_specific, e_wild_n_specific, e_specific_n_wild, both_wild, different_specific };

std::string_view addrs_name(Addrs a) {
  switch (a) {
    case Addrs::same_specific: return "SameSpecific";
    case Addrs::e_wild_n_specific: return "EWildNSpecific";
    case Addrs::e_specific_n_wild: return "ESpecificNWild";
    case Addrs::both_wild: return "BothWild";
    case Addrs::different_specific: return "E127001N127002";
  }
  return "?";
}

std::string e_addr(Addrs a) {
  const bool wild = a == Addrs::e_wild_n_specific || a == Addrs::both_wild;
  return std::string(wild ? "0.0.0.0:" : "127.0.0.1:") + kPort;
}
std::string n_addr(Addrs a) {
  if (a == Addrs::different_specific) return std::string("127.0.0.2:") + kPort;
  const bool wild = a == Addrs::e_specific_n_wild || a == Addrs::both_wild;
  return std::string(wild ? "0.0.0.0:" : "127.0.0.1:") + kPort;
}

// semantics.md §2.3 "Verified decision table", transcribed: [E state][E(ra,rp)][N(ra,rp)], with
// flag pairs indexed (0,0)=0, (0,1)=1, (1,0)=2, (1,1)=3. true = OK/OK, false = INUSE.
constexpr bool O = true;
constexpr bool I = false;
constexpr std::array<std::array<std::array<bool, 4>, 4>, 4> kTable{{
    // bound      N00 N01 N10 N11
    {{{I, I, I, I},    // E (0,0)
      {I, O, I, O},    // E (0,1)
      {I, I, O, O},    // E (1,0)
      {I, O, O, O}}},  // E (1,1)
    // listen
    {{{I, I, I, I},
      {I, O, I, O},
      {I, I, I, I},    // (1,0): N (1,0) INUSE — an existing listener never shares by SO_REUSEADDR
      {I, O, I, O}}},  // (1,1): N (1,0) INUSE
    // connected
    {{{I, I, I, I},
      {I, O, I, O},
      {I, I, O, O},
      {I, O, O, O}}},
    // TIME_WAIT
    {{{I, I, I, I},
      {I, O, I, O},
      {I, I, O, O},
      {I, O, O, O}}},
}};

Reuse flags(int i) { return {(i & 2) != 0, (i & 1) != 0}; }

struct Case {
  EState state;
  int e;  // index into kTable rows: (ra,rp) of E
  int n;  // column: (ra,rp) of N
  Addrs addrs;
};

std::string case_name(const Case& c) {
  const Reuse e = flags(c.e);
  const Reuse n = flags(c.n);
  std::string s(state_name(c.state));
  s += "_E" + std::to_string(e.ra) + std::to_string(e.rp);
  s += "_N" + std::to_string(n.ra) + std::to_string(n.rp);
  s += "_" + std::string(addrs_name(c.addrs));
  return s;
}

// Builds E in the requested state with real calls and returns nothing: what matters is what E
// leaves in the bind table. The state is checked, so a broken builder cannot pass a case.
void make_existing(LinuxWorld& w, const Case& c, std::uint32_t uid = 0) {
  const Reuse r = flags(c.e);
  const std::string at = e_addr(c.addrs);
  if (c.state == EState::bound || c.state == EState::listen) {
    const Fd e = w.socket({.uid = uid});
    w.reuse(e, r);
    must(w.bind(e, at), "bind E");
    if (c.state == EState::listen) must(w.listen(e), "listen E");
    return;
  }
  // connected: bind to P, then connect to a listener on another port.
  const Fd lsn = w.listener(kServer);
  const Fd e = w.socket({.uid = uid});
  w.reuse(e, r);
  must(w.bind(e, at), "bind E");
  const Pair p = w.establish(e, kServer, lsn);
  if (w.state(at, kServer) != TcpState::established) throw std::runtime_error("E is not ESTABLISHED");
  if (c.state == EState::time_wait) {
    w.client_closes_first(p);  // E closes first, the peer closes: E's side is TIME-WAIT
    if (!w.has_time_wait(at, kServer)) throw std::runtime_error("E is not in TIME-WAIT");
  }
}

class LinuxBindTable : public ::testing::TestWithParam<Case> {};

// semantics.md §2.3: bind(N) gives the table's result (EADDRINUSE or OK), named by the rule of
// inet_bind_conflict that decided it; on OK, listen(N) succeeds too.
TEST_P(LinuxBindTable, BindThenListenOfNewSocket_FollowsVerifiedTable) {
  const Case c = GetParam();
  const Reuse e = flags(c.e);
  const Reuse n = flags(c.n);
  const bool overlap = c.addrs != Addrs::different_specific;
  const bool table_ok = !overlap || kTable[static_cast<int>(c.state)][c.e][c.n];

  LinuxWorld w;
  make_existing(w, c);
  const Fd nfd = w.socket();
  w.reuse(nfd, n);
  const auto b = w.bind(nfd, n_addr(c.addrs));

  if (table_ok) {
    // Which clause of inet_bind_conflict let N share: both SO_REUSEADDR with E not listening is
    // checked first; otherwise both SO_REUSEPORT (same uid).
    const model::Rule& why = !overlap                                                  ? lr::bind_ok
                             : (n.ra && e.ra && c.state != EState::listen)              ? lr::bind_shared_reuseaddr
                                                                                        : lr::bind_shared_reuseport;
    EXPECT_TRUE(Gives(b, Errno::ok, why)) << "bind N";
    EXPECT_TRUE(Gives(w.listen(nfd), Errno::ok, lr::listen_ok)) << "listen N (table says OK/OK)";
  } else {
    // Both have SO_REUSEADDR but E listens (and SO_REUSEPORT does not share): its own rule.
    const bool listens = e.ra && n.ra && c.state == EState::listen && !(e.rp && n.rp);
    EXPECT_TRUE(Gives(b, Errno::eaddrinuse,
                      listens ? lr::bind_conflict_reuseaddr_existing_listens : lr::bind_conflict_no_reuse))
        << "bind N";
  }
}

std::vector<Case> all_cases() {
  std::vector<Case> out;
  for (EState s : {EState::bound, EState::listen, EState::connected, EState::time_wait}) {
    const bool full = s == EState::bound || s == EState::listen;
    std::vector<Addrs> variants =
        full ? std::vector<Addrs>{Addrs::same_specific, Addrs::e_wild_n_specific, Addrs::e_specific_n_wild,
                                  Addrs::both_wild}
             : std::vector<Addrs>{Addrs::same_specific, Addrs::e_specific_n_wild};
    variants.push_back(Addrs::different_specific);  // the table's "any | 127.0.0.1 vs 127.0.0.2" row
    for (Addrs a : variants)
      for (int e = 0; e < 4; ++e)
        for (int n = 0; n < 4; ++n) out.push_back({s, e, n, a});
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Linux, LinuxBindTable, ::testing::ValuesIn(all_cases()),
                         [](const ::testing::TestParamInfo<Case>& p) { return case_name(p.param); });

// ---- semantics.md §2.3 "Different uid" table: E created under uid 65534, N under uid 0. -------

class LinuxBindTableOtherUid : public ::testing::TestWithParam<EState> {};

// Both SO_REUSEPORT only: the uid must match unless E is TIME-WAIT (inet_bind_conflict:
// sk2->sk_state == TCP_TIME_WAIT || uid_eq). Root is not exempt.
TEST_P(LinuxBindTableOtherUid, BothReusePortOnly_SharesOnlyWithTimeWait) {
  const EState s = GetParam();
  LinuxWorld w;
  make_existing(w, {s, /*E (0,1)*/ 1, 1, Addrs::same_specific}, /*uid=*/65534);
  const Fd n = w.socket({.uid = 0});
  w.reuse(n, {.rp = true});
  const auto b = w.bind(n, std::string("127.0.0.1:") + kPort);
  if (s == EState::time_wait) {
    EXPECT_TRUE(Gives(b, Errno::ok, lr::bind_shared_reuseport));
  } else {
    EXPECT_TRUE(Gives(b, Errno::eaddrinuse, lr::bind_conflict_reuseport_uid));
  }
}

INSTANTIATE_TEST_SUITE_P(Linux, LinuxBindTableOtherUid,
                         ::testing::Values(EState::bound, EState::listen, EState::connected, EState::time_wait),
                         [](const ::testing::TestParamInfo<EState>& p) {
                           return std::string(state_name(p.param));
                         });

// semantics.md §2.3: "(both SO_REUSEADDR only, E bound) OK — SO_REUSEADDR has no uid check".
TEST(LinuxBindTableOtherUid, Linux_BothReuseAddrOnly_EBoundByOtherUid_BindOk) {
  LinuxWorld w;
  make_existing(w, {EState::bound, /*E (1,0)*/ 2, 2, Addrs::same_specific}, /*uid=*/65534);
  const Fd n = w.socket({.uid = 0});
  w.reuse(n, {.ra = true});
  EXPECT_TRUE(Gives(w.bind(n, std::string("127.0.0.1:") + kPort), Errno::ok, lr::bind_shared_reuseaddr));
}

// semantics.md §2.3 note: the uid compared is the owner captured at socket creation. Two
// SO_REUSEPORT sockets of the same uid 65534 share; root (uid 0) does not join them.
TEST(LinuxBindTableOtherUid, Linux_ReusePortSameNonRootUid_Shares_RootIsNotExempt) {
  LinuxWorld w;
  const Fd a = w.socket({.uid = 65534});
  w.reuse(a, {.rp = true});
  must(w.bind(a, "127.0.0.1:5000"), "bind A");
  const Fd b = w.socket({.uid = 65534});
  w.reuse(b, {.rp = true});
  EXPECT_TRUE(Gives(w.bind(b, "127.0.0.1:5000"), Errno::ok, lr::bind_shared_reuseport));
  const Fd root = w.socket({.uid = 0});
  w.reuse(root, {.rp = true});
  EXPECT_TRUE(Gives(w.bind(root, "127.0.0.1:5000"), Errno::eaddrinuse, lr::bind_conflict_reuseport_uid));
}

}  // namespace
}  // namespace portlab::testing
