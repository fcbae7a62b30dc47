// Virtual time. The model never reads a clock: every call that depends on time takes a TimePoint.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace portlab::model {

struct VirtualClock {
  using rep = std::int64_t;
  using period = std::nano;
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<VirtualClock>;
  static constexpr bool is_steady = true;
};

using Duration = std::chrono::nanoseconds;
using TimePoint = VirtualClock::time_point;

// "1.5s", "250ms", "60s", "0s".
std::string format_duration(Duration d);

}  // namespace portlab::model
