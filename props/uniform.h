// A uniform integer choice for RapidCheck generators.
//
// rc::gen::inRange scales its range with the case size (rapidcheck/gen/Numeric.hpp:
// scaleInteger(max - min - 1, size) + 1): at the CI size of 40, inRange(0, 3) always yields 0 and
// inRange(0, 14) never goes past 5. Choices between kinds of command are not magnitudes, so they
// are drawn at the nominal size, uniform over the whole range whatever the case size (and still
// shrinking towards `lo`).
#pragma once

#include <rapidcheck.h>

namespace portlab::props {

inline int uniform_in(int lo, int hi) { return *rc::gen::resize(rc::kNominalSize, rc::gen::inRange(lo, hi)); }

}  // namespace portlab::props
