// Fixtures for scenario tests of the Linux profile that need a running network: a sim::World of
// Linux hosts in virtual time, with one-line wrappers for the socket calls (blocking calls run
// through World::run_call) and builders for the states the specification tables start from
// (listener, established pair, TIME-WAIT).
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

#include "model/linux_profile.h"
#include "model/test_support.h"
#include "sim/world.h"

namespace portlab::testing {

// A socket's SO_REUSEADDR / SO_REUSEPORT, as the semantics.md tables write them: (ra, rp).
struct Reuse {
  bool ra = false;
  bool rp = false;
};

struct SocketSpec {
  model::Family family = model::Family::inet;
  bool nonblock = false;
  std::uint32_t uid = 0;
};

// A connection seen from both ends: the connecting socket and the accepted one.
struct Pair {
  model::Fd client = -1;
  model::Fd server = -1;
};

class LinuxWorld {
 public:
  // One host "local": loopback only (127/8, ::1) plus `devices` besides lo.
  explicit LinuxWorld(std::vector<std::string> devices = {}, std::uint64_t seed = 1)
      : world_(seed, {sim::HostSpec{"local", {}, std::move(devices), &model::linux_profile()}}) {}

  // The same single host under another profile (a Linux version variant).
  static LinuxWorld with_profile(const model::Profile& profile, std::uint64_t seed = 1) {
    return LinuxWorld(sim::World(seed, {sim::HostSpec{"local", {}, {}, &profile}}));
  }

  // Hosts "a" (10.0.0.1), "b" (10.0.0.2), ... on one flat network.
  static LinuxWorld hosts(std::size_t n, std::uint64_t seed = 1) {
    std::vector<sim::HostSpec> specs;
    for (std::size_t i = 0; i < n; ++i) {
      const auto addr = ip("10.0.0." + std::to_string(i + 1));
      specs.push_back({std::string(1, static_cast<char>('a' + i)), {{addr, 24}}, {}, &model::linux_profile()});
    }
    return LinuxWorld(sim::World(seed, std::move(specs)));
  }

  sim::World& world() { return world_; }
  model::Host& host(std::size_t h = 0) { return world_.host(h); }

  void knob(std::string_view name, std::string_view value, std::size_t h = 0) { set_knob(host(h), name, value); }

  // ---- calls ----------------------------------------------------------------------------------

  model::Fd socket(SocketSpec spec = {}, std::size_t h = 0) {
    return static_cast<model::Fd>(must(host(h).socket(spec.family, spec.nonblock, spec.uid), "socket").value);
  }
  model::CallResult setopt(model::Fd fd, model::SockOpt opt, model::OptValue v, std::size_t h = 0) {
    return host(h).setsockopt(fd, opt, v);
  }
  model::CallResult getopt(model::Fd fd, model::SockOpt opt, std::size_t h = 0) { return host(h).getsockopt(fd, opt); }
  void reuse(model::Fd fd, Reuse r, std::size_t h = 0) {
    if (r.ra) must(setopt(fd, model::SockOpt::so_reuseaddr, std::int64_t{1}, h), "SO_REUSEADDR");
    if (r.rp) must(setopt(fd, model::SockOpt::so_reuseport, std::int64_t{1}, h), "SO_REUSEPORT");
  }
  void linger(model::Fd fd, bool on, std::int32_t seconds, std::size_t h = 0) {
    must(setopt(fd, model::SockOpt::so_linger, model::Linger{on, seconds}, h), "SO_LINGER");
  }
  model::CallResult bind(model::Fd fd, std::string_view at, std::size_t h = 0) { return host(h).bind(fd, ep(at)); }
  model::CallResult listen(model::Fd fd, int backlog = 128, std::size_t h = 0) { return host(h).listen(fd, backlog); }
  model::CallResult connect(model::Fd fd, std::string_view to, std::size_t h = 0) {
    return connect_outcome(fd, to, h).result;
  }
  sim::CallOutcome connect_outcome(model::Fd fd, std::string_view to, std::size_t h = 0) {
    const auto dst = ep(to);
    return run(h, fd, 0, [&](model::Host& x, std::vector<model::Segment>& out) {
      return x.connect(fd, dst, world_.now(), out);
    });
  }
  model::CallResult accept(model::Fd fd, std::size_t h = 0) {
    return run(h, fd, 0, [&](model::Host& x, std::vector<model::Segment>&) { return x.accept(fd); }).result;
  }
  model::CallResult send(model::Fd fd, std::int64_t bytes, std::size_t h = 0) {
    return run(h, fd, bytes, [&](model::Host& x, std::vector<model::Segment>& out) {
             return x.send(fd, bytes, world_.now(), out);
           }).result;
  }
  model::CallResult recv(model::Fd fd, std::int64_t bytes = 65536, std::size_t h = 0) {
    return run(h, fd, bytes, [&](model::Host& x, std::vector<model::Segment>& out) {
             return x.recv(fd, bytes, world_.now(), out);
           }).result;
  }
  model::CallResult shutdown(model::Fd fd, bool rd, bool wr, std::size_t h = 0) {
    return run(h, fd, 0, [&](model::Host& x, std::vector<model::Segment>& out) {
             return x.shutdown(fd, rd, wr, world_.now(), out);
           }).result;
  }
  model::CallResult close(model::Fd fd, std::size_t h = 0) { return close_outcome(fd, h).result; }
  sim::CallOutcome close_outcome(model::Fd fd, std::size_t h = 0) {
    return run(h, fd, 0, [&](model::Host& x, std::vector<model::Segment>& out) {
      return x.close(fd, world_.now(), out);
    });
  }
  std::optional<model::Endpoint> sockname(model::Fd fd, std::size_t h = 0) {
    return must(host(h).getsockname(fd), "getsockname").endpoint;
  }

  // ---- time -----------------------------------------------------------------------------------

  model::TimePoint now() const { return world_.now(); }
  void advance(model::Duration d) { world_.advance_to(world_.now() + d); }
  void advance_to(model::TimePoint t) { world_.advance_to(t); }

  // ---- observation ----------------------------------------------------------------------------

  std::optional<model::ConnectionView> find(std::string_view local, std::optional<std::string_view> remote,
                                            std::size_t h = 0) {
    std::optional<model::Endpoint> r;
    if (remote) r = ep(*remote);
    return find_connection(host(h), ep(local), r);
  }
  // The state of the connection local -> remote on host h; nullopt if the host holds none.
  std::optional<model::TcpState> state(std::string_view local, std::string_view remote, std::size_t h = 0) {
    auto c = find(local, remote, h);
    if (!c) return std::nullopt;
    return c->state;
  }
  bool has_time_wait(std::string_view local, std::string_view remote, std::size_t h = 0) {
    auto c = find(local, remote, h);
    return c && c->time_wait_entry && c->state == model::TcpState::time_wait;
  }
  // Rule ids in the world's event log since the last call.
  std::vector<std::string_view> logged_rules() {
    std::vector<std::string_view> ids;
    for (const auto& e : world_.take_log())
      if (e.rule) ids.push_back(e.rule->id);
    return ids;
  }

  // ---- builders -------------------------------------------------------------------------------

  // socket + reuse options + bind + listen, all required to succeed.
  model::Fd listener(std::string_view at, Reuse r = {}, SocketSpec spec = {}, std::size_t h = 0) {
    spec.family = ep(at).addr.family();
    const model::Fd fd = socket(spec, h);
    reuse(fd, r, h);
    must(bind(fd, at, h), "bind listener");
    must(listen(fd, 128, h), "listen");
    return fd;
  }

  // Connects `client` to `to` and accepts the connection on `lsn`, both required to succeed.
  // A non-blocking client's EINPROGRESS is accepted: the world completes the handshake at once.
  Pair establish(model::Fd client, std::string_view to, model::Fd lsn, std::size_t ch = 0, std::size_t sh = 0) {
    const auto c = connect(client, to, ch);
    if (c.err != model::Errno::einprogress) must(c, "connect");
    if (host(ch).socket_state(client) != model::TcpState::established)
      throw std::runtime_error("establish: the client is not ESTABLISHED");
    const auto a = must(accept(lsn, sh), "accept");
    return {client, static_cast<model::Fd>(a.value)};
  }

  // The active close that leaves the client in TIME-WAIT: the client closes first, the server
  // reads the EOF and closes (semantics.md §2.11 "who enters TIME_WAIT").
  void client_closes_first(Pair p, std::size_t ch = 0, std::size_t sh = 0) {
    must(close(p.client, ch), "client close");
    const auto eof = must(recv(p.server, 1, sh), "server recv EOF");
    if (eof.value != 0) throw std::runtime_error("server did not see EOF");
    must(close(p.server, sh), "server close");
  }

 private:
  explicit LinuxWorld(sim::World w) : world_(std::move(w)) {}

  template <class F>
  sim::CallOutcome run(std::size_t h, model::Fd fd, std::int64_t bytes, F&& f) {
    return world_.run_call(h, fd, bytes, f);
  }

  sim::World world_;
};

}  // namespace portlab::testing
