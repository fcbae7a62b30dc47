#include "props/kernel_host.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <thread>

#include "props/address_guard.h"

namespace portlab::props {

namespace {

// MNL_SOCKET_BUFFER_SIZE is not a constant expression (it asks sysconf); 32 KiB is more than one
// netlink message batch ever needs here.
constexpr std::size_t kNetlinkBufferBytes = 32768;

using model::Endpoint;
using model::Family;
using model::IpAddress;
using model::TcpState;

// Linux's IP-level options that glibc's headers may not name.
constexpr int kIpBindAddressNoPort = 24;
constexpr int kIpLocalPortRange = 51;

// TCP_* numbers (include/net/tcp_states.h) to RFC states.
std::optional<TcpState> state_of(int s) {
  switch (s) {
    case 1: return TcpState::established;
    case 2: return TcpState::syn_sent;
    case 3: return TcpState::syn_received;
    case 4: return TcpState::fin_wait_1;
    case 5: return TcpState::fin_wait_2;
    case 6: return TcpState::time_wait;
    case 7: return TcpState::closed;
    case 8: return TcpState::close_wait;
    case 9: return TcpState::last_ack;
    case 10: return TcpState::listen;
    case 11: return TcpState::closing;
    case 12: return TcpState::syn_received;  // TCP_NEW_SYN_RECV: a request socket
    default: return std::nullopt;
  }
}

// Every state but CLOSE (7) and BOUND_INACTIVE (13): bound or fresh sockets are not connections.
constexpr std::uint32_t kDiagStates = 0x1ffeu & ~(1u << 7);

struct SockAddr {
  sockaddr_storage ss{};
  socklen_t len = 0;
};

SockAddr to_sockaddr(const Endpoint& ep) {
  SockAddr a;
  if (ep.addr.family() == Family::inet) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&a.ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(ep.port);
    std::memcpy(&sin->sin_addr, ep.addr.bytes().data(), 4);
    a.len = sizeof(sockaddr_in);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&a.ss);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(ep.port);
    std::memcpy(&sin6->sin6_addr, ep.addr.bytes().data(), 16);
    a.len = sizeof(sockaddr_in6);
  }
  return a;
}

IpAddress addr_from_bytes(bool v4, const void* p) {
  if (v4) {
    std::uint32_t be = 0;
    std::memcpy(&be, p, 4);
    return IpAddress::v4(ntohl(be));
  }
  std::array<std::uint8_t, 16> b{};
  std::memcpy(b.data(), p, 16);
  return IpAddress::v6(b);
}

Endpoint from_sockaddr(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&ss);
    return {addr_from_bytes(true, &sin->sin_addr), ntohs(sin->sin_port)};
  }
  const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&ss);
  return {addr_from_bytes(false, &sin6->sin6_addr), ntohs(sin6->sin6_port)};
}

KernelResult ok(std::int64_t v = 0) {
  KernelResult r;
  r.value = v;
  return r;
}

KernelResult fail(int e) {
  KernelResult r;
  r.value = -1;
  r.sys_errno = e;
  return r;
}

KernelResult from_rc(long rc) { return rc < 0 ? fail(errno) : ok(rc); }

// Waits for `events` on `fd` for at most `timeout`; false on timeout.
bool wait_for(int fd, short events, std::chrono::milliseconds timeout) {
  pollfd p{fd, events, 0};
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() < 0) return false;
    const int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return true;  // let the call itself report the problem
  }
}

struct OptSpec {
  int level = 0;
  int name = 0;
};

std::optional<OptSpec> linux_option(model::SockOpt o) {
  using model::SockOpt;
  switch (o) {
    case SockOpt::so_reuseaddr: return OptSpec{SOL_SOCKET, SO_REUSEADDR};
    case SockOpt::so_reuseport: return OptSpec{SOL_SOCKET, SO_REUSEPORT};
    case SockOpt::so_linger: return OptSpec{SOL_SOCKET, SO_LINGER};
    case SockOpt::so_bindtodevice: return OptSpec{SOL_SOCKET, SO_BINDTODEVICE};
    case SockOpt::so_rcvbuf: return OptSpec{SOL_SOCKET, SO_RCVBUF};
    case SockOpt::so_sndbuf: return OptSpec{SOL_SOCKET, SO_SNDBUF};
    case SockOpt::tcp_linger2: return OptSpec{IPPROTO_TCP, TCP_LINGER2};
    case SockOpt::ipv6_v6only: return OptSpec{IPPROTO_IPV6, IPV6_V6ONLY};
    case SockOpt::ip_bind_address_no_port: return OptSpec{IPPROTO_IP, kIpBindAddressNoPort};
    case SockOpt::ip_local_port_range: return OptSpec{IPPROTO_IP, kIpLocalPortRange};
    case SockOpt::ip_freebind: return OptSpec{IPPROTO_IP, IP_FREEBIND};
    default: return std::nullopt;  // not a Linux option
  }
}

}  // namespace

std::string errno_name(int e) {
  if (e == 0) return "0";
  if (e == EWOULDBLOCK) return "EAGAIN";
  const char* n = strerrorname_np(e);
  return n ? n : "errno " + std::to_string(e);
}

KernelHost::KernelHost(KernelNamespace& ns, std::chrono::milliseconds block_timeout)
    : ns_(ns), block_timeout_(block_timeout) {
  diag_ = ns_.run([]() -> mnl_socket* {
    mnl_socket* nl = mnl_socket_open(NETLINK_SOCK_DIAG);
    if (!nl) throw HarnessError(std::string("NETLINK_SOCK_DIAG socket: ") + std::strerror(errno));
    if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
      const int e = errno;
      mnl_socket_close(nl);
      throw HarnessError(std::string("NETLINK_SOCK_DIAG bind: ") + std::strerror(e));
    }
    return nl;
  });
}

KernelHost::~KernelHost() {
  try {
    ns_.run([this] {
      for (auto& [v, d] : fds_) {
        // No lingering on the way out: a harness teardown must not block.
        linger l{1, 0};
        ::setsockopt(d.real, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        ::close(d.real);
      }
      fds_.clear();
      if (diag_) mnl_socket_close(diag_);
      diag_ = nullptr;
    });
  } catch (...) {
    // The namespace thread is gone; its descriptors went with the process's table entries
    // only if we close them here, so fall back to closing from this thread.
    for (auto& [v, d] : fds_) ::close(d.real);
    if (diag_) mnl_socket_close(diag_);
  }
}

int KernelHost::add_fd(int real, bool nonblock, Family family) {
  int v = 3;
  for (const auto& [f, _] : fds_) {
    if (f != v) break;
    ++v;
  }
  fds_.emplace(v, Desc{real, nonblock, family});
  return v;
}

const KernelHost::Desc* KernelHost::find(int fd) const {
  auto it = fds_.find(fd);
  return it == fds_.end() ? nullptr : &it->second;
}

KernelResult KernelHost::socket(Family family, bool nonblock, std::uint32_t uid) {
  return ns_.run([&] {
    // setresuid(2) as a raw system call changes only this thread's credentials (glibc's
    // wrappers would change every thread of the process).
    if (uid != 0 && ::syscall(SYS_setresuid, -1, uid, -1) != 0) return fail(errno);
    const int real = ::socket(family == Family::inet ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int e = errno;
    if (uid != 0 && ::syscall(SYS_setresuid, -1, 0, -1) != 0)
      throw HarnessError(std::string("cannot return to euid 0: ") + std::strerror(errno));
    if (real < 0) return fail(e);
    return ok(add_fd(real, nonblock, family));
  });
}

KernelResult KernelHost::setsockopt(int fd, model::SockOpt opt, const model::OptValue& value) {
  return ns_.run([&] {
    const Desc* d = find(fd);
    if (!d) return fail(EBADF);
    auto spec = linux_option(opt);
    if (!spec) return fail(ENOPROTOOPT);
    if (auto* i = std::get_if<std::int64_t>(&value)) {
      const int v = static_cast<int>(*i);
      return from_rc(::setsockopt(d->real, spec->level, spec->name, &v, sizeof v));
    }
    if (auto* l = std::get_if<model::Linger>(&value)) {
      linger lg{l->on ? 1 : 0, l->seconds};
      return from_rc(::setsockopt(d->real, spec->level, spec->name, &lg, sizeof lg));
    }
    if (auto* s = std::get_if<std::string>(&value)) {
      return from_rc(::setsockopt(d->real, spec->level, spec->name, s->c_str(), static_cast<socklen_t>(s->size())));
    }
    const auto& r = std::get<model::PortRange>(value);
    const std::uint32_t v = std::uint32_t{r.low} | (std::uint32_t{r.high} << 16);
    return from_rc(::setsockopt(d->real, spec->level, spec->name, &v, sizeof v));
  });
}

KernelResult KernelHost::getsockopt(int fd, model::SockOpt opt) {
  return ns_.run([&] {
    const Desc* d = find(fd);
    if (!d) return fail(EBADF);
    auto spec = linux_option(opt);
    if (!spec) return fail(ENOPROTOOPT);
    KernelResult r;
    switch (model::kind(opt)) {
      case model::OptKind::integer: {
        int v = 0;
        socklen_t len = sizeof v;
        if (::getsockopt(d->real, spec->level, spec->name, &v, &len) < 0) return fail(errno);
        r.option = std::int64_t{v};
        break;
      }
      case model::OptKind::linger: {
        linger lg{};
        socklen_t len = sizeof lg;
        if (::getsockopt(d->real, spec->level, spec->name, &lg, &len) < 0) return fail(errno);
        r.option = model::Linger{lg.l_onoff != 0, lg.l_linger};
        break;
      }
      case model::OptKind::device: {
        std::array<char, IFNAMSIZ + 1> name{};
        socklen_t len = IFNAMSIZ;
        if (::getsockopt(d->real, spec->level, spec->name, name.data(), &len) < 0) return fail(errno);
        r.option = std::string(name.data());
        break;
      }
      case model::OptKind::port_range: {
        std::uint32_t v = 0;
        socklen_t len = sizeof v;
        if (::getsockopt(d->real, spec->level, spec->name, &v, &len) < 0) return fail(errno);
        r.option = model::PortRange{static_cast<std::uint16_t>(v & 0xffff), static_cast<std::uint16_t>(v >> 16)};
        break;
      }
    }
    return r;
  });
}

KernelResult KernelHost::bind(int fd, const Endpoint& ep) {
  return ns_.run([&] {
    const Desc* d = find(fd);
    if (!d) return fail(EBADF);
    SockAddr a = to_sockaddr(ep);
    return from_rc(guarded_bind(d->real, reinterpret_cast<sockaddr*>(&a.ss), a.len, ns_.is_private()));
  });
}

KernelResult KernelHost::listen(int fd, int backlog) {
  return ns_.run([&] {
    const Desc* d = find(fd);
    if (!d) return fail(EBADF);
    return from_rc(::listen(d->real, backlog));
  });
}

KernelResult KernelHost::connect(int fd, const Endpoint& dst) {
  return ns_.run([&] {
    const Desc* d = find(fd);
    if (!d) return fail(EBADF);
    SockAddr a = to_sockaddr(dst);
    const int rc = guarded_connect(d->real, reinterpret_cast<sockaddr*>(&a.ss), a.len, ns_.is_private());
    if (rc == 0) return ok();
    if (errno != EINPROGRESS || d->nonblock) return fail(errno);
    // A blocking connect: wait for the handshake, then read its outcome.
    if (!wait_for(d->real, POLLOUT, block_timeout_)) {
      KernelResult r = fail(EINPROGRESS);
      r.blocked_forever = true;
      return r;
    }
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(d->real, SOL_SOCKET, SO_ERROR, &err, &len);
    // A second connect() runs the kernel's end-of-connect path as the blocking call would have:
    // on failure (sock_error) the socket goes back to SS_UNCONNECTED, so listen() or a new
    // connect() behave as after a blocking connect; on success it becomes SS_CONNECTED. Without a
    // pending error its own result is the blocking call's: 0, or ECONNABORTED when the connection
    // is already over (CLOSE: "sock_error(sk) ?: -ECONNABORTED"; e.g. a socket connected to itself
    // after shutdown(SHUT_WR) ends in TIME-WAIT at once; a real blocking connect() says
    // ECONNABORTED there, checked on 6.18.44).
    const int again = guarded_connect(d->real, reinterpret_cast<sockaddr*>(&a.ss), a.len, ns_.is_private());
    const int again_errno = again == 0 ? 0 : errno;
    if (err != 0) return fail(err);
    if (again_errno != 0 && again_errno != EISCONN) return fail(again_errno);
    return ok();
  });
}

KernelResult KernelHost::accept(int fd) {
  return ns_.run([&] {
    const Desc* d = find(fd);
    if (!d) return fail(EBADF);
    const int real = d->real;
    int child = ::accept4(real, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (child < 0 && errno == EAGAIN && !d->nonblock) {
      if (!wait_for(real, POLLIN, block_timeout_)) {
        KernelResult r = fail(EAGAIN);
        r.blocked_forever = true;
        return r;
      }
      child = ::accept4(real, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    }
    if (child < 0) return fail(errno);
    // accept() gives a blocking descriptor whatever the listener's flags.
    return ok(add_fd(child, false, d->family));
  });
}

KernelResult KernelHost::send(int fd, std::int64_t bytes) {
  return ns_.run([&] {
    const Desc* d = find(fd);
    if (!d) return fail(EBADF);
    std::vector<char> buf(static_cast<std::size_t>(std::max<std::int64_t>(bytes, 0)), 'x');
    std::size_t sent = 0;
    while (true) {
      const ssize_t n = ::send(d->real, buf.data() + sent, buf.size() - sent, MSG_NOSIGNAL);
      if (n >= 0) {
        sent += static_cast<std::size_t>(n);
        if (sent == buf.size()) return ok(static_cast<std::int64_t>(sent));
        continue;
      }
      if (errno != EAGAIN) return sent > 0 ? ok(static_cast<std::int64_t>(sent)) : fail(errno);
      if (d->nonblock) return sent > 0 ? ok(static_cast<std::int64_t>(sent)) : fail(EAGAIN);
      if (!wait_for(d->real, POLLOUT, block_timeout_)) {
        KernelResult r = ok(static_cast<std::int64_t>(sent));
        r.blocked_forever = true;
        return r;
      }
    }
  });
}

KernelResult KernelHost::recv(int fd, std::int64_t bytes) {
  return ns_.run([&] {
    const Desc* d = find(fd);
    if (!d) return fail(EBADF);
    std::vector<char> buf(static_cast<std::size_t>(std::max<std::int64_t>(bytes, 1)));
    ssize_t n = ::recv(d->real, buf.data(), static_cast<std::size_t>(bytes), 0);
    if (n < 0 && errno == EAGAIN && !d->nonblock) {
      if (!wait_for(d->real, POLLIN, block_timeout_)) {
        KernelResult r = fail(EAGAIN);
        r.blocked_forever = true;
        return r;
      }
      n = ::recv(d->real, buf.data(), static_cast<std::size_t>(bytes), 0);
    }
    return from_rc(n);
  });
}

KernelResult KernelHost::shutdown(int fd, bool rd, bool wr) {
  return ns_.run([&] {
    const Desc* d = find(fd);
    if (!d) return fail(EBADF);
    const int how = rd && wr ? SHUT_RDWR : (rd ? SHUT_RD : SHUT_WR);
    return from_rc(::shutdown(d->real, how));
  });
}

KernelResult KernelHost::close(int fd) {
  return ns_.run([&] {
    auto it = fds_.find(fd);
    if (it == fds_.end()) return fail(EBADF);
    const int real = it->second.real;
    fds_.erase(it);
    // close() lingers (SO_LINGER {1, N>0}) even on a non-blocking socket, as on a blocking one.
    return from_rc(::close(real));
  });
}

KernelResult KernelHost::getsockname(int fd) {
  return ns_.run([&] {
    const Desc* d = find(fd);
    if (!d) return fail(EBADF);
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(d->real, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return fail(errno);
    KernelResult r;
    r.endpoint = from_sockaddr(ss);
    return r;
  });
}

namespace {

struct DumpCtx {
  std::vector<KernelConnection>* out;
};

int on_diag(const nlmsghdr* nlh, void* data) {
  auto* ctx = static_cast<DumpCtx*>(data);
  const auto* m = static_cast<const inet_diag_msg*>(mnl_nlmsg_get_payload(nlh));
  auto st = state_of(m->idiag_state);
  if (!st) return MNL_CB_OK;
  const bool v4 = m->idiag_family == AF_INET;
  KernelConnection c;
  c.local = {addr_from_bytes(v4, m->id.idiag_src), ntohs(m->id.idiag_sport)};
  if (*st != TcpState::listen) c.remote = Endpoint{addr_from_bytes(v4, m->id.idiag_dst), ntohs(m->id.idiag_dport)};
  c.state = *st;
  c.kernel_state = m->idiag_state;
  c.has_fd = m->idiag_inode != 0;
  c.uid = m->idiag_uid;
  c.ifindex = m->id.idiag_if;
  ctx->out->push_back(c);
  return MNL_CB_OK;
}

}  // namespace

std::vector<KernelConnection> KernelHost::dump() {
  return ns_.run([this] {
    std::vector<KernelConnection> out;
    for (int family : {AF_INET, AF_INET6}) {
      std::array<char, kNetlinkBufferBytes> buf{};
      nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
      nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
      nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
      const std::uint32_t seq = static_cast<std::uint32_t>(family) + 1000;
      nlh->nlmsg_seq = seq;
      auto* req = static_cast<inet_diag_req_v2*>(mnl_nlmsg_put_extra_header(nlh, sizeof(inet_diag_req_v2)));
      req->sdiag_family = static_cast<std::uint8_t>(family);
      req->sdiag_protocol = IPPROTO_TCP;
      req->idiag_states = kDiagStates;
      if (mnl_socket_sendto(diag_, nlh, nlh->nlmsg_len) < 0)
        throw HarnessError(std::string("sock_diag sendto: ") + std::strerror(errno));
      DumpCtx ctx{&out};
      const unsigned portid = mnl_socket_get_portid(diag_);
      while (true) {
        const ssize_t n = mnl_socket_recvfrom(diag_, buf.data(), buf.size());
        if (n < 0) throw HarnessError(std::string("sock_diag recv: ") + std::strerror(errno));
        const int rc = mnl_cb_run(buf.data(), static_cast<std::size_t>(n), seq, portid, on_diag, &ctx);
        if (rc == MNL_CB_STOP) break;
        if (rc < 0) throw HarnessError(std::string("sock_diag: ") + std::strerror(errno));
      }
    }
    return out;
  });
}

void KernelHost::settle() {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
  while (true) {
    bool moving = false;
    for (const auto& c : dump()) {
      switch (c.state) {
        case TcpState::syn_sent:
        case TcpState::syn_received:
        case TcpState::fin_wait_1:
        case TcpState::closing:
        case TcpState::last_ack: moving = true; break;
        default: break;
      }
    }
    if (!moving || std::chrono::steady_clock::now() >= deadline) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

std::vector<KernelConnection> KernelHost::connections() {
  settle();
  return dump();
}

}  // namespace portlab::props
