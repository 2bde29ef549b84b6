// JSON null for an absent value: one helper for every renderer (docs/cli.md: absent figures are null).
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

namespace dsplan::cli {

template <typename T>
[[nodiscard]] nlohmann::ordered_json json_or_null(const std::optional<T>& v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

/// A catalog figure where 0 stands for "not published" (a GPU's TDP, a CPU's cores): null then.
template <typename T>
[[nodiscard]] nlohmann::ordered_json positive_or_null(T v) {
  return v > 0 ? nlohmann::ordered_json(v) : nlohmann::ordered_json(nullptr);
}

}  // namespace dsplan::cli
