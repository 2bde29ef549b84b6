// Invariants over the whole embedded catalog: every model x quant x engine x context grid.
#include <catch2/catch.hpp>

#include <cmath>

#include "dsplan/model/attention.hpp"
#include "dsplan/base/error.hpp"
#include "dsplan/serving/memory.hpp"
#include "dsplan/base/text.hpp"
#include "test_support.hpp"

using namespace dsplan;
using dsplan::test::catalog;

namespace {

/// Every (model, quant, engine) the catalog can combine, with the engine's default KV type.
std::vector<ResolvedScenario> all_scenarios(std::uint64_t context) {
  std::vector<ResolvedScenario> out;
  for (const auto& m : catalog().models)
    for (const auto& q : catalog().quants)
      for (const auto& e : q.engines) {
        // GGUF needs a llama.cpp architecture (V4 has none in the catalog).
        const auto& engine_containers = catalog().require_engine(e).containers;
        const bool gguf_only = engine_containers.size() == 1 && engine_containers.front() == "gguf";
        if (gguf_only && m.arch.traits.llama_cpp_arch.empty()) continue;
        if (!quant_holds_model(q, m)) continue;  // a publisher's files of other models only
        // DeepSeek Sparse Attention runs only on engines that run its indexer.
        if (attention_of(m.arch).needs_indexer_engine && !catalog().require_engine(e).indexer_cache) continue;
        // DeepSeek-V4 caches only in fp8_ds_mla: engines without that cache cannot run it.
        const auto fixed = attention_of(m.arch).fixed_cache_type;
        if (!fixed.empty() && !contains(catalog().require_engine(e).kv_cache_types, fixed)) continue;
        Scenario s;
        s.model = m.id;
        s.quant = q.id;
        s.engine = e;
        s.context = std::min(context, m.arch.max_context);
        out.push_back(resolve_scenario(catalog(), s));
      }
  return out;
}

}  // namespace

TEST_CASE("every estimate is finite, non-negative and adds up", "[properties]") {
  for (const auto& s : all_scenarios(8192)) {
    CAPTURE(s.model->id, s.quant->id, s.engine->id);
    const auto m = estimate_memory(catalog(), s);
    REQUIRE(m.params_active.count() <= m.params_total.count());
    REQUIRE(m.weights_loaded.count() > 0);
    REQUIRE(m.total == m.weights_loaded + m.kv.total + m.runtime.compute_buffer + m.runtime.overhead);
    REQUIRE(m.download >= m.weights.total);
    REQUIRE(std::isfinite(m.weights.bits_per_weight()));
    Bytes by_group;
    for (const auto& g : m.weights.groups) by_group += g.bytes;
    REQUIRE(by_group + m.weights.mtp == m.weights.total);
    Bytes by_type;
    for (const auto& t : m.weights.types) by_type += t.bytes;
    REQUIRE(by_type == m.weights.total);
  }
}

TEST_CASE("GGUF formats of a model without a llama.cpp architecture are input errors", "[properties]") {
  Scenario s;
  s.model = "v4-flash";
  s.quant = "q4_k_m";
  REQUIRE_THROWS_AS(resolve_scenario(catalog(), s), InputError);
  s.quant = "fp8";
  s.engine = "vllm";
  REQUIRE_NOTHROW(resolve_scenario(catalog(), s));
}

TEST_CASE("more bits never fewer bytes", "[properties]") {
  // GGUF formats ordered by their nominal bits per weight (llama-quantize QUANT_OPTIONS).
  const std::vector<const char*> ladder = {"iq1_s", "iq1_m", "iq2_xxs", "iq2_m", "q2_k",  "iq3_xxs", "q3_k_s", "iq3_m",
                                           "q3_k_m", "q3_k_l", "iq4_xs", "q4_0",  "q4_k_s", "q4_k_m", "q5_k_s",
                                           "q5_k_m", "q6_k",  "q8_0",   "bf16",   "fp32"};
  for (const auto& m : catalog().models) {
    CAPTURE(m.id);
    Bytes previous;
    for (const char* q : ladder) {
      CAPTURE(q);
      const auto bytes =
          quantize_model(catalog(), m, catalog().require_quant(q), {"gguf", false, std::nullopt, false}).total;
      REQUIRE(bytes >= previous);
      previous = bytes;
    }
  }
}

TEST_CASE("longer context and larger batch never less KV, never less memory", "[properties]") {
  for (auto s : all_scenarios(1024)) {
    CAPTURE(s.model->id, s.quant->id, s.engine->id);
    const auto base = estimate_memory(catalog(), s);
    auto longer = s;
    longer.context = std::min<std::uint64_t>(s.context * 8, s.model->arch.max_context);
    auto wider = s;
    wider.batch = 4;
    const auto l = estimate_memory(catalog(), longer);
    const auto w = estimate_memory(catalog(), wider);
    REQUIRE(l.kv.total >= base.kv.total);
    REQUIRE(w.kv.total >= base.kv.total);
    REQUIRE(l.total >= base.total);
    REQUIRE(w.total >= base.total);
  }
}

TEST_CASE("a quantized KV cache is never larger than f16", "[properties]") {
  for (const auto& m : catalog().models)
    for (const char* t : {"q8_0", "q4_0"}) {
      CAPTURE(m.id, t);
      if (!attention_of(m.arch).fixed_cache_type.empty()) continue;  // V4: one cache type only
      const auto& e = catalog().require_engine("llama.cpp");
      const auto f16 = estimate_kv_cache(m.arch, e, catalog().require_block_type("f16"), {4096, 1, false});
      const auto q = estimate_kv_cache(m.arch, e, catalog().require_block_type(t), {4096, 1, false});
      REQUIRE(q.total < f16.total);
    }
}
