// Enum name tables: one row per value (value, spelling, help) that parsers, printers and shell
// completions share, so an enum's spellings live in one place.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "dsplan/base/error.hpp"

namespace dsplan {

template <typename E>
struct EnumName {
  E value;
  std::string_view name;  ///< the spelling in the catalog, on the command line and in JSON
  std::string_view help;  ///< one line for --help and completions
};

/// The spelling of `value` in `table`; a value missing from its table is a bug.
template <typename E>
[[nodiscard]] std::string_view name_in(std::span<const EnumName<E>> table, E value) {
  for (const auto& row : table)
    if (row.value == value) return row.name;
  throw InternalError("enum value without a name");
}

/// The value spelled `name`, or nullopt.
template <typename E>
[[nodiscard]] std::optional<E> parse_name(std::span<const EnumName<E>> table, std::string_view name) {
  for (const auto& row : table)
    if (row.name == name) return row.value;
  return std::nullopt;
}

/// "a, b or c": the spellings, for an error message that lists what is accepted.
template <typename E>
[[nodiscard]] std::string names_list(std::span<const EnumName<E>> table) {
  std::string out;
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (i > 0) out += i + 1 == table.size() ? " or " : ", ";
    out += table[i].name;
  }
  return out;
}

}  // namespace dsplan
