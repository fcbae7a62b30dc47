// A host's tunables (sysctls, registry values): data declared by each profile, with the
// profile's defaults. Values are looked up by index, so policy code pays no string lookups.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "model/socket_option.h"

namespace portlab::model {

// A set of ports, as a sorted list of disjoint inclusive ranges (`ip_local_reserved_ports`).
class PortSet {
 public:
  bool contains(std::uint16_t port) const;
  bool empty() const { return ranges_.empty(); }
  void add(PortRange r);
  const std::vector<PortRange>& ranges() const { return ranges_; }
  std::string to_string() const;  // "40000,40005-40007"
  friend bool operator==(const PortSet&, const PortSet&) = default;

 private:
  std::vector<PortRange> ranges_;
};

using KnobValue = std::variant<std::int64_t, PortRange, PortSet>;

enum class KnobKind : std::uint8_t { integer, port_range, port_set };

struct KnobSpec {
  std::string_view name;  // "net.ipv4.tcp_tw_reuse"
  KnobKind kind;
  std::int64_t min = 0;   // integer knobs: accepted range
  std::int64_t max = 0;
  std::string_view default_text;  // parsed by parse_knob_value; e.g. "32768 60999"
  std::string_view meaning;
  std::string_view source;
};

// Parses "1", "32768 60999" / "32768-60999", "40000,40005-40007" (or "" for an empty set).
// On failure returns an explanation of what was expected.
struct KnobParse {
  std::optional<KnobValue> value;
  std::string error;
};
KnobParse parse_knob_value(const KnobSpec& spec, std::string_view text);
std::string format_knob_value(const KnobValue& v);

class Knobs {
 public:
  Knobs() = default;
  // All knobs at their defaults. The spec list must outlive this object.
  explicit Knobs(std::span<const KnobSpec> specs);

  std::optional<std::size_t> find(std::string_view name) const;
  // Sets a knob from text; returns an error message, or "" on success.
  std::string set(std::string_view name, std::string_view text);
  void set(std::size_t index, KnobValue v) { values_.at(index) = std::move(v); }

  std::int64_t integer(std::size_t index) const { return std::get<std::int64_t>(values_[index]); }
  const PortRange& range(std::size_t index) const { return std::get<PortRange>(values_[index]); }
  const PortSet& set_of_ports(std::size_t index) const { return std::get<PortSet>(values_[index]); }
  const KnobValue& value(std::size_t index) const { return values_[index]; }
  std::span<const KnobSpec> specs() const { return specs_; }

 private:
  std::span<const KnobSpec> specs_;
  std::vector<KnobValue> values_;
};

}  // namespace portlab::model
