// Engine build dates ("2025-01-29"): which of an engine's build eras a speed describes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dsplan {

/// The month of llama.cpp's first commit ("Initial release", ggml-org/llama.cpp, March 2023); Ollama
/// builds on it, so no build of either engine is older.
inline constexpr std::string_view k_first_build_month = "2023-03";

/// "YYYY-MM-DD", a day that exists in its month (dates compare as strings).
[[nodiscard]] bool is_build_date(std::string_view text);

/// A user's "YYYY-MM" or "YYYY-MM-DD" as "YYYY-MM-DD" (a month alone means its first day);
/// nullopt when it is neither.
[[nodiscard]] std::optional<std::string> parse_build_date(std::string_view text);

}  // namespace dsplan
