// The overflow error of the checked integer arithmetic in units.hpp.
#include "dsplan/base/units.hpp"

#include <cmath>

#include <string>

#include "dsplan/base/error.hpp"

namespace dsplan {

void throw_overflow(std::string_view what) {
  throw OverflowError("arithmetic overflow computing " + std::string(what) +
                      ": the request is too large to represent in 64-bit bytes");
}

std::uint64_t round_up(std::uint64_t a, std::uint64_t b, std::string_view what) {
  return checked_mul(ceil_div(a, b), b, what);
}

namespace {
// 2^64 as a double; every double below it converts to uint64 exactly after rounding.
constexpr double k_two_to_64 = 18446744073709551616.0;

std::uint64_t to_count(double v, std::string_view what) {
  if (std::isnan(v) || v >= k_two_to_64) throw_overflow(what);
  return v <= 0 ? 0 : static_cast<std::uint64_t>(v);
}
}  // namespace

std::uint64_t checked_ceil(double v, std::string_view what) { return to_count(std::ceil(v), what); }
std::uint64_t checked_floor(double v, std::string_view what) { return to_count(std::floor(v), what); }

}  // namespace dsplan
