// Number formatting for human output: one unit per kind of figure, always printed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "dsplan/base/units.hpp"

namespace dsplan::cli {

/// 1777088000 -> "1,777,088,000"
[[nodiscard]] std::string with_commas(std::uint64_t value);
/// "1 token", "4,096 tokens": the count with commas and the noun in the number it takes.
[[nodiscard]] std::string count_of(std::uint64_t n, std::string_view one, std::string_view many);
/// The runtime a GPU backend's overhead row is: "CUDA context", "ROCm (HIP) context", "Metal context".
[[nodiscard]] std::string gpu_context_label(std::string_view backend);
/// Memory figures: binary GiB, two decimals, unit attached ("34.81 GiB").
[[nodiscard]] std::string gib(Bytes bytes);
/// Download/disk figures: decimal GB, two decimals ("42.52 GB").
[[nodiscard]] std::string gb(Bytes bytes);
/// Small memory figures: MiB with two decimals.
[[nodiscard]] std::string mib(Bytes bytes);
/// Parameters in billions with two decimals ("70.55 B").
[[nodiscard]] std::string billions(std::uint64_t params);
/// Parameter counts at a readable scale: "70.55 B", "12.58 M", or the exact count below a million.
[[nodiscard]] std::string params_short(std::uint64_t params);

/// "671,026,419,712 (671.0B)"; a count under a million as is, once ("11,360").
[[nodiscard]] std::string params_full(std::uint64_t params);
/// Word-wraps `text` to `width` columns; lines after the first start with `indent`.
[[nodiscard]] std::string wrap(const std::string& text, std::size_t width, const std::string& indent);
/// Fixed decimals.
[[nodiscard]] std::string fixed(double value, int decimals);

}  // namespace dsplan::cli
