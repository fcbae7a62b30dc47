// libFuzzer target: the JSON report of `check`, re-parsed by nlohmann-json, must parse and hold
// one step per script step, agreeing with the report (and the text report must end with its
// verdict).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/invariants.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = portlab::sim::script::parse_script(text, std::string(portlab::fuzz::kFuzzFile));
  if (!parsed.script) return 0;
  if (portlab::fuzz::too_many_steps_for_fuzzing(*parsed.script)) return 0;
  const auto run = portlab::sim::run_check(*parsed.script, text, portlab::fuzz::fuzz_options(text));
  if (!run.report) return 0;
  portlab::fuzz::die_on(portlab::fuzz::output_invariants(*parsed.script, *run.report), text);
  return 0;
}
