// Specification: the checks bind() makes before the conflict check, and their order,
// semantics.md §2.2 (af_inet.c:__inet_bind, af_inet6.c:__inet6_bind). The two families order
// them differently: IPv4 checks the address before the port and the socket state; IPv6 checks
// the port and the socket state before the address.
#include <gtest/gtest.h>

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

Fd sock(Host& h, Family f = Family::inet, std::uint32_t uid = 0) {
  return static_cast<Fd>(must(h.socket(f, false, uid), "socket").value);
}

// #2: an IPv6 address on an AF_INET socket is EAFNOSUPPORT; #1: an IPv4 sockaddr on an AF_INET6
// socket is too short (addr_len < SIN6_LEN_RFC2133): EINVAL.
TEST(LinuxBindErrors, Linux_WrongFamilyAddress_V4SocketEafnosupport_V6SocketEinval) {
  Host h = linux_host();
  EXPECT_TRUE(Gives(h.bind(sock(h), ep("[::1]:5000")), Errno::eafnosupport, lr::bind_eafnosupport));
  EXPECT_TRUE(Gives(h.bind(sock(h, Family::inet6), ep("127.0.0.1:5000")), Errno::einval, lr::bind_einval_short_addr));
}

// #3: an AF_INET6 stream socket cannot bind a multicast address.
TEST(LinuxBindErrors, Linux_V6MulticastAddress_IsEinval) {
  Host h = linux_host();
  EXPECT_TRUE(Gives(h.bind(sock(h, Family::inet6), ep("[ff02::1]:5000")), Errno::einval, lr::bind_einval_v6_multicast));
}

// #4 [test]: 198.51.100.1 is not local: EADDRNOTAVAIL; IP_FREEBIND or ip_nonlocal_bind allow it.
TEST(LinuxBindErrors, Linux_NonLocalAddress_IsAddrNotAvail_UnlessFreebindOrNonlocalBind) {
  Host h = linux_host();
  EXPECT_TRUE(Gives(h.bind(sock(h), ep("198.51.100.1:5000")), Errno::eaddrnotavail, lr::bind_eaddrnotavail_not_local));
  const Fd fb = sock(h);
  must(h.setsockopt(fb, SockOpt::ip_freebind, OptValue{std::int64_t{1}}), "IP_FREEBIND");
  EXPECT_TRUE(Gives(h.bind(fb, ep("198.51.100.1:5000")), Errno::ok, lr::bind_ok));
  set_knob(h, "net.ipv4.ip_nonlocal_bind", "1");
  EXPECT_TRUE(Gives(h.bind(sock(h), ep("198.51.100.1:5001")), Errno::ok, lr::bind_ok));
}

// #5 [test]: a port below ip_unprivileged_port_start (1024) needs CAP_NET_BIND_SERVICE (uid 0 here).
TEST(LinuxBindErrors, Linux_PrivilegedPortWithoutCapability_IsEacces) {
  Host h = linux_host();
  EXPECT_TRUE(Gives(h.bind(sock(h, Family::inet, 1000), ep("127.0.0.1:80")), Errno::eacces, lr::bind_eacces_privileged));
  EXPECT_TRUE(Gives(h.bind(sock(h, Family::inet, 0), ep("127.0.0.1:80")), Errno::ok, lr::bind_ok));
  EXPECT_TRUE(Gives(h.bind(sock(h, Family::inet, 1000), ep("127.0.0.1:1024")), Errno::ok, lr::bind_ok));
  set_knob(h, "net.ipv4.ip_unprivileged_port_start", "0");
  EXPECT_TRUE(Gives(h.bind(sock(h, Family::inet, 1000), ep("127.0.0.1:81")), Errno::ok, lr::bind_ok));
}

// #6 [test]: a second bind(), or a bind() after listen(), is EINVAL.
TEST(LinuxBindErrors, Linux_DoubleBindOrBindAfterListen_IsEinval) {
  Host h = linux_host();
  const Fd a = sock(h);
  must(h.bind(a, ep("127.0.0.1:5000")), "bind");
  EXPECT_TRUE(Gives(h.bind(a, ep("127.0.0.1:5001")), Errno::einval, lr::bind_einval_already_bound));
  const Fd l = sock(h);
  must(h.listen(l, 8), "listen (autobind)");
  EXPECT_TRUE(Gives(h.bind(l, ep("127.0.0.1:5002")), Errno::einval, lr::bind_einval_already_bound));
}

// #8: a link-local IPv6 address needs a scope (bound device).
TEST(LinuxBindErrors, Linux_LinkLocalV6WithoutDevice_IsEinval) {
  Host h = linux_host();
  EXPECT_TRUE(
      Gives(h.bind(sock(h, Family::inet6), ep("[fe80::1]:5000")), Errno::einval, lr::bind_einval_link_local_scope));
}

// #4 with a bound device: __inet6_bind looks the address up on that device (ipv6_chk_addr with
// dev = sk_bound_dev_if), and an address of host scope counts only on its own device: ::1 lives on
// lo, so a socket bound to v0 cannot bind it (EADDRNOTAVAIL), one bound to lo can. IPv4 has no such
// check (127.0.0.1 binds from v0). Found by the differential test (seed 22, 400 cases) on 6.18.44.
TEST(LinuxBindErrors, Linux_V6LoopbackOnSocketBoundToOtherDevice_IsAddrNotAvail_V4IsNot) {
  Host h = linux_host({"v0"});
  const Fd v6 = sock(h, Family::inet6);
  must(h.setsockopt(v6, SockOpt::so_bindtodevice, OptValue{std::string("v0")}), "SO_BINDTODEVICE v0");
  EXPECT_TRUE(Gives(h.bind(v6, ep("[::1]:7001")), Errno::eaddrnotavail, lr::bind_eaddrnotavail_not_local));
  const Fd on_lo = sock(h, Family::inet6);
  must(h.setsockopt(on_lo, SockOpt::so_bindtodevice, OptValue{std::string("lo")}), "SO_BINDTODEVICE lo");
  EXPECT_TRUE(Gives(h.bind(on_lo, ep("[::1]:7001")), Errno::ok, lr::bind_ok));
  const Fd v4 = sock(h);
  must(h.setsockopt(v4, SockOpt::so_bindtodevice, OptValue{std::string("v0")}), "SO_BINDTODEVICE v0");
  EXPECT_TRUE(Gives(h.bind(v4, ep("127.0.0.1:7002")), Errno::ok, lr::bind_ok));
}

// Order, IPv4 (__inet_bind): address, then port privilege, then socket state.
TEST(LinuxBindErrors, Linux_V4_AddressCheckedBeforePortAndState) {
  Host h = linux_host();
  EXPECT_TRUE(Gives(h.bind(sock(h, Family::inet, 1000), ep("198.51.100.1:80")), Errno::eaddrnotavail))
      << "non-local and privileged";
  const Fd a = sock(h, Family::inet, 1000);
  must(h.bind(a, ep("127.0.0.1:5000")), "bind");
  EXPECT_TRUE(Gives(h.bind(a, ep("127.0.0.1:80")), Errno::eacces)) << "bound and privileged";
  EXPECT_TRUE(Gives(h.bind(a, ep("198.51.100.1:5001")), Errno::eaddrnotavail)) << "bound and non-local";
}

// Order, IPv6 (__inet6_bind): port privilege and socket state before the address.
TEST(LinuxBindErrors, Linux_V6_PortAndStateCheckedBeforeAddress) {
  Host h = linux_host();
  EXPECT_TRUE(Gives(h.bind(sock(h, Family::inet6, 1000), ep("[2001:db8::1]:80")), Errno::eacces))
      << "non-local and privileged";
  const Fd a = sock(h, Family::inet6, 1000);
  must(h.bind(a, ep("[::1]:5000")), "bind");
  EXPECT_TRUE(Gives(h.bind(a, ep("[2001:db8::1]:5001")), Errno::einval)) << "bound and non-local";
}

}  // namespace
}  // namespace portlab::testing
