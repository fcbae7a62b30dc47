// SVG line charts for `portlab simulate --plot FILE.svg`. Written by hand rather than through a
// plotting library so the simulator stays dependency-free and so that rerunning the same
// simulation writes a byte-identical file.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace portlab::sim {

struct ChartSeries {
  std::string label;  // also the colour key: equal labels share a colour across panels
  std::vector<std::pair<double, double>> points;  // (x, y); NaN/inf points are skipped
};

struct ChartPanel {
  std::string title;
  std::string y_label;
  std::vector<ChartSeries> series;
};

struct ChartSpec {
  std::string title;
  std::string x_label;
  std::vector<ChartPanel> panels;  // stacked vertically, sharing one x range
  int width = 900;
  int panel_height = 220;
};

// A complete standalone SVG document (XML declaration included, ends with "</svg>\n").
// Same input gives the same bytes regardless of the global locale.
std::string render_svg(const ChartSpec& spec);

// Building blocks of render_svg, exposed so tests can pin their behaviour down directly.
namespace svg_chart_detail {

struct Ticks {
  double lo = 0;               // axis start: a multiple of step, <= the data minimum
  double hi = 1;               // axis end: a multiple of step, >= the data maximum, always > lo
  double step = 1;             // 1, 2 or 5 times a power of ten
  std::vector<double> values;  // lo, lo+step, ..., hi
};

// About `target` ticks covering [lo, hi]; widens empty or non-finite ranges so that callers
// never divide by a zero span.
Ticks nice_ticks(double lo, double hi, int target = 5);

// The label for a tick value: as many decimals as the step needs, never locale-dependent.
std::string format_tick(double value, double step);

// Keeps, per pixel column of [x_lo, x_hi], the points with the lowest and highest y, so a
// one-sample spike still shows after reducing a long series to at most 2 * columns points.
// Series that already fit in 2 * columns points come back unchanged, in input order.
std::vector<std::pair<double, double>> downsample_min_max(std::span<const std::pair<double, double>> points,
                                                          double x_lo, double x_hi, int columns);

// Text safe for XML character data and attribute values.
std::string xml_escape(std::string_view text);

}  // namespace svg_chart_detail
}  // namespace portlab::sim
