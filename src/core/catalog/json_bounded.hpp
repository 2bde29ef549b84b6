// Private: JSON parsing for files from disk, with bounds on nesting and on the number of values.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace dsplan::detail {

inline constexpr std::uint64_t k_max_json_values = 4'000'000;

/// nlohmann's message without its "[json.exception.parse_error.101] " tag: "parse error at line
/// 3, column 5: ..." or, for a number beyond a double (1e400), "number overflow parsing '1e400'".
[[nodiscard]] std::string json_error_text(const nlohmann::json::exception& e);

/// Parses `text`; nesting deeper than `max_depth` or more than k_max_json_values values is an
/// InputError naming `origin`, as is invalid JSON (with nlohmann's line and column).
[[nodiscard]] nlohmann::json parse_bounded(const std::string& text, const std::string& origin, int max_depth);

}  // namespace dsplan::detail
