// Strict parsing of numbers from the command line, with one-line errors that name the flag.
#include "cli/parse_units.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>

#include <fmt/format.h>

#include "dsplan/base/error.hpp"
#include "dsplan/base/text.hpp"

namespace dsplan::cli {

namespace {

[[noreturn]] void bad(std::string_view flag, std::string_view text, std::string_view expected) {
  throw InputError(std::string(flag) + ": '" + std::string(text) + "' is not " + std::string(expected));
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

/// Digits only -> value; false on anything else or overflow. A minus sign is taken before a zero
/// only: "-0" is 0 (docs/cli.md), "-1" stays an error.
bool digits(std::string_view s, std::uint64_t& value) {
  const bool minus = !s.empty() && s.front() == '-';
  if (minus) s.remove_prefix(1);
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  return ec == std::errc() && ptr == s.data() + s.size() && !(minus && value != 0);
}

/// A decimal number as docs/cli.md allows it: [+-]digits[.digits][e[+-]digits], at least one
/// digit before the exponent. std::stod alone also reads "0x10" (hex), "inf" and "nan".
bool is_decimal(std::string_view s) {
  std::size_t i = 0;
  const auto sign = [&] {
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  };
  const auto run = [&] {
    const std::size_t start = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    return i - start;
  };
  sign();
  std::size_t mantissa = run();
  if (i < s.size() && s[i] == '.') {
    ++i;
    mantissa += run();
  }
  if (mantissa == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    sign();
    if (run() == 0) return false;
  }
  return i == s.size();
}

void check_range(std::string_view flag, std::uint64_t v, std::uint64_t min, std::uint64_t max) {
  if (v < min || v > max)
    throw InputError(std::string(flag) + ": " + std::to_string(v) + " is out of range (" + std::to_string(min) +
                     " to " + std::to_string(max) + ")");
}

}  // namespace

std::uint64_t parse_integer(std::string_view text, std::string_view flag, std::uint64_t min, std::uint64_t max) {
  const std::string_view s = trim(text);
  std::uint64_t v = 0;
  if (!digits(s, v)) {
    std::uint64_t magnitude = 0;  // "-1": a whole number, but below every range here
    if (s.size() > 1 && s.front() == '-' && digits(s.substr(1), magnitude))
      throw InputError(std::string(flag) + ": '" + std::string(s) + "' is out of range (" + std::to_string(min) +
                       " to " + std::to_string(max) + ")");
    bad(flag, text, "a whole number");
  }
  check_range(flag, v, min, max);
  return v;
}

std::uint64_t parse_tokens(std::string_view text, std::string_view flag, std::uint64_t min, std::uint64_t max) {
  std::string_view s = trim(text);
  std::uint64_t multiplier = 1;
  if (!s.empty()) {
    const char last = static_cast<char>(std::tolower(static_cast<unsigned char>(s.back())));
    if (last == 'k') multiplier = 1024;
    if (last == 'm') multiplier = 1024 * 1024;
    if (multiplier != 1) s.remove_suffix(1);
  }
  std::uint64_t v = 0;
  const bool whole =
      !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  const bool read = digits(s, v);
  if (!read && !whole) bad(flag, text, "a token count (examples: 4096, 32k, 128k)");
  if (!read || v > max / multiplier)  // digits past 64 bits are out of range too
    throw InputError(std::string(flag) + ": '" + std::string(text) + "' is out of range (" + std::to_string(min) +
                     " to " + std::to_string(max) + ")");
  v *= multiplier;
  check_range(flag, v, min, max);
  return v;
}

double parse_number(std::string_view text, std::string_view flag, double min, double max) {
  const std::string s(trim(text));
  if (!is_decimal(s)) bad(flag, text, "a number");
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(s, &used);
  } catch (const std::exception&) {
    bad(flag, text, "a number");
  }
  if (used != s.size() || !std::isfinite(v)) bad(flag, text, "a number");
  if (v == 0) v = 0;  // -0 is 0: never print "-0 tokens/s"
  if (v < min || v > max)
    throw InputError(fmt::format("{}: {} is out of range ({} to {})", flag, s, min, max));
  return v;
}

double parse_amount(std::string_view text, std::string_view flag, double min, double max) {
  std::string_view s = trim(text);
  double scale = 1;
  if (!s.empty()) {
    switch (s.back()) {
      case 'K': case 'k': scale = 1e3; break;
      case 'M': case 'm': scale = 1e6; break;
      case 'B': case 'b': case 'G': case 'g': scale = 1e9; break;
      case 'T': case 't': scale = 1e12; break;
      default: break;
    }
  }
  if (scale != 1) s.remove_suffix(1);
  // One range in every message: the number is read without bounds, then the amount is checked.
  const double value =
      parse_number(s, flag, -std::numeric_limits<double>::max(), std::numeric_limits<double>::max()) * scale;
  if (!(value >= min && value <= max))
    throw InputError(fmt::format("{}: {} is out of range ({} to {})", flag, trim(text), min, max));
  return value;
}

Bytes parse_size(std::string_view text, std::string_view flag) {
  return parse_size(text, flag, Bytes(1), "1 byte", "");
}

Bytes parse_size(std::string_view text, std::string_view flag, Bytes min, std::string_view min_text,
                 std::string_view why) {
  const std::string_view s = trim(text);
  std::size_t split = !s.empty() && s.front() == '-' ? 1 : 0;  // "-0" is 0, refused by the byte range below
  while (split < s.size() && (std::isdigit(static_cast<unsigned char>(s[split])) || s[split] == '.')) ++split;
  const std::string number(s.substr(0, split));
  const std::string unit = to_lower(trim(s.substr(split)));
  double scale = 0;
  if (unit.empty() || unit == "gib" || unit == "gi") scale = static_cast<double>(k_gib);
  else if (unit == "gb" || unit == "g") scale = static_cast<double>(k_gb);
  else if (unit == "mib" || unit == "mi") scale = static_cast<double>(k_mib);
  else if (unit == "mb" || unit == "m") scale = static_cast<double>(k_mb);
  else if (unit == "tib" || unit == "ti") scale = static_cast<double>(k_tib);
  else if (unit == "tb" || unit == "t") scale = static_cast<double>(k_tb);
  else if (unit == "pib" || unit == "pi") scale = static_cast<double>(k_pib);
  else if (unit == "pb" || unit == "p") scale = static_cast<double>(k_pb);
  else if (unit == "b") scale = 1;
  else bad(flag, text, "a size (examples: 24 = 24 GiB, 24GiB, 80GB, 512MiB)");
  if (number.empty() || number == "-") bad(flag, text, "a size (examples: 24 = 24 GiB, 24GiB, 80GB, 512MiB)");
  const double value = parse_number(number, flag, -1e18, 1e18) * scale;  // the byte range below decides
  if (value < static_cast<double>(min.count()) || value > static_cast<double>(k_pib))
    throw InputError(std::string(flag) + ": '" + std::string(text) + "' is out of range (" + std::string(min_text) +
                     " to 1 PiB" + (why.empty() || value > static_cast<double>(k_pib) ? "" : ": " + std::string(why)) +
                     ")");
  return Bytes(static_cast<std::uint64_t>(std::llround(value)));
}

}  // namespace dsplan::cli
