#include "model/errno.h"

#include <array>
#include <utility>

namespace portlab::model {
namespace {
constexpr std::array<std::pair<Errno, std::string_view>, 40> kNames{{
    {Errno::ok, "0"},
    {Errno::eaddrinuse, "EADDRINUSE"},
    {Errno::eaddrnotavail, "EADDRNOTAVAIL"},
    {Errno::einval, "EINVAL"},
    {Errno::eafnosupport, "EAFNOSUPPORT"},
    {Errno::eacces, "EACCES"},
    {Errno::eisconn, "EISCONN"},
    {Errno::enotconn, "ENOTCONN"},
    {Errno::econnrefused, "ECONNREFUSED"},
    {Errno::econnreset, "ECONNRESET"},
    {Errno::epipe, "EPIPE"},
    {Errno::eagain, "EAGAIN"},
    {Errno::einprogress, "EINPROGRESS"},
    {Errno::ealready, "EALREADY"},
    {Errno::ebadf, "EBADF"},
    {Errno::enoprotoopt, "ENOPROTOOPT"},
    {Errno::eopnotsupp, "EOPNOTSUPP"},
    {Errno::enodev, "ENODEV"},
    {Errno::enetunreach, "ENETUNREACH"},
    {Errno::etimedout, "ETIMEDOUT"},
    {Errno::emfile, "EMFILE"},
    {Errno::econnaborted, "ECONNABORTED"},
    {Errno::wsaeaddrinuse, "WSAEADDRINUSE"},
    {Errno::wsaeacces, "WSAEACCES"},
    {Errno::wsaewouldblock, "WSAEWOULDBLOCK"},
    {Errno::wsaenobufs, "WSAENOBUFS"},
    {Errno::wsaeaddrnotavail, "WSAEADDRNOTAVAIL"},
    {Errno::wsaeconnreset, "WSAECONNRESET"},
    {Errno::wsaeconnrefused, "WSAECONNREFUSED"},
    {Errno::wsaeinval, "WSAEINVAL"},
    {Errno::wsaenoprotoopt, "WSAENOPROTOOPT"},
    {Errno::wsaeisconn, "WSAEISCONN"},
    {Errno::wsaenotconn, "WSAENOTCONN"},
    {Errno::wsaetimedout, "WSAETIMEDOUT"},
    {Errno::wsaealready, "WSAEALREADY"},
    {Errno::wsaeafnosupport, "WSAEAFNOSUPPORT"},
    {Errno::wsaenetunreach, "WSAENETUNREACH"},
    {Errno::wsaeshutdown, "WSAESHUTDOWN"},
    {Errno::wsaenotsock, "WSAENOTSOCK"},
    {Errno::unmodelled, "UNMODELLED"},
}};
}  // namespace

std::string_view name(Errno e) {
  for (const auto& [v, n] : kNames)
    if (v == e) return n;
  return "E?";
}

std::optional<Errno> errno_from_name(std::string_view s) {
  if (s == "EWOULDBLOCK") return Errno::eagain;
  for (const auto& [v, n] : kNames)
    if (n == s && v != Errno::ok) return v;
  return std::nullopt;
}

}  // namespace portlab::model
