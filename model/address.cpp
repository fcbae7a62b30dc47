#include "model/address.h"

#include <arpa/inet.h>  // inet_pton/inet_ntop: pure text conversions, no I/O

#include <charconv>
#include <cstring>

namespace portlab::model {

std::string_view name(Family f) { return f == Family::inet ? "inet" : "inet6"; }

IpAddress IpAddress::v4(std::uint32_t h) {
  IpAddress a;
  a.family_ = Family::inet;
  a.bytes_[0] = static_cast<std::uint8_t>(h >> 24);
  a.bytes_[1] = static_cast<std::uint8_t>(h >> 16);
  a.bytes_[2] = static_cast<std::uint8_t>(h >> 8);
  a.bytes_[3] = static_cast<std::uint8_t>(h);
  return a;
}

IpAddress IpAddress::v6(const std::array<std::uint8_t, 16>& b) {
  IpAddress a;
  a.family_ = Family::inet6;
  a.bytes_ = b;
  return a;
}

IpAddress IpAddress::any(Family f) {
  IpAddress a;
  a.family_ = f;
  return a;
}

IpAddress IpAddress::loopback(Family f) {
  if (f == Family::inet) return v4(0x7f000001u);
  std::array<std::uint8_t, 16> b{};
  b[15] = 1;
  return v6(b);
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']')
    text = text.substr(1, text.size() - 2);
  if (text.empty() || text.size() > 64) return std::nullopt;
  char buf[65];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  std::array<std::uint8_t, 16> b{};
  if (text.find(':') == std::string_view::npos) {
    if (inet_pton(AF_INET, buf, b.data()) != 1) return std::nullopt;
    IpAddress a;
    a.family_ = Family::inet;
    a.bytes_ = b;
    return a;
  }
  if (inet_pton(AF_INET6, buf, b.data()) != 1) return std::nullopt;
  return v6(b);
}

bool IpAddress::is_wildcard() const {
  if (family_ == Family::inet) return bytes_[0] == 0 && bytes_[1] == 0 && bytes_[2] == 0 && bytes_[3] == 0;
  for (auto x : bytes_)
    if (x != 0) return false;
  return true;
}

bool IpAddress::is_v4_mapped() const {
  if (family_ != Family::inet6) return false;
  for (int i = 0; i < 10; ++i)
    if (bytes_[i] != 0) return false;
  return bytes_[10] == 0xff && bytes_[11] == 0xff;
}

std::optional<IpAddress> IpAddress::unmapped_v4() const {
  if (!is_v4_mapped()) return std::nullopt;
  IpAddress a;
  a.family_ = Family::inet;
  for (int i = 0; i < 4; ++i) a.bytes_[i] = bytes_[12 + i];
  return a;
}

IpAddress IpAddress::mapped_v6() const {
  if (family_ == Family::inet6) return *this;
  std::array<std::uint8_t, 16> b{};
  b[10] = b[11] = 0xff;
  for (int i = 0; i < 4; ++i) b[12 + i] = bytes_[i];
  return v6(b);
}

std::uint32_t IpAddress::v4_host_order() const {
  return (std::uint32_t{bytes_[0]} << 24) | (std::uint32_t{bytes_[1]} << 16) | (std::uint32_t{bytes_[2]} << 8) |
         std::uint32_t{bytes_[3]};
}

bool IpAddress::is_loopback() const {
  if (family_ == Family::inet) return bytes_[0] == 127;
  if (auto v4 = unmapped_v4()) return v4->is_loopback();
  return *this == loopback(Family::inet6);
}

bool IpAddress::is_multicast() const {
  if (family_ == Family::inet) return (bytes_[0] & 0xf0) == 0xe0;
  return bytes_[0] == 0xff;
}

bool IpAddress::is_link_local_v6() const {
  return family_ == Family::inet6 && bytes_[0] == 0xfe && (bytes_[1] & 0xc0) == 0x80;
}

std::string IpAddress::to_string() const {
  char buf[64];
  if (family_ == Family::inet) {
    inet_ntop(AF_INET, bytes_.data(), buf, sizeof buf);
  } else {
    inet_ntop(AF_INET6, bytes_.data(), buf, sizeof buf);
  }
  return buf;
}

std::optional<Endpoint> Endpoint::parse(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return std::nullopt;  // IPv6 needs brackets
  }
  auto addr = IpAddress::parse(host);
  if (!addr) return std::nullopt;
  unsigned value = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc{} || p != port.data() + port.size() || port.empty() || value > 65535) return std::nullopt;
  return Endpoint{*addr, static_cast<std::uint16_t>(value)};
}

std::string Endpoint::to_string() const {
  if (addr.family() == Family::inet6) return "[" + addr.to_string() + "]:" + std::to_string(port);
  return addr.to_string() + ":" + std::to_string(port);
}

std::string FourTuple::to_string() const { return local.to_string() + " -> " + remote.to_string(); }

std::size_t IpAddressHash::operator()(const IpAddress& a) const {
  std::uint64_t h = 1469598103934665603ull ^ static_cast<std::uint64_t>(a.family());
  for (auto b : a.bytes()) h = (h ^ b) * 1099511628211ull;
  return static_cast<std::size_t>(h);
}

std::size_t FourTupleHash::operator()(const FourTuple& t) const {
  IpAddressHash ah;
  std::uint64_t h = ah(t.local.addr);
  h = h * 31 + ah(t.remote.addr);
  h = h * 65537 + t.local.port;
  h = h * 65537 + t.remote.port;
  return static_cast<std::size_t>(h ^ (h >> 29));
}

}  // namespace portlab::model
