// Engine build dates: strict YYYY-MM-DD, so that dates order as strings.
#include "dsplan/base/build_date.hpp"

#include <cctype>

namespace dsplan {
namespace {

bool digits(std::string_view s) {
  for (const char c : s)
    if (std::isdigit(static_cast<unsigned char>(c)) == 0) return false;
  return true;
}

int two_digits(std::string_view s) { return (s[0] - '0') * 10 + (s[1] - '0'); }

}  // namespace

bool is_build_date(std::string_view t) {
  if (t.size() != 10 || t[4] != '-' || t[7] != '-') return false;
  if (!digits(t.substr(0, 4)) || !digits(t.substr(5, 2)) || !digits(t.substr(8, 2))) return false;
  const int year = two_digits(t.substr(0, 2)) * 100 + two_digits(t.substr(2, 2));
  const int month = two_digits(t.substr(5, 2));
  const int day = two_digits(t.substr(8, 2));
  if (month < 1 || month > 12 || day < 1) return false;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  constexpr int k_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return day <= k_days[month - 1] + (month == 2 && leap ? 1 : 0);
}

std::optional<std::string> parse_build_date(std::string_view t) {
  std::string date(t);
  if (date.size() == 7) date += "-01";
  if (!is_build_date(date)) return std::nullopt;
  return date;
}

}  // namespace dsplan
