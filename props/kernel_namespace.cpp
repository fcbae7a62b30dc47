#include "props/kernel_namespace.h"

// <net/if.h> first: it makes the kernel headers skip their own (conflicting) interface definitions.
#include <net/if.h>
// other headers
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <linux/neighbour.h>
#include <sys/ioctl.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <vector>

namespace portlab::props {

namespace {

// MNL_SOCKET_BUFFER_SIZE is not a constant expression (it asks sysconf); 32 KiB is more than one
// netlink message batch ever needs here.
constexpr std::size_t kNetlinkBufferBytes = 32768;

std::string errno_text(int e) { return std::string(strerrorname_np(e) ? strerrorname_np(e) : "?") + " (" + std::strerror(e) + ")"; }

// One rtnetlink request with NLM_F_ACK; throws HarnessError on a negative acknowledgement.
// Runs on the calling thread, so it must be called on the namespace thread.
class Rtnl {
 public:
  Rtnl() {
    nl_ = mnl_socket_open(NETLINK_ROUTE);
    if (!nl_) throw HarnessError("rtnetlink socket: " + errno_text(errno));
    if (mnl_socket_bind(nl_, 0, MNL_SOCKET_AUTOPID) < 0) {
      const int e = errno;
      mnl_socket_close(nl_);
      throw HarnessError("rtnetlink bind: " + errno_text(e));
    }
  }
  ~Rtnl() { mnl_socket_close(nl_); }
  Rtnl(const Rtnl&) = delete;
  Rtnl& operator=(const Rtnl&) = delete;

  nlmsghdr* start(std::uint16_t type, std::uint16_t flags) {
    buf_.fill(0);
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf_.data());
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    nlh->nlmsg_seq = ++seq_;
    return nlh;
  }

  void send(nlmsghdr* nlh, const std::string& what) {
    if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0) throw HarnessError(what + ": sendto: " + errno_text(errno));
    std::array<char, kNetlinkBufferBytes> rx{};
    const ssize_t n = mnl_socket_recvfrom(nl_, rx.data(), rx.size());
    if (n < 0) throw HarnessError(what + ": recv: " + errno_text(errno));
    if (mnl_cb_run(rx.data(), static_cast<std::size_t>(n), seq_, mnl_socket_get_portid(nl_), nullptr, nullptr) < 0)
      throw HarnessError(what + ": " + errno_text(errno));
  }

 private:
  mnl_socket* nl_ = nullptr;
  std::array<char, kNetlinkBufferBytes> buf_{};
  std::uint32_t seq_ = static_cast<std::uint32_t>(time(nullptr));
};

void put_addr(nlmsghdr* nlh, std::uint16_t type, const model::IpAddress& a) {
  if (a.family() == model::Family::inet) {
    mnl_attr_put(nlh, type, 4, a.bytes().data());
  } else {
    mnl_attr_put(nlh, type, 16, a.bytes().data());
  }
}

std::string proc_path(std::string_view dotted) {
  std::string p = "/proc/sys/";
  for (char c : dotted) p += c == '.' ? '/' : c;
  return p;
}

unsigned index_of(const std::string& dev) {
  const unsigned i = if_nametoindex(dev.c_str());
  if (i == 0) throw HarnessError("no device '" + dev + "' in the namespace: " + errno_text(errno));
  return i;
}

}  // namespace

KernelNamespace::KernelNamespace() {
  std::promise<void> ready;
  auto started = ready.get_future();
  thread_ = std::thread([this, &ready] { loop(ready); });
  try {
    started.get();
  } catch (...) {
    thread_.join();
    throw;
  }
  try {
    link_up("lo");
  } catch (...) {
    {
      std::lock_guard lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
    if (netns_fd_ >= 0) ::close(netns_fd_);
    throw;
  }
}

KernelNamespace::~KernelNamespace() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (netns_fd_ >= 0) ::close(netns_fd_);
}

void KernelNamespace::loop(std::promise<void>& ready) {
  struct stat before {};
  if (::stat("/proc/thread-self/ns/net", &before) != 0) {
    ready.set_exception(std::make_exception_ptr(HarnessError("stat /proc/thread-self/ns/net: " + errno_text(errno))));
    return;
  }
  if (::unshare(CLONE_NEWNET) != 0) {
    ready.set_exception(std::make_exception_ptr(
        HarnessError("unshare(CLONE_NEWNET): " + errno_text(errno) + "; the real-kernel harness needs root")));
    return;
  }
  netns_fd_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (netns_fd_ < 0) {
    ready.set_exception(std::make_exception_ptr(HarnessError("open /proc/thread-self/ns/net: " + errno_text(errno))));
    return;
  }
  struct stat after {};
  private_ = ::fstat(netns_fd_, &after) == 0 && (after.st_dev != before.st_dev || after.st_ino != before.st_ino);
  ready.set_value();
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [this] { return stop_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // stop_ and nothing left
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();  // a packaged_task: exceptions are stored in its future
  }
}

void KernelNamespace::post(std::function<void()> task) {
  {
    std::lock_guard lk(mu_);
    if (stop_) throw HarnessError("namespace thread stopped");
    tasks_.push_back(std::move(task));
  }
  cv_.notify_one();
}

void KernelNamespace::write_sysctl(std::string_view name, std::string_view value) {
  const std::string path = proc_path(name);
  const std::string v(value);
  run([&] {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) throw HarnessError("open " + path + ": " + errno_text(errno));
    const ssize_t n = ::write(fd, v.data(), v.size());
    const int e = errno;
    ::close(fd);
    if (n != static_cast<ssize_t>(v.size())) throw HarnessError("write '" + v + "' to " + path + ": " + errno_text(e));
  });
}

std::optional<std::string> KernelNamespace::read_sysctl(std::string_view name) {
  const std::string path = proc_path(name);
  return run([&]() -> std::optional<std::string> {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::string out;
    std::array<char, 4096> buf{};
    ssize_t n;
    while ((n = ::read(fd, buf.data(), buf.size())) > 0) out.append(buf.data(), static_cast<std::size_t>(n));
    ::close(fd);
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out;
  });
}

void KernelNamespace::link_up(const std::string& dev) {
  run([&] {
    Rtnl nl;
    nlmsghdr* nlh = nl.start(RTM_NEWLINK, 0);
    auto* ifm = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
    ifm->ifi_family = AF_UNSPEC;
    ifm->ifi_index = static_cast<int>(index_of(dev));
    ifm->ifi_flags = IFF_UP;
    ifm->ifi_change = IFF_UP;
    nl.send(nlh, "link up " + dev);
  });
}

void KernelNamespace::add_veth(const std::string& name, const std::string& peer, const KernelNamespace* peer_ns) {
  const int peer_fd = peer_ns ? peer_ns->netns_fd() : -1;
  run([&] {
    Rtnl nl;
    nlmsghdr* nlh = nl.start(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    auto* ifm = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
    ifm->ifi_family = AF_UNSPEC;
    mnl_attr_put_strz(nlh, IFLA_IFNAME, name.c_str());
    nlattr* linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
    nlattr* data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
    nlattr* peer_attr = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
    // VETH_INFO_PEER carries a struct ifinfomsg followed by the peer's attributes.
    std::memset(static_cast<char*>(mnl_nlmsg_get_payload_tail(nlh)), 0, MNL_ALIGN(sizeof(ifinfomsg)));
    nlh->nlmsg_len += MNL_ALIGN(sizeof(ifinfomsg));
    mnl_attr_put_strz(nlh, IFLA_IFNAME, peer.c_str());
    if (peer_fd >= 0) mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, static_cast<std::uint32_t>(peer_fd));
    mnl_attr_nest_end(nlh, peer_attr);
    mnl_attr_nest_end(nlh, data);
    mnl_attr_nest_end(nlh, linkinfo);
    nl.send(nlh, "add veth " + name + "/" + peer);
  });
}

void KernelNamespace::add_address(const std::string& dev, const model::IpAddress& addr, int prefix_len) {
  run([&] {
    Rtnl nl;
    nlmsghdr* nlh = nl.start(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
    auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
    const bool v4 = addr.family() == model::Family::inet;
    ifa->ifa_family = v4 ? AF_INET : AF_INET6;
    ifa->ifa_prefixlen = static_cast<unsigned char>(prefix_len);
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    ifa->ifa_index = index_of(dev);
    if (!v4) ifa->ifa_flags = IFA_F_NODAD;  // usable at once: no duplicate address detection
    put_addr(nlh, IFA_LOCAL, addr);
    put_addr(nlh, IFA_ADDRESS, addr);
    if (!v4) mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
    nl.send(nlh, "add address " + addr.to_string() + " to " + dev);
  });
}

void KernelNamespace::add_route(const std::string& dev, const model::IpAddress& dst, int prefix_len,
                                const std::optional<model::IpAddress>& prefsrc) {
  run([&] {
    Rtnl nl;
    nlmsghdr* nlh = nl.start(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
    auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
    rtm->rtm_family = dst.family() == model::Family::inet ? AF_INET : AF_INET6;
    rtm->rtm_dst_len = static_cast<unsigned char>(prefix_len);
    rtm->rtm_table = RT_TABLE_MAIN;
    rtm->rtm_protocol = RTPROT_BOOT;
    rtm->rtm_scope = RT_SCOPE_LINK;
    rtm->rtm_type = RTN_UNICAST;
    put_addr(nlh, RTA_DST, dst);
    mnl_attr_put_u32(nlh, RTA_OIF, index_of(dev));
    if (prefsrc) put_addr(nlh, RTA_PREFSRC, *prefsrc);
    nl.send(nlh, "add route " + dst.to_string() + "/" + std::to_string(prefix_len) + " dev " + dev);
  });
}

int KernelNamespace::ifindex(const std::string& dev) {
  return run([&] { return static_cast<int>(index_of(dev)); });
}

std::string KernelNamespace::hw_address(const std::string& dev) {
  return run([&] {
    const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) throw HarnessError("socket: " + errno_text(errno));
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, dev.c_str(), IFNAMSIZ - 1);
    const int rc = ::ioctl(s, SIOCGIFHWADDR, &ifr);
    const int e = errno;
    ::close(s);
    if (rc < 0) throw HarnessError("SIOCGIFHWADDR " + dev + ": " + errno_text(e));
    return std::string(ifr.ifr_hwaddr.sa_data, 6);
  });
}

void KernelNamespace::add_neighbor(const std::string& dev, const model::IpAddress& addr, const std::string& lladdr) {
  run([&] {
    Rtnl nl;
    nlmsghdr* nlh = nl.start(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE);
    auto* nd = static_cast<ndmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ndmsg)));
    nd->ndm_family = addr.family() == model::Family::inet ? AF_INET : AF_INET6;
    nd->ndm_ifindex = static_cast<int>(index_of(dev));
    nd->ndm_state = NUD_PERMANENT;
    put_addr(nlh, NDA_DST, addr);
    mnl_attr_put(nlh, NDA_LLADDR, lladdr.size(), lladdr.data());
    nl.send(nlh, "add neighbour " + addr.to_string() + " on " + dev);
  });
}

}  // namespace portlab::props
