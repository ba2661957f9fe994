#ifndef KERBSIDE_TESTS_COMMON_EXCHANGE_TEST_DATA_H_
#define KERBSIDE_TESTS_COMMON_EXCHANGE_TEST_DATA_H_

#include <fstream>
#include <sstream>
#include <string>

#include "common/text/decode.h"
#include "gtest/gtest.h"

namespace kerbside::exchange::testing {

// A file under tests/data/exchange/, decoded as a bundle loader would (UTF-16 etc.).
inline std::string ReadExchangeData(const std::string& name) {
  std::ifstream in(std::string(KERBSIDE_TEST_DATA) + "/exchange/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  auto decoded = text::DecodeToUtf8(ss.str(), name);
  EXPECT_TRUE(decoded.ok()) << decoded.status();
  return decoded.ok() ? decoded->text : "";
}

}  // namespace kerbside::exchange::testing

#endif  // KERBSIDE_TESTS_COMMON_EXCHANGE_TEST_DATA_H_
