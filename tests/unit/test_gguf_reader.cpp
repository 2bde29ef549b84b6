// GGUF reader and GGUF summaries on files written by tests/unit/model_file_writers.hpp; every
// expected size derived by hand from ggml's block sizes (Q8_0: 32 weights in 34 bytes, Q4_0: 32
// in 18, F32: 4 bytes per weight).
#include <catch2/catch.hpp>

#include <chrono>
#include <deque>

#include "dsplan/base/error.hpp"
#include "dsplan/files/gguf_reader.hpp"
#include "dsplan/files/model_file.hpp"
#include "model_file_writers.hpp"
#include "test_support.hpp"

namespace {

using namespace dsplan;
using namespace dsplan::test;

GgufFile read(const ByteVec& bytes, const std::string& name = "toy.gguf") {
  const MemorySource src(name, bytes);
  return read_gguf(src, catalog());
}

std::string error_of(const ByteVec& bytes) {
  try {
    (void)read(bytes);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

const TypeTally* type_of(const ModelFileInfo& info, const std::string& t) {
  for (const auto& x : info.types)
    if (x.type == t) return &x;
  return nullptr;
}
std::uint64_t group_bytes(const ModelFileInfo& info, const std::string& g) {
  for (const auto& x : info.groups)
    if (x.group == g) return x.bytes.count();
  return 0;
}

}  // namespace

TEST_CASE("GGUF dense GQA: tensor infos, bytes per type and group, KV per token", "[gguf]") {
  const auto file = toy_llama().build();
  const GgufFile f = read(file.bytes);
  REQUIRE(f.version == 3);
  REQUIRE(f.tensors.size() == 21);  // 3 globals + 2 blocks x 9
  REQUIRE(f.str("general.architecture") == "llama");
  REQUIRE(f.u64("llama.block_count") == 2u);
  REQUIRE(f.find("tokenizer.ggml.tokens")->array_length == 256);
  REQUIRE(f.find("llama.attention.layer_norm_rms_epsilon")->real == Approx(1e-5));
  // Per block 256 + 4,352 + 2,176 + 2,176 + 4,352 + 256 + 4,608 + 4,608 + 8,704 = 31,488;
  // globals 17,408 + 256 + 17,408.
  REQUIRE(f.tensor_bytes.count() == 17408 + 256 + 17408 + 2 * 31488);
  REQUIRE(f.file_bytes.count() == file.full_size);

  const ModelFileInfo info = inspect_gguf(std::span(&f, 1), catalog());
  REQUIRE(info.tensor_count == 21);
  REQUIRE(info.tensor_bytes.count() == 98048);
  REQUIRE(info.types.size() == 3);
  REQUIRE(info.types[0].type == "q8_0");  // largest first
  REQUIRE(info.types[0].count == 12);     // embd, output, 2 x (q, k, v, output, down)
  REQUIRE(info.types[0].bytes.count() == 2 * 17408 + 2 * (4352 + 2176 + 2176 + 4352 + 8704));
  REQUIRE(type_of(info, "q4_0")->bytes.count() == 4 * 4608);
  REQUIRE(type_of(info, "f32")->count == 5);
  REQUIRE(group_bytes(info, "embeddings") == 17408);
  REQUIRE(group_bytes(info, "output_head") == 17408);
  REQUIRE(group_bytes(info, "attention") == 2 * (4352 + 2176 + 2176 + 4352));
  REQUIRE(group_bytes(info, "ffn_dense") == 2 * (4608 + 4608 + 8704));
  REQUIRE(group_bytes(info, "norms_biases") == 5 * 256);
  // Elements: 2 x 16,384 + 64 + 2 x (64 + 4,096 + 2,048 + 2,048 + 4,096 + 64 + 3 x 8,192).
  REQUIRE(info.params_total == 106816u);
  REQUIRE(info.architecture == "llama");
  REQUIRE(info.name == "Toy Llama");
  REQUIRE_FALSE(info.catalog_model);
  REQUIRE_FALSE(info.mla_layout);
  // f16 GQA cache: 2 layers x (K 2 heads x 16 + V 2 x 16) values x 2 bytes.
  REQUIRE(info.kv_bytes_per_token == 256u);
  REQUIRE(info.kv_engine == "llama.cpp");
}

TEST_CASE("GGUF DeepSeek MLA: legacy attn_kv_b and split attn_k_b/attn_v_b", "[gguf]") {
  const bool split = GENERATE(false, true);
  CAPTURE(split);
  const auto file = toy_deepseek(split).build();
  const GgufFile f = read(file.bytes);
  const ModelFileInfo info = inspect_gguf(std::span(&f, 1), catalog());
  REQUIRE(info.mla_layout == std::string(split ? "split" : "legacy"));
  REQUIRE(info.tensor_count == (split ? 34u : 32u));  // 3 + 2 x 9 + 3 dense + 8 MoE, +1 per block split
  // Elements (k_b + v_b = kv_b = 2,048 per block): globals 8,256; attention with norms 10,432
  // per block; dense FFN 24,576; MoE FFN 256 + 4 + 24,576 + 6,144.
  REQUIRE(info.params_total == 84676u);
  REQUIRE(info.tensor_bytes.count() == 4 * 84676u);
  REQUIRE(group_bytes(info, "attention") == 4 * 2 * (2048 + 1536 + 2560 + 2048 + 2048));
  REQUIRE(group_bytes(info, "experts_routed") == 4 * 24576);
  REQUIRE(group_bytes(info, "experts_shared") == 4 * 6144);
  REQUIRE(group_bytes(info, "router") == 4 * 260);
  REQUIRE(group_bytes(info, "norms_biases") == 4 * (64 + 2 * 192));
  REQUIRE(info.arch);
  REQUIRE(info.arch->model_type == "deepseek_v3");  // exp_probs_b: V3's router bias
  REQUIRE(info.arch->qk_nope_head_dim == 16);
  REQUIRE(info.arch->v_head_dim == 16);
  REQUIRE(info.arch->n_routed_experts == 4);
  REQUIRE(info.arch->first_k_dense_replace == 1);
  // llama.cpp caches split files as the latent: 2 layers x (kv_lora 32 + rope 8) x 2 bytes;
  // legacy files expanded: 2 layers x 2 heads x (K 16 + 8, V 16) x 2 bytes.
  REQUIRE(info.kv_bytes_per_token == (split ? 160u : 320u));
}

TEST_CASE("GGUF metadata of a catalog model matches it", "[gguf]") {
  // DeepSeek-R1-Distill-Qwen-1.5B's shapes (data/models.json), tensors left out but the embedding.
  GgufWriter w;
  w.kv_str("general.architecture", "qwen2");
  w.kv_str("general.name", "DeepSeek R1 Distill Qwen 1.5B");
  w.kv_u32("qwen2.block_count", 28);
  w.kv_u32("qwen2.embedding_length", 1536);
  w.kv_u32("qwen2.feed_forward_length", 8960);
  w.kv_u32("qwen2.attention.head_count", 12);
  w.kv_u32("qwen2.attention.head_count_kv", 2);
  w.kv_u32("qwen2.context_length", 131072);
  w.tensor("token_embd.weight", {1536, 151936}, Q8_0, q8(1536ULL * 151936));
  w.tensor("output.weight", {1536, 151936}, Q8_0, q8(1536ULL * 151936));
  const auto out = w.build(true);
  const SparseSource src("distill.gguf", out.bytes, out.full_size);
  const GgufFile f = read_gguf(src, catalog());
  const ModelFileInfo info = inspect_gguf(std::span(&f, 1), catalog());
  REQUIRE(info.catalog_model == std::string("r1-distill-qwen-1.5b"));
  // 28 layers x (K 2 x 128 + V 2 x 128) x 2 bytes.
  REQUIRE(info.kv_bytes_per_token == 28u * 512 * 2);
}

TEST_CASE("the tokenizer's 257,021 strings are walked past, not kept", "[gguf]") {
  const std::deque<SparseSource> sources = r1_split_set(3, true);
  const GgufFile first = read_gguf(sources.front(), catalog());
  const GgufKv* tokens = first.find("tokenizer.ggml.tokens");
  REQUIRE(tokens != nullptr);
  REQUIRE(tokens->array_length == 129'280);
  REQUIRE(first.find("tokenizer.ggml.merges")->array_length == 127'741);
  REQUIRE(first.find("tokenizer.ggml.token_type")->array_length == 129'280);
  std::vector<GgufFile> parts{first};
  for (std::size_t i = 1; i < sources.size(); ++i) parts.push_back(read_gguf(sources[i], catalog()));
  REQUIRE(inspect_gguf(parts, catalog()).tensor_count == 1086);
}

TEST_CASE("GGUF split set of DeepSeek-R1's 1,086 tensors", "[gguf]") {
  constexpr std::size_t k_parts = 4;
  const std::deque<SparseSource> sources = r1_split_set(k_parts);
  const auto start = std::chrono::steady_clock::now();
  std::vector<GgufFile> parts;
  for (const auto& s : sources) parts.push_back(read_gguf(s, catalog()));
  const ModelFileInfo info = inspect_gguf(parts, catalog());
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  WARN("1,086-tensor split set inspected in " << ms << " ms");
  REQUIRE(info.tensor_count == 1086);
  // Hand sums (comments in docs/cli.md): embedding and output 926,679,040 each + 7,168; per block
  // attention and norms 187,121,664; dense FFN 396,361,728; MoE FFN 11,320,164,608:
  // 1,853,365,248 + 61 x 187,121,664 + 3 x 396,361,728 + 58 x 11,320,164,608.
  REQUIRE(info.params_total == 671026419200u);
  // 1,021,440 vector elements in F32; the other 671,025,397,760 in Q8_0 (/32 x 34).
  REQUIRE(info.tensor_bytes.count() == 712964485120u + 4u * 1021440u);
  REQUIRE(info.mla_layout == std::string("split"));
  REQUIRE(info.catalog_model == std::string("deepseek-r1"));
  REQUIRE(info.catalog_matches.size() > 1);  // V3, R1-0528, V3.1 ... share the architecture
  REQUIRE(info.kv_bytes_per_token == 61u * 576 * 2);  // latent: kv_lora 512 + rope 64
  REQUIRE(info.files.size() == 4);

  SECTION("a missing part or parts out of order are errors") {
    std::vector<GgufFile> three(parts.begin(), parts.begin() + 3);
    REQUIRE_THROWS_WITH(inspect_gguf(three, catalog()), Catch::Contains("split.count"));
    std::swap(parts[1], parts[2]);
    REQUIRE_THROWS_WITH(inspect_gguf(parts, catalog()), Catch::Contains("split.no"));
  }
}

TEST_CASE("GGUF hostile files: one-line errors naming the file and byte offset", "[gguf]") {
  const ByteVec good = toy_llama().build().bytes;
  SECTION("every truncation is an error, never a crash") {
    for (std::size_t n = 0; n < good.size(); n += 7) {
      const ByteVec cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
      const std::string e = error_of(cut);
      CAPTURE(n, e);
      REQUIRE(e.rfind("toy.gguf: ", 0) == 0);
    }
    REQUIRE_THAT(error_of(ByteVec(good.begin(), good.begin() + 3000)), Catch::Contains("truncated"));
    REQUIRE_THAT(error_of(ByteVec(good.begin(), good.end() - 1)), Catch::Contains("runs past the end"));
  }
  SECTION("bad magic and version") {
    ByteVec b = good;
    b[0] = 'X';
    REQUIRE(error_of(b) == "toy.gguf: byte 0: not a GGUF file (magic is not \"GGUF\")");
    b = good;
    b[4] = 1;
    REQUIRE(error_of(b) == "toy.gguf: byte 4: GGUF version 1 is not supported (2 or 3)");
  }
  SECTION("absurd counts") {
    ByteVec b = good;
    b[15] = 0x7f;  // tensor count high byte
    REQUIRE_THAT(error_of(b), Catch::Contains("byte 8: tensor count"));
    b = good;
    b[8] = 0xff;  // 255 tensors do not fit in the file
    b[9] = 0xff;
    REQUIRE_THAT(error_of(b), Catch::Contains("do not fit"));
  }
  SECTION("unknown type id, too many dimensions, unaligned offset, huge string") {
    GgufWriter w;
    w.tensor("a.weight", {32}, 99, 0);
    REQUIRE_THAT(error_of(w.build().bytes), Catch::Contains("tensor 'a.weight': unknown ggml type id 99"));
    // ik_llama.cpp's Q8_0_X4 (97) is an activation format its kernels convert to; no file stores it.
    GgufWriter ik;
    ik.tensor("a.weight", {256}, 97, 0);
    REQUIRE_THAT(error_of(ik.build().bytes), Catch::Contains("unknown ggml type id 97"));
    GgufWriter d;
    d.tensor("a.weight", {1, 1, 1, 1, 1}, F32, 4);
    REQUIRE_THAT(error_of(d.build().bytes), Catch::Contains("5 dimensions (expected 1 to 4)"));
    GgufWriter r;
    r.tensor("a.weight", {48}, Q8_0, 0);
    REQUIRE_THAT(error_of(r.build().bytes), Catch::Contains("row length 48 is not a multiple of the q8_0 block of 32"));
    ByteVec s = toy_llama().build().bytes;
    // the first key's length (u64 at byte 24) claims 2^40 bytes
    s[24 + 5] = 1;
    REQUIRE_THAT(error_of(s), Catch::Contains("byte 24: a key is 1099511627796 bytes, more than the limit"));
  }
  SECTION("overflowing shapes") {
    GgufWriter w;
    w.tensor("a.weight", {1ULL << 40, 1ULL << 40}, F32, 0);
    REQUIRE_THAT(error_of(w.build().bytes), Catch::Contains("element count overflows"));
  }
}

TEST_CASE("ik_llama.cpp's own types size as its ggml_nbytes: blocks plus per-row bytes", "[gguf]") {
  // Ids and sizes from the fork's ggml.h, ggml-common.h and ggml.c type_traits (@8337e4cd):
  // IQ4_KS 144 (136 B per 256 + a 4-byte float per row), IQ2_K_R4 337 (76 B per 256),
  // IQ1_S_R4 219 (6 B per 32 + 2 B per row), Q6_0 133 (26 B per 32), IQ2_KT 153 (68 B per 256 + 4).
  GgufWriter w;
  w.tensor("a.weight", {512, 3}, 144, 3 * (4 + 2 * 136));  // 828
  w.tensor("b.weight", {256, 4}, 337, 4 * 76);             // 304
  w.tensor("c.weight", {256, 4}, 219, 4 * (2 + 8 * 6));    // 200
  w.tensor("d.weight", {64, 2}, 133, 2 * 2 * 26);          // 104
  w.tensor("e.weight", {256, 2, 3}, 153, 6 * (4 + 68));    // 432: rows span ne1 x ne2
  const GgufFile f = read(w.build().bytes);
  REQUIRE(f.tensors[0].type == "iq4_ks");
  REQUIRE(f.tensors[0].bytes.count() == 828);
  REQUIRE(f.tensors[1].type == "iq2_k_r4");
  REQUIRE(f.tensors[1].bytes.count() == 304);
  REQUIRE(f.tensors[2].type == "iq1_s_r4");
  REQUIRE(f.tensors[2].bytes.count() == 200);
  REQUIRE(f.tensors[3].type == "q6_0");
  REQUIRE(f.tensors[3].bytes.count() == 104);
  REQUIRE(f.tensors[4].type == "iq2_kt");
  REQUIRE(f.tensors[4].bytes.count() == 432);
  REQUIRE(f.tensor_bytes.count() == 828 + 304 + 200 + 104 + 432);
}

TEST_CASE("ggml type names follow ggml.h", "[gguf]") {
  REQUIRE(ggml_type_name(0) == std::string_view("f32"));
  REQUIRE(ggml_type_name(12) == std::string_view("q4_K"));
  REQUIRE(ggml_type_name(30) == std::string_view("bf16"));
  REQUIRE_FALSE(ggml_type_name(4));  // Q4_2, removed
  REQUIRE_FALSE(ggml_type_name(40));
  // ik_llama.cpp's numbering above mainline's
  REQUIRE(ggml_type_name(145) == std::string_view("iq2_ks"));
  REQUIRE(ggml_type_name(399) == std::string_view("q8_k_r8"));
  REQUIRE_FALSE(ggml_type_name(136));  // Q8_K64, an activation format
}

TEST_CASE("DeepSeek-V4-Flash's GGUF as llama.cpp's deepseek4 loader lays it out", "[gguf][v4]") {
  // Every tensor llama.cpp creates for V4-Flash, matrices Q8_0. llama.cpp prints "model params
  // = 284.33 B" loading such a file (issue #27680): its elements, the I32 hash table included.
  const auto out = deepseek4_gguf(v4_flash_dims(), true, Q8_0, q8).build(true);
  const SparseSource src("DeepSeek-V4-Flash-Q8_0.gguf", out.bytes, out.full_size);
  const GgufFile f = read_gguf(src, catalog());
  REQUIRE(f.u64_array("deepseek4.attention.compress_ratios")->size() == 44);
  const ModelFileInfo info = inspect_gguf(std::span(&f, 1), catalog());
  REQUIRE(info.arch_problem.empty());
  REQUIRE(info.catalog_model == std::string("deepseek-v4-flash"));
  REQUIRE(static_cast<double>(info.params_total.value()) / 1e9 == Approx(284.33).margin(0.005));
  // The catalog's inventory of the checkpoint counts the same weights; the GGUF adds the three
  // hash layers' token-to-expert tables (6 x 129,280 values each), a buffer, not parameters.
  const auto inv = build_inventory(catalog().require_model("deepseek-v4-flash").arch);
  REQUIRE(info.params_total.value() == inv.params_total().count() + 3ULL * 6 * 129'280);
  REQUIRE(info.weights->total == info.tensor_bytes);
}

TEST_CASE("short integer arrays are kept, others skipped", "[gguf]") {
  GgufWriter w = toy_llama();
  w.kv_i32_array("llama.attention.compress_ratios", {0, 4, 128});
  w.kv_i32_array("llama.negative", {4, -1});
  const auto out = w.build();
  const SparseSource src("toy.gguf", out.bytes, out.full_size);
  const GgufFile f = read_gguf(src, catalog());
  REQUIRE(f.u64_array("llama.attention.compress_ratios") == std::vector<std::uint64_t>{0, 4, 128});
  REQUIRE(f.u64_array("tokenizer.ggml.token_type")->size() == 256);
  REQUIRE_FALSE(f.u64_array("llama.negative"));         // a negative value is no count
  REQUIRE_FALSE(f.u64_array("tokenizer.ggml.tokens"));  // strings are never kept
  REQUIRE_FALSE(f.u64_array("llama.block_count"));      // a scalar is no array
}
