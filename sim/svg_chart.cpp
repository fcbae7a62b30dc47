#include "sim/svg_chart.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>

namespace portlab::sim {

namespace svg_chart_detail {

namespace {

// Keeps spans finite: hi - lo of two doubles near DBL_MAX would overflow to inf.
constexpr double kMaxMagnitude = 1e300;

// Below this relative span, lo/step stops fitting an int64 and doubles stop telling ticks apart.
constexpr double kMinRelativeSpan = 1e-9;

double nice_step(double span, int target) {
  const double raw = span / std::max(target, 1);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double mantissa = raw / magnitude;
  if (mantissa <= 1.0) return magnitude;
  if (mantissa <= 2.0) return 2.0 * magnitude;
  if (mantissa <= 5.0) return 5.0 * magnitude;
  return 10.0 * magnitude;
}

std::pair<double, double> usable_range(double lo, double hi) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return {0.0, 1.0};
  lo = std::clamp(lo, -kMaxMagnitude, kMaxMagnitude);
  hi = std::clamp(hi, -kMaxMagnitude, kMaxMagnitude);
  if (lo > hi) std::swap(lo, hi);
  const double min_span = std::max(std::abs(lo), std::abs(hi)) * kMinRelativeSpan;
  if (hi - lo > min_span) return {lo, hi};
  if (lo == 0.0 && hi == 0.0) return {0.0, 1.0};
  // A single value: centre it, so a lone point is not drawn on the plot's edge.
  const double pad = std::max(std::abs(lo) * 0.1, min_span);
  return {lo - pad, hi + pad};
}

std::string to_chars_string(double value, std::chars_format format, int precision) {
  std::array<char, 64> buf{};
  const auto result = std::to_chars(buf.data(), buf.data() + buf.size(), value, format, precision);
  return std::string(buf.data(), result.ptr);
}

// "-0.0" would be a distinct byte sequence for what is the same coordinate as "0.0".
std::string without_negative_zero(std::string text) {
  if (text.starts_with('-') && text.find_first_not_of("-0.") == std::string::npos) text.erase(0, 1);
  return text;
}

std::string format_fixed(double value, int decimals) {
  return without_negative_zero(to_chars_string(value, std::chars_format::fixed, decimals));
}

std::size_t utf8_sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

// Accepts only well-formed UTF-8: an XML parser rejects the whole document over one bad byte.
std::size_t valid_utf8_prefix(std::string_view text) {
  const std::size_t length = utf8_sequence_length(static_cast<unsigned char>(text[0]));
  if (length == 0 || length > text.size()) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) return 0;
  }
  const auto second = static_cast<unsigned char>(length > 1 ? text[1] : 0);
  const auto lead = static_cast<unsigned char>(text[0]);
  if (lead == 0xE0 && second < 0xA0) return 0;  // overlong
  if (lead == 0xED && second > 0x9F) return 0;  // UTF-16 surrogate
  if (lead == 0xF0 && second < 0x90) return 0;  // overlong
  if (lead == 0xF4 && second > 0x8F) return 0;  // beyond U+10FFFF
  return length;
}

// XML 1.0 forbids most control characters even when escaped as character references.
bool xml_allowed_control(char c) { return c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

Ticks nice_ticks(double lo, double hi, int target) {
  const auto [range_lo, range_hi] = usable_range(lo, hi);
  Ticks ticks;
  ticks.step = nice_step(range_hi - range_lo, target);
  const auto first = static_cast<std::int64_t>(std::floor(range_lo / ticks.step));
  const auto last = static_cast<std::int64_t>(std::ceil(range_hi / ticks.step));
  // Multiplying an integer index, rather than accumulating, keeps 0.1-steps free of drift.
  for (std::int64_t k = first; k <= last; ++k) ticks.values.push_back(static_cast<double>(k) * ticks.step);
  ticks.lo = ticks.values.front();
  ticks.hi = ticks.values.back();
  return ticks;
}

std::string format_tick(double value, double step) {
  const double largest = std::max(std::abs(value), std::abs(step));
  if (largest >= 1e9) {
    return without_negative_zero(to_chars_string(value, std::chars_format::general, 6));
  }
  const int decimals = std::clamp(static_cast<int>(-std::floor(std::log10(step) + 1e-9)), 0, 12);
  return format_fixed(value, decimals);
}

std::vector<std::pair<double, double>> downsample_min_max(std::span<const std::pair<double, double>> points,
                                                          double x_lo, double x_hi, int columns) {
  columns = std::max(columns, 1);
  if (points.size() <= 2 * static_cast<std::size_t>(columns) || !(x_hi > x_lo)) {
    return {points.begin(), points.end()};
  }
  struct Extremes {
    std::size_t min_index;
    std::size_t max_index;
  };
  std::vector<std::optional<Extremes>> buckets(static_cast<std::size_t>(columns));
  const double scale = columns / (x_hi - x_lo);
  for (std::size_t i = 0; i < points.size(); ++i) {
    const double position = std::clamp((points[i].first - x_lo) * scale, 0.0, columns - 1.0);
    auto& bucket = buckets[static_cast<std::size_t>(position)];
    if (!bucket) {
      bucket = Extremes{i, i};
      continue;
    }
    if (points[i].second < points[bucket->min_index].second) bucket->min_index = i;
    if (points[i].second > points[bucket->max_index].second) bucket->max_index = i;
  }
  std::vector<std::pair<double, double>> kept;
  for (const auto& bucket : buckets) {
    if (!bucket) continue;
    // In input order, so a spike is drawn as a rise then a fall, not the other way round.
    const std::size_t first = std::min(bucket->min_index, bucket->max_index);
    const std::size_t second = std::max(bucket->min_index, bucket->max_index);
    kept.push_back(points[first]);
    if (second != first) kept.push_back(points[second]);
  }
  return kept;
}

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const std::size_t length = valid_utf8_prefix(text);
    if (length == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      text.remove_prefix(1);
      continue;
    }
    const char c = text[0];
    if (length > 1) {
      out.append(text.substr(0, length));
    } else if (c == '&') {
      out += "&amp;";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else if (c == '"') {
      out += "&quot;";
    } else if (static_cast<unsigned char>(c) >= 0x20 || xml_allowed_control(c)) {
      out += c;
    }
    text.remove_prefix(length);
  }
  return out;
}

}  // namespace svg_chart_detail

namespace {

using svg_chart_detail::Ticks;
using Point = std::pair<double, double>;

constexpr std::array<std::string_view, 8> kPalette = {
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#17becf", "#8c564b", "#e377c2",
};

constexpr int kMinWidth = 320;
constexpr int kMinPanelHeight = 120;
constexpr int kMaxSize = 100000;  // keeps pixel arithmetic far from int overflow
constexpr int kMarginLeft = 80;
constexpr int kMarginRight = 170;  // room for the legend
constexpr int kTitleHeight = 36;
constexpr int kPanelTitleHeight = 22;
constexpr int kTickLabelHeight = 28;
constexpr int kXLabelHeight = 30;
constexpr int kLegendRowHeight = 16;
// 2 points per column at most: beyond this, extra points only cost file size and render time.
constexpr int kMaxColumns = 1000;

struct Frame {  // one panel's plotting area, in SVG pixels
  double left;
  double top;
  double width;
  double height;
};

std::string px(double value) { return svg_chart_detail::format_tick(value, 0.1); }

bool finite_point(const Point& p) { return std::isfinite(p.first) && std::isfinite(p.second); }

std::vector<Point> finite_points(const ChartSeries& series) {
  std::vector<Point> kept;
  std::copy_if(series.points.begin(), series.points.end(), std::back_inserter(kept), finite_point);
  return kept;
}

struct Extent {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void add(double v) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  bool empty() const { return lo > hi; }
};

Ticks x_ticks(const ChartSpec& spec) {
  Extent x;
  for (const auto& panel : spec.panels) {
    for (const auto& series : panel.series) {
      for (const auto& p : series.points) {
        if (finite_point(p)) x.add(p.first);
      }
    }
  }
  return x.empty() ? svg_chart_detail::nice_ticks(0, 1) : svg_chart_detail::nice_ticks(x.lo, x.hi);
}

// Anchored at zero so panels read as magnitudes; negatives extend the axis downwards.
Ticks y_ticks(const ChartPanel& panel) {
  Extent y;
  y.add(0.0);
  for (const auto& series : panel.series) {
    for (const auto& p : series.points) {
      if (finite_point(p)) y.add(p.second);
    }
  }
  return svg_chart_detail::nice_ticks(y.lo, y.hi);
}

// First appearance decides the colour, so the mapping depends only on the spec, and an OS keeps
// its colour in every panel even where other OSes are missing.
std::map<std::string, std::string_view> colours_by_label(const ChartSpec& spec) {
  std::map<std::string, std::string_view> colours;
  for (const auto& panel : spec.panels) {
    for (const auto& series : panel.series) {
      if (!colours.contains(series.label)) {
        colours.emplace(series.label, kPalette[colours.size() % kPalette.size()]);
      }
    }
  }
  return colours;
}

double map_x(const Frame& f, const Ticks& t, double x) {
  return f.left + (x - t.lo) / (t.hi - t.lo) * f.width;
}
double map_y(const Frame& f, const Ticks& t, double y) {
  return f.top + f.height - (y - t.lo) / (t.hi - t.lo) * f.height;
}

void append_text(std::string& out, double x, double y, std::string_view anchor, std::string_view text,
                 std::string_view extra = {}) {
  out += "<text x=\"" + px(x) + "\" y=\"" + px(y) + "\" text-anchor=\"";
  out += anchor;
  out += '"';
  if (!extra.empty()) {
    out += ' ';
    out += extra;
  }
  out += '>' + svg_chart_detail::xml_escape(text) + "</text>\n";
}

void append_line(std::string& out, double x1, double y1, double x2, double y2, std::string_view style) {
  out += "<line x1=\"" + px(x1) + "\" y1=\"" + px(y1) + "\" x2=\"" + px(x2) + "\" y2=\"" + px(y2) + "\" ";
  out += style;
  out += "/>\n";
}

void append_x_grid(std::string& out, const Frame& f, const Ticks& xt) {
  for (double v : xt.values) {
    const double x = map_x(f, xt, v);
    append_line(out, x, f.top, x, f.top + f.height, "stroke=\"#dddddd\" stroke-width=\"1\"");
    append_text(out, x, f.top + f.height + 16, "middle", svg_chart_detail::format_tick(v, xt.step));
  }
}

void append_y_grid(std::string& out, const Frame& f, const Ticks& yt) {
  for (double v : yt.values) {
    const double y = map_y(f, yt, v);
    append_line(out, f.left, y, f.left + f.width, y, "stroke=\"#dddddd\" stroke-width=\"1\"");
    append_text(out, f.left - 6, y + 4, "end", svg_chart_detail::format_tick(v, yt.step));
  }
}

void append_axes(std::string& out, const Frame& f, const ChartPanel& panel) {
  const double bottom = f.top + f.height;
  append_line(out, f.left, bottom, f.left + f.width, bottom, "stroke=\"#333333\" stroke-width=\"1\"");
  append_line(out, f.left, f.top, f.left, bottom, "stroke=\"#333333\" stroke-width=\"1\"");
  const double label_x = f.left - kMarginLeft + 16;
  const double label_y = f.top + f.height / 2;
  append_text(out, label_x, label_y, "middle", panel.y_label,
              "transform=\"rotate(-90 " + px(label_x) + " " + px(label_y) + ")\"");
  append_text(out, f.left, f.top - 8, "start", panel.title, "font-weight=\"bold\"");
}

void append_series(std::string& out, const Frame& f, const Ticks& xt, const Ticks& yt,
                   const ChartSeries& series, std::string_view colour) {
  const std::vector<Point> finite = finite_points(series);
  const int columns = std::clamp(static_cast<int>(f.width), 1, kMaxColumns);
  const std::vector<Point> kept = svg_chart_detail::downsample_min_max(finite, xt.lo, xt.hi, columns);
  const std::string label = svg_chart_detail::xml_escape(series.label);
  if (kept.size() == 1) {  // a one-point polyline has no length and would not show at all
    out += "<circle data-series=\"" + label + "\" cx=\"" + px(map_x(f, xt, kept[0].first)) + "\" cy=\"" +
           px(map_y(f, yt, kept[0].second)) + "\" r=\"3\" fill=\"";
    out += colour;
    out += "\"/>\n";
    return;
  }
  out += "<polyline data-series=\"" + label + "\" fill=\"none\" stroke=\"";
  out += colour;
  out += "\" stroke-width=\"1.5\" stroke-linejoin=\"round\" points=\"";
  for (std::size_t i = 0; i < kept.size(); ++i) {
    if (i > 0) out += ' ';
    out += px(map_x(f, xt, kept[i].first)) + ',' + px(map_y(f, yt, kept[i].second));
  }
  out += "\"/>\n";
}

void append_legend(std::string& out, const Frame& f, const ChartPanel& panel,
                   const std::map<std::string, std::string_view>& colours) {
  const double x = f.left + f.width + 14;
  double y = f.top + 8;
  for (const auto& series : panel.series) {
    out += "<rect x=\"" + px(x) + "\" y=\"" + px(y - 5) + "\" width=\"14\" height=\"4\" fill=\"";
    out += colours.at(series.label);
    out += "\"/>\n";
    append_text(out, x + 20, y, "start", series.label.empty() ? "(unlabelled)" : series.label);
    y += kLegendRowHeight;
  }
}

void append_panel(std::string& out, const Frame& f, const Ticks& xt, const ChartPanel& panel,
                  const std::map<std::string, std::string_view>& colours) {
  const Ticks yt = y_ticks(panel);
  out += "<g class=\"panel\">\n";
  append_x_grid(out, f, xt);
  append_y_grid(out, f, yt);
  append_axes(out, f, panel);
  for (const auto& series : panel.series) append_series(out, f, xt, yt, series, colours.at(series.label));
  if (panel.series.empty()) append_text(out, f.left + f.width / 2, f.top + f.height / 2, "middle", "no data");
  append_legend(out, f, panel, colours);
  out += "</g>\n";
}

void append_header(std::string& out, int width, long long height) {
  out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(width) + "\" height=\"" +
         std::to_string(height) + "\" viewBox=\"0 0 " + std::to_string(width) + " " + std::to_string(height) +
         "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  out += "<rect x=\"0\" y=\"0\" width=\"" + std::to_string(width) + "\" height=\"" + std::to_string(height) +
         "\" fill=\"#ffffff\"/>\n";
}

}  // namespace

std::string render_svg(const ChartSpec& spec) {
  // Clamped so that absurd sizes still leave a plot area of positive width and height.
  const int width = std::clamp(spec.width, kMinWidth, kMaxSize);
  const int panel_height = std::clamp(spec.panel_height, kMinPanelHeight, kMaxSize);
  const std::size_t panel_count = spec.panels.size();
  const auto height = static_cast<long long>(kTitleHeight + kXLabelHeight) +
                      static_cast<long long>(std::max<std::size_t>(panel_count, 1)) * panel_height;
  const Ticks xt = x_ticks(spec);
  const auto colours = colours_by_label(spec);

  std::string out;
  append_header(out, width, height);
  append_text(out, width / 2.0, 24, "middle", spec.title, "font-size=\"16\" font-weight=\"bold\"");
  const double plot_width = width - kMarginLeft - kMarginRight;
  for (std::size_t i = 0; i < panel_count; ++i) {
    const double top = kTitleHeight + static_cast<double>(i) * panel_height + kPanelTitleHeight;
    const Frame frame{kMarginLeft, top, plot_width,
                      static_cast<double>(panel_height - kPanelTitleHeight - kTickLabelHeight)};
    append_panel(out, frame, xt, spec.panels[i], colours);
  }
  if (spec.panels.empty())
    append_text(out, width / 2.0, kTitleHeight + panel_height / 2.0, "middle", "no data");
  append_text(out, kMarginLeft + plot_width / 2, static_cast<double>(height) - 10, "middle", spec.x_label);
  out += "</svg>\n";
  return out;
}

}  // namespace portlab::sim
