// The FreeBSD 14 profile: semantics.md §3.
#pragma once

#include "model/profile.h"

namespace portlab::model {
const Profile& freebsd_profile();
}  // namespace portlab::model
