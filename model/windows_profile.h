// The Windows profiles: Vista and later ("enhanced socket security", semantics.md §5), and the
// XP-era variant in which the second socket's SO_REUSEADDR alone sufficed.
#pragma once

#include "model/profile.h"

namespace portlab::model {
const Profile& windows_profile();
const Profile& windows_xp_profile();
}  // namespace portlab::model
