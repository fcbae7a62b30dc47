// Fixtures for the specification tests of the non-Linux profiles (semantics.md §3-§6): a
// sim::World whose hosts each run a chosen profile, with the same one-line call wrappers and
// state builders as LinuxWorld (sim/test_support.h), but addressed by host index and profile.
//
//   OsWorld w(model::freebsd_profile());       // "a" = 10.0.0.1 (+ 10.0.0.3), "b" = 10.0.0.2
//   OsWorld x(model::linux_profile(), &model::windows_profile());  // a Linux client, a Windows peer
//
// Host 0 ("a") is the host under test; host 1 ("b") is a remote peer, so that TIME-WAIT towards
// it is not subject to "local peer" rules such as FreeBSD's nolocaltimewait.
//
// Test-only header: never included by the libraries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/profile.h"
#include "model/test_support.h"
#include "sim/test_support.h"
#include "sim/world.h"

namespace portlab::testing {

constexpr std::size_t kA = 0;  // the host under test: 10.0.0.1 and 10.0.0.3
constexpr std::size_t kB = 1;  // the remote peer: 10.0.0.2

class OsWorld {
 public:
  // "a" runs `a`, "b" runs `b` (default: the same profile as "a").
  explicit OsWorld(const model::Profile& a, const model::Profile* b = nullptr, std::uint64_t seed = 1)
      : world_(seed, {sim::HostSpec{"a", {{ip("10.0.0.1"), 24}, {ip("10.0.0.3"), 24}}, {}, &a},
                      sim::HostSpec{"b", {{ip("10.0.0.2"), 24}}, {}, b ? b : &a}}) {}

  sim::World& world() { return world_; }
  model::Host& host(std::size_t h = kA) { return world_.host(h); }

  void knob(std::string_view name, std::string_view value, std::size_t h = kA) { set_knob(host(h), name, value); }

  // ---- calls ----------------------------------------------------------------------------------

  model::Fd socket(SocketSpec spec = {}, std::size_t h = kA) {
    return static_cast<model::Fd>(must(host(h).socket(spec.family, spec.nonblock, spec.uid), "socket").value);
  }
  model::CallResult setopt(model::Fd fd, model::SockOpt opt, model::OptValue v, std::size_t h = kA) {
    return host(h).setsockopt(fd, opt, v);
  }
  model::CallResult getopt(model::Fd fd, model::SockOpt opt, std::size_t h = kA) {
    return host(h).getsockopt(fd, opt);
  }
  void flag(model::Fd fd, model::SockOpt opt, std::size_t h = kA) {
    must(setopt(fd, opt, std::int64_t{1}, h), model::name(opt));
  }
  void linger(model::Fd fd, bool on, std::int32_t value, std::size_t h = kA,
              model::SockOpt opt = model::SockOpt::so_linger) {
    must(setopt(fd, opt, model::Linger{on, value}, h), model::name(opt));
  }
  model::CallResult bind(model::Fd fd, std::string_view at, std::size_t h = kA) { return host(h).bind(fd, ep(at)); }
  model::CallResult listen(model::Fd fd, int backlog = 128, std::size_t h = kA) { return host(h).listen(fd, backlog); }
  model::CallResult connect(model::Fd fd, std::string_view to, std::size_t h = kA) {
    const auto dst = ep(to);
    return run(h, fd, 0, [&](model::Host& x, std::vector<model::Segment>& out) {
             return x.connect(fd, dst, world_.now(), out);
           }).result;
  }
  model::CallResult accept(model::Fd fd, std::size_t h = kA) {
    return run(h, fd, 0, [&](model::Host& x, std::vector<model::Segment>&) { return x.accept(fd); }).result;
  }
  model::CallResult send(model::Fd fd, std::int64_t bytes, std::size_t h = kA) {
    return run(h, fd, bytes, [&](model::Host& x, std::vector<model::Segment>& out) {
             return x.send(fd, bytes, world_.now(), out);
           }).result;
  }
  model::CallResult recv(model::Fd fd, std::int64_t bytes = 65536, std::size_t h = kA) {
    return run(h, fd, bytes, [&](model::Host& x, std::vector<model::Segment>& out) {
             return x.recv(fd, bytes, world_.now(), out);
           }).result;
  }
  model::CallResult shutdown(model::Fd fd, bool rd, bool wr, std::size_t h = kA) {
    return run(h, fd, 0, [&](model::Host& x, std::vector<model::Segment>& out) {
             return x.shutdown(fd, rd, wr, world_.now(), out);
           }).result;
  }
  model::CallResult close(model::Fd fd, std::size_t h = kA) { return close_outcome(fd, h).result; }
  sim::CallOutcome close_outcome(model::Fd fd, std::size_t h = kA) {
    return run(h, fd, 0, [&](model::Host& x, std::vector<model::Segment>& out) {
      return x.close(fd, world_.now(), out);
    });
  }

  // ---- time -----------------------------------------------------------------------------------

  model::TimePoint now() const { return world_.now(); }
  void advance(model::Duration d) { world_.advance_to(world_.now() + d); }
  void advance_to(model::TimePoint t) { world_.advance_to(t); }

  // ---- observation ----------------------------------------------------------------------------

  std::optional<model::TcpState> state(std::string_view local, std::string_view remote, std::size_t h = kA) {
    auto c = find_connection(host(h), ep(local), ep(remote));
    if (!c) return std::nullopt;
    return c->state;
  }
  bool has_time_wait(std::string_view local, std::string_view remote, std::size_t h = kA) {
    auto c = find_connection(host(h), ep(local), ep(remote));
    return c && c->state == model::TcpState::time_wait;
  }
  // Rule ids in the world's event log since the last call.
  std::vector<std::string> logged_rules() {
    std::vector<std::string> ids;
    for (const auto& e : world_.take_log())
      if (e.rule) ids.emplace_back(e.rule->id);
    return ids;
  }

  // ---- builders -------------------------------------------------------------------------------

  // socket (with these options set to 1) + bind + listen, all required to succeed.
  model::Fd listener(std::string_view at, std::vector<model::SockOpt> opts = {}, SocketSpec spec = {},
                     std::size_t h = kA) {
    spec.family = ep(at).addr.family();
    const model::Fd fd = socket(spec, h);
    for (auto o : opts) flag(fd, o, h);
    must(bind(fd, at, h), "bind listener");
    must(listen(fd, 128, h), "listen");
    return fd;
  }

  // Connects `client` (on host ch) to `to` and accepts on `lsn` (on host sh); both must succeed.
  Pair establish(model::Fd client, std::string_view to, model::Fd lsn, std::size_t ch = kA, std::size_t sh = kB) {
    const auto c = connect(client, to, ch);
    // A non-blocking connect: EINPROGRESS, which Winsock spells WSAEWOULDBLOCK.
    if (c.err != model::Errno::einprogress && c.err != model::Errno::wsaewouldblock) must(c, "connect");
    if (host(ch).socket_state(client) != model::TcpState::established)
      throw std::runtime_error("establish: the client is not ESTABLISHED");
    const auto a = must(accept(lsn, sh), "accept");
    return {client, static_cast<model::Fd>(a.value)};
  }

  // The active close that leaves the client in TIME-WAIT: the client closes first, the server
  // reads the EOF and closes.
  void client_closes_first(Pair p, std::size_t ch = kA, std::size_t sh = kB) {
    must(close(p.client, ch), "client close");
    const auto eof = must(recv(p.server, 1, sh), "server recv EOF");
    if (eof.value != 0) throw std::runtime_error("server did not see EOF");
    must(close(p.server, sh), "server close");
  }

 private:
  template <class F>
  sim::CallOutcome run(std::size_t h, model::Fd fd, std::int64_t bytes, F&& f) {
    return world_.run_call(h, fd, bytes, f);
  }

  sim::World world_;
};

inline bool has_rule(const std::vector<std::string>& ids, std::string_view id) {
  for (const auto& i : ids)
    if (i == id) return true;
  return false;
}

// Is `id` a rule the profile can cite: in its catalogue or in one of its CallRules slots? The
// non-Linux profiles keep their Rule objects private to their .cpp, so tests name rules by id;
// this catches a misspelt id in a test instead of letting it fail for the wrong reason.
inline bool profile_knows_rule(const model::Profile& p, std::string_view id) {
  for (const model::Rule* r : p.rules)
    if (r && r->id == id) return true;
#define PORTLAB_TEST_SLOT_HAS(n) \
  if (p.calls && p.calls->n && p.calls->n->id == id) return true;
  PORTLAB_CALL_RULE_SLOTS(PORTLAB_TEST_SLOT_HAS)
#undef PORTLAB_TEST_SLOT_HAS
  return false;
}

// EXPECT_TRUE(GivesId(p, result, Errno::eaddrinuse, "freebsd.bind.conflict.exact-duplicate")):
// the errno (ok = success) and the id of the rule that decided it.
inline ::testing::AssertionResult GivesId(const model::Profile& p, const model::CallResult& r, model::Errno err,
                                          std::string_view id) {
  if (!profile_knows_rule(p, id))
    return ::testing::AssertionFailure() << "test bug: profile " << p.name << " has no rule " << id;
  if (r.err == err && rule_id(r) == id) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "got " << describe(r) << ", expected " << model::name(err) << " [" << id
                                       << "]";
}

}  // namespace portlab::testing
