// A world of hosts joined by a network, in virtual time: the discrete-event core that every
// engine (check, simulate, explore) drives. Deterministic: the same seed and the same calls give
// the same trace, byte for byte.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "model/host.h"
#include "model/profile.h"
#include "model/rng.h"
#include "model/segment.h"
#include "model/time.h"

namespace portlab::sim {

using model::Duration;
using model::TimePoint;

struct HostSpec {
  std::string name;
  std::vector<model::InterfaceAddress> addresses;
  std::vector<std::string> devices;
  const model::Profile* profile = nullptr;
};

// One line of the world's event log.
struct LogEvent {
  TimePoint at{};
  std::string host;
  std::string what;
  const model::Rule* rule = nullptr;
};

// What the network does to segments, all seeded by the world's seed. The model retransmits only
// SYNs (a connect()'s, with the profile's tcp_syn_retries and RTO backoff), so only SYNs may be
// lost: losing any other segment would stall a connection the model cannot repair
// (assumption `sim.loss-syn-only`, printed by every engine that enables loss). Duplicates and
// reordering touch only segments without payload, because the model has no reassembly queue
// (assumption `sim.dup-reorder-control-only`).
struct NetworkConfig {
  Duration latency{};       // one-way delay of every segment
  Duration jitter{};        // plus a uniform extra delay in [0, jitter]; FIFO per host pair is kept
  double syn_loss = 0;      // probability that a SYN (not SYN-ACK) is dropped
  double duplicate = 0;     // probability that a payload-less segment arrives twice
  double reorder = 0;       // probability that a payload-less segment is held back, overtaking FIFO
  Duration reorder_delay{}; // how long a reordered segment is held back (default: 2 x latency + 1ms)
};

// A middlebox on the path: segments it matches are dropped, answered with a RST, or delayed.
struct MiddleboxRule {
  enum class Action : std::uint8_t { drop, reset, delay };
  Action action = Action::drop;
  std::optional<model::IpAddress> dst_addr;  // match: destination address (any when empty)
  std::optional<std::uint16_t> dst_port;     // match: destination port (any when empty)
  bool syn_only = true;                      // match only SYNs (connection attempts)
  double probability = 1.0;
  Duration delay{};                          // Action::delay
  TimePoint from{};                          // active in [from, until)
  TimePoint until = TimePoint::max();
};

struct NetworkStats {
  std::uint64_t events = 0;  // segments delivered and timer firings processed
  std::uint64_t segments = 0;
  std::uint64_t syn_lost = 0;
  std::uint64_t duplicated = 0;
  std::uint64_t reordered = 0;
  std::uint64_t middlebox_dropped = 0;
  std::uint64_t middlebox_reset = 0;
  std::uint64_t middlebox_delayed = 0;
  std::uint64_t unroutable = 0;
};

// The result of a call after the world ran as long as the call blocks.
struct CallOutcome {
  model::CallResult result;
  bool blocked_forever = false;  // a blocking call that nothing left in the world can complete
  Duration waited{};             // virtual time the call blocked
  // With set_defer_blocking(true): an accept, recv or send that cannot complete now. The call was
  // made but the world must be thrown away: the caller (explore) retries it later.
  bool would_block = false;
};

class World {
 public:
  World(std::uint64_t seed, std::vector<HostSpec> hosts);

  std::size_t host_count() const { return hosts_.size(); }
  model::Host& host(std::size_t i) { return hosts_[i]; }
  const model::Host& host(std::size_t i) const { return hosts_[i]; }
  const std::string& host_name(std::size_t i) const { return names_[i]; }
  std::optional<std::size_t> find_host(const std::string& name) const;

  TimePoint now() const { return now_; }
  std::uint64_t seed() const { return seed_; }

  // Every segment takes this long to arrive (default: zero, delivered at the same instant).
  void set_latency(Duration d) { net_.latency = d; }
  void set_network(const NetworkConfig& n) { net_ = n; }
  const NetworkConfig& network() const { return net_; }
  void add_middlebox(const MiddleboxRule& r) { middlebox_.push_back(r); }
  const NetworkStats& network_stats() const { return stats_; }
  // Keep host events (timers, segment-driven changes) in the log (on by default); a long
  // simulation that does not print them turns this off so that the log does not grow.
  void set_keep_events(bool on) {
    keep_events_ = on;
    for (auto& h : hosts_) h.set_record_events(on);
  }
  // Record every segment in the log (off by default: a long run would hold millions).
  void set_trace_segments(bool on) { trace_segments_ = on; }
  // `portlab explore`: an accept, recv or send that would wait for another process returns at
  // once with CallOutcome::would_block instead of waiting (see run_call).
  void set_defer_blocking(bool on) { defer_blocking_ = on; }

  // `network interleave`: every segment sent is held in the FIFO queue of its flow (one direction of
  // one 4-tuple: source endpoint -> destination endpoint) instead of travelling, until deliver()
  // takes it. Latency, faults and middleboxes do not apply to held segments. A call that blocks
  // (run_call without deferral) first releases everything held (release_held), and the network
  // then settles as without holding until the call completes: the wait is one atomic step.
  void set_hold(bool on) { hold_ = on; }
  bool holding() const { return hold_; }
  struct HeldFlow {
    model::Endpoint src;
    model::Endpoint dst;
    std::size_t segments = 0;
  };
  // The flows holding at least one segment, in canonical order (by source, then destination).
  std::vector<HeldFlow> held_flows() const;
  // Delivers the head segment of the flow src -> dst now, and holds whatever the receiver sends.
  // Returns the segment delivered (Segment::to_string), or nullopt when the flow holds nothing.
  std::optional<std::string> deliver(const model::Endpoint& src, const model::Endpoint& dst);
  // Drops the head segment of the flow src -> dst if it is a SYN (without ACK): the only segment the
  // model retransmits. Returns it (Segment::to_string); nullopt when the flow holds nothing or its
  // head is not a SYN (`*not_syn` is then set to its text).
  std::optional<std::string> drop_syn(const model::Endpoint& src, const model::Endpoint& dst,
                                      std::string* not_syn = nullptr);
  // Whether the head of the flow src -> dst is a SYN that drop_syn would drop.
  bool head_is_syn(const model::Endpoint& src, const model::Endpoint& dst) const;
  // Delivers every held segment, oldest first (the order they were sent), and what they cause,
  // until nothing is held.
  void release_held();

  // A canonical byte string of the world between calls (nothing in flight): the time, then each
  // host's Host::encode_state. Segments in flight are written too, in delivery order; held segments
  // per flow in canonical flow order, then the order in which the held segments were sent, as flow
  // numbers (it decides what release_held does).
  void encode_state(std::string& out) const;

  // Runs `call` on host `h` at the current time and, while its result is pending (a blocking
  // connect/accept/recv/send, or close() lingering), advances the world until it completes.
  CallOutcome run_call(std::size_t h, model::Fd fd, std::int64_t bytes,
                       const std::function<model::CallResult(model::Host&, std::vector<model::Segment>&)>& call);

  // Runs `call` on host `h` now and returns its result as it is, pending or not: for engines
  // that drive many sockets at once (simulate, explore) and poll pending calls themselves.
  model::CallResult call(std::size_t h,
                         const std::function<model::CallResult(model::Host&, std::vector<model::Segment>&)>& call);
  // Host::poll for a call that `call` left pending; segments it emits are routed.
  std::optional<model::CallResult> poll(std::size_t h, model::Fd fd, model::Pending what, const model::CallResult& first,
                                        std::int64_t bytes);

  // Advances virtual time to `t`, delivering segments and firing timers on the way.
  void advance_to(TimePoint t);
  // The time of the next segment delivery or timer, if any.
  std::optional<TimePoint> next_event_time() const;
  // Delivers everything due now.
  void settle();

  std::vector<LogEvent> take_log();

 private:
  struct InFlight {
    TimePoint at;
    std::uint64_t order;
    std::size_t to;
    model::Segment seg;
    bool operator>(const InFlight& o) const { return at != o.at ? at > o.at : order > o.order; }
  };

  void route(std::size_t from, std::vector<model::Segment>& out);
  void step_to(TimePoint t);
  void enqueue(std::size_t from, std::size_t to, model::Segment seg);
  void collect_host_events(std::size_t h);

  struct Held {
    std::uint64_t order;  // when it was sent, among all held segments
    std::size_t to;       // the receiving host
    model::Segment seg;
  };

  std::uint64_t seed_;
  std::vector<model::Host> hosts_;
  std::vector<std::string> names_;
  TimePoint now_{};
  NetworkConfig net_;
  std::vector<MiddleboxRule> middlebox_;
  NetworkStats stats_;
  model::Rng net_rng_;
  std::map<std::pair<std::size_t, std::size_t>, TimePoint> link_tail_;  // FIFO per host pair
  bool trace_segments_ = false;
  bool keep_events_ = true;
  bool defer_blocking_ = false;
  bool hold_ = false;
  // Invariant: no queue is empty (a flow is erased with its last segment).
  std::map<std::pair<model::Endpoint, model::Endpoint>, std::deque<Held>> held_;
  std::uint64_t order_ = 0;
  std::priority_queue<InFlight, std::vector<InFlight>, std::greater<>> network_;
  std::vector<LogEvent> log_;
};

}  // namespace portlab::sim
