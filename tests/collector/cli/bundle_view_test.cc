// Issue 12 item 5: a host folder whose name is not UTF-8 (a Latin-1 "EXÉ01" copied from an old
// file share) crashed `kerbside bundle check --json` (nlohmann's dump throws on invalid UTF-8).
#include "collector/cli/bundle_view.h"

#include <filesystem>
#include <fstream>

#include "common/bundle/bundle_loader.h"
#include "common/json_text.h"
#include "gtest/gtest.h"

namespace kerbside::cli {
namespace {

TEST(BundleViewTest, NonUtf8HostFolderNameIsPrintedNotFatal) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("kerbside-bundle-view-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const std::string latin1_name =
      "EX\xC9"
      "01";  // "EXÉ01" in Latin-1: not UTF-8
  std::filesystem::create_directories(dir / "hosts" / latin1_name);
  std::ofstream(dir / "hosts" / latin1_name / "get-queue.json") << "[]";
  auto fleet = bundle::LoadBundle(dir.string());
  ASSERT_TRUE(fleet.ok()) << fleet.status();
  const auto json = BundleCheckToJson(dir.string(), *fleet);
  // What `bundle check --json` printed with before: it throws (and the CLI died of it).
  EXPECT_THROW((void)json.dump(2), nlohmann::json::type_error);
  std::string text;
  ASSERT_NO_THROW(text = JsonText(json, 2));
  EXPECT_NE(text.find("EX\xEF\xBF\xBD"
                      "01"),
            std::string::npos)
      << text;  // U+FFFD
  std::filesystem::remove_all(dir);
}

TEST(JsonTextTest, ValidUtf8IsUnchanged) {
  nlohmann::json j = {{"name", "D\xC3\xA9j\xC3\xA0"}};
  EXPECT_EQ(JsonText(j), "{\"name\":\"D\xC3\xA9j\xC3\xA0\"}");
}

}  // namespace
}  // namespace kerbside::cli
