#include "sim/svg_chart.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <locale>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace portlab::sim {
namespace {

using svg_chart_detail::downsample_min_max;
using svg_chart_detail::format_tick;
using svg_chart_detail::nice_ticks;
using Point = std::pair<double, double>;

// A strict-enough XML well-formedness check (balanced tags, quoted attributes, only the five
// predefined entities), so the tests need no XML library.
class XmlChecker {
 public:
  explicit XmlChecker(std::string_view doc) : doc_(doc) {}

  std::string error() {
    if (!doc_.starts_with("<?xml")) return "no XML declaration";
    pos_ = doc_.find("?>");
    if (pos_ == std::string_view::npos) return "unterminated declaration";
    pos_ += 2;
    while (pos_ < doc_.size() && error_.empty()) step();
    if (error_.empty() && !open_.empty()) error_ = "unclosed <" + open_.back() + ">";
    if (error_.empty() && roots_ != 1) error_ = "expected exactly one root element";
    return error_;
  }

 private:
  void step() {
    if (doc_[pos_] == '<') return tag();
    if (doc_[pos_] == '&') return entity();
    if (doc_[pos_] == '>') return fail("raw '>' in text");
    if (open_.empty() && !std::isspace(static_cast<unsigned char>(doc_[pos_])))
      return fail("text outside root");
    ++pos_;
  }

  void entity() {
    for (std::string_view e : {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"}) {
      if (doc_.substr(pos_).starts_with(e)) {
        pos_ += e.size();
        return;
      }
    }
    fail("bad entity at " + std::to_string(pos_));
  }

  std::string name() {
    const std::size_t start = pos_;
    while (pos_ < doc_.size() && (std::isalnum(static_cast<unsigned char>(doc_[pos_])) || doc_[pos_] == '-' ||
                                  doc_[pos_] == ':' || doc_[pos_] == '_')) {
      ++pos_;
    }
    return std::string(doc_.substr(start, pos_ - start));
  }

  void skip_space() {
    while (pos_ < doc_.size() && std::isspace(static_cast<unsigned char>(doc_[pos_]))) ++pos_;
  }

  void attribute_value() {
    if (pos_ >= doc_.size() || doc_[pos_] != '"') return fail("unquoted attribute");
    ++pos_;
    while (pos_ < doc_.size() && doc_[pos_] != '"' && error_.empty()) {
      if (doc_[pos_] == '<') return fail("'<' in attribute");
      if (doc_[pos_] == '&') {
        entity();
      } else {
        ++pos_;
      }
    }
    if (pos_ >= doc_.size()) return fail("unterminated attribute");
    ++pos_;
  }

  void tag() {
    ++pos_;
    const bool closing = pos_ < doc_.size() && doc_[pos_] == '/';
    if (closing) ++pos_;
    const std::string tag_name = name();
    if (tag_name.empty()) return fail("empty tag name at " + std::to_string(pos_));
    if (closing) return close(tag_name);
    std::set<std::string> seen;
    for (skip_space(); pos_ < doc_.size() && doc_[pos_] != '>' && doc_[pos_] != '/'; skip_space()) {
      const std::string attr = name();
      if (attr.empty() || !seen.insert(attr).second)
        return fail("bad or duplicate attribute in <" + tag_name + ">");
      if (pos_ >= doc_.size() || doc_[pos_] != '=') return fail("attribute without value");
      ++pos_;
      attribute_value();
      if (!error_.empty()) return;
    }
    if (open_.empty()) ++roots_;
    if (doc_.substr(pos_).starts_with("/>")) {
      pos_ += 2;
      return;
    }
    if (pos_ >= doc_.size()) return fail("unterminated tag");
    ++pos_;
    open_.push_back(tag_name);
  }

  void close(const std::string& tag_name) {
    if (open_.empty() || open_.back() != tag_name) return fail("mismatched </" + tag_name + ">");
    open_.pop_back();
    if (pos_ >= doc_.size() || doc_[pos_] != '>') return fail("bad closing tag");
    ++pos_;
  }

  void fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    pos_ = doc_.size();
  }

  std::string_view doc_;
  std::size_t pos_ = 0;
  std::vector<std::string> open_;
  int roots_ = 0;
  std::string error_;
};

std::string xml_error(const std::string& doc) { return XmlChecker(doc).error(); }

// The value of `attr` in each element that starts with `element_start`, in document order.
std::vector<std::string> attribute_values(const std::string& doc, std::string_view element_start,
                                          std::string_view attr) {
  std::vector<std::string> values;
  const std::string key = " " + std::string(attr) + "=\"";
  for (std::size_t at = doc.find(element_start); at != std::string::npos;
       at = doc.find(element_start, at + 1)) {
    const std::size_t end = doc.find('>', at);
    const std::size_t a = doc.find(key, at);
    if (a == std::string::npos || a > end) continue;
    const std::size_t v = a + key.size();
    values.push_back(doc.substr(v, doc.find('"', v) - v));
  }
  return values;
}

// label -> stroke of every polyline drawn for it.
std::multimap<std::string, std::string> strokes_by_label(const std::string& doc) {
  const auto labels = attribute_values(doc, "<polyline", "data-series");
  const auto strokes = attribute_values(doc, "<polyline", "stroke");
  EXPECT_EQ(labels.size(), strokes.size());
  std::multimap<std::string, std::string> result;
  for (std::size_t i = 0; i < labels.size() && i < strokes.size(); ++i) result.emplace(labels[i], strokes[i]);
  return result;
}

std::vector<Point> polyline_points(const std::string& points_attr) {
  std::vector<Point> points;
  std::size_t pos = 0;
  while (pos < points_attr.size()) {
    std::size_t used = 0;
    const double x = std::stod(points_attr.substr(pos), &used);
    pos += used + 1;  // skip ','
    const double y = std::stod(points_attr.substr(pos), &used);
    pos += used + 1;  // skip ' '
    points.emplace_back(x, y);
  }
  return points;
}

struct CommaDecimal : std::numpunct<char> {
  char do_decimal_point() const override { return ','; }
  std::string do_grouping() const override { return "\3"; }
  char do_thousands_sep() const override { return '.'; }
};

ChartSeries series(std::string label, std::vector<Point> points) {
  return {std::move(label), std::move(points)};
}

ChartSpec two_os_spec() {
  ChartSpec spec;
  spec.title = "TIME-WAIT sockets";
  spec.x_label = "virtual time (s)";
  spec.panels.push_back({"bind failures",
                         "count",
                         {series("linux", {{0, 1}, {1, 3}, {2, 2}}), series("windows", {{0, 0}, {2, 5}})}});
  spec.panels.push_back(
      {"TIME-WAIT", "sockets", {series("windows", {{0, 4}, {2, 1}}), series("linux", {{0, 2}, {1, 0.5}})}});
  return spec;
}

TEST(SvgChart, EscapesTextInTitles) {
  const std::string nasty = "a<b & \"c\">d";
  ChartSpec spec;
  spec.title = nasty;
  spec.x_label = nasty;
  spec.panels.push_back({nasty, nasty, {series(nasty, {{0, 1}, {1, 2}})}});
  const std::string svg = render_svg(spec);

  EXPECT_EQ(xml_error(svg), "");
  EXPECT_EQ(svg.find("a<b"), std::string::npos);
  EXPECT_EQ(svg.find("\"c\""), std::string::npos);
  // title, x label, panel title, y label, legend entry, data-series attribute
  std::size_t count = 0;
  for (std::size_t at = svg.find("a&lt;b &amp; &quot;c&quot;&gt;d"); at != std::string::npos;
       at = svg.find("a&lt;b &amp; &quot;c&quot;&gt;d", at + 1)) {
    ++count;
  }
  EXPECT_EQ(count, 6u);
}

TEST(SvgChart, EscapeDropsWhatXmlCannotCarry) {
  EXPECT_EQ(svg_chart_detail::xml_escape(std::string("a\x01"
                                                     "b\tc",
                                                     5)),
            "ab\tc");
  EXPECT_EQ(svg_chart_detail::xml_escape("caf\xC3\xA9"), "caf\xC3\xA9");  // valid UTF-8 kept
  EXPECT_EQ(svg_chart_detail::xml_escape("x\xFFy"), "x\xEF\xBF\xBDy");    // stray byte replaced
  EXPECT_EQ(svg_chart_detail::xml_escape("x\xC3"), "x\xEF\xBF\xBD");      // truncated sequence
  ChartSpec spec;
  spec.title = std::string("bad\x00\x02\xC0\xAF title", 13);
  EXPECT_EQ(xml_error(render_svg(spec)), "");
}

TEST(SvgChart, SameInputSameBytes) {
  const std::string first = render_svg(two_os_spec());
  const std::string second = render_svg(two_os_spec());
  EXPECT_EQ(first, second);

  ChartSpec changed = two_os_spec();
  changed.panels[0].series[0].points[1].second = 3.5;
  EXPECT_NE(render_svg(changed), first) << "output must depend on the data";

  // A decimal-comma global locale must not leak into coordinates. The custom facet works on any
  // machine; de_DE (which also switches the C locale that printf uses) only where installed.
  const std::locale previous = std::locale::global(std::locale(std::locale::classic(), new CommaDecimal));
  const std::string under_comma = render_svg(two_os_spec());
  std::locale::global(previous);
  EXPECT_EQ(under_comma, first);
  try {
    std::locale::global(std::locale("de_DE.UTF-8"));
    const std::string under_de = render_svg(two_os_spec());
    std::locale::global(previous);
    EXPECT_EQ(under_de, first);
  } catch (const std::runtime_error&) {
    std::locale::global(previous);
  }
  for (const auto& points : attribute_values(first, "<polyline", "points")) {
    EXPECT_EQ(points.find_first_not_of("0123456789., "), std::string::npos) << points;
  }
}

TEST(SvgChart, EmptySeries_StillValidDocument) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<ChartSpec> specs(6);
  specs[1].panels.push_back({"no series", "y", {}});
  specs[2].panels.push_back({"empty series", "y", {series("linux", {})}});
  specs[3].panels.push_back({"one point", "y", {series("linux", {{5, 7}})}});
  specs[4].panels.push_back({"all zero", "y", {series("linux", {{0, 0}, {1, 0}, {2, 0}})}});
  specs[5].panels.push_back({"non-finite",
                             "y",
                             {series("linux", {{nan, 1}, {1, inf}, {-inf, nan}}),
                              series("bsd", {{1, 2}, {nan, 3}, {2, -inf}, {3, 4}})}});
  specs[5].width = -5;
  specs[5].panel_height = 0;

  for (std::size_t i = 0; i < specs.size(); ++i) {
    SCOPED_TRACE("spec " + std::to_string(i));
    const std::string svg = render_svg(specs[i]);
    EXPECT_EQ(xml_error(svg), "");
    EXPECT_TRUE(svg.ends_with("</svg>\n"));
    EXPECT_EQ(svg.find("nan"), std::string::npos);
    EXPECT_EQ(svg.find("inf"), std::string::npos);
    EXPECT_EQ(svg.find("NaN"), std::string::npos);
  }
  // A single point is drawn as a marker: a one-vertex polyline would be invisible.
  EXPECT_NE(render_svg(specs[3]).find("<circle data-series=\"linux\""), std::string::npos);
  // Only the finite points of "bsd" are drawn.
  const auto points = attribute_values(render_svg(specs[5]), "<polyline data-series=\"bsd\"", "points");
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(polyline_points(points[0]).size(), 2u);
}

TEST(SvgChart, SameLabelSameColourAcrossPanels) {
  const auto strokes = strokes_by_label(render_svg(two_os_spec()));
  ASSERT_EQ(strokes.count("linux"), 2u);
  ASSERT_EQ(strokes.count("windows"), 2u);
  const std::set<std::string> linux_colours{strokes.lower_bound("linux")->second,
                                            std::next(strokes.lower_bound("linux"))->second};
  const std::set<std::string> windows_colours{strokes.lower_bound("windows")->second,
                                              std::next(strokes.lower_bound("windows"))->second};
  EXPECT_EQ(linux_colours.size(), 1u);
  EXPECT_EQ(windows_colours.size(), 1u);
  EXPECT_NE(*linux_colours.begin(), *windows_colours.begin());
}

TEST(SvgChart, PaletteIsDistinctThenCycles) {
  ChartSpec spec;
  spec.panels.push_back({"many", "y", {}});
  for (int i = 0; i < 9; ++i)
    spec.panels[0].series.push_back(series("os" + std::to_string(i), {{0, 0}, {1, i}}));
  const auto strokes = attribute_values(render_svg(spec), "<polyline", "stroke");
  ASSERT_EQ(strokes.size(), 9u);
  EXPECT_EQ(std::set<std::string>(strokes.begin(), strokes.begin() + 8).size(), 8u);
  EXPECT_EQ(strokes[8], strokes[0]);
}

TEST(SvgChart, DownsamplesLongSeries) {
  std::vector<Point> points;
  for (int i = 0; i < 100000; ++i) points.emplace_back(i, 10.0 + std::sin(i * 0.01));
  points[54321].second = 1000.0;  // one-sample spike
  points[77777].second = -500.0;  // one-sample dip

  const auto kept = downsample_min_max(points, 0, 100000, 500);
  EXPECT_LE(kept.size(), 1000u);
  EXPECT_GE(kept.size(), 500u);
  EXPECT_NE(std::find(kept.begin(), kept.end(), points[54321]), kept.end());
  EXPECT_NE(std::find(kept.begin(), kept.end(), points[77777]), kept.end());
  EXPECT_TRUE(std::is_sorted(kept.begin(), kept.end())) << "x order of a sorted series is kept";

  ChartSpec spec;
  spec.width = 5000;  // wider than the column cap: the point cap must still hold
  spec.panels.push_back({"long", "y", {series("linux", points)}});
  const auto attrs = attribute_values(render_svg(spec), "<polyline", "points");
  ASSERT_EQ(attrs.size(), 1u);
  const auto drawn = polyline_points(attrs[0]);
  EXPECT_LE(drawn.size(), 2000u);
  // SVG y grows downwards: the spike is the smallest pixel y, the dip the largest. Had either been
  // averaged or dropped, the sine alone would span under a pixel on a -500..1000 axis.
  const auto [top, bottom] = std::minmax_element(
      drawn.begin(), drawn.end(), [](const Point& a, const Point& b) { return a.second < b.second; });
  EXPECT_GT(bottom->second - top->second, 100.0);
}

TEST(SvgChart, ShortSeriesAreNotDownsampled) {
  const std::vector<Point> points{{3, 1}, {1, 2}, {2, 3}};  // unsorted on purpose
  EXPECT_EQ(downsample_min_max(points, 1, 3, 10), points);
}

TEST(SvgChart, NiceTicks) {
  const auto t = nice_ticks(0, 7.3);
  EXPECT_EQ(t.step, 2);
  EXPECT_EQ(t.values, (std::vector<double>{0, 2, 4, 6, 8}));
  EXPECT_EQ(t.lo, 0);
  EXPECT_EQ(t.hi, 8);

  const auto tenths = nice_ticks(0, 1);
  EXPECT_DOUBLE_EQ(tenths.step, 0.2);
  ASSERT_EQ(tenths.values.size(), 6u);
  EXPECT_EQ(format_tick(tenths.values[3], tenths.step), "0.6");  // not 0.6000000000000001

  const auto offset = nice_ticks(1000.5, 1003.2);
  EXPECT_EQ(offset.lo, 1000);
  EXPECT_EQ(offset.hi, 1004);

  const auto degenerate = nice_ticks(0, 0);
  EXPECT_GT(degenerate.hi, degenerate.lo);
  const auto single = nice_ticks(42, 42);
  EXPECT_LE(single.lo, 42);
  EXPECT_GE(single.hi, 42);
  EXPECT_GT(single.hi, single.lo);
  const auto reversed = nice_ticks(10, -10);
  EXPECT_EQ(reversed.lo, -10);
  EXPECT_EQ(reversed.hi, 10);

  for (double hi : {0.0013, 0.7, 3.0, 9.99, 11.0, 950.0, 12345.0, 6.02e23, 1e300}) {
    SCOPED_TRACE(hi);
    const auto ticks = nice_ticks(0, hi);
    const double mantissa = ticks.step / std::pow(10.0, std::floor(std::log10(ticks.step)));
    EXPECT_TRUE(std::abs(mantissa - 1) < 1e-9 || std::abs(mantissa - 2) < 1e-9 ||
                std::abs(mantissa - 5) < 1e-9)
        << mantissa;
    EXPECT_GE(ticks.values.size(), 4u);
    EXPECT_LE(ticks.values.size(), 7u);
    EXPECT_EQ(ticks.lo, 0);
    EXPECT_GE(ticks.hi, hi);
  }
  EXPECT_TRUE(std::isfinite(nice_ticks(-1.7e308, 1.7e308).step));
}

TEST(SvgChart, TickLabelsUseTheStepsPrecision) {
  EXPECT_EQ(format_tick(4, 2), "4");
  EXPECT_EQ(format_tick(0.5, 0.5), "0.5");
  EXPECT_EQ(format_tick(0.00004, 0.00002), "0.00004");
  EXPECT_EQ(format_tick(-0.0, 1), "0");
  EXPECT_EQ(format_tick(2e12, 1e12), "2e+12");
}

}  // namespace
}  // namespace portlab::sim
