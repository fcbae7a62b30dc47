// Shared by the props tests: the CI case budget, overridable from the environment (the soak
// target raises it), and a check that the real-kernel harness can run here.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace portlab::props::test {

inline int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  return std::atoi(v);
}

// The CI budget: successful cases per property and the RapidCheck size (sequence length bound).
inline int ci_cases() { return env_int("PORTLAB_PROPS_CASES", 120); }
inline int ci_max_size() { return env_int("PORTLAB_PROPS_MAX_SIZE", 40); }

}  // namespace portlab::props::test
