// Specification: ephemeral port selection on Linux, semantics.md §2.10 (bind(addr, 0):
// inet_csk_find_open_port; connect() autobind: __inet_hash_connect) and the options of §2.9 that
// change it (ip_local_reserved_ports, ip_autobind_reuse, IP_LOCAL_PORT_RANGE). Host-only: a
// connect() takes its port before the SYN leaves, so SYN-SENT sockets are enough to hold ports.
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "model/test_support.h"

namespace portlab::testing {
namespace {

using model::Errno;
using model::Family;
using model::Fd;
using model::Host;
using model::OptValue;
using model::SockOpt;
namespace lr = model::linux_rule;

constexpr int kLow = 32768;   // default ip_local_port_range
constexpr int kHigh = 60999;
constexpr int kHalf = 46884;  // low + (((high + 1 - low) >> 2) << 1): the SO_REUSEADDR split

Fd new_socket(Host& h, std::uint32_t uid = 0) {
  return static_cast<Fd>(must(h.socket(Family::inet, false, uid), "socket").value);
}

void reuseaddr(Host& h, Fd fd) { must(h.setsockopt(fd, SockOpt::so_reuseaddr, OptValue{std::int64_t{1}}), "SO_REUSEADDR"); }

// bind(127.0.0.1:0) on a new socket; returns the result and the port it got (0 on failure).
std::pair<model::CallResult, int> bind0(Host& h, bool with_reuseaddr = false, Fd* out = nullptr) {
  const Fd fd = new_socket(h);
  if (with_reuseaddr) reuseaddr(h, fd);
  if (out) *out = fd;
  const auto r = h.bind(fd, ep("127.0.0.1:0"));
  return {r, r.failed() ? 0 : *h.local_port(fd)};
}

model::CallResult connect_autobind(Host& h, std::string_view dst) {
  std::vector<model::Segment> out;  // the SYN is never delivered: SYN-SENT holds the port
  return h.connect(new_socket(h), ep(dst), model::TimePoint{}, out);
}

// semantics.md §2.10 observed: 300 x bind(0): all odd, spread over the whole range.
TEST(LinuxEphemeralBind, Linux_Bind0_300Times_AllOddPortsSpreadOverRange) {
  Host h = linux_host();
  std::set<int> quarters;
  for (int i = 0; i < 300; ++i) {
    const auto [r, port] = bind0(h);
    ASSERT_TRUE(Gives(r, Errno::ok, lr::bind_port0_ok)) << "bind #" << i;
    EXPECT_EQ(port % 2, 1) << "bind #" << i << " got " << port;
    EXPECT_GE(port, kLow);
    EXPECT_LE(port, kHigh);
    quarters.insert((port - kLow) * 4 / (kHigh + 1 - kLow));
  }
  EXPECT_EQ(quarters, (std::set<int>{0, 1, 2, 3})) << "every quarter of the range is used";
}

// semantics.md §2.10 observed: 300 x bind(0) with SO_REUSEADDR: all odd and all below 46884
// (inet_csk_find_open_port scans the lower half first for sk_reuse == SK_CAN_REUSE).
TEST(LinuxEphemeralBind, Linux_Bind0WithReuseAddr_300Times_AllOddAndBelowHalfSplit) {
  Host h = linux_host();
  std::set<int> halves_of_lower_half;
  for (int i = 0; i < 300; ++i) {
    const auto [r, port] = bind0(h, /*with_reuseaddr=*/true);
    ASSERT_TRUE(Gives(r, Errno::ok, lr::bind_port0_ok)) << "bind #" << i;
    EXPECT_EQ(port % 2, 1) << "bind #" << i << " got " << port;
    EXPECT_GE(port, kLow);
    EXPECT_LT(port, kHalf) << "bind #" << i;
    halves_of_lower_half.insert((port - kLow) * 2 / (kHalf - kLow));
  }
  EXPECT_EQ(halves_of_lower_half, (std::set<int>{0, 1})) << "spread over the lower half";
}

// Odd ports first, then the other parity: with a 2-port range the first bind(0) gets 40001.
TEST(LinuxEphemeralBind, Linux_TwoPortRange_Bind0TakesOddThenEven) {
  Host h = linux_host();
  set_knob(h, "net.ipv4.ip_local_port_range", "40000 40001");
  EXPECT_EQ(bind0(h).second, 40001);
  EXPECT_EQ(bind0(h).second, 40000);
}

// semantics.md §2.10 observed: exhaustion with a 2-port range: third bind(0) -> EADDRINUSE,
// while connect() autobind exhaustion is EADDRNOTAVAIL (§2.7).
TEST(LinuxEphemeralBind, Linux_TwoPortRange_ThirdBind0_IsAddrInUse) {
  Host h = linux_host();
  set_knob(h, "net.ipv4.ip_local_port_range", "40000 40001");
  must(bind0(h).first, "bind 1");
  must(bind0(h).first, "bind 2");
  const auto [r, port] = bind0(h);
  EXPECT_TRUE(Gives(r, Errno::eaddrinuse, lr::bind_port0_exhausted));
}

TEST(LinuxEphemeralConnect, Linux_TwoPortRange_ThirdConnectSameDestination_IsAddrNotAvail) {
  Host h = linux_host();
  set_knob(h, "net.ipv4.ip_local_port_range", "40000 40001");
  EXPECT_TRUE(Gives(connect_autobind(h, "127.0.0.1:7000"), Errno::ok, lr::connect_autobind_ok));
  EXPECT_TRUE(Gives(connect_autobind(h, "127.0.0.1:7000"), Errno::ok, lr::connect_autobind_ok));
  EXPECT_TRUE(Gives(connect_autobind(h, "127.0.0.1:7000"), Errno::eaddrnotavail, lr::connect_autobind_exhausted));
}

// bind(0) never shares, even a port that connect() uses (relax=false: any owner conflicts).
TEST(LinuxEphemeralBind, Linux_PortsHeldByConnect_AreNotTakenByBind0) {
  Host h = linux_host();
  set_knob(h, "net.ipv4.ip_local_port_range", "40000 40001");
  must(connect_autobind(h, "127.0.0.1:7000"), "connect 1");
  must(connect_autobind(h, "127.0.0.1:7000"), "connect 2");
  EXPECT_TRUE(Gives(bind0(h, /*with_reuseaddr=*/true).first, Errno::eaddrinuse, lr::bind_port0_exhausted));
}

// semantics.md §2.9: ip_local_reserved_ports are skipped by bind(0) (and by connect(), see
// sim/linux_connect_test.cpp); an explicit bind() to a reserved port is unaffected.
TEST(LinuxEphemeralBind, Linux_ReservedPorts_SkippedByBind0_ExplicitBindUnaffected) {
  Host h = linux_host();
  set_knob(h, "net.ipv4.ip_local_port_range", "40000 40009");
  set_knob(h, "net.ipv4.ip_local_reserved_ports", "40001,40003,40005-40007");
  const std::set<int> reserved{40001, 40003, 40005, 40006, 40007};
  std::set<int> got;
  for (int i = 0; i < 5; ++i) {
    const auto [r, port] = bind0(h);
    ASSERT_TRUE(Gives(r, Errno::ok, lr::bind_port0_ok)) << "bind #" << i;
    EXPECT_FALSE(reserved.count(port)) << port << " is reserved";
    got.insert(port);
  }
  EXPECT_EQ(got, (std::set<int>{40000, 40002, 40004, 40008, 40009}));
  EXPECT_TRUE(Gives(bind0(h).first, Errno::eaddrinuse, lr::bind_port0_exhausted));
  const Fd fd = new_socket(h);
  EXPECT_TRUE(Gives(h.bind(fd, ep("127.0.0.1:40001")), Errno::ok, lr::bind_ok));
}

// ---- ip_autobind_reuse (semantics.md §2.9, inet_csk_find_open_port relax pass) ----------------

// Two SO_REUSEADDR sockets fill a 2-port range with bind(0); a third SO_REUSEADDR socket.
struct FullRange {
  Host h = linux_host();
  std::vector<Fd> owners;
  explicit FullRange(bool owners_reuseaddr, bool owners_reuseport = false) {
    set_knob(h, "net.ipv4.ip_local_port_range", "40000 40001");
    for (int i = 0; i < 2; ++i) {
      Fd fd = new_socket(h);
      if (owners_reuseaddr) reuseaddr(h, fd);
      if (owners_reuseport) must(h.setsockopt(fd, SockOpt::so_reuseport, OptValue{std::int64_t{1}}), "SO_REUSEPORT");
      must(h.bind(fd, ep("127.0.0.1:0")), "fill the range");
      owners.push_back(fd);
    }
  }
};

TEST(LinuxAutobindReuse, Linux_AutobindReuseOff_AllPortsHeldByReuseAddrOwners_Bind0IsAddrInUse) {
  FullRange f(/*owners_reuseaddr=*/true);
  const Fd n = new_socket(f.h);
  reuseaddr(f.h, n);
  EXPECT_TRUE(Gives(f.h.bind(n, ep("127.0.0.1:0")), Errno::eaddrinuse, lr::bind_port0_exhausted));
}

TEST(LinuxAutobindReuse, Linux_AutobindReuseOn_OwnersAllReuseAddrNotListening_Bind0SharesAPort) {
  FullRange f(/*owners_reuseaddr=*/true);
  set_knob(f.h, "net.ipv4.ip_autobind_reuse", "1");
  const Fd n = new_socket(f.h);
  reuseaddr(f.h, n);
  EXPECT_TRUE(Gives(f.h.bind(n, ep("127.0.0.1:0")), Errno::ok, lr::bind_port0_autobind_reuse));
  const int port = *f.h.local_port(n);
  EXPECT_TRUE(port == 40000 || port == 40001) << port;
}

TEST(LinuxAutobindReuse, Linux_AutobindReuseOn_NewSocketWithoutReuseAddr_IsAddrInUse) {
  FullRange f(/*owners_reuseaddr=*/true);
  set_knob(f.h, "net.ipv4.ip_autobind_reuse", "1");
  EXPECT_TRUE(Gives(bind0(f.h).first, Errno::eaddrinuse, lr::bind_port0_exhausted));
}

TEST(LinuxAutobindReuse, Linux_AutobindReuseOn_OwnersListening_IsAddrInUse) {
  FullRange f(/*owners_reuseaddr=*/true);
  set_knob(f.h, "net.ipv4.ip_autobind_reuse", "1");
  for (Fd o : f.owners) must(f.h.listen(o, 16), "owner listens");
  EXPECT_TRUE(Gives(bind0(f.h, /*with_reuseaddr=*/true).first, Errno::eaddrinuse, lr::bind_port0_exhausted));
}

TEST(LinuxAutobindReuse, Linux_AutobindReuseOn_OwnersWithoutReuseAddr_IsAddrInUse) {
  FullRange f(/*owners_reuseaddr=*/false);
  set_knob(f.h, "net.ipv4.ip_autobind_reuse", "1");
  EXPECT_TRUE(Gives(bind0(f.h, /*with_reuseaddr=*/true).first, Errno::eaddrinuse, lr::bind_port0_exhausted));
}

// The relax pass runs with reuseport_ok=false: both-SO_REUSEPORT same-uid owners still conflict.
TEST(LinuxAutobindReuse, Linux_AutobindReuseOn_BothReusePortSameUid_IsAddrInUse) {
  FullRange f(/*owners_reuseaddr=*/true, /*owners_reuseport=*/true);
  set_knob(f.h, "net.ipv4.ip_autobind_reuse", "1");
  const Fd n = new_socket(f.h);
  reuseaddr(f.h, n);
  must(f.h.setsockopt(n, SockOpt::so_reuseport, OptValue{std::int64_t{1}}), "SO_REUSEPORT");
  EXPECT_TRUE(Gives(f.h.bind(n, ep("127.0.0.1:0")), Errno::eaddrinuse, lr::bind_port0_exhausted));
}

// ---- IP_LOCAL_PORT_RANGE (semantics.md §2.9, inet_sk_get_local_port_range) --------------------

model::CallResult bind0_in(Host& h, model::PortRange r) {
  const Fd fd = new_socket(h);
  must(h.setsockopt(fd, SockOpt::ip_local_port_range, OptValue{r}), "IP_LOCAL_PORT_RANGE");
  auto res = h.bind(fd, ep("127.0.0.1:0"));
  if (!res.failed()) res.value = *h.local_port(fd);
  return res;
}

TEST(LinuxLocalPortRangeOption, Linux_PerSocketRange_ClampsBind0_UntilExhausted) {
  Host h = linux_host();
  std::set<std::int64_t> got;
  for (int i = 0; i < 10; ++i) {
    const auto r = bind0_in(h, {40000, 40009});
    ASSERT_TRUE(Gives(r, Errno::ok, lr::bind_port0_ok));
    got.insert(r.value);
  }
  EXPECT_EQ(got.size(), 10u);
  EXPECT_EQ(*got.begin(), 40000);
  EXPECT_EQ(*got.rbegin(), 40009);
  EXPECT_TRUE(Gives(bind0_in(h, {40000, 40009}), Errno::eaddrinuse, lr::bind_port0_exhausted));
}

// Bounds outside the netns range are ignored, each on its own.
TEST(LinuxLocalPortRangeOption, Linux_PerSocketRangeBoundsOutsideNetnsRange_AreIgnored) {
  Host h = linux_host();
  for (int i = 0; i < 50; ++i) {
    const auto low_ignored = bind0_in(h, {1000, 40005});
    ASSERT_TRUE(Gives(low_ignored, Errno::ok));
    EXPECT_GE(low_ignored.value, kLow);
    EXPECT_LE(low_ignored.value, 40005);
    const auto high_ignored = bind0_in(h, {40000, 65000});
    ASSERT_TRUE(Gives(high_ignored, Errno::ok));
    EXPECT_GE(high_ignored.value, 40000);
    EXPECT_LE(high_ignored.value, kHigh);
  }
}

// ---- determinism: the host's seed is the only source of randomness ----------------------------

std::vector<int> ports_for_seed(std::uint64_t seed) {
  Host h = linux_host({}, seed);
  std::vector<int> ports;
  for (int i = 0; i < 20; ++i) ports.push_back(bind0(h).second);
  for (int i = 0; i < 20; ++i) {
    const Fd fd = new_socket(h);
    std::vector<model::Segment> out;
    must(h.connect(fd, ep("127.0.0.1:" + std::to_string(7000 + i)), model::TimePoint{}, out), "connect");
    ports.push_back(*h.local_port(fd));
  }
  return ports;
}

TEST(LinuxEphemeralDeterminism, Linux_SameSeed_SamePorts) { EXPECT_EQ(ports_for_seed(7), ports_for_seed(7)); }

TEST(LinuxEphemeralDeterminism, Linux_DifferentSeed_DifferentPorts) {
  EXPECT_NE(ports_for_seed(7), ports_for_seed(8));
}

// tcp_twsk_unique (6.14+): time_after32(tcp_clock_ms(), tw_entry_stamp + tcp_tw_reuse_delay), with
// both clocks truncated to milliseconds. A TIME-WAIT entered at 0.9999 s is stamped 999 ms, so at
// 2.0000 s (2000 ms > 999 + 1000) it is recyclable, though only 1000.1 ms have passed.
TEST(Linux_TwReuseDelay, ComparesMillisecondClocks_NotTheTruncatedDifference) {
  const model::Profile& p = model::linux_profile();
  model::Knobs k(p.knobs);
  ASSERT_EQ(k.set("net.ipv4.tcp_tw_reuse", "1"), "");
  model::ConnectPortFacts f;
  f.occupant.kind = model::TupleOccupant::Kind::time_wait;
  f.occupant.ts_recent_seen = true;
  f.occupant.entered = model::TimePoint{} + std::chrono::microseconds(999'900);
  f.occupant.ts_recent_stamp = f.occupant.entered;
  using std::chrono::microseconds;
  EXPECT_FALSE(p.connect_port_usable(k, f, model::TimePoint{} + microseconds(1'999'999)).usable);
  const auto at_2s = p.connect_port_usable(k, f, model::TimePoint{} + microseconds(2'000'000));
  EXPECT_TRUE(at_2s.usable);
  EXPECT_TRUE(at_2s.recycle_time_wait);
  // The verdict says when it changes: at 2.000 s, the first millisecond after 999 + 1000.
  const auto before = p.connect_port_usable(k, f, model::TimePoint{} + microseconds(1'500'000));
  ASSERT_TRUE(before.changes_at.has_value());
  EXPECT_EQ(*before.changes_at, model::TimePoint{} + std::chrono::milliseconds(2000));
}

}  // namespace
}  // namespace portlab::testing
