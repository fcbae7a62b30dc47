// One host's TCP socket layer. The decisions that differ between operating systems are the
// profile's; this file holds the tables and the RFC 9293 mechanics around them.
#include "model/host.h"

#include <algorithm>
#include <cassert>
#include <limits>
#include <type_traits>
#include <tuple>
#include <utility>

#include "model/linux_profile.h"

namespace portlab::model {

namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kDefaultRcvBuf = 131072;  // net.ipv4.tcp_rmem[1]
constexpr std::int64_t kDefaultSndBuf = 16384;   // net.ipv4.tcp_wmem[1]
constexpr std::int64_t kMaxSockBuf = 212992;     // net.core.rmem_max / wmem_max
constexpr Duration kInitialRto = 1s;             // TCP_TIMEOUT_INIT
constexpr std::uint32_t kMaxSockets = 1u << 22;  // a limit, so a runaway script fails cleanly

std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

std::uint64_t hash_addr(const IpAddress& a) { return IpAddressHash{}(a); }

// Addresses as they travel on the wire: a v4-mapped IPv6 address is the IPv4 address.
IpAddress wire(const IpAddress& a) {
  if (auto v4 = a.unmapped_v4()) return *v4;
  return a;
}
Endpoint wire(const Endpoint& e) { return {wire(e.addr), e.port}; }

// An address in a socket's own family (AF_INET6 sockets see IPv4 peers as v4-mapped).
IpAddress in_family(const IpAddress& a, Family f) {
  if (f == Family::inet6 && a.family() == Family::inet) return a.mapped_v6();
  return a;
}

bool prefix_contains(const InterfaceAddress& net, const IpAddress& a) {
  if (net.addr.family() != a.family()) return false;
  const auto& x = net.addr.bytes();
  const auto& y = a.bytes();
  int bits = net.prefix_len;
  for (std::size_t i = 0; bits > 0; ++i, bits -= 8) {
    const std::uint8_t mask = bits >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - bits));
    if ((x[i] & mask) != (y[i] & mask)) return false;
  }
  return true;
}

}  // namespace

std::string ConnectionView::key() const {
  if (!remote) return "listen " + local.to_string() + (fd ? " fd " + std::to_string(*fd) : "");
  return FourTuple{local, *remote}.to_string();
}

// ---------------------------------------------------------------------------------------------
// State

using SockId = std::uint32_t;

struct Tcb {
  std::uint32_t iss = 0;
  std::uint32_t irs = 0;
  std::uint32_t snd_una = 0;
  std::uint32_t snd_nxt = 0;
  std::uint32_t rcv_nxt = 0;
  std::uint32_t snd_wnd = 0;  // the peer's last advertised window
  std::uint32_t last_advertised = 0;
  std::int64_t unsent = 0;    // queued, not yet transmitted (transmitted bytes are ACKed at once or in flight)
  std::int64_t rcv_queue = 0;  // received, not yet read
  bool fin_queued = false;
  bool fin_sent = false;
  bool fin_acked = false;
  bool fin_rcvd = false;
  bool syn_had_ts = false;
  bool ts_ok = false;  // timestamps negotiated
  std::uint32_t ts_recent = 0;
  std::optional<TimePoint> ts_recent_stamp;
  std::optional<std::uint32_t> preset_iss;  // from a recycled TIME-WAIT
  int syn_retransmits = 0;
  Duration rto = kInitialRto;
  std::optional<TimePoint> rtx_deadline;
};

enum class SocketLayerState : std::uint8_t { unconnected, connecting, connected, disconnecting };

struct Sock {
  std::uint32_t id = 0;  // its slot in Host::Impl::socks
  Family family = Family::inet;
  std::uint32_t uid = 0;
  bool nonblock = false;
  // Options.
  bool reuseaddr = false;
  bool reuseport = false;
  bool v6only = false;
  bool bind_no_port = false;
  bool freebind = false;
  bool exclusiveaddruse = false;  // Windows
  // The flags the conflict checks read: equal to reuseaddr/exclusiveaddruse, except on Windows
  // where a value set after bind() has no effect (HostParams::reuse_options_fixed_at_bind).
  bool share_reuseaddr = false;
  bool share_exclusive = false;
  bool reuseport_lb = false;      // FreeBSD
  bool exclbind = false;          // illumos
  Linger linger;
  bool linger_in_seconds = false;  // set with macOS SO_LINGER_SEC
  std::string device;
  std::int64_t rcvbuf = kDefaultRcvBuf;
  std::int64_t sndbuf = kDefaultSndBuf;
  std::optional<std::int64_t> linger2;  // TCP_LINGER2 in seconds; nullopt = sysctl
  PortRange port_range{0, 0};
  // Identity in the tables.
  TcpState state = TcpState::closed;
  std::optional<Fd> fd;
  bool has_addr = false;  // bind() recorded an address
  IpAddress laddr;
  std::uint16_t lport = 0;
  // The port getsockname() reports once the connection gave lport back (tcp_set_state(CLOSE) ->
  // inet_put_port clears inet_num, but inet_sport, which getsockname reads, stays).
  std::uint16_t name_port = 0;
  bool in_bind_table = false;
  bool connect_bound = false;  // the port came from connect()'s autobind (Linux SOCK_CONNECT_BIND)
  bool bindport_lock = false;  // SOCK_BINDPORT_LOCK: the user chose the port
  bool bindaddr_lock = false;  // SOCK_BINDADDR_LOCK: the user chose a specific address
  std::optional<Endpoint> remote;
  bool in_ehash = false;
  // The socket layer's state (struct socket's SS_*; Profile::socket_layer). Without socket-layer
  // rules only "unconnected or not" is read: a socket counts as connected from connect() or
  // accept() until the attempt fails.
  SocketLayerState ss = SocketLayerState::unconnected;
  // Listener.
  int backlog = 0;
  std::deque<SockId> accept_queue;
  std::optional<SockId> parent;  // un-accepted child
  // Connection.
  Tcb tcb;
  Errno so_error = Errno::ok;
  const Rule* so_error_rule = nullptr;
  bool shut_rd = false;
  bool shut_wr = false;
  bool orphan_rcv_shutdown = false;  // closed by the application: data now means RST
};

// A TIME-WAIT minisocket (Linux inet_timewait_sock): it keeps the closed socket's reuse flags,
// address and device, and sits in the bind table and the established table until it dies.
struct TimeWaitEntry {
  FourTuple tuple;  // in the socket's family form
  Family family = Family::inet;
  bool v6only = false;
  std::string device;
  bool reuseaddr = false;
  bool reuseport = false;
  std::uint32_t uid = 0;    // the closed socket's owner (BSD keeps the credential on the PCB)
  bool fin_wait_2 = false;  // Linux substate for orphaned FIN-WAIT-2
  bool connect_bound = false;  // from a socket whose port came from connect()'s autobind
  TimePoint entered{};
  TimePoint deadline{};
  std::uint32_t snd_nxt = 0;
  std::uint32_t rcv_nxt = 0;
  std::uint32_t rcv_wnd = 0;
  bool ts_ok = false;
  std::uint32_t ts_recent = 0;
  std::optional<TimePoint> ts_recent_stamp;
};

struct OwnerRef {
  bool time_wait = false;
  std::uint32_t id = 0;
  friend bool operator==(const OwnerRef&, const OwnerRef&) = default;
};

struct PortBucket {
  // Linux: tb->fastreuse/fastreuseport >= 0 once bind() or listen() used the bucket; connect()
  // autobind never shares such a port (semantics.md §2.7). With
  // Profile::bind_bucket_resets_on_release, only while an owner that did not get the port from
  // connect() (bound_owners) remains.
  bool bind_owned = false;
  std::uint32_t bound_owners = 0;
  std::vector<OwnerRef> owners;
  BindBucketCache cache;  // Profile::bind_fast_path's memory (Linux tb->fastreuse etc.)
};

enum class TimerKind : std::uint8_t { time_wait, syn_retransmit };
using TimerKey = std::tuple<TimePoint, TimerKind, std::uint32_t>;

struct Host::Impl {
  const Profile* profile;
  HostConfig config;
  Knobs knobs;
  HostParams params;  // derived from knobs; refreshed whenever a knob changes
  Rng rng;
  std::uint64_t secret_port;
  std::uint64_t secret_seq;
  std::uint64_t secret_ts;

  std::vector<std::optional<Sock>> socks;
  std::vector<SockId> free_socks;
  std::vector<std::optional<TimeWaitEntry>> tws;
  std::vector<std::uint32_t> free_tws;
  std::size_t tw_count = 0;
  std::map<Fd, SockId> fds;
  std::set<Fd> free_fds;  // released descriptors below next_fd
  Fd next_fd = 3;
  std::unordered_map<std::uint16_t, PortBucket> bind_table;
  std::unordered_map<FourTuple, OwnerRef, FourTupleHash> ehash;  // wire-form tuples
  std::set<TimerKey> timers;
  // Linux's table_perturb (INET_TABLE_PERTURB_SIZE = 2^16 random words, filled on first use by
  // get_random_sleepable_once), kept sparse: one seed drawn on first use gives every slot's
  // initial word, and only the slots a search has moved are stored, sorted by slot. A world copy
  // (the explorer copies one per state) then costs a few words instead of 256 KiB.
  std::optional<std::uint64_t> perturb_seed;
  std::vector<std::pair<std::uint16_t, std::uint32_t>> perturb_moved;
  std::uint32_t last_port = 0;               // sequential ephemeral searches (BSD lastport)
  struct Lingering {
    SockId sock;
    bool reset_on_expiry;
  };
  std::map<Fd, Lingering> lingering;  // close() waiting under SO_LINGER {1, N>0}
  std::vector<HostEvent> events;

  // A failed connect() port search, remembered until the host's ports or connections change
  // (generation) or a verdict that depends on time may change (valid_until). When a range is
  // exhausted, every further connect() to that destination would rescan it in full, probing
  // tens of thousands of ports; the kernel pays that cost, the model reports it (probes) but
  // does not repeat it. Only searches that neither drew from the generator nor moved a
  // sequential cursor are remembered, so the memo never changes a run's choices.
  std::uint64_t generation = 0;
  bool memoize_scans = true;
  struct ScanMemo {
    std::uint64_t generation = 0;
    IpAddress src;
    Endpoint dst;
    PortRange range;
    bool per_socket_range = false;
    std::uint64_t port_offset = 0;
    std::uint32_t perturb = 0;
    std::optional<TimePoint> valid_until;
    CallResult result;
  };
  std::optional<ScanMemo> scan_memo;

  Impl(const Profile& p, HostConfig c)
      : profile(&p), config(std::move(c)), knobs(p.knobs), params(p.params(knobs)), rng(config.seed) {
    secret_port = rng.next_u64();
    secret_seq = rng.next_u64();
    secret_ts = rng.next_u64();
  }

  // ---- small helpers -----------------------------------------------------------------------

  const CallRules& R() const { return *profile->calls; }

  Sock* sock_of(Fd fd) {
    auto it = fds.find(fd);
    if (it == fds.end()) return nullptr;
    return &*socks[it->second];
  }
  const Sock* sock_of(Fd fd) const {
    auto it = fds.find(fd);
    if (it == fds.end()) return nullptr;
    return &*socks[it->second];
  }
  static SockId id_of(const Sock& s) { return s.id; }

  // Host events are text for the event log; building it costs more than the step it describes,
  // so an engine that prints no log turns recording off (Host::set_record_events).
  bool record_events = true;
  void event(TimePoint at, std::string what, const Rule* rule) { events.push_back({at, std::move(what), rule}); }

  SockId new_sock() {
    if (!free_socks.empty()) {
      SockId id = free_socks.back();
      free_socks.pop_back();
      socks[id].emplace();
      socks[id]->id = id;
      return id;
    }
    socks.emplace_back(std::in_place);
    const auto id = static_cast<SockId>(socks.size() - 1);
    socks[id]->id = id;
    return id;
  }

  Fd new_fd(SockId id) {
    // The lowest free descriptor, as POSIX requires (0-2 are stdio): reuse a released one if any.
    Fd fd;
    if (!free_fds.empty()) {
      fd = *free_fds.begin();
      free_fds.erase(free_fds.begin());
    } else {
      fd = next_fd++;
    }
    fds.emplace(fd, id);
    socks[id]->fd = fd;
    return fd;
  }

  void release_fd(Fd fd) {
    if (fds.erase(fd)) free_fds.insert(fd);
  }

  bool is_local(const IpAddress& a0) const {
    const IpAddress a = wire(a0);
    if (a.is_loopback()) return true;
    for (const auto& ia : config.addresses)
      if (ia.addr == a) return true;
    return false;
  }

  bool device_exists(const std::string& d) const {
    if (d == "lo") return true;
    return std::find(config.devices.begin(), config.devices.end(), d) != config.devices.end();
  }


  PortRange effective_range(const Sock& s) const {
    PortRange r = params.ephemeral;
    if (s.port_range.low || s.port_range.high) {
      if (r.low <= s.port_range.low && s.port_range.low <= r.high) r.low = s.port_range.low;
      if (r.low <= s.port_range.high && s.port_range.high <= r.high) r.high = s.port_range.high;
    }
    return r;
  }

  BindOwnerView view_of(const Sock& s) const {
    BindOwnerView v;
    v.addr = s.laddr;
    v.family = s.family;
    v.v6only = s.v6only;
    v.device = s.device;
    v.reuseaddr = s.share_reuseaddr;
    v.reuseport = s.reuseport;
    v.uid = s.uid;
    v.listening = s.state == TcpState::listen;
    v.connected = s.remote.has_value() && s.state != TcpState::closed && s.state != TcpState::listen;
    v.past_established = is_synchronized(s.state) && s.state != TcpState::established;
    v.exclusiveaddruse = s.share_exclusive;
    v.reuseport_lb = s.reuseport_lb;
    v.exclbind = s.exclbind;
    return v;
  }
  BindOwnerView view_of(const TimeWaitEntry& t) const {
    BindOwnerView v;
    v.addr = t.tuple.local.addr;
    v.family = t.family;
    v.v6only = t.v6only;
    v.device = t.device;
    v.reuseaddr = t.reuseaddr;
    v.reuseport = t.reuseport;
    v.uid = t.uid;
    v.time_wait = true;
    v.connected = true;
    v.past_established = true;
    return v;
  }
  BindOwnerView view_of(OwnerRef r) const { return r.time_wait ? view_of(*tws[r.id]) : view_of(*socks[r.id]); }

  std::vector<BindOwnerView> owners_except(std::uint16_t port, std::optional<SockId> self) const {
    std::vector<BindOwnerView> out;
    auto it = bind_table.find(port);
    if (it == bind_table.end()) return out;
    out.reserve(it->second.owners.size());
    for (const auto& o : it->second.owners) {
      if (!o.time_wait && self && o.id == *self) continue;
      out.push_back(view_of(o));
    }
    return out;
  }

  // Did the owner get its port some other way than connect()'s autobind (bind(), listen()'s
  // autobind, a listener's child, or a TIME-WAIT of one of those)?
  bool bound_owner(OwnerRef ref) const {
    return ref.time_wait ? !tws[ref.id]->connect_bound : !socks[ref.id]->connect_bound;
  }
  void bucket_add(std::uint16_t port, OwnerRef ref) {
    auto& b = bind_table[port];
    if (bound_owner(ref)) {
      b.bind_owned = true;
      ++b.bound_owners;
    }
    b.owners.push_back(ref);
  }
  void bucket_remove(std::uint16_t port, OwnerRef ref) {
    auto it = bind_table.find(port);
    if (it == bind_table.end()) return;
    auto& b = it->second;
    const auto before = b.owners.size();
    b.owners.erase(std::remove(b.owners.begin(), b.owners.end(), ref), b.owners.end());
    if (b.owners.empty()) {
      bind_table.erase(it);  // inet_bind_bucket_destroy: gone with its last owner
      return;
    }
    if (b.owners.size() == before) return;
    if (bound_owner(ref)) --b.bound_owners;
    // "tcp: Update bind bucket state on port release": whoever leaves, once no remaining owner
    // holds the port by bind()/listen(), connect() may use it again.
    if (b.bound_owners == 0 && b.bind_owned && profile->bind_bucket_resets_on_release) {
      b.bind_owned = false;
      b.cache = BindBucketCache{};  // tb->fastreuse = tb->fastreuseport = -1, as connect() makes them
    }
  }

  // A socket bound to a wildcard address connects: its source address is fixed now and it moves
  // to the port's bucket for that address (inet_bhash2_update_saddr). If that bucket exists and
  // only connect() made its owners, the socket no longer holds the port by bind() (6.18: after
  // the last connect() owner leaves, the port reopens to connect(); soak seed
  // 17403046728638870307, props/conform-cases/wildcard-bind-joins-connect-bucket.pls). Into a
  // bucket no socket holds yet, or one a bind() owner holds, it stays a bind() owner
  // (props/conform-cases/wildcard-bind-connects-into-new-address-bucket.pls).
  void joins_connect_bucket(Sock& s, const IpAddress& src) {
    if (!profile->bind_bucket_resets_on_release || s.connect_bound || !s.in_bind_table) return;
    auto it = bind_table.find(s.lport);
    if (it == bind_table.end()) return;
    bool any = false;
    for (const auto& o : it->second.owners) {
      if (!o.time_wait && o.id == id_of(s)) continue;
      if (wire(view_of(o).addr) != src) continue;
      if (bound_owner(o)) return;
      any = true;
    }
    if (!any) return;
    s.connect_bound = true;
    --it->second.bound_owners;
  }

  // Profile::bind_fast_path, when the port has owners: a Decision with a rule admits n unchecked.
  Decision bind_fast_path(std::uint16_t port, const BindOwnerView& n) const {
    if (!profile->bind_fast_path) return {};
    auto it = bind_table.find(port);
    if (it == bind_table.end() || it->second.owners.empty()) return {};
    return profile->bind_fast_path(knobs, it->second.cache, n);
  }
  // Profile::bind_cache_update for a socket joining `port` (before bucket_add) or passing the
  // listen() re-check (already an owner).
  void bind_cache_update(std::uint16_t port, const BindOwnerView& n) {
    if (!profile->bind_cache_update) return;
    auto& b = bind_table[port];
    profile->bind_cache_update(b.cache, n, b.owners.empty());
  }

  // ---- sequence numbers and timestamps --------------------------------------------------------

  // secure_tcp_seq: a keyed hash of the 4-tuple plus a clock ticking every 64 ns.
  std::uint32_t isn(const FourTuple& t, TimePoint now) const {
    std::uint64_t h = secret_seq ^ hash_addr(t.local.addr) ^ (hash_addr(t.remote.addr) << 1);
    h = mix64(h ^ (std::uint64_t{t.local.port} << 16) ^ t.remote.port);
    return static_cast<std::uint32_t>(h) + static_cast<std::uint32_t>(now.time_since_epoch().count() >> 6);
  }
  // tcp_timestamps=1: millisecond clock plus a per-address-pair offset (secure_tcp_ts_off).
  std::uint32_t tsval(const FourTuple& t, TimePoint now) const {
    const auto ms = static_cast<std::uint32_t>(std::chrono::floor<std::chrono::milliseconds>(now.time_since_epoch()).count());
    if (params.timestamps == 2) return ms;
    return ms + static_cast<std::uint32_t>(mix64(secret_ts ^ hash_addr(t.local.addr) ^ (hash_addr(t.remote.addr) << 1)));
  }

  std::uint32_t rcv_window(const Sock& s) const {
    return static_cast<std::uint32_t>(std::max<std::int64_t>(0, s.rcvbuf - s.tcb.rcv_queue));
  }

  FourTuple wire_tuple(const Sock& s) const { return {{wire(s.laddr), s.lport}, wire(*s.remote)}; }

  Segment segment_from(const Sock& s, TcpFlags flags, std::uint32_t seq, std::uint32_t ack, std::uint32_t payload,
                       TimePoint now, bool with_ts) {
    Segment seg;
    const FourTuple t = wire_tuple(s);
    seg.src = t.local;
    seg.dst = t.remote;
    seg.flags = flags;
    seg.seq = seq;
    seg.ack = flags.ack ? ack : 0;
    seg.window = rcv_window(s);
    seg.payload = payload;
    if (with_ts) seg.ts = TimestampOption{tsval(t, now), s.tcb.ts_recent};
    return seg;
  }

  void send_ack(Sock& s, TimePoint now, std::vector<Segment>& out) {
    out.push_back(segment_from(s, {.ack = true}, s.tcb.snd_nxt, s.tcb.rcv_nxt, 0, now, s.tcb.ts_ok));
    s.tcb.last_advertised = out.back().window;
  }

  void send_rst(Sock& s, TimePoint now, std::vector<Segment>& out) {
    out.push_back(segment_from(s, {.ack = true, .rst = true}, s.tcb.snd_nxt, s.tcb.rcv_nxt, 0, now, s.tcb.ts_ok));
  }

  void send_syn(Sock& s, TimePoint now, std::vector<Segment>& out) {
    const bool ts = params.timestamps != 0;
    s.tcb.syn_had_ts = ts;
    out.push_back(segment_from(s, {.syn = true}, s.tcb.iss, 0, 0, now, ts));
  }

  void send_syn_ack(Sock& s, TimePoint now, std::vector<Segment>& out) {
    out.push_back(segment_from(s, {.syn = true, .ack = true}, s.tcb.iss, s.tcb.rcv_nxt, 0, now, s.tcb.ts_ok));
  }

  // Transmit queued data as far as the peer's window allows, then the FIN once nothing is left.
  void push(Sock& s, TimePoint now, std::vector<Segment>& out) {
    auto& t = s.tcb;
    if (!is_synchronized(s.state) && s.state != TcpState::syn_received) return;
    if (s.state == TcpState::syn_received) return;
    const std::uint32_t in_flight = t.snd_nxt - t.snd_una;
    std::int64_t room = std::int64_t{t.snd_wnd} - in_flight;
    if (t.unsent > 0 && room > 0) {
      const auto len = static_cast<std::uint32_t>(std::min(t.unsent, room));
      out.push_back(segment_from(s, {.ack = true}, t.snd_nxt, t.rcv_nxt, len, now, t.ts_ok));
      t.snd_nxt += len;
      t.unsent -= len;
    }
    if (t.fin_queued && !t.fin_sent && t.unsent == 0) {
      out.push_back(segment_from(s, {.ack = true, .fin = true}, t.snd_nxt, t.rcv_nxt, 0, now, t.ts_ok));
      t.snd_nxt += 1;
      t.fin_sent = true;
    }
  }

  // ---- tables ---------------------------------------------------------------------------------

  void ehash_insert(Sock& s) {
    ehash[wire_tuple(s)] = OwnerRef{false, id_of(s)};
    s.in_ehash = true;
  }
  void ehash_remove(Sock& s) {
    if (!s.in_ehash) return;
    auto it = ehash.find(wire_tuple(s));
    if (it != ehash.end() && it->second == OwnerRef{false, id_of(s)}) ehash.erase(it);
    s.in_ehash = false;
  }

  void cancel_rtx(Sock& s) {
    if (s.tcb.rtx_deadline) timers.erase({*s.tcb.rtx_deadline, TimerKind::syn_retransmit, id_of(s)});
    s.tcb.rtx_deadline.reset();
  }

  // tcp_done / tcp_set_state(TCP_CLOSE): the connection is over; the socket keeps its port only if
  // the user bound it explicitly (SOCK_BINDPORT_LOCK). An orphan is destroyed.
  void connection_done(Sock& s) {
    cancel_rtx(s);
    ehash_remove(s);
    s.state = TcpState::closed;
    release_unlocked_port(s);
    if (!s.fd && !s.parent) destroy(s);
  }

  // inet_put_port from tcp_set_state(TCP_CLOSE): a port the user did not bind explicitly
  // (SOCK_BINDPORT_LOCK) goes back; getsockname() still shows it (inet_sport stays).
  void release_unlocked_port(Sock& s) {
    if (!s.in_bind_table || s.bindport_lock) return;
    bucket_remove(s.lport, OwnerRef{false, id_of(s)});
    s.in_bind_table = false;
    s.connect_bound = false;
    s.name_port = s.lport;
    s.lport = 0;
  }

  void destroy(Sock& s) {
    const SockId id = id_of(s);
    cancel_rtx(s);
    ehash_remove(s);
    if (s.in_bind_table) bucket_remove(s.lport, OwnerRef{false, id});
    for (SockId child : s.accept_queue) {
      if (socks[child]) destroy(*socks[child]);
    }
    if (s.fd) release_fd(*s.fd);
    socks[id].reset();
    free_socks.push_back(id);
  }

  // Enter TIME-WAIT (or its FIN-WAIT-2 substate): tcp_time_wait.
  void enter_time_wait(Sock& s, bool fin_wait_2, Duration timeout, TimePoint now) {
    const FourTuple wt = wire_tuple(s);
    const auto where = [&] { return FourTuple{{s.laddr, s.lport}, *s.remote}.to_string(); };
    if (tw_count >= params.max_time_wait) {
      if (record_events) event(now, where() + " closes without TIME-WAIT (" + std::string(R().time_wait_overflow->id) + ")",
            R().time_wait_overflow);
      connection_done(s);
      return;
    }
    if (!params.time_wait_for_local_peer && !fin_wait_2 && is_local(wt.remote.addr)) {
      if (record_events) event(now, where() + " closes without TIME-WAIT: the peer is on this host", R().time_wait_overflow);
      connection_done(s);
      return;
    }
    TimeWaitEntry tw;
    tw.tuple = {{s.laddr, s.lport}, *s.remote};
    tw.family = s.family;
    tw.v6only = s.v6only;
    tw.device = s.device;
    tw.reuseaddr = s.share_reuseaddr;
    tw.reuseport = s.reuseport;
    tw.uid = s.uid;
    tw.fin_wait_2 = fin_wait_2;
    tw.connect_bound = s.connect_bound;
    tw.entered = now;
    tw.deadline = now + timeout;
    tw.snd_nxt = s.tcb.snd_nxt;
    tw.rcv_nxt = s.tcb.rcv_nxt;
    tw.rcv_wnd = rcv_window(s);
    tw.ts_ok = s.tcb.ts_ok;
    tw.ts_recent = s.tcb.ts_recent;
    // tcp_time_wait copies rx_opt.ts_recent_stamp whether or not this connection used timestamps:
    // a stamp inherited from a recycled TIME-WAIT lives on.
    tw.ts_recent_stamp = s.tcb.ts_recent_stamp;
    std::uint32_t id;
    if (!free_tws.empty()) {
      id = free_tws.back();
      free_tws.pop_back();
      tws[id] = std::move(tw);
    } else {
      tws.push_back(std::move(tw));
      id = static_cast<std::uint32_t>(tws.size() - 1);
    }
    ++tw_count;
    const std::uint16_t port = s.lport;
    // inet_twsk_hashdance_schedule: the entry takes the socket's places in both tables.
    bucket_add(port, OwnerRef{true, id});
    ehash_remove(s);
    ehash[wt] = OwnerRef{true, id};
    timers.insert({tws[id]->deadline, TimerKind::time_wait, id});
    if (record_events) event(now, where() + (fin_wait_2 ? " FIN-WAIT-2 (orphan, timewait socket) for " : " TIME-WAIT for ") +
                   format_duration(timeout),
          fin_wait_2 ? R().fin_wait_2_orphan : R().time_wait_enter);
    connection_done(s);
  }

  void kill_time_wait(std::uint32_t id) {
    auto& tw = *tws[id];
    timers.erase({tw.deadline, TimerKind::time_wait, id});
    auto it = ehash.find({wire(tw.tuple.local), wire(tw.tuple.remote)});
    if (it != ehash.end() && it->second == OwnerRef{true, id}) ehash.erase(it);
    bucket_remove(tw.tuple.local.port, OwnerRef{true, id});
    tws[id].reset();
    free_tws.push_back(id);
    --tw_count;
  }

  void rearm_time_wait(std::uint32_t id, TimePoint now) {
    auto& tw = *tws[id];
    timers.erase({tw.deadline, TimerKind::time_wait, id});
    tw.deadline = now + profile->time_wait_duration(knobs);
    timers.insert({tw.deadline, TimerKind::time_wait, id});
  }

  // What happens to an orphan that reaches FIN-WAIT-2 (tcp_close, semantics.md §2.11).
  void orphan_fin_wait_2(Sock& s, TimePoint now, std::vector<Segment>& out) {
    auto tmo = profile->orphan_fin_wait_2_timeout(knobs, s.linger2);
    if (!tmo) {
      send_rst(s, now, out);
      if (record_events) event(now, FourTuple{{s.laddr, s.lport}, *s.remote}.to_string() + " reset (TCP_LINGER2 < 0)",
            R().fin_wait_2_linger2_rst);
      connection_done(s);
      return;
    }
    enter_time_wait(s, true, *tmo, now);
  }

  void apply_state(Sock& s, const TcpTransition& tr) { s.state = tr.next; }

  // ---- listener lookup ------------------------------------------------------------------------

  std::optional<SockId> find_listener(const Endpoint& dst_wire, const FourTuple& incoming, bool from_self) const {
    auto it = bind_table.find(dst_wire.port);
    if (it == bind_table.end()) return std::nullopt;
    const std::string in_dev = from_self ? "lo" : (config.devices.empty() ? "eth0" : config.devices.front());
    int best = 0;
    std::vector<SockId> best_ids;
    for (const auto& o : it->second.owners) {
      if (o.time_wait) continue;
      const Sock& s = *socks[o.id];
      if (s.state != TcpState::listen) continue;
      if (!s.device.empty() && s.device != in_dev) continue;
      int score = 0;
      if (dst_wire.addr.family() == Family::inet) {
        if (s.family == Family::inet) {
          if (s.laddr == dst_wire.addr) score = 4;
          else if (s.laddr.is_wildcard()) score = 2;
          if (score) ++score;  // compute_score: PF_INET preferred
        } else if (!s.v6only) {
          if (s.laddr == dst_wire.addr.mapped_v6()) score = 4;
          else if (s.laddr.is_wildcard() || s.laddr == IpAddress::any(Family::inet).mapped_v6()) score = 2;
        }
      } else if (s.family == Family::inet6) {
        if (s.laddr == dst_wire.addr) score = 4;
        else if (s.laddr.is_wildcard()) score = 2;
      }
      if (score && !s.device.empty()) score += 1;
      if (score > best) {
        best = score;
        best_ids.clear();
      }
      if (score && score == best) best_ids.push_back(o.id);
    }
    if (best_ids.empty()) return std::nullopt;
    if (best_ids.size() == 1) return best_ids.front();
    // SO_REUSEPORT group: reuseport_select_sock spreads by a hash of the 4-tuple.
    return best_ids[FourTupleHash{}(incoming) % best_ids.size()];
  }

  // ---- segment processing ---------------------------------------------------------------------

  void reply_rst_no_socket(const Segment& seg, std::vector<Segment>& out) {
    if (seg.flags.rst) return;
    Segment r;
    r.src = seg.dst;
    r.dst = seg.src;
    if (seg.flags.ack) {
      r.flags = {.rst = true};
      r.seq = seg.ack;
    } else {
      r.flags = {.ack = true, .rst = true};
      r.seq = 0;
      r.ack = seg.seq + seg.payload + (seg.flags.syn ? 1 : 0) + (seg.flags.fin ? 1 : 0);
    }
    out.push_back(r);
  }

  void syn_to_listener(Sock& l, const Segment& seg, std::optional<std::uint32_t> tw_isn, TimePoint now,
                       std::vector<Segment>& out) {
    const SockId lid = id_of(l);
    const SockId cid = new_sock();
    Sock& listener = *socks[lid];  // new_sock may have moved the vector
    Sock& c = *socks[cid];
    c.family = listener.family;
    c.uid = listener.uid;
    c.reuseaddr = listener.reuseaddr;
    c.share_reuseaddr = listener.share_reuseaddr;
    c.exclusiveaddruse = listener.exclusiveaddruse;
    c.share_exclusive = listener.share_exclusive;
    c.reuseport = listener.reuseport;
    c.v6only = listener.v6only;
    c.linger = listener.linger;
    c.device = listener.device;
    c.rcvbuf = listener.rcvbuf;
    c.sndbuf = listener.sndbuf;
    c.linger2 = listener.linger2;
    // sk_clone_lock copies sk_shutdown: a shutdown() made on the socket before it listened (the
    // call fails with ENOTCONN, the flags stay) carries over to every child, whose SEND_SHUTDOWN
    // then sends a FIN as the handshake completes (see the SYN-RECEIVED -> ESTABLISHED step).
    c.shut_rd = listener.shut_rd;
    c.shut_wr = listener.shut_wr;
    c.has_addr = true;
    c.laddr = in_family(seg.dst.addr, c.family);
    c.lport = seg.dst.port;
    // Linux clears the lock (sk_clone_lock), so a child gives its port back when it reaches CLOSE
    // with its descriptor still open (tcp_set_state -> inet_put_port) and can bind() again.
    c.bindport_lock = profile->child_keeps_port_lock && listener.bindport_lock;
    c.remote = Endpoint{in_family(seg.src.addr, c.family), seg.src.port};
    c.parent = lid;
    c.ss = SocketLayerState::connected;  // inet_accept
    auto tr = tcp_transition(TcpState::listen, TcpEvent::rcv_syn);
    c.state = tr.next;
    auto& t = c.tcb;
    t.irs = seg.seq;
    t.rcv_nxt = seg.seq + 1;
    t.iss = tw_isn ? *tw_isn : isn(wire_tuple(c), now);
    t.snd_una = t.iss;
    t.snd_nxt = t.iss + 1;
    t.snd_wnd = seg.window;
    t.ts_ok = seg.ts.has_value() && params.timestamps != 0;
    if (t.ts_ok) {
      t.ts_recent = seg.ts->tsval;
      t.ts_recent_stamp = now;
    }
    c.in_bind_table = true;
    bucket_add(c.lport, OwnerRef{false, cid});  // __inet_inherit_port
    ehash_insert(c);
    send_syn_ack(c, now, out);
  }

  void process_time_wait(std::uint32_t id, const Segment& seg, TimePoint now, std::vector<Segment>& out,
                         bool from_self) {
    auto& tw = *tws[id];
    const std::uint32_t end_seq = seg.seq + seg.payload + (seg.flags.syn ? 1 : 0) + (seg.flags.fin ? 1 : 0);
    const bool paws_reject = seg.ts && tw.ts_recent_stamp && static_cast<std::int32_t>(seg.ts->tsval - tw.ts_recent) < 0;
    const auto where = [&] { return tw.tuple.to_string(); };
    auto tw_ack = [&] {
      Segment a;
      a.src = wire(tw.tuple.local);
      a.dst = wire(tw.tuple.remote);
      a.flags = {.ack = true};
      a.seq = tw.snd_nxt;
      a.ack = tw.rcv_nxt;
      a.window = tw.rcv_wnd;
      if (tw.ts_ok) a.ts = TimestampOption{tsval({a.src, a.dst}, now), tw.ts_recent};
      out.push_back(a);
    };
    auto tw_rst = [&] {
      Segment r;
      r.src = wire(tw.tuple.local);
      r.dst = wire(tw.tuple.remote);
      r.flags = {.rst = true};
      r.seq = seg.flags.ack ? seg.ack : tw.snd_nxt;
      out.push_back(r);
    };
    if (tw.fin_wait_2) {  // tcp_timewait_state_process, FIN-WAIT-2 substate
      const bool in_window = seq_le(tw.rcv_nxt, seg.seq) && seq_le(end_seq, tw.rcv_nxt + tw.rcv_wnd);
      if (paws_reject || !in_window) return tw_ack();
      if (seg.flags.rst) {
        if (record_events) event(now, where() + " killed by RST", R().time_wait_rst_kill);
        return kill_time_wait(id);
      }
      if (seg.flags.syn && !seq_lt(seg.seq, tw.rcv_nxt)) {
        tw_rst();
        return kill_time_wait(id);
      }
      if (!seg.flags.ack || !seq_gt(end_seq, tw.rcv_nxt) || end_seq == seg.seq) return;
      if (!seg.flags.fin || end_seq != tw.rcv_nxt + 1) {  // data after close: reset
        tw_rst();
        if (record_events) event(now, where() + " reset: data after close", R().orphan_data_rst);
        return kill_time_wait(id);
      }
      if (!params.time_wait_for_local_peer && is_local(wire(tw.tuple.remote.addr))) {
        // FreeBSD nolocaltimewait: the final ACK goes out, then the connection is simply closed.
        tw.rcv_nxt = end_seq;
        tw_ack();
        if (record_events) event(now, where() + " closes without TIME-WAIT: the peer is on this host", R().time_wait_overflow);
        return kill_time_wait(id);
      }
      tw.fin_wait_2 = false;
      tw.rcv_nxt = end_seq;
      if (seg.ts && tw.ts_ok) {
        tw.ts_recent = seg.ts->tsval;
        tw.ts_recent_stamp = now;
      }
      rearm_time_wait(id, now);
      if (record_events) event(now, where() + " TIME-WAIT for " + format_duration(profile->time_wait_duration(knobs)),
            R().time_wait_enter);
      return tw_ack();
    }
    // Real TIME-WAIT.
    if (!paws_reject && seg.seq == tw.rcv_nxt && (seg.seq == end_seq || seg.flags.rst)) {
      if (seg.flags.rst) {
        if (params.rst_kills_time_wait) {
          if (record_events) event(now, where() + " killed by RST (tcp_rfc1337=0)", R().time_wait_rst_kill);
          return kill_time_wait(id);
        }
      } else {
        rearm_time_wait(id, now);
      }
      if (seg.ts && tw.ts_ok) {
        tw.ts_recent = seg.ts->tsval;
        tw.ts_recent_stamp = now;
      }
      return;
    }
    if (seg.flags.syn && !seg.flags.rst && !seg.flags.ack && !paws_reject &&
        (seq_gt(seg.seq, tw.rcv_nxt) || (seg.ts && static_cast<std::int32_t>(tw.ts_recent - seg.ts->tsval) < 0))) {
      std::uint32_t isn_new = tw.snd_nxt + 65535 + 2;
      if (isn_new == 0) ++isn_new;
      const Endpoint dst = seg.dst;
      if (auto l = find_listener(dst, {seg.dst, seg.src}, from_self)) {
        if (record_events) event(now, where() + " replaced by a new incarnation (SYN accepted in TIME-WAIT)",
              R().time_wait_syn_accepted);
        kill_time_wait(id);
        return syn_to_listener(*socks[*l], seg, isn_new, now, out);
      }
      return tw_ack();
    }
    if (!seg.flags.rst) {
      if (paws_reject || seg.flags.ack) {
        rearm_time_wait(id, now);
        if (seg.flags.fin) if (record_events) event(now, where() + " TIME-WAIT re-armed (retransmitted FIN)", R().time_wait_rearm);
      }
      tw_ack();
    }
  }

  void process_socket(Sock& s, const Segment& seg, TimePoint now, std::vector<Segment>& out) {
    auto& t = s.tcb;
    const auto where = [&] { return FourTuple{{s.laddr, s.lport}, *s.remote}.to_string(); };
    if (s.state == TcpState::syn_sent) {
      if (seg.flags.ack && seg.ack != t.snd_nxt) {
        if (seg.flags.rst) return;
        tcp_transition(s.state, TcpEvent::rcv_bad_ack);
        // Linux: the ACK may be a TIME-WAIT's answer to our SYN (tcp_v4_timewait_ack). The RST
        // below kills that TIME-WAIT (unless tcp_rfc1337=1), so the SYN is retransmitted almost at
        // once instead of after the initial RTO (tcp_rcv_synsent_state_process; HostParams).
        if (params.syn_sent_bad_ack_retransmit && t.syn_retransmits == 0) {
          cancel_rtx(s);
          t.rtx_deadline = now + *params.syn_sent_bad_ack_retransmit;
          timers.insert({*t.rtx_deadline, TimerKind::syn_retransmit, id_of(s)});
          if (record_events)
            event(now, where() + " SYN-SENT: unacceptable ACK answered with RST; SYN retransmitted in " +
                           format_duration(*params.syn_sent_bad_ack_retransmit),
                  nullptr);
        }
        Segment r;
        r.src = seg.dst;
        r.dst = seg.src;
        r.flags = {.rst = true};
        r.seq = seg.ack;
        out.push_back(r);
        return;
      }
      if (seg.flags.rst) {
        if (!seg.flags.ack) return;
        auto tr = tcp_transition(s.state, TcpEvent::rcv_rst);
        s.so_error = Errno::econnrefused;
        s.so_error_rule = R().connect_refused;
        connect_attempt_failed(s);
        apply_state(s, tr);
        connection_done(s);
        return;
      }
      if (!seg.flags.syn) return;
      t.irs = seg.seq;
      t.rcv_nxt = seg.seq + 1;
      t.snd_wnd = seg.window;
      t.ts_ok = t.syn_had_ts && seg.ts.has_value();
      if (t.ts_ok) {
        t.ts_recent = seg.ts->tsval;
        t.ts_recent_stamp = now;
      }
      if (seg.flags.ack) {
        t.snd_una = seg.ack;
        auto tr = tcp_transition(s.state, TcpEvent::rcv_syn_ack);
        apply_state(s, tr);
        cancel_rtx(s);
        send_ack(s, now, out);
        push(s, now, out);
      } else {
        auto tr = tcp_transition(s.state, TcpEvent::rcv_syn);  // simultaneous open
        apply_state(s, tr);
        send_syn_ack(s, now, out);
      }
      return;
    }

    // Synchronized states and SYN-RECEIVED.
    if (seg.flags.rst) {
      // RFC 5961 3.2: only an exact match resets; a near miss gets a challenge ACK.
      if (seg.seq != t.rcv_nxt) {
        if (seq_le(t.rcv_nxt, seg.seq) && seq_lt(seg.seq, t.rcv_nxt + rcv_window(s))) send_ack(s, now, out);
        return;
      }
      auto tr = tcp_transition(s.state, TcpEvent::rcv_rst);
      // A half-open child is forgotten by the listener. A queued one (handshake complete) is too,
      // unless the OS keeps it queued, closed with its error pending (HostParams).
      if (s.parent && (s.state == TcpState::syn_received || !params.accept_queue_keeps_reset_children)) {
        auto& q = socks[*s.parent]->accept_queue;
        q.erase(std::remove(q.begin(), q.end(), id_of(s)), q.end());
        s.parent.reset();
        s.state = TcpState::closed;
        destroy(s);
        return;
      }
      if (tr.actions.report_reset || tr.actions.report_refused) {
        // tcp_reset: "the right error as BSD sees it": EPIPE in CLOSE-WAIT, else ECONNRESET.
        s.so_error = tr.actions.report_refused       ? Errno::econnrefused
                     : s.state == TcpState::close_wait ? Errno::epipe
                                                       : Errno::econnreset;
        s.so_error_rule = tr.actions.report_refused           ? R().connect_refused
                          : s.so_error == Errno::epipe ? R().send_epipe
                                                       : R().connect_reset;
      }
      if (record_events) event(now, where() + " reset by peer", tr.actions.report_reset ? R().connect_reset : nullptr);
      apply_state(s, tr);
      connection_done(s);
      return;
    }
    if (seg.flags.syn) {
      // Simultaneous open (RFC 9293 3.10.7.3; a connect() to the socket's own address and port
      // is one with itself): having answered the peer's SYN with SYN,ACK from SYN-SENT, we now
      // receive the peer's SYN,ACK. Linux lets exactly this segment through to ACK processing,
      // which completes the handshake (tcp_validate_incoming: SYN_RECV, sk->sk_socket set,
      // seq + 1 == rcv_nxt, ack_seq == snd_nxt). RFC 9293 reaches the same ESTABLISHED by
      // another path (the SYN,ACK is out of window, its ACK is answered with an ACK that
      // completes the other side); a listener's child never gets here (its peer is in SYN-SENT).
      const bool simultaneous_open_syn_ack = s.state == TcpState::syn_received && !s.parent && seg.flags.ack &&
                                             seg.seq + 1 == t.rcv_nxt && seg.ack == t.snd_nxt;
      if (!simultaneous_open_syn_ack) {
        if (s.state == TcpState::syn_received) return;  // retransmitted SYN; our SYN,ACK went out already
        tcp_transition(s.state, TcpEvent::rcv_syn);  // challenge ACK
        send_ack(s, now, out);
        return;
      }
    }
    if (!seg.flags.ack) return;
    if (seq_gt(seg.ack, t.snd_una) && seq_le(seg.ack, t.snd_nxt)) t.snd_una = seg.ack;
    t.snd_wnd = seg.window;
    if (t.ts_ok && seg.ts) {
      t.ts_recent = seg.ts->tsval;
      t.ts_recent_stamp = now;
    }
    if (s.state == TcpState::syn_received && seg.ack == t.iss + 1) {
      apply_state(s, tcp_transition(s.state, TcpEvent::rcv_ack_of_syn));
      cancel_rtx(s);  // a simultaneous open's SYN timer; a listener's child has none
      // tcp_rcv_state_process, TCP_SYN_RECV: "if (sk->sk_shutdown & SEND_SHUTDOWN)
      // tcp_shutdown(sk, SEND_SHUTDOWN)": a shutdown(SHUT_WR) made before connect() (on the
      // CLOSE socket: ENOTCONN, but the flag stays) sends the FIN as soon as a simultaneous open
      // completes. (The ordinary SYN-SENT -> ESTABLISHED path, tcp_finish_connect, does not.)
      if (s.shut_wr && !t.fin_queued) {
        const auto tr = tcp_transition(s.state, TcpEvent::close);
        if (tr.actions.send_fin) {
          apply_state(s, tr);
          t.fin_queued = true;
        }
      }
      if (s.parent) socks[*s.parent]->accept_queue.push_back(id_of(s));
    }
    if (t.fin_sent && !t.fin_acked && seg.ack == t.snd_nxt) {
      t.fin_acked = true;
      auto tr = tcp_transition(s.state, TcpEvent::rcv_ack_of_fin);
      apply_state(s, tr);
      if (tr.actions.delete_tcb) {  // LAST-ACK done
        connection_done(s);
        return;
      }
      if (tr.actions.start_time_wait) {  // CLOSING -> TIME-WAIT
        enter_time_wait(s, false, profile->time_wait_duration(knobs), now);
        return;
      }
      if (s.state == TcpState::fin_wait_2 && !s.fd && !s.parent) {
        orphan_fin_wait_2(s, now, out);
        return;
      }
    }
    bool need_ack = false;
    if (seg.payload > 0) {
      const bool shut_rd_resets = params.shut_rd_data_resets && s.shut_rd &&
                                  (s.state == TcpState::fin_wait_1 || s.state == TcpState::fin_wait_2) &&
                                  seq_gt(seg.seq + seg.payload, t.rcv_nxt);
      // tcp_rcv_state_process: new data for a socket closed (orphaned) or shut down for reading
      if (s.orphan_rcv_shutdown || shut_rd_resets) {
        send_rst(s, now, out);
        if (shut_rd_resets) {  // tcp_reset(sk) on itself: the open socket reports ECONNRESET once
          s.so_error = Errno::econnreset;
          s.so_error_rule = R().orphan_data_rst;
        }
        if (record_events)
          event(now, where() + (s.orphan_rcv_shutdown ? " reset: data after close" : " reset: data after shutdown(SHUT_RD)"),
                R().orphan_data_rst);
        connection_done(s);
        return;
      }
      if (seg.seq == t.rcv_nxt) {
        t.rcv_queue += seg.payload;
        t.rcv_nxt += seg.payload;
      }
      need_ack = true;
    }
    if (seg.flags.fin && seg.seq + seg.payload == t.rcv_nxt && !t.fin_rcvd) {
      t.fin_rcvd = true;
      t.rcv_nxt += 1;
      auto tr = tcp_transition(s.state, TcpEvent::rcv_fin);
      apply_state(s, tr);
      if (tr.actions.start_time_wait) {
        send_ack(s, now, out);
        enter_time_wait(s, false, profile->time_wait_duration(knobs), now);
        return;
      }
      need_ack = true;
    }
    if (need_ack) send_ack(s, now, out);
    push(s, now, out);
  }

  void deliver(const Segment& seg, TimePoint now, std::vector<Segment>& out) {
    const bool from_self = is_local(seg.src.addr);
    auto it = ehash.find({seg.dst, seg.src});
    if (it != ehash.end()) {
      if (it->second.time_wait) return process_time_wait(it->second.id, seg, now, out, from_self);
      return process_socket(*socks[it->second.id], seg, now, out);
    }
    if (seg.flags.syn && !seg.flags.ack && !seg.flags.rst) {
      if (auto l = find_listener(seg.dst, {seg.dst, seg.src}, from_self))
        return syn_to_listener(*socks[*l], seg, std::nullopt, now, out);
    }
    reply_rst_no_socket(seg, out);
  }

  void advance(TimePoint now, std::vector<Segment>& out) {
    while (!timers.empty() && std::get<0>(*timers.begin()) <= now) {
      auto [at, kind, id] = *timers.begin();
      timers.erase(timers.begin());
      if (kind == TimerKind::time_wait) {
        auto& tw = *tws[id];
        if (record_events) event(at, tw.tuple.to_string() + (tw.fin_wait_2 ? " FIN-WAIT-2" : " TIME-WAIT") + " expired",
              R().time_wait_expire);
        tw.deadline = at;
        timers.insert({at, kind, id});  // so that kill_time_wait finds and erases it
        kill_time_wait(id);
        continue;
      }
      Sock& s = *socks[id];
      s.tcb.rtx_deadline.reset();
      if (s.state != TcpState::syn_sent) continue;
      if (s.tcb.syn_retransmits >= params.syn_retries) {
        auto tr = tcp_transition(s.state, TcpEvent::timeout_retransmit);
        s.so_error = Errno::etimedout;
        s.so_error_rule = R().connect_timeout;
        connect_attempt_failed(s);
        apply_state(s, tr);
        connection_done(s);
        continue;
      }
      ++s.tcb.syn_retransmits;
      s.tcb.rto = std::min<Duration>(s.tcb.rto * 2, std::chrono::seconds(120));  // TCP_RTO_MAX
      send_syn(s, at, out);
      s.tcb.rtx_deadline = at + s.tcb.rto;
      timers.insert({*s.tcb.rtx_deadline, TimerKind::syn_retransmit, id});
    }
  }

  // ---- calls ----------------------------------------------------------------------------------

  static CallResult ok(const Rule& r, std::int64_t v = 0) {
    CallResult c;
    c.value = v;
    c.rule = &r;
    return c;
  }
  static CallResult fail(Errno e, const Rule& r) {
    CallResult c;
    c.value = -1;
    c.err = e;
    c.rule = &r;
    return c;
  }
  static CallResult fail(const Decision& d) { return fail(d.err, *d.rule); }

  // The errno the application sees: the profile's spelling (Windows WSAE*).
  CallResult finish(CallResult r) const {
    r.err = profile->map_errno(r.err);
    return r;
  }

  // SO_REUSEADDR / SO_EXCLUSIVEADDRUSE on a socket that already has its port: Linux and the BSDs
  // read the flag at every later conflict check; Windows fixes it at bind().
  CallResult reuse_option_after_bind(Sock& s) {
    if (!params.reuse_options_fixed_at_bind) {
      s.share_reuseaddr = s.reuseaddr;
      s.share_exclusive = s.exclusiveaddruse;
    }
    return ok(*R().setsockopt_reuse_after_bind);
  }

  CallResult setsockopt(Fd fd, SockOpt opt, const OptValue& value) {
    Sock* sp = sock_of(fd);
    if (!sp) return fail(Errno::ebadf, *R().ebadf);
    Sock& s = *sp;
    if (!profile->supports_option(opt)) return fail(Errno::enoprotoopt, *R().setsockopt_enoprotoopt);
    const std::int64_t* i = std::get_if<std::int64_t>(&value);
    switch (opt) {
      case SockOpt::so_reuseaddr:
        s.reuseaddr = i && *i != 0;
        if (s.lport != 0) return reuse_option_after_bind(s);
        s.share_reuseaddr = s.reuseaddr;
        break;
      case SockOpt::so_reuseport:
        s.reuseport = i && *i != 0;
        break;
      case SockOpt::so_linger:
      case SockOpt::so_linger_sec:
        s.linger = std::get<Linger>(value);
        s.linger_in_seconds = opt == SockOpt::so_linger_sec;
        break;
      case SockOpt::so_bindtodevice: {
        const auto& d = std::get<std::string>(value);
        if (!d.empty() && !device_exists(d)) return fail(Errno::enodev, *R().setsockopt_enodev);
        s.device = d;
        break;
      }
      case SockOpt::so_rcvbuf:
      case SockOpt::so_sndbuf: {
        // Linux sk_setsockopt: min(val, rmem_max) doubled, at least SOCK_MIN_RCVBUF/SNDBUF.
        const std::int64_t v = std::max<std::int64_t>(std::min<std::int64_t>(*i, kMaxSockBuf) * 2, 4608);
        (opt == SockOpt::so_rcvbuf ? s.rcvbuf : s.sndbuf) = v;
        break;
      }
      case SockOpt::tcp_linger2:
        if (*i == 0) {
          s.linger2.reset();
        } else {
          s.linger2 = *i < 0 ? -1 : std::min<std::int64_t>(*i, 120);
        }
        break;
      case SockOpt::ipv6_v6only:
        if (s.family != Family::inet6) return fail(Errno::enoprotoopt, *R().setsockopt_enoprotoopt);
        if (s.lport != 0) return fail(Errno::einval, *R().setsockopt_einval);
        s.v6only = *i != 0;
        break;
      case SockOpt::ip_bind_address_no_port:
        s.bind_no_port = *i != 0;
        break;
      case SockOpt::ip_local_port_range: {
        const auto& r = std::get<PortRange>(value);
        if (r.low && r.high && r.low > r.high) return fail(Errno::einval, *R().setsockopt_einval);
        s.port_range = r;
        break;
      }
      case SockOpt::ip_freebind:
        s.freebind = *i != 0;
        break;
      case SockOpt::so_exclusiveaddruse:
        s.exclusiveaddruse = *i != 0;
        if (s.lport != 0) return reuse_option_after_bind(s);
        s.share_exclusive = s.exclusiveaddruse;
        break;
      case SockOpt::so_reuseport_lb:
        s.reuseport_lb = *i != 0;
        break;
      case SockOpt::tcp_exclbind:
        s.exclbind = *i != 0;
        break;
    }
    return ok(*R().setsockopt_ok);
  }

  CallResult getsockopt(Fd fd, SockOpt opt) const {
    const Sock* sp = sock_of(fd);
    if (!sp) return fail(Errno::ebadf, *R().ebadf);
    const Sock& s = *sp;
    if (!profile->supports_option(opt)) return fail(Errno::enoprotoopt, *R().setsockopt_enoprotoopt);
    OptValue v;
    switch (opt) {
      case SockOpt::so_reuseaddr: v = std::int64_t{s.reuseaddr}; break;
      case SockOpt::so_reuseport: v = std::int64_t{s.reuseport}; break;
      case SockOpt::so_linger:
      case SockOpt::so_linger_sec: v = s.linger; break;
      case SockOpt::so_bindtodevice: v = s.device; break;
      case SockOpt::so_rcvbuf: v = s.rcvbuf; break;
      case SockOpt::so_sndbuf: v = s.sndbuf; break;
      case SockOpt::tcp_linger2: {
        // Linux getsockopt(TCP_LINGER2) reports tcp_fin_timeout when unset.
        auto dflt = profile->orphan_fin_wait_2_timeout(knobs, std::nullopt);
        const std::int64_t secs =
            s.linger2 ? *s.linger2 : (dflt ? std::chrono::duration_cast<std::chrono::seconds>(*dflt).count() : -1);
        v = secs;
        break;
      }
      case SockOpt::ipv6_v6only:
        if (s.family != Family::inet6) return fail(Errno::enoprotoopt, *R().setsockopt_enoprotoopt);
        v = std::int64_t{s.v6only};
        break;
      case SockOpt::ip_bind_address_no_port: v = std::int64_t{s.bind_no_port}; break;
      case SockOpt::ip_local_port_range: v = s.port_range; break;
      case SockOpt::ip_freebind: v = std::int64_t{s.freebind}; break;
      case SockOpt::so_exclusiveaddruse: v = std::int64_t{s.exclusiveaddruse}; break;
      case SockOpt::so_reuseport_lb: v = std::int64_t{s.reuseport_lb}; break;
      case SockOpt::tcp_exclbind: v = std::int64_t{s.exclbind}; break;
    }
    CallResult r = ok(*R().getsockopt_ok);
    r.option = v;
    return r;
  }

  CallResult bind(Fd fd, const Endpoint& ep) {
    Sock* sp = sock_of(fd);
    if (!sp) return fail(Errno::ebadf, *R().ebadf);
    Sock& s = *sp;
    const IpAddress& a = ep.addr;
    const bool privileged = ep.port != 0 && ep.port < params.privileged_below && s.uid != 0 &&
                            !(params.privileged_only_specific && ep.addr.is_wildcard());
    const bool nonlocal_ok = s.freebind || params.nonlocal_bind;
    if (s.family == Family::inet) {  // __inet_bind
      if (a.family() != Family::inet) return fail(Errno::eafnosupport, *R().bind_eafnosupport);
      if (!a.is_wildcard() && !a.is_multicast() && !is_local(a) && !nonlocal_ok)
        return fail(Errno::eaddrnotavail, *R().bind_eaddrnotavail_not_local);
      if (privileged) return fail(Errno::eacces, *R().bind_eacces_privileged);
      if (s.state != TcpState::closed || s.lport != 0) return fail(Errno::einval, *R().bind_einval_already_bound);
    } else {  // __inet6_bind
      if (a.family() != Family::inet6) return fail(Errno::einval, *R().bind_einval_short_addr);
      if (a.is_multicast()) return fail(Errno::einval, *R().bind_einval_v6_multicast);
      if (privileged) return fail(Errno::eacces, *R().bind_eacces_privileged);
      if (s.state != TcpState::closed || s.lport != 0) return fail(Errno::einval, *R().bind_einval_already_bound);
      if (a.is_v4_mapped()) {
        if (s.v6only) return fail(Errno::einval, *R().bind_einval_v6only_mapped);
        const IpAddress v4 = *a.unmapped_v4();
        if (!v4.is_wildcard() && !v4.is_multicast() && !is_local(v4) && !nonlocal_ok)
          return fail(Errno::eaddrnotavail, *R().bind_eaddrnotavail_not_local);
      } else if (!a.is_wildcard()) {
        // ipv6_can_nonlocal_bind reads the IPv6 knob; the v4-mapped branch above, the IPv4 one.
        const bool nonlocal6_ok = s.freebind || params.nonlocal_bind_v6;
        if (a.is_link_local_v6() && s.device.empty()) return fail(Errno::einval, *R().bind_einval_link_local_scope);
        if (!is_local(a) && !nonlocal6_ok) return fail(Errno::eaddrnotavail, *R().bind_eaddrnotavail_not_local);
        // __inet6_bind checks the address against the bound device: ipv6_chk_addr(net, addr, dev,
        // 0) accepts an address of host or link scope only on its own device, and ::1 lives on lo.
        // (__inet_bind has no such check for IPv4.) Found by the differential test on 6.18.44.
        if (a.is_loopback() && !s.device.empty() && s.device != "lo" && !nonlocal6_ok)
          return fail(Errno::eaddrnotavail, *R().bind_eaddrnotavail_not_local);
      }
    }
    const bool saved_v6only = s.v6only;
    const IpAddress saved_addr = s.laddr;
    const bool saved_has_addr = s.has_addr;
    // Binding a specific, non-mapped IPv6 address makes the socket IPv6-only (semantics.md §2.2).
    if (s.family == Family::inet6 && !a.is_wildcard() && !a.is_v4_mapped()) s.v6only = true;
    s.laddr = a;
    s.has_addr = true;
    // SOCK_BINDADDR_LOCK: the user chose the address (a specific one), so a failed connect()
    // does not reset it.
    const bool saved_addr_lock = s.bindaddr_lock;
    s.bindaddr_lock = !(a.is_wildcard() || (a.is_v4_mapped() && a.unmapped_v4()->is_wildcard()));
    auto restore = [&] {
      s.v6only = saved_v6only;
      s.laddr = saved_addr;
      s.has_addr = saved_has_addr;
      s.bindaddr_lock = saved_addr_lock;
    };
    if (ep.port == 0 && s.bind_no_port) return ok(*R().bind_no_port_deferred);
    if (ep.port == 0) {
      auto r = take_ephemeral_for_bind(s);
      if (r.failed()) restore();
      return r;
    }
    const BindOwnerView n = view_of(s);
    // The fast path's rule is reported only where it changes the answer: where the owners agree,
    // their rule says more.
    Decision d = profile->bind_decide(knobs, n, owners_except(ep.port, id_of(s)), BindMode::explicit_port);
    if (!d.ok())
      if (const Decision fast = bind_fast_path(ep.port, n); fast.rule) d = fast;
    if (!d.ok()) {
      restore();
      return fail(d);
    }
    s.lport = ep.port;
    s.bindport_lock = true;
    s.in_bind_table = true;
    bind_cache_update(ep.port, n);
    bucket_add(ep.port, OwnerRef{false, id_of(s)});
    return ok(*d.rule);
  }

  // inet_csk_get_port(sk, 0) for bind(addr, 0) and listen() without a port.
  CallResult take_ephemeral_for_bind(Sock& s) {
    const BindOwnerView n = view_of(s);
    const SockId self = id_of(s);
    auto usable = [&](std::uint16_t port, bool relaxed) {
      auto it = bind_table.find(port);
      if (it == bind_table.end()) return true;
      return profile
          ->bind_decide(knobs, n, owners_except(port, self), relaxed ? BindMode::ephemeral_relaxed : BindMode::ephemeral_strict)
          .ok();
    };
    PortChoice c = profile->pick_bind_port(knobs, effective_range(s), s.reuseaddr, last_port, rng, usable);
    if (!c.port) {
      CallResult r = fail(c.err, *c.rule);
      r.probes = c.probes;
      return r;
    }
    s.lport = *c.port;
    s.in_bind_table = true;
    bind_cache_update(*c.port, n);
    bucket_add(*c.port, OwnerRef{false, self});
    CallResult r = ok(*c.rule);
    r.probes = c.probes;
    return r;
  }

  CallResult listen(Fd fd, int backlog) {
    Sock* sp = sock_of(fd);
    if (!sp) return fail(Errno::ebadf, *R().ebadf);
    Sock& s = *sp;
    if (s.state == TcpState::listen) {
      s.backlog = backlog;
      return ok(*R().listen_again);
    }
    // inet_listen: only an SS_UNCONNECTED socket in CLOSE may listen.
    if (s.state != TcpState::closed || s.ss != SocketLayerState::unconnected)
      return fail(Errno::einval, *R().listen_einval_state);
    // inet_csk_listen_start: the state becomes LISTEN, then get_port re-checks.
    s.state = TcpState::listen;
    if (s.lport == 0) {
      if (!s.has_addr) s.laddr = IpAddress::any(s.family);
      CallResult r = take_ephemeral_for_bind(s);
      if (r.failed()) {
        s.state = TcpState::closed;
        r.rule = R().listen_autobind_exhausted;
        return r;
      }
    } else if (profile->listen_rechecks) {
      const BindOwnerView n = view_of(s);
      Decision d = profile->bind_decide(knobs, n, owners_except(s.lport, id_of(s)), BindMode::listen_recheck);
      bool fast = false;
      if (!d.ok())
        if (const Decision f = bind_fast_path(s.lport, n); f.rule) d = f, fast = true;
      if (!d.ok()) {
        s.state = TcpState::closed;
        return fail(d);
      }
      bind_cache_update(s.lport, n);
      if (fast) {
        s.backlog = backlog;
        return ok(*d.rule);
      }
    }
    s.backlog = backlog;
    return ok(*R().listen_ok);
  }

  // connect() picks the source address: none bound yet, or a wildcard one. ::ffff:0.0.0.0 counts
  // as wildcard: tcp_v4_connect (from tcp_v6_connect for a v4-mapped destination) sees
  // inet_saddr == 0 (soak seed 3671020358767953513).
  static bool source_unset(const Sock& s) {
    return !s.has_addr || s.laddr.is_wildcard() || (s.laddr.is_v4_mapped() && s.laddr.unmapped_v4()->is_wildcard());
  }

  std::optional<IpAddress> source_for(const Sock& s, const IpAddress& dst_wire) const {
    if (!source_unset(s)) return wire(s.laddr);
    if (dst_wire.is_loopback()) return IpAddress::loopback(dst_wire.family());
    if (is_local(dst_wire)) return dst_wire;
    const InterfaceAddress* first = nullptr;
    for (const auto& ia : config.addresses) {
      if (ia.addr.family() != dst_wire.family()) continue;
      if (prefix_contains(ia, dst_wire)) return ia.addr;
      if (!first) first = &ia;
    }
    if (first) return first->addr;
    return std::nullopt;
  }

  bool routable(const IpAddress& dst_wire) const {
    if (is_local(dst_wire)) return true;
    for (const auto& r : config.routes)
      if (prefix_contains(r, dst_wire)) return true;
    return false;
  }

  // The connection attempt failed (RST or SYN timeout). Without socket-layer rules the socket is
  // unconnected again at once; Linux leaves it SS_CONNECTING until a connect() collects the error.
  void connect_attempt_failed(Sock& s) {
    if (!profile->socket_layer) s.ss = SocketLayerState::unconnected;
  }

  // __inet_stream_connect's error path (sock_error): SS_UNCONNECTED, then tcp_disconnect: shutdown
  // flags are cleared (recv() now says ENOTCONN, not EOF) and an address the user did not choose
  // is reset.
  void disconnect_after_failed_connect(Sock& s) {
    s.ss = SocketLayerState::unconnected;
    s.tcb = Tcb{};
    s.shut_rd = s.shut_wr = false;
    if (!s.bindaddr_lock) s.laddr = IpAddress::any(s.family);
  }

  // __inet_stream_connect's switch on the socket-layer state (Profile::socket_layer). Returns the
  // call's result, or nullopt for SS_UNCONNECTED: a new connection attempt (if the TCP state is
  // CLOSE; EISCONN otherwise, below).
  std::optional<CallResult> connect_by_socket_layer(Sock& s) {
    const SocketLayerRules& L = *profile->socket_layer;
    switch (s.ss) {
      case SocketLayerState::unconnected: return std::nullopt;
      case SocketLayerState::connected: return fail(Errno::eisconn, *R().connect_eisconn);
      case SocketLayerState::disconnecting: return fail(Errno::einval, *L.connect_einval_disconnecting);
      case SocketLayerState::connecting: break;
    }
    // SS_CONNECTING: err = -EALREADY, then the TCP state decides.
    if (s.state == TcpState::syn_sent || s.state == TcpState::syn_received) {
      if (s.nonblock) return fail(Errno::ealready, *R().connect_ealready);
      CallResult r = ok(*L.connect_completed);  // a blocking call waits (inet_wait_for_connect); see poll
      r.pending = Pending::connect;
      return r;
    }
    if (s.state == TcpState::closed) {  // sock_error
      CallResult r = s.so_error != Errno::ok ? *take_so_error(s, *R().connect_reset)
                                             : fail(Errno::econnaborted, *L.connect_aborted);
      disconnect_after_failed_connect(s);
      return r;
    }
    s.ss = SocketLayerState::connected;
    return ok(*L.connect_completed);
  }

  CallResult connect(Fd fd, const Endpoint& dst0, TimePoint now, std::vector<Segment>& out) {
    Sock* sp = sock_of(fd);
    if (!sp) return fail(Errno::ebadf, *R().ebadf);
    Sock& s = *sp;
    if (profile->socket_layer) {
      if (auto r = connect_by_socket_layer(s)) return *r;
    } else if (s.state == TcpState::syn_sent) {
      return fail(Errno::ealready, *R().connect_ealready);
    }
    if (profile->connect_precheck) {
      ConnectRequest q;
      q.listening = s.state == TcpState::listen;
      q.port_zero = dst0.port == 0;
      q.broadcast = dst0.addr.family() == Family::inet && dst0.addr.v4_host_order() == 0xffffffffu;
      q.to_itself = s.lport != 0 && dst0.port == s.lport && wire(dst0.addr) == wire(s.laddr);
      const Decision d = profile->connect_precheck(knobs, q);
      if (d.rule && !d.ok()) return fail(d);
    }
    if (s.state == TcpState::listen || s.ss != SocketLayerState::unconnected)
      return fail(Errno::eisconn, *R().connect_eisconn);
    if (s.family == Family::inet && dst0.addr.family() != Family::inet) return fail(Errno::eafnosupport, *R().connect_eafnosupport);
    if (s.family == Family::inet6 && dst0.addr.family() != Family::inet6) return fail(Errno::einval, *R().connect_einval_short_addr);
    if (s.family == Family::inet6 && dst0.addr.is_v4_mapped() && s.v6only) return fail(Errno::enetunreach, *R().connect_enetunreach);
    // connect() to the unspecified address means loopback (tcp_v6_connect; ip_route_connect for 0.0.0.0).
    IpAddress dst_wire = wire(dst0.addr);
    if (dst_wire.is_wildcard()) dst_wire = IpAddress::loopback(dst_wire.family());
    if (dst_wire.is_multicast() || (dst_wire.family() == Family::inet && dst_wire.v4_host_order() == 0xffffffffu))
      return fail(Errno::enetunreach, *R().connect_enetunreach);
    if (!routable(dst_wire)) return fail(Errno::enetunreach, *R().connect_enetunreach);
    // Routing by bound device is not modelled: a socket bound to a device that is not the one
    // the destination is reached through gets an explicit "unmodelled", not a guess.
    if (!s.device.empty() && (s.device == "lo") != is_local(dst_wire))
      return fail(Errno::unmodelled, generic_rule::unmodelled);
    auto src = source_for(s, dst_wire);
    if (!src) return fail(Errno::eaddrnotavail, *R().connect_autobind_exhausted);
    const Endpoint dst{dst_wire, dst0.port};
    CallResult decided;
    std::optional<std::uint32_t> recycled_tw;
    if (s.lport != 0) {
      // The socket owns its port: only the exact 4-tuple is checked (__inet_check_established, twp=NULL).
      const FourTuple t{{*src, s.lport}, dst};
      const TupleOccupant occ = occupant_of(t, recycled_tw);
      const Decision d = profile->bound_connect_decide(knobs, occ);
      if (!d.ok()) {
        if (params.failed_connect_releases_port) release_unlocked_port(s);
        return fail(d);
      }
      decided = ok(*d.rule);
      if (source_unset(s)) {
        joins_connect_bucket(s, *src);
        s.laddr = in_family(*src, s.family);
        s.has_addr = true;
      }
    } else {
      decided = autobind_connect(s, *src, dst, now, recycled_tw);
      if (decided.failed()) return decided;
    }
    std::optional<std::uint32_t> preset;
    std::optional<std::uint32_t> ts_recent;
    std::optional<TimePoint> ts_recent_stamp;
    if (recycled_tw) {  // tcp_twsk_unique: the new connection continues the old sequence space
      const auto& tw = *tws[*recycled_tw];
      std::uint32_t seq = tw.snd_nxt + 65535 + 2;
      if (seq == 0) seq = 1;
      preset = seq;
      // ... and takes over ts_recent and ts_recent_stamp, which it keeps even if this connection
      // negotiates no timestamps (tcp_rcv_synsent_state_process clears neither), so its own
      // TIME-WAIT can be recycled the same way.
      if (tw.ts_recent_stamp) {
        ts_recent = tw.ts_recent;
        ts_recent_stamp = tw.ts_recent_stamp;
      }
      if (record_events) event(now, tw.tuple.to_string() + " TIME-WAIT recycled by connect()", decided.rule);
      kill_time_wait(*recycled_tw);
    }
    s.remote = Endpoint{in_family(dst.addr, s.family), dst.port};
    s.ss = SocketLayerState::connecting;
    apply_state(s, tcp_transition(s.state, TcpEvent::active_open));
    auto& t = s.tcb;
    t = Tcb{};
    t.iss = preset ? *preset : isn(wire_tuple(s), now);
    if (ts_recent) t.ts_recent = *ts_recent;
    t.ts_recent_stamp = ts_recent_stamp;
    t.snd_una = t.iss;
    t.snd_nxt = t.iss + 1;
    ehash_insert(s);
    send_syn(s, now, out);
    t.rtx_deadline = now + t.rto;
    timers.insert({*t.rtx_deadline, TimerKind::syn_retransmit, id_of(s)});
    decided.pending = Pending::connect;
    if (s.nonblock) {
      decided.value = -1;
      decided.err = Errno::einprogress;
      decided.pending = Pending::none;
    }
    return decided;
  }

  // Who holds this exact (wire-form) 4-tuple; `tw_id` names a TIME-WAIT occupant.
  TupleOccupant occupant_of(const FourTuple& t, std::optional<std::uint32_t>& tw_id) const {
    TupleOccupant occ;
    tw_id.reset();
    auto it = ehash.find(t);
    if (it == ehash.end()) return occ;
    if (!it->second.time_wait) {
      occ.kind = TupleOccupant::Kind::full_socket;
      return occ;
    }
    const auto& tw = *tws[it->second.id];
    occ.kind = TupleOccupant::Kind::time_wait;
    occ.ts_recent_seen = tw.ts_recent_stamp.has_value();
    if (tw.ts_recent_stamp) occ.ts_recent_stamp = *tw.ts_recent_stamp;
    occ.fin_wait_2_substate = tw.fin_wait_2;
    occ.entered = tw.entered;
    occ.loopback = tw.device == "lo" || t.local.addr.is_loopback() || t.remote.addr.is_loopback();
    tw_id = it->second.id;
    return occ;
  }

  std::uint32_t perturb_initial(std::uint16_t slot) const {
    return static_cast<std::uint32_t>(mix64(*perturb_seed ^ (std::uint64_t{slot} * 0x9e3779b97f4a7c15ull)));
  }

  std::uint32_t perturb_word(std::uint16_t slot) {
    if (!perturb_seed) perturb_seed = rng.next_u64();  // get_random_sleepable_once
    auto it = std::lower_bound(perturb_moved.begin(), perturb_moved.end(), slot,
                               [](const auto& e, std::uint16_t k) { return e.first < k; });
    return it != perturb_moved.end() && it->first == slot ? it->second : perturb_initial(slot);
  }

  // Stores a slot's word; a slot back at its initial word is not stored, so equal tables encode
  // equally.
  void set_perturb_word(std::uint16_t slot, std::uint32_t word) {
    auto it = std::lower_bound(perturb_moved.begin(), perturb_moved.end(), slot,
                               [](const auto& e, std::uint16_t k) { return e.first < k; });
    const bool stored = it != perturb_moved.end() && it->first == slot;
    if (word == perturb_initial(slot)) {
      if (stored) perturb_moved.erase(it);
    } else if (stored) {
      it->second = word;
    } else {
      perturb_moved.insert(it, {slot, word});
    }
  }

  CallResult autobind_connect(Sock& s, const IpAddress& src, const Endpoint& dst, TimePoint now,
                              std::optional<std::uint32_t>& recycled_tw) {
    const auto bucket10s = static_cast<std::uint64_t>(now.time_since_epoch() / std::chrono::seconds(10));
    ConnectScanInput in;
    in.range = effective_range(s);
    in.per_socket_range = s.port_range.low || s.port_range.high;
    in.port_offset = mix64(secret_port ^ hash_addr(src) ^ (hash_addr(dst.addr) << 1) ^ (std::uint64_t{dst.port} << 32) ^
                           mix64(bucket10s));
    const auto slot = static_cast<std::uint16_t>(in.port_offset & 0xffff);  // INET_TABLE_PERTURB_SIZE
    std::uint32_t perturb = perturb_word(slot);
    if (scan_memo && scan_memo->generation == generation && scan_memo->src == src && scan_memo->dst == dst &&
        scan_memo->range == in.range && scan_memo->per_socket_range == in.per_socket_range &&
        scan_memo->port_offset == in.port_offset && scan_memo->perturb == perturb &&
        (!scan_memo->valid_until || now < *scan_memo->valid_until)) {
      recycled_tw.reset();
      return scan_memo->result;
    }
    std::optional<TimePoint> changes_at;
    auto usable = [&](std::uint16_t port) {
      recycled_tw.reset();
      ConnectPortFacts f;
      if (auto it = bind_table.find(port); it != bind_table.end()) {
        f.bind_owned = it->second.bind_owned;
        for (const auto& o : it->second.owners) {
          const BindOwnerView v = view_of(o);
          const IpAddress a = wire(v.addr);
          if (!(a.is_wildcard() || a == src) || (a.is_wildcard() && a.family() != src.family() && v.v6only)) continue;
          f.any_overlapping_owner = true;
          if (!v.connected) f.unconnected_overlapping_owner = true;
        }
      }
      std::optional<std::uint32_t> tw_id;
      f.occupant = occupant_of({{src, port}, dst}, tw_id);
      const ConnectPortVerdict v = profile->connect_port_usable(knobs, f, now);
      if (v.usable && v.recycle_time_wait) recycled_tw = tw_id;
      if (v.changes_at && (!changes_at || *v.changes_at < *changes_at)) changes_at = v.changes_at;
      return v.usable;
    };
    const Rng rng_before = rng;
    const std::uint32_t last_port_before = last_port;
    const std::uint32_t perturb_before = perturb;
    PortChoice c = profile->pick_connect_port(knobs, in, perturb, last_port, rng, usable);
    if (perturb != perturb_before) set_perturb_word(slot, perturb);
    if (!c.port) {
      CallResult r = fail(c.err, *c.rule);
      r.probes = c.probes;
      if (rng == rng_before && last_port == last_port_before && perturb == perturb_before && memoize_scans)
        scan_memo = ScanMemo{generation, src, dst, in.range, in.per_socket_range, in.port_offset, perturb, changes_at, r};
      return r;
    }
    s.lport = *c.port;
    if (source_unset(s)) s.laddr = in_family(src, s.family);
    s.has_addr = true;
    s.in_bind_table = true;
    s.connect_bound = true;
    bucket_add(*c.port, OwnerRef{false, id_of(s)});
    CallResult r = ok(recycled_tw ? *R().connect_autobind_time_wait_reused : *c.rule);
    r.probes = c.probes;
    return r;
  }

  CallResult accept(Fd fd) {
    Sock* sp = sock_of(fd);
    if (!sp) return fail(Errno::ebadf, *R().ebadf);
    if (sp->state != TcpState::listen) return fail(Errno::einval, *R().accept_einval);
    if (sp->accept_queue.empty()) {
      if (sp->nonblock) return fail(Errno::eagain, *R().accept_eagain);
      CallResult r = fail(Errno::eagain, *R().accept_eagain);
      r.pending = Pending::accept;
      return r;
    }
    const SockId child = sp->accept_queue.front();
    sp->accept_queue.pop_front();
    socks[child]->parent.reset();
    return ok(*R().accept_ok, new_fd(child));
  }

  std::optional<CallResult> take_so_error(Sock& s, const Rule& fallback) {
    if (s.so_error == Errno::ok) return std::nullopt;
    CallResult r = fail(s.so_error, s.so_error_rule ? *s.so_error_rule : fallback);
    s.so_error = Errno::ok;
    return r;
  }

  CallResult send(Fd fd, std::int64_t bytes, TimePoint now, std::vector<Segment>& out) {
    Sock* sp = sock_of(fd);
    if (!sp) return fail(Errno::ebadf, *R().ebadf);
    Sock& s = *sp;
    if (auto e = take_so_error(s, *R().send_pending_error)) return *e;
    if (s.shut_wr || (s.state != TcpState::established && s.state != TcpState::close_wait))
      return fail(Errno::epipe, *R().send_epipe);
    const std::uint32_t in_flight = s.tcb.snd_nxt - s.tcb.snd_una;
    const std::int64_t space = std::max<std::int64_t>(0, s.sndbuf - s.tcb.unsent - in_flight);
    if (space == 0 && s.nonblock) return fail(Errno::eagain, *R().send_eagain);
    const std::int64_t n = std::min(space, bytes);
    s.tcb.unsent += n;
    push(s, now, out);
    if (n < bytes && !s.nonblock) {
      // A blocking send() queues what fits and waits for room for the rest (sk_stream_wait_memory).
      CallResult r = ok(*R().send_ok, n);
      r.pending = Pending::send;
      return r;
    }
    return ok(*R().send_ok, n);
  }

  CallResult recv(Fd fd, std::int64_t bytes, TimePoint now, std::vector<Segment>& out) {
    Sock* sp = sock_of(fd);
    if (!sp) return fail(Errno::ebadf, *R().ebadf);
    Sock& s = *sp;
    if (s.state == TcpState::listen) return fail(Errno::enotconn, *R().recv_enotconn);
    if (s.tcb.rcv_queue > 0) {
      const std::int64_t n = std::min(bytes, s.tcb.rcv_queue);
      s.tcb.rcv_queue -= n;
      // Window update: the peer may be holding data back for lack of room.
      if (s.remote && is_synchronized(s.state) && s.state != TcpState::time_wait &&
          s.tcb.last_advertised < rcv_window(s) / 2)
        send_ack(s, now, out);
      return ok(*R().recv_ok, n);
    }
    // tcp_recvmsg_locked checks SOCK_DONE (the peer's FIN arrived) before sk_err: a reset that
    // follows the FIN is reported by the next send(), not by recv(). Our own shutdown(SHUT_RD)
    // (RCV_SHUTDOWN) is checked after sk_err: a pending error is reported first.
    if (s.tcb.fin_rcvd) return ok(*R().recv_eof, 0);
    if (auto e = take_so_error(s, *R().recv_pending_error)) return *e;
    if (s.shut_rd) return ok(*R().recv_eof, 0);
    if (s.state == TcpState::closed) {
      if (s.ss == SocketLayerState::unconnected && !s.tcb.fin_rcvd && s.tcb.iss == 0)
        return fail(Errno::enotconn, *R().recv_enotconn);
      return ok(*R().recv_eof, 0);
    }
    if (s.state == TcpState::syn_sent && !s.nonblock) {
      CallResult r = fail(Errno::eagain, *R().recv_eagain);
      r.pending = Pending::recv;
      return r;
    }
    if (s.nonblock) return fail(Errno::eagain, *R().recv_eagain);
    CallResult r = fail(Errno::eagain, *R().recv_eagain);
    r.pending = Pending::recv;
    return r;
  }

  CallResult shutdown(Fd fd, bool rd, bool wr, TimePoint now, std::vector<Segment>& out) {
    Sock* sp = sock_of(fd);
    if (!sp) return fail(Errno::ebadf, *R().ebadf);
    Sock& s = *sp;
    // inet_shutdown: an SS_CONNECTING socket becomes SS_DISCONNECTING if its connection is not
    // (or no longer) past the handshake, else SS_CONNECTED; from SYN-SENT it is disconnected below.
    if (profile->socket_layer && s.ss == SocketLayerState::connecting)
      s.ss = (s.state == TcpState::syn_received || s.state == TcpState::closed) ? SocketLayerState::disconnecting
                                                                                : SocketLayerState::connected;
    switch (s.state) {
      case TcpState::closed:
        s.shut_rd |= rd;
        s.shut_wr |= wr;
        return fail(Errno::enotconn, *R().shutdown_enotconn);
      case TcpState::listen:
        if (!rd) return ok(*R().shutdown_ok);
        stop_listening(s, now, out);
        s.state = TcpState::closed;
        if (s.in_bind_table && !s.bindport_lock) {
          bucket_remove(s.lport, OwnerRef{false, id_of(s)});
          s.in_bind_table = false;
          s.connect_bound = false;
          s.lport = 0;
        }
        return ok(*R().shutdown_ok);
      case TcpState::syn_sent:
        s.ss = SocketLayerState::unconnected;
        connection_done(s);
        return ok(*R().shutdown_ok);
      default:
        break;
    }
    s.shut_rd |= rd;
    // tcp_shutdown looks at the state, not at earlier flags: a SEND_SHUTDOWN left by a shutdown()
    // before the socket connected (ENOTCONN, flags kept) does not stop this one's FIN.
    if (wr) {
      s.shut_wr = true;
      auto tr = tcp_transition(s.state, TcpEvent::close);
      if (tr.actions.send_fin) {
        apply_state(s, tr);
        s.tcb.fin_queued = true;
        push(s, now, out);
      }
    }
    return ok(*R().shutdown_ok);
  }

  void stop_listening(Sock& l, TimePoint now, std::vector<Segment>& out) {
    // inet_csk_listen_stop: every child not yet accepted, and every half-open one, is reset.
    std::vector<SockId> children;
    for (std::size_t i = 0; i < socks.size(); ++i)
      if (socks[i] && socks[i]->parent && *socks[i]->parent == id_of(l)) children.push_back(static_cast<SockId>(i));
    l.accept_queue.clear();
    for (SockId c : children) {
      Sock& child = *socks[c];
      // inet_child_forget -> tcp_disconnect: no RST from a child that is already closed.
      if (child.state != TcpState::closed) send_rst(child, now, out);
      child.parent.reset();
      child.state = TcpState::closed;
      destroy(child);
    }
  }

  CallResult close(Fd fd, TimePoint now, std::vector<Segment>& out) {
    Sock* sp = sock_of(fd);
    if (!sp) return fail(Errno::ebadf, *R().ebadf);
    Sock& s = *sp;
    const SockId id = id_of(s);
    const LingerAction linger = profile->close_linger(knobs, s.linger, s.linger_in_seconds, s.nonblock, s.shut_wr);
    // Windows: a non-blocking close that would have to linger fails and leaves the socket open.
    if (linger.kind == LingerAction::Kind::fail && is_synchronized(s.state) && s.state != TcpState::time_wait)
      return fail(linger.err, *linger.rule);
    release_fd(fd);
    s.fd.reset();
    if (s.state == TcpState::listen) {
      stop_listening(s, now, out);
      s.state = TcpState::closed;
      destroy(s);
      return ok(*R().close_listener);
    }
    const bool data_was_unread = s.tcb.rcv_queue > 0;
    s.tcb.rcv_queue = 0;
    if (s.state == TcpState::closed) {
      const Rule& r = s.ss != SocketLayerState::unconnected ? *R().close_already_closed : *R().close_no_connection;
      destroy(s);
      return ok(r);
    }
    s.orphan_rcv_shutdown = true;
    if (data_was_unread) {
      send_rst(s, now, out);
      if (record_events) event(now, FourTuple{{s.laddr, s.lport}, *s.remote}.to_string() + " reset: unread data at close()",
            R().close_unread_data_rst);
      s.state = TcpState::closed;
      connection_done(s);
      return ok(*R().close_unread_data_rst);
    }
    if (linger.kind == LingerAction::Kind::abort) {
      // tcp_disconnect: RST when tcp_need_reset(state), or CLOSING/LAST-ACK with unsent data.
      const bool need_reset = s.state == TcpState::established || s.state == TcpState::close_wait ||
                              s.state == TcpState::fin_wait_1 || s.state == TcpState::fin_wait_2 ||
                              s.state == TcpState::syn_received ||
                              ((s.state == TcpState::closing || s.state == TcpState::last_ack) && s.tcb.unsent > 0);
      if (need_reset) send_rst(s, now, out);
      s.state = TcpState::closed;
      connection_done(s);
      return ok(need_reset ? *R().close_linger0_rst : *R().close_linger0_no_rst);
    }
    auto tr = tcp_transition(s.state, TcpEvent::close);
    if (!tr.actions.error_closing) apply_state(s, tr);
    if (tr.actions.delete_tcb) {  // SYN-SENT: dropped without a word
      s.ss = SocketLayerState::unconnected;
      connection_done(s);
      return ok(*R().close_fin);
    }
    if (tr.actions.send_fin) {
      s.tcb.fin_queued = true;
      push(s, now, out);
    }
    if (s.state == TcpState::fin_wait_2) {
      orphan_fin_wait_2(s, now, out);
      return ok(*R().close_fin);
    }
    const bool waiting = s.state == TcpState::fin_wait_1 || s.state == TcpState::closing || s.state == TcpState::last_ack;
    if (linger.kind == LingerAction::Kind::wait && waiting) {
      CallResult r = ok(linger.rule ? *linger.rule : *R().close_linger_wait);
      r.pending = Pending::linger;
      r.linger_timeout = linger.wait;
      lingering[fd] = {id, linger.reset_on_expiry};
      return r;
    }
    return ok(*R().close_fin);
  }

  std::optional<CallResult> poll(Fd fd, Pending what, const CallResult& first, std::int64_t bytes, TimePoint now,
                                 std::vector<Segment>& out) {
    switch (what) {
      case Pending::none:
        return first;
      case Pending::linger: {
        auto it = lingering.find(fd);
        if (it == lingering.end()) return first;
        const auto& slot = socks[it->second.sock];
        const bool done = !slot || !(slot->state == TcpState::fin_wait_1 || slot->state == TcpState::closing ||
                                     slot->state == TcpState::last_ack);
        if (!done) return std::nullopt;
        lingering.erase(it);
        CallResult r = first;
        r.pending = Pending::none;
        return r;
      }
      case Pending::connect: {
        Sock* s = sock_of(fd);
        if (!s) return fail(Errno::ebadf, *R().ebadf);
        if (s->state == TcpState::syn_sent || s->state == TcpState::syn_received) return std::nullopt;
        if (s->so_error != Errno::ok ||
            (profile->socket_layer && s->state == TcpState::closed)) {
          auto r = s->so_error != Errno::ok ? *take_so_error(*s, *R().connect_reset)
                                            : fail(Errno::econnaborted, *profile->socket_layer->connect_aborted);
          disconnect_after_failed_connect(*s);
          return r;
        }
        if (profile->socket_layer) s->ss = SocketLayerState::connected;
        CallResult r = first;
        r.pending = Pending::none;
        return r;
      }
      case Pending::accept: {
        Sock* s = sock_of(fd);
        if (!s) return fail(Errno::ebadf, *R().ebadf);
        if (s->state == TcpState::listen && s->accept_queue.empty()) return std::nullopt;
        return accept(fd);
      }
      case Pending::recv: {
        Sock* s = sock_of(fd);
        if (!s) return fail(Errno::ebadf, *R().ebadf);
        auto r = recv(fd, bytes, now, out);
        if (r.pending == Pending::recv) return std::nullopt;
        return r;
      }
      case Pending::send: {
        // `first.value` bytes are queued already; try to queue the rest.
        Sock* s = sock_of(fd);
        if (!s) return fail(Errno::ebadf, *R().ebadf);
        auto r = send(fd, bytes - first.value, now, out);
        if (r.failed()) return r;
        if (r.value == 0) return std::nullopt;
        r.value += first.value;
        return r;  // still pending if not all of it fit
      }
    }
    return first;
  }
};

// ---------------------------------------------------------------------------------------------

Host::Host(const Profile& profile, HostConfig config) : impl_(std::make_unique<Impl>(profile, std::move(config))) {}
Host::Host(const Host& o) : impl_(std::make_unique<Impl>(*o.impl_)) {}
Host& Host::operator=(const Host& o) {
  if (this != &o) impl_ = std::make_unique<Impl>(*o.impl_);
  return *this;
}
Host::Host(Host&&) noexcept = default;
Host& Host::operator=(Host&&) noexcept = default;
Host::~Host() = default;

const Profile& Host::profile() const { return *impl_->profile; }
const HostConfig& Host::config() const { return impl_->config; }
const Knobs& Host::knobs() const { return impl_->knobs; }

CallResult Host::socket(Family family, bool nonblock, std::uint32_t uid) {
  auto& m = *impl_;
  if (m.fds.size() >= kMaxSockets) return m.finish(Impl::fail(Errno::emfile, *m.R().socket_ok));
  const SockId id = m.new_sock();
  Sock& s = *m.socks[id];
  s.family = family;
  s.nonblock = nonblock;
  s.uid = uid;
  s.v6only = family == Family::inet6 && m.params.v6only_default;
  s.laddr = IpAddress::any(family);
  return m.finish(Impl::ok(*m.R().socket_ok, m.new_fd(id)));
}

namespace {
// What of a socket a connect() port search can see: nothing for a socket without port or
// connection. A call that leaves it unchanged (and emits nothing) leaves every search's verdicts
// unchanged; any other change bumps the host's generation, which forgets a remembered search.
struct SearchView {
  std::uint16_t lport = 0;
  TcpState state = TcpState::closed;
  bool in_bind_table = false;
  bool has_remote = false;
  bool v6only = false;
  bool reuseaddr = false;
  bool reuseport = false;
  IpAddress laddr;
  friend bool operator==(const SearchView&, const SearchView&) = default;
};
}  // namespace

struct GenerationGuard {
  Host::Impl& m;
  Fd fd;
  std::optional<SearchView> before;
  static std::optional<SearchView> view(const Host::Impl& m, Fd fd);
  // With no search remembered there is nothing to keep valid: bump at once, look at nothing.
  bool skip;
  GenerationGuard(Host::Impl& impl, Fd f) : m(impl), fd(f), skip(!impl.scan_memo) {
    if (skip) ++m.generation;
    else before = view(impl, f);
  }
  ~GenerationGuard();
};

CallResult Host::setsockopt(Fd fd, SockOpt opt, const OptValue& value) {
  GenerationGuard g(*impl_, fd);
  return impl_->finish(impl_->setsockopt(fd, opt, value));
}
CallResult Host::getsockopt(Fd fd, SockOpt opt) const { return impl_->finish(impl_->getsockopt(fd, opt)); }
CallResult Host::bind(Fd fd, const Endpoint& ep) {
  GenerationGuard g(*impl_, fd);
  return impl_->finish(impl_->bind(fd, ep));
}
CallResult Host::listen(Fd fd, int backlog) {
  GenerationGuard g(*impl_, fd);
  return impl_->finish(impl_->listen(fd, backlog));
}
CallResult Host::connect(Fd fd, const Endpoint& dst, TimePoint now, std::vector<Segment>& out) {
  GenerationGuard g(*impl_, fd);
  const std::size_t emitted = out.size();
  auto r = impl_->finish(impl_->connect(fd, dst, now, out));
  if (out.size() != emitted) ++impl_->generation;
  return r;
}
CallResult Host::accept(Fd fd) {
  ++impl_->generation;
  return impl_->finish(impl_->accept(fd));
}
CallResult Host::send(Fd fd, std::int64_t bytes, TimePoint now, std::vector<Segment>& out) {
  ++impl_->generation;
  return impl_->finish(impl_->send(fd, bytes, now, out));
}
CallResult Host::recv(Fd fd, std::int64_t bytes, TimePoint now, std::vector<Segment>& out) {
  ++impl_->generation;
  return impl_->finish(impl_->recv(fd, bytes, now, out));
}
CallResult Host::shutdown(Fd fd, bool rd, bool wr, TimePoint now, std::vector<Segment>& out) {
  ++impl_->generation;
  return impl_->finish(impl_->shutdown(fd, rd, wr, now, out));
}
CallResult Host::close(Fd fd, TimePoint now, std::vector<Segment>& out) {
  GenerationGuard g(*impl_, fd);
  const std::size_t emitted = out.size();
  auto r = impl_->finish(impl_->close(fd, now, out));
  if (out.size() != emitted) ++impl_->generation;
  return r;
}

std::optional<SearchView> GenerationGuard::view(const Host::Impl& m, Fd fd) {
  const auto* s = m.sock_of(fd);
  if (!s || (s->lport == 0 && !s->in_bind_table && s->state == TcpState::closed && !s->remote)) return std::nullopt;
  return SearchView{s->lport, s->state, s->in_bind_table, s->remote.has_value(), s->v6only, s->reuseaddr, s->reuseport,
                    s->laddr};
}

GenerationGuard::~GenerationGuard() {
  if (!skip && view(m, fd) != before) ++m.generation;
}

void Host::set_record_events(bool on) { impl_->record_events = on; }

void Host::set_memoize_port_searches(bool on) {
  impl_->memoize_scans = on;
  impl_->scan_memo.reset();
}

CallResult Host::getsockname(Fd fd) const {
  const auto& m = *impl_;
  const Sock* s = m.sock_of(fd);
  if (!s) return m.finish(Impl::fail(Errno::ebadf, *m.R().ebadf));
  CallResult r = Impl::ok(*m.R().getsockname_ok);
  r.endpoint = Endpoint{s->has_addr ? s->laddr : IpAddress::any(s->family), s->lport ? s->lport : s->name_port};
  return r;
}

std::string Host::sysctl(std::string_view name, std::string_view value) {
  auto& m = *impl_;
  std::string err = m.knobs.set(name, value);
  if (err.empty()) m.params = m.profile->params(m.knobs);
  ++m.generation;
  return err;
}

std::optional<CallResult> Host::poll(Fd fd, Pending what, const CallResult& first, std::int64_t bytes, TimePoint now,
                                     std::vector<Segment>& out) {
  GenerationGuard g(*impl_, fd);
  const std::size_t emitted = out.size();
  auto r = impl_->poll(fd, what, first, bytes, now, out);
  if (r) *r = impl_->finish(*r);
  if (r || out.size() != emitted) ++impl_->generation;
  return r;
}

void Host::linger_expired(Fd fd, TimePoint now, std::vector<Segment>& out) {
  auto& m = *impl_;
  ++m.generation;
  auto it = m.lingering.find(fd);
  if (it == m.lingering.end()) return;
  const auto l = it->second;
  m.lingering.erase(it);
  auto& slot = m.socks[l.sock];
  // Windows closesocket: a linger that expires resets the connection; elsewhere the orphan goes on.
  if (l.reset_on_expiry && slot && slot->remote && slot->state != TcpState::closed) {
    m.send_rst(*slot, now, out);
    slot->state = TcpState::closed;
    m.connection_done(*slot);
  }
}

void Host::deliver(const Segment& seg, TimePoint now, std::vector<Segment>& out) {
  ++impl_->generation;
  impl_->deliver(seg, now, out);
}
void Host::advance(TimePoint now, std::vector<Segment>& out) {
  ++impl_->generation;
  impl_->advance(now, out);
}

std::optional<TimePoint> Host::next_deadline() const {
  if (impl_->timers.empty()) return std::nullopt;
  return std::get<0>(*impl_->timers.begin());
}

bool Host::is_local(const IpAddress& a) const { return impl_->is_local(a); }

std::vector<ConnectionView> Host::connections() const {
  const auto& m = *impl_;
  std::vector<ConnectionView> out;
  for (const auto& slot : m.socks) {
    if (!slot || slot->state == TcpState::closed) continue;
    ConnectionView v;
    v.fd = slot->fd;
    v.local = {slot->laddr, slot->lport};
    if (slot->state != TcpState::listen) v.remote = slot->remote;
    v.state = slot->state;
    out.push_back(v);
  }
  for (const auto& tw : m.tws) {
    if (!tw) continue;
    ConnectionView v;
    v.local = tw->tuple.local;
    v.remote = tw->tuple.remote;
    v.state = tw->fin_wait_2 ? TcpState::fin_wait_2 : TcpState::time_wait;
    v.time_wait_entry = true;
    out.push_back(v);
  }
  std::sort(out.begin(), out.end(), [](const ConnectionView& a, const ConnectionView& b) {
    return std::tie(a.local, a.remote, a.state, a.fd) < std::tie(b.local, b.remote, b.state, b.fd);
  });
  return out;
}

std::size_t Host::time_wait_count() const {
  std::size_t n = 0;
  for (const auto& tw : impl_->tws)
    if (tw && !tw->fin_wait_2) ++n;
  return n;
}

HostCensus Host::census() const {
  const auto& m = *impl_;
  HostCensus c;
  const PortRange range = m.params.ephemeral;
  c.ephemeral_range = range.high >= range.low ? range.high - range.low + 1u : 0u;
  std::vector<bool> seen(65536, false);
  auto port = [&](std::uint16_t p) {
    if (p == 0 || seen[p]) return;
    seen[p] = true;
    ++c.ports_in_use;
    if (p >= range.low && p <= range.high) {
      ++c.ephemeral_in_use;
      ++((p % 2 == 0) ? c.ephemeral_in_use_even : c.ephemeral_in_use_odd);
    }
  };
  for (const auto& slot : m.socks) {
    if (!slot || slot->state == TcpState::closed) continue;
    ++c.by_state[static_cast<std::size_t>(slot->state)];
    port(slot->lport);
  }
  for (const auto& tw : m.tws) {
    if (!tw) continue;
    if (tw->fin_wait_2) {
      ++c.fin_wait2_entries;
      ++c.by_state[static_cast<std::size_t>(TcpState::fin_wait_2)];
    } else {
      ++c.by_state[static_cast<std::size_t>(TcpState::time_wait)];
    }
    port(tw->tuple.local.port);
  }
  return c;
}

std::optional<TcpState> Host::socket_state(Fd fd) const {
  const Sock* s = impl_->sock_of(fd);
  if (!s) return std::nullopt;
  return s->state;
}

std::optional<std::uint16_t> Host::local_port(Fd fd) const {
  const Sock* s = impl_->sock_of(fd);
  if (!s) return std::nullopt;
  return s->lport;
}

std::vector<HostEvent> Host::take_events() { return std::exchange(impl_->events, {}); }

// ---------------------------------------------------------------------------------------------
// Canonical encoding (for `portlab explore`): see Host::encode_state in host.h.

namespace {

template <class T>
void put(std::string& out, T v) {
  static_assert(std::is_trivially_copyable_v<T>);
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}
void put_rel(std::string& out, TimePoint t, TimePoint now) { put(out, (t - now).count()); }
void put_rel(std::string& out, const std::optional<TimePoint>& t, TimePoint now) {
  put(out, static_cast<std::uint8_t>(t.has_value()));
  if (t) put_rel(out, *t, now);
}
void put_addr(std::string& out, const IpAddress& a) {
  put(out, static_cast<std::uint8_t>(a.family()));
  if (a.family() == Family::inet) {
    out.append(reinterpret_cast<const char*>(a.bytes().data()), 4);
  } else {
    out.append(reinterpret_cast<const char*>(a.bytes().data()), 16);
  }
}
void put_ep(std::string& out, const Endpoint& e) {
  put_addr(out, e.addr);
  put(out, e.port);
}
void put_str(std::string& out, std::string_view s) {
  put(out, static_cast<std::uint32_t>(s.size()));
  out.append(s);
}

}  // namespace

void Host::encode_state(std::string& out, TimePoint now) const {
  const Impl& m = *impl_;
  constexpr std::uint32_t kNone = 0xffffffffu;
  // Canonical order of the live sockets: descriptors first (by descriptor), then the others by
  // what they are (tuple, state); ids only break ties between sockets that look identical.
  std::vector<SockId> order;
  for (const auto& s : m.socks)
    if (s) order.push_back(s->id);
  const auto key = [&](SockId id) {
    const Sock& s = *m.socks[id];
    return std::make_tuple(s.fd.value_or(std::numeric_limits<Fd>::max()), s.has_addr, s.laddr, s.lport,
                           s.remote.value_or(Endpoint{}), s.state, s.id);
  };
  std::sort(order.begin(), order.end(), [&](SockId a, SockId b) { return key(a) < key(b); });
  std::vector<std::uint32_t> sock_index(m.socks.size(), kNone);
  for (std::size_t i = 0; i < order.size(); ++i) sock_index[order[i]] = static_cast<std::uint32_t>(i);
  std::vector<std::uint32_t> tw_order;
  for (std::uint32_t i = 0; i < m.tws.size(); ++i)
    if (m.tws[i]) tw_order.push_back(i);
  std::sort(tw_order.begin(), tw_order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return std::tie(m.tws[a]->tuple, m.tws[a]->deadline, a) < std::tie(m.tws[b]->tuple, m.tws[b]->deadline, b);
  });
  std::vector<std::uint32_t> tw_index(m.tws.size(), kNone);
  for (std::size_t i = 0; i < tw_order.size(); ++i) tw_index[tw_order[i]] = static_cast<std::uint32_t>(i);
  const auto ref = [&](const OwnerRef& o) { return o.time_wait ? 0x80000000u | tw_index[o.id] : sock_index[o.id]; };

  // Knobs (sysctls can change them) and the generator.
  for (std::size_t i = 0; i < m.knobs.specs().size(); ++i) {
    const KnobValue& v = m.knobs.value(i);
    if (const auto* n = std::get_if<std::int64_t>(&v)) {
      put(out, *n);
    } else {
      put_str(out, format_knob_value(v));
    }
  }
  Rng rng = m.rng;
  put(out, rng.next_u64());
  put(out, rng.next_u64());
  put(out, m.last_port);
  if (m.perturb_seed) {
    put(out, *m.perturb_seed);
    put(out, static_cast<std::uint32_t>(m.perturb_moved.size()));
    for (const auto& [slot, word] : m.perturb_moved) {
      put(out, slot);
      put(out, word);
    }
  }
  // Descriptors still to hand out.
  put(out, m.next_fd);
  put(out, static_cast<std::uint32_t>(m.free_fds.size()));
  for (Fd fd : m.free_fds) put(out, fd);

  put(out, static_cast<std::uint32_t>(order.size()));
  for (SockId id : order) {
    const Sock& s = *m.socks[id];
    put(out, static_cast<std::uint8_t>(s.family));
    put(out, s.uid);
    const std::uint32_t flags = (s.nonblock << 0) | (s.reuseaddr << 1) | (s.reuseport << 2) | (s.v6only << 3) |
                                (s.bind_no_port << 4) | (s.freebind << 5) | (s.exclusiveaddruse << 6) |
                                (s.share_reuseaddr << 7) | (s.share_exclusive << 8) | (s.reuseport_lb << 9) |
                                (s.exclbind << 10) | (s.linger.on << 11) | (s.linger_in_seconds << 12) |
                                (s.has_addr << 13) | (s.in_bind_table << 14) | (s.bindport_lock << 15) |
                                (s.bindaddr_lock << 16) | (s.in_ehash << 17) |
                                (s.shut_rd << 19) | (s.shut_wr << 20) | (s.orphan_rcv_shutdown << 21) |
                                (s.fd.has_value() << 22) | (s.remote.has_value() << 23) |
                                (s.parent.has_value() << 24) | (s.linger2.has_value() << 25) | (s.connect_bound << 26);
    put(out, flags);
    put(out, static_cast<std::uint8_t>(s.ss));
    put(out, s.linger.seconds);
    put_str(out, s.device);
    put(out, s.rcvbuf);
    put(out, s.sndbuf);
    if (s.linger2) put(out, *s.linger2);
    put(out, s.port_range.low);
    put(out, s.port_range.high);
    put(out, static_cast<std::uint8_t>(s.state));
    if (s.fd) put(out, *s.fd);
    put_addr(out, s.laddr);
    put(out, s.lport);
    put(out, s.name_port);
    if (s.remote) put_ep(out, *s.remote);
    put(out, s.backlog);
    put(out, static_cast<std::uint32_t>(s.accept_queue.size()));
    for (SockId c : s.accept_queue) put(out, sock_index[c]);
    if (s.parent) put(out, sock_index[*s.parent]);
    const Tcb& t = s.tcb;
    put(out, t.iss);
    put(out, t.irs);
    put(out, t.snd_una);
    put(out, t.snd_nxt);
    put(out, t.rcv_nxt);
    put(out, t.snd_wnd);
    put(out, t.last_advertised);
    put(out, t.unsent);
    put(out, t.rcv_queue);
    const std::uint8_t tflags = (t.fin_queued << 0) | (t.fin_sent << 1) | (t.fin_acked << 2) | (t.fin_rcvd << 3) |
                                (t.syn_had_ts << 4) | (t.ts_ok << 5) | (t.preset_iss.has_value() << 6);
    put(out, tflags);
    put(out, t.ts_recent);
    put_rel(out, t.ts_recent_stamp, now);
    if (t.preset_iss) put(out, *t.preset_iss);
    put(out, t.syn_retransmits);
    put(out, t.rto.count());
    put_rel(out, t.rtx_deadline, now);
    put(out, static_cast<std::uint8_t>(s.so_error));
  }

  put(out, static_cast<std::uint32_t>(tw_order.size()));
  for (std::uint32_t id : tw_order) {
    const TimeWaitEntry& tw = *m.tws[id];
    put_ep(out, tw.tuple.local);
    put_ep(out, tw.tuple.remote);
    put(out, static_cast<std::uint8_t>(tw.family));
    const std::uint8_t f = (tw.v6only << 0) | (tw.reuseaddr << 1) | (tw.reuseport << 2) | (tw.fin_wait_2 << 3) |
                           (tw.ts_ok << 4) | (tw.connect_bound << 5);
    put(out, f);
    put_str(out, tw.device);
    put(out, tw.uid);
    put_rel(out, tw.entered, now);
    put_rel(out, tw.deadline, now);
    put(out, tw.snd_nxt);
    put(out, tw.rcv_nxt);
    put(out, tw.rcv_wnd);
    put(out, tw.ts_recent);
    put_rel(out, tw.ts_recent_stamp, now);
  }

  // The bind table, by port; each bucket's owners in their table order (it decides which
  // conflict is reported first).
  std::vector<std::uint16_t> ports;
  for (const auto& [port, bucket] : m.bind_table) ports.push_back(port);
  std::sort(ports.begin(), ports.end());
  put(out, static_cast<std::uint32_t>(ports.size()));
  for (auto port : ports) {
    const PortBucket& b = m.bind_table.at(port);
    put(out, port);
    put(out, static_cast<std::uint8_t>(b.bind_owned));
    put(out, b.cache.fastreuse);
    put(out, b.cache.fastreuseport);
    if (b.cache.fastreuseport > 0) {
      put(out, b.cache.fastuid);
      put_addr(out, b.cache.addr);
      put(out, static_cast<std::uint8_t>(b.cache.family));
      put(out, static_cast<std::uint8_t>(b.cache.v6only));
    }
    put(out, static_cast<std::uint32_t>(b.owners.size()));
    for (const auto& o : b.owners) put(out, ref(o));
  }

  // Timers, renumbered, relative to now, in canonical order.
  std::vector<std::tuple<std::int64_t, std::uint8_t, std::uint32_t>> timers;
  for (const auto& [at, kind, id] : m.timers)
    timers.emplace_back((at - now).count(), static_cast<std::uint8_t>(kind),
                        kind == TimerKind::time_wait ? tw_index[id] : sock_index[id]);
  std::sort(timers.begin(), timers.end());
  put(out, static_cast<std::uint32_t>(timers.size()));
  for (const auto& [at, kind, id] : timers) {
    put(out, at);
    put(out, kind);
    put(out, id);
  }

  put(out, static_cast<std::uint32_t>(m.lingering.size()));
  for (const auto& [fd, l] : m.lingering) {
    put(out, fd);
    put(out, sock_index[l.sock]);
    put(out, static_cast<std::uint8_t>(l.reset_on_expiry));
  }
}

}  // namespace portlab::model
