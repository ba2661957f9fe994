// RunCommand on Windows (agent/sources/command_win.cc), run under Wine. The child is this test
// program itself in one of its --child modes, so the test needs no tool Wine may lack.
#include <windows.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "agent/platform/win_util.h"
#include "agent/sources/command.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kerbside::agent {
namespace {

using ::testing::HasSubstr;

std::string Self() {
  wchar_t path[MAX_PATH];
  const DWORD n = GetModuleFileNameW(nullptr, path, MAX_PATH);
  return win::Narrow(std::wstring_view(path, n));
}

TEST(RunCommandWinTest, ExitCodeOutputAndArgumentsRoundTrip) {
  auto r = RunCommand({Self(), "--child", "echo", "two words", R"(quote"d)", R"(C:\dir\)", ""},
                      absl::Seconds(60));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 3);
  // Text-mode output, as every Windows tool writes it: CRLF (the parsers take both).
  EXPECT_EQ(r->out, "[two words]\r\n[quote\"d]\r\n[C:\\dir\\]\r\n[]\r\n");
  EXPECT_EQ(r->err, "to stderr\r\n");
}

TEST(RunCommandWinTest, DeadlineKillsTheChild) {
  const absl::Time start = absl::Now();
  auto r = RunCommand({Self(), "--child", "hang"}, absl::Seconds(2));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("killed"));
  // Generous: Wine starts a process in a few hundred ms; the child would hang for 10 minutes.
  EXPECT_LT(absl::Now() - start, absl::Seconds(60));
}

TEST(RunCommandWinTest, GrandchildCannotHoldThePipesOpen) {
  // The child starts a hanging grandchild that inherits stdout, then exits: without the job
  // object the read would wait for the grandchild.
  const absl::Time start = absl::Now();
  auto r = RunCommand({Self(), "--child", "spawn-and-exit", Self()}, absl::Seconds(120));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_LT(absl::Now() - start, absl::Seconds(60));
}

TEST(RunCommandWinTest, TooMuchOutputIsAnError) {
  auto r = RunCommand({Self(), "--child", "flood"}, absl::Seconds(60), 64 * 1024);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << r.status();
}

TEST(RunCommandWinTest, MissingProgramIsNotFound) {
  auto r = RunCommand({"kerbside-no-such-tool.exe"}, absl::Seconds(10));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound) << r.status();
}

int Child(int argc, char** argv) {
  const std::string mode = argv[2];
  if (mode == "echo") {
    for (int i = 3; i < argc; ++i) std::printf("[%s]\n", argv[i]);
    std::fprintf(stderr, "to stderr\n");
    return 3;
  }
  if (mode == "hang") {
    Sleep(600000);
    return 0;
  }
  if (mode == "flood") {
    std::string line(1023, 'x');
    for (int i = 0; i < 4096; ++i) std::printf("%s\n", line.c_str());
    return 0;
  }
  if (mode == "spawn-and-exit") {
    std::wstring cmd = win::Widen(std::string("\"") + argv[3] + "\" --child hang");
    STARTUPINFOW si{};
    si.cb = sizeof(si);
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
    si.hStdOutput = GetStdHandle(STD_OUTPUT_HANDLE);
    si.hStdError = GetStdHandle(STD_ERROR_HANDLE);
    PROCESS_INFORMATION pi{};
    if (!CreateProcessW(nullptr, cmd.data(), nullptr, nullptr, TRUE, 0, nullptr, nullptr, &si,
                        &pi)) {
      return 9;
    }
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    return 0;
  }
  return 64;
}

}  // namespace
}  // namespace kerbside::agent

int main(int argc, char** argv) {
  if (argc >= 3 && std::strcmp(argv[1], "--child") == 0) {
    return kerbside::agent::Child(argc, argv);
  }
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
