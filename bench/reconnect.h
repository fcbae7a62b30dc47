// Reconnect strategies run two ways: as real loops on this machine's kernel (a private network
// namespace per run, loopback only) and as the same loop on the model (Linux profile, the same
// knobs, the same timeline). Used by reconnect_bench (Google Benchmark) and by the agreement test.
//
// One iteration = one client connection to 127.0.0.1:8080: socket, options, bind (per strategy),
// connect, 1 byte each way, then the strategy's close. A server thread accepts, echoes the byte
// and closes (first or second, per strategy). The client waits for the server to finish each
// connection before the next iteration, so that every iteration starts from a settled state and
// the outcome does not depend on thread scheduling.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace portlab::bench {

enum class PortMode : std::uint8_t {
  ephemeral,     // connect() picks the port
  fixed,         // bind(127.0.0.1:5000) before connect()
  bind0,         // bind(127.0.0.1:0) before connect()
  bind_no_port,  // IP_BIND_ADDRESS_NO_PORT, bind(127.0.0.1:0), connect()
};

enum class CloseMode : std::uint8_t {
  graceful,          // client close() first; server reads EOF, then closes
  linger0,           // client SO_LINGER{1,0}, close(): RST
  shutdown_linger0,  // client SO_LINGER{1,0}, shutdown(SHUT_WR), close() before the server closes
  server_first,      // server closes after its byte; client reads EOF, then closes
};

struct Strategy {
  std::string name;  // "ephemeral_graceful_tw0": the benchmark's name after BM_Real/ or BM_Model/
  std::string description;
  PortMode port = PortMode::ephemeral;
  CloseMode close = CloseMode::graceful;
  bool reuseaddr = false;
  int tw_reuse = 2;    // net.ipv4.tcp_tw_reuse
  int timestamps = 1;  // net.ipv4.tcp_timestamps
};

// The strategies of issue #7, in order.
const std::vector<Strategy>& strategies();

// Knobs every run sets besides the strategy's own.
struct RunConfig {
  std::uint16_t port_low = 40000;   // net.ipv4.ip_local_port_range (narrow: exhaustion shows in a short run)
  std::uint16_t port_high = 40499;
  int tw_reuse_delay_ms = 1;        // net.ipv4.tcp_tw_reuse_delay (Linux >= 6.14; default 1000)
  std::chrono::milliseconds wall_cap{20000};  // iterations past this are skipped (counted)
};

// When an iteration's calls happened, from the first iteration's start. The model replays a real
// run on this timeline: socket() at `start`, connect() at `connect`, the closes at `close`.
struct IterationTimes {
  std::chrono::nanoseconds start{};
  std::chrono::nanoseconds connect{};  // = start when the iteration failed before connect()
  std::chrono::nanoseconds close{};    // = connect when connect() failed
};

struct LoopResult {
  std::int64_t attempts = 0;   // iterations run (not skipped)
  std::int64_t skipped = 0;    // iterations past the wall-time cap
  std::int64_t successes = 0;  // connected and closed without any failure
  std::map<std::string, std::int64_t> failures;  // "connect_EADDRNOTAVAIL", "srv_recv_ECONNRESET"
  std::int64_t time_wait_end = 0;
  std::int64_t stalls = 0;     // connect() slower than 200 ms (real) / waited over 200 ms (model)
  double connect_p50_us = 0;
  double connect_p99_us = 0;
  double elapsed_s = 0;        // real: wall time of the loop; model: virtual time covered
  double cpu_s = 0;            // thread CPU time of the loop (model)
  std::vector<IterationTimes> timeline;  // real: one per iteration run
  std::string harness_error;   // set when the loop could not run as designed
  // "connect:EADDRNOTAVAIL x500, ..." (sorted), or "none".
  std::string failure_pattern() const;
};

// The real loop. Needs root (CLONE_NEWNET). Throws props::HarnessError when it cannot start.
class RealLoop {
 public:
  RealLoop(const Strategy& s, const RunConfig& cfg);
  ~RealLoop();
  RealLoop(const RealLoop&) = delete;
  RealLoop& operator=(const RealLoop&) = delete;
  void iterate();
  // Stops the server, counts TIME-WAIT in the namespace (sock_diag), computes the percentiles.
  LoopResult finish();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// The same loop on the model. `timeline` (a real run's) sets the virtual time of each iteration's
// calls; past its end (or when empty), one iteration every `step`, all calls at its start.
class ModelLoop {
 public:
  ModelLoop(const Strategy& s, const RunConfig& cfg, std::vector<IterationTimes> timeline,
            std::chrono::nanoseconds step = std::chrono::microseconds(40));
  ~ModelLoop();
  ModelLoop(const ModelLoop&) = delete;
  ModelLoop& operator=(const ModelLoop&) = delete;
  void iterate();
  LoopResult finish();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace portlab::bench
