#include "model/segment.h"

namespace portlab::model {

std::string Segment::to_string() const {
  std::string f;
  if (flags.syn) f += 'S';
  if (flags.fin) f += 'F';
  if (flags.rst) f += 'R';
  if (flags.ack) f += '.';
  std::string out = src.to_string() + " > " + dst.to_string() + " [" + f + "] seq=" + std::to_string(seq) +
                    " ack=" + std::to_string(ack) + " win=" + std::to_string(window) +
                    " len=" + std::to_string(payload);
  if (ts) out += " ts=" + std::to_string(ts->tsval) + "/" + std::to_string(ts->tsecr);
  return out;
}

}  // namespace portlab::model
