// libFuzzer target: parse, then `check` on one profile (chosen by the input's hash, so every
// profile is covered and an input always meets the same one), with
// the default step time and limits, so that a fuzzed `wait 100000m` ends in a located error
// rather than a long run. The run is repeated with the same seed and must print the same
// report byte for byte.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/invariants.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = portlab::sim::script::parse_script(text, std::string(portlab::fuzz::kFuzzFile));
  if (!parsed.script) return 0;  // the parser target covers bad input
  if (portlab::fuzz::too_many_steps_for_fuzzing(*parsed.script)) return 0;
  const auto options = portlab::fuzz::fuzz_options(text);
  const auto run = portlab::sim::run_check(*parsed.script, text, options);
  portlab::fuzz::die_on(portlab::fuzz::check_invariants(text, *parsed.script, options, run), text);
  if (!run.report) return 0;
  const auto again = portlab::sim::run_check(*parsed.script, text, options);
  if (!again.report || portlab::sim::format_text(*again.report) != portlab::sim::format_text(*run.report))
    portlab::fuzz::die_on({"two runs with the same seed printed different reports"}, text);
  return 0;
}
