// The socket-layer rules FreeBSD and macOS (XNU) share: both descend from 4.4BSD's in_pcb.c.
// Each OS file supplies a BsdFlavor (its differences and its rule ids); this file holds the
// PCB lookups and the decisions built from them (semantics.md §3, §4).
#pragma once

#include <optional>

#include "model/profile.h"

namespace portlab::model::bsd {

struct BsdFlavor {
  bool has_reuseport_lb = false;         // FreeBSD SO_REUSEPORT_LB
  bool guard_needs_unconnected = false;  // FreeBSD: the cross-uid guard only looks at unconnected PCBs
  // Rules, by what decided.
  const Rule* bind_ok = nullptr;               // nothing found by the lookup
  const Rule* bind_exact_lookup_ok = nullptr;  // a reuse option chose the EXACT lookup, which passes over what WILDCARD would find
  const Rule* bind_shared_reuseport = nullptr;
  const Rule* bind_shared_reuseport_lb = nullptr;
  const Rule* bind_conflict_wildcard = nullptr;  // no reuse option: any overlapping PCB, in any state
  const Rule* bind_conflict_exact = nullptr;     // reuse option: same-address unconnected PCB, no shared SO_REUSEPORT
  const Rule* bind_conflict_uid = nullptr;       // non-root: the best-fit PCB belongs to another uid
  const Rule* bind_conflict_v4_side = nullptr;   // dual-stack [::] checks the IPv4 side too
  const Rule* connect_bound_ok = nullptr;
  const Rule* connect_bound_in_use = nullptr;    // any PCB on the 4-tuple, TIME-WAIT included: EADDRINUSE
  const Rule* port0_ok = nullptr;
  const Rule* port0_exhausted = nullptr;
  const Rule* connect_autobind_ok = nullptr;
};

// The address a socket shows to an IPv4 or an IPv6 lookup: IPv4 lookups see AF_INET sockets and
// dual-stack AF_INET6 ones (`::` as INADDR_ANY, a v4-mapped address as its IPv4 address); IPv6
// lookups see AF_INET6 sockets not bound to a v4-mapped address. nullopt: invisible to it.
std::optional<IpAddress> lookup_address(const BindOwnerView& e, Family lookup);

// in_pcbbind_setup / in6_pcbbind (FreeBSD), in_pcbbind / in6_pcbbind (XNU).
Decision bind_decide(const BsdFlavor& f, const BindOwnerView& n, std::span<const BindOwnerView> owners, BindMode mode);
// in_pcbconnect_setup / tcp_connect: any PCB on the exact 4-tuple, TIME-WAIT included.
Decision bound_connect_decide(const BsdFlavor& f, const TupleOccupant& occupant);

// in_pcb_lport: a random start (or the host's last port), then sequential, wrapping;
// `range.low..range.high` inclusive; exhaustion after one full turn.
PortChoice sequential_scan(PortRange range, bool random_start, std::uint32_t& last_port, Rng& rng,
                           const std::function<bool(std::uint16_t)>& usable, const Rule* ok, const Rule* exhausted);

}  // namespace portlab::model::bsd
