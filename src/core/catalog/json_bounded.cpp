// JSON parsing with bounded nesting and size, for file headers and config files.
#include "core/catalog/json_bounded.hpp"

#include <set>
#include <vector>

#include "dsplan/base/error.hpp"

namespace dsplan::detail {

std::string json_error_text(const nlohmann::json::exception& e) {
  const std::string what = e.what();
  const auto bracket = what.find("] ");
  return bracket == std::string::npos ? what : what.substr(bracket + 2);
}

namespace {

/// The first key an object of `text` (valid JSON, known to repeat one) names twice: parsed again
/// keeping each open object's keys, which the first parse does not pay for.
std::string repeated_key(const std::string& text) {
  std::vector<std::set<std::string>> open;
  std::string found;
  const nlohmann::json::parser_callback_t track = [&](int, nlohmann::json::parse_event_t event,
                                                      nlohmann::json& parsed) {
    using E = nlohmann::json::parse_event_t;
    if (event == E::object_start) open.emplace_back();
    if (event == E::object_end && !open.empty()) open.pop_back();
    if (event == E::key && !open.empty() && !open.back().insert(parsed.get<std::string>()).second && found.empty())
      found = parsed.get<std::string>();
    return true;
  };
  const nlohmann::json again = nlohmann::json::parse(text, track);  // parsed for its keys
  return found;
}

}  // namespace

nlohmann::json parse_bounded(const std::string& text, const std::string& origin, int max_depth) {
  std::uint64_t values = 0;
  // Keys read per open object: nlohmann keeps the last of a repeated key, so an object with fewer
  // members than keys read repeats one, which a reader would take either way (safetensors refuses).
  std::vector<std::uint64_t> keys;
  bool repeats = false;
  const nlohmann::json::parser_callback_t limit = [&](int depth, nlohmann::json::parse_event_t event,
                                                      nlohmann::json& parsed) {
    using E = nlohmann::json::parse_event_t;
    if (depth > max_depth)
      throw InputError(origin + ": JSON nested deeper than " + std::to_string(max_depth) + " levels");
    if (++values > k_max_json_values)
      throw InputError(origin + ": JSON has more than " + std::to_string(k_max_json_values) + " values");
    if (event == E::object_start) keys.push_back(0);
    if (event == E::key && !keys.empty()) ++keys.back();
    if (event == E::object_end && !keys.empty()) {
      repeats = repeats || parsed.size() != keys.back();
      keys.pop_back();
    }
    return true;
  };
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text, limit);
  } catch (const nlohmann::json::exception& e) {  // syntax errors and numbers beyond a double alike
    throw InputError(origin + ": invalid JSON: " + json_error_text(e));
  }
  if (repeats)
    throw InputError(origin + ": key '" + repeated_key(text).substr(0, 128) + "' appears twice in one object");
  return doc;
}

}  // namespace dsplan::detail
