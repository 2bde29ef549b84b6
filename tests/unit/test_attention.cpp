// The attention table: one entry per kind, spellings, and the facts each entry owns.
#include <catch2/catch.hpp>

#include "dsplan/model/attention.hpp"
#include "dsplan/catalog/catalog_load.hpp"
#include "dsplan/base/error.hpp"
#include "dsplan/model/kv_cache.hpp"
#include "dsplan/model/tensors.hpp"
#include "test_support.hpp"

using namespace dsplan;
using dsplan::test::catalog;

namespace {

Catalog load_with(const std::string& user_json) {
  auto layers = embedded_catalog_layers();
  layers.push_back({"user.json", user_json});
  return load_catalog(layers);
}

const ModelArch& arch(const char* model) { return catalog().require_model(model).arch; }

}  // namespace

TEST_CASE("every attention kind has one table entry and one spelling", "[attention]") {
  for (const auto& row : k_attention_kinds) {
    CAPTURE(row.name);
    REQUIRE(attention_traits(row.value).kind == row.value);
    REQUIRE(parse_name<AttentionKind>(k_attention_kinds, row.name) == row.value);
    REQUIRE(attention_name(row.value) == row.name);
  }
  REQUIRE_FALSE(parse_name<AttentionKind>(k_attention_kinds, "dense").has_value());
}

TEST_CASE("catalog architectures name their attention, the old kind spelling still loads", "[attention]") {
  REQUIRE(arch("r1-distill-llama-8b").traits.attention == AttentionKind::gqa);
  REQUIRE(arch("deepseek-r1").traits.attention == AttentionKind::mla);
  REQUIRE(arch("deepseek-v3.2-exp").traits.attention == AttentionKind::mla_dsa);
  const auto old = load_with(R"({"architectures": {
      "old_dense": {"kind": "dense", "source": "s"},
      "old_mla": {"kind": "mla_moe", "source": "s"},
      "old_dsa": {"kind": "mla_moe", "dsa_indexer": true, "source": "s"}}})");
  REQUIRE(old.architectures.at("old_dense").attention == AttentionKind::gqa);
  REQUIRE(old.architectures.at("old_mla").attention == AttentionKind::mla);
  REQUIRE(old.architectures.at("old_dsa").attention == AttentionKind::mla_dsa);
}

TEST_CASE("an unknown attention kind is refused with the accepted spellings", "[attention]") {
  try {
    (void)load_with(R"({"architectures": {"x": {"attention": "linear", "source": "s"}}})");
    FAIL("no error");
  } catch (const CatalogError& e) {
    const std::string what = e.what();
    REQUIRE_THAT(what, Catch::Contains("/architectures/x/attention"));
    REQUIRE_THAT(what, Catch::Contains("gqa, mla"));
  }
  REQUIRE_THROWS_AS(load_with(R"({"architectures": {"x": {"attention": "gqa", "kind": "dense", "source": "s"}}})"),
                    CatalogError);
}

TEST_CASE("tensor parallelism: GQA shards KV heads, MLA keeps the latent whole on every rank", "[attention]") {
  const auto& llama = arch("r1-distill-llama-70b");  // 8 KV heads
  const auto& gqa = attention_of(llama);
  REQUIRE(gqa.tp_violation(llama, 4).empty());
  REQUIRE(gqa.tp_violation(llama, 16).empty());  // each KV head replicated on 2 ranks
  REQUIRE_FALSE(gqa.tp_violation(llama, 3).empty());
  REQUIRE(gqa.kv_share(llama, 4) == Approx(2.0 / 8.0));
  REQUIRE(gqa.kv_share(llama, 16) == Approx(1.0 / 8.0));
  const auto& r1 = arch("deepseek-r1");
  REQUIRE(attention_of(r1).kv_share(r1, 8) == 1.0);
  REQUIRE(attention_of(r1).latent_cache);
  REQUIRE_FALSE(gqa.latent_cache);
}

TEST_CASE("attention FLOPs: GQA decode is 4 x heads x head_dim per cached token and layer", "[attention]") {
  const auto& llama = arch("r1-distill-llama-8b");  // 32 heads of 128
  REQUIRE(attention_of(llama).decode_flops(llama, KvLayout::gqa, 1000.0, 0) == Approx(2.0 * 1000 * 32 * 2 * 128));
  // MLA decode on the latent: heads x (2 x kv_lora + rope) per position (weight absorption).
  const auto& r1 = arch("deepseek-r1");
  REQUIRE(attention_of(r1).decode_flops(r1, KvLayout::mla_latent, 1000.0, 0) ==
          Approx(2.0 * 1000 * 128 * (2 * 512 + 64)));
}

TEST_CASE("V3.2 attention FLOPs: top-k where the engine selects, every position where it masks", "[attention]") {
  const auto& v32 = arch("deepseek-v3.2");
  const auto& dsa = attention_of(v32);
  // The indexer scores every cached key: 64 heads x 128 per position, two FLOPs per multiply-add.
  const double indexer = 2.0 * 10'000 * 64 * 128;
  // SGLang/vLLM attend to the indexer's top 2,048 latents; llama.cpp masks and reads all 10,000.
  REQUIRE(dsa.decode_flops(v32, KvLayout::mla_latent, 10'000.0, 2048) ==
          Approx(2.0 * 2048 * 128 * (2 * 512 + 64) + indexer));
  REQUIRE(dsa.decode_flops(v32, KvLayout::mla_latent, 10'000.0, 0) ==
          Approx(2.0 * 10'000 * 128 * (2 * 512 + 64) + indexer));
  // Prefill of 1,000 tokens, below the top-k: masking changes nothing (causal, every position).
  REQUIRE(dsa.prefill_flops(v32, 1000.0, 2048) == Approx(dsa.prefill_flops(v32, 1000.0, 0)).epsilon(0.01));
  REQUIRE(dsa.prefill_flops(v32, 16'384.0, 2048) < 0.6 * dsa.prefill_flops(v32, 16'384.0, 0));
}

TEST_CASE("the V3.2 indexer: its tensors, its keys in the cache, its LoRA targets", "[attention]") {
  const auto& v32 = arch("deepseek-v3.2-exp");
  const auto& dsa = attention_of(v32);
  BlockLayout block;
  dsa.add_tensors(block, v32, 0);
  std::uint64_t indexer_elements = 0;
  for (const auto& t : block.tensors)
    if (role_name(t.role).substr(0, 8) == "indexer.") indexer_elements += t.elements();
  // wq_b 1536 x (64 x 128), wk 7168 x 128, k_norm weight + bias 2 x 128, weights_proj 7168 x 64.
  REQUIRE(indexer_elements == 1536ULL * 64 * 128 + 7168ULL * 128 + 2 * 128 + 7168ULL * 64);
  REQUIRE(dsa.extra_lora_target(TensorRole::indexer_wk));
  REQUIRE_FALSE(dsa.extra_lora_target(TensorRole::indexer_k_norm));
  REQUIRE_FALSE(attention_of(arch("deepseek-r1")).extra_lora_target(TensorRole::indexer_wk));
}

TEST_CASE("KV streams: windowed and compressed caches keep fewer entries than tokens", "[attention]") {
  KvStream window;
  window.window = 128;
  REQUIRE(window.entries(100) == 100);
  REQUIRE(window.entries(4096) == 128);
  KvStream compressed;
  compressed.tokens_per_entry = 4;
  REQUIRE(compressed.entries(4096) == 1024);
  REQUIRE(compressed.entries(4099) == 1024);  // a partial group is not an entry yet
  compressed.read_limit = 512;
  REQUIRE(compressed.entries_read(4096.0) == 512.0);
  REQUIRE(compressed.entries_read(1000.0) == 250.0);
}
