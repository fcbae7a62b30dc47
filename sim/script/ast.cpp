#include "sim/script/ast.h"

namespace portlab::sim::script {

std::string_view name(CallKind k) {
  switch (k) {
    case CallKind::socket: return "socket";
    case CallKind::setsockopt: return "setsockopt";
    case CallKind::getsockopt: return "getsockopt";
    case CallKind::bind: return "bind";
    case CallKind::listen: return "listen";
    case CallKind::connect: return "connect";
    case CallKind::accept: return "accept";
    case CallKind::send: return "send";
    case CallKind::recv: return "recv";
    case CallKind::shutdown: return "shutdown";
    case CallKind::close: return "close";
    case CallKind::getsockname: return "getsockname";
    case CallKind::port: return "port";
  }
  return "?";
}

std::string_view name(CompareOp op) {
  switch (op) {
    case CompareOp::eq: return "==";
    case CompareOp::ne: return "!=";
    case CompareOp::lt: return "<";
    case CompareOp::le: return "<=";
    case CompareOp::gt: return ">";
    case CompareOp::ge: return ">=";
  }
  return "?";
}

bool applies_to(const std::vector<OsRef>& os, std::string_view run_os) {
  if (os.empty()) return true;
  for (const auto& o : os)
    if (o.name == run_os) return true;
  return false;
}

const Expectation* expectation_for(const CallStep& cs, std::string_view run_os) {
  const Expectation* fallback = nullptr;
  for (const auto& e : cs.expects) {
    if (e.os.empty()) {
      fallback = &e;
    } else if (applies_to(e.os, run_os)) {
      return &e;
    }
  }
  return fallback;
}

std::string_view name(SourcePort s) {
  switch (s) {
    case SourcePort::ephemeral: return "ephemeral";
    case SourcePort::fixed: return "fixed";
    case SourcePort::bind0: return "bind0";
    case SourcePort::bind_no_port: return "bind-no-port";
    case SourcePort::range: return "range";
  }
  return "?";
}

std::string_view name(CloseStyle c) {
  switch (c) {
    case CloseStyle::client_first: return "client-first";
    case CloseStyle::server_first: return "server-first";
    case CloseStyle::linger0: return "linger0";
    case CloseStyle::shutdown_linger0: return "shutdown-linger0";
  }
  return "?";
}

std::string_view name(RetryPolicy r) {
  switch (r) {
    case RetryPolicy::none: return "none";
    case RetryPolicy::fixed: return "fixed";
    case RetryPolicy::backoff: return "backoff";
  }
  return "?";
}

}  // namespace portlab::sim::script
