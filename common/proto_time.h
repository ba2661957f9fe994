#ifndef KERBSIDE_COMMON_PROTO_TIME_H_
#define KERBSIDE_COMMON_PROTO_TIME_H_

#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace kerbside {

google::protobuf::Timestamp ToProto(absl::Time t);
google::protobuf::Duration ToProto(absl::Duration d);
absl::Time FromProto(const google::protobuf::Timestamp& t);
absl::Duration FromProto(const google::protobuf::Duration& d);

// "2026-11-26T10:00:00.123Z" (UTC, RFC 3339).
std::string FormatRfc3339(absl::Time t);

}  // namespace kerbside

#endif  // KERBSIDE_COMMON_PROTO_TIME_H_
