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

// unsloth's later dynamic quants have no published per-tensor recipe (docs/validation.md 2.7):
// asking for one names the file, what was published of its size, and how to read its header.
TEST_CASE("a UD file without a published recipe is refused with its Hub location", "[scenario]") {
  try {
    (void)resolve_scenario(catalog(), scenario("r1-0528", "ud-q3_k_xl"));
    FAIL("expected an InputError");
  } catch (const InputError& e) {
    const std::string what = e.what();
    REQUIRE_THAT(what, Catch::Contains("hf:unsloth/DeepSeek-R1-0528-GGUF/UD-Q3_K_XL/"));
    REQUIRE_THAT(what, Catch::Contains("275.576 GiB"));  // ik_llama.cpp PR #645's load log
    REQUIRE_THAT(what, Catch::Contains("%model_file%"));
  }
  // "1.58bit" is the January R1 file; R1-0528's UD-IQ1_S is another, unpublished recipe.
  REQUIRE_THROWS_WITH(resolve_scenario(catalog(), scenario("r1-0528", "1.58bit")),
                      Catch::Contains("DeepSeek-R1-0528-GGUF/UD-IQ1_S/"));
  // Without the "ud-" prefix too, and by name for a model that has no such file.
  REQUIRE_THROWS_WITH(resolve_scenario(catalog(), scenario("v3.1", "q2_k_xl")),
                      Catch::Contains("DeepSeek-V3.1-GGUF/UD-Q2_K_XL/"));
  REQUIRE_THROWS_WITH(resolve_scenario(catalog(), scenario("r1", "ud-q4_k_xl")),
                      Catch::Contains("deepseek-r1-0528, deepseek-v3-0324, deepseek-v3.1"));
  // A model with neither a format nor a listed file keeps the plain refusal.
  REQUIRE_THROWS_WITH(resolve_scenario(catalog(), scenario("v3", "ud-iq1_s")),
                      Catch::Contains("published file of deepseek-r1 only, not of deepseek-v3"));
}

TEST_CASE("a UD name asked of a model with its own recipe of that file takes that recipe", "[scenario]") {
  const ResolvedScenario r = resolve_scenario(catalog(), scenario("v3-0324", "ud-iq2_xxs"));
  REQUIRE(r.quant->id == "ud-iq2_xxs-v3-0324");
  REQUIRE(r.defaults_applied.front() == "quant: ud-iq2_xxs-v3-0324 (deepseek-v3-0324's own ud-iq2_xxs recipe)");
  REQUIRE(resolve_scenario(catalog(), scenario("r1", "ud-iq2_xxs")).quant->id == "ud-iq2_xxs");
}

// --no-op-offload is llama.cpp's switch (PR #13386): the fork has its own offload rule and option,
// which dsplan does not plan, and the serving engines keep no weights in RAM for a prompt.
TEST_CASE("no-op-offload is taken by the engines whose catalog entry names its flags", "[scenario]") {
  auto llama = scenario("deepseek-r1", "q4_k_m", "llama.cpp");
  llama.no_op_offload = true;
  REQUIRE_FALSE(resolve_scenario(catalog(), llama).op_offload);
  REQUIRE(resolve_scenario(catalog(), scenario("deepseek-r1", "q4_k_m", "llama.cpp")).op_offload);
  for (const char* engine : {"ik_llama.cpp", "ollama"}) {
    auto other = scenario("deepseek-r1", "q4_k_m", engine);
    other.no_op_offload = true;
    REQUIRE_THROWS_AS(resolve_scenario(catalog(), other), InputError);
  }
  auto vllm = scenario("70b", "fp8", "vllm");
  vllm.no_op_offload = true;
  REQUIRE_THROWS_AS(resolve_scenario(catalog(), vllm), InputError);
}
