// A world of hosts joined by a network, in virtual time: the discrete-event core that every
// engine (check, simulate, explore) drives. Deterministic: the same seed and the same calls give
// the same trace, byte for byte.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "model/host.h"
#include "model/profile.h"
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
  void set_latency(Duration d) { latency_ = d; }
  // Record every segment in the log (off by default: a long run would hold millions).
  void set_trace_segments(bool on) { trace_segments_ = on; }
  // `portlab explore`: an accept, recv or send that would wait for another process returns at
  // once with CallOutcome::would_block instead of waiting (see run_call).
  void set_defer_blocking(bool on) { defer_blocking_ = on; }

  // A canonical byte string of the world between calls (nothing in flight): the time, then each
  // host's Host::encode_state. Segments in flight are written too, in delivery order.
  void encode_state(std::string& out) const;

  // Runs `call` on host `h` at the current time and, while its result is pending (a blocking
  // connect/accept/recv/send, or close() lingering), advances the world until it completes.
  CallOutcome run_call(std::size_t h, model::Fd fd, std::int64_t bytes,
                       const std::function<model::CallResult(model::Host&, std::vector<model::Segment>&)>& call);

  // Advances virtual time to `t`, delivering segments and firing timers on the way.
  void advance_to(TimePoint t);
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
  std::optional<TimePoint> next_event_time() const;
  void step_to(TimePoint t);
  void collect_host_events(std::size_t h);

  std::uint64_t seed_;
  std::vector<model::Host> hosts_;
  std::vector<std::string> names_;
  TimePoint now_{};
  Duration latency_{};
  bool trace_segments_ = false;
  bool defer_blocking_ = false;
  std::uint64_t order_ = 0;
  std::priority_queue<InFlight, std::vector<InFlight>, std::greater<>> network_;
  std::vector<LogEvent> log_;
};

}  // namespace portlab::sim
