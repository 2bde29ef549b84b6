// estimate_memory: the parts add up, KV derived by hand, and the weights computed once
// (estimate_weights, as recommend reuses them) give the same estimate as computed inline.
#include <catch2/catch.hpp>

#include "dsplan/serving/memory.hpp"
#include "test_support.hpp"

using namespace dsplan;
using dsplan::test::catalog;

namespace {
ResolvedScenario resolved(const char* model, const char* quant, const char* engine, std::uint64_t context) {
  Scenario s;
  s.model = model;
  s.quant = quant;
  s.engine = engine;
  s.context = context;
  return resolve_scenario(catalog(), s);
}
}  // namespace

TEST_CASE("70B Q4_K_M on llama.cpp: KV by hand, the total is the sum of its parts", "[memory]") {
  // Llama-3.3-70B shape (R1-Distill-Llama-70B config.json): 80 layers, 8 KV heads x 128 = 1,024
  // values each for K and V, f16 = 2 bytes: 80 x 2,048 x 2 = 327,680 B per token.
  const auto s = resolved("r1-distill-llama-70b", "q4_k_m", "llama.cpp", 4096);
  const MemoryEstimate m = estimate_memory(catalog(), s);
  REQUIRE(m.kv.total.count() == 327'680ULL * 4096);
  REQUIRE(m.total == m.weights_loaded + m.kv.total + m.runtime.compute_buffer + m.runtime.overhead);
  REQUIRE(m.cpu_ram == m.weights_loaded + m.kv.total + m.runtime.compute_buffer);
  REQUIRE(m.weights_loaded == m.weights.total);  // a dense model has no MTP module to leave out
}

TEST_CASE("weights computed once give the same estimate as computed inline", "[memory]") {
  for (const auto& [model, quant, engine] : {std::tuple{"deepseek-r1", "q4_k_m", "llama.cpp"},
                                             std::tuple{"deepseek-r1", "fp8", "vllm"},
                                             std::tuple{"r1-distill-qwen-7b", "awq", "vllm"},
                                             std::tuple{"deepseek-v4-flash", "", ""}}) {
    CAPTURE(model, quant);
    const auto s = resolved(model, quant, engine, 8192);
    const MemoryEstimate inline_weights = estimate_memory(catalog(), s);
    const ModelWeights w = estimate_weights(catalog(), s, build_inventory(s.model->arch));
    const MemoryEstimate reused = estimate_memory(catalog(), s, w);
    REQUIRE(reused.total == inline_weights.total);
    REQUIRE(reused.weights.total == inline_weights.weights.total);
    REQUIRE(reused.weights_loaded == inline_weights.weights_loaded);
    REQUIRE(reused.download == inline_weights.download);
    REQUIRE(reused.params_total.count() == inline_weights.params_total.count());
    REQUIRE(reused.params_active.count() == inline_weights.params_active.count());
  }
}

TEST_CASE("the MTP module is loaded only when the scenario drafts with it", "[memory]") {
  auto s = resolved("deepseek-r1", "fp8", "sglang", 4096);
  const MemoryEstimate plain = estimate_memory(catalog(), s);
  REQUIRE(plain.weights_loaded == Bytes(plain.weights.total.count() - plain.weights.mtp.count()));
  s.speculative_tokens = 1;
  const MemoryEstimate drafting = estimate_memory(catalog(), s);
  REQUIRE(drafting.weights_loaded == drafting.weights.total);
  // and its layer caches like the others: 62 layers of KV instead of 61
  REQUIRE(drafting.kv.layers == plain.kv.layers + 1);
}
