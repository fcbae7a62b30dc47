// `portlab conform FILE...`: every script on the model and on the real kernel, side by side.
#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/commands.h"
#include "model/linux_profile.h"
#include "props/conform.h"
#include "sim/script/parser.h"

namespace portlab::cli {

// SIGINT: no handler, on purpose. Ctrl-C (or kill -INT) ends `portlab conform` by the default
// action, even in the middle of a `wait` step or a blocking call. That is clean: the process owns
// no state outside itself -- its sockets, its namespace threads and their private network
// namespaces (and the veth pairs in them) are all freed by the kernel when it dies, and it starts
// no child processes. props/hygiene_test.cpp (Hygiene.SigintDuringConform_ExitsAndLeavesNoChild)
// checks this.

int run_conform_command(const ConformArgs& args, std::ostream& out, std::ostream& err) {
  if (!(args.max_wait_seconds >= 0) || !(args.block_timeout_seconds > 0) || args.block_timeout_seconds > 600) {
    err << "portlab: --max-wait must be >= 0 and --block-timeout in (0, 600] seconds\n";
    return kExitBadInput;
  }
  // Parse everything first: on bad input nothing runs.
  std::vector<std::pair<sim::script::Script, std::string>> scripts;
  for (const auto& f : args.files) {
    auto parsed = parse_file(f, err);
    if (!parsed) return kExitBadInput;
    scripts.push_back(std::move(*parsed));
  }
  props::ConformOptions options;
  options.seed = args.seed;
  options.profile = &model::linux_profile();
  options.allow_slow = args.allow_slow;
  options.max_wait = std::chrono::duration_cast<model::Duration>(std::chrono::duration<double>(args.max_wait_seconds));
  options.block_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(args.block_timeout_seconds * 1000));
  // Every script runs, even after one that differs or cannot run here (a host of another OS, a
  // long `wait` without --allow-slow): `portlab conform examples/*.pls` answers for all of them.
  // Exit: 1 if any script differs; otherwise 2 if any could not run; 0 only when all ran and agreed.
  std::size_t n_same = 0;
  std::vector<std::string> differ;
  std::vector<std::string> not_run;
  for (const auto& [script, text] : scripts) {
    props::ConformRun run;
    try {
      run = props::run_conform(script, text, options);
    } catch (const props::HarnessError& e) {
      err << script.file << ": error: real-kernel harness: " << e.what() << "\n";
      not_run.push_back(script.file + ": real-kernel harness error: " + e.what());
      continue;
    }
    if (run.error) {
      err << run.error->render();
      not_run.push_back(fmt::format("{}:{}:{}: {}", script.file, run.error->loc.line, run.error->loc.column, run.error->message));
      continue;
    }
    if (run.refused) {
      err << "portlab conform: " << *run.refused << "\n";
      not_run.push_back(*run.refused);  // it names the file
      continue;
    }
    out << props::format_conform_text(*run.report);
    if (run.report->ok()) {
      ++n_same;
    } else {
      differ.push_back(script.file);
      out << fmt::format("reproduce: portlab conform {} --seed {}\n", script.file, args.seed);
    }
  }
  if (scripts.size() > 1) {
    out << fmt::format("\nconform: {} scripts: {} same, {} different, {} not run\n", scripts.size(), n_same,
                       differ.size(), not_run.size());
    for (const auto& f : differ) out << "  different: " << f << "\n";
    for (const auto& f : not_run) out << "  not run:   " << f << "\n";
  }
  if (!differ.empty()) return kExitFailed;
  return not_run.empty() ? kExitOk : kExitBadInput;
}

}  // namespace portlab::cli
