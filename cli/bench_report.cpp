#include "cli/bench_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>

namespace portlab::cli {

namespace {

using nlohmann::json;

constexpr int kExitOk = 0;
constexpr int kExitBadInput = 2;

struct Entry {
  std::string name;
  std::string file;
  bool error = false;
  std::string error_message;
  double real_time = 0;
  double cpu_time = 0;
  std::string time_unit;
  std::int64_t iterations = 0;
  std::string label;
  std::map<std::string, double> counters;

  double counter(const std::string& k, double dflt = 0) const {
    auto it = counters.find(k);
    return it == counters.end() ? dflt : it->second;
  }
  bool has(const std::string& k) const { return counters.count(k) != 0; }
  // "connect EADDRNOTAVAIL" -> count, from the fail_* counters.
  std::map<std::string, std::int64_t> failures() const {
    std::map<std::string, std::int64_t> f;
    for (const auto& [k, v] : counters)
      if (k.rfind("fail_", 0) == 0 && v != 0) f[k.substr(5)] = std::llround(v);
    return f;
  }
};

struct Pair {
  std::string strategy;
  std::optional<Entry> real;
  std::optional<Entry> model;
};

const std::set<std::string> kNonCounters = {
    "name",        "family_index", "per_family_instance_index", "run_name",       "run_type",
    "repetitions", "repetition_index", "threads",               "iterations",     "real_time",
    "cpu_time",    "time_unit",    "label",                     "error_occurred", "error_message",
    "aggregate_name", "aggregate_unit"};

std::string fmt_rate(double v) {
  if (v >= 1e6) return fmt::format("{:.2f}M", v / 1e6);
  if (v >= 1e4) return fmt::format("{:.1f}k", v / 1e3);
  if (v >= 100) return fmt::format("{:.0f}", v);
  return fmt::format("{:.3g}", v);
}

std::string fmt_failures(const std::map<std::string, std::int64_t>& f) {
  if (f.empty()) return "none";
  std::string s;
  for (const auto& [k, n] : f) {
    if (!s.empty()) s += ", ";
    s += fmt::format("{} x{}", k, n);
  }
  return s;
}

// The strategy of "BM_Real/<strategy>/iterations:N/real_time", or "" if not a real/model entry.
std::string strategy_of(const std::string& name, const std::string& prefix) {
  if (name.rfind(prefix, 0) != 0) return "";
  const std::string rest = name.substr(prefix.size());
  return rest.substr(0, rest.find('/'));
}

bool time_wait_agrees(double real, double model) {
  return std::abs(real - model) <= std::max(1.0, 0.05 * real);
}

// Whether the model agrees with the kernel on a strategy: the same failures (call, errno, count),
// the same stalls (a blocking connect), TIME-WAIT at the end within 5 %.
bool agrees(const Entry& r, const Entry& m) {
  return r.failures() == m.failures() && (r.counter("stalls") > 0) == (m.counter("stalls") > 0) &&
         time_wait_agrees(r.counter("time_wait_end"), m.counter("time_wait_end"));
}

std::string xml_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

// A grouped bar chart: per strategy, the measured and the predicted successful connections/s,
// on a log scale (the rates span several decades).
std::string svg_chart(const std::vector<Pair>& pairs) {
  std::vector<const Pair*> shown;
  double vmax = 1;
  for (const auto& p : pairs) {
    if (!p.real && !p.model) continue;
    shown.push_back(&p);
    if (p.real) vmax = std::max(vmax, p.real->counter("conn_per_s"));
    if (p.model) vmax = std::max(vmax, p.model->counter("conn_per_s"));
  }
  const int top_decade = static_cast<int>(std::ceil(std::log10(vmax)));
  const double left = 70;
  const double top = 50;
  const double plot_h = 300;
  const double group_w = 70;
  const double bar_w = 26;
  const double width = left + group_w * static_cast<double>(shown.size()) + 150;  // room for the last label
  const double height = top + plot_h + 230;
  auto y_of = [&](double v) {
    const double l = v <= 1 ? 0 : std::log10(v);
    return top + plot_h - plot_h * l / std::max(1, top_decade);
  };
  std::ostringstream s;
  s << fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{:.0f}" height="{:.0f}" font-family="sans-serif" font-size="11">)",
                   width, height)
    << "\n";
  s << fmt::format(R"(<rect width="{:.0f}" height="{:.0f}" fill="white"/>)", width, height) << "\n";
  s << fmt::format(R"(<text x="{:.0f}" y="22" font-size="14" font-weight="bold">Successful reconnects per second: kernel (measured) vs model (predicted), log scale</text>)",
                   left)
    << "\n";
  for (int d = 0; d <= top_decade; ++d) {
    const double y = y_of(std::pow(10.0, d));
    s << fmt::format(R"(<line x1="{:.0f}" y1="{:.1f}" x2="{:.0f}" y2="{:.1f}" stroke="#ddd"/>)", left, y, width - 20, y)
      << "\n";
    s << fmt::format(R"(<text x="{:.0f}" y="{:.1f}" text-anchor="end">{}</text>)", left - 6, y + 4,
                     fmt_rate(std::pow(10.0, d)))
      << "\n";
  }
  s << fmt::format(R"(<line x1="{0:.0f}" y1="{1:.0f}" x2="{0:.0f}" y2="{2:.0f}" stroke="black"/>)", left, top,
                   top + plot_h)
    << "\n";
  for (std::size_t i = 0; i < shown.size(); ++i) {
    const Pair& p = *shown[i];
    const double x0 = left + group_w * static_cast<double>(i) + 8;
    auto bar = [&](const std::optional<Entry>& e, double x, const char* colour) {
      if (!e || e->error) return;
      const double v = e->counter("conn_per_s");
      const double y = y_of(v);
      s << fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.0f}" height="{:.1f}" fill="{}"><title>{}</title></rect>)",
                       x, y, bar_w, top + plot_h - y, colour, fmt_rate(v))
        << "\n";
      s << fmt::format(R"(<text x="{:.1f}" y="{:.1f}" text-anchor="middle" font-size="9">{}</text>)", x + bar_w / 2,
                       y - 3, fmt_rate(v))
        << "\n";
    };
    bar(p.real, x0, "#3b6fb6");
    bar(p.model, x0 + bar_w + 2, "#e8913a");
    const double lx = x0 + bar_w;
    const double ly = top + plot_h + 10;
    s << fmt::format(R"(<text x="{0:.1f}" y="{1:.1f}" transform="rotate(60 {0:.1f} {1:.1f}) ">{2}</text>)", lx, ly,
                     xml_escape(p.strategy))
      << "\n";
  }
  const double ly = height - 18;
  s << fmt::format(R"(<rect x="{:.0f}" y="{:.0f}" width="12" height="12" fill="#3b6fb6"/><text x="{:.0f}" y="{:.0f}">kernel, measured</text>)",
                   left, ly - 10, left + 16, ly)
    << "\n";
  s << fmt::format(R"(<rect x="{:.0f}" y="{:.0f}" width="12" height="12" fill="#e8913a"/><text x="{:.0f}" y="{:.0f}">model, predicted (same timeline)</text>)",
                   left + 130, ly - 10, left + 146, ly)
    << "\n";
  s << "</svg>\n";
  return s.str();
}

// Rows of cells printed as a markdown table or as aligned text.
void print_table(std::ostream& o, const std::vector<std::string>& head, const std::vector<std::vector<std::string>>& rows,
                 bool markdown) {
  if (markdown) {
    auto line = [&o](const std::vector<std::string>& cells) {
      o << "|";
      for (const auto& c : cells) o << " " << c << " |";
      o << "\n";
    };
    line(head);
    o << "|";
    for (std::size_t i = 0; i < head.size(); ++i) o << "---|";
    o << "\n";
    for (const auto& r : rows) line(r);
    return;
  }
  std::vector<std::size_t> w(head.size());
  for (std::size_t i = 0; i < head.size(); ++i) w[i] = head[i].size();
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], r[i].size());
  auto line = [&](const std::vector<std::string>& cells) {
    std::string l;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      l += fmt::format("{:<{}}", cells[i], w[i]);
      if (i + 1 < cells.size()) l += "  ";
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    o << l << "\n";
  };
  line(head);
  for (const auto& r : rows) line(r);
}

std::optional<std::vector<Entry>> load(const std::string& path, json& context, std::ostream& err) {
  std::ifstream in(path);
  if (!in) {
    err << "bench-report: cannot read " << path << ": " << std::strerror(errno) << "\n";
    return std::nullopt;
  }
  json doc;
  try {
    doc = json::parse(in);
  } catch (const json::exception& e) {
    err << "bench-report: " << path << ": malformed JSON: " << e.what() << "\n";
    return std::nullopt;
  }
  if (!doc.is_object() || !doc.contains("benchmarks") || !doc["benchmarks"].is_array()) {
    err << "bench-report: " << path << ": not Google Benchmark JSON (no \"benchmarks\" array)\n";
    return std::nullopt;
  }
  if (doc.contains("context") && doc["context"].is_object())
    for (const auto& [k, v] : doc["context"].items())
      if (!context.contains(k)) context[k] = v;
  std::vector<Entry> out;
  for (const auto& b : doc["benchmarks"]) {
    if (!b.is_object() || !b.contains("name") || !b["name"].is_string()) {
      err << "bench-report: " << path << ": a benchmark entry without a name\n";
      return std::nullopt;
    }
    if (b.contains("run_type") && b["run_type"] != "iteration") continue;  // aggregates of repetitions
    Entry e;
    e.file = path;
    e.name = b["name"].get<std::string>();
    e.error = b.value("error_occurred", false);
    e.error_message = b.value("error_message", std::string());
    e.real_time = b.value("real_time", 0.0);
    e.cpu_time = b.value("cpu_time", 0.0);
    e.time_unit = b.value("time_unit", std::string("ns"));
    e.iterations = b.value("iterations", std::int64_t{0});
    e.label = b.value("label", std::string());
    for (const auto& [k, v] : b.items())
      if (!kNonCounters.count(k) && v.is_number()) e.counters[k] = v.get<double>();
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

int run_bench_report_command(const BenchReportArgs& args, std::ostream& out, std::ostream& err) {
  if (args.files.empty()) {
    err << "bench-report: no input files\n";
    return kExitBadInput;
  }
  json context = json::object();
  std::vector<Entry> entries;
  for (const auto& f : args.files) {
    auto loaded = load(f, context, err);
    if (!loaded) return kExitBadInput;
    for (auto& e : *loaded) entries.push_back(std::move(e));
  }

  std::vector<Pair> pairs;
  std::vector<const Entry*> micro;
  auto pair_for = [&pairs](const std::string& s) -> Pair& {
    for (auto& p : pairs)
      if (p.strategy == s) return p;
    pairs.push_back({s, std::nullopt, std::nullopt});
    return pairs.back();
  };
  for (const auto& e : entries) {
    if (auto s = strategy_of(e.name, "BM_Real/"); !s.empty()) pair_for(s).real = e;
    else if (auto m = strategy_of(e.name, "BM_Model/"); !m.empty()) pair_for(m).model = e;
    else micro.push_back(&e);
  }

  std::ostringstream rep;
  const bool md = args.markdown;
  auto ctx = [&context](const char* k) -> std::string {
    if (!context.contains(k)) return "?";
    const auto& v = context[k];
    return v.is_string() ? v.get<std::string>() : v.dump();
  };
  rep << fmt::format("Machine: {} ({} CPUs at {} MHz), kernel {}, run {}\n", ctx("host_name"),
                                       ctx("num_cpus"), ctx("mhz_per_cpu"), ctx("kernel"), ctx("date"));
  if (context.contains("port_range"))
    rep << fmt::format("Real loops: ip_local_port_range {}, tcp_tw_reuse_delay {} ms, one namespace per strategy\n",
                       ctx("port_range"), ctx("tcp_tw_reuse_delay_ms"));
  rep << "\n";

  if (!pairs.empty()) {
    std::vector<std::vector<std::string>> rows;
    int agreeing = 0;
    int compared = 0;
    std::vector<std::pair<double, std::string>> ratios;
    for (const auto& p : pairs) {
      auto cell = [](const std::optional<Entry>& e, const std::function<std::string(const Entry&)>& f) -> std::string {
        if (!e) return "-";
        if (e->error) return "error: " + e->error_message;
        return f(*e);
      };
      const bool both = p.real && p.model && !p.real->error && !p.model->error;
      std::string verdict = "n/a";
      if (both) {
        ++compared;
        const bool ok = agrees(*p.real, *p.model);
        agreeing += ok ? 1 : 0;
        verdict = ok ? "yes" : "NO";
        if (p.model->has("speed_ratio")) ratios.emplace_back(p.model->counter("speed_ratio"), p.strategy);
      }
      rows.push_back({
          p.strategy,
          cell(p.real, [](const Entry& e) { return fmt_rate(e.counter("conn_per_s")); }),
          cell(p.model, [](const Entry& e) { return fmt_rate(e.counter("conn_per_s")); }),
          cell(p.real, [](const Entry& e) { return fmt_failures(e.failures()); }),
          cell(p.model, [](const Entry& e) { return fmt_failures(e.failures()); }),
          cell(p.real, [](const Entry& e) { return fmt::format("{:.0f}", e.counter("time_wait_end")); }),
          cell(p.model, [](const Entry& e) { return fmt::format("{:.0f}", e.counter("time_wait_end")); }),
          cell(p.real, [](const Entry& e) { return fmt::format("{:.0f}", e.counter("stalls")); }),
          cell(p.real, [](const Entry& e) {
            return fmt::format("{:.0f}/{:.0f}", e.counter("connect_p50_us"), e.counter("connect_p99_us"));
          }),
          cell(p.model, [](const Entry& e) {
            const double s = e.counter("sustainable_conn_per_s");
            return s > 0 ? fmt_rate(s) : std::string("not port-bound");
          }),
          cell(p.model, [](const Entry& e) {
            return e.has("speed_ratio") ? fmt::format("{:.1f}x", e.counter("speed_ratio")) : std::string("-");
          }),
          verdict,
      });
    }
    rep << (md ? "### Reconnect strategies: kernel (measured) vs model (predicted)\n\n"
               : "Reconnect strategies: kernel (measured) vs model (predicted)\n");
    print_table(rep,
                {"strategy", "rate measured /s", "rate predicted /s", "failures measured", "failures predicted",
                 "TIME_WAIT measured", "TIME_WAIT predicted", "stalls", "connect p50/p99 us",
                 "sustainable (model) /s", "model speed", "agree"},
                rows, md);
    rep << "\n";
    rep << fmt::format("Agreement (same failures by call and errno, same stalls, TIME_WAIT within 5 %): {} of {} "
                       "strategies\n",
                       agreeing, compared);
    if (!ratios.empty()) {
      std::sort(ratios.begin(), ratios.end());
      rep << fmt::format(
          "Model speed (simulated reconnect cycles per CPU-second / real reconnect attempts per second, same run): "
          "min {:.1f}x ({}), median {:.1f}x, max {:.1f}x ({}); target 200x: {}\n",
          ratios.front().first, ratios.front().second, ratios[ratios.size() / 2].first, ratios.back().first,
          ratios.back().second, ratios.front().first >= 200 ? "met" : "missed");
    }
    rep << "\n";
  }

  if (!micro.empty()) {
    rep << (md ? "### Model micro-benchmarks\n\n" : "Model micro-benchmarks\n");
    std::vector<std::vector<std::string>> rows;
    for (const Entry* e : micro) {
      if (e->error) {
        rows.push_back({e->name, "error: " + e->error_message, "", ""});
        continue;
      }
      std::string counters;
      for (const auto& [k, v] : e->counters) {
        if (!counters.empty()) counters += ", ";
        counters += fmt::format("{}={}", k, v == std::floor(v) && std::abs(v) < 1e15 ? fmt::format("{:.0f}", v)
                                                                                       : fmt::format("{:.3g}", v));
      }
      rows.push_back({e->name, fmt::format("{:.3g} {}", e->real_time, e->time_unit),
                      fmt::format("{:.3g} {}", e->cpu_time, e->time_unit), counters});
    }
    print_table(rep, {"benchmark", "time", "CPU", "counters"}, rows, md);
    // The bind() conflict check's cost against sockets on other ports (target: flat).
    std::map<std::pair<std::int64_t, std::int64_t>, double> bind_ns;
    for (const Entry* e : micro) {
      if (e->error || e->name.rfind("BM_BindConflictCheck/", 0) != 0 || !e->has("sockets_on_port")) continue;
      double t = e->cpu_time;
      if (e->time_unit == "us") t *= 1e3;
      if (e->time_unit == "ms") t *= 1e6;
      bind_ns[{std::llround(e->counter("sockets_on_port")), std::llround(e->counter("sockets_elsewhere"))}] = t;
    }
    for (const auto& [key, t] : bind_ns) {
      if (key.second != 1000) continue;
      for (const auto& [key2, t2] : bind_ns) {
        if (key2.first != key.first || key2.second <= key.second) continue;
        rep << fmt::format("\nbind() conflict check, {} socket(s) on the port: {:.0f} ns with {} sockets on other ports, "
                           "{:.0f} ns with {} ({:.2f}x)",
                           key.first, t, key.second, t2, key2.second, t2 / t);
      }
    }
    rep << "\n";
  }

  if (!args.svg.empty()) {
    std::ofstream svg(args.svg);
    if (!svg || !(svg << svg_chart(pairs)) || !svg.flush()) {
      err << "bench-report: cannot write " << args.svg << ": " << std::strerror(errno) << "\n";
      return kExitBadInput;
    }
  }
  if (!args.output.empty()) {
    std::ofstream o(args.output);
    if (!o || !(o << rep.str()) || !o.flush()) {
      err << "bench-report: cannot write " << args.output << ": " << std::strerror(errno) << "\n";
      return kExitBadInput;
    }
  } else {
    out << rep.str();
  }
  return kExitOk;
}

}  // namespace portlab::cli
