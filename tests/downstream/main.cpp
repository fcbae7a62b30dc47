// Downstream consumer of an installed portlab (see tests/downstream/CMakeLists.txt): it builds a
// one-host world through the installed headers and checks a bind conflict end to end.
#include <model/errno.h>
#include <model/linux_profile.h>
#include <sim/host_handle.h>
#include <sim/world.h>

#include <iostream>

int main() {
  namespace pm = portlab::model;
  portlab::sim::World world(1, {{"local", {}, {}, &pm::linux_profile()}});
  portlab::sim::HostHandle host(world, 0);
  const auto ep = *pm::Endpoint::parse("127.0.0.1:7000");
  const auto a = static_cast<pm::Fd>(host.socket(pm::Family::inet).result.value);
  const auto b = static_cast<pm::Fd>(host.socket(pm::Family::inet).result.value);
  host.bind(a, ep);
  const auto second = host.bind(b, ep).result;
  std::cout << pm::name(second.err) << ' ' << second.rule->id << '\n';
  return second.err == pm::Errno::eaddrinuse ? 0 : 1;
}
