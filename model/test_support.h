// Shared fixtures for the specification tests of the model (semantics.md is the ground truth):
// parsing shorthands, readable printing of results, a "must succeed" check for setup steps, and
// Wire, a hand-driven network of model::Host objects for tests that must hold back, capture or
// craft segments (sim::World always delivers everything at once).
//
// Test-only header: never included by the libraries.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/address.h"
#include "model/errno.h"
#include "model/host.h"
#include "model/linux_profile.h"
#include "model/segment.h"
#include "model/tcp_state.h"
#include "model/time.h"

namespace portlab::model {
// GoogleTest prints these by name in failure messages (found by ADL).
inline void PrintTo(Errno e, std::ostream* os) { *os << name(e); }
inline void PrintTo(TcpState s, std::ostream* os) { *os << name(s); }
inline void PrintTo(const Endpoint& e, std::ostream* os) { *os << e.to_string(); }
inline void PrintTo(const IpAddress& a, std::ostream* os) { *os << a.to_string(); }
}  // namespace portlab::model

namespace portlab::testing {

using namespace std::chrono_literals;

inline model::Endpoint ep(std::string_view text) {
  auto e = model::Endpoint::parse(text);
  if (!e) throw std::invalid_argument("bad endpoint in a test: " + std::string(text));
  return *e;
}

inline model::IpAddress ip(std::string_view text) {
  auto a = model::IpAddress::parse(text);
  if (!a) throw std::invalid_argument("bad address in a test: " + std::string(text));
  return *a;
}

inline std::string_view rule_id(const model::CallResult& r) { return r.rule ? r.rule->id : std::string_view{}; }

// "EADDRINUSE [linux.bind.conflict.no-reuse]" or "ok(3) [linux.socket.ok]".
inline std::string describe(const model::CallResult& r) {
  std::string s = r.failed() ? std::string(model::name(r.err)) : "ok(" + std::to_string(r.value) + ")";
  if (r.rule) s += " [" + std::string(r.rule->id) + "]";
  return s;
}

// A setup step that must succeed; if it does not, the test ends naming the step and the result.
inline model::CallResult must(const model::CallResult& r, std::string_view step) {
  if (r.failed()) throw std::runtime_error("setup step failed: " + std::string(step) + " -> " + describe(r));
  return r;
}

// EXPECT_TRUE(Gives(result, Errno::eaddrinuse, linux_rule::bind_conflict_no_reuse)): the errno
// (ok = success) and the rule that decided it.
inline ::testing::AssertionResult Gives(const model::CallResult& r, model::Errno err, const model::Rule& rule) {
  if (r.err == err && r.rule == &rule) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "got " << describe(r) << ", expected " << model::name(err) << " ["
                                       << rule.id << "]";
}
inline ::testing::AssertionResult Gives(const model::CallResult& r, model::Errno err) {
  if (r.err == err) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "got " << describe(r) << ", expected " << model::name(err);
}

inline model::HostConfig host_config(std::string name, std::vector<std::string> addresses = {},
                                     std::vector<std::string> devices = {}, std::uint64_t seed = 1) {
  model::HostConfig c;
  c.name = std::move(name);
  for (const auto& a : addresses) {
    const auto addr = ip(a);
    c.addresses.push_back({addr, addr.family() == model::Family::inet ? 24 : 64});
  }
  c.devices = std::move(devices);
  c.seed = seed;
  return c;
}

// One Linux host with loopback only (plus `devices`), driven by direct calls.
inline model::Host linux_host(std::vector<std::string> devices = {}, std::uint64_t seed = 1) {
  return model::Host(model::linux_profile(), host_config("local", {}, std::move(devices), seed));
}

inline void set_knob(model::Host& h, std::string_view name, std::string_view value) {
  const std::string err = h.sysctl(name, value);
  if (!err.empty()) throw std::invalid_argument("knob " + std::string(name) + ": " + err);
}

// The connection (or listener, or TIME-WAIT entry) with this local and remote endpoint.
inline std::optional<model::ConnectionView> find_connection(const model::Host& h, const model::Endpoint& local,
                                                            std::optional<model::Endpoint> remote) {
  for (const auto& c : h.connections())
    if (c.local == local && c.remote == remote) return c;
  return std::nullopt;
}

// A segment on its way to a host.
struct Packet {
  std::size_t to = 0;
  model::Segment seg;
};

// Hosts joined by a network that the test drives by hand, in virtual time. Each host is routed
// to the one that owns the destination address (loopback: back to the sender).
class Wire {
 public:
  explicit Wire(std::vector<model::Host*> hosts) : hosts_(std::move(hosts)) {}

  model::TimePoint now() const { return now_; }
  model::Host& host(std::size_t i) { return *hosts_.at(i); }

  // Runs a call on host `h` at the current time; the segments it emits are queued, not delivered.
  template <class F>
  model::CallResult call(std::size_t h, F&& f) {
    std::vector<model::Segment> out;
    model::CallResult r = f(*hosts_.at(h), out, now_);
    queue(h, out);
    return r;
  }

  // Everything queued and not yet delivered; the queue is emptied (the test may reorder or drop).
  std::vector<Packet> hold() { return std::exchange(queue_, {}); }

  // Delivers one segment now; what it causes is queued.
  void deliver(const Packet& p) {
    std::vector<model::Segment> out;
    seen_.push_back(p.seg);
    hosts_.at(p.to)->deliver(p.seg, now_, out);
    queue(p.to, out);
  }

  // Delivers until nothing is in flight (bounded: a ping-pong bug fails instead of hanging).
  void flush() {
    for (int i = 0; i < 100000 && !queue_.empty(); ++i) {
      Packet p = queue_.front();
      queue_.erase(queue_.begin());
      deliver(p);
    }
    if (!queue_.empty()) throw std::runtime_error("Wire::flush: segments keep flowing");
  }

  // Fires every timer due up to `t`, in deadline order, flushing what they emit.
  void advance_to(model::TimePoint t) {
    flush();
    for (int i = 0; i < 100000; ++i) {
      std::optional<model::TimePoint> next;
      for (auto* h : hosts_) {
        auto d = h->next_deadline();
        if (d && (!next || *d < *next)) next = d;
      }
      if (!next || *next > t) break;
      now_ = std::max(now_, *next);
      for (std::size_t k = 0; k < hosts_.size(); ++k) {
        std::vector<model::Segment> out;
        hosts_[k]->advance(now_, out);
        queue(k, out);
      }
      flush();
    }
    now_ = std::max(now_, t);
  }

  // Every segment delivered so far, in order.
  const std::vector<model::Segment>& seen() const { return seen_; }

  // Routes a segment as the network would: to the host that owns its destination address.
  std::size_t route(std::size_t from, const model::Segment& seg) const {
    if (hosts_.at(from)->is_local(seg.dst.addr)) return from;
    for (std::size_t k = 0; k < hosts_.size(); ++k)
      if (hosts_[k]->is_local(seg.dst.addr)) return k;
    throw std::runtime_error("Wire: no host owns " + seg.dst.to_string());
  }

 private:
  void queue(std::size_t from, std::vector<model::Segment>& out) {
    for (auto& s : out) queue_.push_back({route(from, s), std::move(s)});
    out.clear();
  }

  std::vector<model::Host*> hosts_;
  model::TimePoint now_{};
  std::vector<Packet> queue_;
  std::vector<model::Segment> seen_;
};

}  // namespace portlab::testing
