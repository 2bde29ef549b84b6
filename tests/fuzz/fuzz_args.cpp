// libFuzzer harness: an argument vector from a byte stream, through the whole CLI in-process.
// Tokens are separated by NUL or newline. The contract under test (docs/cli.md): exit 0-3 only,
// 3 never (a bug), and on exit 2 nothing on stdout and exactly one line on stderr.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "cli/run.hpp"

namespace {

std::vector<std::string> split_args(const std::uint8_t* data, std::size_t size) {
  constexpr std::size_t k_max_args = 64;  // real command lines are short; keeps each run fast
  std::vector<std::string> args(1);
  for (std::size_t i = 0; i < size && args.size() <= k_max_args; ++i) {
    const char c = static_cast<char>(data[i]);
    if (c == '\0' || c == '\n') args.emplace_back();
    else args.back() += c;
  }
  if (args.size() > k_max_args) args.resize(k_max_args);
  return args;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto args = split_args(data, size);
  std::ostringstream out, err;
  const int code = dsplan::cli::run(args, out, err, dsplan::cli::Env{});
  if (code < 0 || code > 3 || code == 3) std::abort();
  if (code == 2) {
    const std::string e = err.str();
    if (!out.str().empty() || e.empty() || e.back() != '\n' || e.find('\n') != e.size() - 1) std::abort();
  }
  return 0;
}
