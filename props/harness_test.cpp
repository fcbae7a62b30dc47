// The real-kernel harness itself: namespaces, sysctls, sockets and sock_diag observation.
#include <gtest/gtest.h>

#include <algorithm>

#include "model/linux_profile.h"
#include "props/conform.h"
#include "props/kernel_host.h"
#include "props/kernel_namespace.h"
#include "sim/script/parser.h"

namespace portlab::props {
namespace {

using model::Endpoint;
using model::Family;

Endpoint ep(const char* s) { return *Endpoint::parse(s); }

TEST(KernelNamespace, SysctlsArePerNamespace) {
  KernelNamespace a;
  KernelNamespace b;
  a.write_sysctl("net.ipv4.ip_local_port_range", "40000\t40001");
  EXPECT_EQ(a.read_sysctl("net.ipv4.ip_local_port_range"), "40000\t40001");
  EXPECT_NE(b.read_sysctl("net.ipv4.ip_local_port_range"), "40000\t40001");
}

TEST(KernelHost, ObservesListenerConnectionAndTimeWait) {
  KernelNamespace ns;
  KernelHost k(ns, std::chrono::milliseconds(500));
  auto l = k.socket(Family::inet, false, 0);
  ASSERT_FALSE(l.failed());
  EXPECT_EQ(l.value, 3);  // virtual descriptors start at 3, as in the model
  ASSERT_FALSE(k.bind(static_cast<int>(l.value), ep("127.0.0.1:7000")).failed());
  ASSERT_FALSE(k.listen(static_cast<int>(l.value), 16).failed());
  auto c = k.socket(Family::inet, false, 65534);
  ASSERT_FALSE(c.failed());
  ASSERT_FALSE(k.bind(static_cast<int>(c.value), ep("127.0.0.1:7001")).failed());
  ASSERT_FALSE(k.connect(static_cast<int>(c.value), ep("127.0.0.1:7000")).failed());
  auto a = k.accept(static_cast<int>(l.value));
  ASSERT_FALSE(a.failed());
  auto conns = k.connections();
  auto has = [&](model::TcpState st, std::uint16_t lport) {
    return std::any_of(conns.begin(), conns.end(),
                       [&](const KernelConnection& x) { return x.state == st && x.local.port == lport; });
  };
  EXPECT_TRUE(has(model::TcpState::listen, 7000));
  EXPECT_TRUE(has(model::TcpState::established, 7001));
  // The owner uid is the creator's euid, not the caller's at bind/connect time.
  for (const auto& x : conns) {
    if (x.local.port == 7001) {
      EXPECT_EQ(x.uid, 65534u);
    }
  }
  ASSERT_FALSE(k.close(static_cast<int>(c.value)).failed());
  ASSERT_FALSE(k.close(static_cast<int>(a.value)).failed());
  conns = k.connections();
  EXPECT_TRUE(has(model::TcpState::time_wait, 7001));
  // A closed virtual descriptor is EBADF, without touching whatever real descriptor had its number.
  EXPECT_EQ(k.close(static_cast<int>(c.value)).sys_errno, EBADF);
  // Blocking accept with nothing queued: blocked forever after the timeout.
  EXPECT_TRUE(k.accept(static_cast<int>(l.value)).blocked_forever);
}

TEST(Conformer, MultiHostScriptRunsOverVeth) {
  const char* text =
      "host client 10.0.0.1\nhost server 10.0.0.2\n"
      "server: l = socket(inet, stream)\nserver: bind(l, 0.0.0.0:80)\nserver: listen(l)\n"
      "client: c = socket(inet, stream)\nclient: connect(c, 10.0.0.2:80)\nserver: a = accept(l)\n"
      "client: close(c)\nserver: close(a)\n";
  auto parsed = sim::script::parse_script(text, "t.pls");
  ASSERT_TRUE(parsed.script);
  auto run = run_conform(*parsed.script, text, {});
  ASSERT_TRUE(run.report);
  EXPECT_TRUE(run.report->ok()) << format_conform_text(*run.report);
  // The connect went over the veth link, not nowhere: the model agreed on an ESTABLISHED pair.
  EXPECT_EQ(run.report->steps[4].kernel_result, "0");
}

TEST(Conformer, RefusesLongWaitsUnlessAllowed) {
  const char* text = "wait 60s\n";
  auto parsed = sim::script::parse_script(text, "t.pls");
  ASSERT_TRUE(parsed.script);
  auto run = run_conform(*parsed.script, text, {});
  ASSERT_TRUE(run.refused);
  EXPECT_NE(run.refused->find("--allow-slow"), std::string::npos);
}

TEST(Conformer, ReportsADifference) {
  // A deliberately broken profile: listen() never re-checks. The kernel does (semantics.md §2.6).
  model::Profile broken = model::linux_profile();
  broken.listen_rechecks = false;
  const char* text =
      "a = socket(inet, stream)\nsetsockopt(a, SO_REUSEADDR, 1)\nbind(a, 127.0.0.1:7000)\n"
      "b = socket(inet, stream)\nsetsockopt(b, SO_REUSEADDR, 1)\nbind(b, 127.0.0.1:7000)\n"
      "listen(a)\nlisten(b)\n";
  auto parsed = sim::script::parse_script(text, "t.pls");
  ASSERT_TRUE(parsed.script);
  ConformOptions o;
  o.profile = &broken;
  auto run = run_conform(*parsed.script, text, o);
  ASSERT_TRUE(run.report);
  EXPECT_EQ(run.report->differences, 1) << format_conform_text(*run.report);
  EXPECT_EQ(run.report->steps.back().kernel_result, "-1 EADDRINUSE");
}

}  // namespace
}  // namespace portlab::props
