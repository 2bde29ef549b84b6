// DeepSeek-V4: parameter counts, checkpoint bytes and KV cache bytes from the published configs.
// Expected values: the model card (284B / 13B activated, 1.6T / 49B), the V4-Pro checkpoint's
// tensor inventory (bytes per dtype), and the cache layouts of vLLM and SGLang worked by hand.
#include <catch2/catch.hpp>

#include "dsplan/base/error.hpp"
#include "dsplan/model/kv_cache.hpp"
#include "dsplan/model/quant.hpp"
#include "dsplan/scenario/scenario.hpp"
#include "dsplan/model/tensors.hpp"
#include "test_support.hpp"

using namespace dsplan;
using dsplan::test::catalog;

namespace {

QuantizedModel native(const char* model) {
  const auto& m = catalog().require_model(model);
  return quantize_model(catalog(), m, catalog().require_quant("fp4_fp8"),
                        FileLayout{"safetensors", false, std::nullopt, false});
}

KvCacheSize v4_kv(const char* model, const char* engine, std::uint64_t context) {
  return estimate_kv_cache(catalog().require_model(model).arch, catalog().require_engine(engine),
                           catalog().require_block_type("fp8_ds_mla"), {context, 1, false});
}

}  // namespace

TEST_CASE("V4 parameter counts round to the model card's totals", "[v4]") {
  // Tensor shapes of inference/model.py summed independently of dsplan (a script over the same
  // config.json); the card says 284B total / 13B activated and 1.6T / 49B (MTP included).
  const auto flash = build_inventory(catalog().require_model("deepseek-v4-flash").arch);
  REQUIRE(flash.params_total().count() == 284'332'240'471ULL);
  REQUIRE(flash.params_mtp().count() == 6'610'048'891ULL);
  REQUIRE(flash.params_active(false).count() == 13'270'101'591ULL);
  const auto pro = build_inventory(catalog().require_model("deepseek-v4-pro").arch);
  REQUIRE(pro.params_total().count() == 1'572'997'201'763ULL);
  REQUIRE(pro.params_total().count() + pro.params_mtp().count() == 1'598'837'347'742ULL);
  REQUIRE(pro.params_active(false).count() == 48'852'402'019ULL);
  // By hand, per layer of V4-Flash: a ratio-4 layer's attention (q 1024, 64 heads of 512,
  // 8 output groups of rank 1024) = 106,956,352 + compressor 8,393,216 + indexer 10,749,056.
  BlockLayout csa;
  attention_of(catalog().require_model("deepseek-v4-flash").arch)
      .add_tensors(csa, catalog().require_model("deepseek-v4-flash").arch, 2);
  std::uint64_t n = 0;
  for (const auto& t : csa.tensors) n += t.elements();
  REQUIRE(n == 126'098'624ULL);
}

TEST_CASE("V4 checkpoints: FP4 experts + FP8 linears are byte-exact", "[v4][quant]") {
  // V4-Pro checkpoint inventory: int8-packed FP4 786,381,668,352 B; F8_E8M0 49,150,268,416
  // (expert scales = FP4 bytes / 16, the rest FP8 block scales); F8_E4M3 23,169,335,296;
  // BF16 5,633,798,656; F32 351,105,656; I64 18,616,320 = 864,704,792,696 B.
  const auto pro = native("deepseek-v4-pro");
  REQUIRE(pro.total.count() == 864'704'792'696ULL);
  REQUIRE(pro.total.count() == catalog().require_model("deepseek-v4-pro").checkpoint_bytes.value());
  std::uint64_t i64 = 0;
  for (const auto& t : pro.types)
    if (t.type == "i64") i64 = t.bytes.count();
  REQUIRE(i64 == 18'616'320ULL);  // 3 hash layers x 129,280 tokens x 6 experts x 8 B
  REQUIRE(native("deepseek-v4-flash").total.count() == 159'609'485'896ULL);  // quoted 159.61 GB
}

TEST_CASE("V4 KV cache: window + compressed entries, as vLLM and SGLang allocate them", "[v4][kv]") {
  // SGLang pool_configurator bytes_per_full_token (swa ratio aside): 584 B per entry (448 FP8
  // NoPE + 64 BF16 RoPE x 2 + 7 scales + 1 pad), ratio-4 layers 584/4 + 132/4 (indexer key),
  // ratio-128 layers 584/128. V4-Flash: 21 x 179 + 20 x 4.5625 = 3,850.25 B per token.
  const std::uint64_t ctx = 1'048'576;
  const auto sglang = v4_kv("deepseek-v4-flash", "sglang", ctx);
  const std::uint64_t window = 43ULL * 128 * 584;  // every layer keeps 128 tokens
  const std::uint64_t compressed = 21ULL * (ctx / 4) * (584 + 132) + 20ULL * (ctx / 128) * 584;
  REQUIRE(compressed == 4'037'279'744ULL);  // 3,850.25 x 1,048,576
  REQUIRE(sglang.total.count() == window + compressed);
  REQUIRE(sglang.cache_type == "fp8_ds_mla");
  // vLLM pads each 256-token page to 576 B: ratio-4 pages 64 x 584 = 37,376 -> 37,440 (585 per
  // entry), indexer 64 x 132 = 8,448 -> 8,640 (135), ratio-128 2 x 584 = 1,168 -> 1,728 (864);
  // window pages of 64 tokens -> 585 per token.
  const auto vllm = v4_kv("deepseek-v4-flash", "vllm", ctx);
  REQUIRE(vllm.total.count() == 43ULL * 128 * 585 + 21ULL * (ctx / 4) * (585 + 135) + 20ULL * (ctx / 128) * 864);
  // The vLLM blog's BF16-equivalent figure for V4-Pro at 1M tokens, 9.62 GiB, counts 512 x 2 B
  // per entry and 128 x 2 B per indexer key: 30 x (1024 + 256) / 4 + 31 x 1024 / 128 = 9,848 B/token.
  REQUIRE(static_cast<double>(9'848ULL * ctx) / (1ULL << 30) == Approx(9.62).margin(0.005));
}

TEST_CASE("V4 caches only in FP8, MLA options do not apply", "[v4]") {
  Scenario s;
  s.model = "deepseek-v4-flash";
  s.engine = "vllm";
  s.kv_type = "f16";
  REQUIRE_THROWS_AS(resolve_scenario(catalog(), s), InputError);
  s.kv_type = "fp8";
  REQUIRE(resolve_scenario(catalog(), s).kv_type->id == "fp8_ds_mla");
  s.kv_type.clear();
  s.mla_cache = MlaCacheOverride::expanded;
  REQUIRE_THROWS_AS(resolve_scenario(catalog(), s), InputError);
  // No GGUF presets: V4's GGUF files are sized from the files themselves (--model-file).
  Scenario gguf;
  gguf.model = "deepseek-v4-flash";
  gguf.quant = "q4_k_m";
  REQUIRE_THROWS_AS(resolve_scenario(catalog(), gguf), InputError);
}

namespace {

/// Bytes of one named stream of a KV cache.
std::uint64_t stream_total(const KvCacheSize& kv, const std::string& name) {
  for (const auto& s : kv.streams)
    if (s.stream.name == name) return kv.stream_bytes(s).count();
  FAIL("no stream " << name);
  return 0;
}

KvCacheSize llama_cpp_kv(std::uint64_t context, std::uint64_t sequences, std::uint64_t ubatch, const char* type) {
  KvCacheRequest req{context, sequences, false};
  req.ubatch = ubatch;
  return estimate_kv_cache(catalog().require_model("deepseek-v4-flash").arch, catalog().require_engine("llama.cpp"),
                           catalog().require_block_type(type), req);
}

}  // namespace

TEST_CASE("V4 on llama.cpp: the caches as llama.cpp's startup logs print them", "[v4][kv]") {
  // ggml-org/llama.cpp issue #27680 (DeepSeek-V4-Flash-0731, bf16, one sequence, n_ctx_seq
  // 64000, n_ubatch 4096): "creating SWA KV cache, size = 4352 cells", "KV buffer size =
  // 182.75 MiB"; compressor states "csa ... size = 1.31 MiB", "hca ... 10.00 MiB", "lid ...
  // 0.33 MiB".
  const auto a = llama_cpp_kv(64'000, 1, 4'096, "bf16");
  REQUIRE(stream_total(a, "window") == 191'627'264ULL);  // 182.75 MiB exactly
  REQUIRE(static_cast<double>(stream_total(a, "csa_state")) / (1 << 20) == Approx(1.31).margin(0.005));
  REQUIRE(stream_total(a, "hca_state") == 10ULL << 20);
  REQUIRE(static_cast<double>(stream_total(a, "csa_indexer_state")) / (1 << 20) == Approx(0.33).margin(0.005));
  // Issue #25468 (build 9924, --ctx-size 131072 --ubatch-size 512, f16): "SWA 32.25 MiB, CSA
  // 672 MiB, HCA 20 MiB, lightning-indexer 168 MiB".
  const auto b = llama_cpp_kv(131'072, 1, 512, "f16");
  REQUIRE(stream_total(b, "window") == 3225ULL * (1 << 20) / 100);  // 32.25 MiB
  REQUIRE(stream_total(b, "csa") == 672ULL << 20);
  REQUIRE(stream_total(b, "hca") == 20ULL << 20);
  REQUIRE(stream_total(b, "csa_indexer_keys") == 168ULL << 20);
  // Every cache is per sequence: two sequences of the same context hold twice as much.
  REQUIRE(llama_cpp_kv(131'072, 2, 512, "f16").total.count() == 2 * b.total.count());
}
