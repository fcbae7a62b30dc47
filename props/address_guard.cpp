#include "props/address_guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <cstring>

#include "props/kernel_namespace.h"

namespace portlab::props {

std::optional<std::string> refuse_unsafe_address(const model::IpAddress& a, bool in_private_namespace) {
  // is_loopback() covers 127/8, ::1 and ::ffff:127/104.
  if (a.is_loopback() || in_private_namespace) return std::nullopt;
  return "address " + a.to_string() +
         " is not loopback, and the calling thread is not in a private network namespace of this process; "
         "the real-kernel harness uses other addresses only inside its own namespaces";
}

std::optional<std::string> refuse_unsafe_sockaddr(const sockaddr* sa, socklen_t len, bool in_private_namespace) {
  if (sa == nullptr) return std::string("no socket address");
  if (sa->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    sockaddr_in sin{};
    std::memcpy(&sin, sa, sizeof sin);
    return refuse_unsafe_address(model::IpAddress::v4(ntohl(sin.sin_addr.s_addr)), in_private_namespace);
  }
  if (sa->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    sockaddr_in6 sin6{};
    std::memcpy(&sin6, sa, sizeof sin6);
    std::array<std::uint8_t, 16> b{};
    std::memcpy(b.data(), &sin6.sin6_addr, 16);
    return refuse_unsafe_address(model::IpAddress::v6(b), in_private_namespace);
  }
  return "socket address family " + std::to_string(sa->sa_family) + " (length " + std::to_string(len) +
         ") is not an IPv4 or IPv6 address the harness understands";
}

namespace {

void require_safe(const char* call, const sockaddr* sa, socklen_t len, bool in_private_namespace) {
  if (auto why = refuse_unsafe_sockaddr(sa, len, in_private_namespace))
    throw HarnessError(std::string(call) + "() refused: " + *why);
}

}  // namespace

int guarded_bind(int fd, const sockaddr* sa, socklen_t len, bool in_private_namespace) {
  require_safe("bind", sa, len, in_private_namespace);
  return ::bind(fd, sa, len);
}

int guarded_connect(int fd, const sockaddr* sa, socklen_t len, bool in_private_namespace) {
  require_safe("connect", sa, len, in_private_namespace);
  return ::connect(fd, sa, len);
}

}  // namespace portlab::props
