#include "model/tcp_fsm.h"

namespace portlab::model {

std::string_view name(TcpEvent e) {
  switch (e) {
    case TcpEvent::active_open: return "active-open";
    case TcpEvent::passive_open: return "passive-open";
    case TcpEvent::close: return "close";
    case TcpEvent::abort: return "abort";
    case TcpEvent::rcv_syn: return "rcv-syn";
    case TcpEvent::rcv_syn_ack: return "rcv-syn-ack";
    case TcpEvent::rcv_ack_of_syn: return "rcv-ack-of-syn";
    case TcpEvent::rcv_ack_of_fin: return "rcv-ack-of-fin";
    case TcpEvent::rcv_fin: return "rcv-fin";
    case TcpEvent::rcv_rst: return "rcv-rst";
    case TcpEvent::rcv_bad_ack: return "rcv-bad-ack";
    case TcpEvent::timeout_time_wait: return "timeout-time-wait";
    case TcpEvent::timeout_fin_wait_2: return "timeout-fin-wait-2";
    case TcpEvent::timeout_retransmit: return "timeout-retransmit";
  }
  return "?";
}

namespace {

using S = TcpState;
using E = TcpEvent;

TcpTransition stay(S s, std::string_view why) { return {s, {}, why}; }

TcpTransition on_open(S s, E e) {
  if (s != S::closed) return {s, {.error_closing = true}, "RFC 9293 3.10.1: OPEN in a non-CLOSED state is an error"};
  if (e == E::active_open) return {S::syn_sent, {.send_syn = true}, "RFC 9293 3.10.1: active OPEN sends SYN"};
  return {S::listen, {}, "RFC 9293 3.10.1: passive OPEN enters LISTEN"};
}

TcpTransition on_close(S s) {
  switch (s) {
    case S::closed:
      return {s, {.error_no_connection = true}, "RFC 9293 3.10.4: CLOSE in CLOSED: connection does not exist"};
    case S::listen:
    case S::syn_sent:
      return {S::closed, {.delete_tcb = true}, "RFC 9293 3.10.4: CLOSE in LISTEN/SYN-SENT deletes the TCB"};
    case S::syn_received:
    case S::established:
      return {S::fin_wait_1, {.send_fin = true}, "RFC 9293 3.10.4: CLOSE sends FIN, enters FIN-WAIT-1"};
    case S::close_wait:
      return {S::last_ack, {.send_fin = true}, "RFC 9293 3.10.4: CLOSE in CLOSE-WAIT sends FIN, enters LAST-ACK"};
    case S::fin_wait_1:
    case S::fin_wait_2:
    case S::closing:
    case S::last_ack:
    case S::time_wait:
      return {s, {.error_closing = true}, "RFC 9293 3.10.4: CLOSE after FIN: connection closing"};
  }
  return stay(s, "unreachable");
}

TcpTransition on_abort(S s) {
  switch (s) {
    case S::closed:
      return {s, {.error_no_connection = true}, "RFC 9293 3.10.5: ABORT in CLOSED: connection does not exist"};
    case S::listen:
    case S::syn_sent:
    case S::closing:
    case S::last_ack:
    case S::time_wait:
      return {S::closed, {.delete_tcb = true}, "RFC 9293 3.10.5: ABORT deletes the TCB without RST in this state"};
    case S::syn_received:
    case S::established:
    case S::fin_wait_1:
    case S::fin_wait_2:
    case S::close_wait:
      return {S::closed, {.send_rst = true, .delete_tcb = true}, "RFC 9293 3.10.5: ABORT sends RST"};
  }
  return stay(s, "unreachable");
}

TcpTransition on_syn(S s) {
  switch (s) {
    case S::listen:
      return {S::syn_received, {.send_syn_ack = true}, "RFC 9293 3.10.7.2: SYN in LISTEN: send SYN,ACK"};
    case S::syn_sent:
      return {S::syn_received, {.send_syn_ack = true}, "RFC 9293 3.10.7.3: simultaneous open: SYN in SYN-SENT"};
    case S::closed:
      return {s, {.send_rst = true}, "RFC 9293 3.10.7.1: segment to CLOSED is answered with RST"};
    case S::time_wait:
      // The host only passes an acceptable SYN here (RFC 6191 / Linux tcp_timewait_state_process);
      // the new incarnation is handed to a listener.
      return {S::closed, {.delete_tcb = true}, "RFC 9293 3.10.7.4 + RFC 6191: acceptable SYN in TIME-WAIT starts a new incarnation"};
    default:
      return {s, {.send_ack = true}, "RFC 5961 4.2: SYN in a synchronized state: challenge ACK"};
  }
}

TcpTransition on_fin(S s) {
  switch (s) {
    case S::syn_received:
    case S::established:
      return {S::close_wait, {.send_ack = true}, "RFC 9293 3.10.7.4: FIN in ESTABLISHED: enter CLOSE-WAIT"};
    case S::fin_wait_1:
      return {S::closing, {.send_ack = true}, "RFC 9293 3.10.7.4: FIN in FIN-WAIT-1 (ours unacked): simultaneous close, enter CLOSING"};
    case S::fin_wait_2:
      return {S::time_wait, {.send_ack = true, .start_time_wait = true},
              "RFC 9293 3.10.7.4: FIN in FIN-WAIT-2: enter TIME-WAIT"};
    case S::time_wait:
      return {S::time_wait, {.send_ack = true, .start_time_wait = true},
              "RFC 9293 3.10.7.4: retransmitted FIN in TIME-WAIT: ACK and restart the 2MSL timer"};
    case S::close_wait:
    case S::closing:
    case S::last_ack:
      return stay(s, "RFC 9293 3.10.7.4: duplicate FIN: remain");
    case S::closed:
    case S::listen:
    case S::syn_sent:
      return stay(s, "RFC 9293 3.10.7.4: FIN in CLOSED/LISTEN/SYN-SENT is dropped");
  }
  return stay(s, "unreachable");
}

TcpTransition on_rst(S s) {
  switch (s) {
    case S::closed:
    case S::listen:
      return stay(s, "RFC 9293 3.10.7: RST in CLOSED/LISTEN is ignored");
    case S::syn_sent:
      return {S::closed, {.report_refused = true, .delete_tcb = true},
              "RFC 9293 3.10.7.3: acceptable RST in SYN-SENT: connection refused"};
    case S::syn_received:
      return {S::closed, {.report_refused = true, .delete_tcb = true},
              "RFC 9293 3.10.7.4: RST in SYN-RECEIVED: back to LISTEN (passive) or refused (active)"};
    case S::established:
    case S::fin_wait_1:
    case S::fin_wait_2:
    case S::close_wait:
      return {S::closed, {.report_reset = true, .delete_tcb = true},
              "RFC 9293 3.10.7.4: RST in a synchronized state: connection reset"};
    case S::closing:
    case S::last_ack:
    case S::time_wait:
      return {S::closed, {.delete_tcb = true}, "RFC 9293 3.10.7.4: RST in CLOSING/LAST-ACK/TIME-WAIT: enter CLOSED"};
  }
  return stay(s, "unreachable");
}

}  // namespace

TcpTransition tcp_transition(TcpState s, TcpEvent e) {
  switch (e) {
    case E::active_open:
    case E::passive_open:
      return on_open(s, e);
    case E::close:
      return on_close(s);
    case E::abort:
      return on_abort(s);
    case E::rcv_syn:
      return on_syn(s);
    case E::rcv_syn_ack:
      if (s == S::syn_sent)
        return {S::established, {.send_ack = true}, "RFC 9293 3.10.7.3: SYN,ACK in SYN-SENT: ESTABLISHED, send ACK"};
      if (is_synchronized(s) && s != S::time_wait)
        return {s, {.send_ack = true}, "RFC 9293 3.10.7.4: duplicate SYN,ACK: send ACK"};
      return stay(s, "RFC 9293 3.10.7: SYN,ACK not expected in this state");
    case E::rcv_ack_of_syn:
      if (s == S::syn_received)
        return {S::established, {}, "RFC 9293 3.10.7.4: ACK of SYN in SYN-RECEIVED: enter ESTABLISHED"};
      return stay(s, "RFC 9293 3.10.7.4: ACK of SYN outside SYN-RECEIVED has no state effect");
    case E::rcv_ack_of_fin:
      switch (s) {
        case S::fin_wait_1:
          return {S::fin_wait_2, {}, "RFC 9293 3.10.7.4: our FIN ACKed in FIN-WAIT-1: enter FIN-WAIT-2"};
        case S::closing:
          return {S::time_wait, {.start_time_wait = true},
                  "RFC 9293 3.10.7.4: our FIN ACKed in CLOSING: enter TIME-WAIT"};
        case S::last_ack:
          return {S::closed, {.delete_tcb = true}, "RFC 9293 3.10.7.4: our FIN ACKed in LAST-ACK: enter CLOSED"};
        default:
          return stay(s, "RFC 9293 3.10.7.4: no FIN outstanding");
      }
    case E::rcv_fin:
      return on_fin(s);
    case E::rcv_rst:
      return on_rst(s);
    case E::rcv_bad_ack:
      if (s == S::syn_sent)
        return {s, {.send_rst = true}, "RFC 9293 3.10.7.3: unacceptable ACK in SYN-SENT: send RST <SEQ=SEG.ACK>"};
      if (s == S::listen) return {s, {.send_rst = true}, "RFC 9293 3.10.7.2: ACK in LISTEN: send RST"};
      return stay(s, "RFC 9293 3.10.7.4: unacceptable ACK is dropped (with an ACK)");
    case E::timeout_time_wait:
      if (s == S::time_wait) return {S::closed, {.delete_tcb = true}, "RFC 9293 3.10.8: 2MSL timeout: delete the TCB"};
      return stay(s, "no TIME-WAIT timer in this state");
    case E::timeout_fin_wait_2:
      if (s == S::fin_wait_2)
        return {S::closed, {.delete_tcb = true}, "Linux tcp_fin_timeout: orphaned FIN-WAIT-2 expires (not in RFC 9293)"};
      return stay(s, "no FIN-WAIT-2 timer in this state");
    case E::timeout_retransmit:
      if (s == S::closed || s == S::listen || s == S::time_wait) return stay(s, "nothing to retransmit");
      return {S::closed, {.report_timeout = true, .delete_tcb = true},
              "RFC 9293 3.8.3: retransmissions exhausted (user timeout): delete the TCB"};
  }
  return stay(s, "unreachable");
}

}  // namespace portlab::model
