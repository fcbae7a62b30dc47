#include "model/socket_option.h"

#include <array>
#include <utility>

namespace portlab::model {
namespace {
struct OptInfo {
  SockOpt opt;
  std::string_view name;
  OptKind kind;
};
constexpr std::array<OptInfo, 15> kOpts{{
    {SockOpt::so_reuseaddr, "SO_REUSEADDR", OptKind::integer},
    {SockOpt::so_reuseport, "SO_REUSEPORT", OptKind::integer},
    {SockOpt::so_linger, "SO_LINGER", OptKind::linger},
    {SockOpt::so_bindtodevice, "SO_BINDTODEVICE", OptKind::device},
    {SockOpt::so_rcvbuf, "SO_RCVBUF", OptKind::integer},
    {SockOpt::so_sndbuf, "SO_SNDBUF", OptKind::integer},
    {SockOpt::tcp_linger2, "TCP_LINGER2", OptKind::integer},
    {SockOpt::ipv6_v6only, "IPV6_V6ONLY", OptKind::integer},
    {SockOpt::ip_bind_address_no_port, "IP_BIND_ADDRESS_NO_PORT", OptKind::integer},
    {SockOpt::ip_local_port_range, "IP_LOCAL_PORT_RANGE", OptKind::port_range},
    {SockOpt::ip_freebind, "IP_FREEBIND", OptKind::integer},
    {SockOpt::so_exclusiveaddruse, "SO_EXCLUSIVEADDRUSE", OptKind::integer},
    {SockOpt::so_reuseport_lb, "SO_REUSEPORT_LB", OptKind::integer},
    {SockOpt::so_linger_sec, "SO_LINGER_SEC", OptKind::linger},
    {SockOpt::tcp_exclbind, "TCP_EXCLBIND", OptKind::integer},
}};
const OptInfo& info(SockOpt o) {
  for (const auto& i : kOpts)
    if (i.opt == o) return i;
  return kOpts[0];
}
}  // namespace

std::string_view name(SockOpt o) { return info(o).name; }
OptKind kind(SockOpt o) { return info(o).kind; }

std::optional<SockOpt> sockopt_from_name(std::string_view s) {
  for (const auto& i : kOpts)
    if (i.name == s) return i.opt;
  return std::nullopt;
}

std::string format_value(const OptValue& v) {
  struct V {
    std::string operator()(std::int64_t i) const { return std::to_string(i); }
    std::string operator()(const Linger& l) const {
      return "{" + std::to_string(l.on ? 1 : 0) + ", " + std::to_string(l.seconds) + "}";
    }
    std::string operator()(const std::string& d) const { return d.empty() ? "\"\"" : d; }
    std::string operator()(const PortRange& r) const {
      return std::to_string(r.low) + "-" + std::to_string(r.high);
    }
  };
  return std::visit(V{}, v);
}

}  // namespace portlab::model
