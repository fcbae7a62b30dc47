// Model invariants as RapidCheck properties on the model alone (no kernel), for every profile:
// random call sequences on one host (loopback, fixed and ephemeral ports), checked after every
// call.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "model/linux_profile.h"
#include "props/test_support.h"
#include "props/uniform.h"
#include "sim/check.h"
#include "sim/host_handle.h"
#include "sim/script/parser.h"
#include "sim/world.h"

namespace portlab::props {
namespace {

using model::Endpoint;
using model::Family;
using model::SockOpt;
using model::TcpState;

// Every profile the model has; each invariant runs for each.
std::vector<const model::Profile*> profiles() { return {&model::linux_profile()}; }

// `pair` is a macro (listener on 127.0.0.1:7000 if possible, a client connected to it, the
// accepted socket) so that connections, closes and TIME-WAIT are common in short sequences.
// `abort` is SO_LINGER {1, 0} then close() on one descriptor, `exchange` a `pair` whose client
// then accepted socket close (the client enters TIME-WAIT): apart, the calls rarely meet the same
// connection in a short sequence of random descriptors.
enum class OpKind : int { socket, reuseaddr, reuseport, linger0, bind, listen, connect, accept, send, recv, shut_wr, close, pair, abort, exchange, wait };
constexpr int kOpKinds = static_cast<int>(OpKind::wait) + 1;

struct Op {
  OpKind kind = OpKind::socket;
  int sock = 0;  // index into the open descriptors (modulo their count)
  int addr = 0;
  int port = 0;
  int ms = 0;
};

const char* const kOpNames[] = {"socket", "reuseaddr", "reuseport", "linger0", "bind", "listen", "connect", "accept",
                                 "send",   "recv",      "shut_wr",   "close",   "pair", "abort",  "exchange", "wait"};
static_assert(std::size(kOpNames) == kOpKinds);

// How RapidCheck prints an Op in a counterexample (found by ADL).
void showValue(const Op& op, std::ostream& os) {
  os << kOpNames[static_cast<int>(op.kind)] << "(sock " << op.sock << ", addr " << op.addr << ", port " << op.port;
  if (op.kind == OpKind::wait) os << ", " << op.ms << " ms";
  os << ")";
}

Op gen_op() {
  Op op;
  op.kind = static_cast<OpKind>(uniform_in(0, kOpKinds));
  op.sock = uniform_in(0, 8);
  op.addr = uniform_in(0, 4);
  op.port = uniform_in(0, 4);
  op.ms = *rc::gen::element(1, 10, 500, 30000);
  return op;
}

const char* const kAddrs[] = {"127.0.0.1", "0.0.0.0", "[::]", "[::1]"};
const std::uint16_t kPortsOf[] = {0, 7000, 7001, 7000};

std::string wire_key(const model::ConnectionView& c) {
  auto w = [](Endpoint e) {
    if (auto v4 = e.addr.unmapped_v4()) e.addr = *v4;
    return e.to_string();
  };
  return w(c.local) + " -> " + (c.remote ? w(*c.remote) : "*");
}

// One host, driven through HostHandle as `portlab check` drives it, remembering what the
// invariants need.
struct Driver {
  explicit Driver(const model::Profile* p, std::uint64_t seed)
      : world(seed, {{"local", {}, {}, p}}), host(world, 0) {}

  sim::World world;
  sim::HostHandle host;
  std::vector<model::Fd> fds;
  std::set<model::Fd> linger0;
  std::vector<std::string> trace;

  // Applies one op; returns the call's outcome (nullopt for waits and ops with no descriptor).
  std::optional<sim::CallOutcome> apply(const Op& op) {
    if (op.kind == OpKind::wait) {
      world.advance_to(world.now() + std::chrono::milliseconds(op.ms));
      trace.push_back("wait");
      return std::nullopt;
    }
    world.advance_to(world.now() + std::chrono::milliseconds(1));
    if (op.kind == OpKind::socket) {
      auto o = host.socket(op.addr >= 2 ? Family::inet6 : Family::inet, false, op.port == 3 ? 65534 : 0);
      if (!o.result.failed()) fds.push_back(static_cast<model::Fd>(o.result.value));
      record("socket", o);
      return o;
    }
    if (op.kind == OpKind::pair || op.kind == OpKind::exchange) {
      const auto lo = *model::IpAddress::parse("127.0.0.1");
      auto l = host.socket(Family::inet, false, 0);
      record("socket", l);
      if (l.result.failed()) return l;
      const auto lfd = static_cast<model::Fd>(l.result.value);
      fds.push_back(lfd);
      if (op.addr % 2) record("call", host.setsockopt(lfd, SockOpt::so_reuseaddr, std::int64_t{1}));
      record("call", host.bind(lfd, Endpoint{lo, 7000}));
      record("call", host.listen(lfd, 128));
      auto c = host.socket(Family::inet, false, 0);
      record("socket", c);
      if (c.result.failed()) return c;
      const auto cfd = static_cast<model::Fd>(c.result.value);
      fds.push_back(cfd);
      if (op.port % 2) record("call", host.setsockopt(cfd, SockOpt::so_reuseaddr, std::int64_t{1}));
      if (op.port >= 2) record("call", host.bind(cfd, Endpoint{lo, 7001}));
      record("call", host.connect(cfd, Endpoint{lo, 7000}));
      // Accept from whichever socket listens on 7000 (this one, or an earlier listener).
      std::optional<model::Fd> afd;
      for (const auto f : std::vector<model::Fd>(fds)) {
        if (d_state(f) != TcpState::listen) continue;
        auto a = host.accept(f);
        record("call", a);
        if (!a.result.failed() && !a.blocked_forever) afd = static_cast<model::Fd>(a.result.value);
        break;
      }
      if (afd) fds.push_back(*afd);
      if (op.kind == OpKind::exchange) {
        for (const auto f : {std::optional<model::Fd>(cfd), afd}) {
          if (!f) continue;
          record("call", host.close(*f));
          std::erase(fds, *f);
        }
      }
      return c;
    }
    if (fds.empty()) return std::nullopt;
    const model::Fd fd = fds[static_cast<std::size_t>(op.sock) % fds.size()];
    const auto family_addr = [&](int i) { return *model::IpAddress::parse(kAddrs[i]); };
    sim::CallOutcome o;
    switch (op.kind) {
      case OpKind::reuseaddr: o = host.setsockopt(fd, SockOpt::so_reuseaddr, std::int64_t{1}); break;
      case OpKind::reuseport: o = host.setsockopt(fd, SockOpt::so_reuseport, std::int64_t{1}); break;
      case OpKind::linger0:
        o = host.setsockopt(fd, SockOpt::so_linger, model::Linger{true, 0});
        if (!o.result.failed()) linger0.insert(fd);
        break;
      case OpKind::bind: o = host.bind(fd, Endpoint{family_addr(op.addr), kPortsOf[op.port]}); break;
      case OpKind::listen: o = host.listen(fd, 128); break;
      case OpKind::connect: {
        const auto dst = op.addr >= 2 ? "[::1]" : "127.0.0.1";
        o = host.connect(fd, Endpoint{*model::IpAddress::parse(dst), op.port % 2 ? std::uint16_t{7001} : std::uint16_t{7000}});
        break;
      }
      case OpKind::accept: {
        o = host.accept(fd);
        if (!o.result.failed() && !o.blocked_forever) fds.push_back(static_cast<model::Fd>(o.result.value));
        break;
      }
      case OpKind::send: o = host.send(fd, 10); break;
      case OpKind::recv: o = host.recv(fd, 10); break;
      case OpKind::shut_wr: o = host.shutdown(fd, false, true); break;
      case OpKind::abort:
        if (!host.setsockopt(fd, SockOpt::so_linger, model::Linger{true, 0}).result.failed()) linger0.insert(fd);
        [[fallthrough]];
      case OpKind::close:
        o = host.close(fd);
        std::erase(fds, fd);
        linger0.erase(fd);
        break;
      default: break;
    }
    record("call", o);
    return o;
  }

  std::optional<TcpState> d_state(model::Fd f) { return host.host().socket_state(f); }

  // TIME-WAIT entries by 4-tuple, with the instant they were entered. Calls happen at distinct
  // instants and segments take no time, so the call after which one is first seen entered it.
  std::map<std::string, model::TimePoint> time_wait_since;

  void record(const char* what, const sim::CallOutcome& o) {
    std::set<std::string> in_time_wait;
    for (const auto& c : host.connections()) {
      if (!(c.time_wait_entry && c.state == TcpState::time_wait)) continue;
      in_time_wait.insert(wire_key(c));
      time_wait_since.emplace(wire_key(c), world.now());
    }
    std::erase_if(time_wait_since, [&](const auto& e) { return !in_time_wait.count(e.first); });
    std::string line = what;
    line += " " + std::to_string(o.result.value) + " " + std::string(model::name(o.result.err)) +
            (o.result.rule ? " " + std::string(o.result.rule->id) : "") + (o.blocked_forever ? " blocked" : "");
    for (const auto& c : host.connections()) line += " | " + c.key() + " " + std::string(model::name(c.state));
    trace.push_back(line);
  }
};

std::vector<Op> gen_ops() { return *rc::gen::container<std::vector<Op>>(rc::gen::exec(gen_op)); }

void for_each_profile(const std::function<void(const model::Profile*)>& f) {
  for (const auto* p : profiles()) f(p);
}

rc::detail::TestParams params() {
  auto p = rc::detail::configuration().testParams;
  p.maxSuccess = test::env_int("PORTLAB_PROPS_MODEL_CASES", 300);
  p.maxSize = test::ci_max_size();
  return p;
}

// Runs the property; `reached` names RC_TAGs that must each show up in at least one case, so
// that a property whose situation the generator never builds does not pass vacuously.
void check(const char* name, const std::function<void()>& property, std::vector<std::string> reached = {}) {
  const auto p = params();
  std::cerr << "props: " << name << ": seed=" << p.seed << " cases=" << p.maxSuccess << " (reproduce with RC_PARAMS=\"seed="
            << p.seed << "\")\n";
  const auto result = rc::detail::checkTestable(property, rc::detail::TestMetadata{name, name}, p);
  std::ostringstream msg;
  rc::detail::printResultMessage(result, msg);
  rc::detail::SuccessResult ok;
  EXPECT_TRUE(result.match(ok)) << msg.str();
  std::cerr << msg.str() << "\n";
  if (!result.match(ok)) return;
  std::set<std::string> tags;
  for (const auto& [case_tags, n] : ok.distribution)
    for (const auto& t : case_tags) tags.insert(t);
  // RapidCheck records a tag as its printed value: a string comes with quotes.
  for (const auto& want : reached)
    EXPECT_TRUE(tags.count('"' + want + '"')) << name << ": no case reached \"" << want << "\" (seed " << p.seed << ")";
}


TEST(ModelInvariants, NoTwoSocketsShareAFourTuple) {
  check("no two non-closed sockets share a 4-tuple", [] {
    for_each_profile([](const model::Profile* p) {
      Driver d(p, *rc::gen::arbitrary<std::uint32_t>());
      for (const auto& op : gen_ops()) {
        d.apply(op);
        std::set<std::string> seen;
        for (const auto& c : d.host.connections()) {
          if (!c.remote || c.state == TcpState::closed) continue;
          RC_ASSERT(seen.insert(wire_key(c)).second);
        }
      }
    });
  });
}

TEST(ModelInvariants, EveryResultHasARuleId) {
  check("every result has a rule id", [] {
    for_each_profile([](const model::Profile* p) {
      Driver d(p, *rc::gen::arbitrary<std::uint32_t>());
      for (const auto& op : gen_ops()) {
        auto o = d.apply(op);
        if (o && !o->blocked_forever) RC_ASSERT(o->result.rule != nullptr);
      }
    });
  });
}

TEST(ModelInvariants, Linger0CloseInEstablishedNeverLeavesTimeWait) {
  check("linger-0 close in ESTABLISHED never leaves TIME-WAIT", [] {
    for_each_profile([](const model::Profile* p) {
      Driver d(p, *rc::gen::arbitrary<std::uint32_t>());
      for (const auto& op : gen_ops()) {
        std::optional<std::string> abortive;
        if ((op.kind == OpKind::close || op.kind == OpKind::abort) && !d.fds.empty()) {
          const model::Fd fd = d.fds[static_cast<std::size_t>(op.sock) % d.fds.size()];
          if ((op.kind == OpKind::abort || d.linger0.count(fd)) &&
              d.host.host().socket_state(fd) == TcpState::established) {
            for (const auto& c : d.host.connections())
              if (c.fd == fd) abortive = wire_key(c);
          }
        }
        d.apply(op);
        if (!abortive) continue;
        RC_TAG("abortive close");
        for (const auto& c : d.host.connections())
          RC_ASSERT(!(c.state == TcpState::time_wait && wire_key(c) == *abortive));
      }
    });
  }, {"abortive close"});
}

TEST(ModelInvariants, TimeWaitDisappearsExactlyAtItsDeadline) {
  check("a TIME-WAIT entry disappears exactly at its deadline", [] {
    for_each_profile([](const model::Profile* p) {
      Driver d(p, *rc::gen::arbitrary<std::uint32_t>());
      // The Driver notes when each TIME-WAIT entry was entered (Driver::time_wait_since, updated
      // after every call, so a 4-tuple recycled and closed again within one op is a new entry).
      for (auto op : gen_ops()) {
        if (op.kind == OpKind::wait) continue;  // keep entries alive: the check below does the waiting
        d.apply(op);
      }
      const auto duration = p->time_wait_duration(d.host.host().knobs());
      const auto entered = d.time_wait_since;
      for (const auto& [key_, t0] : entered) {
        const auto& key = key_;  // a plain reference: clang 14 cannot capture a structured binding
        RC_TAG("TIME-WAIT seen");
        auto present = [&] {
          for (const auto& c : d.host.connections())
            if (c.time_wait_entry && c.state == TcpState::time_wait && wire_key(c) == key) return true;
          return false;
        };
        if (!present()) continue;  // recycled or reset by a later call
        RC_LOG() << p->name << ": " << key << " entered TIME-WAIT at " << t0.time_since_epoch().count() << " ns, lasts "
                 << duration.count() << " ns\n";
        d.world.advance_to(t0 + duration - std::chrono::nanoseconds(1));
        RC_ASSERT(present());
        d.world.advance_to(t0 + duration);
        RC_ASSERT(!present());
        RC_TAG("TIME-WAIT expired");
      }
    });
  }, {"TIME-WAIT seen", "TIME-WAIT expired"});
}

TEST(ModelInvariants, SameSeedSameTrace) {
  check("same seed, same trace", [] {
    for_each_profile([](const model::Profile* p) {
      const auto seed = *rc::gen::arbitrary<std::uint32_t>();
      const auto ops = gen_ops();
      Driver a(p, seed);
      Driver b(p, seed);
      for (const auto& op : ops) a.apply(op);
      for (const auto& op : ops) b.apply(op);
      RC_ASSERT(a.trace == b.trace);
    });
  });
}

}  // namespace
}  // namespace portlab::props
