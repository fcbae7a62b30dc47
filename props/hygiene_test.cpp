// Real-socket hygiene (issue #8, docs/robustness.md "Real-socket hygiene"): after a harness run
// -- also one where a step fails or the run is interrupted by SIGINT -- no descriptor, thread,
// child process or network namespace is left behind; and nothing binds or connects outside
// loopback or a private namespace (props/address_guard.h).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "model/linux_profile.h"
#include "props/address_guard.h"
#include "props/conform.h"
#include "props/kernel_host.h"
#include "props/kernel_namespace.h"
#include "sim/script/parser.h"

namespace portlab::props {
namespace {

namespace fs = std::filesystem;
using model::Endpoint;
using model::Family;
using model::IpAddress;

Endpoint ep(const char* s) { return *Endpoint::parse(s); }
IpAddress ip(const char* s) { return *IpAddress::parse(s); }

// Entries of a /proc directory (iterating it costs one descriptor, the same one every time).
std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) out.push_back(e.path().filename().string());
  return out;
}

bool is_pid(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

std::string link_target(const std::string& path) {
  std::error_code ec;
  auto t = fs::read_symlink(path, ec);
  return ec ? std::string() : t.string();
}

// What this process holds: descriptors, threads, and the namespace of the calling thread.
struct Snapshot {
  std::size_t fds = 0;
  std::size_t threads = 0;
  std::string netns;  // "net:[4026531840]"
};

Snapshot snapshot() {
  return {entries("/proc/self/fd").size(), entries("/proc/self/task").size(), link_target("/proc/thread-self/ns/net")};
}

void expect_back_to(const Snapshot& base) {
  // pthread_join returns once the kernel clears the thread's tid, a little before the task has
  // left /proc/self/task (and dropped its namespace); give that bounded time, then compare.
  for (int i = 0; i < 200 && entries("/proc/self/task").size() > base.threads; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const Snapshot now = snapshot();
  EXPECT_EQ(now.fds, base.fds) << "descriptors left open";
  EXPECT_EQ(now.threads, base.threads) << "threads left running";
  EXPECT_EQ(now.netns, base.netns) << "the calling thread changed network namespace";
}

// How many of this process's threads are in network namespace `ns`, and how many of its
// descriptors refer to it (an open /proc/.../ns/net keeps a namespace alive).
std::size_t references_to(const std::string& ns) {
  std::size_t n = 0;
  for (const auto& t : entries("/proc/self/task"))
    if (link_target("/proc/self/task/" + t + "/ns/net") == ns) ++n;
  for (const auto& f : entries("/proc/self/fd"))
    if (link_target("/proc/self/fd/" + f) == ns) ++n;
  return n;
}

std::string namespace_of(KernelNamespace& ns) {
  return ns.run([] { return link_target("/proc/thread-self/ns/net"); });
}

// Opens sockets of every kind the harness makes, leaves some open and one connection in
// TIME-WAIT. Returns the namespace's identity.
std::string exercise(KernelNamespace& ns, KernelHost& k) {
  const std::string inside = namespace_of(ns);
  EXPECT_TRUE(ns.is_private());
  EXPECT_FALSE(inside.empty());
  EXPECT_NE(inside, link_target("/proc/thread-self/ns/net"));
  auto l = k.socket(Family::inet, false, 0);
  EXPECT_FALSE(l.failed());
  const int lfd = static_cast<int>(l.value);
  EXPECT_FALSE(k.bind(lfd, ep("127.0.0.1:7000")).failed());
  EXPECT_FALSE(k.listen(lfd, 16).failed());
  auto c = k.socket(Family::inet, false, 0);
  const int cfd = static_cast<int>(c.value);
  EXPECT_FALSE(k.bind(cfd, ep("127.0.0.1:7001")).failed());
  EXPECT_FALSE(k.connect(cfd, ep("127.0.0.1:7000")).failed());
  auto a = k.accept(lfd);
  EXPECT_FALSE(a.failed());
  EXPECT_FALSE(k.close(cfd).failed());  // the active closer: TIME-WAIT once the peer closes too
  EXPECT_FALSE(k.close(static_cast<int>(a.value)).failed());
  // Left open on purpose: the listener, a v6 socket bound on ::1, a fresh socket, and a
  // non-blocking connect still in flight to a listener that never accepts.
  auto v6 = k.socket(Family::inet6, false, 0);
  EXPECT_FALSE(k.bind(static_cast<int>(v6.value), ep("[::1]:7002")).failed());
  EXPECT_FALSE(k.socket(Family::inet, true, 0).failed());
  auto nb = k.socket(Family::inet, true, 0);
  const auto r = k.connect(static_cast<int>(nb.value), ep("127.0.0.1:7000"));
  EXPECT_TRUE(!r.failed() || r.sys_errno == EINPROGRESS) << errno_name(r.sys_errno);
  const auto conns = k.connections();
  EXPECT_TRUE(std::any_of(conns.begin(), conns.end(), [](const KernelConnection& x) {
    return x.state == model::TcpState::time_wait && x.local.port == 7001;
  }));
  EXPECT_TRUE(std::any_of(conns.begin(), conns.end(),
                          [](const KernelConnection& x) { return x.state == model::TcpState::listen; }));
  return inside;
}

TEST(Hygiene, NamespaceRun_LeavesNoFdThreadOrNamespace) {
  const Snapshot base = snapshot();
  std::string inside;
  {
    KernelNamespace ns;
    KernelHost k(ns, std::chrono::milliseconds(200));
    inside = exercise(ns, k);
    // The counts can move: the run holds descriptors, a thread and a namespace reference.
    const Snapshot during = snapshot();
    EXPECT_GT(during.fds, base.fds);
    EXPECT_EQ(during.threads, base.threads + 1);
    EXPECT_GE(references_to(inside), 2u);  // the namespace thread and netns_fd()
  }
  expect_back_to(base);
  EXPECT_EQ(references_to(inside), 0u) << inside << " is still referenced by this process";
}

TEST(Hygiene, StepThrows_StillReleasesEverything) {
  const Snapshot base = snapshot();
  std::string inside;
  EXPECT_THROW(
      {
        KernelNamespace ns;
        KernelHost k(ns, std::chrono::milliseconds(200));
        inside = exercise(ns, k);
        // A call that fails in the kernel is an error result, and the run goes on ...
        auto s = k.socket(Family::inet, false, 0);
        EXPECT_EQ(k.bind(static_cast<int>(s.value), ep("10.9.9.9:80")).sys_errno, EADDRNOTAVAIL);
        EXPECT_EQ(k.close(99).sys_errno, EBADF);
        // ... a step that throws on the namespace thread ends it mid-way, with sockets open.
        ns.run([] { throw HarnessError("injected step failure"); });
        ADD_FAILURE() << "the step's exception was not rethrown";
      },
      HarnessError);
  ASSERT_FALSE(inside.empty());
  expect_back_to(base);
  EXPECT_EQ(references_to(inside), 0u) << inside << " is still referenced by this process";
}

TEST(Hygiene, Conform_FailingScript_LeavesNothing) {
  // Two hosts joined by a veth pair, and a deliberately broken profile (listen() never re-checks)
  // so that the kernel disagrees with the model and the run reports differences.
  model::Profile broken = model::linux_profile();
  broken.listen_rechecks = false;
  const char* text =
      "host client 10.0.0.1\nhost server 10.0.0.2\n"
      "server: a = socket(inet, stream)\nserver: setsockopt(a, SO_REUSEADDR, 1)\nserver: bind(a, 10.0.0.2:7000)\n"
      "server: b = socket(inet, stream)\nserver: setsockopt(b, SO_REUSEADDR, 1)\nserver: bind(b, 10.0.0.2:7000)\n"
      "server: listen(a)\nserver: listen(b)\n"
      "client: c = socket(inet, stream)\nclient: connect(c, 10.0.0.2:7000)\n";
  auto parsed = sim::script::parse_script(text, "hygiene.pls");
  ASSERT_TRUE(parsed.script);
  ConformOptions o;
  o.profile = &broken;
  o.block_timeout = std::chrono::milliseconds(300);
  const Snapshot base = snapshot();
  auto run = run_conform(*parsed.script, text, o);
  ASSERT_TRUE(run.report);
  EXPECT_GE(run.report->differences, 1) << format_conform_text(*run.report);
  expect_back_to(base);
}

// ---------------------------------------------------------------------------------------------
// SIGINT during `portlab conform`

#ifdef PORTLAB_CLI
int read_ppid(const std::string& pid) {
  std::ifstream f("/proc/" + pid + "/stat");
  std::string line;
  std::getline(f, line);
  const auto rparen = line.rfind(')');  // the command name may hold spaces and parentheses
  if (rparen == std::string::npos) return -1;
  std::istringstream rest(line.substr(rparen + 1));
  std::string state;
  int ppid = -1;
  rest >> state >> ppid;
  return ppid;
}

std::vector<std::string> children_of(pid_t parent) {
  std::vector<std::string> out;
  for (const auto& e : entries("/proc"))
    if (is_pid(e) && read_ppid(e) == parent) out.push_back(e);
  return out;
}

TEST(Hygiene, SigintDuringConform_ExitsAndLeavesNoChild) {
  char dir_template[] = "/tmp/portlab-hygiene-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const fs::path dir = dir_template;
  const std::string script = (dir / "wait.pls").string();
  {
    std::ofstream f(script);
    f << "a = socket(inet, stream)\nbind(a, 127.0.0.1:7000)\nlisten(a)\nwait 30s\n";
  }
  const pid_t child = ::fork();
  ASSERT_GE(child, 0) << std::strerror(errno);
  if (child == 0) {
    // SIGINT must reach the CLI with its default action even if this test runs with it ignored
    // (a background job of a non-interactive shell) or blocked: both survive exec.
    ::signal(SIGINT, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    const int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::execl(PORTLAB_CLI, PORTLAB_CLI, "conform", script.c_str(), "--allow-slow", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Wait until the CLI is inside the run (its namespace thread exists), at most 5 s; then let it
  // reach the `wait` step.
  const auto task_dir = "/proc/" + std::to_string(child) + "/task";
  std::string child_ns;
  for (int i = 0; i < 500 && child_ns.empty(); ++i) {
    for (const auto& t : entries(task_dir)) {
      const std::string n = link_target(task_dir + "/" + t + "/ns/net");
      if (!n.empty() && n != link_target("/proc/self/ns/net")) child_ns = n;
    }
    if (child_ns.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(child_ns.empty()) << "portlab conform never entered a private namespace";
  ASSERT_EQ(::kill(child, SIGINT), 0);
  int status = 0;
  pid_t done = 0;
  for (int i = 0; i < 500 && done == 0; ++i) {
    done = ::waitpid(child, &status, WNOHANG);
    if (done == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (done == 0) {
    ::kill(child, SIGKILL);
    ::waitpid(child, &status, 0);
    fs::remove_all(dir);
    FAIL() << "portlab conform did not exit within 5 s of SIGINT";
  }
  ASSERT_EQ(done, child);
  const bool by_sigint = WIFSIGNALED(status) && WTERMSIG(status) == SIGINT;
  const bool exit_130 = WIFEXITED(status) && WEXITSTATUS(status) == 130;
  EXPECT_TRUE(by_sigint || exit_130) << "status " << status;
  EXPECT_TRUE(children_of(child).empty()) << "a process still has the CLI as its parent";
  // The CLI's namespace is gone with it: no thread of any process is in it any more.
  if (!child_ns.empty()) {
    for (const auto& p : entries("/proc")) {
      if (!is_pid(p)) continue;
      for (const auto& t : entries("/proc/" + p + "/task"))
        EXPECT_NE(link_target("/proc/" + p + "/task/" + t + "/ns/net"), child_ns) << "pid " << p << " tid " << t;
    }
  }
  fs::remove_all(dir);
}
#endif

// ---------------------------------------------------------------------------------------------
// The address guard

TEST(Hygiene, AddressGuard_RefusesNonLoopbackOutsidePrivateNamespace) {
  for (const char* a : {"10.0.0.1", "8.8.8.8", "0.0.0.0", "128.0.0.1", "::", "2001:db8::1", "::ffff:10.0.0.1",
                        "fe80::1", "224.0.0.1"}) {
    auto why = refuse_unsafe_address(ip(a), false);
    ASSERT_TRUE(why.has_value()) << a;
    EXPECT_NE(why->find(ip(a).to_string()), std::string::npos) << *why;
  }
}

TEST(Hygiene, AddressGuard_AllowsLoopbackAnywhere) {
  for (const char* a : {"127.0.0.1", "127.1.2.3", "127.255.255.254", "::1", "::ffff:127.0.0.1"}) {
    EXPECT_EQ(refuse_unsafe_address(ip(a), false), std::nullopt) << a;
    EXPECT_EQ(refuse_unsafe_address(ip(a), true), std::nullopt) << a;
  }
}

TEST(Hygiene, AddressGuard_AllowsAnyAddressInsidePrivateNamespace) {
  for (const char* a : {"10.0.0.1", "0.0.0.0", "::", "2001:db8::1", "::ffff:10.0.0.1"})
    EXPECT_EQ(refuse_unsafe_address(ip(a), true), std::nullopt) << a;
}

TEST(Hygiene, AddressGuard_RefusesUnknownSocketAddresses) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(refuse_unsafe_sockaddr(reinterpret_cast<sockaddr*>(&sin), sizeof sin, false), std::nullopt);
  // Too short to hold the address: not understood, so refused even inside.
  EXPECT_TRUE(refuse_unsafe_sockaddr(reinterpret_cast<sockaddr*>(&sin), 4, true));
  sockaddr un{};
  un.sa_family = AF_UNSPEC;
  EXPECT_TRUE(refuse_unsafe_sockaddr(&un, sizeof un, true));
}

sockaddr_in v4(const char* a, std::uint16_t port) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  ::inet_pton(AF_INET, a, &sin.sin_addr);
  return sin;
}

Endpoint local_of(int fd) {
  sockaddr_in sin{};
  socklen_t len = sizeof sin;
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len), 0);
  return {IpAddress::v4(ntohl(sin.sin_addr.s_addr)), ntohs(sin.sin_port)};
}

// The syscall path: in this test's own (non-private) namespace, a refused bind() throws and the
// kernel never sees it. bind(0.0.0.0:0) would succeed and give the socket a port, so a socket
// still without a port proves the call was not made.
TEST(Hygiene, AddressGuard_GuardedBindRefusesWithoutSyscall) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  const sockaddr_in any = v4("0.0.0.0", 0);
  try {
    guarded_bind(fd, reinterpret_cast<const sockaddr*>(&any), sizeof any, false);
    ADD_FAILURE() << "bind(0.0.0.0:0) outside a private namespace was not refused";
  } catch (const HarnessError& e) {
    EXPECT_NE(std::string(e.what()).find("bind() refused"), std::string::npos) << e.what();
  }
  EXPECT_EQ(local_of(fd).port, 0) << "the kernel bound the socket";
  // Loopback goes through, and really binds.
  const sockaddr_in lo = v4("127.0.0.1", 0);
  EXPECT_EQ(guarded_bind(fd, reinterpret_cast<const sockaddr*>(&lo), sizeof lo, false), 0) << std::strerror(errno);
  EXPECT_NE(local_of(fd).port, 0);
  ::close(fd);
}

// connect(): run in a private namespace (so that nothing could leave the machine even if the
// guard were broken) but with the context flagged non-private. 10.1.1.1:9 listens there, so a
// connect() that reached the kernel would give the socket a local port; it keeps port 0.
TEST(Hygiene, AddressGuard_GuardedConnectRefusesWithoutSyscall) {
  KernelNamespace ns;
  ns.add_address("lo", ip("10.1.1.1"), 32);
  ns.run([] {
    const sockaddr_in dst = v4("10.1.1.1", 9);
    const int l = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(l, 0);
    EXPECT_EQ(guarded_bind(l, reinterpret_cast<const sockaddr*>(&dst), sizeof dst, true), 0) << std::strerror(errno);
    EXPECT_EQ(::listen(l, 4), 0);
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    EXPECT_GE(fd, 0);
    EXPECT_THROW(guarded_connect(fd, reinterpret_cast<const sockaddr*>(&dst), sizeof dst, false), HarnessError);
    EXPECT_EQ(local_of(fd).port, 0) << "the kernel ran the connect";
    // Flagged private (as it is), the same call reaches the kernel.
    const int rc = guarded_connect(fd, reinterpret_cast<const sockaddr*>(&dst), sizeof dst, true);
    EXPECT_TRUE(rc == 0 || errno == EINPROGRESS) << std::strerror(errno);
    EXPECT_NE(local_of(fd).port, 0);
    ::close(fd);
    ::close(l);
  });
}

// KernelHost's own bind/connect: its namespace is private, so a non-loopback address is the
// kernel's business (EADDRNOTAVAIL for an address the namespace does not have), not the guard's.
TEST(Hygiene, AddressGuard_KernelHostPassesNonLoopbackInsideItsNamespace) {
  KernelNamespace ns;
  ASSERT_TRUE(ns.is_private());
  KernelHost k(ns, std::chrono::milliseconds(200));
  auto s = k.socket(Family::inet, true, 0);
  EXPECT_EQ(k.bind(static_cast<int>(s.value), ep("10.2.2.2:80")).sys_errno, EADDRNOTAVAIL);
  EXPECT_EQ(k.bind(static_cast<int>(s.value), ep("0.0.0.0:80")).sys_errno, 0);
}

}  // namespace
}  // namespace portlab::props
