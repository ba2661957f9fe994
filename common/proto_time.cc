#include "common/proto_time.h"

#include <string>

namespace kerbside {

google::protobuf::Timestamp ToProto(absl::Time t) {
  const absl::Duration since_epoch = t - absl::UnixEpoch();
  absl::Duration rem;
  const int64_t seconds = absl::IDivDuration(since_epoch, absl::Seconds(1), &rem);
  int64_t nanos = absl::ToInt64Nanoseconds(rem);
  google::protobuf::Timestamp ts;
  // Timestamp wants nanos in [0, 1e9) even before the epoch.
  int64_t s = seconds;
  if (nanos < 0) {
    nanos += 1000000000;
    s -= 1;
  }
  ts.set_seconds(s);
  ts.set_nanos(static_cast<int32_t>(nanos));
  return ts;
}

google::protobuf::Duration ToProto(absl::Duration d) {
  absl::Duration rem;
  const int64_t seconds = absl::IDivDuration(d, absl::Seconds(1), &rem);
  google::protobuf::Duration out;
  // Duration wants seconds and nanos of the same sign; IDivDuration truncates toward zero.
  out.set_seconds(seconds);
  out.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(rem)));
  return out;
}

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::UnixEpoch() + absl::Seconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

absl::Duration FromProto(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

std::string FormatRfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

}  // namespace kerbside
