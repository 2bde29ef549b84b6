// Catalog lint: every figure sourced, names unique, references resolve, data plausible.
#include <catch2/catch.hpp>

#include <algorithm>

#include <set>

#include "dsplan/model/tensors.hpp"
#include "dsplan/base/text.hpp"
#include "test_support.hpp"

using namespace dsplan;
using dsplan::test::catalog;

TEST_CASE("the catalog holds every model issue #2 asks for", "[lint]") {
  for (const char* id : {"r1-distill-qwen-1.5b", "r1-distill-qwen-7b", "r1-distill-llama-8b", "r1-distill-qwen-14b",
                         "r1-distill-qwen-32b", "r1-distill-llama-70b", "r1-0528-qwen3-8b", "deepseek-r1",
                         "deepseek-r1-0528", "deepseek-v3", "deepseek-v3-0324", "deepseek-v3.1", "deepseek-v3.2-exp"})
    REQUIRE(catalog().find_model(id) != nullptr);
  // Aliases users type, case-insensitive.
  REQUIRE(catalog().require_model("70B").id == "r1-distill-llama-70b");
  REQUIRE(catalog().require_model("8b").id == "r1-distill-llama-8b");
  REQUIRE(catalog().require_model("671b").id == "deepseek-r1");
  REQUIRE(catalog().require_model("R1").id == "deepseek-r1");
  REQUIRE(catalog().require_model("v3").id == "deepseek-v3");
  REQUIRE(catalog().require_model("DeepSeek-R1-Distill-Qwen-32B").id == "r1-distill-qwen-32b");
  REQUIRE(catalog().require_model("deepseek-ai/DeepSeek-R1-0528-Qwen3-8B").id == "r1-0528-qwen3-8b");
}

TEST_CASE("every model, quant, engine and GPU cites a source", "[lint]") {
  for (const auto& m : catalog().models) {
    CAPTURE(m.id);
    REQUIRE_FALSE(m.config_source.empty());
    if (m.published_params) REQUIRE_FALSE(m.published_params_source.empty());
    if (!m.benchmarks.scores.empty()) REQUIRE_FALSE(m.benchmarks.source.empty());
    if (!m.llama_cpp_type.empty()) REQUIRE_FALSE(m.llama_cpp_type_source.empty());
    REQUIRE_FALSE(m.arch.traits.source.empty());
  }
  for (const auto& b : catalog().block_types) REQUIRE_FALSE(b.source.empty());
  for (const auto& q : catalog().quants) REQUIRE_FALSE(q.source.empty());
  for (const auto& e : catalog().engines)
    for (const char* topic : {"kv", "compute", "overhead"}) REQUIRE(e.sources.count(topic) == 1);
  for (const auto& g : catalog().gpus) {
    CAPTURE(g.id);
    REQUIRE_FALSE(g.sources.empty());
    REQUIRE(g.memory.count() >= 4ULL * 1024 * 1024 * 1024);
    // Bandwidth is published for every GPU but the Ascend 910B (secondary sources disagree from
    // 400 GB/s to 1.6 TB/s; data/gpus.json says so in its notes).
    if (g.id != "ascend-910b") REQUIRE(g.bandwidth_bytes_per_s >= 100'000'000'000ULL);
  }
  for (const auto& c : catalog().cpus) {
    CAPTURE(c.id);
    REQUIRE_FALSE(c.sources.empty());
    REQUIRE(c.bandwidth_bytes_per_s > 0);
    // Prefill of layers kept on the CPU is compute-bound; without a FLOPS figure it would have
    // no limit at all (docs/validation.md found a +11,757% prefill miss that way).
    REQUIRE(c.fp32_tflops > 0);
  }
  for (const auto& p : catalog().cloud_prices) {
    REQUIRE_FALSE(p.source.empty());
    REQUIRE_FALSE(p.date.empty());
  }
}

TEST_CASE("ids and aliases are unique across each collection, case-insensitively", "[lint]") {
  std::set<std::string> seen;
  for (const auto& m : catalog().models) {
    REQUIRE(seen.insert(to_lower(m.id)).second);
    for (const auto& a : m.aliases) {
      CAPTURE(a);
      REQUIRE(seen.insert(to_lower(a)).second);
    }
  }
}

TEST_CASE("published parameter totals equal the inventory", "[lint]") {
  for (const auto& m : catalog().models) {
    if (!m.published_params) continue;
    CAPTURE(m.id);
    REQUIRE(build_inventory(m.arch).params_total().count() == *m.published_params);
  }
}

TEST_CASE("every rule names a defined block type, every quant an engine that exists", "[lint]") {
  for (const auto& q : catalog().quants) {
    CAPTURE(q.id);
    REQUIRE(catalog().find_block_type(q.default_type));
    for (const auto& r : q.rules) REQUIRE(catalog().find_block_type(r.type));
    for (const auto& e : q.engines) REQUIRE(catalog().find_engine(e));
  }
}

// A task metric naming a benchmark no model reports would silently unscore every model.
TEST_CASE("every task metric names a benchmark some model reports", "[lint]") {
  for (const auto& t : catalog().tasks)
    for (const auto& m : t.metrics)
      for (const auto& key : m.keys) {
        CAPTURE(t.id, key);
        const bool reported = std::any_of(catalog().models.begin(), catalog().models.end(),
                                          [&](const ModelSpec& model) { return model.benchmarks.scores.count(key) > 0; });
        REQUIRE(reported);
      }
}

// Every format a model can be recommended in carries a quality figure with its source.
TEST_CASE("every quant format has a cited quality figure, or says why none exists", "[lint]") {
  for (const auto& q : catalog().quants) {
    CAPTURE(q.id);
    if (!q.quality_unknown.empty()) {  // recommend then leaves the format out, and says so
      REQUIRE_FALSE(q.quality);
      continue;
    }
    REQUIRE(q.quality);
    REQUIRE_FALSE(q.quality->source.empty());
    REQUIRE_FALSE(q.quality->basis.empty());
  }
}
