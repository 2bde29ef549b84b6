// Human number formatting (fmt); JSON never uses these: it carries raw integers.
#include "cli/format.hpp"

#include <fmt/format.h>

#include "dsplan/base/text.hpp"

namespace dsplan::cli {

std::string with_commas(std::uint64_t value) {
  const std::string digits = std::to_string(value);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    out += digits[i];
    const std::size_t remaining = digits.size() - 1 - i;
    if (remaining > 0 && remaining % 3 == 0) out += ',';
  }
  return out;
}

std::string gib(Bytes bytes) { return fmt::format("{:.2f} GiB", bytes.gib()); }
std::string gb(Bytes bytes) { return fmt::format("{:.2f} GB", bytes.gb()); }
std::string mib(Bytes bytes) {
  return fmt::format("{:.2f} MiB", static_cast<double>(bytes.count()) / static_cast<double>(k_mib));
}
std::string billions(std::uint64_t params) {
  // DeepSeek-V4-Pro's 1.6 trillion read as "1.57 T", not "1573.00 B".
  if (params >= 1'000'000'000'000ULL) return fmt::format("{:.2f} T", static_cast<double>(params) / 1e12);
  return fmt::format("{:.2f} B", static_cast<double>(params) / 1e9);
}
std::string params_short(std::uint64_t params) {
  if (params >= 1'000'000'000ULL) return billions(params);
  if (params >= 1'000'000ULL) return fmt::format("{:.2f} M", static_cast<double>(params) / 1e6);
  return with_commas(params);
}

std::string params_full(std::uint64_t params) {
  const std::string whole = with_commas(params);
  const std::string short_form = params_short(params);
  return short_form == whole ? whole : whole + " (" + short_form + ")";
}

std::string count_of(std::uint64_t n, std::string_view one, std::string_view many) {
  return with_commas(n) + " " + std::string(plural(n, one, many));
}

std::string gpu_context_label(std::string_view backend) {
  return std::string(backend == "metal" ? "Metal" : backend == "rocm" ? "ROCm (HIP)" : "CUDA") + " context";
}

std::string fixed(double value, int decimals) { return fmt::format("{:.{}f}", value, decimals); }

std::string wrap(const std::string& text, std::size_t width, const std::string& indent) {
  std::string out, line;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      out += line + "\n";
      line = indent + word;
    } else {
      line += (line.empty() || line == indent ? "" : " ") + word;
    }
    start = end + 1;
  }
  return out + line;
}

}  // namespace dsplan::cli
