// The RFC 9293 state machine as one pure function: (state, event) -> (next state, actions).
// The host turns calls, segments and timers into events (after checking sequence numbers and
// the OS's policy), applies the transition, and performs the actions. Nothing here knows
// about ports, tables or profiles.
#pragma once

#include <cstdint>
#include <string_view>

#include "model/tcp_state.h"

namespace portlab::model {

enum class TcpEvent : std::uint8_t {
  // Application calls.
  active_open,   // connect()
  passive_open,  // listen()
  close,         // close() or shutdown(SHUT_WR): send FIN when the state allows
  abort,         // abortive close (SO_LINGER {1,0}, unread data, TCP_LINGER2 < 0)
  // Segment arrivals, already checked for acceptability by the host; a segment that carries
  // several of these is applied as a sequence (ACK processing before FIN, RFC 9293 §3.10.7.4).
  rcv_syn,          // SYN without ACK
  rcv_syn_ack,      // SYN+ACK acknowledging our SYN
  rcv_ack_of_syn,   // ACK acknowledging our SYN (in SYN-RECEIVED)
  rcv_ack_of_fin,   // ACK acknowledging our FIN
  rcv_fin,          // FIN
  rcv_rst,          // acceptable RST
  rcv_bad_ack,      // in SYN-SENT: an ACK that does not acknowledge our SYN
  // Timers.
  timeout_time_wait,  // 2MSL expired
  timeout_fin_wait_2,  // orphaned FIN-WAIT-2 expired (Linux tcp_fin_timeout)
  timeout_retransmit,  // retransmissions exhausted
};

std::string_view name(TcpEvent e);

// What the host must do after the transition.
struct TcpActions {
  bool send_syn = false;
  bool send_syn_ack = false;
  bool send_ack = false;
  bool send_fin = false;
  bool send_rst = false;
  bool start_time_wait = false;  // (re)arm the TIME-WAIT timer
  bool report_reset = false;     // the application sees ECONNRESET
  bool report_refused = false;   // the application sees ECONNREFUSED
  bool report_timeout = false;   // the application sees ETIMEDOUT
  bool delete_tcb = false;       // connection is gone (state is CLOSED)
  bool error_closing = false;    // RFC "error: connection closing" (call has no effect)
  bool error_no_connection = false;  // RFC "error: connection does not exist"
};

struct TcpTransition {
  TcpState next;
  TcpActions actions;
  std::string_view reason;  // the RFC 9293 clause that decides it
};

// Total over all (state, event) pairs: an event that the RFC ignores in a state gives
// next == state, no actions, and a reason saying so.
TcpTransition tcp_transition(TcpState state, TcpEvent event);

}  // namespace portlab::model
