// A private Linux network namespace, owned by one dedicated thread. The thread calls
// unshare(CLONE_NEWNET) when it starts, so everything it does -- sockets, /proc/sys/net writes,
// rtnetlink requests -- happens inside the namespace, and nothing else in the process is
// affected. Work is handed to the thread through a small task queue (`run`). Destroying the
// object stops the thread, which releases the namespace (the kernel frees it once its last
// reference -- the thread and the descriptor we hold on it -- is gone).
//
// Only loopback and links created here (veth pairs) are ever used.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>

#include "model/address.h"

namespace portlab::props {

// The harness could not set up or drive the namespace (not root, no CLONE_NEWNET, netlink error).
class HarnessError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class KernelNamespace {
 public:
  // Creates the namespace and brings `lo` up. Throws HarnessError.
  KernelNamespace();
  ~KernelNamespace();
  KernelNamespace(const KernelNamespace&) = delete;
  KernelNamespace& operator=(const KernelNamespace&) = delete;

  // Runs `f` on the namespace thread and returns its result; an exception thrown by `f` is
  // rethrown here. Calls may come from any thread; they run one at a time, in order.
  template <class F>
  std::invoke_result_t<F> run(F f) {
    using R = std::invoke_result_t<F>;
    std::packaged_task<R()> task(std::move(f));
    auto fut = task.get_future();
    post([&task] { task(); });
    return fut.get();
  }

  // /proc/sys/net/... of this namespace; `name` is dotted ("net.ipv4.tcp_tw_reuse").
  void write_sysctl(std::string_view name, std::string_view value);
  std::optional<std::string> read_sysctl(std::string_view name);

  // rtnetlink, run on the namespace thread. Throw HarnessError.
  void link_up(const std::string& dev);
  // A veth pair: `name` here; `peer` in `peer_ns` (this namespace when null).
  void add_veth(const std::string& name, const std::string& peer, const KernelNamespace* peer_ns);
  void add_address(const std::string& dev, const model::IpAddress& addr, int prefix_len);
  void add_route(const std::string& dev, const model::IpAddress& dst, int prefix_len,
                 const std::optional<model::IpAddress>& prefsrc);
  int ifindex(const std::string& dev);
  // The link-layer address of `dev` (6 bytes for veth).
  std::string hw_address(const std::string& dev);
  // A permanent neighbour entry: `addr` is reachable on `dev` at link-layer address `lladdr`
  // (so that no ARP/NDP is needed for addresses that live on the peer's `lo`).
  void add_neighbor(const std::string& dev, const model::IpAddress& addr, const std::string& lladdr);

  // A descriptor on this namespace (/proc/thread-self/ns/net of the thread), for IFLA_NET_NS_FD.
  int netns_fd() const { return netns_fd_; }

  // True when the namespace thread's unshare(CLONE_NEWNET) gave it a namespace other than the one
  // it started in: a private namespace this process created. Work run on the thread (and threads
  // that setns() to netns_fd()) may then use non-loopback addresses (props/address_guard.h).
  bool is_private() const { return private_; }

 private:
  void post(std::function<void()> task);
  void loop(std::promise<void>& ready);

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stop_ = false;
  int netns_fd_ = -1;
  bool private_ = false;  // set on the namespace thread before the constructor returns
  std::thread thread_;
};

}  // namespace portlab::props
