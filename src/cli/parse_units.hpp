// Parsing of user numbers: token counts ("32k"), integers, sizes ("24", "24GiB", "80GB"), fractions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "dsplan/base/error.hpp"
#include "dsplan/base/names.hpp"
#include "dsplan/base/units.hpp"

namespace dsplan::cli {

/// One of an enum's spellings (its name table), else an InputError listing them.
template <typename E>
[[nodiscard]] E parse_choice(std::span<const EnumName<E>> table, const std::string& text, std::string_view flag) {
  if (const auto v = parse_name<E>(table, text)) return *v;
  throw InputError(std::string(flag) + ": '" + text + "' is not one of " + names_list<E>(table));
}

/// The spellings separated by spaces (shell completion word lists).
template <typename E>
[[nodiscard]] std::string spellings(std::span<const EnumName<E>> table) {
  std::string out;
  for (const auto& row : table) out += (out.empty() ? "" : " ") + std::string(row.name);
  return out;
}

/// Token counts: digits with an optional k (x1024) or m (x1024^2) suffix, the way context
/// windows are named ("128k" = 131,072). Throws InputError naming `flag` when malformed or
/// outside [min, max].
[[nodiscard]] std::uint64_t parse_tokens(std::string_view text, std::string_view flag, std::uint64_t min,
                                         std::uint64_t max);

/// Plain non-negative integers (digits only) in [min, max].
[[nodiscard]] std::uint64_t parse_integer(std::string_view text, std::string_view flag, std::uint64_t min,
                                          std::uint64_t max);

/// Memory sizes. GB/G = 10^9 bytes, GiB/Gi = 2^30 (likewise K, M, T); a bare number is GiB,
/// as `--help` says (ccache's parse_size convention). Must be > 0 and < 1 PiB.
[[nodiscard]] Bytes parse_size(std::string_view text, std::string_view flag);
/// The same with a least size other than 1 byte, whose range the message gives ("64 MiB to 1 PiB"):
/// `min_text` names it and `why` says why it is the least.
[[nodiscard]] Bytes parse_size(std::string_view text, std::string_view flag, Bytes min, std::string_view min_text,
                               std::string_view why);

/// Amounts of tokens or money counted in powers of ten: a number with an optional K (10^3), M
/// (10^6), B or G (10^9) or T (10^12) suffix, any case: "2M" tokens per day, "14.8T" training
/// tokens, "2e9". (Context windows use parse_tokens, where k = 1,024.)
[[nodiscard]] double parse_amount(std::string_view text, std::string_view flag, double min, double max);

/// A finite decimal number in [min, max].
[[nodiscard]] double parse_number(std::string_view text, std::string_view flag, double min, double max);

}  // namespace dsplan::cli
