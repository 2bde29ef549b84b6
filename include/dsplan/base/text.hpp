// Text helpers: lower-casing, joining, and closest_names() for "did you mean" suggestions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dsplan {

/// Case-insensitive Levenshtein distance.
[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b);

/// Up to `limit` candidates closest to `query`: edit distance <= max(2, |query|/3), or the
/// candidate contains the query. Best first; ties keep candidate order. (ninja SpellcheckStringV.)
[[nodiscard]] std::vector<std::string> closest_names(std::string_view query,
                                                     const std::vector<std::string>& candidates,
                                                     std::size_t limit = 4);

/// ASCII lower-case copy.
[[nodiscard]] std::string to_lower(std::string_view s);

/// `s` with control characters (ESC, BEL, NUL, ...; newline and tab too) shown as \xHH, so text
/// read from a file or a catalog never reaches a terminal raw.
[[nodiscard]] std::string printable(std::string_view s);

/// `s` as one shell word: unchanged when it holds only characters no shell treats specially,
/// else in single quotes (a quote inside written '\''; control characters shown as \xHH).
[[nodiscard]] std::string shell_word(std::string_view s);

/// Items joined with `separator`.
/// True when `list` holds `value`.
[[nodiscard]] bool contains(const std::vector<std::string>& list, std::string_view value);

/// The noun for a count: plural(1, "GPU", "GPUs") is "GPU".
[[nodiscard]] inline std::string_view plural(std::uint64_t n, std::string_view one, std::string_view many) {
  return n == 1 ? one : many;
}

[[nodiscard]] std::string join(const std::vector<std::string>& items, std::string_view separator = ", ");

}  // namespace dsplan
