// The scenario script, parsed. One script language serves every engine (check, simulate,
// explore, conform); this is its syntax tree. Every node keeps its source location so that
// every error, at parse time or at run time, names file:line:column.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "model/address.h"
#include "model/errno.h"
#include "model/socket_option.h"
#include "model/tcp_state.h"
#include "model/time.h"

namespace portlab::sim::script {

struct SourceLoc {
  int line = 0;    // 1-based
  int column = 0;  // 1-based, in bytes
};

// A reference to a variable bound by an earlier step (`c = socket(...)`, `P = port(c)`).
struct VarRef {
  std::string name;
  SourceLoc loc;
};

// A port: a literal or an integer variable (`10.0.0.1:P`).
using PortExpr = std::variant<std::uint16_t, VarRef>;

struct EndpointExpr {
  model::IpAddress addr;
  PortExpr port;
  SourceLoc loc;
};

// An integer: a literal or an integer variable.
using IntExpr = std::variant<std::int64_t, VarRef>;

enum class CallKind : std::uint8_t {
  socket,       // socket(inet|inet6, stream[, nonblock][, uid=N])
  setsockopt,   // setsockopt(s, OPT, VALUE)
  getsockopt,   // getsockopt(s, OPT)
  bind,         // bind(s, ENDPOINT)
  listen,       // listen(s[, BACKLOG])
  connect,      // connect(s, ENDPOINT)
  accept,       // accept(s)
  send,         // send(s, N)
  recv,         // recv(s, N)
  shutdown,     // shutdown(s, SHUT_RD|SHUT_WR|SHUT_RDWR)
  close,        // close(s)
  getsockname,  // getsockname(s)
  port,         // port(s): the local port, as an integer value
};

enum class ShutdownHow : std::uint8_t { rd, wr, rdwr };

struct SocketArgs {
  model::Family family = model::Family::inet;
  bool nonblock = false;
  std::optional<std::uint32_t> uid;  // owner uid; default: the host's default uid (0)
};

struct Call {
  CallKind kind{};
  std::optional<VarRef> sock;                // every call but socket()
  SocketArgs socket_args;                    // socket()
  std::optional<model::SockOpt> opt;         // setsockopt / getsockopt
  std::optional<model::OptValue> opt_value;  // setsockopt (integers are literal here)
  std::optional<EndpointExpr> endpoint;      // bind / connect
  std::optional<IntExpr> count;              // listen backlog, send/recv byte count
  std::optional<ShutdownHow> how;            // shutdown
  SourceLoc loc;                             // of the call name
};

// One alternative of an expected result. `= 0`, `= -1 EADDRINUSE`, `= 5`, `= 10.0.0.1:P`, `= {1, 0}`.
struct ExpectedValue {
  // Exactly one of these is set.
  std::optional<model::Errno> error;  // `-1 ERRNO`
  std::optional<IntExpr> integer;     // a return value, or an integer option value
  std::optional<EndpointExpr> endpoint;
  std::optional<model::OptValue> opt_value;  // for getsockopt of a linger/device/range option
  // `-1` alone: a failure with any errno. Only in a `!=` group and in a call property
  // (`never connect(c) = -1`); an `=` group names the errno.
  bool any_error = false;
  SourceLoc loc;
};

// An OS name as written (`os linux,freebsd`, `host h ADDR os=windows`, `= 0 @freebsd,macos`).
// The parser does not know the profiles: the check engine resolves the name and reports an
// unknown one at `loc`.
struct OsRef {
  std::string name;
  SourceLoc loc;
};

// Does a `@OS,...` list apply to the OS being run? An empty list applies to every OS.
bool applies_to(const std::vector<OsRef>& os, std::string_view run_os);

// `= A | B | ... [@OS,...]`: the step holds if the actual result matches any alternative.
// `!= A | B | ... [@OS,...]`: the step holds if it matches none (what a replay script of a
// `never CALL(VAR) = RESULT` counterexample ends with).
struct Expectation {
  std::vector<ExpectedValue> alternatives;
  bool negated = false;   // `!=`
  SourceLoc loc;          // of the '=' (or of the '!' of '!=')
  std::vector<OsRef> os;  // `@OS,...`: the OSes this group is for; empty = the default group
};

// [HOST:] [VAR =] CALL [= EXPECTATION [@OS,...]]...
struct CallStep {
  std::optional<std::string> host;  // explicit `host:` prefix
  std::optional<std::string> bind_var;  // `c = socket(...)`, `a = accept(l)`, `P = port(c)`
  Call call;
  // Expected results, one group per `=`, in source order. At most one group has no `@` list
  // (the default, for every OS no group names), and no OS is named by two groups.
  std::vector<Expectation> expects;
};

// The expectation of `cs` for a run under `run_os`: the group naming it, else the default
// group, else nullptr (the step is not checked on that OS).
const Expectation* expectation_for(const CallStep& cs, std::string_view run_os);

// host NAME ADDR[/PREFIX]... [dev NAME...] [os=NAME]
struct HostDecl {
  std::string name;
  std::vector<model::IpAddress> addresses;
  std::vector<int> prefix_lengths;  // parallel to addresses; default 32 / 128
  std::vector<std::string> devices;
  std::optional<OsRef> os;  // this host keeps this profile whatever OS the script runs under
};

// sysctl [HOST] NAME=VALUE [@OS,...]. VALUE is kept as text; the profile's knob table parses it,
// so that an unknown knob or a bad value is reported against this location.
struct SysctlStep {
  std::optional<std::string> host;
  std::string name;
  std::string value;
  SourceLoc value_loc;
  std::vector<OsRef> os;  // `@OS,...`: applied only when running under one of these; empty = always
};

struct WaitStep {
  model::Duration duration{};
};

// deliver SRC -> DST: under `network interleave`, the segment at the head of the flow SRC -> DST
// (one direction of one 4-tuple) arrives now. What `portlab explore --network interleave` writes
// into a replay script for each delivery it chose.
// drop SRC -> DST: the head of the flow, which must be a SYN, is lost (assumption
// sim.loss-syn-only: the model retransmits only SYNs); written for `explore --drops N`.
struct DeliverStep {
  EndpointExpr src;
  EndpointExpr dst;
  bool drop = false;
};

enum class CompareOp : std::uint8_t { eq, ne, lt, le, gt, ge };

// expect [HOST:] state LOCAL -> REMOTE == STATE|none
struct ExpectTupleState {
  EndpointExpr local;
  EndpointExpr remote;
  CompareOp op = CompareOp::eq;  // eq or ne
  std::optional<model::TcpState> state;  // nullopt = "none": no such connection on the host
};

// expect [HOST:] state SOCK == STATE
struct ExpectSocketState {
  VarRef sock;
  CompareOp op = CompareOp::eq;
  model::TcpState state{};
};

// expect [HOST:] count STATE [port PORT | LOCAL -> REMOTE] OP N
// Counts the host's connections (including TIME-WAIT entries) in STATE, optionally with that local
// port or on that 4-tuple.
struct ExpectCount {
  model::TcpState state{};
  std::optional<PortExpr> port;
  // `count STATE LOCAL -> REMOTE OP N`: only the connections on this 4-tuple, e.g.
  // `never client: count ESTABLISHED 10.0.0.1:5000 -> 10.0.0.2:80 >= 2`. Both set, or neither.
  std::optional<EndpointExpr> local;
  std::optional<EndpointExpr> remote;
  CompareOp op = CompareOp::eq;
  std::int64_t value = 0;
};

// expect INT in LOW..HIGH   (e.g. `expect P in 32768..60999`)
struct ExpectInRange {
  IntExpr value;
  std::int64_t low = 0;
  std::int64_t high = 0;
};

// expect INT OP INT   (e.g. `expect P == Q`, `expect P != 5000`)
struct ExpectCompare {
  IntExpr lhs;
  CompareOp op = CompareOp::eq;
  IntExpr rhs;
};

// expect ... [@OS,...]
struct ExpectStep {
  std::optional<std::string> host;
  std::variant<ExpectTupleState, ExpectSocketState, ExpectCount, ExpectInRange, ExpectCompare> what;
  std::vector<OsRef> os;  // `@OS,...`: checked only when running under one of these; empty = always
};

struct Step {
  std::variant<CallStep, SysctlStep, WaitStep, ExpectStep, DeliverStep> body;
  SourceLoc loc;      // start of the line's first token
  std::string text;   // the source line, trimmed, without comment
};

// ---------------------------------------------------------------------------------------------
// Simulation: the network, middleboxes and reconnect workloads (`portlab simulate`).

// network [latency D] [jitter D] [syn-loss P%] [duplicate P%] [reorder P%] [reorder-delay D]
struct NetworkDecl {
  model::Duration latency{};
  model::Duration jitter{};
  double syn_loss = 0;
  double duplicate = 0;
  double reorder = 0;
  model::Duration reorder_delay{};
  // `network interleave`: segments are held per flow (FIFO) until a `deliver` step (check) or the
  // explorer (a choice point) delivers them. Excludes every other setting.
  bool interleave = false;
  SourceLoc loc;
};

// middlebox drop|reset|delay D [to ADDR[:PORT]] [all] [prob P%] [from D] [until D]
struct MiddleboxDecl {
  enum class Action : std::uint8_t { drop, reset, delay };
  Action action = Action::drop;
  model::Duration delay{};
  std::optional<model::IpAddress> addr;
  std::optional<std::uint16_t> port;
  bool syn_only = true;  // `all`: every segment, not only SYNs
  double probability = 1.0;
  model::Duration from{};
  std::optional<model::Duration> until;
  SourceLoc loc;
};

// How a workload's client picks its local port.
enum class SourcePort : std::uint8_t {
  ephemeral,     // connect() on an unbound socket
  fixed,         // bind(addr, PORT + client index) before connect()
  bind0,         // bind(addr, 0) before connect(): the port is reserved at bind time
  bind_no_port,  // IP_BIND_ADDRESS_NO_PORT + bind(addr, 0): the port is chosen at connect()
  range,         // IP_LOCAL_PORT_RANGE {LO, HI} on an unbound socket (Linux >= 6.3)
};

// Who closes, and how.
enum class CloseStyle : std::uint8_t {
  client_first,      // client close(); server closes on EOF: TIME-WAIT on the client
  server_first,      // server close() after replying; client closes on EOF: TIME-WAIT on the server
  linger0,           // client SO_LINGER {1, 0} then close(): RST, no TIME-WAIT
  shutdown_linger0,  // client shutdown(SHUT_WR), then at once SO_LINGER {1, 0} + close() (explore finds the race)
};

enum class RetryPolicy : std::uint8_t { none, fixed, backoff };

// workload NAME { ... }: a reconnect loop, one connection per cycle, 1 byte each way.
struct WorkloadServer {
  std::string host;
  model::Endpoint endpoint;  // where the listener binds and where clients connect
  int backlog = 4096;
  SourceLoc loc;
};

// expect METRIC [CALL [ERRNO]] OP VALUE [@OS,...] inside a workload.
struct WorkloadExpect {
  std::string metric;  // attempts, successes, failures, rate, time_wait_peak, fin_wait2_peak,
                       // first_failure, stalls, latency_p50, latency_p99, blocked_for
  std::optional<CallKind> call;     // failures CALL [ERRNO]
  std::optional<model::Errno> err;
  CompareOp op = CompareOp::eq;
  double value = 0;              // counts and rates
  bool is_duration = false;      // value is nanoseconds
  std::vector<OsRef> os;
  SourceLoc loc;
  std::string text;
};

struct Workload {
  std::string name;
  SourceLoc loc;
  std::string client_host;  // default: the first host
  std::vector<WorkloadServer> servers;  // destinations; at least one
  SourcePort source = SourcePort::ephemeral;
  std::uint16_t fixed_port = 0;
  model::PortRange range;
  std::vector<model::IpAddress> source_addresses;  // default: the client host's first address
  std::vector<model::SockOpt> options;             // set to 1 on every client socket
  std::vector<model::SockOpt> server_options;      // set to 1 on every listener before bind
  CloseStyle close = CloseStyle::client_first;
  double rate_from = 100;  // connections per second offered (all clients together)
  double rate_to = 100;    // a ramp ends here at the end of the duration
  int clients = 1;
  model::Duration start{};
  model::Duration duration = std::chrono::seconds(10);
  RetryPolicy retry = RetryPolicy::none;
  model::Duration retry_delay = std::chrono::milliseconds(100);
  model::Duration retry_max = std::chrono::seconds(10);
  model::Duration restart_every{};  // server restarts: 0 = none
  model::Duration restart_down{};
  std::vector<WorkloadExpect> expects;
  std::vector<std::string> lines;  // the block as written, for reports
};

// ---- Concurrency and properties (`portlab explore`) ------------------------------------------

// One instruction of a process body. The parser flattens `loop N { ... }` and
// `choose { ... } or { ... }` into this small code, so that an engine needs only a program counter
// and a stack of loop counters to know where a process is.
struct ProcessOp {
  enum class Kind : std::uint8_t {
    step,        // run Process::steps[step]; go on to the next op
    loop_enter,  // `loop N {`: N == 0 jumps to `target` (past the loop); else pushes the counter N
    loop_next,   // `}` of a loop: decrements the top counter; > 0 jumps to `target` (the body), else pops
    choose,      // `choose {`: the process chooses one of `branches` (the first op of each)
    jump,        // end of a choose branch: on to `target` (past the choose)
  };
  Kind kind = Kind::step;
  std::size_t step = 0;
  std::int64_t count = 0;
  std::size_t target = 0;
  std::vector<std::size_t> branches;
  SourceLoc loc;  // of the keyword (`loop`, `choose`, `}`) or of the step
};

// process NAME [on HOST] { ... }: one application thread or process. The steps of different
// processes interleave; within a process they run in order. Variables are shared by all processes.
struct Process {
  std::string name;
  std::optional<std::string> host;  // `on HOST`: steps without a prefix run there
  SourceLoc loc;                    // of the name
  std::vector<Step> steps;          // in source order
  std::vector<ProcessOp> code;
};

// `never [HOST:] CALL(VAR) = RESULT [| RESULT]... [@OS,...]` (and `always ...`): a property of
// every call CALL made on the socket in VAR (on HOST, when given), whatever step makes it. RESULT
// is `-1 ERRNO`, `-1` (any error), or a value as in an expected result. `never` is violated by a
// call whose result matches; `always` by one whose result matches no alternative.
struct CallProperty {
  std::optional<std::string> host;
  CallKind call{};
  VarRef sock;
  Expectation results;  // results.os: the `@OS,...` list
};

// always EXPR / never EXPR: an expectation (the body of an `expect` line) that must hold, or must
// never hold, in every reachable state; or, with `call`, a property of every result of one call.
struct Property {
  bool never = false;
  Step expr;  // an ExpectStep (a WaitStep placeholder for a call property); expr.text is the line
  std::optional<CallProperty> call = std::nullopt;
};

struct Script {
  std::string file;              // as given on the command line
  std::vector<OsRef> os;         // `os NAME[,NAME...]`: the OSes the script is about; empty = linux
  std::vector<HostDecl> hosts;   // empty = one implicit host `local`
  std::optional<NetworkDecl> network;
  std::vector<MiddleboxDecl> middleboxes;
  std::vector<Workload> workloads;  // in source order
  std::vector<Step> steps;       // in source order (outside process blocks)
  // Process blocks, in source order. When there are any, steps[0, steps_before_processes) run
  // before the processes start, and the remaining steps after every process has finished.
  std::vector<Process> processes;
  std::size_t steps_before_processes = 0;
  std::vector<Property> properties;  // always / never, in source order
};

std::string_view name(SourcePort s);
std::string_view name(CloseStyle c);
std::string_view name(RetryPolicy r);

std::string_view name(CallKind k);
std::string_view name(CompareOp op);

}  // namespace portlab::sim::script
