// Specification: which bound addresses compete for a port on Linux, semantics.md §2.4
// (inet_rcv_saddr_equal / ipv6_rcv_saddr_equal / ipv4_rcv_saddr_equal, match_wildcard=true) and
// the device scope of the bind table, §2.5 (inet_bind_conflict: !N.dev || !E.dev || equal).
// All binds are without reuse options, so "overlap" shows as EADDRINUSE and "no" as success.
#include <gtest/gtest.h>

#include <array>
#include <string>
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

// The bind addresses of the §2.4 table, all on port 5000.
enum class A { v4_any, v4_lo1, v4_lo2, v6_any_dual, v6_any_only, v6_lo, mapped_lo1, mapped_any };

std::string_view label(A a) {
  switch (a) {
    case A::v4_any: return "V4Any";
    case A::v4_lo1: return "V4Loopback1";
    case A::v4_lo2: return "V4Loopback2";
    case A::v6_any_dual: return "V6AnyDual";
    case A::v6_any_only: return "V6AnyV6Only";
    case A::v6_lo: return "V6Loopback";
    case A::mapped_lo1: return "MappedLoopback1";
    case A::mapped_any: return "MappedAny";
  }
  return "?";
}

// Creates a socket bound as `a` describes; returns the bind result (the socket stays open).
model::CallResult bind_as(Host& h, A a) {
  const bool v6 = a == A::v6_any_dual || a == A::v6_any_only || a == A::v6_lo || a == A::mapped_lo1 ||
                  a == A::mapped_any;
  const Fd fd = static_cast<Fd>(must(h.socket(v6 ? Family::inet6 : Family::inet, false, 0), "socket").value);
  if (a == A::v6_any_only) must(h.setsockopt(fd, SockOpt::ipv6_v6only, OptValue{std::int64_t{1}}), "IPV6_V6ONLY");
  if (a == A::v6_any_dual) must(h.setsockopt(fd, SockOpt::ipv6_v6only, OptValue{std::int64_t{0}}), "IPV6_V6ONLY=0");
  switch (a) {
    case A::v4_any: return h.bind(fd, ep("0.0.0.0:5000"));
    case A::v4_lo1: return h.bind(fd, ep("127.0.0.1:5000"));
    case A::v4_lo2: return h.bind(fd, ep("127.0.0.2:5000"));
    case A::v6_any_dual:
    case A::v6_any_only: return h.bind(fd, ep("[::]:5000"));
    case A::v6_lo: return h.bind(fd, ep("[::1]:5000"));
    case A::mapped_lo1: return h.bind(fd, ep("[::ffff:127.0.0.1]:5000"));
    case A::mapped_any: return h.bind(fd, ep("[::ffff:0.0.0.0]:5000"));
  }
  throw std::logic_error("unknown address");
}

struct Cell {
  A n;  // row: the new socket
  A e;  // column: the existing socket
  bool overlap;
};

// semantics.md §2.4 table, transcribed row by row (N \ E).
constexpr std::array<A, 7> kRows{A::v4_any, A::v4_lo1, A::v4_lo2, A::v6_any_dual, A::v6_any_only, A::v6_lo,
                                 A::mapped_lo1};
constexpr std::array<A, 7> kCols{A::v4_any, A::v4_lo1, A::v6_any_dual, A::v6_any_only, A::v6_lo, A::mapped_lo1,
                                 A::mapped_any};
constexpr bool Y = true;
constexpr bool N = false;
constexpr std::array<std::array<bool, 7>, 7> kOverlap{{
    //  0.0.0.0  127.0.0.1  [::]dual  [::]V6ONLY  [::1]  [::ffff:127.0.0.1]  [::ffff:0.0.0.0]
    {{Y, Y, Y, N, N, Y, Y}},  // 0.0.0.0
    {{Y, Y, Y, N, N, Y, Y}},  // 127.0.0.1
    {{Y, N, Y, N, N, N, Y}},  // 127.0.0.2
    {{Y, Y, Y, Y, Y, Y, Y}},  // [::] dual
    {{N, N, Y, Y, Y, N, N}},  // [::] V6ONLY
    {{N, N, Y, Y, Y, N, N}},  // [::1]
    {{Y, Y, Y, N, N, Y, Y}},  // [::ffff:127.0.0.1]
}};

std::vector<Cell> table_cells() {
  std::vector<Cell> out;
  for (std::size_t r = 0; r < kRows.size(); ++r)
    for (std::size_t c = 0; c < kCols.size(); ++c) out.push_back({kRows[r], kCols[c], kOverlap[r][c]});
  return out;
}

class LinuxAddressOverlap : public ::testing::TestWithParam<Cell> {};

// semantics.md §2.4: E binds first, then N binds the same port, neither with reuse options.
TEST_P(LinuxAddressOverlap, SecondBindWithoutReuse_InUseIffAddressesOverlap) {
  const Cell c = GetParam();
  Host h = linux_host();
  must(bind_as(h, c.e), "bind E");
  const auto r = bind_as(h, c.n);
  if (c.overlap) {
    EXPECT_TRUE(Gives(r, Errno::eaddrinuse, lr::bind_conflict_no_reuse));
  } else {
    EXPECT_TRUE(Gives(r, Errno::ok, lr::bind_ok));
  }
}

INSTANTIATE_TEST_SUITE_P(Linux, LinuxAddressOverlap, ::testing::ValuesIn(table_cells()),
                         [](const ::testing::TestParamInfo<Cell>& p) {
                           return "N" + std::string(label(p.param.n)) + "_E" + std::string(label(p.param.e));
                         });

// ---- the cells also observed on 6.18 (the list below the §2.4 table) -------------------------

struct Observed {
  A first;
  A second;
  bool in_use;
};

class LinuxAddressOverlapObserved : public ::testing::TestWithParam<Observed> {};

TEST_P(LinuxAddressOverlapObserved, SecondBindResult_MatchesObservation) {
  const Observed o = GetParam();
  Host h = linux_host();
  must(bind_as(h, o.first), "first bind");
  EXPECT_TRUE(Gives(bind_as(h, o.second), o.in_use ? Errno::eaddrinuse : Errno::ok));
}

INSTANTIATE_TEST_SUITE_P(
    Linux, LinuxAddressOverlapObserved,
    ::testing::Values(
        // [::]dual + 0.0.0.0 (either order) INUSE; [::]V6ONLY + 0.0.0.0 OK (either order)
        Observed{A::v6_any_dual, A::v4_any, true}, Observed{A::v4_any, A::v6_any_dual, true},
        Observed{A::v6_any_only, A::v4_any, false}, Observed{A::v4_any, A::v6_any_only, false},
        // [::]dual + 127.0.0.1 INUSE (either order); [::]V6ONLY + 127.0.0.1 OK
        Observed{A::v6_any_dual, A::v4_lo1, true}, Observed{A::v4_lo1, A::v6_any_dual, true},
        Observed{A::v6_any_only, A::v4_lo1, false}, Observed{A::v4_lo1, A::v6_any_only, false},
        // [::]dual / [::]V6ONLY then [::1] INUSE
        Observed{A::v6_any_dual, A::v6_lo, true}, Observed{A::v6_any_only, A::v6_lo, true},
        // [::1] + 127.0.0.1 / 0.0.0.0 OK (either order)
        Observed{A::v6_lo, A::v4_lo1, false}, Observed{A::v4_lo1, A::v6_lo, false},
        Observed{A::v6_lo, A::v4_any, false}, Observed{A::v4_any, A::v6_lo, false},
        // [::ffff:127.0.0.1] <-> 127.0.0.1 INUSE (either order); 0.0.0.0 then [::ffff:127.0.0.1] INUSE
        Observed{A::mapped_lo1, A::v4_lo1, true}, Observed{A::v4_lo1, A::mapped_lo1, true},
        Observed{A::v4_any, A::mapped_lo1, true},
        // [::ffff:0.0.0.0] then 127.0.0.1 INUSE; then [::1] OK
        Observed{A::mapped_any, A::v4_lo1, true}, Observed{A::mapped_any, A::v6_lo, false},
        // [::]dual then [::ffff:127.0.0.1] INUSE; [::]V6ONLY then [::ffff:127.0.0.1] OK
        Observed{A::v6_any_dual, A::mapped_lo1, true}, Observed{A::v6_any_only, A::mapped_lo1, false},
        // [::]V6ONLY then [::]dual INUSE
        Observed{A::v6_any_only, A::v6_any_dual, true}),
    [](const ::testing::TestParamInfo<Observed>& p) {
      return std::string(label(p.param.first)) + "_Then_" + std::string(label(p.param.second)) +
             (p.param.in_use ? "_IsAddrInUse" : "_Ok");
    });

// ---- IPV6_V6ONLY side effects (semantics.md §2.2 "side effect", §2.4 last line) ---------------

std::int64_t v6only_of(const Host& h, Fd fd) {
  const auto r = must(h.getsockopt(fd, SockOpt::ipv6_v6only), "getsockopt IPV6_V6ONLY");
  return std::get<std::int64_t>(*r.option);
}

// __inet6_bind forces sk_ipv6only for a specific non-mapped address: getsockopt reads 1.
TEST(LinuxV6Only, Linux_BindSpecificV6Address_ForcesV6OnlyToOne) {
  Host h = linux_host();
  const Fd fd = static_cast<Fd>(must(h.socket(Family::inet6, false, 0), "socket").value);
  EXPECT_EQ(v6only_of(h, fd), 0);
  must(h.bind(fd, ep("[::1]:5000")), "bind [::1]");
  EXPECT_EQ(v6only_of(h, fd), 1);
}

TEST(LinuxV6Only, Linux_BindV6Wildcard_LeavesV6OnlyAtZero) {
  Host h = linux_host();
  const Fd fd = static_cast<Fd>(must(h.socket(Family::inet6, false, 0), "socket").value);
  must(h.bind(fd, ep("[::]:5000")), "bind [::]");
  EXPECT_EQ(v6only_of(h, fd), 0);
}

// The forced v6only is why [::1]:P and 127.0.0.1:P never conflict, even in dual-stack form.
TEST(LinuxV6Only, Linux_BindV4MappedAddress_DoesNotForceV6Only) {
  Host h = linux_host();
  const Fd fd = static_cast<Fd>(must(h.socket(Family::inet6, false, 0), "socket").value);
  must(h.bind(fd, ep("[::ffff:127.0.0.1]:5000")), "bind mapped");
  EXPECT_EQ(v6only_of(h, fd), 0);
}

// semantics.md §2.2 #7: an IPV6_V6ONLY socket cannot bind a v4-mapped address.
TEST(LinuxV6Only, Linux_V6OnlySocketBindsV4Mapped_IsEinval) {
  Host h = linux_host();
  const Fd fd = static_cast<Fd>(must(h.socket(Family::inet6, false, 0), "socket").value);
  must(h.setsockopt(fd, SockOpt::ipv6_v6only, OptValue{std::int64_t{1}}), "IPV6_V6ONLY");
  EXPECT_TRUE(Gives(h.bind(fd, ep("[::ffff:127.0.0.1]:5000")), Errno::einval, lr::bind_einval_v6only_mapped));
}

// net.ipv6.bindv6only defaults to 0 and is the IPV6_V6ONLY default of new AF_INET6 sockets.
TEST(LinuxV6Only, Linux_Bindv6onlySysctl_DefaultsToZero_AndSetsNewSocketsDefault) {
  Host h = linux_host();
  const auto idx = h.knobs().find("net.ipv6.bindv6only");
  ASSERT_TRUE(idx);
  EXPECT_EQ(h.knobs().integer(*idx), 0);
  set_knob(h, "net.ipv6.bindv6only", "1");
  const Fd fd = static_cast<Fd>(must(h.socket(Family::inet6, false, 0), "socket").value);
  EXPECT_EQ(v6only_of(h, fd), 1);
  // ... so [::] no longer covers IPv4: 0.0.0.0 on the same port is free.
  must(h.bind(fd, ep("[::]:5000")), "bind [::]");
  const Fd v4 = static_cast<Fd>(must(h.socket(Family::inet, false, 0), "socket").value);
  EXPECT_TRUE(Gives(h.bind(v4, ep("0.0.0.0:5000")), Errno::ok, lr::bind_ok));
}

// ---- SO_BINDTODEVICE (semantics.md §2.5) -----------------------------------------------------

// Socket bound to `device` ("" = none) at 0.0.0.0:5000; returns the bind result.
model::CallResult bind_on_device(Host& h, std::string_view device, Fd* out = nullptr) {
  const Fd fd = static_cast<Fd>(must(h.socket(Family::inet, false, 0), "socket").value);
  if (!device.empty()) must(h.setsockopt(fd, SockOpt::so_bindtodevice, OptValue{std::string(device)}), "BINDTODEVICE");
  if (out) *out = fd;
  return h.bind(fd, ep("0.0.0.0:5000"));
}

TEST(LinuxBindToDevice, Linux_LoAndOtherDevice_BothListenOnWildcardSamePort_Ok) {
  Host h = linux_host({"v0"});
  Fd lo = -1;
  Fd v0 = -1;
  EXPECT_TRUE(Gives(bind_on_device(h, "lo", &lo), Errno::ok, lr::bind_ok));
  EXPECT_TRUE(Gives(h.listen(lo, 16), Errno::ok, lr::listen_ok));
  EXPECT_TRUE(Gives(bind_on_device(h, "v0", &v0), Errno::ok, lr::bind_ok));
  EXPECT_TRUE(Gives(h.listen(v0, 16), Errno::ok, lr::listen_ok));
}

TEST(LinuxBindToDevice, Linux_LoThenUnbound_IsAddrInUse) {
  Host h = linux_host({"v0"});
  must(bind_on_device(h, "lo"), "bind on lo");
  EXPECT_TRUE(Gives(bind_on_device(h, ""), Errno::eaddrinuse, lr::bind_conflict_no_reuse));
}

TEST(LinuxBindToDevice, Linux_UnboundThenLo_IsAddrInUse) {
  Host h = linux_host({"v0"});
  must(bind_on_device(h, ""), "bind unbound");
  EXPECT_TRUE(Gives(bind_on_device(h, "lo"), Errno::eaddrinuse, lr::bind_conflict_no_reuse));
}

TEST(LinuxBindToDevice, Linux_LoThenLo_IsAddrInUse) {
  Host h = linux_host({"v0"});
  must(bind_on_device(h, "lo"), "bind on lo");
  EXPECT_TRUE(Gives(bind_on_device(h, "lo"), Errno::eaddrinuse, lr::bind_conflict_no_reuse));
}

TEST(LinuxBindToDevice, Linux_UnknownDevice_IsEnodev) {
  Host h = linux_host({"v0"});
  const Fd fd = static_cast<Fd>(must(h.socket(Family::inet, false, 0), "socket").value);
  EXPECT_TRUE(Gives(h.setsockopt(fd, SockOpt::so_bindtodevice, OptValue{std::string("v9")}), Errno::enodev,
                    lr::setsockopt_enodev));
}

}  // namespace
}  // namespace portlab::testing
