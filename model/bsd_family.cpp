#include "model/bsd_family.h"

#include <optional>

namespace portlab::model::bsd {

std::optional<IpAddress> lookup_address(const BindOwnerView& e, Family lookup) {
  if (lookup == Family::inet) {
    if (e.family == Family::inet) return e.addr;
    if (e.v6only) return std::nullopt;
    if (e.addr.is_wildcard()) return IpAddress::any(Family::inet);
    return e.addr.unmapped_v4();
  }
  if (e.family != Family::inet6 || e.addr.is_v4_mapped()) return std::nullopt;
  return e.addr;
}

namespace {

std::optional<IpAddress> view(const BindOwnerView& e, Family lookup) { return lookup_address(e, lookup); }

struct Query {
  Family family;  // which lookup
  IpAddress addr;
};

Query query_of(const BindOwnerView& n) {
  if (n.family == Family::inet) return {Family::inet, n.addr};
  if (auto v4 = n.addr.unmapped_v4()) return {Family::inet, *v4};
  return {Family::inet6, n.addr};
}

bool exact_match(const BindOwnerView& e, const Query& q) {
  if (e.connected || e.time_wait) return false;  // EXACT returns only unconnected PCBs
  auto a = view(e, q.family);
  return a && *a == q.addr;
}

// in_pcblookup_local INPLOOKUP_WILDCARD: the cost of a match in wildcards; nullopt if no match.
std::optional<int> wildcard_cost(const BindOwnerView& e, const Query& q) {
  auto a = view(e, q.family);
  if (!a) return std::nullopt;
  int cost = e.connected ? 1 : 0;
  if (!a->is_wildcard()) {
    if (q.addr.is_wildcard()) {
      ++cost;
    } else if (*a != q.addr) {
      return std::nullopt;
    }
  } else if (!q.addr.is_wildcard()) {
    ++cost;
  }
  if (q.family == Family::inet && e.family == Family::inet6) cost += 3;  // v4-mapped PCBs rank last
  return cost;
}

const BindOwnerView* best_fit(std::span<const BindOwnerView> owners, const Query& q) {
  const BindOwnerView* best = nullptr;
  int best_cost = 1 << 30;
  for (const auto& e : owners) {
    auto c = wildcard_cost(e, q);
    if (c && *c < best_cost) {
      best = &e;
      best_cost = *c;
    }
  }
  return best;
}

bool shares(const BsdFlavor& f, const BindOwnerView& n, const BindOwnerView& t) {
  return (n.reuseport && t.reuseport) || (f.has_reuseport_lb && n.reuseport_lb && t.reuseport_lb);
}

}  // namespace

Decision bind_decide(const BsdFlavor& f, const BindOwnerView& n, std::span<const BindOwnerView> owners,
                     BindMode mode) {
  const Query q = query_of(n);
  const bool wild = !(n.reuseaddr || n.reuseport || (f.has_reuseport_lb && n.reuseport_lb));
  const bool probe = mode == BindMode::ephemeral_strict || mode == BindMode::ephemeral_relaxed;

  // (a) The cross-user port-stealing guard, for a non-root owner (uid 0 stands for the privilege).
  if (n.uid != 0 && !probe) {
    if (const BindOwnerView* t = best_fit(owners, q); t && t->uid != n.uid) {
      bool blocks;
      if (f.guard_needs_unconnected) {  // FreeBSD in_pcbbind_setup
        blocks = !t->connected && !t->time_wait &&
                 !(q.addr.is_wildcard() && view(*t, q.family)->is_wildcard() && t->reuseport_lb && !t->reuseport);
      } else {  // XNU in_pcbbind
        blocks = !q.addr.is_wildcard() || !view(*t, q.family)->is_wildcard() || !t->reuseport;
      }
      if (blocks) return {Errno::eaddrinuse, f.bind_conflict_uid};
    }
  }

  // (b) The lookup N's own options choose: WILDCARD (best fit over every PCB) or EXACT.
  bool wildcard_would_find = false;
  const Rule* shared = nullptr;
  for (const auto& t : owners) {
    if (wildcard_cost(t, q)) wildcard_would_find = true;
    const bool found = wild ? wildcard_cost(t, q).has_value() : exact_match(t, q);
    if (!found) continue;
    if (probe) return {Errno::eaddrinuse, f.bind_conflict_wildcard};  // in_pcb_lport: any hit means "taken"
    if (shares(f, n, t)) {
      shared = (n.reuseport && t.reuseport) ? f.bind_shared_reuseport : f.bind_shared_reuseport_lb;
      continue;
    }
    // Both wildcard and both AF_INET6: the IPv6 side decides (in_pcbbind_setup's exemption).
    if (q.addr.is_wildcard() && view(t, q.family)->is_wildcard() && n.family == Family::inet6 &&
        t.family == Family::inet6)
      continue;
    return {Errno::eaddrinuse, wild ? f.bind_conflict_wildcard : f.bind_conflict_exact};
  }

  // (c) A dual-stack [::] bind also takes the IPv4 wildcard: an IPv4 PCB blocks it only if it has a
  // specific address, or is itself AF_INET6 ("same domain"), and SO_REUSEPORT does not share.
  if (n.family == Family::inet6 && n.addr.is_wildcard() && !n.v6only) {
    const Query q4{Family::inet, IpAddress::any(Family::inet)};
    for (const auto& t : owners) {
      const bool found = wild ? wildcard_cost(t, q4).has_value() : exact_match(t, q4);
      if (!found || t.family == Family::inet6) continue;  // AF_INET6 PCBs were judged above
      if (shares(f, n, t)) continue;
      if (!view(t, Family::inet)->is_wildcard()) return {Errno::eaddrinuse, f.bind_conflict_v4_side};
      if (probe) return {Errno::eaddrinuse, f.bind_conflict_v4_side};
    }
  }
  if (shared) return {Errno::ok, shared};
  if (!wild && wildcard_would_find) return {Errno::ok, f.bind_exact_lookup_ok};
  return {Errno::ok, f.bind_ok};
}

Decision bound_connect_decide(const BsdFlavor& f, const TupleOccupant& o) {
  if (o.kind == TupleOccupant::Kind::none) return {Errno::ok, f.connect_bound_ok};
  return {Errno::eaddrinuse, f.connect_bound_in_use};
}

PortChoice sequential_scan(PortRange range, bool random_start, std::uint32_t& last_port, Rng& rng,
                           const std::function<bool(std::uint16_t)>& usable, const Rule* ok, const Rule* exhausted) {
  PortChoice c;
  const std::uint32_t first = range.low;
  const std::uint32_t last = range.high;
  const std::uint32_t count = last - first + 1;
  if (random_start) {
    last_port = first + (last > first ? rng.below(last - first) : 0);
  } else if (last_port < first || last_port > last) {
    last_port = last;  // so that the first increment lands on `first`
  }
  for (std::uint32_t i = 0; i < count; ++i) {
    if (!random_start || i > 0) {
      ++last_port;
      if (last_port < first || last_port > last) last_port = first;
    }
    ++c.probes;
    if (usable(static_cast<std::uint16_t>(last_port))) {
      c.port = static_cast<std::uint16_t>(last_port);
      c.rule = ok;
      return c;
    }
  }
  c.rule = exhausted;
  c.err = Errno::eaddrnotavail;  // in_pcb_lport: EADDRNOTAVAIL for bind(0) and connect() alike
  return c;
}

}  // namespace portlab::model::bsd
