// resolve_scenario: defaults from the catalog, and requests the model or engine cannot honour.
#include <catch2/catch.hpp>

#include "dsplan/base/error.hpp"
#include "dsplan/scenario/scenario.hpp"
#include "test_support.hpp"

using namespace dsplan;
using dsplan::test::catalog;

namespace {
Scenario scenario(const char* model, const char* quant = "", const char* engine = "") {
  Scenario s;
  s.model = model;
  s.quant = quant;
  s.engine = engine;
  return s;
}
}  // namespace

TEST_CASE("defaults: a GGUF format runs on llama.cpp with an f16 cache in a GGUF file", "[scenario]") {
  const ResolvedScenario r = resolve_scenario(catalog(), scenario("70b", "q4_k_m"));
  REQUIRE(r.model->id == "r1-distill-llama-70b");  // the alias
  REQUIRE(r.engine->id == "llama.cpp");
  REQUIRE(r.kv_type->id == "f16");
  REQUIRE(r.layout.container == "gguf");
  REQUIRE(r.context == k_default_context);
}

TEST_CASE("without a format, the model's published one", "[scenario]") {
  const ResolvedScenario r = resolve_scenario(catalog(), scenario("deepseek-r1"));
  REQUIRE(r.quant->id == r.model->native_quant);
  REQUIRE(r.quant->id == "fp8");  // DeepSeek-R1 is published in FP8 (config.json quantization_config)
}

TEST_CASE("MTP drafting needs a model with the module and an engine that drafts with it", "[scenario]") {
  auto dense = scenario("70b", "q4_k_m");
  dense.speculative_tokens = 1;
  REQUIRE_THROWS_AS(resolve_scenario(catalog(), dense), InputError);
  auto llama = scenario("deepseek-r1", "q4_k_m", "llama.cpp");
  llama.speculative_tokens = 1;
  REQUIRE_THROWS_AS(resolve_scenario(catalog(), llama), InputError);
  auto sglang = scenario("deepseek-r1", "fp8", "sglang");
  sglang.speculative_tokens = 1;
  REQUIRE(resolve_scenario(catalog(), sglang).speculative_tokens == 1);
  sglang.speculative_tokens = 9;  // past the modelled range
  REQUIRE_THROWS_AS(resolve_scenario(catalog(), sglang), InputError);
}

TEST_CASE("the legacy MLA GGUF flag applies to MLA models in GGUF only", "[scenario]") {
  auto dense = scenario("70b", "q4_k_m");
  dense.legacy_mla_gguf = true;
  REQUIRE_THROWS_AS(resolve_scenario(catalog(), dense), InputError);
  auto r1 = scenario("deepseek-r1", "q4_k_m");
  r1.legacy_mla_gguf = true;
  REQUIRE(resolve_scenario(catalog(), r1).layout.legacy_mla_gguf);
}
