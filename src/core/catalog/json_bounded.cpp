// JSON parsing with bounded nesting and size, for file headers and config files.
#include "core/catalog/json_bounded.hpp"

#include "dsplan/base/error.hpp"

namespace dsplan::detail {

std::string json_error_text(const nlohmann::json::exception& e) {
  const std::string what = e.what();
  const auto bracket = what.find("] ");
  return bracket == std::string::npos ? what : what.substr(bracket + 2);
}

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
  } catch (const nlohmann::json::exception& e) {  // syntax errors and numbers beyond a double alike
    throw InputError(origin + ": invalid JSON: " + json_error_text(e));
  }
}

}  // namespace dsplan::detail
