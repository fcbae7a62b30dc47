// The eleven TCP states of RFC 9293 §3.3.2, printed with the RFC's spellings.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace portlab::model {

enum class TcpState : std::uint8_t {
  closed,
  listen,
  syn_sent,
  syn_received,
  established,
  fin_wait_1,
  fin_wait_2,
  close_wait,
  closing,
  last_ack,
  time_wait,
};

// "CLOSED", "LISTEN", "SYN-SENT", ..., "TIME-WAIT" (RFC 9293 spelling).
std::string_view name(TcpState s);
// Accepts the RFC spelling and the Linux/ss spelling with underscores ("TIME_WAIT", "FIN_WAIT1", "SYN_RECV").
std::optional<TcpState> tcp_state_from_name(std::string_view s);

// A synchronized state in RFC 9293's sense: ESTABLISHED through TIME-WAIT.
bool is_synchronized(TcpState s);

}  // namespace portlab::model
