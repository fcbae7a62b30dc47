// The registry of OS profiles: every profile the model knows, by name.
#pragma once

#include <span>
#include <string_view>

#include "model/profile.h"

namespace portlab::model {

// In a stable order: linux first, then the others alphabetically.
std::span<const Profile* const> all_profiles();
// By name ("linux", "freebsd", "macos", "windows", "illumos", or a version variant such as
// "linux-4.4"); nullptr if unknown.
const Profile* find_profile(std::string_view name);

}  // namespace portlab::model
