// `portlab bench-report FILE.json...`: reads Google Benchmark JSON (reconnect_bench, model_bench),
// pairs each BM_Real/<strategy> with its BM_Model/<strategy>, and prints one table of measured vs
// predicted figures; optionally an SVG bar chart of the rates.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace portlab::cli {

struct BenchReportArgs {
  std::vector<std::string> files;
  std::string svg;        // write the chart of rates per strategy here ("" = none)
  bool markdown = false;  // markdown tables instead of aligned text
  std::string output;     // write the report here instead of `out` ("" = out)
};

// 0: report written (agreement or not: the table says); 2: a file missing, unreadable, malformed
// or not Google Benchmark JSON, or an output that cannot be written.
int run_bench_report_command(const BenchReportArgs& args, std::ostream& out, std::ostream& err);

}  // namespace portlab::cli
