// JSON parsing with bounded nesting and size, for file headers and config files.
#include "json_bounded.hpp"

#include "dsplan/error.hpp"

namespace dsplan::detail {

nlohmann::json parse_bounded(const std::string& text, const std::string& origin, int max_depth) {
  std::uint64_t values = 0;
  const nlohmann::json::parser_callback_t limit = [&](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
    if (depth > max_depth) throw InputError(origin + ": JSON nested deeper than " + std::to_string(max_depth) + " levels");
    if (++values > k_max_json_values)
      throw InputError(origin + ": JSON has more than " + std::to_string(k_max_json_values) + " values");
    return true;
  };
  try {
    return nlohmann::json::parse(text, limit);
  } catch (const nlohmann::json::parse_error& e) {
    // nlohmann's what() is "[json.exception.parse_error.101] parse error at line 3, column 5: ..."
    std::string what = e.what();
    const auto at = what.find("parse error");
    throw InputError(origin + ": invalid JSON: " + (at == std::string::npos ? what : what.substr(at)));
  }
}

}  // namespace dsplan::detail
