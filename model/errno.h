// Errors are values. The enumerators mirror errno names in lower case so they never
// collide with the <cerrno> macros; name() gives the conventional spelling.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace portlab::model {

enum class Errno : std::uint8_t {
  ok = 0,
  eaddrinuse,
  eaddrnotavail,
  einval,
  eafnosupport,
  eacces,
  eisconn,
  enotconn,
  econnrefused,
  econnreset,
  epipe,
  eagain,  // == EWOULDBLOCK on Linux
  einprogress,
  ealready,
  ebadf,
  enoprotoopt,
  eopnotsupp,
  enodev,
  enetunreach,
  etimedout,
  emfile,
  econnaborted,
  // Windows spellings, used only where Windows' documented result differs (semantics.md §5).
  wsaeaddrinuse,
  wsaeacces,
  wsaewouldblock,
  wsaenobufs,
  wsaeaddrnotavail,
  wsaeconnreset,
  wsaeconnrefused,
  wsaeinval,
  wsaenoprotoopt,
  wsaeisconn,
  wsaenotconn,
  wsaetimedout,
  wsaealready,
  wsaeafnosupport,
  wsaenetunreach,
  wsaeshutdown,
  wsaenotsock,
  // Not an OS errno: the model does not cover this situation and refuses to guess (rule
  // model.unmodelled). Printed as UNMODELLED.
  unmodelled,
};

// Conventional spelling, e.g. "EADDRINUSE", "WSAEACCES"; "0" for ok.
std::string_view name(Errno e);
// Inverse of name(); accepts "EWOULDBLOCK" as eagain.
std::optional<Errno> errno_from_name(std::string_view s);

}  // namespace portlab::model
