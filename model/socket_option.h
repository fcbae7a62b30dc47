// Socket options the model understands, and their values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace portlab::model {

enum class SockOpt : std::uint8_t {
  so_reuseaddr,             // int 0/1
  so_reuseport,             // int 0/1
  so_linger,                // Linger
  so_bindtodevice,          // device name; "" unbinds
  so_rcvbuf,                // int bytes
  so_sndbuf,                // int bytes
  tcp_linger2,              // int seconds; < 0 means RST instead of FIN_WAIT2 (Linux)
  ipv6_v6only,              // int 0/1
  ip_bind_address_no_port,  // int 0/1 (Linux)
  ip_local_port_range,      // PortRange; {0,0} clears (Linux >= 6.3)
  ip_freebind,              // int 0/1 (Linux)
  so_exclusiveaddruse,      // int 0/1 (Windows)
  so_reuseport_lb,          // int 0/1 (FreeBSD)
  so_linger_sec,            // Linger, seconds (macOS)
  tcp_exclbind,             // int 0/1 (illumos)
};

struct Linger {
  bool on = false;
  std::int32_t seconds = 0;  // l_linger as given; unit is the profile's (macOS SO_LINGER: 1/100 s)
  friend bool operator==(const Linger&, const Linger&) = default;
};

struct PortRange {
  std::uint16_t low = 0;
  std::uint16_t high = 0;
  friend bool operator==(const PortRange&, const PortRange&) = default;
};

using OptValue = std::variant<std::int64_t, Linger, std::string, PortRange>;

enum class OptKind : std::uint8_t { integer, linger, device, port_range };

std::string_view name(SockOpt o);                         // "SO_REUSEADDR"
std::optional<SockOpt> sockopt_from_name(std::string_view s);
OptKind kind(SockOpt o);
std::string format_value(const OptValue& v);              // "1", "{1, 0}", "lo", "40000-40010"

}  // namespace portlab::model
