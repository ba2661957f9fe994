#include "agent/spool.h"

#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "agent/atomic_file.h"

namespace kerbside::agent {
namespace {

namespace fs = std::filesystem;

constexpr char kStateFile[] = "spool-state";
constexpr char kBatchSuffix[] = ".batch";

}  // namespace

absl::StatusOr<std::unique_ptr<Spool>> Spool::Open(const std::string& dir, uint64_t max_bytes,
                                                   const std::string& random_id) {
  std::unique_ptr<Spool> spool(new Spool(dir, max_bytes));
  if (dir.empty()) {
    spool->id_ = random_id;
    return spool;
  }
  if (absl::Status s = spool->Load(random_id); !s.ok()) return s;
  return spool;
}

std::string Spool::PathOf(uint64_t sequence) const {
  return (fs::path(dir_) / absl::StrFormat("%020d%s", sequence, kBatchSuffix)).string();
}

absl::Status Spool::Load(const std::string& random_id) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return absl::InternalError(absl::StrCat("spool: create ", dir_, ": ", ec.message()));
  // The state file: "<id> <next sequence>". Missing or unreadable: a new spool (a new id, so
  // the collector does not compare the new sequences with the old ones).
  id_ = random_id;
  {
    std::ifstream in(fs::path(dir_) / kStateFile);
    std::string id;
    uint64_t next = 0;
    if (in >> id >> next && !id.empty() && id.size() <= 64 && next > 0) {
      id_ = id;
      next_sequence_ = next;
    }
  }
  for (const fs::directory_entry& e : fs::directory_iterator(dir_, ec)) {
    const std::string name = e.path().filename().string();
    if (absl::EndsWith(name, ".tmp")) {  // a write that did not finish
      fs::remove(e.path(), ec);
      continue;
    }
    absl::string_view stem = name;
    if (!absl::ConsumeSuffix(&stem, kBatchSuffix)) continue;
    uint64_t sequence = 0;
    v1::EvidenceBatch batch;
    std::ifstream in(e.path(), std::ios::binary);
    const bool ok = absl::SimpleAtoi(stem, &sequence) && sequence > 0 && e.is_regular_file(ec) &&
                    e.file_size(ec) <= max_bytes_ && batch.ParseFromIstream(&in) &&
                    batch.sequence() == sequence;
    if (!ok) {
      open_warnings_.push_back(absl::StrCat(e.path().string(), ": not a spooled batch, removed"));
      fs::remove(e.path(), ec);
      continue;
    }
    const uint64_t size = batch.ByteSizeLong();
    sizes_[sequence] = size;
    bytes_ += size;
    batches_[sequence] = std::move(batch);
    if (sequence >= next_sequence_) next_sequence_ = sequence + 1;
  }
  if (ec) return absl::InternalError(absl::StrCat("spool: list ", dir_, ": ", ec.message()));
  return WriteState();
}

absl::Status Spool::WriteState() {
  if (dir_.empty()) return absl::OkStatus();
  return WriteFileAtomically(fs::path(dir_) / kStateFile,
                             absl::StrCat(id_, " ", next_sequence_, "\n"), "spool");
}

void Spool::RemoveLocked(std::map<uint64_t, v1::EvidenceBatch>::iterator it) {
  const uint64_t sequence = it->first;
  bytes_ -= sizes_[sequence];
  sizes_.erase(sequence);
  batches_.erase(it);
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove(PathOf(sequence), ec);
  }
}

absl::StatusOr<uint64_t> Spool::Append(v1::EvidenceBatch batch, bool supersedes) {
  std::lock_guard lock(mu_);
  const uint64_t size = batch.ByteSizeLong();
  if (size > max_bytes_) {
    return absl::ResourceExhaustedError(absl::StrCat("batch of ", batch.source(), " is ", size,
                                                     " bytes, more than the whole spool (",
                                                     max_bytes_, ")"));
  }
  const uint64_t sequence = next_sequence_++;
  batch.set_sequence(sequence);
  if (absl::Status s = WriteState(); !s.ok()) return s;
  if (supersedes) {
    for (auto it = batches_.begin(); it != batches_.end();) {
      auto next = std::next(it);
      if (it->second.source() == batch.source()) RemoveLocked(it);
      it = next;
    }
  }
  while (bytes_ + size > max_bytes_ && !batches_.empty()) {
    RemoveLocked(batches_.begin());
    ++dropped_total_;
  }
  if (!dir_.empty()) {
    absl::Status s = WriteFileAtomically(PathOf(sequence), batch.SerializeAsString(), "spool");
    if (!s.ok()) return s;
  }
  sizes_[sequence] = size;
  bytes_ += size;
  batches_[sequence] = std::move(batch);
  return sequence;
}

std::vector<v1::EvidenceBatch> Spool::Pending() const { return PendingAfter(0); }

std::vector<v1::EvidenceBatch> Spool::PendingAfter(uint64_t after) const {
  std::lock_guard lock(mu_);
  std::vector<v1::EvidenceBatch> out;
  for (auto it = batches_.upper_bound(after); it != batches_.end(); ++it) {
    out.push_back(it->second);
  }
  return out;
}

std::optional<v1::EvidenceBatch> Spool::Acknowledge(uint64_t sequence) {
  std::lock_guard lock(mu_);
  auto it = batches_.find(sequence);
  if (it == batches_.end()) return std::nullopt;
  v1::EvidenceBatch batch = std::move(it->second);
  RemoveLocked(it);
  return batch;
}

size_t Spool::pending_count() const {
  std::lock_guard lock(mu_);
  return batches_.size();
}

uint64_t Spool::pending_bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

uint64_t Spool::dropped_total() const {
  std::lock_guard lock(mu_);
  return dropped_total_;
}

uint64_t Spool::TakeDroppedSinceLastCall() {
  std::lock_guard lock(mu_);
  const uint64_t n = dropped_total_ - dropped_reported_;
  dropped_reported_ = dropped_total_;
  return n;
}

}  // namespace kerbside::agent
