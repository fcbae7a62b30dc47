// A TCP segment as the model sees it: enough header to drive RFC 9293 and the TIME-WAIT rules
// (sequence numbers, flags, window, timestamp option). Payload is a byte count.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "model/address.h"

namespace portlab::model {

struct TcpFlags {
  bool syn = false;
  bool ack = false;
  bool fin = false;
  bool rst = false;
  friend bool operator==(const TcpFlags&, const TcpFlags&) = default;
};

struct TimestampOption {
  std::uint32_t tsval = 0;
  std::uint32_t tsecr = 0;
};

struct Segment {
  Endpoint src;
  Endpoint dst;
  TcpFlags flags;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint32_t window = 0;  // bytes (no scaling in the model)
  std::uint32_t payload = 0;  // bytes
  std::optional<TimestampOption> ts;
  std::string to_string() const;  // "10.0.0.1:5000 > 10.0.0.2:80 [S] seq=1 ack=0 win=65535 len=0 ts=5/0"
};

// Sequence-space comparisons (RFC 9293 §3.4, modulo 2^32).
inline bool seq_lt(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b) < 0; }
inline bool seq_le(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b) <= 0; }
inline bool seq_gt(std::uint32_t a, std::uint32_t b) { return seq_lt(b, a); }

}  // namespace portlab::model
