// A policy profile: one OS's socket-layer rules as data (knobs, rule catalogue) plus a few
// small policy functions that the host calls at its decision points. Not a class hierarchy:
// adding an OS means adding one file that defines one of these.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>

#include "model/address.h"
#include "model/errno.h"
#include "model/knobs.h"
#include "model/rng.h"
#include "model/rule.h"
#include "model/socket_option.h"
#include "model/time.h"

namespace portlab::model {

// A socket or TIME-WAIT entry as the bind-conflict check sees it (Linux: the fields that
// inet_bind_conflict and inet_rcv_saddr_equal read).
struct BindOwnerView {
  IpAddress addr;         // bound local address (may be wildcard or v4-mapped)
  Family family = Family::inet;
  bool v6only = false;
  std::string_view device;  // SO_BINDTODEVICE; empty = any
  bool reuseaddr = false;
  bool reuseport = false;
  std::uint32_t uid = 0;
  bool listening = false;
  bool time_wait = false;  // a TIME-WAIT (or FIN-WAIT-2 substate) entry
};

// Why bind() is called: an explicit port, the listen() re-check, or an ephemeral-port probe
// (Linux inet_csk_find_open_port: relax=false first, relax=true under ip_autobind_reuse).
enum class BindMode : std::uint8_t { explicit_port, listen_recheck, ephemeral_strict, ephemeral_relaxed };

struct Decision {
  Errno err = Errno::ok;
  const Rule* rule = nullptr;
  bool ok() const { return err == Errno::ok; }
};

// Who holds an exact 4-tuple when a socket that already owns its port connects.
struct TupleOccupant {
  enum class Kind : std::uint8_t { none, full_socket, time_wait } kind = Kind::none;
  bool ts_recent_seen = false;  // TIME-WAIT: a peer timestamp was recorded (tw_ts_recent_stamp != 0)
  bool fin_wait_2_substate = false;
  TimePoint entered{};          // TIME-WAIT: when it was created
  bool loopback = false;        // TIME-WAIT bound to lo, or addresses in 127/8, ::1
};

// Answers "may this port be used?" for an ephemeral scan; `relaxed` selects the second pass.
using PortProbe = std::function<std::optional<Decision>(std::uint16_t port)>;

struct PortChoice {
  std::optional<std::uint16_t> port;
  const Rule* rule = nullptr;
  std::uint32_t probes = 0;  // ports examined: the search cost
};

struct ConnectScanInput {
  PortRange range;                  // effective range (netns range clamped by IP_LOCAL_PORT_RANGE)
  bool per_socket_range = false;    // IP_LOCAL_PORT_RANGE set: step 1, no parity split
  std::uint64_t port_offset = 0;    // the per-destination hash (secure_ipv4_port_ephemeral)
};

struct Profile {
  std::string_view name;         // "linux"
  std::string_view description;  // "Linux 6.12-6.18 (semantics.md §2)"
  std::span<const KnobSpec> knobs;
  std::span<const Rule* const> rules;

  // Does N (the socket binding) conflict with the port's current owners?
  Decision (*bind_decide)(const Knobs& knobs, const BindOwnerView& n, std::span<const BindOwnerView> owners,
                          BindMode mode);
  // Is listen() a new conflict check (Linux inet_csk_listen_start)? Reruns bind_decide with n.listening.
  bool listen_rechecks;
  // connect() on a socket that owns its port, given the exact 4-tuple's occupant.
  Decision (*bound_connect_decide)(const Knobs& knobs, const TupleOccupant& occupant);
  // connect() autobind: may this TIME-WAIT entry be recycled for the new connection?
  bool (*autobind_time_wait_reusable)(const Knobs& knobs, const TupleOccupant& occupant, TimePoint now);
  // bind(addr, 0) / listen() autobind: scan order and exhaustion result.
  PortChoice (*pick_bind_port)(const Knobs& knobs, PortRange range, bool reuseaddr, Rng& rng,
                               const std::function<bool(std::uint16_t, bool relaxed)>& usable);
  // connect() autobind: scan order, perturbation table, exhaustion result.
  PortChoice (*pick_connect_port)(const Knobs& knobs, const ConnectScanInput& in, std::uint32_t& perturb, Rng& rng,
                                  const std::function<bool(std::uint16_t)>& usable);
  Duration (*time_wait_duration)(const Knobs& knobs);
  // Lifetime of an orphaned FIN-WAIT-2; nullopt means "send RST instead" (Linux TCP_LINGER2 < 0).
  std::optional<Duration> (*orphan_fin_wait_2_timeout)(const Knobs& knobs, std::optional<std::int64_t> linger2);
};

namespace generic_rule {
extern const Rule unmodelled;
}  // namespace generic_rule

// The catalogue of generic rules that do not belong to one OS (model limits, simulation).
std::span<const Rule* const> generic_rules();

}  // namespace portlab::model
