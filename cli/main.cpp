// The portlab command-line tool.
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/bench_report.h"
#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"portlab: validate TCP port-reuse strategies per OS before deployment"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "portlab 0.1.0");

  portlab::cli::CheckArgs check;
  auto* check_cmd = app.add_subcommand("check", "Run scenario scripts once and check their expectations");
  check_cmd->add_option("files", check.files, "Scenario scripts (.pls)")->required();
  check_cmd->add_flag("--json", check.json, "Print one JSON document instead of text");
  check_cmd->add_option("--seed", check.seed, "Seed for every random choice (default 1)");
  check_cmd->add_option("--step-time", check.step_time,
                        "Virtual time that passes before each call (default 1ms; 0s makes calls simultaneous)");
  check_cmd->add_option("--os", check.os,
                        "OS profiles to run under: NAME[,NAME...] or all (default: the script's `os` line, else "
                        "linux); with several, one run per OS and a side-by-side table");
  check_cmd->add_option("--max-virtual-time", check.max_virtual_time,
                        "Virtual time a run may cover, waits included (default 10080m = 7 days; at most 100 years)");

  portlab::cli::RulesArgs rules;
  auto* rules_cmd = app.add_subcommand("rules", "List the rules the model decides by, with their sources");
  rules_cmd->add_option("--os", rules.os, "A profile, or all (default all)");
  rules_cmd->add_option("--format", rules.format, "text, markdown or json")
      ->check(CLI::IsMember({"text", "markdown", "json"}));
  rules_cmd->add_flag("--list-os", rules.list_os, "Print the registered profile names, one per line");
  rules_cmd->add_option("--write-docs", rules.write_docs,
                        "Write the markdown catalogue of each profile to DIR/<os>.md (as in docs/semantics/)");

  portlab::cli::ConformArgs conform;
  auto* conform_cmd = app.add_subcommand(
      "conform", "Run scenario scripts on the model and on this machine's Linux kernel (private network namespaces, "
                 "needs root) and print the steps where they differ");
  conform_cmd->add_option("files", conform.files, "Scenario scripts (.pls)")->required();
  conform_cmd->add_option("--seed", conform.seed, "Seed for the model's random choices (default 1)");
  conform_cmd->add_option("--max-wait", conform.max_wait_seconds,
                          "Refuse `wait` steps longer than this many seconds (default 5)");
  conform_cmd->add_flag("--allow-slow", conform.allow_slow, "Run `wait` steps of any length (they sleep for real)");
  conform_cmd->add_option("--block-timeout", conform.block_timeout_seconds,
                          "Seconds after which a blocking call counts as blocked forever (default 3)");

  portlab::cli::SimulateArgs sim;
  auto* sim_cmd = app.add_subcommand(
      "simulate", "Run the script's reconnect workloads over virtual time and report failures, TIME-WAIT, port "
                  "occupancy, latency and capacity per OS");
  sim_cmd->add_option("file", sim.file, "Scenario script with workload blocks (.pls)")->required();
  sim_cmd->add_option("--os", sim.os, "OS profiles: NAME[,NAME...] or all (default: the script's `os` line, else linux)");
  sim_cmd->add_option("--seed", sim.seed, "Seed for every random choice (default 1)");
  sim_cmd->add_option("--duration", sim.duration, "Run every workload for this long instead of its own duration");
  sim_cmd->add_flag("--json", sim.json, "Print one JSON document (with the time series) instead of text");
  sim_cmd->add_option("--json-out", sim.json_out, "Also write the JSON reports to FILE");
  sim_cmd->add_option("--events", sim.events, "Write the event log (one line per event, fixed columns) to FILE");
  sim_cmd->add_option("--csv", sim.csv, "Write the time series as CSV to FILE");
  sim_cmd->add_option("--plot", sim.plot, "Draw rate, failures, TIME-WAIT and port occupancy over time to FILE.svg");
  sim_cmd->add_flag("--capacity", sim.capacity,
                    "Also find the sustainable rate by simulation (a bisection over the offered rate)");
  sim_cmd->add_option("--swarm", sim.swarm, "Run N configurations drawn from the seed; report the failing ones");
  sim_cmd->add_option("--swarm-case", sim.swarm_case, "Run configuration K of --swarm (as its reproduce line says)");
  sim_cmd->add_option("--max-connections", sim.max_connections, "Stop after this many connection attempts (default 5e7)");
  sim_cmd->add_option("--max-virtual-time", sim.max_virtual_time, "Virtual time a workload may cover (default 10080m)");
  sim_cmd->add_option("--max-seconds", sim.max_seconds, "Wall-clock seconds one run may take (default 600)");
  portlab::cli::BenchReportArgs bench_report;
  auto* bench_report_cmd = app.add_subcommand(
      "bench-report", "Tabulate Google Benchmark JSON from reconnect_bench and model_bench: each strategy's measured "
                      "and predicted rate, failures and TIME_WAIT; optionally an SVG chart");
  bench_report_cmd->add_option("files", bench_report.files, "Google Benchmark JSON files (--benchmark_out)")
      ->required();
  bench_report_cmd->add_option("--svg", bench_report.svg, "Write a bar chart of the rates per strategy to this SVG file");
  bench_report_cmd->add_flag("--markdown", bench_report.markdown, "Markdown tables instead of aligned text");
  bench_report_cmd->add_option("-o,--output", bench_report.output, "Write the report to this file instead of stdout");
  portlab::cli::ExploreArgs explore;
  auto* explore_cmd = app.add_subcommand(
      "explore", "Search every interleaving of a script's processes, timers and choices; print a verdict per OS and, "
                 "for a violation, a shortest counterexample with a script that `portlab check` replays");
  explore_cmd->add_option("file", explore.file, "Scenario script (.pls)")->required();
  explore_cmd->add_option("--os", explore.os, "OS profiles: NAME[,NAME...] or all (default: the script's `os` line, "
                                              "else linux); with several, a verdict table");
  explore_cmd->add_option("--seed", explore.seed, "Seed for every random choice (default 1)");
  explore_cmd->add_flag("--json", explore.json, "Print one JSON document instead of text");
  explore_cmd->add_option("--dot", explore.dot, "Write the state graph as Graphviz DOT to FILE");
  explore_cmd->add_option("--replay-out", explore.replay_out, "Write the counterexample's replay script to FILE");
  explore_cmd->add_option("--max-states", explore.max_states, "Stop after this many states (default 2000000)");
  explore_cmd->add_option("--max-depth", explore.max_depth, "Stop at this search depth (default 10000)");
  explore_cmd->add_option("--max-seconds", explore.max_seconds, "Stop after this much wall time (default 300)");
  explore_cmd->add_option("--max-memory", explore.max_memory_mb, "Stop above this resident memory, in MiB (default 2048)");
  explore_cmd->add_option("--max-graph-states", explore.max_graph_states,
                          "With --dot: keep at most this many states in the graph (default 5000)");
  explore_cmd->add_option("--threads", explore.threads, "Search threads (default 1; 0 = every core)");
  explore_cmd->add_option("--timers", explore.timers,
                          "When timers fire: any (between any two steps, the default) or idle (only when no process "
                          "can take a step)");
  explore_cmd->add_option("--step-time", explore.step_time, "Virtual time before each call, as for check (default 1ms)");
  explore_cmd->add_option("--network", explore.network,
                          "settle (every segment arrives at once, in order) or interleave (segments held per flow, each "
                          "delivery a choice point); default: the script's `network` line, else settle");
  explore_cmd->add_option("--drops", explore.drops,
                          "With --network interleave: at most N SYNs lost per run, each loss a choice point (the "
                          "model retransmits only SYNs; default 0)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;  // usage errors are bad input
  }
  if (*check_cmd) {
    // Colour only for a terminal, and never when NO_COLOR is set (https://no-color.org).
    check.color = isatty(STDOUT_FILENO) != 0 && std::getenv("NO_COLOR") == nullptr;
    return portlab::cli::run_check_command(check, std::cout, std::cerr);
  }
  if (*sim_cmd) {
    // A progress bar only on a terminal.
    sim.progress = isatty(STDERR_FILENO) != 0;
    return portlab::cli::run_simulate_command(sim, std::cout, std::cerr);
  }
  if (*explore_cmd) return portlab::cli::run_explore_command(explore, std::cout, std::cerr);
  if (*conform_cmd) return portlab::cli::run_conform_command(conform, std::cout, std::cerr);
  if (*bench_report_cmd) return portlab::cli::run_bench_report_command(bench_report, std::cout, std::cerr);
  if (*rules_cmd) return portlab::cli::run_rules_command(rules, std::cout, std::cerr);
  return 2;
}
