// Catalog lookups: exact ids, names and aliases; the loose form people type (display names, spaces, dashes).
#include <catch2/catch.hpp>

#include "dsplan/base/error.hpp"
#include "test_support.hpp"

using dsplan::test::catalog;

TEST_CASE("GPUs are found by the name 'dsplan list gpus' prints and by loose spellings", "[catalog]") {
  const auto& cat = catalog();
  // data/gpus.json: rtx4090's name is "NVIDIA GeForce RTX 4090"; h100-sxm has the alias h100-80g.
  REQUIRE(cat.find_gpu("RTX 4090") == &cat.require_gpu("rtx4090"));
  REQUIRE(cat.find_gpu("GeForce RTX 4090") == &cat.require_gpu("rtx4090"));
  REQUIRE(cat.find_gpu("nvidia geforce rtx 4090") == &cat.require_gpu("rtx4090"));
  REQUIRE(cat.find_gpu("h100-80gb") == &cat.require_gpu("h100-sxm"));
  REQUIRE(cat.find_gpu("H100 80GB") == &cat.require_gpu("h100-sxm"));
  REQUIRE(cat.find_gpu("RTX_3090") == &cat.require_gpu("rtx3090"));
}

TEST_CASE("a loose spelling that names two entries finds neither", "[catalog]") {
  const auto& cat = catalog();
  // "a100" is an alias of a100-80g (exact match wins); "A100 80" loosely is "a10080", the alias
  // a100-80 of a100-80g only, so it is found; "rtx 30" names nothing.
  REQUIRE(cat.find_gpu("a100") == &cat.require_gpu("a100-80g"));
  REQUIRE(cat.find_gpu("A100 80") == &cat.require_gpu("a100-80g"));
  REQUIRE(cat.find_gpu("rtx 30") == nullptr);
  REQUIRE_THROWS_AS(cat.require_gpu("rtx 30"), dsplan::InputError);
}

TEST_CASE("quant formats and models are found loosely too", "[catalog]") {
  const auto& cat = catalog();
  REQUIRE(cat.find_quant("Q4-K-M") == &cat.require_quant("q4_k_m"));
  REQUIRE(cat.find_model("DeepSeek R1 Distill Llama 70B") == &cat.require_model("r1-distill-llama-70b"));
}

TEST_CASE("a quant named by its bits gets a hint", "[catalog]") {
  // Unsloth's "1.58-bit" DeepSeek-R1 files are UD-IQ1_S (unsloth.ai/blog/deepseekr1-dynamic): a
  // catalog format now, under that alias. Other bit names get the hint.
  REQUIRE(catalog().require_quant("1.58bit").id == "ud-iq1_s");
  REQUIRE_THROWS_WITH(catalog().require_quant("2-bit"), Catch::Contains("iq2_xxs"));
}
