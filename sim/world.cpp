#include "sim/world.h"

#include <algorithm>
#include <utility>

namespace portlab::sim {

namespace {
// A limit on the work one call may cause, so that a bug or a pathological script ends with a
// clear result instead of spinning: far above what any real exchange needs.
constexpr std::uint64_t kMaxEventsPerCall = 10'000'000;
}  // namespace

World::World(std::uint64_t seed, std::vector<HostSpec> hosts) : seed_(seed), net_rng_(seed ^ 0x6e6574776f726b21ull) {
  hosts_.reserve(hosts.size());
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    model::HostConfig c;
    c.name = hosts[i].name;
    c.addresses = hosts[i].addresses;
    c.devices = hosts[i].devices;
    c.seed = seed * 0x9e3779b97f4a7c15ull + i + 1;
    // Every other host's addresses are reachable (one flat network).
    for (std::size_t j = 0; j < hosts.size(); ++j) {
      if (j == i) continue;
      for (const auto& a : hosts[j].addresses) {
        c.routes.push_back({a.addr, a.addr.family() == model::Family::inet ? 32 : 128});
      }
    }
    hosts_.emplace_back(*hosts[i].profile, std::move(c));
    names_.push_back(hosts[i].name);
  }
}

std::optional<std::size_t> World::find_host(const std::string& name) const {
  for (std::size_t i = 0; i < names_.size(); ++i)
    if (names_[i] == name) return i;
  return std::nullopt;
}

void World::collect_host_events(std::size_t h) {
  auto events = hosts_[h].take_events();
  if (!keep_events_) return;
  for (auto& e : events) log_.push_back({e.at, names_[h], std::move(e.what), e.rule});
}

namespace {
bool chance(model::Rng& rng, double p) {
  if (p <= 0) return false;
  if (p >= 1) return true;
  return static_cast<double>(rng.next_u64() >> 11) * 0x1.0p-53 < p;
}
bool is_syn(const model::Segment& s) { return s.flags.syn && !s.flags.ack; }
}  // namespace

// Faults and the middlebox apply here, in a fixed order and with one generator, so that a run is
// reproducible from its seed.
void World::enqueue(std::size_t from, std::size_t to, model::Segment seg) {
  ++stats_.segments;
  Duration extra{};
  const bool crosses = from != to;  // loopback never meets the network's faults
  if (crosses) {
    for (const auto& m : middlebox_) {
      if (now_ < m.from || now_ >= m.until) continue;
      if (m.syn_only && !is_syn(seg)) continue;
      if (m.dst_addr && !(*m.dst_addr == seg.dst.addr)) continue;
      if (m.dst_port && *m.dst_port != seg.dst.port) continue;
      if (!chance(net_rng_, m.probability)) continue;
      switch (m.action) {
        case MiddleboxRule::Action::drop:
          ++stats_.middlebox_dropped;
          if (trace_segments_) log_.push_back({now_, names_[from], "middlebox drops " + seg.to_string(), nullptr});
          return;
        case MiddleboxRule::Action::reset: {
          ++stats_.middlebox_reset;
          // RFC 9293 §3.10.7.1: a RST answering a segment without ACK carries ACK = SEG.SEQ + SEG.LEN.
          model::Segment rst;
          rst.src = seg.dst;
          rst.dst = seg.src;
          rst.flags.rst = true;
          rst.flags.ack = true;
          rst.ack = seg.seq + seg.payload + (seg.flags.syn ? 1 : 0) + (seg.flags.fin ? 1 : 0);
          if (trace_segments_) log_.push_back({now_, names_[from], "middlebox resets " + seg.to_string(), nullptr});
          network_.push({now_ + net_.latency, order_++, from, std::move(rst)});
          return;
        }
        case MiddleboxRule::Action::delay:
          ++stats_.middlebox_delayed;
          extra += m.delay;
          break;
      }
    }
    if (is_syn(seg) && chance(net_rng_, net_.syn_loss)) {
      ++stats_.syn_lost;
      if (trace_segments_) log_.push_back({now_, names_[from], "lost " + seg.to_string(), nullptr});
      return;
    }
  }
  Duration delay = net_.latency + extra;
  if (crosses && net_.jitter > Duration::zero())
    delay += Duration(static_cast<Duration::rep>(net_rng_.next_u64() % (static_cast<std::uint64_t>(net_.jitter.count()) + 1)));
  TimePoint at = now_ + delay;
  const bool control = seg.payload == 0;
  bool reordered = false;
  if (crosses && control && chance(net_rng_, net_.reorder)) {
    const Duration hold = net_.reorder_delay > Duration::zero() ? net_.reorder_delay
                                                                 : 2 * net_.latency + std::chrono::milliseconds(1);
    at += hold;
    reordered = true;
    ++stats_.reordered;
  }
  if (crosses && !reordered) {
    // Jitter never reorders one path: a segment leaves after the one before it on the same path.
    auto& tail = link_tail_[{from, to}];
    if (at < tail) at = tail;
    tail = at;
  }
  if (crosses && control && chance(net_rng_, net_.duplicate)) {
    ++stats_.duplicated;
    network_.push({at, order_++, to, seg});
  }
  network_.push({at, order_++, to, std::move(seg)});
}

void World::route(std::size_t from, std::vector<model::Segment>& out) {
  for (auto& seg : out) {
    std::optional<std::size_t> to;
    if (hosts_[from].is_local(seg.dst.addr)) {
      to = from;
    } else {
      for (std::size_t j = 0; j < hosts_.size() && !to; ++j)
        if (j != from && hosts_[j].is_local(seg.dst.addr) && !seg.dst.addr.is_loopback()) to = j;
    }
    if (trace_segments_)
      log_.push_back({now_, names_[from], "send " + seg.to_string() + (to ? "" : " (no route: dropped)"), nullptr});
    if (!to) {
      ++stats_.unroutable;
      continue;
    }
    if (hold_) {
      ++stats_.segments;
      auto key = std::make_pair(seg.src, seg.dst);
      held_[key].push_back({order_++, *to, std::move(seg)});
      continue;
    }
    enqueue(from, *to, std::move(seg));
  }
  out.clear();
  collect_host_events(from);
}

std::optional<TimePoint> World::next_event_time() const {
  std::optional<TimePoint> t;
  if (!network_.empty()) t = network_.top().at;
  for (const auto& h : hosts_) {
    auto d = h.next_deadline();
    if (d && (!t || *d < *t)) t = d;
  }
  return t;
}

// Processes everything due at or before `t` (which must not be in the past), one instant at a time.
void World::step_to(TimePoint t) {
  std::vector<model::Segment> out;
  std::uint64_t budget = kMaxEventsPerCall;
  while (budget-- > 0) {
    auto next = next_event_time();
    if (!next || *next > t) break;
    if (*next > now_) now_ = *next;
    if (!network_.empty() && network_.top().at <= now_) {
      InFlight f = network_.top();
      network_.pop();
      ++stats_.events;
      hosts_[f.to].deliver(f.seg, now_, out);
      route(f.to, out);
      continue;
    }
    for (std::size_t i = 0; i < hosts_.size(); ++i) {
      auto d = hosts_[i].next_deadline();
      if (d && *d <= now_) {
        ++stats_.events;
        hosts_[i].advance(now_, out);
        route(i, out);
      }
    }
  }
  if (t > now_) now_ = t;
}

void World::settle() { step_to(now_); }

void World::advance_to(TimePoint t) {
  if (t < now_) t = now_;
  step_to(t);
}

CallOutcome World::run_call(std::size_t h, model::Fd fd, std::int64_t bytes,
                            const std::function<model::CallResult(model::Host&, std::vector<model::Segment>&)>& call) {
  std::vector<model::Segment> out;
  CallOutcome o;
  o.result = call(hosts_[h], out);
  route(h, out);
  settle();
  if (o.result.pending == model::Pending::none) return o;
  // Restores holding when the call returns: a blocking call waits with the network settling.
  struct HoldAgain {
    bool& hold;
    bool was;
    ~HoldAgain() { hold = was; }
  } hold_again{hold_, hold_};
  const TimePoint start = now_;
  model::CallResult first = o.result;
  if (defer_blocking_ && (first.pending == model::Pending::accept || first.pending == model::Pending::recv ||
                          first.pending == model::Pending::send)) {
    auto done = hosts_[h].poll(fd, first.pending, first, bytes, now_, out);
    route(h, out);
    settle();
    if (done && done->pending == model::Pending::none) {
      o.result = *done;
      return o;
    }
    o.would_block = true;
    return o;
  }
  if (hold_) {
    release_held();
    hold_ = false;
  }
  const bool linger = first.pending == model::Pending::linger;
  const bool has_deadline = linger && first.linger_timeout != Duration::max();
  const TimePoint deadline = has_deadline ? start + first.linger_timeout : TimePoint::max();
  for (std::uint64_t i = 0; i < kMaxEventsPerCall; ++i) {
    auto done = hosts_[h].poll(fd, first.pending, first, bytes, now_, out);
    route(h, out);
    settle();
    if (done && done->pending != model::Pending::none) {
      first = *done;  // progress (a blocking send queued more): keep waiting for the rest
      continue;
    }
    if (done) {
      o.result = *done;
      o.waited = now_ - start;
      return o;
    }
    auto next = next_event_time();
    if (has_deadline && (!next || *next > deadline)) {
      advance_to(deadline);
      hosts_[h].linger_expired(fd, now_, out);
      route(h, out);
      o.result = first;
      o.result.pending = model::Pending::none;
      o.waited = now_ - start;
      return o;
    }
    if (!next) break;
    advance_to(*next);
  }
  o.blocked_forever = true;
  o.result = first;
  o.result.pending = model::Pending::none;
  o.waited = now_ - start;
  if (linger) hosts_[h].linger_expired(fd, now_, out);
      route(h, out);
  return o;
}

model::CallResult World::call(std::size_t h,
                              const std::function<model::CallResult(model::Host&, std::vector<model::Segment>&)>& fn) {
  std::vector<model::Segment> out;
  model::CallResult r = fn(hosts_[h], out);
  route(h, out);
  settle();
  return r;
}

std::optional<model::CallResult> World::poll(std::size_t h, model::Fd fd, model::Pending what,
                                             const model::CallResult& first, std::int64_t bytes) {
  std::vector<model::Segment> out;
  auto r = hosts_[h].poll(fd, what, first, bytes, now_, out);
  if (!out.empty()) {
    route(h, out);
    settle();
  }
  return r;
}

std::vector<LogEvent> World::take_log() { return std::exchange(log_, {}); }

std::vector<World::HeldFlow> World::held_flows() const {
  std::vector<HeldFlow> out;
  out.reserve(held_.size());
  for (const auto& [key, q] : held_) out.push_back({key.first, key.second, q.size()});
  return out;
}

std::optional<std::string> World::deliver(const model::Endpoint& src, const model::Endpoint& dst) {
  auto it = held_.find({src, dst});
  if (it == held_.end()) return std::nullopt;
  Held h = std::move(it->second.front());
  it->second.pop_front();
  if (it->second.empty()) held_.erase(it);
  std::string text = h.seg.to_string();
  if (trace_segments_) log_.push_back({now_, names_[h.to], "deliver " + text, nullptr});
  ++stats_.events;
  std::vector<model::Segment> out;
  hosts_[h.to].deliver(h.seg, now_, out);
  route(h.to, out);
  return text;
}

bool World::head_is_syn(const model::Endpoint& src, const model::Endpoint& dst) const {
  auto it = held_.find({src, dst});
  return it != held_.end() && is_syn(it->second.front().seg);
}

std::optional<std::string> World::drop_syn(const model::Endpoint& src, const model::Endpoint& dst,
                                           std::string* not_syn) {
  auto it = held_.find({src, dst});
  if (it == held_.end()) return std::nullopt;
  if (!is_syn(it->second.front().seg)) {
    if (not_syn) *not_syn = it->second.front().seg.to_string();
    return std::nullopt;
  }
  std::string text = it->second.front().seg.to_string();
  it->second.pop_front();
  if (it->second.empty()) held_.erase(it);
  ++stats_.syn_lost;
  if (trace_segments_) log_.push_back({now_, "network", "drop " + text, nullptr});
  return text;
}

void World::release_held() {
  for (std::uint64_t budget = kMaxEventsPerCall; budget > 0 && !held_.empty(); --budget) {
    auto oldest = held_.begin();
    for (auto it = held_.begin(); it != held_.end(); ++it)
      if (it->second.front().order < oldest->second.front().order) oldest = it;
    const auto key = oldest->first;
    deliver(key.first, key.second);
  }
}

void World::encode_state(std::string& out) const {
  const auto put = [&](std::int64_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); };
  put(now_.time_since_epoch().count());
  for (const auto& h : hosts_) h.encode_state(out, now_);
  if (!held_.empty()) {
    std::vector<std::pair<std::uint64_t, std::int64_t>> sent;  // (order, flow number)
    std::int64_t flow = 0;
    for (const auto& [key, q] : held_) {
      put(static_cast<std::int64_t>(q.size()));
      for (const auto& h : q) {
        out += h.seg.to_string();
        out += '\n';
        sent.emplace_back(h.order, flow);
      }
      ++flow;
    }
    std::sort(sent.begin(), sent.end());
    for (const auto& s : sent) put(s.second);
    put(-1);
  }
  if (network_.empty()) return;
  auto copy = network_;
  while (!copy.empty()) {
    const InFlight& f = copy.top();
    put((f.at - now_).count());
    put(static_cast<std::int64_t>(f.to));
    out += f.seg.to_string();
    copy.pop();
  }
}

}  // namespace portlab::sim
