// Specification: the RFC 9293 state machine as a pure function, tcp_transition(state, event).
// One table per state (smoltcp's "tests for the TIME-WAIT state" grouping): each row is an event
// the state can meet, the state the RFC moves to, and the exact set of actions. Then whole paths
// (active/passive open and close, simultaneous open and close) and invariants over every pair.
//
// Rows deliberately absent (reported to the lead): segments other than SYN arriving in CLOSED, a
// SYN,ACK arriving in LISTEN or TIME-WAIT, and an unacceptable ACK in SYN-RECEIVED. RFC 9293
// (3.10.7.1, 3.10.7.2, 3.10.7.4 fifth check) answers those with RST (TIME-WAIT: ACK), the function
// returns "stay, no action"; the host does not route those cases through it (it answers them
// itself, e.g. reply_rst_no_socket, process_time_wait).
#include "model/tcp_fsm.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "model/test_support.h"

namespace portlab::model {
namespace {

using S = TcpState;
using E = TcpEvent;

// The actions as a sorted '|'-joined list, so a mismatch prints readably: "send_ack|start_time_wait".
std::string actions(const TcpActions& a) {
  std::string s;
  auto add = [&](bool on, const char* n) {
    if (!on) return;
    if (!s.empty()) s += '|';
    s += n;
  };
  add(a.delete_tcb, "delete_tcb");
  add(a.error_closing, "error_closing");
  add(a.error_no_connection, "error_no_connection");
  add(a.report_refused, "report_refused");
  add(a.report_reset, "report_reset");
  add(a.report_timeout, "report_timeout");
  add(a.send_ack, "send_ack");
  add(a.send_fin, "send_fin");
  add(a.send_rst, "send_rst");
  add(a.send_syn, "send_syn");
  add(a.send_syn_ack, "send_syn_ack");
  add(a.start_time_wait, "start_time_wait");
  return s;
}

// "An OPEN in a state with a connection is an error": the RFC's "connection already exists".
// The function flags it with one of its error actions and otherwise does nothing.
constexpr const char* kOpenError = "<open error>";

struct Row {
  E event;
  S next;
  const char* acts;  // exact action list, "" for none, or kOpenError
  const char* why;   // the RFC 9293 clause
};

struct StateTable {
  S state;
  std::vector<Row> rows;
};

class TcpFsm : public ::testing::TestWithParam<StateTable> {};

TEST_P(TcpFsm, EveryEventFollowsRfc9293) {
  const StateTable t = GetParam();
  for (const Row& r : t.rows) {
    SCOPED_TRACE(std::string(name(t.state)) + " + " + std::string(name(r.event)) + " (" + r.why + ")");
    const TcpTransition tr = tcp_transition(t.state, r.event);
    EXPECT_EQ(tr.next, r.next);
    if (std::string(r.acts) == kOpenError) {
      EXPECT_TRUE(tr.actions.error_closing || tr.actions.error_no_connection) << actions(tr.actions);
      TcpActions rest = tr.actions;
      rest.error_closing = rest.error_no_connection = false;
      EXPECT_EQ(actions(rest), "");
    } else {
      EXPECT_EQ(actions(tr.actions), r.acts);
    }
    EXPECT_FALSE(tr.reason.empty());
  }
}

// Adds the timer rows: timers that do not run in a state leave it alone; the retransmission
// timer, where data or a SYN/FIN can be outstanding, ends the connection when it gives up.
std::vector<Row> with_idle_timers(S s, std::vector<Row> rows, bool fin_wait_2_timer = false, bool rtx = true) {
  rows.push_back({E::timeout_time_wait, s, "", "no 2MSL timer outside TIME-WAIT"});
  if (!fin_wait_2_timer) rows.push_back({E::timeout_fin_wait_2, s, "", "no FIN-WAIT-2 timer here"});
  if (rtx) rows.push_back({E::timeout_retransmit, S::closed, "delete_tcb|report_timeout", "3.8.3 user timeout"});
  return rows;
}

const std::vector<StateTable>& tables() {
  static const std::vector<StateTable> t{
      {S::closed,
       {
           {E::active_open, S::syn_sent, "send_syn", "3.10.1 OPEN (active): send SYN, enter SYN-SENT"},
           {E::passive_open, S::listen, "", "3.10.1 OPEN (passive): enter LISTEN"},
           {E::close, S::closed, "error_no_connection", "3.10.4 CLOSE: connection does not exist"},
           {E::abort, S::closed, "error_no_connection", "3.10.5 ABORT: connection does not exist"},
           {E::rcv_syn, S::closed, "send_rst", "3.10.7.1 a segment without RST to CLOSED is answered by RST"},
           {E::rcv_rst, S::closed, "", "3.10.7.1 an RST to CLOSED is discarded"},
           {E::timeout_time_wait, S::closed, "", "no timers in CLOSED"},
           {E::timeout_fin_wait_2, S::closed, "", "no timers in CLOSED"},
           {E::timeout_retransmit, S::closed, "", "nothing to retransmit"},
       }},
      {S::listen,
       with_idle_timers(
           S::listen,
           {
               {E::passive_open, S::listen, kOpenError, "3.10.1 OPEN: connection already exists"},
               {E::close, S::closed, "delete_tcb", "3.10.4 CLOSE in LISTEN: delete the TCB"},
               {E::abort, S::closed, "delete_tcb", "3.10.5 ABORT in LISTEN: no RST"},
               {E::rcv_syn, S::syn_received, "send_syn_ack", "3.10.7.2 SYN: send SYN,ACK, enter SYN-RECEIVED"},
               {E::rcv_bad_ack, S::listen, "send_rst", "3.10.7.2 any ACK in LISTEN is bad: RST <SEQ=SEG.ACK>"},
               {E::rcv_rst, S::listen, "", "3.10.7.2 an RST in LISTEN is ignored"},
               {E::rcv_fin, S::listen, "", "3.10.7.2 other segments are dropped"},
           },
           false, /*rtx=*/false)},
      {S::syn_sent,
       with_idle_timers(
           S::syn_sent,
           {
               {E::active_open, S::syn_sent, kOpenError, "3.10.1 OPEN: connection already exists"},
               {E::passive_open, S::syn_sent, kOpenError, "3.10.1 OPEN: connection already exists"},
               {E::close, S::closed, "delete_tcb", "3.10.4 CLOSE in SYN-SENT: delete the TCB"},
               {E::abort, S::closed, "delete_tcb", "3.10.5 ABORT in SYN-SENT: no RST"},
               {E::rcv_syn_ack, S::established, "send_ack", "3.10.7.3 SYN,ACK of our SYN: ESTABLISHED, ACK it"},
               {E::rcv_syn, S::syn_received, "send_syn_ack", "3.10.7.3 SYN alone: simultaneous open"},
               {E::rcv_ack_of_syn, S::syn_sent, "", "3.10.7.3 neither SYN nor RST: drop"},
               {E::rcv_bad_ack, S::syn_sent, "send_rst", "3.10.7.3 unacceptable ACK: RST <SEQ=SEG.ACK>"},
               {E::rcv_rst, S::closed, "delete_tcb|report_refused", "3.10.7.3 acceptable RST: connection reset (refused)"},
               {E::rcv_fin, S::syn_sent, "", "3.10.7.4 eighth: no FIN processing in SYN-SENT"},
           })},
      {S::syn_received,
       with_idle_timers(
           S::syn_received,
           {
               {E::active_open, S::syn_received, kOpenError, "3.10.1 OPEN: connection already exists"},
               {E::close, S::fin_wait_1, "send_fin", "3.10.4 CLOSE in SYN-RECEIVED: send FIN, FIN-WAIT-1"},
               {E::abort, S::closed, "delete_tcb|send_rst", "3.10.5 ABORT: send RST"},
               {E::rcv_ack_of_syn, S::established, "", "3.10.7.4 fifth: ACK of our SYN: ESTABLISHED"},
               {E::rcv_ack_of_fin, S::syn_received, "", "no FIN outstanding"},
               {E::rcv_fin, S::close_wait, "send_ack", "3.10.7.4 eighth: FIN in SYN-RECEIVED: CLOSE-WAIT"},
               // The function cannot tell an active from a passive open: it gives the active-open
               // answer; the host removes a passive child without telling anyone.
               {E::rcv_rst, S::closed, "delete_tcb|report_refused", "3.10.7.4 second: RST in SYN-RECEIVED (active open)"},
           })},
      {S::established,
       with_idle_timers(
           S::established,
           {
               {E::passive_open, S::established, kOpenError, "3.10.1 OPEN: connection already exists"},
               {E::close, S::fin_wait_1, "send_fin", "3.10.4 CLOSE: send FIN, FIN-WAIT-1"},
               {E::abort, S::closed, "delete_tcb|send_rst", "3.10.5 ABORT: send RST"},
               {E::rcv_syn, S::established, "send_ack", "3.10.7.4 fourth / RFC 5961: challenge ACK"},
               {E::rcv_syn_ack, S::established, "send_ack", "3.10.7.4 fourth / RFC 5961: challenge ACK"},
               {E::rcv_ack_of_syn, S::established, "", "nothing to do"},
               {E::rcv_ack_of_fin, S::established, "", "no FIN outstanding"},
               {E::rcv_fin, S::close_wait, "send_ack", "3.10.7.4 eighth: FIN: CLOSE-WAIT"},
               {E::rcv_rst, S::closed, "delete_tcb|report_reset", "3.10.7.4 second: RST: connection reset"},
           })},
      {S::fin_wait_1,
       with_idle_timers(
           S::fin_wait_1,
           {
               {E::close, S::fin_wait_1, "error_closing", "3.10.4 CLOSE after FIN: connection closing"},
               {E::abort, S::closed, "delete_tcb|send_rst", "3.10.5 ABORT: send RST"},
               {E::rcv_syn, S::fin_wait_1, "send_ack", "RFC 5961: challenge ACK"},
               {E::rcv_ack_of_fin, S::fin_wait_2, "", "3.10.7.4 fifth: our FIN ACKed: FIN-WAIT-2"},
               {E::rcv_fin, S::closing, "send_ack", "3.10.7.4 eighth: FIN before our FIN is ACKed: CLOSING"},
               {E::rcv_rst, S::closed, "delete_tcb|report_reset", "3.10.7.4 second: RST: connection reset"},
           })},
      {S::fin_wait_2,
       with_idle_timers(
           S::fin_wait_2,
           {
               {E::close, S::fin_wait_2, "error_closing", "3.10.4 CLOSE after FIN: connection closing"},
               {E::abort, S::closed, "delete_tcb|send_rst", "3.10.5 ABORT: send RST"},
               {E::rcv_syn, S::fin_wait_2, "send_ack", "RFC 5961: challenge ACK"},
               {E::rcv_ack_of_fin, S::fin_wait_2, "", "our FIN is already ACKed"},
               {E::rcv_fin, S::time_wait, "send_ack|start_time_wait", "3.10.7.4 eighth: FIN: TIME-WAIT, start 2MSL"},
               {E::rcv_rst, S::closed, "delete_tcb|report_reset", "3.10.7.4 second: RST: connection reset"},
               {E::timeout_fin_wait_2, S::closed, "delete_tcb", "Linux tcp_fin_timeout: orphan FIN-WAIT-2 expires"},
           },
           /*fin_wait_2_timer=*/true)},
      {S::close_wait,
       with_idle_timers(
           S::close_wait,
           {
               {E::close, S::last_ack, "send_fin", "3.10.4 CLOSE in CLOSE-WAIT: send FIN, LAST-ACK"},
               {E::abort, S::closed, "delete_tcb|send_rst", "3.10.5 ABORT: send RST"},
               {E::rcv_syn, S::close_wait, "send_ack", "RFC 5961: challenge ACK"},
               {E::rcv_fin, S::close_wait, "", "3.10.7.4 eighth: remain in CLOSE-WAIT"},
               {E::rcv_rst, S::closed, "delete_tcb|report_reset", "3.10.7.4 second: RST: connection reset"},
           })},
      {S::closing,
       with_idle_timers(
           S::closing,
           {
               {E::close, S::closing, "error_closing", "3.10.4 CLOSE: connection closing"},
               {E::abort, S::closed, "delete_tcb", "3.10.5 ABORT in CLOSING: delete, no RST"},
               {E::rcv_syn, S::closing, "send_ack", "RFC 5961: challenge ACK"},
               {E::rcv_ack_of_fin, S::time_wait, "start_time_wait", "3.10.7.4 fifth: our FIN ACKed: TIME-WAIT"},
               {E::rcv_fin, S::closing, "", "3.10.7.4 eighth: remain in CLOSING"},
               {E::rcv_rst, S::closed, "delete_tcb", "3.10.7.4 second: RST in CLOSING: CLOSED"},
           })},
      {S::last_ack,
       with_idle_timers(
           S::last_ack,
           {
               {E::close, S::last_ack, "error_closing", "3.10.4 CLOSE: connection closing"},
               {E::abort, S::closed, "delete_tcb", "3.10.5 ABORT in LAST-ACK: delete, no RST"},
               {E::rcv_syn, S::last_ack, "send_ack", "RFC 5961: challenge ACK"},
               {E::rcv_ack_of_fin, S::closed, "delete_tcb", "3.10.7.4 fifth: our FIN ACKed: CLOSED"},
               {E::rcv_fin, S::last_ack, "", "3.10.7.4 eighth: remain in LAST-ACK"},
               {E::rcv_rst, S::closed, "delete_tcb", "3.10.7.4 second: RST in LAST-ACK: CLOSED"},
           })},
      {S::time_wait,
       {
           {E::active_open, S::time_wait, kOpenError, "3.10.1 OPEN: connection already exists"},
           {E::close, S::time_wait, "error_closing", "3.10.4 CLOSE: connection closing"},
           {E::abort, S::closed, "delete_tcb", "3.10.5 ABORT in TIME-WAIT: delete, no RST"},
           {E::rcv_fin, S::time_wait, "send_ack|start_time_wait", "3.10.7.4 eighth: retransmitted FIN: ACK, restart 2MSL"},
           {E::rcv_ack_of_fin, S::time_wait, "", "our FIN is already ACKed"},
           {E::rcv_rst, S::closed, "delete_tcb", "3.10.7.4 second: RST in TIME-WAIT: CLOSED (RFC 1337 is the host's)"},
           {E::rcv_syn, S::closed, "delete_tcb", "3.10.7.4 fourth + RFC 6191: acceptable SYN: new incarnation"},
           {E::timeout_time_wait, S::closed, "delete_tcb", "3.10.8 2MSL timeout: delete the TCB"},
           {E::timeout_fin_wait_2, S::time_wait, "", "no FIN-WAIT-2 timer in TIME-WAIT"},
           {E::timeout_retransmit, S::time_wait, "", "nothing to retransmit"},
       }},
  };
  return t;
}

INSTANTIATE_TEST_SUITE_P(Rfc9293, TcpFsm, ::testing::ValuesIn(tables()),
                         [](const ::testing::TestParamInfo<StateTable>& p) {
                           std::string n(name(p.param.state));
                           for (auto& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

// ---- whole paths --------------------------------------------------------------------------------

S run(S s, std::initializer_list<E> events) {
  for (E e : events) s = tcp_transition(s, e).next;
  return s;
}

TEST(TcpFsmPaths, ActiveOpenThenActiveClose_EndsInTimeWaitThenClosed) {
  EXPECT_EQ(run(S::closed, {E::active_open, E::rcv_syn_ack}), S::established);
  EXPECT_EQ(run(S::established, {E::close, E::rcv_ack_of_fin}), S::fin_wait_2);
  EXPECT_EQ(run(S::fin_wait_2, {E::rcv_fin}), S::time_wait);
  EXPECT_EQ(run(S::time_wait, {E::timeout_time_wait}), S::closed);
}

TEST(TcpFsmPaths, PassiveOpenThenPassiveClose_NoTimeWait) {
  EXPECT_EQ(run(S::closed, {E::passive_open, E::rcv_syn, E::rcv_ack_of_syn}), S::established);
  EXPECT_EQ(run(S::established, {E::rcv_fin, E::close}), S::last_ack);
  EXPECT_EQ(run(S::last_ack, {E::rcv_ack_of_fin}), S::closed);
}

// RFC 9293 figure 7: both sides send SYN; each answers the other's SYN with SYN,ACK.
TEST(TcpFsmPaths, SimultaneousOpen_SynSentToSynReceivedToEstablished) {
  const auto t = tcp_transition(S::syn_sent, E::rcv_syn);
  EXPECT_EQ(t.next, S::syn_received);
  EXPECT_TRUE(t.actions.send_syn_ack);
  EXPECT_EQ(run(S::syn_received, {E::rcv_ack_of_syn}), S::established);
}

// RFC 9293 figure 13: both sides close at once; each FIN arrives in FIN-WAIT-1.
TEST(TcpFsmPaths, SimultaneousClose_FinWait1ToClosingToTimeWait) {
  EXPECT_EQ(run(S::established, {E::close, E::rcv_fin}), S::closing);
  const auto t = tcp_transition(S::closing, E::rcv_ack_of_fin);
  EXPECT_EQ(t.next, S::time_wait);
  EXPECT_TRUE(t.actions.start_time_wait);
}

// A FIN that also ACKs our FIN is applied as ACK first, then FIN (3.10.7.4): FIN-WAIT-1 -> TIME-WAIT.
TEST(TcpFsmPaths, FinAckingOurFinInFinWait1_AckThenFin_TimeWait) {
  EXPECT_EQ(run(S::fin_wait_1, {E::rcv_ack_of_fin, E::rcv_fin}), S::time_wait);
}

// ---- invariants over every (state, event) pair -------------------------------------------------

TEST(TcpFsmInvariants, EveryPair_HasReasonAndConsistentActions) {
  for (int si = 0; si <= static_cast<int>(S::time_wait); ++si) {
    for (int ei = 0; ei <= static_cast<int>(E::timeout_retransmit); ++ei) {
      const S s = static_cast<S>(si);
      const E e = static_cast<E>(ei);
      SCOPED_TRACE(std::string(name(s)) + " + " + std::string(name(e)));
      const auto t = tcp_transition(s, e);
      EXPECT_FALSE(t.reason.empty());
      if (t.actions.delete_tcb) {
        EXPECT_EQ(t.next, S::closed);
      }
      if (t.next == S::closed && s != S::closed) {
        EXPECT_TRUE(t.actions.delete_tcb) << "leaving for CLOSED deletes";
      }
      if (t.actions.start_time_wait) {
        EXPECT_EQ(t.next, S::time_wait);
      }
      if (t.next == S::time_wait && s != S::time_wait) {
        EXPECT_TRUE(t.actions.start_time_wait);
      }
      if (t.actions.report_reset || t.actions.report_refused || t.actions.report_timeout) {
        EXPECT_TRUE(t.actions.delete_tcb) << "an error report ends the connection";
      }
      if (t.actions.send_syn) {
        EXPECT_EQ(t.next, S::syn_sent);
      }
      if (t.actions.send_fin) {
        EXPECT_TRUE(t.next == S::fin_wait_1 || t.next == S::last_ack);
      }
      if (t.actions.error_closing || t.actions.error_no_connection) {
        EXPECT_EQ(t.next, s) << "an error changes nothing";
      }
      // From CLOSED only an OPEN call leads anywhere.
      if (s == S::closed && e != E::active_open && e != E::passive_open) {
        EXPECT_EQ(t.next, S::closed);
      }
    }
  }
}

// RST in each state (3.10.7): ignored where there is nothing to reset, else the connection ends.
TEST(TcpFsmInvariants, RstInEachState) {
  for (int si = 0; si <= static_cast<int>(S::time_wait); ++si) {
    const S s = static_cast<S>(si);
    SCOPED_TRACE(std::string(name(s)));
    const auto t = tcp_transition(s, E::rcv_rst);
    EXPECT_FALSE(t.actions.send_rst || t.actions.send_ack) << "an RST is never answered";
    if (s == S::closed || s == S::listen) {
      EXPECT_EQ(t.next, s);
    } else {
      EXPECT_EQ(t.next, S::closed);
    }
    // The application hears about it only while it could still use the connection.
    const bool reported = t.actions.report_reset || t.actions.report_refused;
    const bool usable = s == S::syn_sent || s == S::syn_received || s == S::established || s == S::fin_wait_1 ||
                        s == S::fin_wait_2 || s == S::close_wait;
    EXPECT_EQ(reported, usable);
  }
}

// ---- names ------------------------------------------------------------------------------------

TEST(TcpStateNames, RfcSpellings_AndLinuxAliasesParse) {
  EXPECT_EQ(name(S::time_wait), "TIME-WAIT");
  EXPECT_EQ(name(S::syn_received), "SYN-RECEIVED");
  EXPECT_EQ(name(S::fin_wait_1), "FIN-WAIT-1");
  for (int si = 0; si <= static_cast<int>(S::time_wait); ++si) {
    const S s = static_cast<S>(si);
    EXPECT_EQ(tcp_state_from_name(name(s)), s);
  }
  EXPECT_EQ(tcp_state_from_name("TIME_WAIT"), S::time_wait);
  EXPECT_EQ(tcp_state_from_name("SYN_RECV"), S::syn_received);
  EXPECT_EQ(tcp_state_from_name("FIN_WAIT2"), S::fin_wait_2);
  EXPECT_EQ(tcp_state_from_name("CLOSE"), S::closed);
  EXPECT_FALSE(tcp_state_from_name("time-wait"));
  EXPECT_FALSE(is_synchronized(S::syn_received));
  EXPECT_TRUE(is_synchronized(S::established));
  EXPECT_TRUE(is_synchronized(S::time_wait));
}

}  // namespace
}  // namespace portlab::model
