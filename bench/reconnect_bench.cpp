// Real reconnect loops on this machine's kernel (BM_Real/<strategy>, one private network namespace
// each, needs root), each followed by the same loop on the model over the same timeline
// (BM_Model/<strategy>). Run (scripts/bench.sh does this):
//   ./build/bench/reconnect_bench --benchmark_out=reconnect.json --benchmark_out_format=json
// Options of our own (before Google Benchmark's): --iterations=N (default 1000),
// --port-range=LOW-HIGH (default 40000-40499).
#include <benchmark/benchmark.h>
#include <sys/utsname.h>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <map>
#include <string>
#include <vector>

#include "bench/reconnect.h"

namespace pb = portlab::bench;

namespace {

struct RealFigures {
  std::vector<pb::IterationTimes> timeline;
  double attempts_per_s = 0;
};
std::map<std::string, RealFigures>& real_runs() {
  static std::map<std::string, RealFigures> m;
  return m;
}

pb::RunConfig g_cfg;
int g_iterations = 1000;

void put_common(benchmark::State& state, const pb::LoopResult& r) {
  using C = benchmark::Counter;
  state.counters["attempts"] = C(static_cast<double>(r.attempts));
  state.counters["successes"] = C(static_cast<double>(r.successes));
  state.counters["skipped"] = C(static_cast<double>(r.skipped));
  std::int64_t total = 0;
  for (const auto& [k, n] : r.failures) {
    state.counters["fail_" + k] = C(static_cast<double>(n));
    if (k.rfind("srv_", 0) != 0) total += n;
  }
  state.counters["client_failures"] = C(static_cast<double>(total));
  state.counters["time_wait_end"] = C(static_cast<double>(r.time_wait_end));
  state.counters["stalls"] = C(static_cast<double>(r.stalls));
  state.counters["connect_p50_us"] = C(r.connect_p50_us);
  state.counters["connect_p99_us"] = C(r.connect_p99_us);
  state.counters["port_range_size"] = C(static_cast<double>(g_cfg.port_high - g_cfg.port_low + 1));
  state.counters["duration_s"] = C(r.elapsed_s);
}

void BM_Real(benchmark::State& state, const pb::Strategy& s) {
  try {
    pb::RealLoop loop(s, g_cfg);
    for (auto _ : state) loop.iterate();
    pb::LoopResult r = loop.finish();
    if (!r.harness_error.empty()) {
      state.SkipWithError(r.harness_error.c_str());
      return;
    }
    put_common(state, r);
    const double secs = r.elapsed_s > 0 ? r.elapsed_s : 1e-9;
    // Successful connections per second of the loop's wall time (failed attempts included in the time).
    state.counters["conn_per_s"] = benchmark::Counter(static_cast<double>(r.successes) / secs);
    state.counters["attempts_per_s"] = benchmark::Counter(static_cast<double>(r.attempts) / secs);
    state.SetLabel(r.failure_pattern());
    real_runs()[s.name] = {r.timeline, static_cast<double>(r.attempts) / secs};
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

void BM_Model(benchmark::State& state, const pb::Strategy& s) {
  try {
    const auto it = real_runs().find(s.name);
    std::vector<pb::IterationTimes> timeline;
    if (it != real_runs().end()) timeline = it->second.timeline;
    pb::ModelLoop loop(s, g_cfg, timeline);
    for (auto _ : state) loop.iterate();
    pb::LoopResult r = loop.finish();
    put_common(state, r);
    const double vsecs = r.elapsed_s > 0 ? r.elapsed_s : 1e-9;
    // The rate the model predicts for this run's timeline: its successes over the same duration.
    state.counters["conn_per_s"] = benchmark::Counter(static_cast<double>(r.successes) / vsecs);
    const double cycles_per_cpu_s = r.cpu_s > 0 ? static_cast<double>(r.attempts) / r.cpu_s : 0;
    state.counters["model_cycles_per_cpu_s"] = benchmark::Counter(cycles_per_cpu_s);
    if (it != real_runs().end() && it->second.attempts_per_s > 0) {
      state.counters["real_attempts_per_s"] = benchmark::Counter(it->second.attempts_per_s);
      state.counters["speed_ratio"] = benchmark::Counter(cycles_per_cpu_s / it->second.attempts_per_s);
    }
    // Sustainable rate: where exhaustion failures appear, each port carries one connection per
    // TIME-WAIT lifetime (60 s on Linux); otherwise the ports do not limit the rate (reported as 0).
    bool exhausted = false;
    for (const auto& [k, n] : r.failures)
      if (k == "connect_EADDRNOTAVAIL" || k == "bind_EADDRINUSE") exhausted = true;
    state.counters["sustainable_conn_per_s"] =
        benchmark::Counter(exhausted ? static_cast<double>(r.time_wait_end) / 60.0 : 0.0);
    state.SetLabel(r.failure_pattern());
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

// Our own flags, removed from argv before Google Benchmark sees it.
void parse_own_flags(int& argc, char** argv) {
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--iterations=", 0) == 0) {
      g_iterations = std::atoi(a.c_str() + 13);
    } else if (a.rfind("--port-range=", 0) == 0) {
      unsigned lo = 0;
      unsigned hi = 0;
      if (std::sscanf(a.c_str() + 13, "%u-%u", &lo, &hi) == 2 && lo >= 1024 && lo < hi && hi <= 65535) {
        g_cfg.port_low = static_cast<std::uint16_t>(lo);
        g_cfg.port_high = static_cast<std::uint16_t>(hi);
      } else {
        std::fprintf(stderr, "reconnect_bench: bad --port-range (want LOW-HIGH, 1024 <= LOW < HIGH <= 65535)\n");
        std::exit(2);
      }
    } else {
      argv[out++] = argv[i];
    }
  }
  argc = out;
  if (g_iterations < 1) {
    std::fprintf(stderr, "reconnect_bench: --iterations must be >= 1\n");
    std::exit(2);
  }
}

}  // namespace

int main(int argc, char** argv) {
  parse_own_flags(argc, argv);
  for (const auto& s : pb::strategies()) {
    benchmark::RegisterBenchmark(("BM_Real/" + s.name).c_str(), BM_Real, s)
        ->Iterations(g_iterations)
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("BM_Model/" + s.name).c_str(), BM_Model, s)
        ->Iterations(g_iterations)
        ->Unit(benchmark::kMicrosecond);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  if (utsname u{}; uname(&u) == 0) benchmark::AddCustomContext("kernel", std::string(u.sysname) + " " + u.release);
  benchmark::AddCustomContext("port_range", std::to_string(g_cfg.port_low) + "-" + std::to_string(g_cfg.port_high));
  benchmark::AddCustomContext("tcp_tw_reuse_delay_ms", std::to_string(g_cfg.tw_reuse_delay_ms));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
