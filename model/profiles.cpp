#include "model/profiles.h"

#include <array>

#include "model/linux_profile.h"

namespace portlab::model {

std::span<const Profile* const> all_profiles() {
  static const std::array<const Profile*, 1> kAll{&linux_profile()};
  return kAll;
}

const Profile* find_profile(std::string_view name) {
  for (const Profile* p : all_profiles())
    if (p->name == name) return p;
  return nullptr;
}

}  // namespace portlab::model
