// --imatrix: the GGUF recipe's importance matrix, which changes some formats' tensor types.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"

using dsplan::test::require_usage_error;
using dsplan::test::run_cli;
using dsplan::test::run_json;

// llama-quantize without an importance matrix types the first eighth of IQ4_XS's ffn_down as Q5_K
// (176 bytes per 256 weights against 136). R1-Distill-Llama-8B: 4 of 32 blocks, 14,336 x 4,096 each.
TEST_CASE("imatrix on and off size IQ4_XS as llama-quantize writes it", "[cli][recipe]") {
  const auto plain = run_json({"estimate", "8b", "-q", "iq4_xs"});
  const auto with = run_json({"estimate", "8b", "-q", "iq4_xs", "--imatrix", "on"});
  const auto without = run_json({"estimate", "8b", "-q", "iq4_xs", "--imatrix", "off"});
  REQUIRE(plain["quant"]["imatrix"] == false);
  REQUIRE(with["quant"]["imatrix"] == true);
  REQUIRE(without["memory"]["weights_bytes"] == plain["memory"]["weights_bytes"]);
  const std::uint64_t retyped = 4ULL * 14'336 * 4'096;
  REQUIRE(plain["memory"]["weights_bytes"].get<std::uint64_t>() -
              with["memory"]["weights_bytes"].get<std::uint64_t>() ==
          retyped / 256 * (176 - 136));
  // The table says which recipe it sized, among the defaults or in the header.
  REQUIRE(run_cli({"estimate", "8b", "-q", "iq4_xs"}).out.find("imatrix: no (llama-quantize's recipe") !=
          std::string::npos);
  REQUIRE(run_cli({"estimate", "8b", "-q", "iq4_xs", "--imatrix", "on"}).out.find("IQ4_XS (gguf, imatrix)") !=
          std::string::npos);
  // A K-quant's types do not depend on it: no recipe to report.
  REQUIRE(run_json({"estimate", "8b", "-q", "q4_k_m"})["quant"]["imatrix"].is_null());
}

TEST_CASE("imatrix is refused where it cannot apply", "[cli][recipe]") {
  // The distill's native BF16 checkpoint on vLLM is a safetensors file, not quantized at all.
  require_usage_error(run_cli({"estimate", "8b", "--imatrix", "on"}), "--imatrix applies to GGUF formats, not BF16");
  require_usage_error(run_cli({"estimate", "8b", "-q", "iq4_xs", "--imatrix", "maybe"}),
                      "--imatrix: 'maybe' is not on or off");
  // compare plans the formats it does not change without it instead of refusing them.
  const auto compare = run_cli({"compare", "8b", "--gpu", "rtx4090", "--quants", "iq4_xs,native", "--imatrix", "on"});
  REQUIRE(compare.code == 0);
  REQUIRE(compare.out.find("n/a") == compare.out.find("n/a = cannot be planned"));  // the footnote only
}
