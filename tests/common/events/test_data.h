#ifndef KERBSIDE_TESTS_COMMON_EVENTS_TEST_DATA_H_
#define KERBSIDE_TESTS_COMMON_EVENTS_TEST_DATA_H_

#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace kerbside::events::testing {

// A file under tests/data/events/, as it is on disk (the samples are UTF-8).
inline std::string ReadEventData(const std::string& name) {
  std::ifstream in(std::string(KERBSIDE_TEST_DATA) + "/events/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace kerbside::events::testing

#endif  // KERBSIDE_TESTS_COMMON_EVENTS_TEST_DATA_H_
