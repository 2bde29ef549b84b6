// Storage types and bytes per tensor, checked against ggml's block sizes and real published files.
#include <catch2/catch.hpp>

#include <map>
#include <optional>

#include "dsplan/model/quant.hpp"
#include "dsplan/scenario/scenario.hpp"
#include "test_support.hpp"

using namespace dsplan;
using dsplan::test::catalog;

namespace {

/// `imatrix` set: the recipe with (true) or without an importance matrix, as --imatrix gives it.
QuantizedModel quantize(const char* model, const char* quant, bool legacy = false,
                        std::optional<bool> imatrix = std::nullopt) {
  const auto& m = catalog().require_model(model);
  const QuantFormat& q = catalog().require_quant(quant);
  const std::string container = q.containers.front();
  return quantize_model(catalog(), m, q, FileLayout{container, legacy, imatrix});
}

std::map<std::string, std::uint64_t> type_counts(const QuantizedModel& q) {
  std::map<std::string, std::uint64_t> out;
  for (const auto& t : q.types) out[t.type] = t.tensors;
  return out;
}

double gib(Bytes b) { return static_cast<double>(b.count()) / (1024.0 * 1024.0 * 1024.0); }

}  // namespace

TEST_CASE("block types have ggml's sizes", "[quant]") {
  // ggml/src/ggml-common.h static_asserts: sizeof(block_x) and QK per type.
  auto [id, weights, bytes] = GENERATE(table<const char*, std::uint64_t, std::uint64_t>({
      {"q8_0", 32, 34},    {"q5_1", 32, 24},    {"q5_0", 32, 22},     {"q4_1", 32, 20},   {"q4_0", 32, 18},
      {"iq4_nl", 32, 18},  {"q6_K", 256, 210},  {"q5_K", 256, 176},   {"q4_K", 256, 144}, {"q3_K", 256, 110},
      {"q2_K", 256, 84},   {"iq4_xs", 256, 136}, {"iq3_s", 256, 110}, {"iq3_xxs", 256, 98}, {"iq2_s", 256, 82},
      {"iq2_xs", 256, 74}, {"iq2_xxs", 256, 66}, {"iq1_m", 256, 56},  {"iq1_s", 256, 50},  {"f16", 1, 2},
      {"bf16", 1, 2},      {"f32", 1, 4},
  }));
  CAPTURE(id);
  const BlockType& b = catalog().require_block_type(id);
  REQUIRE(b.weights_per_block == weights);
  REQUIRE(b.bytes_per_block == bytes);
}

TEST_CASE("row-block bytes: rows x blocks per row x block bytes", "[quant]") {
  const Tensor t{TensorRole::ffn_down, 8960, 1536, 1, false};
  // 8960 / 32 = 280 blocks of 34 bytes per row, 1536 rows.
  REQUIRE(stored_bytes(catalog().require_block_type("q8_0"), t).count() == 1536ULL * 280 * 34);
  // 8960 / 256 = 35 super-blocks of 144 bytes per row.
  REQUIRE(stored_bytes(catalog().require_block_type("q4_K"), t).count() == 1536ULL * 35 * 144);
  const Tensor experts{TensorRole::ffn_gate_exps, 7168, 2048, 256, false};
  REQUIRE(stored_bytes(catalog().require_block_type("q4_K"), experts).count() == 256ULL * 2048 * 28 * 144);
  // ik_llama.cpp's IQ4_KS adds a 4-byte float per row (row_meta_size): every expert's every row.
  REQUIRE(stored_bytes(catalog().require_block_type("iq4_ks"), experts).count() == 256ULL * 2048 * (28 * 136 + 4));
}

TEST_CASE("grouped-layout bytes: payload plus one scale per tile", "[quant]") {
  // kv_a_proj_with_mqa of DeepSeek-V3: 576 x 7168 FP8 weights plus an F32 scale per 128x128 tile:
  // ceil(576/128) = 5 by 7168/128 = 56 tiles.
  const Tensor kv_a{TensorRole::attn_kv_a_mqa, 7168, 576, 1, false};
  REQUIRE(stored_bytes(catalog().require_block_type("fp8_e4m3_b128"), kv_a).count() == 576ULL * 7168 + 5 * 56 * 4);
  // AWQ: 4 bits per weight + (fp16 scale + 4-bit zero) per 128 inputs of each output row.
  const Tensor q{TensorRole::attn_q, 5120, 5120, 1, false};
  REQUIRE(stored_bytes(catalog().require_block_type("awq_int4_g128"), q).count() ==
          5120ULL * 5120 / 2 + 5120ULL * 40 * 20 / 8);
  // GPTQ adds g_idx, one int32 per input column.
  REQUIRE(stored_bytes(catalog().require_block_type("gptq_int4_g128"), q).count() ==
          5120ULL * 5120 / 2 + 5120ULL * 40 * 20 / 8 + 5120ULL * 4);
  // NF4 with double quantization: 4 bits per weight, an 8-bit absmax per 64 weights, an fp32
  // per 256 absmax blocks, and 1,092 bytes of codebooks per tensor.
  const std::uint64_t blocks = 5120ULL * 5120 / 64;
  REQUIRE(stored_bytes(catalog().require_block_type("nf4_dq_b64"), q).count() ==
          5120ULL * 5120 / 2 + blocks + (blocks / 256) * 4 + 1092);
}

TEST_CASE("GGUF tensor types match real llama.cpp files", "[quant][gguf]") {
  // Type counts printed by llama_model_loader ("- type q4_K: 169 tensors") and the "model
  // size" it prints (sum of tensor bytes, GiB with two decimals). Sources, per row: see
  // docs/validation.md (Ollama's deepseek-r1 blobs, bartowski/unsloth/lmstudio files).
  struct Case {
    const char* model;
    const char* quant;
    bool legacy;
    bool imatrix;
    std::map<std::string, std::uint64_t> counts;
    double printed_gib;
  };
  const auto c = GENERATE(values<Case>({
      {"r1-distill-qwen-1.5b", "q4_k_m", false, false, {{"f32", 141}, {"q4_K", 169}, {"q6_K", 29}}, 1.04},
      {"r1-distill-qwen-1.5b", "q6_k", false, false, {{"f32", 141}, {"q6_K", 198}}, 1.36},
      {"r1-distill-qwen-1.5b", "q8_0", false, false, {{"f32", 141}, {"q8_0", 198}}, 1.76},
      {"r1-distill-qwen-7b", "q4_k_m", false, false, {{"f32", 141}, {"q4_K", 169}, {"q6_K", 29}}, 4.36},
      {"r1-distill-qwen-32b", "q4_k_m", false, false, {{"f32", 321}, {"q4_K", 385}, {"q6_K", 65}}, 18.48},
      {"r1-distill-llama-70b", "q4_0", false, false, {{"f32", 162}, {"q4_0", 561}, {"q6_K", 1}}, 37.22},
      {"r1-0528-qwen3-8b", "q8_0", false, false, {{"f32", 145}, {"q8_0", 254}}, 8.11},
      {"deepseek-v3", "q3_k_m", true, false, {{"f32", 361}, {"q3_K", 483}, {"q4_K", 177}, {"q5_K", 3}, {"q6_K", 1}}, 297.27},
      {"deepseek-r1", "q8_0", true, false, {{"f32", 361}, {"q8_0", 664}}, 664.29},
      {"deepseek-r1", "q4_0", true, true, {{"f32", 361}, {"q4_0", 652}, {"q4_1", 11}, {"q6_K", 1}}, 353.00},
  }));
  CAPTURE(c.model, c.quant, c.legacy);
  const auto q = quantize(c.model, c.quant, c.legacy, c.imatrix);
  REQUIRE(type_counts(q) == c.counts);
  // llama.cpp prints two decimals: the exact size lies within half a unit of the last digit.
  REQUIRE(gib(q.total) == Approx(c.printed_gib).margin(0.005 + 1e-9));
}

TEST_CASE("GGUF sizes match published file sizes without type counts", "[quant][gguf]") {
  // llama.cpp "model size" lines (GiB, two decimals) for files whose type counts were not published.
  auto [model, quant, legacy, printed] = GENERATE(table<const char*, const char*, bool, double>({
      {"r1-distill-llama-8b", "q4_k_m", false, 4.58},
      {"r1-distill-qwen-14b", "q4_k_m", false, 8.37},
      {"r1-distill-qwen-32b", "q8_0", false, 32.42},
      {"r1-distill-llama-70b", "q4_k_m", false, 39.59},
      {"deepseek-r1", "q4_k_m", true, 376.65},
  }));
  CAPTURE(model, quant);
  REQUIRE(gib(quantize(model, quant, legacy).total) == Approx(printed).margin(0.005 + 1e-9));
}

TEST_CASE("Q8_0 of the 7B distill is byte-exact", "[quant][gguf]") {
  // gguf dump of unsloth DeepSeek-R1-Distill-Qwen-7B-Q8_0.gguf: tensor data 8,092,571,648 bytes.
  REQUIRE(quantize("r1-distill-qwen-7b", "q8_0").total.count() == 8'092'571'648ULL);
}

TEST_CASE("the FP8 checkpoint of DeepSeek-R1 is byte-exact", "[quant][fp8]") {
  // Hugging Face per-dtype counts for deepseek-ai/DeepSeek-R1: BF16 3,918,786,560, F8_E4M3
  // 680,571,043,840, F32 41,555,600 (15,104 router biases + 41,540,496 block scales).
  const auto q = quantize("deepseek-r1", "fp8");
  const auto counts = [&](const char* type) {
    for (const auto& t : q.types)
      if (t.type == type) return t;
    FAIL("no tensors of type " << type);
    return TypeUsage{};
  };
  REQUIRE(counts("bf16").params.count() == 3'918'786'560ULL);
  REQUIRE(counts("fp8_e4m3_b128").params.count() == 680'571'043'840ULL);
  REQUIRE(counts("f32").params.count() == 15'104ULL);
  REQUIRE(counts("fp8_e4m3_b128").bytes.count() == 680'571'043'840ULL + 41'540'496ULL * 4);
  REQUIRE(q.total.count() == 688'574'839'360ULL);
  REQUIRE(q.total.count() == catalog().require_model("deepseek-r1").checkpoint_bytes.value());
}

TEST_CASE("BF16 checkpoints of the distills are two bytes per parameter", "[quant]") {
  for (const char* id : {"r1-distill-qwen-1.5b", "r1-distill-qwen-7b", "r1-distill-llama-8b", "r1-distill-qwen-14b",
                         "r1-distill-qwen-32b", "r1-distill-llama-70b", "r1-0528-qwen3-8b"}) {
    CAPTURE(id);
    const auto& m = catalog().require_model(id);
    const auto q = quantize(id, "bf16");
    REQUIRE(q.total.count() == 2 * m.published_params.value());
    REQUIRE(q.total.count() == m.checkpoint_bytes.value());
  }
}

TEST_CASE("MLA GGUF layout: attn_kv_b split, attn_k_b falls back to Q5_0 under Q4_K", "[quant][gguf]") {
  // convert_hf_to_gguf.py after llama.cpp PR #12801: attn_k_b {128, 512, 128}, attn_v_b {512, 128, 128};
  // 128-wide rows do not fit a 256-weight Q4_K block, so llama-quantize falls back to Q5_0.
  const auto legacy = quantize("deepseek-r1", "q4_k_m", true);
  const auto split = quantize("deepseek-r1", "q4_k_m", false);
  REQUIRE(legacy.tensor_count == 1025);
  REQUIRE(split.tensor_count == 1086);
  REQUIRE(type_counts(split)["q5_0"] == 61);
  REQUIRE(split.fallbacks == 61);
  REQUIRE(legacy.params.count() == split.params.count());
  REQUIRE(legacy.params.count() == 671'026'419'200ULL);  // the MTP block is not converted
}

TEST_CASE("stock formats added from llama-quant.cpp match published llama-bench sizes", "[quant][gguf]") {
  // llama-bench "size" (tensor bytes, GiB, two decimals). 8B: LLaMA-3.1-8B-Instruct quantized with
  // mainline b4384 (ik_llama.cpp discussion #164); 70B: Llama-3.x-70B IQ3_XS llama-bench lines.
  // ikawrakow quantizes with an importance matrix, which keeps IQ4_NL's first ffn_down blocks IQ4_NL.
  auto [model, quant, printed, imatrix] = GENERATE(table<const char*, const char*, double, bool>({
      {"r1-distill-llama-8b", "iq2_xs", 2.42, true},
      {"r1-distill-llama-8b", "iq3_s", 3.42, true},
      {"r1-distill-llama-8b", "iq4_nl", 4.35, true},
      {"r1-distill-llama-8b", "q2_k_s", 2.78, true},
      {"r1-distill-llama-70b", "iq3_xs", 27.29, true},
  }));
  CAPTURE(model, quant);
  // R1-Distill-Llama-8B has Llama-3.1-8B's shapes (its rope_freqs adds 256 bytes: below the rounding).
  REQUIRE(gib(quantize(model, quant, false, imatrix).total) == Approx(printed).margin(0.005 + 1e-9));
}

TEST_CASE("IQ4_XS and IQ4_NL without an importance matrix: the first eighth of ffn_down is Q5_K", "[quant][gguf]") {
  // llama-quantize (llama_tensor_get_type_impl): for IQ4_NL/IQ4_XS without an imatrix, ffn_down of
  // blocks i < n_layer/8 becomes Q5_K (176 bytes per 256 weights). That is llama-quantize's default
  // (neither format requires an imatrix) and dsplan's; --imatrix on keeps them.
  // R1-Distill-Qwen-32B: 64 blocks -> 8; ffn_down 27,648 x 5,120 = 141,557,760 weights each.
  const std::uint64_t weights = 8ULL * 27'648 * 5'120;
  const auto plain = quantize("r1-distill-qwen-32b", "iq4_xs");
  const auto with_imatrix = quantize("r1-distill-qwen-32b", "iq4_xs", false, true);
  REQUIRE(type_counts(plain)["q5_K"] == type_counts(with_imatrix)["q5_K"] + 8);
  // IQ4_XS is 136 bytes per 256 weights: 40 more per 256 for each re-typed weight.
  REQUIRE(plain.total.count() - with_imatrix.total.count() == weights / 256 * (176 - 136));
  REQUIRE(quantize("r1-distill-qwen-32b", "iq4_xs", false, false).total == plain.total);
  // IQ4_NL is 18 bytes per 32 weights (144 per 256): 32 more per 256. Llama-8B: 4 of 32 blocks,
  // ffn_down 14,336 x 4,096.
  const std::uint64_t llama = 4ULL * 14'336 * 4'096;
  REQUIRE(quantize("r1-distill-llama-8b", "iq4_nl").total.count() -
              quantize("r1-distill-llama-8b", "iq4_nl", false, true).total.count() ==
          llama / 256 * (176 - 144));
}

TEST_CASE("unsloth's dynamic quants of R1 match the published files", "[quant][gguf][unsloth]") {
  // unsloth/DeepSeek-R1-GGUF (January 2025, 1025-tensor files), sum of the split files' sizes in the
  // Hugging Face API listing @4dab99fd. The recipes of UD-IQ1_S/IQ1_M/IQ2_XXS are fitted to these
  // sizes (data/quants.json recipe_note), so this pins the data; a file is its tensors plus a
  // GGUF header of a few MB (the DeepSeek tokenizer alone is ~5 MB), which bounds the gap.
  auto [quant, file_bytes] = GENERATE(table<const char*, std::uint64_t>({
      {"ud-iq1_s", 140'231'438'464ULL},
      {"ud-iq1_m", 168'916'283'648ULL},
      {"ud-iq2_xxs", 196'162'482'432ULL},
      {"ud-q2_k_xl", 226'601'595'040ULL},
  }));
  CAPTURE(quant);
  const std::uint64_t tensors = quantize("deepseek-r1", quant, true).total.count();
  REQUIRE(tensors < file_bytes);
  REQUIRE(file_bytes - tensors < 8'000'000);
}

TEST_CASE("UD-Q2_K_XL and V3-0324 UD-IQ2_XXS have the published type counts", "[quant][gguf][unsloth]") {
  // Load logs: R1 UD-Q2_K_XL in ik_llama.cpp PR #259; V3-0324 UD-IQ2_XXS ("file size = 203.63 GiB").
  const auto q2 = quantize("deepseek-r1", "ud-q2_k_xl", true);
  REQUIRE(type_counts(q2) == std::map<std::string, std::uint64_t>{
                                 {"f32", 361}, {"q2_K", 171}, {"q3_K", 3}, {"q4_K", 306}, {"q6_K", 184}});
  const auto v3 = quantize("deepseek-v3-0324", "ud-iq2_xxs-v3-0324", true);
  REQUIRE(type_counts(v3) == std::map<std::string, std::uint64_t>{{"f32", 361},
                                                                 {"q3_K", 55},
                                                                 {"q4_K", 193},
                                                                 {"q5_K", 116},
                                                                 {"q6_K", 184},
                                                                 {"iq2_xxs", 116}});
  REQUIRE(gib(v3.total) == Approx(203.63).margin(0.005 + 1e-9));
}

TEST_CASE("unsloth's files exist for their own model only, in their own layout", "[quant][unsloth]") {
  const auto& q = catalog().require_quant("1.58bit");
  REQUIRE(q.id == "ud-iq1_s");
  REQUIRE(q.legacy_mla_gguf);
  REQUIRE_FALSE(q.recipe_note.empty());
  REQUIRE(quant_holds_model(q, catalog().require_model("deepseek-r1")));
  REQUIRE_FALSE(quant_holds_model(q, catalog().require_model("deepseek-r1-0528")));  // a larger, other recipe
}

TEST_CASE("DeepSeek-V3.2 GGUF (deepseek32): V3.1's blocks plus the indexer, and the MTP block written",
          "[quant][gguf]") {
  // llama.cpp PR #23346: per block indexer.attn_q_b {1536, 8192} and indexer.attn_k {7168, 128} =
  // 13,500,416 weights, Q8_0 at 34 B per 32: 14,344,192 B; indexer.proj {7168, 64} stays F32 as the
  // converter writes it (--outtype q8_0): 1,835,008 B; indexer.k_norm weight and bias, 2 x 128 F32 =
  // 1,024 B. The rest of a block is V3.1-Terminus's.
  const auto v32 = quantize("deepseek-v3.2", "q8_0");
  const auto v31 = quantize("deepseek-v3.1-terminus", "q8_0");
  REQUIRE(v32.total.count() - v32.mtp.count() - v31.total.count() == 61ULL * (14'344'192 + 1'835'008 + 1'024));
  REQUIRE(v31.mtp.count() == 0);  // deepseek2 conversions skip the MTP block
  // DeepseekV32Model writes block 61 (skip_mtp false): one MoE block by hand, Q8_0 except F32 norms,
  // router, bias and indexer.proj, plus nextn.eh_proj {14336, 7168}, three 7,168 F32 norms, and
  // nextn.embed_tokens and nextn.shared_head_head {7168, 129280}.
  const std::uint64_t h = 7168;
  const std::uint64_t q8_weights = h * 1536 + 1536 * 128 * 192 + h * 576 + 2 * 128 * 512 * 128 + 128 * 128 * h  // MLA
                                   + 1536 * 8192 + h * 128               // indexer
                                   + 3 * 256 * h * 2048 + 3 * h * 2048;  // routed and shared experts
  const std::uint64_t f32_values = h + 1536 + 512 + h + h * 256 + 256 + 2 * 128 + h * 64;
  const std::uint64_t block = q8_weights / 32 * 34 + 4 * f32_values;
  const std::uint64_t nextn = 2 * h * h / 32 * 34 + 3 * h * 4 + 2 * (h * 129'280 / 32 * 34);
  REQUIRE(v32.mtp.count() == block + nextn);
  // PR #23346's llama-bench of its DeepSeek-V3.2-Q8_0.gguf: "678.56 GiB" of tensors.
  REQUIRE(gib(v32.total) == Approx(678.56).margin(0.005));
}

TEST_CASE("ubergarm's ik_llama.cpp mixes match the published files", "[quant][gguf][ik_llama]") {
  // The "model size" line (GiB, three decimals) ik_llama.cpp printed loading each file, or the
  // model card's heading for the V3.1 files (docs/validation.md 2.8); type counts from the load
  // logs where one was published. Block sizes of the fork's types: data/quants.json block_types.
  struct Case {
    const char* model;
    const char* quant;
    double printed_gib;
    std::map<std::string, std::uint64_t> counts;  // empty: not published
  };
  const auto c = GENERATE(values<Case>({
      {"deepseek-r1-0528",
       "ubergarm-iq4_ks_r4",
       367.774,
       {{"f32", 361}, {"q8_0", 612}, {"iq4_ks_r4", 116}, {"iq5_ks_r4", 58}}},
      {"deepseek-r1-0528", "ubergarm-iq3_k_r4", 300.938, {}},
      {"deepseek-r1-0528",
       "ubergarm-iq2_k_r4",
       219.019,
       {{"f32", 361}, {"q5_0", 61}, {"iq4_ks", 116}, {"iq5_ks", 435}, {"iq2_k_r4", 116}, {"iq3_k_r4", 58}}},
      {"deepseek-r1-0528",
       "ubergarm-iq1_s_r4",
       130.203,
       {{"f32", 361}, {"q4_0", 61}, {"iq4_ks", 551}, {"iq1_s_r4", 116}, {"iq1_m_r4", 58}}},
      {"deepseek-v3-0324",
       "ubergarm-iq2_k_r4-v3-0324",
       226.003,
       {{"f32", 361}, {"q8_0", 612}, {"iq2_k_r4", 116}, {"iq3_k_r4", 58}}},
      {"deepseek-v3-0324",
       "ubergarm-iq4_k_r4",
       386.183,
       {{"f32", 361}, {"q8_0", 612}, {"iq4_k_r4", 116}, {"iq5_k_r4", 58}}},
      {"deepseek-v3-0324", "ubergarm-iq1_s_r4", 130.203, {}},
      {"deepseek-v3.1", "ubergarm-iq5_k", 465.075, {}},
      {"deepseek-v3.1", "ubergarm-iq4_k", 384.765, {}},
      {"deepseek-v3.1", "ubergarm-iq4_ks", 363.151, {}},
      {"deepseek-v3.1", "ubergarm-iq4_kss", 325.088, {}},
      {"deepseek-v3.1", "ubergarm-smol-iq4_kss", 318.745, {}},
      {"deepseek-v3.1", "ubergarm-iq3_k", 293.177, {}},
      {"deepseek-v3.1", "ubergarm-iq3_ks", 277.397, {}},
      {"deepseek-v3.1", "ubergarm-iq2_kl", 231.206, {}},
      {"deepseek-v3.1", "ubergarm-iq2_kt", 204.592, {}},
      {"deepseek-v3.1", "ubergarm-iq2_ks", 193.144, {}},
      {"deepseek-v3.1", "ubergarm-iq1_kt", 154.968, {}},
      {"deepseek-v3.1", "ubergarm-iq1_s", 133.610, {}},
  }));
  CAPTURE(c.model, c.quant);
  const auto& m = catalog().require_model(c.model);
  const QuantFormat& f = catalog().require_quant(c.quant);
  REQUIRE(quant_holds_model(f, m));
  const auto q = quantize_model(catalog(), m, f, FileLayout{"gguf", false, std::nullopt, f.keeps_attn_kv_b});
  if (!c.counts.empty()) REQUIRE(type_counts(q) == c.counts);
  REQUIRE(gib(q.total) == Approx(c.printed_gib).margin(0.0005 + 1e-9));
}

TEST_CASE("ubergarm's R1-0528 and V3-0324 files keep attn_kv_b beside the split projections", "[quant][ik_llama]") {
  // 1,147 tensors in their load logs: llama.cpp's 1,086 plus attn_kv_b in each of 61 blocks.
  const auto& m = catalog().require_model("deepseek-r1-0528");
  const QuantFormat& f = catalog().require_quant("ubergarm-iq2_k_r4");
  REQUIRE(f.keeps_attn_kv_b);
  REQUIRE(quantize_model(catalog(), m, f, FileLayout{"gguf", false, std::nullopt, true}).tensor_count == 1147);
  REQUIRE(quantize_model(catalog(), m, f, FileLayout{"gguf", false, std::nullopt, false}).tensor_count == 1086);
  REQUIRE_FALSE(catalog().require_quant("ubergarm-iq4_k").keeps_attn_kv_b);  // V3.1: 1,086 (its size says so)
}
