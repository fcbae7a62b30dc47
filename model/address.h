// IP addresses, endpoints and 4-tuples. Pure values: parsing and printing only.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace portlab::model {

enum class Family : std::uint8_t { inet, inet6 };

std::string_view name(Family f);

// An IPv4 or IPv6 address. IPv4 is stored in the first 4 bytes.
class IpAddress {
 public:
  constexpr IpAddress() = default;
  static IpAddress v4(std::uint32_t host_order);
  static IpAddress v6(const std::array<std::uint8_t, 16>& bytes);
  static IpAddress any(Family f);  // 0.0.0.0 or ::
  static IpAddress loopback(Family f);  // 127.0.0.1 or ::1
  // Accepts dotted quad, or IPv6 text with optional surrounding brackets.
  static std::optional<IpAddress> parse(std::string_view text);

  Family family() const { return family_; }
  bool is_wildcard() const;     // 0.0.0.0 or ::
  bool is_v4_mapped() const;    // ::ffff:a.b.c.d (includes ::ffff:0.0.0.0)
  bool is_loopback() const;     // 127/8, ::1, ::ffff:127/104
  bool is_multicast() const;    // 224/4, ff00::/8
  bool is_link_local_v6() const;  // fe80::/10
  // For a v4-mapped IPv6 address, the IPv4 address it maps; else nullopt.
  std::optional<IpAddress> unmapped_v4() const;
  // The v4-mapped IPv6 form of an IPv4 address.
  IpAddress mapped_v6() const;
  std::uint32_t v4_host_order() const;
  const std::array<std::uint8_t, 16>& bytes() const { return bytes_; }
  std::string to_string() const;  // IPv6 without brackets

  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;

 private:
  Family family_ = Family::inet;
  std::array<std::uint8_t, 16> bytes_{};
};

struct Endpoint {
  IpAddress addr;
  std::uint16_t port = 0;

  // "10.0.0.1:80", "[::1]:80".
  static std::optional<Endpoint> parse(std::string_view text);
  std::string to_string() const;
  friend auto operator<=>(const Endpoint&, const Endpoint&) = default;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// A connection's identity from one host's point of view.
struct FourTuple {
  Endpoint local;
  Endpoint remote;
  FourTuple reversed() const { return {remote, local}; }
  std::string to_string() const;  // "10.0.0.1:5000 -> 10.0.0.2:80"
  friend auto operator<=>(const FourTuple&, const FourTuple&) = default;
  friend bool operator==(const FourTuple&, const FourTuple&) = default;
};

struct IpAddressHash {
  std::size_t operator()(const IpAddress& a) const;
};
struct FourTupleHash {
  std::size_t operator()(const FourTuple& t) const;
};

}  // namespace portlab::model
