#ifndef KERBSIDE_TESTS_COLLECTOR_STORE_TEMP_STORE_H_
#define KERBSIDE_TESTS_COLLECTOR_STORE_TEMP_STORE_H_

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "collector/correlator/diagnosis.h"
#include "collector/store/sqlite_store.h"
#include "gtest/gtest.h"

namespace kerbside::testing_util {

// A store in a fresh temp dir, removed at destruction.
class TempStore {
 public:
  TempStore() {
    dir_ = std::filesystem::temp_directory_path() /
           ("kerbside-oncall-test-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Reopen();
  }
  ~TempStore() {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  // Closes and opens the file again, as a restarted collector would.
  void Reopen() {
    store_.reset();
    auto s = collector::SqliteStore::Open((dir_ / "collector.db").string());
    EXPECT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }
  collector::SqliteStore* get() { return store_.get(); }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<collector::SqliteStore> store_;
};

inline correlator::Diagnosis MakeDiagnosis(const std::string& cause, const std::string& blamed,
                                           const std::string& queue = "EX01\\12") {
  correlator::Diagnosis d;
  d.senders = {"EX01"};
  d.targets = {"EX02"};
  d.blamed_host = blamed;
  correlator::QueueRef q;
  q.sender = "EX01";
  q.target = "EX02";
  q.identity = queue;
  q.status = "Retry";
  q.message_count = 37;
  d.queues.push_back(q);
  d.pattern = "1 of 1 senders fail to EX02";
  correlator::CauseResult c;
  c.cause = cause;
  c.state = correlator::CauseResult::State::kSupported;
  c.confidence = correlator::Confidence::kConfirmed;
  c.blamed_host = blamed;
  c.summary = "EX02 is 7m ahead";
  c.remediation = {"w32tm /resync /rediscover on EX02"};
  d.causes.push_back(c);
  d.sentence = "EX01 -> EX02 stuck: " + cause + " — EX02 is 7m ahead";
  return d;
}

}  // namespace kerbside::testing_util

#endif  // KERBSIDE_TESTS_COLLECTOR_STORE_TEMP_STORE_H_
