// The registry policy store (agent/platform/policy_store_win.cc) under Wine: real registry
// writes in the test's own Wine prefix, read back through the store, applied over the flags.
#include <windows.h>

#include <chrono>
#include <future>
#include <thread>

#include "absl/strings/str_cat.h"
#include "agent/config_policy.h"
#include "agent/platform/policy_store.h"
#include "agent/platform/win_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kerbside::agent::platform {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A key of this test run's own under the real policy root, removed afterwards.
class PolicyStoreWinTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = absl::StrCat(R"(SOFTWARE\Policies\KerbsideTest\Agent)", GetCurrentProcessId());
    ASSERT_EQ(RegCreateKeyExW(HKEY_LOCAL_MACHINE, win::Widen(path_).c_str(), 0, nullptr, 0,
                              KEY_ALL_ACCESS | KEY_WOW64_64KEY, nullptr, &key_, nullptr),
              ERROR_SUCCESS);
  }
  void TearDown() override {
    RegCloseKey(key_);
    RegDeleteKeyExW(HKEY_LOCAL_MACHINE, win::Widen(path_).c_str(), KEY_WOW64_64KEY, 0);
  }
  void SetString(const wchar_t* name, const std::wstring& v, DWORD type = REG_SZ) {
    ASSERT_EQ(RegSetValueExW(key_, name, 0, type, reinterpret_cast<const BYTE*>(v.c_str()),
                             static_cast<DWORD>((v.size() + 1) * sizeof(wchar_t))),
              ERROR_SUCCESS);
  }
  void SetMulti(const wchar_t* name, const std::wstring& double_nul_terminated) {
    ASSERT_EQ(RegSetValueExW(key_, name, 0, REG_MULTI_SZ,
                             reinterpret_cast<const BYTE*>(double_nul_terminated.data()),
                             static_cast<DWORD>(double_nul_terminated.size() * sizeof(wchar_t))),
              ERROR_SUCCESS);
  }
  void SetDword(const wchar_t* name, DWORD v) {
    ASSERT_EQ(
        RegSetValueExW(key_, name, 0, REG_DWORD, reinterpret_cast<const BYTE*>(&v), sizeof(v)),
        ERROR_SUCCESS);
  }

  std::string path_;
  HKEY key_ = nullptr;
};

TEST_F(PolicyStoreWinTest, MissingKeyMeansNoPolicy) {
  auto store = MakePolicyStore(R"(SOFTWARE\Policies\KerbsideTest\NoSuchKey)");
  auto values = store->Read();
  ASSERT_TRUE(values.ok()) << values.status();
  EXPECT_TRUE(values->empty());
}

TEST_F(PolicyStoreWinTest, ReadsEveryTypeAndPolicyWinsOverTheFile) {
  SetString(L"collector", L"kerbside.contoso.com:7443");
  SetString(L"host_folder", L"%SystemRoot%\\kerbside", REG_EXPAND_SZ);
  SetMulti(L"kdc", std::wstring(L"dc01.contoso.com\0dc02.contoso.com\0\0", 35));
  SetDword(L"probe_kpasswd", 0);
  auto store = MakePolicyStore(path_);
  EXPECT_EQ(store->origin(), "HKLM\\" + path_);
  auto values = store->Read();
  ASSERT_TRUE(values.ok()) << values.status();
  ASSERT_EQ(values->size(), 4u);

  AgentFlags f;
  f.collector = "from-the-file:7443";
  f.kdcs = {"dc9.contoso.com"};
  ASSERT_TRUE(ApplyPolicy(*values, store->origin(), &f).ok());
  EXPECT_EQ(f.collector, "kerbside.contoso.com:7443");
  EXPECT_THAT(f.kdcs, ElementsAre("dc01.contoso.com", "dc02.contoso.com"));
  EXPECT_FALSE(f.probe_kpasswd);
  // Expanded as the service would see it; Wine's %SystemRoot% is C:\windows.
  EXPECT_THAT(f.host_folder, HasSubstr("\\kerbside"));
  EXPECT_EQ(f.host_folder.find('%'), std::string::npos) << f.host_folder;
}

TEST_F(PolicyStoreWinTest, UnknownValueAndBadTypeAreReportedByName) {
  SetString(L"colector", L"typo:1");
  auto store = MakePolicyStore(path_);
  auto values = store->Read();
  ASSERT_TRUE(values.ok());
  AgentFlags f;
  absl::Status s = ApplyPolicy(*values, store->origin(), &f);
  EXPECT_THAT(s.message(), HasSubstr("Agent" + std::to_string(GetCurrentProcessId()) +
                                     "\\colector: not a setting"));
  RegDeleteValueW(key_, L"colector");
  const BYTE blob[3] = {1, 2, 3};
  ASSERT_EQ(RegSetValueExW(key_, L"collector", 0, REG_BINARY, blob, 3), ERROR_SUCCESS);
  values = store->Read();
  EXPECT_THAT(values.status().message(), HasSubstr("collector: registry type 3"));
}

TEST_F(PolicyStoreWinTest, OversizedDataIsRefused) {
  SetString(L"collector", std::wstring(40000, L'x'));
  auto values = MakePolicyStore(path_)->Read();
  EXPECT_EQ(values.status().code(), absl::StatusCode::kResourceExhausted) << values.status();
}

TEST_F(PolicyStoreWinTest, ChangeWakesTheWatcherAndCancelStopsIt) {
  auto store = MakePolicyStore(path_);
  auto changed = std::async(std::launch::async, [&] { return store->WaitForChange(); });
  // The watch is armed inside WaitForChange; write until it has seen a change.
  for (int i = 0;
       i < 100 && changed.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready;
       ++i) {
    SetString(L"site", L"HQ" + std::to_wstring(i));
  }
  ASSERT_EQ(changed.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  EXPECT_TRUE(changed.get());

  auto cancelled = std::async(std::launch::async, [&] { return store->WaitForChange(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  store->Cancel();
  ASSERT_EQ(cancelled.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_FALSE(cancelled.get());
}

}  // namespace
}  // namespace kerbside::agent::platform
