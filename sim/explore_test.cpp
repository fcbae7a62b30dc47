// Specification tests of `portlab explore` (sim/explore.h): the known answers of issue #5, the
// replay of every counterexample with the check engine, agreement with random runs, determinism,
// limits, deadlocks and the state graph.
#include "sim/explore.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "model/host.h"
#include "model/profiles.h"
#include "sim/check.h"
#include "sim/script/parser.h"

namespace portlab::sim {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

const model::Profile* profile(std::string_view name) {
  for (const model::Profile* p : model::all_profiles())
    if (p->name == name) return p;
  return nullptr;
}

struct Loaded {
  std::string text;
  script::Script script;
};

Loaded load_text(std::string text, std::string file = "test.pls") {
  auto parsed = script::parse_script(text, file);
  if (!parsed.script) ADD_FAILURE() << parsed.error->render();
  return {std::move(text), parsed.script ? std::move(*parsed.script) : script::Script{}};
}

Loaded load_example(const std::string& name) {
  const std::string path = std::string(PORTLAB_SOURCE_DIR) + "/examples/" + name;
  return load_text(read_file(path), "examples/" + name);
}

ExploreReport explore(const Loaded& l, std::string_view os = "linux", ExploreOptions o = {}) {
  o.profile = profile(os);
  auto run = run_explore(l.script, l.text, o);
  if (!run.report) {
    ADD_FAILURE() << run.error->render();
    return {};
  }
  return std::move(*run.report);
}

const TraceStep& last(const ExploreReport& r) { return r.counterexample->trace.back(); }

TEST(Explore, ShutdownThenLinger0_HasInterleavingLeavingTimeWait) {
  const auto r = explore(load_example("explore-shutdown-then-linger0.pls"));
  ASSERT_EQ(r.verdict, Verdict::violation);
  ASSERT_TRUE(r.counterexample);
  EXPECT_EQ(r.counterexample->kind, "never");
  // The shortest: the 8 setup steps, then shutdown(), then the peer's close() before ours.
  const auto& t = r.counterexample->trace;
  ASSERT_EQ(t.size(), 11u);
  EXPECT_EQ(t[9].who, "app");
  EXPECT_EQ(t[9].what, "shutdown(c, SHUT_WR) = 0");
  EXPECT_EQ(t[10].who, "peer");
  EXPECT_EQ(t[10].what, "close(a) = 0");
}

TEST(Explore, Linger0WithoutShutdown_IsSafe) {
  const auto r = explore(load_example("explore-linger0-safe.pls"));
  EXPECT_EQ(r.verdict, Verdict::safe);
  EXPECT_FALSE(r.counterexample);
  EXPECT_GT(r.stats.states, 10u);  // both orders of the two closes, and the timers after them
}

TEST(Explore, FixedPortRedialAfterGracefulClose_FailsOnLinuxOnlyWithTimestampsOff) {
  const auto on = explore(load_example("explore-redial-timestamps-on.pls"));
  EXPECT_EQ(on.verdict, Verdict::safe);
  const auto off = explore(load_example("explore-redial-timestamps-off.pls"));
  ASSERT_EQ(off.verdict, Verdict::violation);
  EXPECT_EQ(off.counterexample->kind, "expectation");
  EXPECT_EQ(last(off).what, "client: connect(c2, 10.0.0.2:80) = 0");
  EXPECT_EQ(last(off).result, "-1 EADDRNOTAVAIL");
  EXPECT_TRUE(last(off).failed);
  // The shortest trace waits for no timer: a TIME-WAIT that expired would let the redial through.
  for (const auto& s : off.counterexample->trace) EXPECT_NE(s.who, "timer");
}

TEST(Explore, WindowsSecondProcess_TakesThePortUnlessExclusiveAddrUse) {
  const auto reuse = explore(load_example("explore-windows-hijack-reuseaddr.pls"), "windows");
  ASSERT_EQ(reuse.verdict, Verdict::violation);
  EXPECT_EQ(reuse.counterexample->kind, "never");
  EXPECT_EQ(last(reuse).who, "intruder");
  EXPECT_EQ(last(reuse).what, "listen(t, 16)");
  const auto excl = explore(load_example("explore-windows-hijack-exclusiveaddruse.pls"), "windows");
  EXPECT_EQ(excl.verdict, Verdict::safe);
}

TEST(Explore, IceTcpRedial_SafeOnLinux_EaddrinuseOnFreeBsd) {
  const auto l = load_example("ice-tcp-redial.pls");
  EXPECT_EQ(explore(l, "linux").verdict, Verdict::safe);
  const auto f = explore(l, "freebsd");
  ASSERT_EQ(f.verdict, Verdict::violation);
  EXPECT_EQ(last(f).result, "-1 EADDRINUSE");
  // The path goes through the choose's second branch (shutdown first) and the peer's close()
  // between shutdown() and close().
  bool chose_shutdown = false;
  for (const auto& s : f.counterexample->trace) chose_shutdown = chose_shutdown || s.what == "choose branch 2";
  EXPECT_TRUE(chose_shutdown);
}

// The replay script of a counterexample, run by `check`, fails at its last step, the same way.
void expect_replays(const ExploreReport& r, const std::string& what) {
  SCOPED_TRACE(what + " under " + r.os);
  const auto& cx = *r.counterexample;
  auto parsed = script::parse_script(cx.replay, "replay.pls");
  ASSERT_TRUE(parsed.script) << parsed.error->render() << cx.replay;
  auto run = run_check(*parsed.script, cx.replay, {.seed = r.seed, .profile = profile(r.os)});
  ASSERT_TRUE(run.report) << run.error->render();
  const auto& rep = *run.report;
  ASSERT_FALSE(rep.ok()) << cx.replay;
  // The first failing step is the last step of the replay.
  const StepReport* first_fail = nullptr;
  for (const auto& s : rep.steps)
    if (!s.ok && !first_fail) first_fail = &s;
  ASSERT_TRUE(first_fail);
  EXPECT_EQ(first_fail, &rep.steps.back()) << cx.replay;
  if (cx.kind == "expectation") {
    EXPECT_EQ(first_fail->result, cx.trace.back().result);
  } else if (cx.kind == "deadlock") {
    EXPECT_EQ(first_fail->result, "blocked forever");
  } else if (cx.trace.back().failed) {
    // A call property: the replay's last step is that call, carrying the property's results
    // (`!=` for never), and it returns the same result as in the trace.
    EXPECT_EQ(first_fail->result, cx.trace.back().result);
    EXPECT_EQ(first_fail->text.find("expect"), std::string::npos) << first_fail->text;
  } else {
    EXPECT_EQ(first_fail->text.rfind("expect", 0), 0u);
  }
}

TEST(Explore, EveryCounterexample_OfEveryExample_ReplaysWithCheckToTheSameFailure) {
  int replayed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(PORTLAB_SOURCE_DIR) + "/examples")) {
    if (entry.path().extension() != ".pls") continue;
    const auto l = load_example(entry.path().filename().string());
    for (const model::Profile* p : model::all_profiles()) {
      if (!p->variant_of.empty()) continue;
      for (bool idle : {false, true}) {
        ExploreOptions o;
        o.timers_when_idle = idle;
        o.limits.max_states = 20000;
        const auto r = explore(l, p->name, o);
        EXPECT_NE(r.verdict, Verdict::limit) << entry.path() << " " << p->name;
        if (!r.counterexample) continue;
        expect_replays(r, entry.path().filename().string());
        ++replayed;
      }
    }
  }
  EXPECT_GT(replayed, 20);  // most linear examples are unsafe with timers as choice points
}

TEST(Explore, Deadlock_IsReportedAndReplaysAsBlockedForever) {
  const auto l = load_text(R"(host a 10.0.0.1
host b 10.0.0.2
b: l = socket(inet, stream)
b: bind(l, 0.0.0.0:80) = 0
b: listen(l, 16) = 0
process server on b {
  x = accept(l)
  y = accept(l)
}
process client on a {
  c = socket(inet, stream)
  connect(c, 10.0.0.2:80) = 0
}
)");
  const auto r = explore(l);
  ASSERT_EQ(r.verdict, Verdict::violation);
  EXPECT_EQ(r.counterexample->kind, "deadlock");
  EXPECT_NE(r.counterexample->message.find("server at line 8"), std::string::npos) << r.counterexample->message;
  expect_replays(r, "deadlock");
}

TEST(Explore, RandomRuns_ReachOnlyStatesTheSearchExplored) {
  for (const char* name : {"explore-linger0-safe.pls", "ice-tcp-redial.pls", "explore-redial-timestamps-on.pls"}) {
    const auto l = load_example(name);
    ExploreOptions o;
    o.keep_fingerprints = true;
    o.profile = profile("linux");
    const auto r = explore(l, "linux", o);
    ASSERT_EQ(r.verdict, Verdict::safe) << name;
    std::size_t seen = 0;
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
      for (auto fp : random_run_fingerprints(l.script, l.text, o, seed)) {
        EXPECT_TRUE(std::binary_search(r.fingerprints.begin(), r.fingerprints.end(), fp)) << name << " seed " << seed;
        ++seen;
      }
    }
    EXPECT_GT(seen, 20u * 10u);
  }
}

std::string without_stats(std::string text) {
  std::istringstream in(text);
  std::string out;
  for (std::string line; std::getline(in, line);)
    if (line.rfind("states ", 0) != 0) out += line + "\n";
  return out;
}

TEST(Explore, TwoRuns_PrintTheSameReportByteForByte_ApartFromTimings) {
  const auto l = load_example("ice-tcp-redial.pls");
  const auto a = format_text(explore(l, "macos"));
  const auto b = format_text(explore(l, "macos"));
  EXPECT_EQ(without_stats(a), without_stats(b));
  EXPECT_NE(without_stats(a).find("counterexample"), std::string::npos);
}

TEST(Explore, OneAndTwoThreads_GiveTheSameVerdictStatesAndCounterexample) {
  for (const char* name : {"ice-tcp-redial.pls", "explore-shutdown-then-linger0.pls", "explore-linger0-safe.pls",
                           "shutdown-then-linger0.pls"}) {
    const auto l = load_example(name);
    for (const char* os : {"linux", "freebsd", "windows"}) {
      ExploreOptions one, two;
      two.threads = 2;
      const auto a = explore(l, os, one);
      const auto b = explore(l, os, two);
      EXPECT_EQ(a.verdict, b.verdict) << name << " " << os;
      EXPECT_EQ(a.stats.states, b.stats.states) << name << " " << os;
      EXPECT_EQ(a.stats.transitions, b.stats.transitions) << name << " " << os;
      ASSERT_EQ(a.counterexample.has_value(), b.counterexample.has_value());
      if (a.counterexample) {
        EXPECT_EQ(a.counterexample->trace.size(), b.counterexample->trace.size());
        EXPECT_EQ(a.counterexample->replay, b.counterexample->replay);
      }
      EXPECT_EQ(b.threads, 2u);
    }
  }
}

TEST(Explore, StateLimit_StopsWithLimitVerdictAndPartialStatistics) {
  ExploreOptions o;
  o.limits.max_states = 5;
  const auto r = explore(load_example("explore-linger0-safe.pls"), "linux", o);
  EXPECT_EQ(r.verdict, Verdict::limit);
  EXPECT_NE(r.limit_message.find("state limit of 5"), std::string::npos) << r.limit_message;
  EXPECT_EQ(r.stats.states, 5u);
  EXPECT_GT(r.stats.transitions, 0u);
}

TEST(Explore, DepthLimit_StopsWithLimitVerdict) {
  ExploreOptions o;
  o.limits.max_depth = 3;
  const auto r = explore(load_example("explore-linger0-safe.pls"), "linux", o);
  EXPECT_EQ(r.verdict, Verdict::limit);
  EXPECT_EQ(r.stats.depth, 3u);
}

TEST(Explore, Graph_HasOneVertexPerStateLabelledEdgesAndNoCycles) {
  ExploreOptions o;
  o.graph = true;
  const auto r = explore(load_example("explore-linger0-safe.pls"), "linux", o);
  ASSERT_EQ(r.verdict, Verdict::safe);
  EXPECT_EQ(r.dot.rfind("digraph G {", 0), 0u) << r.dot;
  EXPECT_NE(r.dot.find("s" + std::to_string(r.stats.states - 1) + "\\n"), std::string::npos);
  EXPECT_NE(r.dot.find("label=\"peer: close(a) = 0\""), std::string::npos) << r.dot;
  EXPECT_NE(r.dot.find("label=timer"), std::string::npos) << r.dot;
  EXPECT_EQ(r.cycles, 0u);  // every action moves a process or time forward
}

TEST(Explore, LoopAndChoose_EveryBranchAndIterationIsExplored) {
  // Two iterations of a choice between two ports: 4 combinations; binding 7001 (without
  // SO_REUSEADDR) fails only on the path that chooses the second branch twice.
  const auto l = load_text(R"(process p {
  loop 2 {
    choose {
      s = socket(inet, stream)
      bind(s, 127.0.0.1:0) = 0
    } or {
      s = socket(inet, stream)
      bind(s, 127.0.0.1:7001) = 0
    }
  }
}
)");
  const auto r = explore(l);
  ASSERT_EQ(r.verdict, Verdict::violation);
  int branch2 = 0;
  for (const auto& s : r.counterexample->trace) branch2 += s.what == "choose branch 2";
  EXPECT_EQ(branch2, 2);
  EXPECT_EQ(last(r).result, "-1 EADDRINUSE");
  expect_replays(r, "loop and choose");
}

TEST(Explore, Check_RunsProcessesInDeclarationOrder_FirstBranch_LoopsUnrolled) {
  const auto l = load_text(R"(a = socket(inet, stream)
process p {
  loop 2 {
    b = socket(inet, stream) = 4 | 5
  }
}
process q {
  choose {
    c = socket(inet, stream) = 6
  } or {
    c = socket(inet, stream) = 99
  }
}
d = socket(inet, stream) = 7
)");
  auto run = run_check(l.script, l.text, {});
  ASSERT_TRUE(run.report);
  ASSERT_EQ(run.report->steps.size(), 5u);
  EXPECT_TRUE(run.report->ok()) << format_text(*run.report);
  EXPECT_EQ(run.report->steps[3].result, "6");
  EXPECT_EQ(run.report->steps[4].result, "7");
}

TEST(Explore, Encoding_SameSocketsReachedWithOtherInternalIds_EncodeEqually_ADifferenceShows) {
  // Closing two sockets in either order frees their internal ids in either order, so the next two
  // sockets get the ids the other way round: not observable, so the canonical encodings agree.
  const auto make = [](bool a_first, bool bind_second) {
    model::HostConfig c;
    c.addresses.push_back({*model::IpAddress::parse("10.0.0.1"), 24});
    model::Host h(*profile("linux"), c);
    const auto a = static_cast<model::Fd>(h.socket(model::Family::inet, false, 0).value);
    const auto b = static_cast<model::Fd>(h.socket(model::Family::inet, false, 0).value);
    std::vector<model::Segment> out;
    h.close(a_first ? a : b, {}, out);
    h.close(a_first ? b : a, {}, out);
    const auto x = static_cast<model::Fd>(h.socket(model::Family::inet, false, 0).value);
    const auto y = static_cast<model::Fd>(h.socket(model::Family::inet, false, 0).value);
    h.bind(x, *model::Endpoint::parse("10.0.0.1:5000"));
    if (bind_second) h.bind(y, *model::Endpoint::parse("10.0.0.1:5001"));
    std::string e;
    h.encode_state(e, {});
    return e;
  };
  EXPECT_EQ(make(true, false), make(false, false));
  EXPECT_NE(make(true, false), make(true, true));
}

TEST(Explore, Check_ProcessesUnrollingPastTheStepLimit_IsALocatedErrorNotAHang) {
  const auto l = load_text("process p {\n  loop 1000 {\n    loop 1000 {\n      s = socket(inet, stream)\n    }\n  }\n}\n");
  auto run = run_check(l.script, l.text, {});
  ASSERT_TRUE(run.error);
  EXPECT_EQ(run.error->loc.line, 1);
  EXPECT_NE(run.error->message.find("unroll to more than 100000 steps"), std::string::npos) << run.error->message;
}

TEST(Explore, Graph_LargerThanTheLimit_ShowsTheCounterexamplesNeighbourhood) {
  ExploreOptions o;
  o.graph = true;
  o.max_graph_states = 4;
  const auto r = explore(load_example("explore-shutdown-then-linger0.pls"), "linux", o);
  ASSERT_EQ(r.verdict, Verdict::violation);
  EXPECT_NE(r.dot.find("the counterexample's neighbourhood"), std::string::npos) << r.dot;
  // Every state of the 11-step path, and the state where the app closes instead (off the path).
  EXPECT_NE(r.dot.find("\"path 11\\n"), std::string::npos) << r.dot;
  EXPECT_NE(r.dot.find("\"off path\\n"), std::string::npos) << r.dot;
  EXPECT_NE(r.dot.find("label=\"peer: close(a) = 0\""), std::string::npos) << r.dot;
}

TEST(Explore, CountOnA4Tuple_CountsOnlyThatTuple_AndWorksAsAProperty) {
  const auto l = load_text(R"(l = socket(inet, stream)
bind(l, 127.0.0.1:80) = 0
listen(l, 16) = 0
c = socket(inet, stream)
bind(c, 127.0.0.1:5000) = 0
connect(c, 127.0.0.1:80) = 0
expect count ESTABLISHED 127.0.0.1:5000 -> 127.0.0.1:80 == 1
expect count ESTABLISHED 127.0.0.1:80 -> 127.0.0.1:5000 == 1
expect count ESTABLISHED 127.0.0.1:5001 -> 127.0.0.1:80 == 0
expect count ESTABLISHED == 2
)");
  auto run = run_check(l.script, l.text, {});
  ASSERT_TRUE(run.report);
  EXPECT_TRUE(run.report->ok()) << format_text(*run.report);
  EXPECT_EQ(run.report->checks, 8);
  // As a property: one connection on the tuple is allowed, a second would be the violation.
  const auto p = load_text(l.text + "never count ESTABLISHED 127.0.0.1:5000 -> 127.0.0.1:80 >= 2\n");
  EXPECT_EQ(explore(p).verdict, Verdict::safe);
  const auto q = load_text(l.text + "never count ESTABLISHED 127.0.0.1:5000 -> 127.0.0.1:80 >= 1\n");
  const auto r = explore(q);
  ASSERT_EQ(r.verdict, Verdict::violation);
  EXPECT_EQ(last(r).what, "connect(c, 127.0.0.1:80) = 0");
  expect_replays(r, "4-tuple count");
}

}  // namespace
// ---- Properties over call results (issue #5: `never connect(c) = -1 EADDRNOTAVAIL`) ----

TEST(ExploreCallProperties, NeverEaddrnotavail_IsViolatedByTheRedial_AndTheReplayEndsWithTheForbiddenResult) {
  const auto r = explore(load_example("explore-redial-never-eaddrnotavail.pls"));
  ASSERT_EQ(r.verdict, Verdict::violation);
  EXPECT_EQ(r.counterexample->kind, "never");
  EXPECT_EQ(last(r).what, "connect(c2, 10.0.0.2:80)");
  EXPECT_EQ(last(r).result, "-1 EADDRNOTAVAIL");
  EXPECT_TRUE(last(r).failed);
  EXPECT_NE(r.counterexample->message.find("'never client: connect(c2) = -1 EADDRNOTAVAIL' is violated by the call"),
            std::string::npos)
      << r.counterexample->message;
  EXPECT_NE(r.counterexample->replay.find("client: connect(c2, 10.0.0.2:80) != -1 EADDRNOTAVAIL   # the property"),
            std::string::npos)
      << r.counterexample->replay;
  expect_replays(r, "never connect(c2)");
}

TEST(ExploreCallProperties, MatchOnlyTheirCallAndVariable_AndOnlyUnderTheirOses) {
  // close(c) returns 0; the property is about close(d), which no step calls.
  const auto other_var = load_text("c = socket(inet, stream)\nd = socket(inet, stream)\nnever close(d) = 0\n"
                                   "process p {\n  close(c) = 0\n}\n");
  EXPECT_EQ(explore(other_var).verdict, Verdict::safe);
  // The same call and variable, but a property for FreeBSD only.
  const auto l = load_text("c = socket(inet, stream)\nnever close(c) = 0 @freebsd\nprocess p {\n  close(c) = 0\n}\n");
  EXPECT_EQ(explore(l, "linux").verdict, Verdict::safe);
  const auto f = explore(l, "freebsd");
  ASSERT_EQ(f.verdict, Verdict::violation);
  expect_replays(f, "never close(c) @freebsd");
}

TEST(ExploreCallProperties, AlwaysIsViolatedByAnyOtherResult_AndMinusOneMeansAnyError) {
  const auto l = load_text(R"(c = socket(inet, stream)
d = socket(inet, stream)
always bind(d) = 0
process p {
  bind(c, 127.0.0.1:7000) = 0
}
process q {
  bind(d, 127.0.0.1:7000)
}
)");
  const auto r = explore(l);
  ASSERT_EQ(r.verdict, Verdict::violation);
  EXPECT_EQ(r.counterexample->kind, "always");
  EXPECT_EQ(last(r).result, "-1 EADDRINUSE");
  EXPECT_NE(r.counterexample->replay.find("bind(d, 127.0.0.1:7000) = 0   # the property"), std::string::npos)
      << r.counterexample->replay;
  expect_replays(r, "always bind(d) = 0");
  const auto any = load_text(R"(c = socket(inet, stream)
d = socket(inet, stream)
never bind(d) = -1
process p {
  bind(c, 127.0.0.1:7000) = 0
}
process q {
  bind(d, 127.0.0.1:7000)
}
)");
  const auto a = explore(any);
  ASSERT_EQ(a.verdict, Verdict::violation);
  EXPECT_NE(a.counterexample->replay.find("bind(d, 127.0.0.1:7000) != -1   # the property"), std::string::npos)
      << a.counterexample->replay;
  expect_replays(a, "never bind(d) = -1");
}

// ---- Network nondeterminism: `network interleave` (issue #5) ----

ExploreOptions interleaved() {
  ExploreOptions o;
  o.network_interleave = true;
  return o;
}

TEST(ExploreInterleave, DeliveryOrder_DecidesTheVerdict_SafeWhenTheNetworkSettles_UnsafeWhenHeld) {
  const auto l = load_example("explore-delivery-order.pls");
  const auto settled = explore(l);
  EXPECT_EQ(settled.verdict, Verdict::safe);
  const auto held = explore(l, "linux", interleaved());
  ASSERT_EQ(held.verdict, Verdict::violation);
  EXPECT_EQ(held.counterexample->kind, "never");
  // The peer's FIN is still in flight when our shutdown() sends ours: the FINs cross, and the
  // peer's ACK of our FIN puts the client in TIME-WAIT.
  const auto& t = held.counterexample->trace;
  ASSERT_GE(t.size(), 3u);
  EXPECT_EQ(t[t.size() - 4].what, "client: shutdown(c, SHUT_WR) = 0");
  for (std::size_t i = t.size() - 3; i < t.size(); ++i) {
    EXPECT_EQ(t[i].who, "network");
    EXPECT_EQ(t[i].what.rfind("deliver ", 0), 0u) << t[i].what;
  }
  EXPECT_NE(held.counterexample->replay.find("\nnetwork interleave\n"), std::string::npos);
  EXPECT_NE(held.counterexample->replay.find("\ndeliver 10.0.0.1:5000 -> 10.0.0.2:80\n"), std::string::npos);
  expect_replays(held, "delivery order");
}

TEST(ExploreInterleave, TheScriptsNetworkLine_TurnsItOn_AndTheOptionOverridesIt) {
  auto text = read_file(std::string(PORTLAB_SOURCE_DIR) + "/examples/explore-delivery-order.pls");
  text.replace(text.find("server: l = socket"), 0, "network interleave\n");
  const auto l = load_text(text, "examples/explore-delivery-order.pls");
  EXPECT_EQ(explore(l).verdict, Verdict::violation);
  ExploreOptions settle;
  settle.network_interleave = false;
  EXPECT_EQ(explore(l, "linux", settle).verdict, Verdict::safe);
}

TEST(ExploreInterleave, HeldSegmentsArePartOfTheState_MoreStatesThanWhenTheNetworkSettles) {
  const auto l = load_example("explore-linger0-safe.pls");
  const auto settled = explore(l);
  const auto held = explore(l, "linux", interleaved());
  EXPECT_NE(held.verdict, Verdict::limit);
  EXPECT_GT(held.stats.states, settled.stats.states);
}

TEST(ExploreInterleave, RandomRuns_ReachOnlyStatesTheSearchExplored) {
  for (const char* name : {"explore-delivery-order.pls", "explore-linger0-safe.pls"}) {
    const auto l = load_example(name);
    ExploreOptions o = interleaved();
    o.keep_fingerprints = true;
    o.timers_when_idle = true;
    const auto r = explore(l, "linux", o);
    ASSERT_FALSE(r.fingerprints.empty());
    for (std::uint64_t walk = 1; walk <= 20; ++walk) {
      for (std::uint64_t fp : random_run_fingerprints(l.script, l.text, o, walk)) {
        if (r.verdict == Verdict::violation) break;  // the search stopped early
        EXPECT_TRUE(std::binary_search(r.fingerprints.begin(), r.fingerprints.end(), fp)) << name << " walk " << walk;
      }
    }
  }
}

TEST(ExploreInterleave, OneAndTwoThreads_GiveTheSameVerdictStatesAndCounterexample) {
  for (const char* name : {"explore-delivery-order.pls", "explore-shutdown-then-linger0.pls", "ice-tcp-redial.pls"}) {
    const auto l = load_example(name);
    ExploreOptions one = interleaved(), two = interleaved();
    two.threads = 2;
    const auto a = explore(l, "linux", one);
    const auto b = explore(l, "linux", two);
    EXPECT_EQ(a.verdict, b.verdict) << name;
    EXPECT_EQ(a.stats.states, b.stats.states) << name;
    EXPECT_EQ(a.stats.transitions, b.stats.transitions) << name;
    ASSERT_EQ(a.counterexample.has_value(), b.counterexample.has_value()) << name;
    if (a.counterexample) {
      EXPECT_EQ(a.counterexample->replay, b.counterexample->replay) << name;
      expect_replays(a, name);
    }
  }
}

// `portlab check` under `network interleave`: what a replay script relies on.
CheckReport check_text(const std::string& text) {
  auto parsed = script::parse_script(text, "t.pls");
  if (!parsed.script) {
    ADD_FAILURE() << parsed.error->render();
    return {};
  }
  auto run = run_check(*parsed.script, text, {});
  if (!run.report) {
    ADD_FAILURE() << run.error->render();
    return {};
  }
  return std::move(*run.report);
}

TEST(CheckInterleave, SegmentsWaitInTheirFlow_UntilDeliverMovesTheHead) {
  const auto r = check_text(R"(host a 10.0.0.1
host b 10.0.0.2
network interleave
b: l = socket(inet, stream)
b: bind(l, 0.0.0.0:80) = 0
b: listen(l, 16) = 0
a: c = socket(inet, stream, nonblock)
a: bind(c, 10.0.0.1:5000) = 0
a: connect(c, 10.0.0.2:80) = -1 EINPROGRESS
expect a: state c == SYN_SENT
expect b: count SYN_RECV == 0
deliver 10.0.0.1:5000 -> 10.0.0.2:80
expect b: count SYN_RECV == 1
expect a: state c == SYN_SENT
deliver 10.0.0.2:80 -> 10.0.0.1:5000
expect a: state c == ESTABLISHED
deliver 10.0.0.1:5000 -> 10.0.0.2:80
expect b: count ESTABLISHED == 1
deliver 10.0.0.1:5000 -> 10.0.0.2:80
)");
  ASSERT_EQ(r.failures, 1) << format_text(r);
  EXPECT_EQ(r.steps.back().result, "nothing held");
  EXPECT_NE(r.steps.back().message.find("no segment is held on the flow 10.0.0.1:5000 -> 10.0.0.2:80"),
            std::string::npos);
}

TEST(CheckInterleave, ABlockingCall_ReleasesTheHeldNetwork_ThenHoldingResumes) {
  const auto r = check_text(R"(host a 10.0.0.1
host b 10.0.0.2
network interleave
b: l = socket(inet, stream)
b: bind(l, 0.0.0.0:80) = 0
b: listen(l, 16) = 0
a: c = socket(inet, stream)
a: bind(c, 10.0.0.1:5000) = 0
a: connect(c, 10.0.0.2:80) = 0
b: x = accept(l)
expect b: count ESTABLISHED == 1
a: close(c) = 0
expect a: state 10.0.0.1:5000 -> 10.0.0.2:80 == FIN_WAIT1
expect b: state 10.0.0.2:80 -> 10.0.0.1:5000 == ESTABLISHED
deliver 10.0.0.1:5000 -> 10.0.0.2:80
expect b: state 10.0.0.2:80 -> 10.0.0.1:5000 == CLOSE_WAIT
)");
  EXPECT_EQ(r.failures, 0) << format_text(r);
  EXPECT_EQ(r.checks, 9) << format_text(r);
}

TEST(CheckInterleave, DeliverWithoutInterleave_IsALocatedError) {
  const std::string text = "host a 10.0.0.1\nhost b 10.0.0.2\ndeliver 10.0.0.1:5000 -> 10.0.0.2:80\n";
  auto parsed = script::parse_script(text, "t.pls");
  ASSERT_TRUE(parsed.script);
  auto run = run_check(*parsed.script, text, {});
  ASSERT_TRUE(run.error);
  EXPECT_EQ(run.error->loc.line, 3);
  EXPECT_NE(run.error->message.find("expected a 'network interleave' line"), std::string::npos) << run.error->message;
}

// ---- Bounded SYN loss (`--drops N`, with network interleave) ----

// A blocking connect releases every held segment: c's handshake completes with it, unless c's SYN
// was lost first. With timers only when idle, no retransmission can time c out meanwhile.
constexpr const char* kLostSyn = R"(host a 10.0.0.1
host b 10.0.0.2
network interleave
b: l = socket(inet, stream)
b: bind(l, 0.0.0.0:80) = 0
b: listen(l, 16) = 0
a: c = socket(inet, stream, nonblock)
a: connect(c, 10.0.0.2:80) = -1 EINPROGRESS
a: d = socket(inet, stream)
a: connect(d, 10.0.0.2:80) = 0
expect a: state c == ESTABLISHED
)";

TEST(ExploreDrops, ALostSyn_IsAChoicePointOnlyWhenAllowed_AndReplaysAsADropStep) {
  const auto l = load_text(kLostSyn);
  ExploreOptions o;
  o.timers_when_idle = true;
  EXPECT_EQ(explore(l, "linux", o).verdict, Verdict::safe);
  o.max_drops = 1;
  const auto r = explore(l, "linux", o);
  ASSERT_EQ(r.verdict, Verdict::violation);
  int drops = 0;
  for (const auto& t : r.counterexample->trace) drops += t.what.rfind("drop ", 0) == 0;
  EXPECT_EQ(drops, 1);
  EXPECT_EQ(last(r).result, "SYN-SENT");
  EXPECT_NE(r.counterexample->replay.find("\ndrop 10.0.0.1:"), std::string::npos) << r.counterexample->replay;
  EXPECT_NE(format_text(r).find("at most 1 SYN lost per run (assumption sim.loss-syn-only"), std::string::npos);
  expect_replays(r, "lost SYN");
  ExploreOptions two = o;
  two.threads = 2;
  const auto b = explore(l, "linux", two);
  EXPECT_EQ(b.stats.states, r.stats.states);
  EXPECT_EQ(b.counterexample->replay, r.counterexample->replay);
}

TEST(ExploreDrops, WithoutInterleave_IsAnError) {
  const auto l = load_example("explore-linger0-safe.pls");
  ExploreOptions o;
  o.max_drops = 1;
  o.profile = profile("linux");
  auto run = run_explore(l.script, l.text, o);
  ASSERT_TRUE(run.error);
  EXPECT_NE(run.error->message.find("needs network interleave"), std::string::npos) << run.error->message;
}

TEST(CheckInterleave, Drop_LosesTheHeadSynOnly) {
  const auto r = check_text(R"(host a 10.0.0.1
host b 10.0.0.2
network interleave
b: l = socket(inet, stream)
b: bind(l, 0.0.0.0:80) = 0
b: listen(l, 16) = 0
a: c = socket(inet, stream, nonblock)
a: bind(c, 10.0.0.1:5000) = 0
a: connect(c, 10.0.0.2:80) = -1 EINPROGRESS
drop 10.0.0.1:5000 -> 10.0.0.2:80
expect b: count SYN_RECV == 0
wait 1s
deliver 10.0.0.1:5000 -> 10.0.0.2:80
expect b: count SYN_RECV == 1
drop 10.0.0.2:80 -> 10.0.0.1:5000
)");
  ASSERT_EQ(r.failures, 1) << format_text(r);
  EXPECT_EQ(r.steps.back().result, "not a SYN");
  EXPECT_NE(r.steps.back().message.find("only a SYN can be dropped"), std::string::npos);
}

}  // namespace portlab::sim
