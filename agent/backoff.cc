#include "agent/backoff.h"

#include <algorithm>

namespace kerbside::agent {

absl::Duration Backoff::Next() {
  const absl::Duration d = current_;
  current_ = std::min(max_, current_ * 2);
  return d / 2 + (d / 2) * uniform01_();
}

}  // namespace kerbside::agent
