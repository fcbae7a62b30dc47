// One host's real TCP socket layer: socket calls on this machine's kernel, inside a
// KernelNamespace. Mirrors model::Host's call surface so that one script step can be applied to
// both. Sockets are always O_NONBLOCK underneath; a call the script makes on a blocking socket
// is emulated with poll() and a bounded timeout, past which it counts as "blocked forever".
//
// Descriptors are virtual: the script sees the numbers POSIX would hand out in a fresh process
// (lowest free, from 3), exactly as the model numbers them, and each maps to a real descriptor.
// A virtual descriptor that is not open gives EBADF without a system call. Every real
// descriptor is closed by the destructor, on the namespace thread.
//
// bind() and connect() go through props/address_guard.h: an address it refuses throws
// HarnessError and never reaches the kernel.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/address.h"
#include "model/socket_option.h"
#include "model/tcp_state.h"
#include "props/kernel_namespace.h"

struct mnl_socket;

namespace portlab::props {

struct KernelResult {
  std::int64_t value = 0;  // 0, a (virtual) descriptor, a byte count
  int sys_errno = 0;       // 0 = success
  bool blocked_forever = false;  // the call was still blocked when the timeout expired
  std::optional<model::Endpoint> endpoint;  // getsockname
  std::optional<model::OptValue> option;    // getsockopt
  bool failed() const { return sys_errno != 0; }
};

// "EADDRINUSE"; EWOULDBLOCK prints as "EAGAIN" (the same number on Linux).
std::string errno_name(int e);

// A TCP socket or TIME-WAIT entry as NETLINK_SOCK_DIAG reports it.
struct KernelConnection {
  model::Endpoint local;
  std::optional<model::Endpoint> remote;  // nullopt for a listener
  model::TcpState state = model::TcpState::closed;
  int kernel_state = 0;   // TCP_* number as reported
  bool has_fd = false;    // idiag_inode != 0: a socket with a file; TIME-WAIT and orphans have none
  std::uint32_t uid = 0;
  std::uint32_t ifindex = 0;
};

class KernelHost {
 public:
  // `block_timeout`: how long a blocking call may wait before it counts as blocked forever.
  KernelHost(KernelNamespace& ns, std::chrono::milliseconds block_timeout);
  ~KernelHost();
  KernelHost(const KernelHost&) = delete;
  KernelHost& operator=(const KernelHost&) = delete;

  KernelNamespace& ns() { return ns_; }

  // The socket is created under euid `uid` (seteuid on the namespace thread only), so its owner
  // uid (sock_i_uid) is `uid`; every other call runs as root.
  KernelResult socket(model::Family family, bool nonblock, std::uint32_t uid);
  KernelResult setsockopt(int fd, model::SockOpt opt, const model::OptValue& value);
  KernelResult getsockopt(int fd, model::SockOpt opt);
  KernelResult bind(int fd, const model::Endpoint& ep);
  KernelResult listen(int fd, int backlog);
  KernelResult connect(int fd, const model::Endpoint& dst);
  KernelResult accept(int fd);
  KernelResult send(int fd, std::int64_t bytes);
  KernelResult recv(int fd, std::int64_t bytes);
  KernelResult shutdown(int fd, bool rd, bool wr);
  KernelResult close(int fd);
  KernelResult getsockname(int fd);

  // Every TCP socket and TIME-WAIT entry in the namespace, except CLOSE ones (bound or fresh
  // sockets), after loopback traffic has settled (see settle()).
  std::vector<KernelConnection> connections();
  // Waits (bounded) until no connection is in a state that a loopback peer resolves within
  // milliseconds (SYN-SENT, SYN-RECV, FIN-WAIT-1, CLOSING, LAST-ACK), e.g. a delayed ACK.
  void settle();

  bool is_open(int fd) const { return fds_.count(fd) != 0; }

 private:
  struct Desc {
    int real = -1;
    bool nonblock = false;
    model::Family family = model::Family::inet;
  };
  std::vector<KernelConnection> dump();
  int add_fd(int real, bool nonblock, model::Family family);
  const Desc* find(int fd) const;

  KernelNamespace& ns_;
  std::chrono::milliseconds block_timeout_;
  std::map<int, Desc> fds_;
  mnl_socket* diag_ = nullptr;
};

}  // namespace portlab::props
