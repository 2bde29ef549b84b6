// The attention table: one entry per kind, each a set of small functions. Shapes follow the
// modeling code of each architecture:
//   GQA  transformers models/{llama,qwen2,qwen3}/modeling_*.py: q/k/v/o_proj; Qwen2 q/k/v_proj
//        have bias=True; Qwen3 adds q_norm/k_norm (RMSNorm over head_dim).
//   MLA  deepseek-ai/DeepSeek-V3 modeling_deepseek.py: q_a_proj, q_a_layernorm, q_b_proj (q_proj
//        when q_lora_rank is null, V2-Lite), kv_a_proj_with_mqa, kv_a_layernorm, kv_b_proj, o_proj.
//   DSA  deepseek-ai/DeepSeek-V3.2-Exp inference/model.py Indexer: wq_b (q_lora -> heads*dim),
//        wk (h -> dim), k_norm (LayerNorm: weight and bias), weights_proj (h -> heads).
#include "dsplan/attention.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "dsplan/kv_cache.hpp"
#include "dsplan/tensors.hpp"

namespace dsplan {

std::string_view attention_name(AttentionKind kind) { return name_in<AttentionKind>(k_attention_kinds, kind); }
std::string_view kv_layout_name(KvLayout layout) { return name_in<KvLayout>(k_kv_layouts, layout); }

std::uint64_t KvStream::entries(std::uint64_t tokens) const {
  const std::uint64_t n = tokens_per_entry > 1 ? tokens / tokens_per_entry : tokens;
  return window > 0 ? std::min(n, window) : n;
}

double KvStream::entries_read(double context) const {
  double n = tokens_per_entry > 1 ? context / static_cast<double>(tokens_per_entry) : context;
  if (window > 0) n = std::min(n, static_cast<double>(window));
  return read_limit > 0 ? std::min(n, static_cast<double>(read_limit)) : n;
}

namespace {

using activation::k_bf16;
using activation::k_fp32;
using activation::norm_bytes;

double d(std::uint64_t v) { return static_cast<double>(v); }

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
double gqa_decode_flops(const ModelArch& a, KvLayout, double context) {
  return 2.0 * context * d(a.num_heads) * 2.0 * d(a.head_dim);
}
double gqa_prefill_flops(const ModelArch& a, double tokens) {
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
double mla_decode_flops(const ModelArch& a, KvLayout layout, double context) {
  const double width = layout == KvLayout::mla_latent ? d(a.num_heads) * d(2 * a.kv_lora_rank + a.qk_rope_head_dim)
                                                      : mla_prefill_width(a);
  return 2.0 * context * width;
}
double mla_prefill_flops(const ModelArch& a, double tokens) { return tokens * tokens * mla_prefill_width(a); }

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

// The indexer's keys: one fp8 key of index_head_dim plus an fp32 scale per token and layer, in
// engines that run the indexer (SGLang PR #11309 log: 788 - 656 = 132 B per layer).
KvShape dsa_kv(const ModelArch& a, const EngineSpec& engine, const KvCacheRequest& req) {
  KvShape shape = mla_kv(a, engine, req);
  if (engine.indexer_cache) {
    KvStream keys = per_token("indexer_keys", a.num_layers, 0, 0);
    keys.fixed_bytes_per_entry = Bytes(a.index_head_dim + 4);
    shape.streams.push_back(keys);
  }
  return shape;
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

// ---- the table --------------------------------------------------------------------------

const AttentionTraits k_table[] = {
    {AttentionKind::gqa, false, gqa_missing, gqa_tensors, same_every_layer, gqa_kv, gqa_decode_flops,
     gqa_prefill_flops, gqa_tp_violation, gqa_kv_share, gqa_activations, gqa_training_flops, no_extra_target,
     gqa_fields, gqa_summary},
    {AttentionKind::mla, true, mla_missing, mla_tensors, same_every_layer, mla_kv, mla_decode_flops,
     mla_prefill_flops, mla_tp_violation, whole_cache, mla_activations, mla_training_flops, no_extra_target,
     mla_fields, mla_summary},
    {AttentionKind::mla_dsa, true, dsa_missing, dsa_tensors, same_every_layer, dsa_kv, mla_decode_flops,
     mla_prefill_flops, mla_tp_violation, whole_cache, dsa_activations, dsa_training_flops, dsa_extra_target,
     dsa_fields, dsa_summary},
};

}  // namespace

const AttentionTraits& attention_traits(AttentionKind kind) {
  for (const auto& t : k_table)
    if (t.kind == kind) return t;
  throw InternalError("attention kind without an entry in the attention table");
}

const AttentionTraits& attention_of(const ModelArch& arch) { return attention_traits(arch.traits.attention); }

}  // namespace dsplan
