// The script's `network` and `middlebox` lines as the World's network settings: one translation
// for every engine that honours them (check, simulate).
#pragma once

#include "sim/script/ast.h"
#include "sim/world.h"

namespace portlab::sim {

inline NetworkConfig network_config(const script::NetworkDecl& n) {
  NetworkConfig c;
  c.latency = n.latency;
  c.jitter = n.jitter;
  c.syn_loss = n.syn_loss;
  c.duplicate = n.duplicate;
  c.reorder = n.reorder;
  c.reorder_delay = n.reorder_delay;
  return c;
}

inline MiddleboxRule middlebox_rule(const script::MiddleboxDecl& m) {
  MiddleboxRule r;
  r.action = m.action == script::MiddleboxDecl::Action::drop    ? MiddleboxRule::Action::drop
             : m.action == script::MiddleboxDecl::Action::reset ? MiddleboxRule::Action::reset
                                                                : MiddleboxRule::Action::delay;
  r.dst_addr = m.addr;
  r.dst_port = m.port;
  r.syn_only = m.syn_only;
  r.probability = m.probability;
  r.delay = m.delay;
  r.from = TimePoint{} + m.from;
  if (m.until) r.until = TimePoint{} + *m.until;
  return r;
}

}  // namespace portlab::sim
