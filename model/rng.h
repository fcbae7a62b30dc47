// The one source of randomness in the model: an explicit, seeded generator (xoshiro256**,
// seeded by splitmix64). Every random choice takes one of these by reference, so a run with
// the same seed makes the same choices on every platform.
#pragma once

#include <cstdint>

namespace portlab::model {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    for (auto& w : s_) {
      seed += 0x9e3779b97f4a7c15ull;
      std::uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      w = z ^ (z >> 31);
    }
  }

  std::uint64_t next_u64() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, n); n == 0 gives 0. Lemire's multiply-shift (bias < 2^-32 for n < 2^32,
  // which is fine for port choices; the kernel's get_random_u32_below is no better).
  friend bool operator==(const Rng&, const Rng&) = default;

  std::uint32_t below(std::uint32_t n) {
    if (n == 0) return 0;
    return static_cast<std::uint32_t>(((next_u64() >> 32) * std::uint64_t{n}) >> 32);
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4]{};
};

}  // namespace portlab::model
