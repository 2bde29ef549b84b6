// The attention table: one entry per kind, each a set of small functions. Shapes follow the
// modeling code of each architecture:
//   GQA  transformers models/{llama,qwen2,qwen3}/modeling_*.py: q/k/v/o_proj; Qwen2 q/k/v_proj
//        have bias=True; Qwen3 adds q_norm/k_norm (RMSNorm over head_dim).
//   MLA  deepseek-ai/DeepSeek-V3 modeling_deepseek.py: q_a_proj, q_a_layernorm, q_b_proj (q_proj
//        when q_lora_rank is null, V2-Lite), kv_a_proj_with_mqa, kv_a_layernorm, kv_b_proj, o_proj.
//   DSA  deepseek-ai/DeepSeek-V3.2-Exp inference/model.py Indexer: wq_b (q_lora -> heads*dim),
//        wk (h -> dim), k_norm (LayerNorm: weight and bias), weights_proj (h -> heads).
#include "dsplan/model/attention.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "dsplan/model/kv_cache.hpp"
#include "dsplan/model/tensors.hpp"

namespace dsplan {

std::string_view attention_name(AttentionKind kind) { return name_in<AttentionKind>(k_attention_kinds, kind); }
std::string_view kv_layout_name(KvLayout layout) { return name_in<KvLayout>(k_kv_layouts, layout); }

std::uint64_t KvStream::entries(std::uint64_t tokens) const {
  if (per_sequence) return 1;
  if (cell_padding > 0) {
    const std::uint64_t cells = round_up(tokens, cell_padding, "KV cache cells");
    std::uint64_t n = tokens_per_entry > 1 ? std::max<std::uint64_t>(1, ceil_div(cells, tokens_per_entry)) : cells;
    if (window > 0) n = std::min(n, window + window_slack);
    return round_up(n, cell_padding, "KV cache cells");
  }
  const std::uint64_t n = tokens_per_entry > 1 ? tokens / tokens_per_entry : tokens;
  return window > 0 ? std::min(n, window + window_slack) : n;
}

double KvStream::entries_read(double context) const {
  if (per_sequence) return 1.0;
  double n = tokens_per_entry > 1 ? context / static_cast<double>(tokens_per_entry) : context;
  if (window > 0) n = std::min(n, static_cast<double>(window));
  return read_limit > 0 ? std::min(n, static_cast<double>(read_limit)) : n;
}

namespace {

using activation::k_bf16;
using activation::k_fp32;
using activation::norm_bytes;

double d(std::uint64_t v) { return static_cast<double>(v); }

/// Integral over x in [0, t] of min(x / ratio, cap): the positions a causal prompt's queries
/// attend to, summed (cap 0 = uncapped).
double attended_sum(double t, double ratio, double cap) {
  if (cap <= 0 || t / ratio <= cap) return t * t / (2.0 * ratio);
  return cap * t - cap * cap * ratio / 2.0;
}

/// A cache with one entry of K (and V) values per token in every layer.
KvStream per_token(std::string name, std::uint64_t layers, std::uint64_t k_values, std::uint64_t v_values) {
  KvStream s;
  s.name = std::move(name);
  s.layers = layers;
  s.k_values = k_values;
  s.v_values = v_values;
  return s;
}

// ---- grouped-query attention ------------------------------------------------------------

std::string gqa_missing(const ModelArch&) { return {}; }

void gqa_tensors(BlockLayout& b, const ModelArch& a, std::uint64_t) {
  const std::uint64_t q_dim = a.num_heads * a.head_dim;
  const std::uint64_t kv_dim = a.num_kv_heads * a.head_dim;
  add_matrix(b, TensorRole::attn_q, a.hidden_size, q_dim);
  add_matrix(b, TensorRole::attn_k, a.hidden_size, kv_dim);
  add_matrix(b, TensorRole::attn_v, a.hidden_size, kv_dim);
  if (a.traits.qkv_bias) {
    add_vector(b, TensorRole::attn_q_bias, q_dim);
    add_vector(b, TensorRole::attn_k_bias, kv_dim);
    add_vector(b, TensorRole::attn_v_bias, kv_dim);
  }
  if (a.traits.qk_norm) {
    add_vector(b, TensorRole::attn_q_norm, a.head_dim);
    add_vector(b, TensorRole::attn_k_norm, a.head_dim);
  }
  add_matrix(b, TensorRole::attn_output, q_dim, a.hidden_size);
}

std::uint64_t same_every_layer(const ModelArch&, std::uint64_t) { return 0; }

KvShape gqa_kv(const ModelArch& a, const EngineSpec&, const KvCacheRequest&) {
  const std::uint64_t values = a.num_kv_heads * a.head_dim;
  return {KvLayout::gqa, {per_token("kv", a.num_layers, values, values)}};
}

// Decode: q.k and p.v over each cached position, per head; prefill: the same over the prompt.
double gqa_decode_flops(const ModelArch& a, KvLayout, double context, std::uint64_t) {
  return 2.0 * context * d(a.num_heads) * 2.0 * d(a.head_dim);
}
double gqa_prefill_flops(const ModelArch& a, double tokens, std::uint64_t) {
  return tokens * tokens * d(a.num_heads) * 2.0 * d(a.head_dim);
}

// vLLM shards KV heads over ranks, or replicates each one on tp / n_kv ranks.
std::string gqa_tp_violation(const ModelArch& a, std::uint64_t tp) {
  const std::uint64_t kv = a.num_kv_heads;
  if (tp >= kv ? tp % kv != 0 : kv % tp != 0)
    return fmt::format("tensor parallel size {} and the {} KV heads: one must divide the other", tp, kv);
  return {};
}
double gqa_kv_share(const ModelArch& a, std::uint64_t tp) {
  return d(std::max<std::uint64_t>(1, a.num_kv_heads / tp)) / d(a.num_kv_heads);
}

std::uint64_t gqa_activations(const ModelArch& a) {
  const std::uint64_t q = a.num_heads * a.head_dim;
  const std::uint64_t kv = a.num_kv_heads * a.head_dim;
  std::uint64_t n = 0;
  if (a.traits.qk_norm) n += k_bf16 * (q + kv) + k_fp32 * (a.num_heads + a.num_kv_heads);
  return n + k_bf16 * (2 * q + 2 * kv);  // q, k, v, o
}

/// Positions a query attends to on average under a causal mask.
double causal_positions(std::uint64_t seq) { return (d(seq) + 1.0) / 2.0; }

double gqa_training_flops(const ModelArch& a, std::uint64_t seq) {
  return 2.0 * d(a.num_heads) * 2.0 * d(a.head_dim) * causal_positions(seq);
}

bool no_extra_target(TensorRole) { return false; }

std::vector<ConfigField> gqa_fields(const ModelArch& a) {
  return {{"num_key_value_heads", a.num_kv_heads}, {"head_dim", a.head_dim}};
}

std::string gqa_summary(const ModelArch& a) {
  return fmt::format("KV heads {}, head dim {}", a.num_kv_heads, a.head_dim);
}

// ---- multi-head latent attention --------------------------------------------------------

std::string mla_missing(const ModelArch& a) {
  return a.kv_lora_rank > 0 ? std::string() : "needs kv_lora_rank (multi-head latent attention)";
}

void mla_tensors(BlockLayout& b, const ModelArch& a, std::uint64_t) {
  const std::uint64_t qk_head = a.qk_nope_head_dim + a.qk_rope_head_dim;
  if (a.q_lora_rank > 0) {
    add_matrix(b, TensorRole::attn_q_a, a.hidden_size, a.q_lora_rank);
    add_vector(b, TensorRole::attn_q_a_norm, a.q_lora_rank);
    add_matrix(b, TensorRole::attn_q_b, a.q_lora_rank, a.num_heads * qk_head);
  } else {
    add_matrix(b, TensorRole::attn_q, a.hidden_size, a.num_heads * qk_head);
  }
  add_matrix(b, TensorRole::attn_kv_a_mqa, a.hidden_size, a.kv_lora_rank + a.qk_rope_head_dim);
  add_vector(b, TensorRole::attn_kv_a_norm, a.kv_lora_rank);
  add_matrix(b, TensorRole::attn_kv_b, a.kv_lora_rank, a.num_heads * (a.qk_nope_head_dim + a.v_head_dim));
  add_matrix(b, TensorRole::attn_output, a.num_heads * a.v_head_dim, a.hidden_size);
}

/// The engine's MLA layout unless the user overrides it: the latent (kv_lora_rank + rope, with
/// or without a separate V copy) or per-head K and V.
KvShape mla_kv(const ModelArch& a, const EngineSpec& engine, const KvCacheRequest& req) {
  MlaCacheLayout mla = req.legacy_mla_gguf ? engine.mla_cache_legacy_gguf : engine.mla_cache;
  bool separate_v = !engine.mla_v_is_view_of_k;
  if (req.mla == MlaCacheOverride::latent || req.mla == MlaCacheOverride::latent_plus_v) {
    mla = MlaCacheLayout::latent;
    separate_v = req.mla == MlaCacheOverride::latent_plus_v;
  } else if (req.mla == MlaCacheOverride::expanded) {
    mla = MlaCacheLayout::expanded;
  }
  if (mla == MlaCacheLayout::latent)
    return {KvLayout::mla_latent,
            {per_token("kv", a.num_layers, a.kv_lora_rank + a.qk_rope_head_dim, separate_v ? a.kv_lora_rank : 0)}};
  return {KvLayout::mla_expanded,
          {per_token("kv", a.num_layers, a.num_heads * (a.qk_nope_head_dim + a.qk_rope_head_dim), a.num_heads * a.v_head_dim)}};
}

// Prefill decompresses to per-head K (nope + rope) and V; decode on the latent cache multiplies
// queries into the kv_lora_rank + rope latent and back (weight absorption).
double mla_prefill_width(const ModelArch& a) {
  return d(a.num_heads) * d(a.qk_nope_head_dim + a.qk_rope_head_dim + a.v_head_dim);
}
double mla_decode_flops(const ModelArch& a, KvLayout layout, double context, std::uint64_t) {
  const double width = layout == KvLayout::mla_latent ? d(a.num_heads) * d(2 * a.kv_lora_rank + a.qk_rope_head_dim)
                                                      : mla_prefill_width(a);
  return 2.0 * context * width;
}
double mla_prefill_flops(const ModelArch& a, double tokens, std::uint64_t) {
  return tokens * tokens * mla_prefill_width(a);
}

// The latent is one head shared by all: every rank holds the whole cache.
std::string mla_tp_violation(const ModelArch&, std::uint64_t) { return {}; }
double whole_cache(const ModelArch&, std::uint64_t) { return 1.0; }

std::uint64_t mla_activations(const ModelArch& a) {
  const std::uint64_t qk = a.qk_nope_head_dim + a.qk_rope_head_dim;
  std::uint64_t n = 0;
  if (a.q_lora_rank > 0) n += norm_bytes(a.q_lora_rank) + k_bf16 * a.q_lora_rank;  // q_a_norm in, q_b in
  n += norm_bytes(a.kv_lora_rank) + k_bf16 * a.kv_lora_rank;                         // kv_a_norm in, kv_b in
  // Flash attention keeps q, k (after RoPE), v and the output o (= o_proj's input).
  return n + k_bf16 * a.num_heads * (2 * qk + 2 * a.v_head_dim);
}

double mla_head_width(const ModelArch& a) {
  return d(a.num_heads) * d(a.qk_nope_head_dim + a.qk_rope_head_dim + a.v_head_dim);
}

double mla_training_flops(const ModelArch& a, std::uint64_t seq) { return 2.0 * mla_head_width(a) * causal_positions(seq); }

std::vector<ConfigField> mla_fields(const ModelArch& a) {
  return {{"q_lora_rank", a.q_lora_rank},
          {"kv_lora_rank", a.kv_lora_rank},
          {"qk_nope_head_dim", a.qk_nope_head_dim},
          {"qk_rope_head_dim", a.qk_rope_head_dim},
          {"v_head_dim", a.v_head_dim}};
}

std::string mla_summary(const ModelArch& a) {
  return fmt::format("MLA: q_lora {}, kv_lora {}, qk {}+{}, v {}", a.q_lora_rank, a.kv_lora_rank, a.qk_nope_head_dim,
                     a.qk_rope_head_dim, a.v_head_dim);
}

// ---- MLA with the DeepSeek Sparse Attention indexer --------------------------------------

std::string dsa_missing(const ModelArch& a) {
  if (const auto m = mla_missing(a); !m.empty()) return m;
  return a.index_n_heads > 0 ? std::string() : "needs index_n_heads, index_head_dim and index_topk (the DSA indexer)";
}

void dsa_tensors(BlockLayout& b, const ModelArch& a, std::uint64_t layer) {
  mla_tensors(b, a, layer);
  add_matrix(b, TensorRole::indexer_wq_b, a.q_lora_rank, a.index_n_heads * a.index_head_dim);
  add_matrix(b, TensorRole::indexer_wk, a.hidden_size, a.index_head_dim);
  add_vector(b, TensorRole::indexer_k_norm, a.index_head_dim);
  add_vector(b, TensorRole::indexer_k_norm_bias, a.index_head_dim);
  add_matrix(b, TensorRole::indexer_weights_proj, a.hidden_size, a.index_n_heads);
}

// The indexer's keys, one of index_head_dim per token and layer: vLLM and SGLang store it in fp8
// with an fp32 scale (SGLang PR #11309 log: 788 - 656 = 132 B per layer) and attend to the top-k
// latents only; llama.cpp (llama_kv_cache_dsa) stores it in the K cache type and masks the
// attention over the whole latent cache, which it reads.
KvShape dsa_kv(const ModelArch& a, const EngineSpec& engine, const KvCacheRequest& req) {
  KvShape shape = mla_kv(a, engine, req);
  if (!engine.indexer_cache) return shape;
  if (engine.indexer_reads_top_k) shape.streams.front().read_limit = a.index_topk;
  if (engine.indexer_keys_in_cache_type) {
    shape.streams.push_back(per_token("indexer_keys", a.num_layers, a.index_head_dim, 0));
  } else {
    KvStream keys = per_token("indexer_keys", a.num_layers, 0, 0);
    keys.fixed_bytes_per_entry = Bytes(a.index_head_dim + 4);
    shape.streams.push_back(keys);
  }
  return shape;
}

// Decode with the indexer: attention over the top index_topk latents, and the indexer scoring
// every cached key with index_n_heads x index_head_dim.
double dsa_decode_flops(const ModelArch& a, KvLayout layout, double context, std::uint64_t read_limit) {
  const double attended = read_limit > 0 ? std::min(context, d(read_limit)) : context;
  return mla_decode_flops(a, layout, attended, 0) + 2.0 * context * d(a.index_n_heads * a.index_head_dim);
}

// Prefill: each prompt token attends to at most the top-k earlier positions where the engine
// selects them (the integral of decode), to every earlier one where it masks the whole cache
// (llama.cpp: its attention kernels still compute the masked positions).
double dsa_prefill_flops(const ModelArch& a, double tokens, std::uint64_t read_limit) {
  const double attention = read_limit > 0 ? 2.0 * mla_prefill_width(a) * attended_sum(tokens, 1.0, d(read_limit))
                                          : mla_prefill_flops(a, tokens, 0);
  return attention + tokens * tokens * d(a.index_n_heads * a.index_head_dim);
}

std::uint64_t dsa_activations(const ModelArch& a) {
  return mla_activations(a) + k_bf16 * (a.index_n_heads * a.index_head_dim + a.index_head_dim + a.index_n_heads);
}

// Training: attention over at most index_topk selected positions, and the lightning indexer
// scoring every earlier position.
double dsa_training_flops(const ModelArch& a, std::uint64_t seq) {
  const double attended = std::min(causal_positions(seq), d(a.index_topk));
  return 2.0 * mla_head_width(a) * attended + 2.0 * d(a.index_n_heads * a.index_head_dim) * causal_positions(seq);
}

bool dsa_extra_target(TensorRole r) {
  return r == TensorRole::indexer_wq_b || r == TensorRole::indexer_wk || r == TensorRole::indexer_weights_proj;
}

std::vector<ConfigField> dsa_fields(const ModelArch& a) {
  auto f = mla_fields(a);
  f.insert(f.end(), {{"index_n_heads", a.index_n_heads}, {"index_head_dim", a.index_head_dim}, {"index_topk", a.index_topk}});
  return f;
}

std::string dsa_summary(const ModelArch& a) {
  return mla_summary(a) + fmt::format("; DSA indexer: {} heads of {}, top {}", a.index_n_heads, a.index_head_dim,
                                      a.index_topk);
}

// ---- DeepSeek-V4: sliding window + compressed sparse (CSA) / heavily compressed (HCA) ----
// deepseek-ai/DeepSeek-V4 inference/model.py Attention: wq_a, q_norm, wq_b, wkv (d -> head_dim,
// one KV head shared by all heads), kv_norm, grouped low-rank output wo_a [o_groups x o_lora,
// heads x head_dim / o_groups] and wo_b, attn_sink [heads]; layers with compress ratio r > 0 add
// a Compressor (ape [r, c x head_dim], wkv and wgate [c x head_dim, d], norm; c = 2 for the
// overlapping ratio-4 windows, else 1); ratio-4 layers add the Indexer (wq_b, weights_proj and a
// ratio-4 compressor at index_head_dim). The reference accepts ratios 0, 4 and 128 (SGLang
// asserts that set).

constexpr std::uint64_t k_csa_ratio = 4;
constexpr std::uint64_t k_hca_ratio = 128;

std::string v4_missing(const ModelArch& a) {
  if (a.num_kv_heads != 1) return "needs num_key_value_heads 1 (one KV head shared by every head)";
  if (a.q_lora_rank == 0 || a.o_groups == 0 || a.o_lora_rank == 0)
    return "needs q_lora_rank, o_groups and o_lora_rank (DeepSeek-V4 attention)";
  if ((a.num_heads * a.head_dim) % a.o_groups != 0) return "needs o_groups to divide heads x head_dim";
  if (a.qk_rope_head_dim == 0 || a.qk_rope_head_dim >= a.head_dim || (a.head_dim - a.qk_rope_head_dim) % 64 != 0)
    return "needs qk_rope_head_dim below head_dim, leaving a multiple of 64 (the FP8 cache scales one value per 64)";
  if (a.sliding_window == 0 || a.compress_ratios.empty()) return "needs sliding_window and compress_ratios";
  if (a.hc_mult == 0) return "needs hc_mult (the hyper-connections' residual streams)";
  bool csa = false;
  for (const auto r : a.compress_ratios) {
    if (r != 0 && r != k_csa_ratio && r != k_hca_ratio) return "has a compress ratio other than 0, 4 and 128";
    csa = csa || r == k_csa_ratio;
  }
  if (csa && (a.index_n_heads == 0 || a.index_head_dim == 0 || a.index_topk == 0))
    return "needs index_n_heads, index_head_dim and index_topk (the ratio-4 layers' indexer)";
  return {};
}

void add_compressor(BlockLayout& b, const ModelArch& a, std::uint64_t ratio, std::uint64_t dim, bool indexer) {
  const std::uint64_t c = ratio == k_csa_ratio ? 2 : 1;
  add_vector(b, indexer ? TensorRole::indexer_cmp_ape : TensorRole::cmp_ape, ratio * c * dim);
  add_matrix(b, indexer ? TensorRole::indexer_cmp_wkv : TensorRole::cmp_wkv, a.hidden_size, c * dim);
  add_matrix(b, indexer ? TensorRole::indexer_cmp_wgate : TensorRole::cmp_wgate, a.hidden_size, c * dim);
  add_vector(b, indexer ? TensorRole::indexer_cmp_norm : TensorRole::cmp_norm, dim);
}

void v4_tensors(BlockLayout& b, const ModelArch& a, std::uint64_t layer) {
  const std::uint64_t hd = a.num_heads * a.head_dim;
  add_matrix(b, TensorRole::attn_q_a, a.hidden_size, a.q_lora_rank);
  add_vector(b, TensorRole::attn_q_a_norm, a.q_lora_rank);
  add_matrix(b, TensorRole::attn_q_b, a.q_lora_rank, hd);
  add_matrix(b, TensorRole::attn_kv, a.hidden_size, a.head_dim);
  add_vector(b, TensorRole::attn_kv_a_norm, a.head_dim);
  add_matrix(b, TensorRole::attn_output_a, hd / a.o_groups, a.o_groups * a.o_lora_rank);
  add_matrix(b, TensorRole::attn_output_b, a.o_groups * a.o_lora_rank, a.hidden_size);
  add_vector(b, TensorRole::attn_sinks, a.num_heads);
  const std::uint64_t ratio = a.compress_ratio(layer);
  if (ratio == 0) return;
  add_compressor(b, a, ratio, a.head_dim, false);
  if (ratio != k_csa_ratio) return;
  add_matrix(b, TensorRole::indexer_wq_b, a.q_lora_rank, a.index_n_heads * a.index_head_dim);
  add_matrix(b, TensorRole::indexer_weights_proj, a.hidden_size, a.index_n_heads);
  add_compressor(b, a, ratio, a.index_head_dim, true);
}

std::uint64_t v4_variant(const ModelArch& a, std::uint64_t layer) { return a.compress_ratio(layer); }

/// Main layers with compress ratio `ratio`.
std::uint64_t layers_with_ratio(const ModelArch& a, std::uint64_t ratio) {
  std::uint64_t n = 0;
  for (std::uint64_t l = 0; l < a.num_layers; ++l) n += a.compress_ratio(l) == ratio ? 1U : 0U;
  return n;
}

/// Bytes per entry once each page of `page_tokens` tokens (page_tokens / ratio entries) is padded
/// to the engine's alignment (vLLM MLAAttentionSpec alignment=576 for FlashMLA).
Bytes paged_entry(const EngineSpec& e, std::uint64_t raw, std::uint64_t page_tokens, std::uint64_t ratio) {
  if (e.kv_page_align_bytes == 0 || page_tokens == 0) return Bytes(raw);
  const std::uint64_t entries = std::max<std::uint64_t>(1, page_tokens / ratio);
  return Bytes(ceil_div(round_up(entries * raw, e.kv_page_align_bytes, "KV page"), entries));
}

// vLLM/SGLang "fp8_ds_mla" V4 layout (vLLM deepseek_v4_attention.py head_bytes; SGLang
// deepseek_v4_memory_pool.py asserts 448 + 64 * 2 + 8): FP8 NoPE values, BF16 RoPE values, one
// ue8m0 scale per 64 NoPE values and a pad byte = 584 B for head_dim 512, rope 64. Indexer keys:
// index_head_dim FP8 + one fp32 scale per 128 = 132 B. Every layer keeps a sliding window;
// ratio-r layers keep one entry per r tokens, of which CSA attention reads its index_topk.
//
// llama.cpp (llama_kv_cache_dsv4) keeps rows of the -ctk type instead: per sequence, the window
// plus one micro-batch and the compressed caches in cells padded to 256, the indexer's keys at
// the ratio-4 layers' cells, and each compressor's running state in F32 (two tensors, kv and
// score, per layer: ratio 4 overlaps two windows, so 2 x 4 rows of 2 x head_dim; ratio 128 one
// window of 128 rows of head_dim).
KvStream compressor_state(std::string name, std::uint64_t layers, std::uint64_t rows, std::uint64_t width,
                          std::uint64_t value_bytes) {
  KvStream s = per_token(std::move(name), layers, 0, 0);
  s.per_sequence = true;
  s.fixed_bytes_per_entry = Bytes(2 * rows * width * value_bytes);
  return s;
}

KvShape v4_kv(const ModelArch& a, const EngineSpec& e, const KvCacheRequest& req) {
  const bool cells = e.compressed_kv_cell_padding > 0;
  const std::uint64_t nope = a.head_dim - a.qk_rope_head_dim;
  const std::uint64_t entry = nope + 2 * a.qk_rope_head_dim + nope / 64 + 1;
  const std::uint64_t index_entry = a.index_head_dim + a.index_head_dim / 128 * 4;
  const auto laid_out = [&](KvStream& s, std::uint64_t bytes, std::uint64_t page_tokens, std::uint64_t ratio) {
    if (cells)
      s.cell_padding = e.compressed_kv_cell_padding;
    else
      s.fixed_bytes_per_entry = paged_entry(e, bytes, page_tokens, ratio);
  };
  KvShape shape{KvLayout::v4_compressed, {}};
  KvStream window = per_token("window", a.num_layers, a.head_dim, 0);
  window.window = a.sliding_window;
  if (e.window_kv_adds_ubatch) window.window_slack = req.ubatch;
  laid_out(window, entry, e.window_kv_page_tokens, 1);
  shape.streams.push_back(window);
  for (const std::uint64_t ratio : {k_csa_ratio, k_hca_ratio}) {
    const std::uint64_t layers = layers_with_ratio(a, ratio);
    if (layers == 0) continue;
    KvStream s = per_token(ratio == k_csa_ratio ? "csa" : "hca", layers, a.head_dim, 0);
    s.tokens_per_entry = ratio;
    laid_out(s, entry, e.compressed_kv_page_tokens, ratio);
    if (ratio == k_csa_ratio) s.read_limit = a.index_topk;
    shape.streams.push_back(s);
    if (ratio != k_csa_ratio) continue;
    KvStream keys = per_token("csa_indexer_keys", layers, e.indexer_keys_in_cache_type ? a.index_head_dim : 0, 0);
    keys.tokens_per_entry = ratio;
    laid_out(keys, index_entry, e.compressed_kv_page_tokens, ratio);
    shape.streams.push_back(keys);
  }
  if (e.compressor_state_value_bytes == 0) return shape;
  const std::uint64_t v = e.compressor_state_value_bytes;
  if (const auto n = layers_with_ratio(a, k_csa_ratio); n > 0) {
    shape.streams.push_back(compressor_state("csa_state", n, 2 * k_csa_ratio, 2 * a.head_dim, v));
    shape.streams.push_back(compressor_state("csa_indexer_state", n, 2 * k_csa_ratio, 2 * a.index_head_dim, v));
  }
  if (const auto n = layers_with_ratio(a, k_hca_ratio); n > 0)
    shape.streams.push_back(compressor_state("hca_state", n, k_hca_ratio, a.head_dim, v));
  return shape;
}

/// Per layer averaged over the main layers: positions attended (window + compressed entries read)
/// and positions the indexer scores, at `context` tokens (decode) or summed over a prompt of
/// `context` tokens (prefill).
struct V4Positions {
  double attended = 0;
  double indexed = 0;
};

V4Positions v4_positions(const ModelArch& a, double context, bool prompt_sum) {
  const double w = d(a.sliding_window);
  V4Positions p;
  for (std::uint64_t l = 0; l < a.num_layers; ++l) {
    const std::uint64_t r = a.compress_ratio(l);
    p.attended += prompt_sum ? attended_sum(context, 1.0, w) : std::min(context, w);
    if (r == 0) continue;
    const double cap = r == k_csa_ratio ? d(a.index_topk) : 0.0;
    p.attended += prompt_sum ? attended_sum(context, d(r), cap) : (cap > 0 ? std::min(context / d(r), cap) : context / d(r));
    if (r == k_csa_ratio) p.indexed += prompt_sum ? attended_sum(context, d(r), 0) : context / d(r);
  }
  p.attended /= d(a.num_layers);
  p.indexed /= d(a.num_layers);
  return p;
}

// Per attended entry each head multiplies q.k and p.v over head_dim (the shared KV head is both
// K and V); the indexer scores each compressed key with index_n_heads x index_head_dim.
double v4_flops(const ModelArch& a, const V4Positions& p) {
  return 2.0 * d(a.num_heads) * 2.0 * d(a.head_dim) * p.attended +
         2.0 * d(a.index_n_heads * a.index_head_dim) * p.indexed;
}
double v4_decode_flops(const ModelArch& a, KvLayout, double context, std::uint64_t) {
  return v4_flops(a, v4_positions(a, context, false));
}
double v4_prefill_flops(const ModelArch& a, double tokens, std::uint64_t) {
  return v4_flops(a, v4_positions(a, tokens, true));
}

// Training keeps q_a's norm input and q_b's input, the shared KV (and its norm input), q and the
// attention output (heads x head_dim each) and wo_b's input; the compressors' and the indexer's
// own activations are not counted (an underestimate of a few percent of the block).
std::uint64_t v4_activations(const ModelArch& a) {
  const std::uint64_t hd = a.num_heads * a.head_dim;
  return norm_bytes(a.q_lora_rank) + k_bf16 * a.q_lora_rank + norm_bytes(a.head_dim) +
         k_bf16 * (2 * hd + a.head_dim + a.o_groups * a.o_lora_rank);
}

double v4_training_flops(const ModelArch& a, std::uint64_t seq) {
  return v4_flops(a, v4_positions(a, causal_positions(seq), false));
}

// PEFT all-linear also adapts the indexer's and the compressors' nn.Linear layers.
bool v4_extra_target(TensorRole r) {
  return r == TensorRole::indexer_wq_b || r == TensorRole::indexer_weights_proj || r == TensorRole::cmp_wkv ||
         r == TensorRole::cmp_wgate || r == TensorRole::indexer_cmp_wkv || r == TensorRole::indexer_cmp_wgate;
}

std::vector<ConfigField> v4_fields(const ModelArch& a) {
  return {{"head_dim", a.head_dim},           {"qk_rope_head_dim", a.qk_rope_head_dim},
          {"q_lora_rank", a.q_lora_rank},     {"o_groups", a.o_groups},
          {"o_lora_rank", a.o_lora_rank},     {"sliding_window", a.sliding_window},
          {"index_n_heads", a.index_n_heads}, {"index_head_dim", a.index_head_dim},
          {"index_topk", a.index_topk},       {"hc_mult", a.hc_mult}};
}

std::string v4_summary(const ModelArch& a) {
  return fmt::format("CSA/HCA: window {}, {} layers compressed 4x with top-{} indexer, {} compressed 128x, {} window only; "
                     "one KV head of {}; q_lora {}, output {} groups x rank {}; hyper-connections x{}",
                     a.sliding_window, layers_with_ratio(a, k_csa_ratio), a.index_topk,
                     layers_with_ratio(a, k_hca_ratio), layers_with_ratio(a, 0), a.head_dim, a.q_lora_rank, a.o_groups,
                     a.o_lora_rank, a.hc_mult);
}

// llama.cpp src/models/deepseek4.cpp load_arch_hparams (key_length is the shared KV head's width).
constexpr std::string_view k_v4_gguf_keys[] = {
    "attention.compress_ratios",    "attention.key_length",         "rope.dimension_count",
    "attention.q_lora_rank",        "attention.output_group_count", "attention.output_lora_rank",
    "attention.sliding_window",     "hyper_connection.count",       "attention.indexer.head_count",
    "attention.indexer.key_length", "attention.indexer.top_k"};

// ---- the table --------------------------------------------------------------------------

const AttentionTraits k_table[] = {
    {AttentionKind::gqa, false, "", false, gqa_missing, gqa_tensors, same_every_layer, gqa_kv, gqa_decode_flops,
     gqa_prefill_flops, gqa_tp_violation, gqa_kv_share, gqa_activations, gqa_training_flops, no_extra_target,
     gqa_fields, gqa_summary},
    {AttentionKind::mla, true, "", false, mla_missing, mla_tensors, same_every_layer, mla_kv, mla_decode_flops,
     mla_prefill_flops, mla_tp_violation, whole_cache, mla_activations, mla_training_flops, no_extra_target, mla_fields,
     mla_summary},
    {AttentionKind::mla_dsa, true, "", true, dsa_missing, dsa_tensors, same_every_layer, dsa_kv, dsa_decode_flops,
     dsa_prefill_flops, mla_tp_violation, whole_cache, dsa_activations, dsa_training_flops, dsa_extra_target,
     dsa_fields, dsa_summary},
    {AttentionKind::csa_hca, false, "fp8_ds_mla", false, v4_missing, v4_tensors, v4_variant, v4_kv, v4_decode_flops,
     v4_prefill_flops, mla_tp_violation, whole_cache, v4_activations, v4_training_flops, v4_extra_target, v4_fields,
     v4_summary, k_v4_gguf_keys},
};

}  // namespace

const AttentionTraits& attention_traits(AttentionKind kind) {
  for (const auto& t : k_table)
    if (t.kind == kind) return t;
  throw InternalError("attention kind without an entry in the attention table");
}

const AttentionTraits& attention_of(const ModelArch& arch) { return attention_traits(arch.traits.attention); }

std::string tensor_parallel_violation(const ModelArch& arch, std::uint64_t tp) {
  if (arch.num_heads % tp != 0)
    return fmt::format("tensor parallel size {} does not divide the {} attention heads", tp, arch.num_heads);
  return attention_of(arch).tp_violation(arch, tp);
}

}  // namespace dsplan
