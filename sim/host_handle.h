// The C++ face of a host in a World: socket calls with blocking semantics, like a program
// running on that host. This is the public API that `portlab check` itself uses.
//
//   sim::World world(1, {{"client", {{*IpAddress::parse("10.0.0.1"), 24}}, {}, &model::linux_profile()},
//                        {"server", {{*IpAddress::parse("10.0.0.2"), 24}}, {}, &model::linux_profile()}});
//   sim::HostHandle client(world, "client");
//   auto c = client.socket(model::Family::inet);
//   client.setsockopt(c.fd(), model::SockOpt::so_reuseaddr, std::int64_t{1});
//   auto r = client.connect(c.fd(), *model::Endpoint::parse("10.0.0.2:80"));
//   // r.result.err, r.result.rule->id, client.connections() ...
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/host.h"
#include "sim/world.h"

namespace portlab::sim {

class HostHandle {
 public:
  HostHandle(World& world, std::size_t index) : world_(&world), index_(index) {}
  // The host named `name`; throws std::out_of_range if there is none (a programming error).
  HostHandle(World& world, const std::string& name);

  CallOutcome socket(model::Family family, bool nonblock = false, std::uint32_t uid = 0);
  CallOutcome setsockopt(model::Fd fd, model::SockOpt opt, const model::OptValue& value);
  CallOutcome getsockopt(model::Fd fd, model::SockOpt opt);
  CallOutcome bind(model::Fd fd, const model::Endpoint& ep);
  CallOutcome listen(model::Fd fd, int backlog = 128);
  CallOutcome connect(model::Fd fd, const model::Endpoint& dst);
  CallOutcome accept(model::Fd fd);
  CallOutcome send(model::Fd fd, std::int64_t bytes);
  CallOutcome recv(model::Fd fd, std::int64_t bytes);
  CallOutcome shutdown(model::Fd fd, bool rd, bool wr);
  CallOutcome close(model::Fd fd);
  CallOutcome getsockname(model::Fd fd);

  // Sets a sysctl (knob) by name; returns "" or what was wrong with it.
  std::string sysctl(const std::string& name, const std::string& value);

  std::vector<model::ConnectionView> connections() const { return world_->host(index_).connections(); }
  model::Host& host() { return world_->host(index_); }
  std::size_t index() const { return index_; }

 private:
  CallOutcome run(model::Fd fd, std::int64_t bytes,
                  const std::function<model::CallResult(model::Host&, model::TimePoint, std::vector<model::Segment>&)>& f);
  World* world_;
  std::size_t index_;
};

}  // namespace portlab::sim
