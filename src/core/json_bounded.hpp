// Private: JSON parsing for files from disk, with bounds on nesting and on the number of values.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace dsplan::detail {

inline constexpr std::uint64_t k_max_json_values = 4'000'000;

/// Parses `text`; nesting deeper than `max_depth` or more than k_max_json_values values is an
/// InputError naming `origin`, as is invalid JSON (with nlohmann's line and column).
[[nodiscard]] nlohmann::json parse_bounded(const std::string& text, const std::string& origin, int max_depth);

}  // namespace dsplan::detail
