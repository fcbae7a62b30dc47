// The model's own cost (Google Benchmark). Run:
//   ./build/bench/model_bench --benchmark_out=model_bench.json --benchmark_out_format=json
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "model/host.h"
#include "model/linux_profile.h"
#include "sim/check.h"
#include "sim/host_handle.h"
#include "sim/script/parser.h"
#include "sim/world.h"

namespace pm = portlab::model;
namespace ps = portlab::sim;

namespace {

pm::Host make_host() {
  pm::HostConfig c;
  c.addresses.push_back({*pm::IpAddress::parse("10.0.0.1"), 8});
  return pm::Host(pm::linux_profile(), c);
}

// bind() conflict check with N sockets already bound to the same port (all sharing it with
// SO_REUSEADDR) and M sockets on other ports: the cost should follow N, not M.
void BM_BindConflictCheck(benchmark::State& state) {
  const auto same_port = static_cast<int>(state.range(0));
  const auto other_ports = static_cast<int>(state.range(1));
  pm::Host h = make_host();
  for (int i = 0; i < other_ports; ++i) {
    auto fd = static_cast<pm::Fd>(h.socket(pm::Family::inet, false, 0).value);
    h.bind(fd, {*pm::IpAddress::parse("10.0.0.1"), static_cast<std::uint16_t>(1024 + i % 60000)});
  }
  const pm::Endpoint ep{*pm::IpAddress::parse("127.0.0.1"), 65000};
  for (int i = 0; i < same_port; ++i) {
    auto fd = static_cast<pm::Fd>(h.socket(pm::Family::inet, false, 0).value);
    h.setsockopt(fd, pm::SockOpt::so_reuseaddr, std::int64_t{1});
    h.bind(fd, ep);
  }
  auto probe = static_cast<pm::Fd>(h.socket(pm::Family::inet, false, 0).value);  // no SO_REUSEADDR: conflicts
  for (auto _ : state) {
    auto r = h.bind(probe, ep);
    benchmark::DoNotOptimize(r);
  }
  state.counters["sockets_on_port"] = same_port;
  state.counters["sockets_elsewhere"] = other_ports;
}
BENCHMARK(BM_BindConflictCheck)
    ->ArgsProduct({{1, 10, 100, 1000}, {0}})
    ->ArgsProduct({{10}, {1000, 10000, 100000}})
    ->Unit(benchmark::kNanosecond);

// connect() autobind search cost as the range fills: ports probed per connect, and time.
void BM_ConnectEphemeralSearch(benchmark::State& state) {
  const double occupancy = static_cast<double>(state.range(0)) / 100.0;
  ps::World world(1, {{"local", {}, {}, &pm::linux_profile()}});
  ps::HostHandle host(world, 0);
  host.sysctl("net.ipv4.ip_local_port_range", "40000 40999");
  auto l = static_cast<pm::Fd>(host.socket(pm::Family::inet).result.value);
  host.bind(l, *pm::Endpoint::parse("127.0.0.1:80"));
  host.listen(l, 100000);
  const int fill = static_cast<int>(1000 * occupancy);
  for (int i = 0; i < fill; ++i) {
    auto c = static_cast<pm::Fd>(host.socket(pm::Family::inet).result.value);
    host.connect(c, *pm::Endpoint::parse("127.0.0.1:80"));
  }
  std::uint64_t probes = 0;
  std::uint64_t n = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto c = static_cast<pm::Fd>(host.socket(pm::Family::inet).result.value);
    state.ResumeTiming();
    auto r = host.connect(c, *pm::Endpoint::parse("127.0.0.1:80"));
    probes += r.result.probes;
    ++n;
    state.PauseTiming();
    host.setsockopt(c, pm::SockOpt::so_linger, pm::Linger{true, 0});  // RST: leave no TIME-WAIT behind
    host.close(c);
    state.ResumeTiming();
  }
  state.counters["occupancy_pct"] = static_cast<double>(state.range(0));
  state.counters["probes_per_connect"] = n ? static_cast<double>(probes) / static_cast<double>(n) : 0;
}
BENCHMARK(BM_ConnectEphemeralSearch)->DenseRange(0, 90, 30)->Arg(99)->Unit(benchmark::kMicrosecond);

// A whole reconnect cycle in a two-host world: connect, accept, client closes first (TIME-WAIT),
// server closes, and virtual time moves past the TIME-WAIT every so often.
void BM_ReconnectCycle(benchmark::State& state) {
  const pm::Profile& linux = pm::linux_profile();
  ps::World world(1, {{"client", {{*pm::IpAddress::parse("10.0.0.1"), 24}}, {}, &linux},
                      {"server", {{*pm::IpAddress::parse("10.0.0.2"), 24}}, {}, &linux}});
  ps::HostHandle client(world, "client");
  ps::HostHandle server(world, "server");
  auto l = static_cast<pm::Fd>(server.socket(pm::Family::inet).result.value);
  server.bind(l, *pm::Endpoint::parse("0.0.0.0:80"));
  server.listen(l, 1024);
  const auto dst = *pm::Endpoint::parse("10.0.0.2:80");
  std::int64_t cycles = 0;
  for (auto _ : state) {
    auto c = static_cast<pm::Fd>(client.socket(pm::Family::inet).result.value);
    client.connect(c, dst);
    auto a = static_cast<pm::Fd>(server.accept(l).result.value);
    client.close(c);
    server.close(a);
    world.advance_to(world.now() + std::chrono::milliseconds(2));  // 500 connections/s
    ++cycles;
  }
  state.SetItemsProcessed(cycles);
  state.counters["time_wait_at_end"] = static_cast<double>(world.host(0).time_wait_count());
}
BENCHMARK(BM_ReconnectCycle)->Unit(benchmark::kMicrosecond);

// `portlab check` on the seed example: parse and run, per iteration.
void BM_CheckSeedScript(benchmark::State& state) {
  const std::string text = R"(host client 10.0.0.1
host server 10.0.0.2
server: l = socket(inet, stream)
server: bind(l, 0.0.0.0:80) = 0
server: listen(l, 16) = 0
client: c = socket(inet, stream)
client: setsockopt(c, SO_REUSEADDR, 1) = 0
client: bind(c, 10.0.0.1:5000) = 0
client: connect(c, 10.0.0.2:80) = 0
server: a = accept(l)
client: close(c) = 0
server: close(a) = 0
client: c2 = socket(inet, stream)
client: setsockopt(c2, SO_REUSEADDR, 1) = 0
client: bind(c2, 10.0.0.1:5000) = 0
client: connect(c2, 10.0.0.2:80) = 0
)";
  for (auto _ : state) {
    auto parsed = ps::script::parse_script(text, "seed.pls");
    auto run = ps::run_check(*parsed.script, text, {});
    benchmark::DoNotOptimize(run);
  }
}
BENCHMARK(BM_CheckSeedScript)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
