// The portlab command-line tool.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

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
  check_cmd->add_option("--os", check.os, "Profile to run under (default linux)");

  portlab::cli::RulesArgs rules;
  auto* rules_cmd = app.add_subcommand("rules", "List the rules the model decides by, with their sources");
  rules_cmd->add_option("--os", rules.os, "Profile (default linux)");
  rules_cmd->add_option("--format", rules.format, "text, markdown or json")
      ->check(CLI::IsMember({"text", "markdown", "json"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;  // usage errors are bad input
  }
  if (*check_cmd) return portlab::cli::run_check_command(check, std::cout, std::cerr);
  if (*rules_cmd) return portlab::cli::run_rules_command(rules, std::cout, std::cerr);
  return 2;
}
