// The seed scenario driven from C++ through portlab's public API: reconnect from a fixed local
// port to the same server right after a graceful close, once with TCP timestamps and once
// without, on the Linux profile. Prints each call's result and the rule that decided it, and
// exits 0 when the outcomes are the ones semantics.md §2.7 gives for Linux.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "model/linux_profile.h"
#include "sim/host_handle.h"
#include "sim/world.h"

namespace pm = portlab::model;
namespace ps = portlab::sim;

namespace {

void show(const char* what, const ps::CallOutcome& o) {
  std::printf("  %-34s -> %-18s %s\n", what,
              o.result.failed() ? ("-1 " + std::string(pm::name(o.result.err))).c_str()
                                : std::to_string(o.result.value).c_str(),
              o.result.rule ? std::string(o.result.rule->id).c_str() : "");
}

// Returns the errno of the second connect().
pm::Errno fixed_port_redial(bool timestamps) {
  const pm::Profile& linux = pm::linux_profile();
  ps::World world(/*seed=*/1, {{"client", {{*pm::IpAddress::parse("10.0.0.1"), 24}}, {}, &linux},
                               {"server", {{*pm::IpAddress::parse("10.0.0.2"), 24}}, {}, &linux}});
  ps::HostHandle client(world, "client");
  ps::HostHandle server(world, "server");
  client.sysctl("net.ipv4.tcp_timestamps", timestamps ? "1" : "0");
  const auto local = *pm::Endpoint::parse("10.0.0.1:5000");
  const auto remote = *pm::Endpoint::parse("10.0.0.2:80");

  const auto l = static_cast<pm::Fd>(server.socket(pm::Family::inet).result.value);
  server.bind(l, *pm::Endpoint::parse("0.0.0.0:80"));
  server.listen(l);

  auto dial = [&](const char* label) {
    const auto c = static_cast<pm::Fd>(client.socket(pm::Family::inet).result.value);
    client.setsockopt(c, pm::SockOpt::so_reuseaddr, std::int64_t{1});
    show((std::string(label) + " bind(10.0.0.1:5000)").c_str(), client.bind(c, local));
    auto r = client.connect(c, remote);
    show((std::string(label) + " connect(10.0.0.2:80)").c_str(), r);
    return std::pair{c, r};
  };

  std::printf("timestamps %s:\n", timestamps ? "on" : "off");
  auto [c1, first] = dial("#1");
  const auto a = static_cast<pm::Fd>(server.accept(l).result.value);
  show("#1 close (client first)", client.close(c1));
  show("   server close", server.close(a));
  world.advance_to(world.now() + std::chrono::seconds(1));
  auto [c2, second] = dial("#2");
  for (const auto& conn : client.connections())
    std::printf("  client sees %s %s\n", conn.key().c_str(), std::string(pm::name(conn.state)).c_str());
  return second.result.err;
}

}  // namespace

int main() {
  const bool with_ts_ok = fixed_port_redial(true) == pm::Errno::ok;
  const bool without_ts_fails = fixed_port_redial(false) == pm::Errno::eaddrnotavail;
  std::printf("%s\n", with_ts_ok && without_ts_fails ? "as semantics.md §2.7 says" : "UNEXPECTED");
  return with_ts_ok && without_ts_fails ? EXIT_SUCCESS : EXIT_FAILURE;
}
