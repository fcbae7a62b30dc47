// libFuzzer target: the scenario-script parser on arbitrary bytes. On success every SourceLoc in
// the Script lies inside the text; on failure the Diagnostic does, and renders.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/invariants.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = portlab::sim::script::parse_script(text, std::string(portlab::fuzz::kFuzzFile));
  portlab::fuzz::die_on(portlab::fuzz::parse_invariants(text, parsed), text);
  return 0;
}
