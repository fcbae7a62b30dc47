// The visited set of `portlab explore`: 64-bit state fingerprints in one open-addressing table
// (hash compaction, as SPIN's -DHC): 8 bytes per slot, at most 3/4 full, so 10.7 to 21.3 bytes per
// stored state. Zero marks an empty slot; a fingerprint of zero is stored as one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace portlab::sim {

// A 64-bit finalizer (MurmurHash3's fmix64): every input bit flips each output bit with
// probability close to 1/2.
inline std::uint64_t fingerprint_mix(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

class FingerprintSet {
 public:
  explicit FingerprintSet(std::size_t initial_slots = 1024) : slots_(round_up(initial_slots), 0) {}

  // Adds `fp`; true if it was not there.
  bool insert(std::uint64_t fp) {
    if (fp == 0) fp = 1;
    if ((size_ + 1) * 4 > slots_.size() * 3) grow();
    return place(slots_, fp);
  }
  bool contains(std::uint64_t fp) const {
    if (fp == 0) fp = 1;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = fp & mask;; i = (i + 1) & mask) {
      if (slots_[i] == fp) return true;
      if (slots_[i] == 0) return false;
    }
  }
  std::size_t size() const { return size_; }
  std::size_t bytes() const { return slots_.size() * sizeof(std::uint64_t); }

 private:
  static std::size_t round_up(std::size_t n) {
    std::size_t s = 16;
    while (s < n) s *= 2;
    return s;
  }
  bool place(std::vector<std::uint64_t>& slots, std::uint64_t fp) {
    const std::size_t mask = slots.size() - 1;
    for (std::size_t i = fp & mask;; i = (i + 1) & mask) {
      if (slots[i] == fp) return false;
      if (slots[i] == 0) {
        slots[i] = fp;
        ++size_;
        return true;
      }
    }
  }
  void grow() {
    std::vector<std::uint64_t> bigger(slots_.size() * 2, 0);
    const std::size_t n = size_;
    size_ = 0;
    for (auto fp : slots_)
      if (fp) place(bigger, fp);
    size_ = n;
    slots_.swap(bigger);
  }

  std::vector<std::uint64_t> slots_;
  std::size_t size_ = 0;
};

}  // namespace portlab::sim
