#ifndef KERBSIDE_COMMON_STATUS_MACROS_H_
#define KERBSIDE_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Abseil 20220623 does not export these; ours behave like the ones in Google's codebase.
#define KERBSIDE_CONCAT_INNER(a, b) a##b
#define KERBSIDE_CONCAT(a, b) KERBSIDE_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                            \
  do {                                                   \
    ::absl::Status kerbside_status_ = (expr);            \
    if (!kerbside_status_.ok()) return kerbside_status_; \
  } while (0)

#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(KERBSIDE_CONCAT(kerbside_statusor_, __LINE__), lhs, expr)

#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()

#endif  // KERBSIDE_COMMON_STATUS_MACROS_H_
