// The model-vs-kernel differential property (RapidCheck, rc::state): random sequences of socket
// calls, sysctl changes and short waits, each applied to the model (a profile, by default
// Linux's) and to this machine's kernel in a fresh private network namespace per test case.
// After every command the call's result and errno, and the set of (4-tuple, TCP state) pairs,
// must agree (props::Conformer decides). Commands are portlab script lines, so a failing (shrunk)
// sequence prints as a script that `portlab conform` replays.
//
// The generator stays on one host with loopback addresses only (127.0.0.1, 127.0.0.2, ::1,
// v4-mapped, wildcards, one non-local address), three fixed ports 7000-7002, a 1- or 2-port
// ephemeral range (40000-40001: both the kernel's and the model's choice of port is then forced,
// see semantics.md §2.10), owner uid 0 or 65534, and a veth device `v0` for SO_BINDTODEVICE.
// Waits are short (<= 200 ms each, <= 600 ms per case): TIME-WAIT (60 s), tcp_fin_timeout and
// tcp_tw_reuse_delay (1 s) are never reached, so the kernel's wall clock and the model's virtual
// clock cannot disagree on a deadline.
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "model/profile.h"

namespace portlab::props {

struct DifferentialConfig {
  const model::Profile* profile = nullptr;  // default: Linux
  int cases = 100;                          // successful cases needed to pass
  int max_size = 40;                        // RapidCheck size; bounds the sequence length
  std::uint64_t seed = 0;                   // 0: RC_PARAMS seed if given, else a fresh one
  bool shrink = true;
  // Where the last failing sequence is written as a script (after shrinking: the minimal one).
  std::string failure_script_path;
  bool verbose = true;  // print RapidCheck's result and classification to stderr
};

struct DifferentialResult {
  bool passed = false;
  std::uint64_t seed = 0;
  int cases = 0;                      // successful cases run
  std::set<std::string> tags;         // every RC_TAG seen in a successful run
  std::string failure;                // RapidCheck's description of the failure
  std::string counterexample_script;  // the failing sequence as a portlab script
  std::string reproduce;              // an RC_PARAMS string that reruns the failure
};

// Tags the property attaches (RC_TAG), so a run shows which paths it reached.
inline constexpr const char* kTagAddrInUse = "EADDRINUSE";
inline constexpr const char* kTagAddrNotAvail = "EADDRNOTAVAIL";
inline constexpr const char* kTagTimeWaitReuse = "TIME-WAIT reused";
inline constexpr const char* kTagListenRecheck = "listen re-check failed";
inline constexpr const char* kTagExhausted = "ephemeral ports exhausted";
inline constexpr const char* kTagTimeWait = "TIME-WAIT entered";

DifferentialResult run_differential(const DifferentialConfig& config);

}  // namespace portlab::props
