// The illumos (Solaris-derived) profile: semantics.md §6.
#pragma once

#include "model/profile.h"

namespace portlab::model {
const Profile& illumos_profile();
}  // namespace portlab::model
