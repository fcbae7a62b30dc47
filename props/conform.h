// Runs a scenario script on the model and on the real kernel side by side, one step at a time,
// and compares after every step: the call's result (value or errno) and, per host, the set of
// (4-tuple, TCP state) pairs -- listeners, connections, TIME-WAIT entries and orphans. This is
// the engine behind `portlab conform` and the RapidCheck differential tests.
//
// Each script host is one private network namespace (KernelNamespace). Ephemeral ports are
// chosen at random by the kernel and by the model's own generator, so a kernel port is
// translated to the model's through a mapping learned whenever both sides report the local
// port of the same socket; everything else is compared as is. v4-mapped IPv6 addresses are
// compared in their IPv4 form (that is what goes on the wire).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "model/errno.h"
#include "model/host.h"
#include "model/profile.h"
#include "model/rule.h"
#include "props/kernel_host.h"
#include "sim/script/ast.h"
#include "sim/script/diagnostic.h"

namespace portlab::props {

// The script cannot run on the kernel harness (a feature the harness does not have).
class ConformError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ConformOptions {
  std::uint64_t seed = 1;
  const model::Profile* profile = nullptr;  // default: Linux
  // A blocking call still blocked after this long counts as "blocked forever".
  std::chrono::milliseconds block_timeout{3000};
  // `wait D` longer than this is refused unless allow_slow (it really sleeps D).
  model::Duration max_wait = std::chrono::seconds(5);
  bool allow_slow = false;
};

struct StepComparison {
  int line = 0;
  int column = 0;
  std::string text;
  std::string host;
  std::string model_result;   // "0", "-1 EADDRINUSE", "3", "blocked forever"; "" for non-calls
  std::string kernel_result;
  const model::Rule* rule = nullptr;  // the model's rule for the call
  model::Errno model_err = model::Errno::ok;
  int kernel_errno = 0;
  bool result_differs = false;
  std::vector<std::string> model_only;   // "HOST: LOCAL -> REMOTE STATE" held by the model only
  std::vector<std::string> kernel_only;  // ... by the kernel only
  std::vector<std::string> notes;        // e.g. an ephemeral-port mapping that could not be kept
  bool differs() const { return result_differs || !model_only.empty() || !kernel_only.empty(); }
};

class Conformer {
 public:
  // Sets up one namespace per host (addresses, devices, veth links), and a model World whose
  // knobs are read from the namespaces. Throws ConformError or HarnessError.
  Conformer(const sim::script::Script& script, const ConformOptions& options);
  ~Conformer();
  Conformer(const Conformer&) = delete;
  Conformer& operator=(const Conformer&) = delete;

  StepComparison step(const sim::script::Step& step);

  std::size_t host_count() const;
  model::Host& model_host(std::size_t i);
  KernelHost& kernel_host(std::size_t i);
  // The model's view after the last step, as compared ("LOCAL -> REMOTE STATE").
  std::vector<std::string> model_connections(std::size_t host);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

struct ConformReport {
  std::string file;
  std::uint64_t seed = 0;
  std::string kernel;  // uname -r
  std::vector<StepComparison> steps;
  int differences = 0;
  bool ok() const { return differences == 0; }
};

// Exactly one is set: a report, or an error found before anything ran (parse-level problems
// come back as a Diagnostic; harness limits as `refused`).
struct ConformRun {
  std::optional<ConformReport> report;
  std::optional<sim::script::Diagnostic> error;
  std::optional<std::string> refused;
};

ConformRun run_conform(const sim::script::Script& script, std::string_view source, const ConformOptions& options);

// One line per step; differing steps are marked DIFF and followed by what differs.
std::string format_conform_text(const ConformReport& report);

// The running kernel's release (uname -r).
std::string kernel_release();

}  // namespace portlab::props
