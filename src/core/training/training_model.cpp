// The trained model's facts: its tensor inventory, what LoRA targets, trainable and frozen bytes.
#include "core/training/training_parts.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "dsplan/model/attention.hpp"
#include "dsplan/base/error.hpp"
#include "dsplan/model/quant.hpp"

namespace dsplan::training_detail {

namespace {

bool is_attention_linear(TensorRole r) {
  switch (r) {
    case TensorRole::attn_q: case TensorRole::attn_k: case TensorRole::attn_v: case TensorRole::attn_output:
    case TensorRole::attn_q_a: case TensorRole::attn_q_b: case TensorRole::attn_kv_a_mqa: case TensorRole::attn_kv_b:
    case TensorRole::attn_kv: case TensorRole::attn_output_a: case TensorRole::attn_output_b:
      return true;
    default: return false;
  }
}

bool is_mlp_linear(TensorRole r) {
  switch (r) {
    case TensorRole::ffn_gate: case TensorRole::ffn_up: case TensorRole::ffn_down:
    case TensorRole::ffn_gate_exps: case TensorRole::ffn_up_exps: case TensorRole::ffn_down_exps:
    case TensorRole::ffn_gate_shexp: case TensorRole::ffn_up_shexp: case TensorRole::ffn_down_shexp:
      return true;
    default: return false;
  }
}

/// PEFT target_modules: attention (q,k,v,o / q_a,q_b,kv_a,kv_b,o), + MLP (gate, up, down of
/// dense, shared and routed experts), or "all-linear" (+ what the attention kind adds: the V3.2
/// indexer's projections). The router (a bare nn.Parameter in the DeepSeek modeling code) and
/// lm_head are never targeted.
bool is_target(const AttentionTraits& attention, TensorRole r, LoraTargets t) {
  if (is_attention_linear(r)) return true;
  if (t == LoraTargets::attention) return false;
  if (is_mlp_linear(r)) return true;
  if (t == LoraTargets::attention_mlp) return false;
  return attention.extra_lora_target(r);
}

/// Parameters of the largest block (ZeRO-3 gathers one block at a time).
Split largest_block_params(const TensorInventory& inv) {
  Split best;
  for (std::size_t b = 0; b < inv.main_blocks; ++b) {
    Split n;
    for (const auto& t : inv.layout_of(b).tensors)
      (t.is_routed_expert() ? n.routed : n.other) += static_cast<double>(t.elements());
    if (n.routed + n.other > best.routed + best.other) best = n;
  }
  return best;
}

/// The model's matrices checked against the rank: r must not exceed either side of a target.
void check_rank(const TensorInventory& inv, const ModelArch& arch, std::uint64_t rank, LoraTargets targets) {
  if (rank == 0) throw InputError("%rank% must be at least 1");
  const Tensor* binding = nullptr;  // the target with the smallest side: it sets the limit
  for (const auto& layout : inv.layouts)
    for (const auto& t : layout.tensors)
      if (!t.is_vector && is_target(attention_of(arch), t.role, targets) &&
          (!binding || std::min(t.rows, t.cols) < std::min(binding->rows, binding->cols)))
        binding = &t;
  if (binding && rank > std::min(binding->rows, binding->cols))
    throw InputError(fmt::format("%rank% {} is larger than {} ({} x {}); LoRA on these targets needs r <= {}", rank,
                                 role_name(binding->role), binding->rows, binding->cols,
                                 std::min(binding->rows, binding->cols)));
}

/// Parameters of the main model's routed experts.
double routed_params(const TensorInventory& inv) {
  double n = 0;
  const auto per_layout = inv.blocks_per_layout(false);
  for (std::size_t l = 0; l < inv.layouts.size(); ++l)
    for (const auto& t : inv.layouts[l].tensors)
      if (t.is_routed_expert()) n += static_cast<double>(t.elements()) * static_cast<double>(per_layout[l]);
  return n;
}

}  // namespace

Checkpointing default_checkpointing(TrainMethod m) {
  // Fine-tuning recipes turn gradient checkpointing on (QLoRA paper sec. 4; TRL, Axolotl and
  // Unsloth defaults); Megatron pretraining recipes use selective recompute.
  return m == TrainMethod::full ? Checkpointing::selective : Checkpointing::full;
}

/// LoRA parameters per targeted matrix r x (rows + cols), times its stack and block count;
/// `active` counts routed experts at k / E.
Split lora_split(const TensorInventory& inv, const ModelArch& arch, std::uint64_t rank, LoraTargets targets,
                 bool active) {
  const auto per_layout = inv.blocks_per_layout(false);
  Split n;
  for (std::size_t l = 0; l < inv.layouts.size(); ++l)
    for (const auto& t : inv.layouts[l].tensors) {
      if (t.is_vector || !is_target(attention_of(arch), t.role, targets)) continue;
      std::uint64_t stack = t.stack;
      if (t.is_routed_expert() && active && arch.n_routed_experts > 0)
        stack = t.stack * arch.experts_per_token / arch.n_routed_experts;
      const std::uint64_t per_matrix = checked_mul(rank, t.rows + t.cols, "LoRA parameters");
      const auto params = checked_mul(checked_mul(per_matrix, stack, "LoRA parameters"), per_layout[l], "LoRA parameters");
      (t.is_routed_expert() ? n.routed : n.other) += static_cast<double>(params);
    }
  return n;
}

ModelFacts model_facts(const Catalog& catalog, const TrainRequest& r) {
  ModelFacts f;
  f.spec = &catalog.require_model(r.model);
  const auto& a = f.spec->arch;
  f.inv = build_inventory(a);
  f.block_params = largest_block_params(f.inv);
  for (const auto& t : f.inv.globals)
    if (t.role == TensorRole::token_embd || t.role == TensorRole::output)
      f.largest_global_params = std::max(f.largest_global_params, static_cast<double>(t.elements()));
  const double total = static_cast<double>(f.inv.params_total().count());
  const double routed = routed_params(f.inv);
  if (r.method == TrainMethod::full) {
    f.trainable = {routed, total - routed};
  } else {
    check_rank(f.inv, a, r.rank, r.targets);
    f.trainable = lora_split(f.inv, a, r.rank, r.targets, false);
    const Split active = lora_split(f.inv, a, r.rank, r.targets, true);
    f.lora_active = static_cast<std::uint64_t>(active.routed + active.other);
    if (r.method == TrainMethod::lora) {
      f.frozen = {2.0 * routed, 2.0 * (total - routed)};
    } else {
      // QLoRA: bitsandbytes NF4 with double quantization on every linear layer; embedding,
      // norms, router and lm_head stay bf16 (the catalog's "nf4" format).
      const auto q = quantize_model(catalog, *f.spec, catalog.require_quant("nf4"), FileLayout{});
      double routed_bytes = 0;
      for (std::size_t b = 0; b < q.block_bytes.size(); ++b)
        routed_bytes += static_cast<double>(q.block_routed_bytes(b).count());
      f.frozen = {routed_bytes, static_cast<double>(q.without_mtp().count()) - routed_bytes};
    }
  }
  f.layers = layer_activations(a, r.seq);
  return f;
}

}  // namespace dsplan::training_detail
