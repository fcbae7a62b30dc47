#include "model/profiles.h"

#include <array>

#include "model/freebsd_profile.h"
#include "model/linux_profile.h"
#include "model/illumos_profile.h"
#include "model/macos_profile.h"
#include "model/windows_profile.h"

namespace portlab::model {

std::span<const Profile* const> all_profiles() {
  static const std::array<const Profile*, 8> kAll{&linux_profile(),   &linux_613_profile(), &linux_44_profile(),
                                                  &freebsd_profile(), &illumos_profile(),   &macos_profile(),
                                                  &windows_profile(), &windows_xp_profile()};
  return kAll;
}

const Profile* find_profile(std::string_view name) {
  for (const Profile* p : all_profiles())
    if (p->name == name) return p;
  return nullptr;
}

}  // namespace portlab::model
