#ifndef KERBSIDE_COMMON_JSON_TEXT_H_
#define KERBSIDE_COMMON_JSON_TEXT_H_

// JSON text from nlohmann::json without its exception on invalid UTF-8: strings from the wire,
// bundles and folder names are not guaranteed UTF-8 (a host folder named in Latin-1), and
// nlohmann's dump() throws type_error 316 on them, which would end the CLI or the collector.
// Invalid bytes become U+FFFD; everything else is unchanged.

#include <string>

#include "nlohmann/json.hpp"

namespace kerbside {

// indent < 0: one line.
template <typename Json>
std::string JsonText(const Json& j, int indent = -1) {
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

}  // namespace kerbside

#endif  // KERBSIDE_COMMON_JSON_TEXT_H_
