#include "bench/reconnect.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "model/address.h"
#include "model/errno.h"
#include "model/linux_profile.h"
#include "model/socket_option.h"
#include "model/tcp_state.h"
#include "props/address_guard.h"
#include "props/kernel_host.h"
#include "props/kernel_namespace.h"
#include "sim/host_handle.h"
#include "sim/world.h"

namespace portlab::bench {

namespace pm = portlab::model;
namespace pp = portlab::props;
namespace ps = portlab::sim;
using Clock = std::chrono::steady_clock;

const std::vector<Strategy>& strategies() {
  static const std::vector<Strategy> all = [] {
    std::vector<Strategy> v;
    auto add = [&v](std::string name, std::string desc, PortMode p, CloseMode c, bool reuse, int tw, int ts) {
      v.push_back({std::move(name), std::move(desc), p, c, reuse, tw, ts});
    };
    add("ephemeral_graceful_tw0", "1. ephemeral port, client closes first, tcp_tw_reuse=0", PortMode::ephemeral,
        CloseMode::graceful, false, 0, 1);
    add("ephemeral_graceful_tw2", "1. ephemeral port, client closes first, tcp_tw_reuse=2", PortMode::ephemeral,
        CloseMode::graceful, false, 2, 1);
    add("ephemeral_linger0", "2. ephemeral port, SO_LINGER{1,0}", PortMode::ephemeral, CloseMode::linger0, false, 2, 1);
    add("fixed_reuseaddr_graceful_ts1", "3. fixed port + SO_REUSEADDR, client closes first, tcp_timestamps=1",
        PortMode::fixed, CloseMode::graceful, true, 2, 1);
    add("fixed_reuseaddr_graceful_ts0", "3. fixed port + SO_REUSEADDR, client closes first, tcp_timestamps=0",
        PortMode::fixed, CloseMode::graceful, true, 2, 0);
    add("fixed_reuseaddr_linger0", "4. fixed port + SO_REUSEADDR + SO_LINGER{1,0}, no shutdown()", PortMode::fixed,
        CloseMode::linger0, true, 2, 1);
    add("fixed_reuseaddr_shutdown_linger0", "5. as 4, shutdown(SHUT_WR) first", PortMode::fixed,
        CloseMode::shutdown_linger0, true, 2, 1);
    add("ephemeral_server_first", "6. ephemeral port, server closes first", PortMode::ephemeral,
        CloseMode::server_first, false, 2, 1);
    add("fixed_reuseaddr_server_first", "7. fixed port + SO_REUSEADDR, server closes first", PortMode::fixed,
        CloseMode::server_first, true, 2, 1);
    add("fixed_server_first", "7. fixed port without SO_REUSEADDR, server closes first", PortMode::fixed,
        CloseMode::server_first, false, 2, 1);
    add("bind0_graceful", "8. bind(127.0.0.1:0) before connect, client closes first", PortMode::bind0,
        CloseMode::graceful, false, 2, 1);
    add("bind_no_port_graceful_tw0", "8. IP_BIND_ADDRESS_NO_PORT + bind(127.0.0.1:0), tcp_tw_reuse=0",
        PortMode::bind_no_port, CloseMode::graceful, false, 0, 1);
    add("bind_no_port_graceful_tw2", "8. IP_BIND_ADDRESS_NO_PORT + bind(127.0.0.1:0), tcp_tw_reuse=2",
        PortMode::bind_no_port, CloseMode::graceful, false, 2, 1);
    return v;
  }();
  return all;
}

std::string LoopResult::failure_pattern() const {
  if (failures.empty()) return "none";
  std::string out;
  for (const auto& [k, n] : failures) {
    if (!out.empty()) out += ", ";
    out += k + " x" + std::to_string(n);
  }
  return out;
}

namespace {

constexpr std::uint16_t kServerPort = 8080;
constexpr std::uint16_t kFixedClientPort = 5000;
constexpr auto kStall = std::chrono::milliseconds(200);
constexpr auto kSyncTimeout = std::chrono::seconds(3);

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::string port_range(const RunConfig& cfg) {
  return std::to_string(cfg.port_low) + " " + std::to_string(cfg.port_high);
}

// ---------------------------------------------------------------------------------------------
// Real loop

class FdGuard {
 public:
  explicit FdGuard(int fd = -1) : fd_(fd) {}
  ~FdGuard() { reset(); }
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  void assign(int fd) {
    reset();
    fd_ = fd;
  }
  int get() const { return fd_; }
  bool ok() const { return fd_ >= 0; }
  // close(); returns its errno (0 = fine).
  int reset() {
    if (fd_ < 0) return 0;
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc == 0 ? 0 : errno;
  }

 private:
  int fd_;
};

// This thread joins a network namespace until the guard goes away.
class NetnsGuard {
 public:
  explicit NetnsGuard(int target) {
    orig_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (orig_ < 0) throw pp::HarnessError(std::string("open /proc/thread-self/ns/net: ") + std::strerror(errno));
    if (::setns(target, CLONE_NEWNET) != 0) {
      const int e = errno;
      ::close(orig_);
      throw pp::HarnessError(std::string("setns(CLONE_NEWNET): ") + std::strerror(e));
    }
  }
  ~NetnsGuard() {
    (void)::setns(orig_, CLONE_NEWNET);
    ::close(orig_);
  }
  NetnsGuard(const NetnsGuard&) = delete;
  NetnsGuard& operator=(const NetnsGuard&) = delete;

 private:
  int orig_ = -1;
};

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

void set_int(int fd, int level, int opt, int v) { (void)::setsockopt(fd, level, opt, &v, sizeof v); }

void set_timeout(int fd, int opt, std::chrono::milliseconds d) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  (void)::setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof tv);
}

}  // namespace

struct RealLoop::Impl {
  Strategy s;
  RunConfig cfg;
  pp::KernelNamespace ns;
  std::unique_ptr<NetnsGuard> inside;
  FdGuard listener;
  std::thread server;
  std::atomic<bool> stop{false};

  // Per-connection handshake between the client (this thread) and the server thread.
  std::mutex mu;
  std::condition_variable cv;
  std::uint64_t client_closed = 0;  // connections the client has closed
  std::uint64_t server_done = 0;    // connections the server has closed

  LoopResult r;                      // the client's part
  std::map<std::string, std::int64_t> server_failures;  // only the server thread writes it
  std::vector<double> connect_us;
  std::uint64_t connected = 0;
  Clock::time_point start{};
  bool started = false;

  Impl(const Strategy& st, const RunConfig& c) : s(st), cfg(c) {
    ns.write_sysctl("net.ipv4.tcp_tw_reuse", std::to_string(s.tw_reuse));
    ns.write_sysctl("net.ipv4.tcp_timestamps", std::to_string(s.timestamps));
    ns.write_sysctl("net.ipv4.ip_local_port_range", port_range(cfg));
    if (ns.read_sysctl("net.ipv4.tcp_tw_reuse_delay"))
      ns.write_sysctl("net.ipv4.tcp_tw_reuse_delay", std::to_string(cfg.tw_reuse_delay_ms));
    inside = std::make_unique<NetnsGuard>(ns.netns_fd());
    listener.assign(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!listener.ok()) throw pp::HarnessError(std::string("listener socket: ") + std::strerror(errno));
    set_int(listener.get(), SOL_SOCKET, SO_REUSEADDR, 1);
    const sockaddr_in a = loopback(kServerPort);
    if (pp::guarded_bind(listener.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a, in_ns()) != 0 ||
        ::listen(listener.get(), 4096) != 0)
      throw pp::HarnessError(std::string("listener bind/listen: ") + std::strerror(errno));
    set_timeout(listener.get(), SO_RCVTIMEO, std::chrono::milliseconds(200));  // accept() sees `stop`
    server = std::thread([this] { serve(); });
  }

  ~Impl() { stop_server(); }

  // This thread has joined the loop's private namespace (the address guard's context).
  bool in_ns() const { return inside != nullptr && ns.is_private(); }

  void stop_server() {
    if (!server.joinable()) return;
    stop = true;
    ::shutdown(listener.get(), SHUT_RDWR);  // wakes accept()
    cv.notify_all();
    server.join();
  }

  void srv_fail(const std::string& call, int e) { ++server_failures["srv_" + call + "_" + pp::errno_name(e)]; }

  void serve() {
    std::uint64_t k = 0;
    while (!stop) {
      FdGuard conn(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!conn.ok()) {
        if (errno != EAGAIN && errno != EINTR && !stop) srv_fail("accept", errno);
        continue;
      }
      ++k;
      set_timeout(conn.get(), SO_RCVTIMEO, std::chrono::milliseconds(2000));
      set_timeout(conn.get(), SO_SNDTIMEO, std::chrono::milliseconds(2000));
      char b = 0;
      ssize_t n = ::recv(conn.get(), &b, 1, 0);
      if (n < 0) {
        srv_fail("recv", errno);
      } else if (n == 0) {
        ++server_failures["srv_recv_EOF"];
      } else if (::send(conn.get(), "s", 1, MSG_NOSIGNAL) != 1) {
        srv_fail("send", errno);
      }
      if (s.close != CloseMode::server_first) {
        n = ::recv(conn.get(), &b, 1, 0);  // EOF (FIN) or ECONNRESET (RST)
        if (n < 0) srv_fail("recv", errno);
        else if (n > 0) ++server_failures["srv_recv_unexpected_data"];
        std::unique_lock lk(mu);
        cv.wait_for(lk, kSyncTimeout, [&] { return client_closed >= k || stop; });
      }
      if (const int e = conn.reset(); e != 0) srv_fail("close", e);
      {
        std::lock_guard lk(mu);
        server_done = k;
      }
      cv.notify_all();
    }
  }

  void fail(const std::string& call, int e) { ++r.failures[call + "_" + pp::errno_name(e)]; }

  void iterate() {
    const auto now = Clock::now();
    if (!started) {
      start = now;
      started = true;
    }
    if (now - start > cfg.wall_cap || !r.harness_error.empty()) {
      ++r.skipped;
      return;
    }
    r.timeline.push_back({now - start, now - start, now - start});
    IterationTimes& times = r.timeline.back();
    ++r.attempts;
    FdGuard c(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!c.ok()) return fail("socket", errno);
    set_timeout(c.get(), SO_RCVTIMEO, std::chrono::milliseconds(2000));
    set_timeout(c.get(), SO_SNDTIMEO, std::chrono::milliseconds(3000));  // bounds connect() too
    if (s.reuseaddr) set_int(c.get(), SOL_SOCKET, SO_REUSEADDR, 1);
    if (s.port == PortMode::bind_no_port) set_int(c.get(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1);
    if (s.port != PortMode::ephemeral) {
      const sockaddr_in a = loopback(s.port == PortMode::fixed ? kFixedClientPort : 0);
      if (pp::guarded_bind(c.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a, in_ns()) != 0)
        return fail("bind", errno);
    }
    const sockaddr_in dst = loopback(kServerPort);
    const auto t0 = Clock::now();
    times.connect = times.close = t0 - start;
    const int rc = pp::guarded_connect(c.get(), reinterpret_cast<const sockaddr*>(&dst), sizeof dst, in_ns());
    const int ce = errno;
    const auto dt = Clock::now() - t0;
    if (dt > kStall) ++r.stalls;
    if (rc != 0) return fail("connect", ce);
    connect_us.push_back(std::chrono::duration<double, std::micro>(dt).count());
    const std::uint64_t k = ++connected;
    bool ok = true;
    char b = 0;
    if (::send(c.get(), "c", 1, MSG_NOSIGNAL) != 1) {
      fail("send", errno);
      ok = false;
    } else if (const ssize_t n = ::recv(c.get(), &b, 1, 0); n != 1) {
      n < 0 ? fail("recv", errno) : void(++r.failures["recv_EOF"]);
      ok = false;
    }
    times.close = Clock::now() - start;
    switch (s.close) {
      case CloseMode::graceful:
        break;
      case CloseMode::linger0:
      case CloseMode::shutdown_linger0: {
        const linger lg{1, 0};
        (void)::setsockopt(c.get(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        if (s.close == CloseMode::shutdown_linger0 && ::shutdown(c.get(), SHUT_WR) != 0) {
          fail("shutdown", errno);
          ok = false;
        }
        break;
      }
      case CloseMode::server_first:
        if (const ssize_t n = ::recv(c.get(), &b, 1, 0); n != 0) {
          n < 0 ? fail("recv", errno) : void(++r.failures["recv_unexpected_data"]);
          ok = false;
        }
        break;
    }
    if (const int e = c.reset(); e != 0) {
      fail("close", e);
      ok = false;
    }
    std::unique_lock lk(mu);
    client_closed = k;
    cv.notify_all();
    if (!cv.wait_for(lk, kSyncTimeout, [&] { return server_done >= k; })) {
      r.harness_error = "the server did not finish connection " + std::to_string(k) + " within 3 s";
      return;
    }
    if (ok) ++r.successes;
  }

  LoopResult finish() {
    r.elapsed_s = started ? std::chrono::duration<double>(Clock::now() - start).count() : 0;
    stop_server();
    listener.reset();
    inside.reset();
    // The server's outcomes join the client's under a srv_ prefix: srv_recv_ECONNRESET, the
    // expected effect of an RST close, is part of a strategy's pattern like any client errno.
    for (const auto& [key, n] : server_failures) r.failures[key] += n;
    pp::KernelHost kh(ns, std::chrono::milliseconds(1000));
    for (const auto& c : kh.connections())
      if (c.state == pm::TcpState::time_wait) ++r.time_wait_end;
    r.connect_p50_us = percentile(connect_us, 0.50);
    r.connect_p99_us = percentile(connect_us, 0.99);
    return r;
  }
};

RealLoop::RealLoop(const Strategy& s, const RunConfig& cfg) : impl_(std::make_unique<Impl>(s, cfg)) {}
RealLoop::~RealLoop() = default;
void RealLoop::iterate() { impl_->iterate(); }
LoopResult RealLoop::finish() { return impl_->finish(); }

// ---------------------------------------------------------------------------------------------
// Model loop

struct ModelLoop::Impl {
  Strategy s;
  RunConfig cfg;
  std::vector<IterationTimes> timeline;
  std::chrono::nanoseconds step;
  ps::World world;
  ps::HostHandle host;
  pm::Fd listener = -1;
  pm::TimePoint t0{};
  std::size_t i = 0;
  LoopResult r;
  std::vector<double> connect_us;
  double cpu0 = 0;
  const pm::Endpoint server_ep{*pm::IpAddress::parse("127.0.0.1"), kServerPort};

  Impl(const Strategy& st, const RunConfig& c, std::vector<IterationTimes> st_timeline,
       std::chrono::nanoseconds st_step)
      : s(st), cfg(c), timeline(std::move(st_timeline)), step(st_step),
        world(1, {{"local", {}, {}, &pm::linux_profile()}}), host(world, 0) {
    auto knob = [this](const std::string& name, const std::string& v) {
      if (const std::string err = host.sysctl(name, v); !err.empty())
        throw std::runtime_error("model sysctl " + name + "=" + v + ": " + err);
    };
    knob("net.ipv4.tcp_tw_reuse", std::to_string(s.tw_reuse));
    knob("net.ipv4.tcp_timestamps", std::to_string(s.timestamps));
    knob("net.ipv4.ip_local_port_range", port_range(cfg));
    knob("net.ipv4.tcp_tw_reuse_delay", std::to_string(cfg.tw_reuse_delay_ms));
    listener = static_cast<pm::Fd>(host.socket(pm::Family::inet).result.value);
    host.setsockopt(listener, pm::SockOpt::so_reuseaddr, std::int64_t{1});
    if (host.bind(listener, server_ep).result.failed() || host.listen(listener, 4096).result.failed())
      throw std::runtime_error("model listener bind/listen failed");
    t0 = world.now();
    cpu0 = thread_cpu_s();
  }

  void fail(const std::string& call, const ps::CallOutcome& o) {
    ++r.failures[call + "_" + std::string(pm::name(o.result.err))];
  }

  // The server's side of one accepted connection, up to (not including) its close.
  void serve_exchange(pm::Fd a) {
    auto o = host.recv(a, 1);
    if (o.result.failed()) fail("srv_recv", o);
    else if (o.result.value == 0) ++r.failures["srv_recv_EOF"];
    else if (auto so = host.send(a, 1); so.result.failed()) fail("srv_send", so);
  }

  void iterate() {
    const std::size_t idx = i++;
    if (idx % 256 == 255) (void)world.take_log();  // the event log is not needed here; keep memory flat
    IterationTimes at;
    if (idx < timeline.size()) {
      at = timeline[idx];
    } else {
      at.start = at.connect = at.close = step * static_cast<std::int64_t>(idx);
    }
    auto advance = [this](std::chrono::nanoseconds offset) {
      world.advance_to(t0 + std::chrono::duration_cast<pm::Duration>(offset));
    };
    advance(at.start);
    ++r.attempts;
    auto so = host.socket(pm::Family::inet);
    if (so.result.failed()) return fail("socket", so);
    const auto c = static_cast<pm::Fd>(so.result.value);
    struct Closer {  // every model descriptor is closed, as in the real loop
      ps::HostHandle& h;
      pm::Fd fd;
      bool open = true;
      ~Closer() {
        if (open) h.close(fd);
      }
    } closer{host, c};
    if (s.reuseaddr) host.setsockopt(c, pm::SockOpt::so_reuseaddr, std::int64_t{1});
    if (s.port == PortMode::bind_no_port) host.setsockopt(c, pm::SockOpt::ip_bind_address_no_port, std::int64_t{1});
    if (s.port != PortMode::ephemeral) {
      const pm::Endpoint ep{*pm::IpAddress::parse("127.0.0.1"),
                            static_cast<std::uint16_t>(s.port == PortMode::fixed ? kFixedClientPort : 0)};
      if (auto b = host.bind(c, ep); b.result.failed()) return fail("bind", b);
    }
    advance(at.connect);
    auto co = host.connect(c, server_ep);
    if (co.waited > kStall || co.blocked_forever) ++r.stalls;
    if (co.result.failed()) return fail("connect", co);
    connect_us.push_back(std::chrono::duration<double, std::micro>(co.waited).count());
    auto ao = host.accept(listener);
    if (ao.result.failed()) return fail("srv_accept", ao);
    const auto a = static_cast<pm::Fd>(ao.result.value);
    bool ok = true;
    if (auto sd = host.send(c, 1); sd.result.failed()) {
      fail("send", sd);
      ok = false;
    }
    serve_exchange(a);
    if (ok) {
      if (auto rv = host.recv(c, 1); rv.result.failed() || rv.result.value != 1) {
        rv.result.failed() ? fail("recv", rv) : void(++r.failures["recv_EOF"]);
        ok = false;
      }
    }
    advance(at.close);
    auto srv_close = [&] {
      if (auto x = host.close(a); x.result.failed()) fail("srv_close", x);
    };
    auto cli_close = [&] {
      closer.open = false;
      if (auto x = host.close(c); x.result.failed()) {
        fail("close", x);
        ok = false;
      }
    };
    switch (s.close) {
      case CloseMode::graceful:
      case CloseMode::linger0:
      case CloseMode::shutdown_linger0: {
        if (s.close != CloseMode::graceful) host.setsockopt(c, pm::SockOpt::so_linger, pm::Linger{true, 0});
        if (s.close == CloseMode::shutdown_linger0) {
          if (auto x = host.shutdown(c, false, true); x.result.failed()) {
            fail("shutdown", x);
            ok = false;
          }
          // The server reads the FIN before the client's close() (as on the real loop, where
          // the server thread is already waiting in recv()).
          auto rv = host.recv(a, 1);
          if (rv.result.failed()) fail("srv_recv", rv);
          cli_close();
        } else {
          cli_close();
          auto rv = host.recv(a, 1);
          if (rv.result.failed()) fail("srv_recv", rv);
          else if (rv.result.value > 0) ++r.failures["srv_recv_unexpected_data"];
        }
        srv_close();
        break;
      }
      case CloseMode::server_first: {
        srv_close();
        if (auto rv = host.recv(c, 1); rv.result.failed() || rv.result.value != 0) {
          rv.result.failed() ? fail("recv", rv) : void(++r.failures["recv_unexpected_data"]);
          ok = false;
        }
        cli_close();
        break;
      }
    }
    if (ok) ++r.successes;
  }

  LoopResult finish() {
    r.cpu_s = thread_cpu_s() - cpu0;
    r.elapsed_s = std::chrono::duration<double>(world.now() - t0).count();
    r.time_wait_end = static_cast<std::int64_t>(world.host(0).time_wait_count());
    r.connect_p50_us = percentile(connect_us, 0.50);
    r.connect_p99_us = percentile(connect_us, 0.99);
    return r;
  }
};

ModelLoop::ModelLoop(const Strategy& s, const RunConfig& cfg, std::vector<IterationTimes> timeline,
                     std::chrono::nanoseconds step)
    : impl_(std::make_unique<Impl>(s, cfg, std::move(timeline), step)) {}
ModelLoop::~ModelLoop() = default;
void ModelLoop::iterate() { impl_->iterate(); }
LoopResult ModelLoop::finish() { return impl_->finish(); }

}  // namespace portlab::bench
