// Units: Bytes, ParamCount and the decimal/binary prefixes; checked integer arithmetic.
#pragma once

#include <compare>
#include <cstdint>
#include <limits>
#include <string_view>

namespace dsplan {

// Binary prefixes (IEC): memory is built from binary-sized chips, so device memory prints in GiB.
inline constexpr std::uint64_t k_kib = 1024ULL;
inline constexpr std::uint64_t k_mib = 1024ULL * k_kib;
inline constexpr std::uint64_t k_gib = 1024ULL * k_mib;
inline constexpr std::uint64_t k_tib = 1024ULL * k_gib;
inline constexpr std::uint64_t k_pib = 1024ULL * k_tib;
// Decimal prefixes (SI): download sizes, bandwidth and marketing capacities.
inline constexpr std::uint64_t k_kb = 1000ULL;
inline constexpr std::uint64_t k_mb = 1000ULL * k_kb;
inline constexpr std::uint64_t k_gb = 1000ULL * k_mb;
inline constexpr std::uint64_t k_tb = 1000ULL * k_gb;
inline constexpr std::uint64_t k_pb = 1000ULL * k_tb;

/// Throws OverflowError (an InputError: the request is too large to represent).
[[noreturn]] void throw_overflow(std::string_view what);

/// a + b and a * b that throw OverflowError instead of wrapping around.
[[nodiscard]] inline std::uint64_t checked_add(std::uint64_t a, std::uint64_t b, std::string_view what) {
  std::uint64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) throw_overflow(what);
  return r;
}
[[nodiscard]] inline std::uint64_t checked_mul(std::uint64_t a, std::uint64_t b, std::string_view what) {
  std::uint64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) throw_overflow(what);
  return r;
}
/// ceil(v) and floor(v) of a non-negative figure as a whole count (negative gives 0); throw
/// OverflowError when v is not finite or beyond 2^64 (casting such a double is undefined).
[[nodiscard]] std::uint64_t checked_ceil(double v, std::string_view what);
[[nodiscard]] std::uint64_t checked_floor(double v, std::string_view what);
/// ceil(a / b) for b > 0.
[[nodiscard]] constexpr std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) { return a / b + (a % b != 0 ? 1 : 0); }
/// a rounded up to a multiple of b (b > 0).
[[nodiscard]] std::uint64_t round_up(std::uint64_t a, std::uint64_t b, std::string_view what);

/// A byte count. Integers only: fractional bytes do not exist in memory or on disk.
class Bytes {
 public:
  constexpr Bytes() = default;
  constexpr explicit Bytes(std::uint64_t value) : m_value(value) {}
  [[nodiscard]] constexpr std::uint64_t count() const { return m_value; }
  [[nodiscard]] double gib() const { return static_cast<double>(m_value) / static_cast<double>(k_gib); }
  [[nodiscard]] double gb() const { return static_cast<double>(m_value) / static_cast<double>(k_gb); }
  Bytes& operator+=(Bytes other) {
    m_value = checked_add(m_value, other.m_value, "byte count");
    return *this;
  }
  friend Bytes operator+(Bytes a, Bytes b) { return a += b; }
  friend Bytes operator*(Bytes a, std::uint64_t n) { return Bytes(checked_mul(a.m_value, n, "byte count")); }
  friend constexpr auto operator<=>(Bytes, Bytes) = default;

 private:
  std::uint64_t m_value = 0;
};

/// A number of parameters (weights), exact.
class ParamCount {
 public:
  constexpr ParamCount() = default;
  constexpr explicit ParamCount(std::uint64_t value) : m_value(value) {}
  [[nodiscard]] constexpr std::uint64_t count() const { return m_value; }
  ParamCount& operator+=(ParamCount other) {
    m_value = checked_add(m_value, other.m_value, "parameter count");
    return *this;
  }
  friend ParamCount operator+(ParamCount a, ParamCount b) { return a += b; }
  friend constexpr auto operator<=>(ParamCount, ParamCount) = default;

 private:
  std::uint64_t m_value = 0;
};

}  // namespace dsplan
