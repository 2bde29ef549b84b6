// Tensor inventory builder and parameter counts. The attention tensors of a block come from the
// attention table (src/core/model/attention.cpp); the rest follows the Hugging Face modeling code:
//   dense  transformers models/{llama,qwen2,qwen3}/modeling_*.py: gate/up/down_proj,
//          input_layernorm, post_attention_layernorm, model.norm, lm_head (absent when tied).
//   MoE    deepseek-ai/DeepSeek-V3 modeling_deepseek.py: MoE gate.weight (+ e_score_correction_bias
//          with topk_method noaux_tc), experts.N.{gate,up,down}_proj, shared_experts sized
//          moe_intermediate_size * n_shared_experts; the MTP block adds embed_tokens, enorm,
//          hnorm, eh_proj (2h -> h), shared_head.{norm,head}.
#include "dsplan/model/tensors.hpp"

#include <algorithm>
#include <tuple>
#include <utility>

#include "dsplan/model/attention.hpp"
#include "dsplan/base/error.hpp"

namespace dsplan {

std::uint64_t Tensor::elements() const {
  return checked_mul(checked_mul(cols, rows, "tensor elements"), stack, "tensor elements");
}

bool Tensor::is_parameter() const { return role != TensorRole::ffn_gate_tid2eid; }

bool Tensor::is_routed_expert() const {
  return role == TensorRole::ffn_gate_exps || role == TensorRole::ffn_up_exps || role == TensorRole::ffn_down_exps;
}

std::string_view role_name(TensorRole role) {
  switch (role) {
    case TensorRole::token_embd: return "token_embd";
    case TensorRole::output: return "output";
    case TensorRole::output_norm: return "output_norm";
    case TensorRole::rope_freqs: return "rope_freqs";
    case TensorRole::attn_norm: return "attn_norm";
    case TensorRole::ffn_norm: return "ffn_norm";
    case TensorRole::attn_q: return "attn_q";
    case TensorRole::attn_k: return "attn_k";
    case TensorRole::attn_v: return "attn_v";
    case TensorRole::attn_q_bias: return "attn_q.bias";
    case TensorRole::attn_k_bias: return "attn_k.bias";
    case TensorRole::attn_v_bias: return "attn_v.bias";
    case TensorRole::attn_q_norm: return "attn_q_norm";
    case TensorRole::attn_k_norm: return "attn_k_norm";
    case TensorRole::attn_output: return "attn_output";
    case TensorRole::attn_q_a: return "attn_q_a";
    case TensorRole::attn_q_a_norm: return "attn_q_a_norm";
    case TensorRole::attn_q_b: return "attn_q_b";
    case TensorRole::attn_kv_a_mqa: return "attn_kv_a_mqa";
    case TensorRole::attn_kv_a_norm: return "attn_kv_a_norm";
    case TensorRole::attn_kv_b: return "attn_kv_b";
    case TensorRole::attn_k_b: return "attn_k_b";
    case TensorRole::attn_v_b: return "attn_v_b";
    // llama.cpp's GGUF names (LLM_TENSOR_INDEXER_*): wq_b -> attn_q_b, wk -> attn_k, weights_proj -> proj.
    case TensorRole::indexer_wq_b: return "indexer.attn_q_b";
    case TensorRole::indexer_wk: return "indexer.attn_k";
    case TensorRole::indexer_k_norm: return "indexer.k_norm";
    case TensorRole::indexer_k_norm_bias: return "indexer.k_norm.bias";
    case TensorRole::indexer_weights_proj: return "indexer.proj";
    case TensorRole::attn_kv: return "attn_kv";
    case TensorRole::attn_output_a: return "attn_output_a";
    case TensorRole::attn_output_b: return "attn_output_b";
    case TensorRole::attn_sinks: return "attn_sinks";
    case TensorRole::cmp_ape:
      return "attn_compressor_ape";
    case TensorRole::cmp_wkv:
      return "attn_compressor_kv";
    case TensorRole::cmp_wgate:
      return "attn_compressor_gate";
    case TensorRole::cmp_norm:
      return "attn_compressor_norm";
    case TensorRole::indexer_cmp_ape:
      return "indexer_compressor_ape";
    case TensorRole::indexer_cmp_wkv:
      return "indexer_compressor_kv";
    case TensorRole::indexer_cmp_wgate:
      return "indexer_compressor_gate";
    case TensorRole::indexer_cmp_norm:
      return "indexer_compressor_norm";
    case TensorRole::hc_attn_fn: return "hc_attn_fn";
    case TensorRole::hc_attn_base: return "hc_attn_base";
    case TensorRole::hc_attn_scale: return "hc_attn_scale";
    case TensorRole::hc_ffn_fn: return "hc_ffn_fn";
    case TensorRole::hc_ffn_base: return "hc_ffn_base";
    case TensorRole::hc_ffn_scale: return "hc_ffn_scale";
    case TensorRole::hc_head_fn:
      return "output_hc_fn";
    case TensorRole::hc_head_base:
      return "output_hc_base";
    case TensorRole::hc_head_scale:
      return "output_hc_scale";
    case TensorRole::ffn_gate_tid2eid: return "ffn_gate_tid2eid";
    case TensorRole::mtp_e_proj: return "nextn.e_proj";
    case TensorRole::mtp_h_proj: return "nextn.h_proj";
    case TensorRole::mtp_norm: return "nextn.norm";
    case TensorRole::ffn_gate: return "ffn_gate";
    case TensorRole::ffn_up: return "ffn_up";
    case TensorRole::ffn_down: return "ffn_down";
    case TensorRole::ffn_gate_inp: return "ffn_gate_inp";
    case TensorRole::ffn_exp_probs_b: return "exp_probs_b";
    case TensorRole::ffn_gate_exps: return "ffn_gate_exps";
    case TensorRole::ffn_up_exps: return "ffn_up_exps";
    case TensorRole::ffn_down_exps: return "ffn_down_exps";
    case TensorRole::ffn_gate_shexp: return "ffn_gate_shexp";
    case TensorRole::ffn_up_shexp: return "ffn_up_shexp";
    case TensorRole::ffn_down_shexp: return "ffn_down_shexp";
    case TensorRole::mtp_embed: return "nextn.embed_tokens";
    case TensorRole::mtp_enorm: return "nextn.enorm";
    case TensorRole::mtp_hnorm: return "nextn.hnorm";
    case TensorRole::mtp_eh_proj: return "nextn.eh_proj";
    case TensorRole::mtp_head_norm: return "nextn.shared_head_norm";
    case TensorRole::mtp_head: return "nextn.shared_head_head";
  }
  throw InternalError("unnamed tensor role");
}

TensorGroup group_of(TensorRole role) {
  switch (role) {
    case TensorRole::token_embd:
    case TensorRole::mtp_embed: return TensorGroup::embeddings;
    case TensorRole::output:
    case TensorRole::mtp_head: return TensorGroup::output_head;
    case TensorRole::output_norm:
    case TensorRole::rope_freqs:
    case TensorRole::attn_norm:
    case TensorRole::ffn_norm:
    case TensorRole::attn_q_norm:
    case TensorRole::attn_k_norm:
    case TensorRole::attn_q_a_norm:
    case TensorRole::attn_kv_a_norm:
    case TensorRole::attn_q_bias:
    case TensorRole::attn_k_bias:
    case TensorRole::attn_v_bias:
    case TensorRole::indexer_k_norm:
    case TensorRole::indexer_k_norm_bias:
    case TensorRole::mtp_enorm:
    case TensorRole::mtp_hnorm:
    case TensorRole::mtp_head_norm:
    case TensorRole::mtp_norm:
    // V4's per-head sinks, compressor position biases and hyper-connection mixing weights:
    // small, replicated under tensor parallelism like the norms.
    case TensorRole::attn_sinks:
    case TensorRole::cmp_ape:
    case TensorRole::cmp_norm:
    case TensorRole::indexer_cmp_ape:
    case TensorRole::indexer_cmp_norm:
    case TensorRole::hc_attn_fn:
    case TensorRole::hc_attn_base:
    case TensorRole::hc_attn_scale:
    case TensorRole::hc_ffn_fn:
    case TensorRole::hc_ffn_base:
    case TensorRole::hc_ffn_scale:
    case TensorRole::hc_head_fn:
    case TensorRole::hc_head_base:
    case TensorRole::hc_head_scale: return TensorGroup::norms;
    case TensorRole::attn_q:
    case TensorRole::attn_k:
    case TensorRole::attn_v:
    case TensorRole::attn_output:
    case TensorRole::attn_q_a:
    case TensorRole::attn_q_b:
    case TensorRole::attn_kv_a_mqa:
    case TensorRole::attn_kv_b:
    case TensorRole::attn_k_b:
    case TensorRole::attn_v_b:
    case TensorRole::indexer_wq_b:
    case TensorRole::indexer_wk:
    case TensorRole::indexer_weights_proj:
    case TensorRole::mtp_eh_proj:
    case TensorRole::attn_kv:
    case TensorRole::attn_output_a:
    case TensorRole::attn_output_b:
    case TensorRole::cmp_wkv:
    case TensorRole::cmp_wgate:
    case TensorRole::indexer_cmp_wkv:
    case TensorRole::indexer_cmp_wgate:
    case TensorRole::mtp_e_proj:
    case TensorRole::mtp_h_proj: return TensorGroup::attention;
    case TensorRole::ffn_gate:
    case TensorRole::ffn_up:
    case TensorRole::ffn_down: return TensorGroup::ffn;
    case TensorRole::ffn_gate_inp:
    case TensorRole::ffn_exp_probs_b:
    case TensorRole::ffn_gate_tid2eid: return TensorGroup::router;
    case TensorRole::ffn_gate_exps:
    case TensorRole::ffn_up_exps:
    case TensorRole::ffn_down_exps: return TensorGroup::routed_experts;
    case TensorRole::ffn_gate_shexp:
    case TensorRole::ffn_up_shexp:
    case TensorRole::ffn_down_shexp: return TensorGroup::shared_experts;
  }
  throw InternalError("tensor role without a group");
}

std::string_view group_name(TensorGroup group) {
  switch (group) {
    case TensorGroup::embeddings: return "embeddings";
    case TensorGroup::attention: return "attention";
    case TensorGroup::ffn: return "ffn_dense";
    case TensorGroup::routed_experts: return "experts_routed";
    case TensorGroup::shared_experts: return "experts_shared";
    case TensorGroup::router: return "router";
    case TensorGroup::norms: return "norms_biases";
    case TensorGroup::output_head: return "output_head";
  }
  throw InternalError("unnamed tensor group");
}

void add_matrix(BlockLayout& b, TensorRole role, std::uint64_t cols, std::uint64_t rows, std::uint64_t stack) {
  b.tensors.push_back({role, cols, rows, stack, false});
}
void add_vector(BlockLayout& b, TensorRole role, std::uint64_t n) { b.tensors.push_back({role, n, 1, 1, true}); }

namespace {

void matrix(BlockLayout& b, TensorRole role, std::uint64_t cols, std::uint64_t rows, std::uint64_t stack = 1) {
  add_matrix(b, role, cols, rows, stack);
}
void vector(BlockLayout& b, TensorRole role, std::uint64_t n) { add_vector(b, role, n); }

void add_dense_mlp(BlockLayout& b, const ModelArch& a) {
  matrix(b, TensorRole::ffn_gate, a.hidden_size, a.intermediate_size);
  matrix(b, TensorRole::ffn_up, a.hidden_size, a.intermediate_size);
  matrix(b, TensorRole::ffn_down, a.intermediate_size, a.hidden_size);
}

// Routed experts before shared experts in each category: llama.cpp orders a block's tensors by
// name (ffn_down_exps < ffn_down_shexp), and its per-category counters follow that order.
// DeepSeek-V4's hash layers route by a token-id table (tid2eid [vocab, k]) and have no bias.
void add_moe(BlockLayout& b, const ModelArch& a, bool hash) {
  const std::uint64_t shared = a.moe_intermediate_size * a.n_shared_experts;
  matrix(b, TensorRole::ffn_gate_inp, a.hidden_size, a.n_routed_experts);
  if (hash) matrix(b, TensorRole::ffn_gate_tid2eid, a.experts_per_token, a.vocab_size);
  else if (a.router_bias) vector(b, TensorRole::ffn_exp_probs_b, a.n_routed_experts);
  matrix(b, TensorRole::ffn_down_exps, a.moe_intermediate_size, a.hidden_size, a.n_routed_experts);
  if (shared > 0) matrix(b, TensorRole::ffn_down_shexp, shared, a.hidden_size);
  matrix(b, TensorRole::ffn_gate_exps, a.hidden_size, a.moe_intermediate_size, a.n_routed_experts);
  if (shared > 0) matrix(b, TensorRole::ffn_gate_shexp, a.hidden_size, shared);
  matrix(b, TensorRole::ffn_up_exps, a.hidden_size, a.moe_intermediate_size, a.n_routed_experts);
  if (shared > 0) matrix(b, TensorRole::ffn_up_shexp, a.hidden_size, shared);
}

/// Manifold hyper-connections (DeepSeek-V4 inference/model.py Block): per sublayer a mixing
/// function fn [(2 + h) h, h d], a base [(2 + h) h] and 3 scales, h = hc_mult streams.
void add_hyper_connections(BlockLayout& b, const ModelArch& a) {
  if (a.hc_mult == 0) return;
  const std::uint64_t mix = (2 + a.hc_mult) * a.hc_mult;
  matrix(b, TensorRole::hc_attn_fn, a.hc_mult * a.hidden_size, mix);
  vector(b, TensorRole::hc_attn_base, mix);
  vector(b, TensorRole::hc_attn_scale, 3);
  matrix(b, TensorRole::hc_ffn_fn, a.hc_mult * a.hidden_size, mix);
  vector(b, TensorRole::hc_ffn_base, mix);
  vector(b, TensorRole::hc_ffn_scale, 3);
}

/// The head's hyper-connection reduction: fn [h, h d], base [h], one scale.
void add_hc_head(std::vector<Tensor>& out, const ModelArch& a) {
  if (a.hc_mult == 0) return;
  out.push_back({TensorRole::hc_head_fn, a.hc_mult * a.hidden_size, a.hc_mult, 1, false});
  out.push_back({TensorRole::hc_head_base, a.hc_mult, 1, 1, true});
  out.push_back({TensorRole::hc_head_scale, 1, 1, 1, true});
}

bool is_hash_layer(const ModelArch& a, std::uint64_t layer) { return layer < a.num_hash_layers; }

BlockLayout block(const ModelArch& a, std::uint64_t layer, bool moe) {
  BlockLayout b;
  vector(b, TensorRole::attn_norm, a.hidden_size);
  attention_of(a).add_tensors(b, a, layer);
  vector(b, TensorRole::ffn_norm, a.hidden_size);
  if (moe) add_moe(b, a, is_hash_layer(a, layer));
  else add_dense_mlp(b, a);
  add_hyper_connections(b, a);
  return b;
}

BlockLayout mtp_block(const ModelArch& a) {
  BlockLayout b = block(a, a.num_layers, a.is_moe());
  if (a.traits.mtp_shares_embedding) {  // DeepSeek-V4 inference/model.py MTPBlock
    matrix(b, TensorRole::mtp_e_proj, a.hidden_size, a.hidden_size);
    matrix(b, TensorRole::mtp_h_proj, a.hidden_size, a.hidden_size);
    vector(b, TensorRole::mtp_enorm, a.hidden_size);
    vector(b, TensorRole::mtp_hnorm, a.hidden_size);
    vector(b, TensorRole::mtp_norm, a.hidden_size);
    add_hc_head(b.tensors, a);
    return b;
  }
  matrix(b, TensorRole::mtp_embed, a.hidden_size, a.vocab_size);
  vector(b, TensorRole::mtp_enorm, a.hidden_size);
  vector(b, TensorRole::mtp_hnorm, a.hidden_size);
  matrix(b, TensorRole::mtp_eh_proj, 2 * a.hidden_size, a.hidden_size);
  vector(b, TensorRole::mtp_head_norm, a.hidden_size);
  matrix(b, TensorRole::mtp_head, a.hidden_size, a.vocab_size);
  return b;
}

std::uint64_t layout_elements(const BlockLayout& b, bool with_embedding, std::uint64_t active, std::uint64_t routed) {
  std::uint64_t n = 0;
  for (const auto& t : b.tensors) {
    if (!t.is_parameter() || (!with_embedding && t.role == TensorRole::mtp_embed)) continue;
    n += t.is_routed_expert() && routed > 0 ? t.cols * t.rows * active : t.elements();
  }
  return n;
}

}  // namespace

TensorInventory build_inventory(const ModelArch& a) {
  TensorInventory inv;
  inv.main_blocks = a.num_layers;
  inv.experts_per_token = a.experts_per_token;
  inv.globals.push_back({TensorRole::token_embd, a.hidden_size, a.vocab_size, 1, false});
  inv.globals.push_back({TensorRole::output_norm, a.hidden_size, 1, 1, true});
  if (!a.tie_word_embeddings) inv.globals.push_back({TensorRole::output, a.hidden_size, a.vocab_size, 1, false});
  add_hc_head(inv.globals, a);
  // One layout per distinct (attention variant, MoE or dense MLP, hash routing) among the main
  // blocks, in order of first use; then the MTP block.
  const AttentionTraits& attention = attention_of(a);
  std::vector<std::tuple<std::uint64_t, bool, bool>> keys;
  for (std::uint64_t layer = 0; layer < a.num_layers; ++layer) {
    const std::tuple<std::uint64_t, bool, bool> key{attention.layer_variant(a, layer), a.layer_is_moe(layer),
                                                    is_hash_layer(a, layer)};
    auto it = std::find(keys.begin(), keys.end(), key);
    if (it == keys.end()) {
      keys.push_back(key);
      inv.layouts.push_back(block(a, layer, std::get<1>(key)));
      it = keys.end() - 1;
    }
    inv.blocks.push_back(static_cast<std::uint32_t>(it - keys.begin()));
  }
  if (a.mtp_layers > 0) {
    inv.layouts.push_back(mtp_block(a));
    const auto mtp = static_cast<std::uint32_t>(inv.layouts.size() - 1);
    for (std::uint64_t i = 0; i < a.mtp_layers; ++i) inv.blocks.push_back(mtp);
  }
  return inv;
}

std::vector<std::uint64_t> TensorInventory::blocks_per_layout(bool mtp) const {
  std::vector<std::uint64_t> n(layouts.size(), 0);
  for (std::size_t b = 0; b < blocks.size(); ++b)
    if (is_mtp_block(b) == mtp) n[blocks[b]] += 1;
  return n;
}

std::uint64_t TensorInventory::tensor_count() const {
  std::uint64_t n = globals.size();
  for (const auto b : blocks) n += layouts[b].tensors.size();
  return n;
}

ParamCount TensorInventory::params_total() const {
  ParamCount n;
  for (const auto& t : globals)
    if (t.is_parameter()) n += ParamCount(t.elements());
  const auto count = blocks_per_layout(false);
  for (std::size_t l = 0; l < layouts.size(); ++l)
    n += ParamCount(checked_mul(count[l], layout_elements(layouts[l], true, 0, 0), "parameters"));
  return n;
}

ParamCount TensorInventory::params_mtp() const {
  ParamCount n;
  const auto count = blocks_per_layout(true);
  for (std::size_t l = 0; l < layouts.size(); ++l)
    n += ParamCount(checked_mul(count[l], layout_elements(layouts[l], true, 0, 0), "parameters"));
  return n;
}

ParamCount TensorInventory::params_active(bool with_embedding) const {
  ParamCount n;
  for (const auto& t : globals)
    if (with_embedding || t.role != TensorRole::token_embd) n += ParamCount(t.elements());
  const auto count = blocks_per_layout(false);
  for (std::size_t l = 0; l < layouts.size(); ++l)
    n += ParamCount(checked_mul(
        count[l], layout_elements(layouts[l], with_embedding, experts_per_token, experts_per_token), "parameters"));
  return n;
}

std::vector<ParamCount> TensorInventory::params_by_group() const {
  std::vector<ParamCount> out(std::size(k_all_groups));
  const auto add = [&](const Tensor& t, std::uint64_t times) {
    if (!t.is_parameter()) return;
    out[static_cast<std::size_t>(group_of(t.role))] += ParamCount(checked_mul(t.elements(), times, "parameters"));
  };
  for (const auto& t : globals) add(t, 1);
  const auto count = blocks_per_layout(false);
  for (std::size_t l = 0; l < layouts.size(); ++l)
    for (const auto& t : layouts[l].tensors) add(t, count[l]);
  return out;
}

}  // namespace dsplan
