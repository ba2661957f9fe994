#include "agent/batch_limits.h"

#include "absl/strings/str_cat.h"

namespace kerbside::agent {

bool EnforceBatchLimits(v1::EvidenceBatch* batch, size_t max_bytes, size_t max_items) {
  const size_t items = static_cast<size_t>(batch->items_size());
  const size_t bytes = batch->ByteSizeLong();
  if (items <= max_items && bytes <= max_bytes) return false;
  std::string reason = absl::StrCat("this read made ", items, " items, ", bytes,
                                    " bytes: more than one batch carries (", max_items, " items, ",
                                    max_bytes, " bytes); none of it was sent");
  if (!batch->health().reason().empty()) {
    absl::StrAppend(&reason, "; the source also said: ", batch->health().reason());
  }
  batch->clear_items();
  batch->mutable_health()->set_state(v1::SourceHealth::FAILING);
  batch->mutable_health()->set_reason(reason);
  return true;
}

}  // namespace kerbside::agent
