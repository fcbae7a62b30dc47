// Specification tests of the simulator: the engine (ordering, determinism, loss and its
// retransmission cost), and the capacity figures production engineers learn the hard way.
#include "sim/simulate.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "model/profiles.h"
#include "sim/script/parser.h"
#include "sim/world.h"

namespace portlab::sim {
namespace {

using namespace std::chrono_literals;

const model::Profile& os(std::string_view name) { return *model::find_profile(name); }

struct Sim {
  script::Script script;
  std::string text;
};

Sim parse(std::string text) {
  auto r = script::parse_script(text, "test.pls");
  EXPECT_TRUE(r.script.has_value()) << (r.error ? r.error->render() : "");
  return {r.script.value_or(script::Script{}), std::move(text)};
}

SimulateReport simulate(const Sim& s, const model::Profile& p, std::uint64_t seed = 1, std::ostream* events = nullptr,
                        bool memo = true) {
  SimulateOptions o;
  o.profile = &p;
  o.seed = seed;
  o.events = events;
  o.memoize_port_searches = memo;
  auto run = run_simulate(s.script, s.text, o);
  EXPECT_TRUE(run.report.has_value()) << (run.error ? run.error->render() : "");
  return run.report.value_or(SimulateReport{});
}

std::string client_server(const std::string& sysctls, const std::string& body, const std::string& network = "") {
  return "host client 10.0.0.1\nhost server 10.0.0.2\n" + sysctls + network + "workload w {\n  client client\n" +
         "  server server 10.0.0.2:80\n" + body + "}\n";
}

std::uint64_t count(const WorkloadReport& w, std::string_view call, model::Errno err) {
  std::uint64_t n = 0;
  for (const auto& [k, st] : w.failures_by_kind)
    if (k.call == call && k.err == err) n += st.count;
  return n;
}

// ---- engine --------------------------------------------------------------------------------

TEST(World_Network, SegmentsArriveAfterTheLatency_InSendOrder) {
  World w(1, {{"a", {{*model::IpAddress::parse("10.0.0.1"), 32}}, {}, &os("linux")},
              {"b", {{*model::IpAddress::parse("10.0.0.2"), 32}}, {}, &os("linux")}});
  NetworkConfig n;
  n.latency = 5ms;
  n.jitter = 3ms;
  w.set_network(n);
  w.set_trace_segments(true);
  auto& b = w.host(1);
  std::vector<model::Segment> out;
  const auto l = b.socket(model::Family::inet, false, 0).value;
  b.bind(static_cast<model::Fd>(l), *model::Endpoint::parse("10.0.0.2:80"));
  b.listen(static_cast<model::Fd>(l), 16);
  auto& a = w.host(0);
  const auto c = static_cast<model::Fd>(a.socket(model::Family::inet, false, 0).value);
  auto r = w.call(0, [&](model::Host& h, std::vector<model::Segment>& o) { return h.connect(c, *model::Endpoint::parse("10.0.0.2:80"), w.now(), o); });
  ASSERT_EQ(r.pending, model::Pending::connect);
  // Nothing arrives before one latency; the handshake needs a round trip (2 x 5..8 ms) and more.
  w.advance_to(model::TimePoint{} + 4ms);
  EXPECT_EQ(a.socket_state(c), model::TcpState::syn_sent);
  w.advance_to(model::TimePoint{} + 10ms);
  EXPECT_EQ(a.socket_state(c), model::TcpState::syn_sent);
  w.advance_to(model::TimePoint{} + 17ms);
  EXPECT_EQ(a.socket_state(c), model::TcpState::established);
}

TEST(World_Network, AllSynsLost_ConnectTimesOutAfterTheProfilesRetries) {
  World w(1, {{"a", {{*model::IpAddress::parse("10.0.0.1"), 32}}, {}, &os("linux")},
              {"b", {{*model::IpAddress::parse("10.0.0.2"), 32}}, {}, &os("linux")}});
  NetworkConfig n;
  n.syn_loss = 1.0;
  w.set_network(n);
  auto& a = w.host(0);
  a.sysctl("net.ipv4.tcp_syn_retries", "2");
  const auto c = static_cast<model::Fd>(a.socket(model::Family::inet, false, 0).value);
  auto o = w.run_call(0, c, 0, [&](model::Host& h, std::vector<model::Segment>& out) {
    return h.connect(c, *model::Endpoint::parse("10.0.0.2:80"), w.now(), out);
  });
  // Linux: initial RTO 1 s, doubling: SYN at 0, 1, 3; gives up at 7 s (tcp_syn_retries = 2).
  EXPECT_EQ(o.result.err, model::Errno::etimedout);
  EXPECT_EQ(o.waited, 7s);
  EXPECT_EQ(w.network_stats().syn_lost, 3u);
}

TEST(Simulate_Engine, SameSeed_SameEventLogByteForByte_OtherSeedDiffers) {
  const Sim s = parse(client_server("", "  rate 200/s\n  clients 3\n  duration 2s\n",
                                    "network latency 1ms jitter 500us syn-loss 10%\n"));
  std::ostringstream a, b, c;
  const auto ra = simulate(s, os("linux"), 7, &a);
  simulate(s, os("linux"), 7, &b);
  simulate(s, os("linux"), 8, &c);
  EXPECT_GT(a.str().size(), 10'000u);
  EXPECT_EQ(a.str(), b.str());
  EXPECT_NE(a.str(), c.str());
  EXPECT_EQ(format_simulate_json(ra), format_simulate_json(simulate(s, os("linux"), 7)));
}

// The fuzz target (fuzz/fuzz_simulate.cpp) re-runs every input stopped by its attempt limit and
// compares the reports; only a wall-time stop is exempt.
TEST(Simulate_Engine, AttemptLimitStop_IsReproducible_WallTimeStopIsMarked) {
  const Sim s = parse(client_server("", "  rate 500/s\n  clients 2\n  duration 5s\n"));
  SimulateOptions o;
  o.profile = &os("linux");
  o.max_connections = 300;
  const auto a = run_simulate(s.script, s.text, o);
  const auto b = run_simulate(s.script, s.text, o);
  ASSERT_TRUE(a.report && b.report);
  ASSERT_TRUE(a.report->stopped.has_value());
  EXPECT_FALSE(a.report->stopped_by_wall_clock);
  EXPECT_EQ(a.report->workloads.at(0).attempts, 300u);
  EXPECT_EQ(format_simulate_json(*a.report), format_simulate_json(*b.report));

  o.max_connections = 50'000'000;
  o.max_wall_seconds = 0;  // checked every 256 engine steps: stops at the first check
  const auto w = run_simulate(s.script, s.text, o);
  ASSERT_TRUE(w.report && w.report->stopped.has_value());
  EXPECT_TRUE(w.report->stopped_by_wall_clock);
  EXPECT_NE(w.report->stopped->find("wall time"), std::string::npos);
}

TEST(Simulate_Engine, EventLog_IsInTimeOrder) {
  const Sim s = parse(client_server("", "  rate 100/s\n  clients 2\n  duration 1s\n", "network latency 2ms jitter 1ms\n"));
  std::ostringstream log;
  simulate(s, os("linux"), 3, &log);
  std::istringstream in(log.str());
  std::string line;
  double prev = 0;
  int lines = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const double t = std::stod(line.substr(0, line.find(' ', line.find_first_not_of(' '))));
    EXPECT_GE(t, prev) << line;
    prev = t;
    ++lines;
  }
  EXPECT_GT(lines, 500);
}

TEST(Simulate_Engine, LostSyn_StallsTheConnectForTheInitialRto) {
  const Sim s = parse(client_server("", "  rate 50/s\n  duration 20s\n", "network latency 1ms syn-loss 5%\n"));
  const auto r = simulate(s, os("linux"));
  const auto& w = r.workloads.at(0);
  EXPECT_GT(r.syn_lost, 10u);
  EXPECT_GT(w.stalls, 10u);
  // A SYN lost once costs Linux's initial RTO of 1 s (TCP_TIMEOUT_INIT) plus the round trip.
  EXPECT_EQ(w.latency_max >= 1s + 2ms, true);
  EXPECT_EQ(w.latency_p50, 2ms);
  EXPECT_EQ(w.failures, 0u);
}

TEST(Simulate_Engine, MemoisedPortSearches_NeverChangeAResult) {
  for (const char* reuse : {"0", "1"}) {
    const Sim s = parse(client_server(std::string("sysctl client net.ipv4.ip_local_port_range=40000 40199\n") +
                                          "sysctl client net.ipv4.tcp_tw_reuse=" + reuse + "\n",
                                      "  rate 300/s\n  clients 2\n  duration 70s\n", "network latency 100us\n"));
    std::ostringstream with, without;
    const auto a = simulate(s, os("linux"), 1, &with, true);
    const auto b = simulate(s, os("linux"), 1, &without, false);
    EXPECT_GT(a.workloads.at(0).failures, 0u) << "tcp_tw_reuse=" << reuse;
    EXPECT_EQ(with.str(), without.str()) << "tcp_tw_reuse=" << reuse;
  }
}

// ---- capacity: the figures of issue #4 -----------------------------------------------------

TEST(Simulate_Capacity, Linux_Ephemeral_NoTwReuse_OneDestination_Is28232PortsOver60s) {
  const Sim s = parse(client_server("sysctl client net.ipv4.tcp_tw_reuse=0\n", "  rate 1000/s\n"));
  const auto c = closed_form_capacity(s.script, s.script.workloads[0], os("linux"));
  ASSERT_TRUE(c.rate.has_value());
  EXPECT_NEAR(*c.rate, 28232.0 / 60, 0.01);  // ≈ 470/s
}

TEST(Simulate_Capacity, Linux_1000Ports_TwReuseAndTimestamps_SustainsAbout1000PerSecond) {
  const Sim s = parse(client_server("sysctl client net.ipv4.ip_local_port_range=40000 40999\n"
                                    "sysctl client net.ipv4.tcp_tw_reuse=1\nsysctl client net.ipv4.tcp_timestamps=1\n",
                                    "  rate 1500/s\n  duration 20s\n"));
  const auto c = closed_form_capacity(s.script, s.script.workloads[0], os("linux"));
  ASSERT_TRUE(c.rate.has_value());
  EXPECT_NEAR(*c.rate, 1000, 5);
  const auto r = simulate(s, os("linux"));
  EXPECT_NEAR(r.workloads[0].achieved_rate, 1000, 60);
  EXPECT_GT(count(r.workloads[0], "connect", model::Errno::eaddrnotavail), 0u);
}

TEST(Simulate_Capacity, Linux_Bind0_1000Ports_StopsAfter1000ConnectionsWithEaddrinuse) {
  const Sim s = parse(client_server("sysctl client net.ipv4.ip_local_port_range=40000 40999\n",
                                    "  source bind0\n  rate 100/s\n  duration 30s\n"));
  const auto r = simulate(s, os("linux"));
  const auto& w = r.workloads[0];
  ASSERT_TRUE(w.first_failure.has_value());
  EXPECT_EQ(w.successes, 1000u);
  EXPECT_EQ(count(w, "bind", model::Errno::eaddrinuse), w.failures);
  EXPECT_NEAR(std::chrono::duration<double>(*w.first_failure).count(), 10.0, 0.02);
}

TEST(Simulate_Capacity, Linux_FixedPort_GracefulClose_NoTimestamps_BlocksFor60sWithEaddrnotavail) {
  const Sim s = parse(client_server("sysctl client net.ipv4.tcp_timestamps=0\n",
                                    "  source fixed 5000\n  option SO_REUSEADDR\n  rate 1/s\n  duration 100s\n"));
  const auto r = simulate(s, os("linux"));
  const auto& w = r.workloads[0];
  ASSERT_EQ(w.failures_by_kind.size(), 1u);
  const auto& [kind, st] = *w.failures_by_kind.begin();
  EXPECT_EQ(kind.call, "connect");
  EXPECT_EQ(kind.err, model::Errno::eaddrnotavail);
  EXPECT_TRUE(st.blocking());
  // The redial at 1 s meets the TIME-WAIT the first connection (closed at 1 ms) left; the one at
  // 60.001 s, the instant it expires, gets through: 59 s of failing redials, once a second.
  EXPECT_NEAR(std::chrono::duration<double>(st.longest_outage).count(), 59.0, 0.01);
  EXPECT_EQ(w.successes, 2u);
}

TEST(Simulate_Capacity, FixedPort_ServerClosesFirst_SustainsReconnectsOnEveryOs) {
  const Sim s = parse(client_server("", "  source fixed 5000\n  option SO_REUSEADDR\n  close server-first\n"
                                        "  rate 2/s\n  duration 200s\n",
                                    "network latency 1ms\n"));
  for (const char* name : {"linux", "freebsd", "macos", "windows", "illumos"}) {
    const auto r = simulate(s, os(name));
    EXPECT_EQ(r.workloads[0].failures, 0u) << name;
    EXPECT_EQ(r.workloads[0].successes, 400u) << name;
  }
}

TEST(Simulate_Capacity, MacOs_HalvesTheFixedPortTimeWaitBlock) {
  const Sim s = parse(client_server("", "  source fixed 5000\n  option SO_REUSEADDR\n  rate 1/s\n  duration 100s\n"));
  auto longest = [&](const char* name) {
    const auto r = simulate(s, os(name));
    model::Duration l{};
    for (const auto& [k, st] : r.workloads[0].failures_by_kind) l = std::max(l, st.longest_outage);
    return std::chrono::duration<double>(l).count();
  };
  // Redials once a second from 1 s; the TIME-WAIT (closed at 1 ms) lets the one at 2 x MSL + 1 ms through.
  EXPECT_NEAR(longest("freebsd"), 59.0, 0.01);
  EXPECT_NEAR(longest("macos"), 29.0, 0.01);
}

TEST(Simulate_Capacity, Windows_TimedWaitDelay120_16384Ports_IsAbout136PerSecond) {
  const Sim s = parse(client_server("sysctl client Tcpip.Parameters.TcpTimedWaitDelay=120\n"
                                    "sysctl client netsh.dynamicport.tcp.num=16384\n",
                                    "  rate 200/s\n  duration 150s\n"));
  const auto c = closed_form_capacity(s.script, s.script.workloads[0], os("windows"));
  ASSERT_TRUE(c.rate.has_value());
  EXPECT_NEAR(*c.rate, 16384.0 / 120, 0.01);  // ≈ 136.5/s
}

TEST(Simulate_Capacity, Windows_TimedWaitDelay120_1000Ports_RunsDryAfterTheRangeAndRecoversAtItsRate) {
  const Sim s = parse(client_server("sysctl client Tcpip.Parameters.TcpTimedWaitDelay=120\n"
                                    "sysctl client netsh.dynamicport.tcp.num=1000\n",
                                    "  rate 20/s\n  duration 180s\n"));
  const auto r = simulate(s, os("windows"));
  const auto& w = r.workloads[0];
  // 1000 ports last 50 s at 20/s; from 120 s to 170 s their TIME-WAITs expire, at 20/s.
  ASSERT_TRUE(w.first_failure.has_value());
  EXPECT_NEAR(std::chrono::duration<double>(*w.first_failure).count(), 50.0, 0.1);
  EXPECT_EQ(w.time_wait_peak, 1000u);
  EXPECT_EQ(count(w, "connect", model::Errno::wsaenobufs), w.failures);
  EXPECT_NEAR(static_cast<double>(w.successes), 2000, 5);  // the first 1000, then the same ports again from 120 s
}

TEST(Simulate_Capacity, SearchBySimulation_AgreesWithTheClosedForm) {
  const Sim s = parse(client_server("sysctl client net.ipv4.ip_local_port_range=40000 40999\n",
                                    "  rate 10/s\n  duration 10s\n"));
  SimulateOptions o;
  o.profile = &os("linux");
  const auto search = search_capacity(s.script, s.text, 0, o);
  ASSERT_TRUE(search.error.empty()) << search.error;
  ASSERT_TRUE(search.rate.has_value());
  const double closed = 1000.0 / 60;
  EXPECT_NEAR(*search.rate, closed, closed * 0.05 + search.resolution);
  EXPECT_GT(search.runs, 5);
}

// ---- restarts, retries, middlebox ----------------------------------------------------------

TEST(Simulate_Restart, ListenerWithoutReuseaddr_CannotRebindOverItsTimeWait) {
  const Sim s = parse("host client 10.0.0.1\nhost server 10.0.0.2\nworkload w {\n  client client\n"
                      "  server server 10.0.0.2:80\n  close server-first\n  rate 10/s\n  duration 50s\n"
                      "  restart every 20s down 1s\n  retry fixed 100ms\n}\n");
  const auto r = simulate(s, os("linux"));
  const auto& w = r.workloads[0];
  bool server_bind = false;
  for (const auto& [k, st] : w.failures_by_kind)
    if (k.side == "server" && k.call == "bind" && k.err == model::Errno::eaddrinuse) server_bind = st.blocking();
  EXPECT_TRUE(server_bind);
  EXPECT_GT(count(w, "connect", model::Errno::econnrefused), 0u);
  EXPECT_GT(w.retries, 0u);
}

TEST(Simulate_Middlebox, ResettingSyns_FailsConnectWithEconnrefused) {
  const Sim s = parse(client_server("", "  rate 10/s\n  duration 2s\n", "middlebox reset to 10.0.0.2:80 from 1s\n"));
  const auto r = simulate(s, os("linux"));
  const auto& w = r.workloads[0];
  EXPECT_EQ(w.successes, 10u);
  EXPECT_EQ(count(w, "connect", model::Errno::econnrefused), 10u);
}

TEST(Simulate_Setup, CallStepsAreRejected_WithTheirLocation) {
  const Sim s = parse("c = socket(inet, stream)\nworkload w {\n  server local 127.0.0.1:80\n}\n");
  SimulateOptions o;
  auto run = run_simulate(s.script, s.text, o);
  ASSERT_TRUE(run.error.has_value());
  EXPECT_EQ(run.error->loc.line, 1);
  EXPECT_NE(run.error->message.find("portlab check"), std::string::npos);
}

TEST(Simulate_Setup, NetworkInterleave_IsRejected_WithItsLocation) {
  const Sim s = parse("network interleave\nworkload w {\n  server local 127.0.0.1:80\n}\n");
  auto run = run_simulate(s.script, s.text, SimulateOptions{});
  ASSERT_TRUE(run.error.has_value());
  EXPECT_EQ(run.error->loc.line, 1);
  EXPECT_NE(run.error->message.find("'network interleave'"), std::string::npos) << run.error->message;
}

TEST(Simulate_Setup, ServerAddressMustBelongToTheServerHost) {
  const Sim s = parse("host a 10.0.0.1\nhost b 10.0.0.2\nworkload w {\n  client a\n  server b 10.0.0.1:80\n}\n");
  auto run = run_simulate(s.script, s.text, SimulateOptions{});
  ASSERT_TRUE(run.error.has_value());
  EXPECT_EQ(run.error->loc.line, 5);
}

}  // namespace
}  // namespace portlab::sim
