// Test support: tiny GGUF and safetensors writers that build files in memory (and on disk for
// the CLI tests), plus a sparse byte source that serves a header followed by zeros.
#pragma once

#include <cstdint>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dsplan/files/byte_source.hpp"

namespace dsplan::test {

using ByteVec = std::vector<std::uint8_t>;

inline void put_u32(ByteVec& b, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
inline void put_u64(ByteVec& b, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
inline void put_str(ByteVec& b, const std::string& s) {
  put_u64(b, s.size());
  b.insert(b.end(), s.begin(), s.end());
}

// ggml type ids (ggml.h enum ggml_type) and their block sizes (ggml-common.h), for expected values.
enum GgmlId : std::uint32_t { F32 = 0, F16 = 1, Q4_0 = 2, Q8_0 = 8, Q4_K = 12, Q6_K = 14, BF16 = 30 };

/// Writes GGUF v3: the header, key-values, tensor infos, padding to the alignment, then each
/// tensor's data (zeros) at aligned offsets. Sizes use ggml's block sizes, given per tensor.
class GgufWriter {
 public:
  void kv_u32(const std::string& key, std::uint32_t v) { kv(key, 4), put_u32(m_kv, v); }
  void kv_u64(const std::string& key, std::uint64_t v) { kv(key, 10), put_u64(m_kv, v); }
  void kv_u16(const std::string& key, std::uint16_t v) {
    kv(key, 2);
    m_kv.push_back(static_cast<std::uint8_t>(v));
    m_kv.push_back(static_cast<std::uint8_t>(v >> 8));
  }
  void kv_i32(const std::string& key, std::int32_t v) { kv(key, 5), put_u32(m_kv, static_cast<std::uint32_t>(v)); }
  void kv_f32(const std::string& key, float v) {
    kv(key, 6);
    std::uint32_t bits = 0;
    std::memcpy(&bits, &v, 4);
    put_u32(m_kv, bits);
  }
  void kv_bool(const std::string& key, bool v) { kv(key, 7), m_kv.push_back(v ? 1 : 0); }
  void kv_str(const std::string& key, const std::string& v) { kv(key, 8), put_str(m_kv, v); }
  void kv_str_array(const std::string& key, const std::vector<std::string>& v) {
    kv(key, 9);
    put_u32(m_kv, 8);
    put_u64(m_kv, v.size());
    for (const auto& s : v) put_str(m_kv, s);
  }
  void kv_i32_array(const std::string& key, const std::vector<std::int32_t>& v) {
    kv(key, 9);
    put_u32(m_kv, 5);
    put_u64(m_kv, v.size());
    for (auto x : v) put_u32(m_kv, static_cast<std::uint32_t>(x));
  }
  /// A tensor of `bytes` bytes (computed by the caller from ggml's block size, by hand).
  void tensor(const std::string& name, std::vector<std::uint64_t> ne, std::uint32_t type, std::uint64_t bytes) {
    m_tensors.push_back({name, std::move(ne), type, bytes});
  }
  [[nodiscard]] std::size_t tensors() const { return m_tensors.size(); }

  /// The file's bytes up to the data section (header_only) or whole, and its full size.
  struct Output {
    ByteVec bytes;
    std::uint64_t full_size = 0;
  };
  [[nodiscard]] Output build(bool header_only = false, std::uint64_t alignment = 32) const {
    ByteVec b = {'G', 'G', 'U', 'F'};
    put_u32(b, 3);
    put_u64(b, m_tensors.size());
    put_u64(b, m_kv_count);
    b.insert(b.end(), m_kv.begin(), m_kv.end());
    std::uint64_t offset = 0;
    for (const auto& t : m_tensors) {
      put_str(b, t.name);
      put_u32(b, static_cast<std::uint32_t>(t.ne.size()));
      for (auto n : t.ne) put_u64(b, n);
      put_u32(b, t.type);
      put_u64(b, offset);
      offset += (t.bytes + alignment - 1) / alignment * alignment;
    }
    while (b.size() % alignment != 0) b.push_back(0);
    Output out;
    out.full_size = b.size() + offset;
    if (!header_only) b.resize(out.full_size, 0);
    out.bytes = std::move(b);
    return out;
  }

 private:
  struct T {
    std::string name;
    std::vector<std::uint64_t> ne;
    std::uint32_t type;
    std::uint64_t bytes;
  };
  void kv(const std::string& key, std::uint32_t type) {
    ++m_kv_count;
    put_str(m_kv, key);
    put_u32(m_kv, type);
  }
  ByteVec m_kv;
  std::uint64_t m_kv_count = 0;
  std::vector<T> m_tensors;
};

/// Writes a safetensors file: u64 header length, JSON header, data (zeros), tensors packed in
/// the order given.
class SafetensorsWriter {
 public:
  void tensor(const std::string& name, const std::string& dtype, std::vector<std::uint64_t> shape, std::uint64_t bytes) {
    m_header[name] = {{"dtype", dtype}, {"shape", shape}, {"data_offsets", {m_offset, m_offset + bytes}}};
    m_offset += bytes;
  }
  void metadata(const std::string& k, const std::string& v) { m_header["__metadata__"][k] = v; }
  [[nodiscard]] ByteVec build() const {
    const std::string h = m_header.dump();
    ByteVec b;
    put_u64(b, h.size());
    b.insert(b.end(), h.begin(), h.end());
    b.resize(b.size() + m_offset, 0);
    return b;
  }

 private:
  nlohmann::json m_header = nlohmann::json::object();
  std::uint64_t m_offset = 0;
};

// Block sizes (ggml-common.h): Q8_0 32 weights in 34 bytes, Q4_0 32 in 18, F32 4 bytes each.
inline std::uint64_t q8(std::uint64_t n) { return n / 32 * 34; }
inline std::uint64_t q4(std::uint64_t n) { return n / 32 * 18; }
inline std::uint64_t f32(std::uint64_t n) { return n * 4; }

/// Toy Llama: hidden 64, 2 layers, 4 heads, 2 KV heads (head dim 16), FFN 128, vocab 256.
inline GgufWriter toy_llama() {
  GgufWriter w;
  w.kv_str("general.architecture", "llama");
  w.kv_str("general.name", "Toy Llama");
  w.kv_u32("llama.block_count", 2);
  w.kv_u32("llama.context_length", 2048);
  w.kv_u32("llama.embedding_length", 64);
  w.kv_u32("llama.feed_forward_length", 128);
  w.kv_u32("llama.attention.head_count", 4);
  w.kv_u32("llama.attention.head_count_kv", 2);
  w.kv_f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  w.kv_bool("general.quantized", true);
  w.kv_i32_array("tokenizer.ggml.token_type", std::vector<std::int32_t>(256, 1));
  std::vector<std::string> tokens;
  for (int i = 0; i < 256; ++i) tokens.push_back("tok" + std::to_string(i));
  w.kv_str_array("tokenizer.ggml.tokens", tokens);
  w.tensor("token_embd.weight", {64, 256}, Q8_0, q8(64 * 256));  // 17,408
  w.tensor("output_norm.weight", {64}, F32, f32(64));              // 256
  w.tensor("output.weight", {64, 256}, Q8_0, q8(64 * 256));        // 17,408
  for (int b = 0; b < 2; ++b) {
    const std::string p = "blk." + std::to_string(b) + ".";
    w.tensor(p + "attn_norm.weight", {64}, F32, f32(64));            // 256
    w.tensor(p + "attn_q.weight", {64, 64}, Q8_0, q8(64 * 64));      // 4,352
    w.tensor(p + "attn_k.weight", {64, 32}, Q8_0, q8(64 * 32));      // 2,176
    w.tensor(p + "attn_v.weight", {64, 32}, Q8_0, q8(64 * 32));      // 2,176
    w.tensor(p + "attn_output.weight", {64, 64}, Q8_0, q8(64 * 64)); // 4,352
    w.tensor(p + "ffn_norm.weight", {64}, F32, f32(64));             // 256
    w.tensor(p + "ffn_gate.weight", {64, 128}, Q4_0, q4(64 * 128));  // 4,608
    w.tensor(p + "ffn_up.weight", {64, 128}, Q4_0, q4(64 * 128));    // 4,608
    w.tensor(p + "ffn_down.weight", {128, 64}, Q8_0, q8(128 * 64));  // 8,704
  }
  return w;
}

/// Toy DeepSeek-V3 (deepseek2): hidden 64, 2 layers (the first dense), 2 heads, q_lora 32,
/// kv_lora 32, qk_nope 16, qk_rope 8, v_head 16, 4 routed experts of 32 (2 per token) + 1
/// shared, FFN 128, vocab 64. Every tensor F32. As deepseek32 (V3.2), each block adds the
/// sparse-attention indexer (2 heads of 16, top 8) and `mtp` MTP blocks follow the main two,
/// counted in block_count as convert_hf_to_gguf.py counts them (nextn_predict_layers); without
/// `indexer_keys`, the indexer's header keys are left out.
inline GgufWriter toy_deepseek(bool split, const std::string& arch = "deepseek2", std::uint32_t mtp = 0,
                               bool indexer_keys = true) {
  GgufWriter w;
  const std::string a = arch + ".";
  w.kv_str("general.architecture", arch);
  w.kv_u32(a + "block_count", 2 + mtp);
  if (mtp > 0) w.kv_u32(a + "nextn_predict_layers", mtp);
  const bool indexer = arch == "deepseek32";
  if (indexer && indexer_keys) {
    w.kv_u32(a + "attention.indexer.head_count", 2);
    w.kv_u32(a + "attention.indexer.key_length", 16);
    w.kv_u32(a + "attention.indexer.top_k", 8);
  }
  w.kv_u32(a + "context_length", 4096);
  w.kv_u32(a + "embedding_length", 64);
  w.kv_u32(a + "feed_forward_length", 128);
  w.kv_u32(a + "attention.head_count", 2);
  w.kv_u32(a + "attention.head_count_kv", split ? 1 : 2);
  w.kv_u32(a + "attention.q_lora_rank", 32);
  w.kv_u32(a + "attention.kv_lora_rank", 32);
  w.kv_u32(a + "rope.dimension_count", 8);
  if (split) {  // llama.cpp since PR #12801: key/value lengths of the latent, per-head sizes in *_mla
    w.kv_u32(a + "attention.key_length", 40);
    w.kv_u32(a + "attention.value_length", 32);
    w.kv_u32(a + "attention.key_length_mla", 24);
    w.kv_u32(a + "attention.value_length_mla", 16);
  } else {
    w.kv_u32(a + "attention.key_length", 24);
    w.kv_u32(a + "attention.value_length", 16);
  }
  w.kv_u32(a + "leading_dense_block_count", 1);
  w.kv_u32(a + "expert_count", 4);
  w.kv_u32(a + "expert_shared_count", 1);
  w.kv_u32(a + "expert_used_count", 2);
  w.kv_u32(a + "expert_feed_forward_length", 32);
  const auto t = [&](const std::string& name, std::vector<std::uint64_t> ne) {
    std::uint64_t n = 1;
    for (auto x : ne) n *= x;
    w.tensor(name, std::move(ne), F32, f32(n));
  };
  t("token_embd.weight", {64, 64});
  t("output_norm.weight", {64});
  t("output.weight", {64, 64});
  for (std::uint32_t b = 0; b < 2 + mtp; ++b) {
    const std::string p = "blk." + std::to_string(b) + ".";
    t(p + "attn_norm.weight", {64});
    t(p + "attn_q_a.weight", {64, 32});
    t(p + "attn_q_a_norm.weight", {32});
    t(p + "attn_q_b.weight", {32, 48});        // heads x (nope + rope)
    t(p + "attn_kv_a_mqa.weight", {64, 40});   // kv_lora + rope
    t(p + "attn_kv_a_norm.weight", {32});
    if (split) {
      t(p + "attn_k_b.weight", {16, 32, 2});   // [nope, kv_lora, heads]
      t(p + "attn_v_b.weight", {32, 16, 2});   // [kv_lora, v_head, heads]
    } else {
      t(p + "attn_kv_b.weight", {32, 64});     // heads x (nope + v)
    }
    t(p + "attn_output.weight", {32, 64});
    if (indexer) {
      t(p + "indexer.attn_q_b.weight", {32, 32});  // q_lora x heads x head_dim
      t(p + "indexer.attn_k.weight", {64, 16});
      t(p + "indexer.k_norm.weight", {16});
      t(p + "indexer.k_norm.bias", {16});
      t(p + "indexer.proj.weight", {64, 2});
    }
    if (b >= 2) {  // the MTP block's own projection and norms
      t(p + "nextn.eh_proj.weight", {128, 64});
      t(p + "nextn.enorm.weight", {64});
      t(p + "nextn.hnorm.weight", {64});
      t(p + "nextn.shared_head_norm.weight", {64});
    }
    t(p + "ffn_norm.weight", {64});
    if (b == 0) {
      t(p + "ffn_gate.weight", {64, 128});
      t(p + "ffn_up.weight", {64, 128});
      t(p + "ffn_down.weight", {128, 64});
    } else {
      t(p + "ffn_gate_inp.weight", {64, 4});
      t(p + "exp_probs_b.bias", {4});
      t(p + "ffn_gate_exps.weight", {64, 32, 4});
      t(p + "ffn_up_exps.weight", {64, 32, 4});
      t(p + "ffn_down_exps.weight", {32, 64, 4});
      t(p + "ffn_gate_shexp.weight", {64, 32});
      t(p + "ffn_up_shexp.weight", {64, 32});
      t(p + "ffn_down_shexp.weight", {32, 64});
    }
  }
  return w;
}

/// A DeepSeek-V4 (deepseek4) GGUF's dimensions, as llama.cpp's loader reads them.
struct V4Dims {
  std::uint64_t hidden = 64, blocks = 4, heads = 2, head = 128, rope = 64, q_lora = 32, groups = 2, o_rank = 16,
                window = 16, idx_heads = 2, idx_head = 32, idx_top = 8, hc = 2, experts = 4, used = 2, ffn = 32,
                hash = 1, vocab = 64;
  std::vector<std::int32_t> ratios = {0, 4, 128, 4, 0};  ///< the MTP block's ratio last, as converted
};

/// DeepSeek-V4-Flash's (config.json of deepseek-ai/DeepSeek-V4-Flash).
inline V4Dims v4_flash_dims() {
  V4Dims d{4096, 43, 64, 512, 64, 1024, 8, 1024, 128, 64, 128, 512, 4, 256, 6, 2048, 3, 129280, {0, 0}};
  for (int i = 0; i < 20; ++i) d.ratios.insert(d.ratios.end(), {4, 128});
  d.ratios.insert(d.ratios.end(), {4, 0});
  return d;
}

/// A DeepSeek-V4 GGUF (deepseek4), shapes as llama.cpp's loader creates them
/// (src/models/deepseek4.cpp load_arch_tensors), matrices of `type` (`bytes` per value count),
/// vectors, the router and the compressors' position biases F32, the hash table I32. The
/// default dims are a toy: hidden 64, 4 blocks with compress ratios 0, 4, 128, 4, 2 heads sharing
/// one KV head of 128 values (64 rotary), q_lora 32, output in 2 groups of rank 16, sliding
/// window 16, indexer 2 heads of 32 (top 8), hyper-connections x2, 4 routed experts of 32 (2 per
/// token) + 1 shared, the first block hash-routed, vocab 64. Without `group_key` the output
/// group count is left out.
inline GgufWriter deepseek4_gguf(const V4Dims& d = {}, bool group_key = true, std::uint32_t type = F32,
                                 std::uint64_t (*bytes)(std::uint64_t) = f32) {
  GgufWriter w;
  const std::string a = "deepseek4.";
  w.kv_str("general.architecture", "deepseek4");
  w.kv_str("general.name", d.blocks == 43 ? "DeepSeek-V4-Flash" : "Toy V4");
  w.kv_u32(a + "block_count", static_cast<std::uint32_t>(d.blocks));
  w.kv_u32(a + "context_length", 65536);
  w.kv_u32(a + "embedding_length", static_cast<std::uint32_t>(d.hidden));
  w.kv_u32(a + "attention.head_count", static_cast<std::uint32_t>(d.heads));
  w.kv_u32(a + "attention.head_count_kv", 1);
  w.kv_u32(a + "attention.key_length", static_cast<std::uint32_t>(d.head));
  w.kv_u32(a + "attention.value_length", static_cast<std::uint32_t>(d.head));
  w.kv_u32(a + "rope.dimension_count", static_cast<std::uint32_t>(d.rope));
  w.kv_u32(a + "attention.q_lora_rank", static_cast<std::uint32_t>(d.q_lora));
  if (group_key) w.kv_u32(a + "attention.output_group_count", static_cast<std::uint32_t>(d.groups));
  w.kv_u32(a + "attention.output_lora_rank", static_cast<std::uint32_t>(d.o_rank));
  w.kv_u32(a + "attention.sliding_window", static_cast<std::uint32_t>(d.window));
  w.kv_u32(a + "attention.indexer.head_count", static_cast<std::uint32_t>(d.idx_heads));
  w.kv_u32(a + "attention.indexer.key_length", static_cast<std::uint32_t>(d.idx_head));
  w.kv_u32(a + "attention.indexer.top_k", static_cast<std::uint32_t>(d.idx_top));
  w.kv_u32(a + "hyper_connection.count", static_cast<std::uint32_t>(d.hc));
  w.kv_u32(a + "hash_layer_count", static_cast<std::uint32_t>(d.hash));
  w.kv_u32(a + "expert_count", static_cast<std::uint32_t>(d.experts));
  w.kv_u32(a + "expert_used_count", static_cast<std::uint32_t>(d.used));
  w.kv_u32(a + "expert_shared_count", 1);
  w.kv_u32(a + "expert_feed_forward_length", static_cast<std::uint32_t>(d.ffn));
  w.kv_i32_array(a + "attention.compress_ratios", d.ratios);
  const auto count = [](const std::vector<std::uint64_t>& ne) {
    std::uint64_t n = 1;
    for (auto x : ne) n *= x;
    return n;
  };
  const auto vec = [&](const std::string& name, std::vector<std::uint64_t> ne, std::uint32_t t = F32) {
    const std::uint64_t n = count(ne);
    w.tensor(name, std::move(ne), t, f32(n));  // F32 and I32: 4 bytes a value
  };
  const auto mat = [&](const std::string& name, std::vector<std::uint64_t> ne) {
    const std::uint64_t n = count(ne);
    w.tensor(name, std::move(ne), type, bytes(n));
  };
  const std::uint64_t mix = (2 + d.hc) * d.hc;
  mat("token_embd.weight", {d.hidden, d.vocab});
  vec("output_norm.weight", {d.hidden});
  mat("output.weight", {d.hidden, d.vocab});
  vec("output_hc_base.weight", {d.hc});
  vec("output_hc_fn.weight", {d.hc * d.hidden, d.hc});
  vec("output_hc_scale.weight", {1});
  for (std::size_t b = 0; b < d.blocks; ++b) {
    const std::string p = "blk." + std::to_string(b) + ".";
    const std::uint64_t ratio = b < d.ratios.size() ? static_cast<std::uint64_t>(d.ratios[b]) : 0;
    for (const char* k : {"attn", "ffn"}) {
      vec(p + "hc_" + k + "_base.weight", {mix});
      vec(p + "hc_" + k + "_fn.weight", {d.hc * d.hidden, mix});
      vec(p + "hc_" + k + "_scale.weight", {3});
    }
    vec(p + "attn_norm.weight", {d.hidden});
    vec(p + "ffn_norm.weight", {d.hidden});
    vec(p + "attn_sinks.weight", {d.heads});
    vec(p + "attn_q_a_norm.weight", {d.q_lora});
    vec(p + "attn_kv_a_norm.weight", {d.head});
    mat(p + "attn_q_a.weight", {d.hidden, d.q_lora});
    mat(p + "attn_q_b.weight", {d.q_lora, d.heads * d.head});
    mat(p + "attn_kv.weight", {d.hidden, d.head});
    mat(p + "attn_output_a.weight", {d.heads * d.head / d.groups, d.groups * d.o_rank});
    mat(p + "attn_output_b.weight", {d.groups * d.o_rank, d.hidden});
    const auto compressor = [&](const std::string& pre, std::uint64_t dim) {
      const std::uint64_t c = ratio == 4 ? 2 : 1;  // ratio-4 windows overlap
      vec(p + pre + "_compressor_ape.weight", {c * dim, ratio});
      mat(p + pre + "_compressor_kv.weight", {d.hidden, c * dim});
      mat(p + pre + "_compressor_gate.weight", {d.hidden, c * dim});
      vec(p + pre + "_compressor_norm.weight", {dim});
    };
    if (ratio > 0) compressor("attn", d.head);
    if (ratio == 4) {
      mat(p + "indexer.attn_q_b.weight", {d.q_lora, d.idx_heads * d.idx_head});
      vec(p + "indexer.proj.weight", {d.hidden, d.idx_heads});
      compressor("indexer", d.idx_head);
    }
    vec(p + "ffn_gate_inp.weight", {d.hidden, d.experts});
    if (b < d.hash)
      vec(p + "ffn_gate_tid2eid.weight", {d.used, d.vocab}, 26);  // GGML_TYPE_I32
    else
      vec(p + "exp_probs_b.bias", {d.experts});
    mat(p + "ffn_gate_exps.weight", {d.hidden, d.ffn, d.experts});
    mat(p + "ffn_down_exps.weight", {d.ffn, d.hidden, d.experts});
    mat(p + "ffn_up_exps.weight", {d.hidden, d.ffn, d.experts});
    mat(p + "ffn_gate_shexp.weight", {d.hidden, d.ffn});
    mat(p + "ffn_down_shexp.weight", {d.ffn, d.hidden});
    mat(p + "ffn_up_shexp.weight", {d.hidden, d.ffn});
  }
  return w;
}

/// A header in memory followed by zeros up to `size` (a 671B file without 671 GB of RAM).
class SparseSource final : public ByteSource {
 public:
  SparseSource(std::string name, ByteVec head, std::uint64_t size)
      : m_name(std::move(name)), m_head(std::move(head)), m_size(size) {}
  [[nodiscard]] const std::string& name() const override { return m_name; }
  [[nodiscard]] std::uint64_t size() const override { return m_size; }
  void read(std::uint64_t offset, std::span<std::uint8_t> out) const override {
    for (std::size_t i = 0; i < out.size(); ++i)
      out[i] = offset + i < m_head.size() ? m_head[static_cast<std::size_t>(offset + i)] : 0;
  }

 private:
  std::string m_name;
  ByteVec m_head;
  std::uint64_t m_size;
};

/// DeepSeek-R1's tokenizer as GGUF metadata of the published files' size: 129,280 tokens with
/// their types and 127,741 merges (DeepSeek-V3 tokenizer.json; the strings here are stand-ins of
/// typical length). Several MB of header that a reader must walk past.
inline void add_r1_tokenizer(GgufWriter& w) {
  std::vector<std::string> tokens, merges;
  // Appends, not `a + b + c` (gcc 12's -Wrestrict misfires on such chains).
  for (int i = 0; i < 129'280; ++i) tokens.push_back(std::string("tok").append(std::to_string(i)));
  for (int i = 0; i < 127'741; ++i)
    merges.push_back(std::string("m").append(std::to_string(i)).append(" x").append(std::to_string(i % 97)));
  w.kv_str("tokenizer.ggml.model", "gpt2");
  w.kv_str_array("tokenizer.ggml.tokens", tokens);
  w.kv_i32_array("tokenizer.ggml.token_type", std::vector<std::int32_t>(tokens.size(), 1));
  w.kv_str_array("tokenizer.ggml.merges", merges);
}

/// DeepSeek-R1 as a GGUF split set of `k_parts` (< 10) header-only parts: 1,086 tensors, matrices
/// Q8_0 and vectors F32; with the tokenizer's metadata in the first part when asked.
inline std::deque<SparseSource> r1_split_set(std::size_t k_parts, bool with_tokenizer = false) {
  // DeepSeek-V3 architecture as llama.cpp converts it (split MLA, no MTP block): 3 globals,
  // 3 dense blocks of 13 tensors, 58 MoE blocks of 18. Matrices Q8_0, vectors F32.
  struct T {
    std::string name;
    std::vector<std::uint64_t> ne;
  };
  std::vector<T> all = {{"token_embd.weight", {7168, 129280}}, {"output_norm.weight", {7168}},
                        {"output.weight", {7168, 129280}}};
  for (int b = 0; b < 61; ++b) {
    const std::string p = "blk." + std::to_string(b) + ".";
    for (T t : std::vector<T>{{"attn_norm.weight", {7168}},         {"attn_q_a.weight", {7168, 1536}},
                              {"attn_q_a_norm.weight", {1536}},     {"attn_q_b.weight", {1536, 24576}},
                              {"attn_kv_a_mqa.weight", {7168, 576}}, {"attn_kv_a_norm.weight", {512}},
                              {"attn_k_b.weight", {128, 512, 128}}, {"attn_v_b.weight", {512, 128, 128}},
                              {"attn_output.weight", {16384, 7168}}, {"ffn_norm.weight", {7168}}})
      all.push_back({p + t.name, t.ne});
    if (b < 3) {
      for (T t : std::vector<T>{{"ffn_gate.weight", {7168, 18432}}, {"ffn_up.weight", {7168, 18432}},
                                {"ffn_down.weight", {18432, 7168}}})
        all.push_back({p + t.name, t.ne});
    } else {
      for (T t : std::vector<T>{{"ffn_gate_inp.weight", {7168, 256}},       {"exp_probs_b.bias", {256}},
                                {"ffn_gate_exps.weight", {7168, 2048, 256}}, {"ffn_up_exps.weight", {7168, 2048, 256}},
                                {"ffn_down_exps.weight", {2048, 7168, 256}}, {"ffn_gate_shexp.weight", {7168, 2048}},
                                {"ffn_up_shexp.weight", {7168, 2048}},       {"ffn_down_shexp.weight", {2048, 7168}}})
        all.push_back({p + t.name, t.ne});
    }
  }
  std::deque<SparseSource> sources;  // SparseSource is neither copyable nor movable
  for (std::size_t part = 0; part < k_parts; ++part) {
    GgufWriter w;
    if (part == 0) {
      w.kv_str("general.architecture", "deepseek2");
      w.kv_str("general.name", "DeepSeek R1");
      for (auto [k, v] : std::vector<std::pair<std::string, std::uint32_t>>{
               {"block_count", 61}, {"context_length", 163840}, {"embedding_length", 7168},
               {"feed_forward_length", 18432}, {"attention.head_count", 128}, {"attention.head_count_kv", 1},
               {"attention.q_lora_rank", 1536}, {"attention.kv_lora_rank", 512}, {"attention.key_length", 576},
               {"attention.value_length", 512}, {"attention.key_length_mla", 192},
               {"attention.value_length_mla", 128}, {"rope.dimension_count", 64}, {"leading_dense_block_count", 3},
               {"expert_count", 256}, {"expert_shared_count", 1}, {"expert_used_count", 8},
               {"expert_feed_forward_length", 2048}})
        w.kv_u32("deepseek2." + k, v);
      w.kv_i32("split.tensors.count", 1086);
      if (with_tokenizer) add_r1_tokenizer(w);
    }
    w.kv_u16("split.no", static_cast<std::uint16_t>(part));
    w.kv_u16("split.count", static_cast<std::uint16_t>(k_parts));
    for (std::size_t i = part * all.size() / k_parts; i < (part + 1) * all.size() / k_parts; ++i) {
      std::uint64_t n = 1;
      for (auto x : all[i].ne) n *= x;
      if (all[i].ne.size() == 1) w.tensor(all[i].name, all[i].ne, F32, f32(n));
      else w.tensor(all[i].name, all[i].ne, Q8_0, q8(n));
    }
    auto out = w.build(true);
    sources.emplace_back("r1-0000" + std::to_string(part + 1) + "-of-0000" + std::to_string(k_parts) + ".gguf", std::move(out.bytes), out.full_size);
  }
  return sources;
}

inline void write_file(const std::filesystem::path& path, const ByteVec& bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

/// A fresh directory under the system temp directory for one test.
inline std::filesystem::path temp_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("dsplan-test-" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace dsplan::test
