// The macOS (XNU) profile: semantics.md §4.
#pragma once

#include "model/profile.h"

namespace portlab::model {
const Profile& macos_profile();
}  // namespace portlab::model
