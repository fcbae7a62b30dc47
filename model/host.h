// One host's TCP socket layer: descriptors, sockets, the bind table, the established table,
// TIME-WAIT entries and timers, under one policy profile. Pure and deterministic: time comes
// in as an argument, randomness from the host's own seeded generator, and segments go out
// through an outbox that the caller (the simulator) delivers.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/address.h"
#include "model/errno.h"
#include "model/knobs.h"
#include "model/profile.h"
#include "model/rng.h"
#include "model/rule.h"
#include "model/segment.h"
#include "model/socket_option.h"
#include "model/tcp_fsm.h"
#include "model/tcp_state.h"
#include "model/time.h"

namespace portlab::model {

using Fd = int;

struct InterfaceAddress {
  IpAddress addr;
  int prefix_len = 32;
};

struct HostConfig {
  std::string name = "local";
  std::vector<InterfaceAddress> addresses;  // besides 127.0.0.1/8 and ::1, which every host has
  std::vector<std::string> devices;         // besides "lo"
  std::vector<InterfaceAddress> routes;     // destinations reachable off-host (the simulator fills this)
  std::uint64_t seed = 1;
};

// What a call returns. `pending` is set when a blocking call has to wait for the network or a
// timer; the caller advances the world and asks again (see Host::poll).
enum class Pending : std::uint8_t { none, connect, accept, recv, send, linger };

struct CallResult {
  std::int64_t value = 0;  // 0, a descriptor, a byte count, a port
  Errno err = Errno::ok;
  const Rule* rule = nullptr;
  Pending pending = Pending::none;
  Duration linger_timeout{};      // Pending::linger: the longest close() may wait
  std::optional<Endpoint> endpoint;  // getsockname
  std::optional<OptValue> option;    // getsockopt
  std::uint32_t probes = 0;          // ports examined by an ephemeral search
  bool failed() const { return err != Errno::ok; }
};

// A connection or listener as observed from outside (like `ss -tan`).
struct ConnectionView {
  std::optional<Fd> fd;  // nullopt for orphans, un-accepted children and TIME-WAIT entries
  Endpoint local;
  std::optional<Endpoint> remote;
  TcpState state = TcpState::closed;
  bool time_wait_entry = false;  // a TIME-WAIT minisocket (Linux), possibly in FIN-WAIT-2 substate
  std::string key() const;       // stable identity for diffs: "tuple" or "listen local"
};

// Counts over one host's sockets, cheap enough to sample once per simulated second.
struct HostCensus {
  std::array<std::uint32_t, 11> by_state{};  // indexed by TcpState; TIME-WAIT entries included
  std::uint32_t fin_wait2_entries = 0;       // Linux TIME-WAIT minisockets in the FIN-WAIT-2 substate
  std::uint32_t ports_in_use = 0;            // distinct local ports held by a socket or TIME-WAIT entry
  std::uint32_t ephemeral_in_use = 0;        // ... inside the host's ephemeral range
  std::uint32_t ephemeral_in_use_even = 0;
  std::uint32_t ephemeral_in_use_odd = 0;
  std::uint32_t ephemeral_range = 0;         // ports in the ephemeral range
  std::uint32_t count(TcpState s) const { return by_state[static_cast<std::size_t>(s)]; }
};

// Something that happened without a call (timer, segment): for the event log.
struct HostEvent {
  TimePoint at{};
  std::string what;
  const Rule* rule = nullptr;
};

class Host {
 public:
  Host(const Profile& profile, HostConfig config);
  Host(const Host&);
  Host& operator=(const Host&);
  Host(Host&&) noexcept;
  Host& operator=(Host&&) noexcept;
  ~Host();

  const Profile& profile() const;
  const HostConfig& config() const;
  const Knobs& knobs() const;
  // Sets a knob (sysctl, registry value) by name; returns "" or what was wrong.
  std::string sysctl(std::string_view name, std::string_view value);

  // Socket calls. Segments the call emits are appended to `out`.
  CallResult socket(Family family, bool nonblock, std::uint32_t uid);
  CallResult setsockopt(Fd fd, SockOpt opt, const OptValue& value);
  CallResult getsockopt(Fd fd, SockOpt opt) const;
  CallResult bind(Fd fd, const Endpoint& ep);
  CallResult listen(Fd fd, int backlog);
  CallResult connect(Fd fd, const Endpoint& dst, TimePoint now, std::vector<Segment>& out);
  CallResult accept(Fd fd);
  CallResult send(Fd fd, std::int64_t bytes, TimePoint now, std::vector<Segment>& out);
  CallResult recv(Fd fd, std::int64_t bytes, TimePoint now, std::vector<Segment>& out);
  CallResult shutdown(Fd fd, bool rd, bool wr, TimePoint now, std::vector<Segment>& out);
  CallResult close(Fd fd, TimePoint now, std::vector<Segment>& out);
  CallResult getsockname(Fd fd) const;

  // For a call that returned `pending`: has the condition it waits for come true? nullopt: not
  // yet. A result still marked pending reports progress (a blocking send that queued more; pass
  // it as `first` next time). Otherwise the call's final result. For linger, `fd` is the
  // descriptor close() released.
  std::optional<CallResult> poll(Fd fd, Pending what, const CallResult& first, std::int64_t bytes, TimePoint now,
                                 std::vector<Segment>& out);
  // close() with SO_LINGER {1, N>0} gave up waiting: the orphan carries on (or is reset, where
  // the profile says so).
  void linger_expired(Fd fd, TimePoint now, std::vector<Segment>& out);

  // The network delivers a segment addressed to this host.
  void deliver(const Segment& seg, TimePoint now, std::vector<Segment>& out);
  // Fire every timer due at or before `now`.
  void advance(TimePoint now, std::vector<Segment>& out);
  std::optional<TimePoint> next_deadline() const;

  // Record events (timers, segment-driven changes) for take_events (default on).
  void set_record_events(bool on);
  // Remember a failed connect() port search until something it depends on changes (default on;
  // off only to test that the memo never changes a result).
  void set_memoize_port_searches(bool on);

  // Is this address one of the host's (including 127/8 and ::1)?
  bool is_local(const IpAddress& a) const;

  // Observation.
  std::vector<ConnectionView> connections() const;
  std::size_t time_wait_count() const;
  HostCensus census() const;
  std::optional<TcpState> socket_state(Fd fd) const;
  std::optional<std::uint16_t> local_port(Fd fd) const;
  std::vector<HostEvent> take_events();

  // A canonical byte string of the host's state, for explicit-state search (`portlab explore`):
  // two hosts whose encodings are equal behave alike from `now` on. Sockets and TIME-WAIT entries
  // are renumbered in a canonical order (socket ids are not observable), every deadline and
  // timestamp is written relative to `now`, the generator is written as its next two outputs, the
  // ephemeral perturbation table as a 64-bit hash. Left out: the per-host secrets (fixed by the
  // seed), the established-table index (derived from the sockets) and the event log.
  void encode_state(std::string& out, TimePoint now) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace portlab::model
