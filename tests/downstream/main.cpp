// Downstream consumer of an installed portlab (see tests/downstream/CMakeLists.txt).
#include <model/address.h>
#include <model/errno.h>

#include <iostream>

int main() {
  const auto loopback = portlab::model::IpAddress::loopback(portlab::model::Family::inet);
  std::cout << portlab::model::name(portlab::model::Errno::eaddrinuse) << '\n';
  return loopback.is_loopback() ? 0 : 1;
}
