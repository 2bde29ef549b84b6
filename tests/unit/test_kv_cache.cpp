// KV cache bytes per token (GQA, MLA latent, MLA expanded) and allocation granularity.
#include <catch2/catch.hpp>

#include "dsplan/base/error.hpp"
#include "dsplan/model/kv_cache.hpp"
#include "dsplan/scenario/scenario.hpp"
#include "dsplan/serving/memory.hpp"
#include "test_support.hpp"

using namespace dsplan;
using dsplan::test::catalog;

namespace {
KvCacheSize kv(const char* model, const char* engine, const char* type, std::uint64_t ctx, std::uint64_t seqs = 1,
               bool legacy = false) {
  return estimate_kv_cache(catalog().require_model(model).arch, catalog().require_engine(engine),
                           catalog().require_block_type(type), {ctx, seqs, legacy});
}
}  // namespace

TEST_CASE("GQA KV bytes per token: 2 x layers x KV heads x head dim x 2 bytes (f16)", "[kv]") {
  // config.json values: layers, num_key_value_heads, head_dim (hidden / heads when absent).
  auto [model, per_token] = GENERATE(table<const char*, std::uint64_t>({
      {"r1-distill-qwen-1.5b", 2ULL * 28 * 2 * 128 * 2},   // 28,672
      {"r1-distill-qwen-7b", 2ULL * 28 * 4 * 128 * 2},     // 57,344
      {"r1-distill-llama-8b", 2ULL * 32 * 8 * 128 * 2},    // 131,072
      {"r1-distill-qwen-14b", 2ULL * 48 * 8 * 128 * 2},    // 196,608
      {"r1-distill-qwen-32b", 2ULL * 64 * 8 * 128 * 2},    // 262,144
      {"r1-distill-llama-70b", 2ULL * 80 * 8 * 128 * 2},   // 327,680
      {"r1-0528-qwen3-8b", 2ULL * 36 * 8 * 128 * 2},       // 147,456
  }));
  CAPTURE(model);
  REQUIRE(kv(model, "llama.cpp", "f16", 4096).bytes_per_token.count() == per_token);
}

TEST_CASE("llama.cpp KV buffers match its own log lines", "[kv]") {
  // "llama_kv_cache: size = X MiB" from llama.cpp (see docs/validation.md for each source).
  REQUIRE(kv("r1-distill-qwen-1.5b", "llama.cpp", "f16", 8192).total.count() == 224 * k_mib);
  REQUIRE(kv("r1-distill-qwen-7b", "llama.cpp", "f16", 32768).total.count() == 1792 * k_mib);
  REQUIRE(kv("r1-distill-qwen-7b", "llama.cpp", "q8_0", 32768).total.count() == 952 * k_mib);
  REQUIRE(kv("r1-distill-qwen-7b", "llama.cpp", "q4_0", 32768).total.count() == 504 * k_mib);
  REQUIRE(kv("r1-distill-llama-70b", "llama.cpp", "f16", 4096).total.count() == 1280 * k_mib);
  // Old DeepSeek GGUF (attn_kv_b whole): expanded K 128 x 192 and V 128 x 128; 4096 ctx -> 19,520 MiB.
  REQUIRE(kv("deepseek-r1", "llama.cpp", "f16", 4096, 1, true).total.count() == 19520 * k_mib);
  // -c 5000: 5,120 cells (padded to 256).
  REQUIRE(kv("r1-distill-qwen-7b", "llama.cpp", "f16", 5000).cells == 5120);
}

TEST_CASE("MLA: latent 576 values per token and layer, or expanded K/V", "[kv]") {
  // Latent: kv_lora_rank 512 + qk_rope_head_dim 64 = 576 values x 61 layers x 2 bytes = 70,272 B
  // (vLLM/SGLang bf16; llama.cpp since the V-less cache of PR #19067).
  const auto latent = kv("deepseek-r1", "vllm", "bf16", 4096);
  REQUIRE(latent.layout == KvLayout::mla_latent);
  REQUIRE(latent.k_values == 576);
  REQUIRE(latent.v_values == 0);
  REQUIRE(latent.bytes_per_token.count() == 70'272);
  REQUIRE(kv("deepseek-r1", "vllm", "fp8_e4m3", 4096).bytes_per_token.count() == 35'136);
  REQUIRE(kv("deepseek-r1", "llama.cpp", "f16", 4096).bytes_per_token.count() == 70'272);
  // Expanded (Transformers; llama.cpp on old GGUFs): 128 x (128 + 64) + 128 x 128 = 40,960 values
  // per layer = 4,997,120 B per token, 71x the latent cache.
  const auto expanded = kv("deepseek-r1", "transformers", "bf16", 4096);
  REQUIRE(expanded.layout == KvLayout::mla_expanded);
  REQUIRE(expanded.bytes_per_token.count() == 4'997'120);
  REQUIRE(expanded.bytes_per_token.count() / latent.bytes_per_token.count() == 71);
}

TEST_CASE("paging: whole blocks per sequence", "[kv]") {
  // vLLM: 16-token blocks for GQA, 64-token FlashMLA pages for MLA; 3 sequences of 1,000 tokens.
  REQUIRE(kv("r1-distill-qwen-7b", "vllm", "bf16", 1000, 3).cells == 3 * 1008);
  REQUIRE(kv("deepseek-r1", "vllm", "bf16", 1000, 3).cells == 3 * 1024);
  // Transformers grows its cache token by token.
  REQUIRE(kv("r1-distill-qwen-7b", "transformers", "bf16", 1000, 3).cells == 3000);
}

TEST_CASE("a cache type whose block does not divide the row is refused", "[kv]") {
  // 24,576-value rows divide by 32, so q8_0 works for the expanded layout; fp8 weight formats
  // with scale tiles are not cache types.
  REQUIRE_NOTHROW(kv("deepseek-r1", "llama.cpp", "q8_0", 4096, 1, true));
  REQUIRE_THROWS_AS(kv("r1-distill-qwen-7b", "llama.cpp", "fp8_e4m3_b128", 4096), InputError);
}

TEST_CASE("overflow is an input error, never a wrap-around", "[kv][units]") {
  REQUIRE_THROWS_AS(kv("deepseek-r1", "transformers", "bf16", 16'777'216, 1'000'000), OverflowError);
}

TEST_CASE("MLA cache overrides and the V3.2 indexer cache", "[kv]") {
  const auto& r1 = catalog().require_model("deepseek-r1").arch;
  const auto& llama = catalog().require_engine("llama.cpp");
  const auto& f16 = catalog().require_block_type("f16");
  // llama.cpp builds from PR #12801 (Apr 2025) to PR #19067 (Jan 2026): K 576 + V 512 values.
  // Their logs: 4096 tokens -> K 274.50 MiB + V 244.00 MiB (61 layers, f16).
  const auto plus_v = estimate_kv_cache(r1, llama, f16, {4096, 1, false, MlaCacheOverride::latent_plus_v});
  REQUIRE(plus_v.bytes_per_token.count() == 61ULL * (576 + 512) * 2);
  REQUIRE(plus_v.k_bytes_per_token_layer.count() * 61 * 4096 == 549ULL * 512 * 1024);  // 274.50 MiB
  // SGLang DeepSeek-V3.2-Exp, fp8_ds_mla: 656 B latent + 132 B indexer keys per token and layer
  // (PR #11309 log: 43.67 GiB for 975,424 tokens = 48,072 B per token).
  const auto v32 = estimate_kv_cache(catalog().require_model("deepseek-v3.2-exp").arch, catalog().require_engine("sglang"),
                                     catalog().require_block_type("fp8_ds_mla"), {4096, 1, false});
  REQUIRE(v32.bytes_per_token.count() == 61ULL * (656 + 132));
}

TEST_CASE("llama.cpp's V3.2 cache: indexer keys in the K type, cells for the file's MTP block too", "[kv]") {
  // llama_kv_cache_dsa (PR #23346): the 576-wide latent plus one 128-wide indexer key per token and
  // layer, both in -ctk's type, over every block of the file (61 + the MTP block).
  Scenario s;
  s.model = "v3.2";
  s.quant = "q4_k_m";
  s.context = 4096;
  const auto f16 = estimate_memory(catalog(), resolve_scenario(catalog(), s));
  REQUIRE(f16.kv.bytes_per_token.count() == 62ULL * (576 + 128) * 2);
  s.kv_type = "q8_0";  // 34 B per 32 values
  const auto q8 = estimate_memory(catalog(), resolve_scenario(catalog(), s));
  REQUIRE(q8.kv.bytes_per_token.count() == 62ULL * (576 + 128) / 32 * 34);
}

TEST_CASE("the streams' bytes sum to the cache, and only per-token streams make cells x bytes per token exact",
          "[kv][v4]") {
  const auto v4 = kv("deepseek-v4-flash", "vllm", "fp8_ds_mla", 4096);
  REQUIRE_FALSE(v4.per_token_exact());
  Bytes sum(0);
  for (const auto& s : v4.streams) sum += v4.stream_bytes(s);
  REQUIRE(sum == v4.total);
  // The window: 43 layers x 128 tokens of one entry each (vLLM's 585 B page-aligned entry).
  REQUIRE(v4.stream_bytes(v4.streams.front()) == v4.streams.front().bytes_per_entry * (43u * 128));
  const auto dense = kv("8b", "llama.cpp", "f16", 4096);
  REQUIRE(dense.per_token_exact());
  REQUIRE(dense.total == dense.bytes_per_token * dense.cells);
}
