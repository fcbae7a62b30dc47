#include "model/knobs.h"

#include <algorithm>
#include <charconv>

namespace portlab::model {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<std::int64_t> parse_int(std::string_view s) {
  s = trim(s);
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::optional<std::uint16_t> parse_port(std::string_view s) {
  auto v = parse_int(s);
  if (!v || *v < 0 || *v > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(*v);
}

// "A B", "A-B" or "A\tB".
std::optional<PortRange> parse_range(std::string_view s) {
  s = trim(s);
  auto sep = s.find_first_of(" \t-");
  if (sep == std::string_view::npos) {
    auto p = parse_port(s);
    if (!p) return std::nullopt;
    return PortRange{*p, *p};
  }
  auto lo = parse_port(s.substr(0, sep));
  auto hi = parse_port(s.substr(sep + 1));
  if (!lo || !hi || *lo > *hi) return std::nullopt;
  return PortRange{*lo, *hi};
}

}  // namespace

bool PortSet::contains(std::uint16_t port) const {
  for (const auto& r : ranges_) {
    if (port < r.low) return false;
    if (port <= r.high) return true;
  }
  return false;
}

void PortSet::add(PortRange r) {
  ranges_.push_back(r);
  std::sort(ranges_.begin(), ranges_.end(), [](auto a, auto b) { return a.low < b.low; });
  std::vector<PortRange> merged;
  for (const auto& x : ranges_) {
    if (!merged.empty() && x.low <= merged.back().high + 1) {
      merged.back().high = std::max(merged.back().high, x.high);
    } else {
      merged.push_back(x);
    }
  }
  ranges_ = std::move(merged);
}

std::string PortSet::to_string() const {
  std::string out;
  for (const auto& r : ranges_) {
    if (!out.empty()) out += ',';
    out += std::to_string(r.low);
    if (r.high != r.low) out += "-" + std::to_string(r.high);
  }
  return out;
}

KnobParse parse_knob_value(const KnobSpec& spec, std::string_view text) {
  switch (spec.kind) {
    case KnobKind::integer: {
      auto v = parse_int(text);
      if (!v) return {std::nullopt, "expected an integer"};
      if (*v < spec.min || *v > spec.max)
        return {std::nullopt, "value " + std::to_string(*v) + " out of range " + std::to_string(spec.min) + ".." +
                                  std::to_string(spec.max)};
      return {KnobValue{*v}, {}};
    }
    case KnobKind::port_range: {
      auto r = parse_range(text);
      if (!r) return {std::nullopt, "expected a port range 'LOW HIGH' with LOW <= HIGH <= 65535"};
      if (r->low < spec.min || r->high > spec.max)
        return {std::nullopt, "range must lie within " + std::to_string(spec.min) + ".." + std::to_string(spec.max)};
      return {KnobValue{*r}, {}};
    }
    case KnobKind::port_set: {
      PortSet set;
      std::string_view rest = trim(text);
      while (!rest.empty()) {
        auto comma = rest.find(',');
        auto item = rest.substr(0, comma);
        auto r = parse_range(item);
        if (!r) return {std::nullopt, "expected a comma-separated list of ports or LOW-HIGH ranges"};
        set.add(*r);
        if (comma == std::string_view::npos) break;
        rest = rest.substr(comma + 1);
      }
      return {KnobValue{set}, {}};
    }
  }
  return {std::nullopt, "unknown knob kind"};
}

std::string format_knob_value(const KnobValue& v) {
  if (auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  if (auto* r = std::get_if<PortRange>(&v)) return std::to_string(r->low) + " " + std::to_string(r->high);
  return std::get<PortSet>(v).to_string();
}

Knobs::Knobs(std::span<const KnobSpec> specs) : specs_(specs) {
  values_.reserve(specs.size());
  for (const auto& s : specs) {
    auto parsed = parse_knob_value(s, s.default_text);
    values_.push_back(parsed.value ? *parsed.value : KnobValue{std::int64_t{0}});
  }
}

std::optional<std::size_t> Knobs::find(std::string_view name) const {
  for (std::size_t i = 0; i < specs_.size(); ++i)
    if (specs_[i].name == name) return i;
  return std::nullopt;
}

std::string Knobs::set(std::string_view name, std::string_view text) {
  auto idx = find(name);
  if (!idx) return "unknown knob '" + std::string(name) + "'";
  auto parsed = parse_knob_value(specs_[*idx], text);
  if (!parsed.value) return parsed.error;
  values_[*idx] = std::move(*parsed.value);
  return {};
}

}  // namespace portlab::model
