#include "model/tcp_state.h"

#include <array>
#include <utility>

namespace portlab::model {

std::string_view name(TcpState s) {
  switch (s) {
    case TcpState::closed: return "CLOSED";
    case TcpState::listen: return "LISTEN";
    case TcpState::syn_sent: return "SYN-SENT";
    case TcpState::syn_received: return "SYN-RECEIVED";
    case TcpState::established: return "ESTABLISHED";
    case TcpState::fin_wait_1: return "FIN-WAIT-1";
    case TcpState::fin_wait_2: return "FIN-WAIT-2";
    case TcpState::close_wait: return "CLOSE-WAIT";
    case TcpState::closing: return "CLOSING";
    case TcpState::last_ack: return "LAST-ACK";
    case TcpState::time_wait: return "TIME-WAIT";
  }
  return "?";
}

std::optional<TcpState> tcp_state_from_name(std::string_view s) {
  static constexpr std::array<std::pair<std::string_view, TcpState>, 11> kAliases{{
      {"CLOSE", TcpState::closed},
      {"SYN_SENT", TcpState::syn_sent},
      {"SYN_RECV", TcpState::syn_received},
      {"SYN_RECEIVED", TcpState::syn_received},
      {"FIN_WAIT1", TcpState::fin_wait_1},
      {"FIN_WAIT_1", TcpState::fin_wait_1},
      {"FIN_WAIT2", TcpState::fin_wait_2},
      {"FIN_WAIT_2", TcpState::fin_wait_2},
      {"CLOSE_WAIT", TcpState::close_wait},
      {"LAST_ACK", TcpState::last_ack},
      {"TIME_WAIT", TcpState::time_wait},
  }};
  for (int i = 0; i <= static_cast<int>(TcpState::time_wait); ++i) {
    auto st = static_cast<TcpState>(i);
    if (name(st) == s) return st;
  }
  for (const auto& [n, st] : kAliases)
    if (n == s) return st;
  return std::nullopt;
}

bool is_synchronized(TcpState s) {
  return s != TcpState::closed && s != TcpState::listen && s != TcpState::syn_sent && s != TcpState::syn_received;
}

}  // namespace portlab::model
