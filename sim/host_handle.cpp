#include "sim/host_handle.h"

#include <stdexcept>

namespace portlab::sim {

HostHandle::HostHandle(World& world, const std::string& name) : world_(&world), index_(0) {
  auto i = world.find_host(name);
  if (!i) throw std::out_of_range("no host named '" + name + "'");
  index_ = *i;
}

CallOutcome HostHandle::run(
    model::Fd fd, std::int64_t bytes,
    const std::function<model::CallResult(model::Host&, model::TimePoint, std::vector<model::Segment>&)>& f) {
  World& w = *world_;
  return w.run_call(index_, fd, bytes,
                    [&](model::Host& h, std::vector<model::Segment>& out) { return f(h, w.now(), out); });
}

CallOutcome HostHandle::socket(model::Family family, bool nonblock, std::uint32_t uid) {
  return run(-1, 0, [&](model::Host& h, auto, auto&) { return h.socket(family, nonblock, uid); });
}
CallOutcome HostHandle::setsockopt(model::Fd fd, model::SockOpt opt, const model::OptValue& value) {
  return run(fd, 0, [&](model::Host& h, auto, auto&) { return h.setsockopt(fd, opt, value); });
}
CallOutcome HostHandle::getsockopt(model::Fd fd, model::SockOpt opt) {
  return run(fd, 0, [&](model::Host& h, auto, auto&) { return h.getsockopt(fd, opt); });
}
CallOutcome HostHandle::bind(model::Fd fd, const model::Endpoint& ep) {
  return run(fd, 0, [&](model::Host& h, auto, auto&) { return h.bind(fd, ep); });
}
CallOutcome HostHandle::listen(model::Fd fd, int backlog) {
  return run(fd, 0, [&](model::Host& h, auto, auto&) { return h.listen(fd, backlog); });
}
CallOutcome HostHandle::connect(model::Fd fd, const model::Endpoint& dst) {
  return run(fd, 0, [&](model::Host& h, auto now, auto& out) { return h.connect(fd, dst, now, out); });
}
CallOutcome HostHandle::accept(model::Fd fd) {
  return run(fd, 0, [&](model::Host& h, auto, auto&) { return h.accept(fd); });
}
CallOutcome HostHandle::send(model::Fd fd, std::int64_t bytes) {
  return run(fd, bytes, [&](model::Host& h, auto now, auto& out) { return h.send(fd, bytes, now, out); });
}
CallOutcome HostHandle::recv(model::Fd fd, std::int64_t bytes) {
  return run(fd, bytes, [&](model::Host& h, auto now, auto& out) { return h.recv(fd, bytes, now, out); });
}
CallOutcome HostHandle::shutdown(model::Fd fd, bool rd, bool wr) {
  return run(fd, 0, [&](model::Host& h, auto now, auto& out) { return h.shutdown(fd, rd, wr, now, out); });
}
CallOutcome HostHandle::close(model::Fd fd) {
  return run(fd, 0, [&](model::Host& h, auto now, auto& out) { return h.close(fd, now, out); });
}
CallOutcome HostHandle::getsockname(model::Fd fd) {
  return run(fd, 0, [&](model::Host& h, auto, auto&) { return h.getsockname(fd); });
}

std::string HostHandle::sysctl(const std::string& name, const std::string& value) {
  return world_->host(index_).sysctl(name, value);
}

}  // namespace portlab::sim
