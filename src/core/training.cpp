// Training and fine-tuning estimate. Model states follow ZeRO's accounting (arXiv 1910.02054):
// 2 B weights + 2 B gradients + K B optimizer per trained parameter, with ZeRO stages dividing
// the optimizer (1), gradients (2) and weights (3) across data-parallel ranks. Activations
// generalize Korthikanti et al. (arXiv 2205.05198, Table 2) to RMSNorm, GQA/MLA, SwiGLU and
// routed experts; docs/methodology.md section 10 derives every term.
#include "dsplan/training.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

#include <fmt/format.h>

#include "dsplan/attention.hpp"
#include "dsplan/cost.hpp"
#include "dsplan/error.hpp"
#include "dsplan/quant.hpp"
#include "dsplan/tensors.hpp"

namespace dsplan {

namespace {

using activation::k_fp32;
using activation::norm_bytes;
constexpr std::uint64_t k_act = activation::k_bf16;

/// Optimizer bytes per trained parameter, the fp32 master copy included (ZeRO's K).
std::uint64_t optimizer_bytes_x2(Optimizer o) {
  // Twice the bytes, so 8-bit Adam's block statistics stay integral below: AdamW: fp32 master,
  // m and v (12 B). 8-bit AdamW (bitsandbytes, arXiv 2110.02861): fp32 master 4 B + two 1-byte
  // states with one fp32 absmax per 2048-value block (negligible, counted as 6 B).
  // SGD with momentum: master 4 B + momentum 4 B.
  switch (o) {
    case Optimizer::adamw: return 24;
    case Optimizer::adamw8bit: return 12;
    case Optimizer::sgd: return 16;
  }
  return 24;
}

/// CUDA context per process (426 MiB bare PyTorch 2.10+cu130 context, unsloth-zoo PR #1053)
/// plus a 32 MiB cuBLAS workspace (PyTorch CublasHandlePool.cpp, Hopper and newer).
constexpr std::uint64_t k_training_overhead = 426 * k_mib + 32 * k_mib;

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

/// Bytes saved for backward per token in one block, nothing recomputed; `scores` is the part that
/// attention without flash attention adds (the s x s probabilities) and selective recompute drops.
struct LayerActivation {
  std::uint64_t saved = 0;
  std::uint64_t scores = 0;
};

std::uint64_t attention_bytes(const ModelArch& a) {
  const std::uint64_t h = a.hidden_size;
  // attn_norm input and the projections' shared input, the kind's own, a logsumexp per head.
  return norm_bytes(h) + k_act * h + attention_of(a).activation_bytes(a) + k_fp32 * a.num_heads;
}

/// SwiGLU MLP of width f: input (shared), gate and up outputs, down's input.
constexpr std::uint64_t swiglu_bytes(std::uint64_t f) { return k_act * 3 * f; }

std::uint64_t mlp_bytes(const ModelArch& a, bool moe) {
  const std::uint64_t h = a.hidden_size;
  std::uint64_t n = norm_bytes(h) + k_act * h;  // ffn_norm input; the MLP's input
  if (!moe) return n + swiglu_bytes(a.intermediate_size);
  n += k_fp32 * a.n_routed_experts;                                // router scores
  n += a.experts_per_token * (k_act * 2 * h + swiglu_bytes(a.moe_intermediate_size));  // gathered input, output
  n += swiglu_bytes(a.moe_intermediate_size * a.n_shared_experts);
  return n;
}

/// The loss at the start of backward, per token: the final norm's and the head's inputs; then,
/// unless a fused linear-cross-entropy kernel computes the loss in chunks, Transformers'
/// ForCausalLMLoss path: bf16 logits (2V, kept by the model output), the fp32 log-probabilities
/// log_softmax saves (4V), and the fp32 gradients of both while log_softmax runs backward (8V).
std::uint64_t logits_bytes_per_token(const ModelArch& a, bool fused_loss) {
  const std::uint64_t head_inputs = norm_bytes(a.hidden_size) + k_act * a.hidden_size;
  if (fused_loss) return head_inputs;
  return head_inputs + (k_act + k_fp32 + 2 * k_fp32) * a.vocab_size;
}

/// Matmul parameters one token multiplies (main model): every matrix of the blocks with routed
/// experts at k/E, and the output head (the embedding matrix when tied). Norm vectors excluded.
double matmul_params(const TensorInventory& inv, const ModelArch& a) {
  double n = 0;
  for (const auto& t : inv.globals)
    if (t.role == TensorRole::output) n += static_cast<double>(t.elements());
  if (a.tie_word_embeddings) n += static_cast<double>(a.hidden_size * a.vocab_size);
  const auto per_layout = inv.blocks_per_layout(false);
  for (std::size_t l = 0; l < inv.layouts.size(); ++l)
    for (const auto& t : inv.layouts[l].tensors) {
      if (t.is_vector) continue;
      double e = static_cast<double>(t.elements());
      if (t.is_routed_expert() && a.n_routed_experts > 0)
        e *= static_cast<double>(a.experts_per_token) / static_cast<double>(a.n_routed_experts);
      n += e * static_cast<double>(per_layout[l]);
    }
  return n;
}

/// A quantity split into routed experts and everything else (expert parallelism splits only
/// the former): parameters, or model-state bytes.
struct Split {
  double routed = 0;
  double other = 0;
};

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

Checkpointing default_checkpointing(TrainMethod m) {
  // Fine-tuning recipes turn gradient checkpointing on (QLoRA paper sec. 4; TRL, Axolotl and
  // Unsloth defaults); Megatron pretraining recipes use selective recompute.
  return m == TrainMethod::full ? Checkpointing::selective : Checkpointing::full;
}

void validate(const TrainRequest& r) {
  if (r.zero > 3) throw InputError(fmt::format("--zero: {} is not a ZeRO stage (0, 1, 2 or 3)", r.zero));
  if (r.tp == 0 || r.pp == 0 || r.ep == 0 || r.seq == 0 || r.micro_batch == 0 || r.count == 0)
    throw InputError("training sizes (--tp, --pp, --ep, --seq, --micro-batch, --count) must be at least 1");
  if (r.method == TrainMethod::qlora && r.tp > 1)
    throw InputError("QLoRA with --tp > 1: bitsandbytes 4-bit layers have no tensor-parallel implementation; use --zero "
                     "instead");
  if (r.method == TrainMethod::qlora && r.zero == 3 && !r.fsdp_qlora)
    throw InputError("QLoRA with --zero 3 shards 4-bit weights only when they are stored in a bf16 container "
                     "(bitsandbytes >= 0.43 bnb_4bit_quant_storage=bfloat16, FSDP-QLoRA); add --fsdp-qlora to assume it");
  if (r.method == TrainMethod::qlora && r.precision == ComputePrecision::fp8)
    throw InputError("QLoRA computes in bf16 (dequantized NF4); --precision fp8 applies to full or LoRA training");
  if (r.tokens && !(*r.tokens > 0)) throw InputError("--tokens must be positive");
  if (r.utilization && !(*r.utilization > 0 && *r.utilization <= 1)) throw InputError("--mfu must be in (0, 1]");
}

/// The model's matrices checked against the rank: r must not exceed either side of a target.
void check_rank(const TensorInventory& inv, const ModelArch& arch, std::uint64_t rank, LoraTargets targets) {
  if (rank == 0) throw InputError("--rank must be at least 1");
  for (const auto& layout : inv.layouts)
    for (const auto& t : layout.tensors)
      if (!t.is_vector && is_target(attention_of(arch), t.role, targets) && rank > std::min(t.rows, t.cols))
        throw InputError(fmt::format("--rank {} is larger than {} ({} x {}); LoRA needs r <= {}", rank,
                                     role_name(t.role), t.rows, t.cols, std::min(t.rows, t.cols)));
}

struct Shape {
  std::uint64_t dp = 1, tp = 1, pp = 1, ep = 1;
  std::uint64_t in_flight = 1;  ///< micro-batches the first pipeline stage holds (1F1B: up to pp)
};

struct ModelFacts {
  const ModelSpec* spec = nullptr;
  TensorInventory inv;
  Split trainable;           ///< parameters with gradients and optimizer states
  std::uint64_t lora_active = 0;
  Split frozen;              ///< LoRA/QLoRA base weight bytes
  Split block_params;
  std::vector<LayerActivation> layers;
};

/// Heaviest pipeline stage's share of a quantity spread evenly over blocks: ceil(L/pp) blocks.
double stage_share(std::uint64_t layers, std::uint64_t pp) {
  return static_cast<double>(ceil_div(layers, pp)) / static_cast<double>(layers);
}

Bytes divide(double bytes, double by) { return Bytes(checked_ceil(bytes / by, "memory per GPU")); }

/// Bytes per GPU of a model-state quantity: TP and the pipeline stage split both parts, expert
/// parallelism the routed part; ZeRO (when `sharded`) splits each part over its data-parallel
/// ranks (dp for the rest, dp / ep for experts, which ep already split).
Bytes per_gpu(const Split& bytes, const Shape& s, double stage, bool sharded) {
  const double tp = static_cast<double>(s.tp);
  const double ep = static_cast<double>(s.ep);
  const double dp = sharded ? static_cast<double>(s.dp) : 1.0;
  const double expert_dp = sharded ? static_cast<double>(s.dp / s.ep) : 1.0;
  return divide(bytes.other * stage / (tp * dp) + bytes.routed * stage / (tp * ep * expert_dp), 1.0);
}

Split scaled(const Split& x, double factor) { return {x.routed * factor, x.other * factor}; }

/// Per-token activation bytes of blocks [begin, end): all of them, what checkpointing keeps, and
/// the block rebuilt during backward under full recompute.
struct StageActivations {
  std::uint64_t all = 0;
  std::uint64_t stored = 0;
  std::uint64_t recompute_peak = 0;
};

StageActivations stage_activations(const ModelFacts& f, const TrainRequest& r, Checkpointing ckpt, std::uint64_t begin,
                                   std::uint64_t end) {
  StageActivations st;
  std::uint64_t peak = 0, inputs = 0;
  for (std::uint64_t l = begin; l < end; ++l) {
    const auto& la = f.layers[l];
    const std::uint64_t with_scores = la.saved + (r.flash_attention ? 0 : la.scores);
    const std::uint64_t kept = ckpt == Checkpointing::none ? with_scores : la.saved;
    st.all += with_scores;
    st.stored += kept;
    peak = std::max(peak, kept);
    inputs += k_act * f.spec->arch.hidden_size;  // a block's input, what full recompute keeps
  }
  if (ckpt == Checkpointing::full) {
    st.stored = inputs;
    st.recompute_peak = peak;
  }
  return st;
}

TrainMemory memory_for(const ModelFacts& f, const TrainRequest& r, Checkpointing ckpt, const Shape& s,
                       TrainPerToken& per_token) {
  const auto& a = f.spec->arch;
  const double stage = stage_share(a.num_layers, s.pp);
  const bool full = r.method == TrainMethod::full;
  TrainMemory m;
  const Split trained_weights = scaled(f.trainable, 2.0);
  const Split weights = {trained_weights.routed + f.frozen.routed, trained_weights.other + f.frozen.other};
  m.weights = per_gpu(weights, s, stage, r.zero >= 3);
  m.gradients = per_gpu(scaled(f.trainable, 2.0), s, stage, r.zero >= 2);
  m.optimizer = per_gpu(scaled(f.trainable, static_cast<double>(optimizer_bytes_x2(r.optimizer)) / 2.0), s, stage,
                        r.zero >= 1);
  if (r.zero >= 3 && s.dp > 1) {
    // One block gathered whole (routed experts stay split by ep) for its forward or backward.
    const double total = static_cast<double>(f.inv.params_total().count());
    const double bytes_per_param = full ? 2.0 : (f.frozen.routed + f.frozen.other) / total;
    m.gathered_weights = divide(bytes_per_param * (f.block_params.other / static_cast<double>(s.tp) +
                                                   f.block_params.routed / static_cast<double>(s.tp * s.ep)),
                                1.0);
  }

  // Activations: per token per layer, then the tokens of the micro-batches a stage holds.
  const std::uint64_t stage_layers = ceil_div(a.num_layers, s.pp);
  const StageActivations first = stage_activations(f, r, ckpt, 0, stage_layers);
  const StageActivations last = stage_activations(f, r, ckpt, a.num_layers - stage_layers, a.num_layers);
  per_token.logits_bytes = logits_bytes_per_token(a, r.fused_loss);
  const double tokens = static_cast<double>(r.seq * r.micro_batch);
  const double tp = static_cast<double>(s.tp);  // sequence parallelism splits everything by t
  const auto layers_for = [&](const StageActivations& st, double micro_batches) {
    return divide(tokens * (micro_batches * static_cast<double>(st.stored) + static_cast<double>(st.recompute_peak)),
                  tp);
  };
  // 1F1B: the first stage holds up to pp micro-batches; the last holds one, plus the logits.
  const StageActivations* chosen = &first;
  m.activation_layers = layers_for(first, static_cast<double>(s.in_flight));
  const Bytes logits = divide(tokens * static_cast<double>(per_token.logits_bytes), tp);
  if (s.pp == 1 || layers_for(last, 1.0) + logits > m.activation_layers) {
    if (s.pp > 1) {
      m.activation_layers = layers_for(last, 1.0);
      chosen = &last;
    }
    m.logits = logits;
  }
  per_token.layer_activation_bytes = chosen->all;
  per_token.stored_activation_bytes = chosen->stored;
  per_token.recompute_peak_bytes = chosen->recompute_peak;
  m.activations = m.activation_layers + m.logits;
  m.overhead = Bytes(k_training_overhead);
  m.total = m.weights + m.gradients + m.optimizer + m.activations + m.gathered_weights + m.overhead;
  return m;
}

void flops_for(const ModelFacts& f, const TrainRequest& r, Checkpointing ckpt, TrainPerToken& t) {
  const auto& a = f.spec->arch;
  t.forward_matmul_flops = 2.0 * matmul_params(f.inv, a);
  t.forward_attention_flops = static_cast<double>(a.num_layers) * attention_of(a).training_flops(a, r.seq);
  const double fwd = t.forward_matmul_flops + t.forward_attention_flops;
  // Backward = 2 x forward (grads of inputs and of weights); frozen LoRA bases skip the weight
  // half of their matmuls. Recompute adds one forward (full) or the attention core (selective).
  if (r.method == TrainMethod::full) {
    t.model_flops = 3.0 * fwd;
  } else {
    t.adapter_flops = 6.0 * static_cast<double>(f.lora_active);
    t.model_flops = 2.0 * t.forward_matmul_flops + 3.0 * t.forward_attention_flops + t.adapter_flops;
  }
  double recompute = 0;
  if (ckpt == Checkpointing::full) recompute = fwd;
  if (ckpt == Checkpointing::selective && !r.flash_attention) recompute = t.forward_attention_flops;
  t.flops = t.model_flops + recompute;
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
      for (const auto b : q.block_routed_bytes) routed_bytes += static_cast<double>(b.count());
      f.frozen = {routed_bytes, static_cast<double>(q.without_mtp().count()) - routed_bytes};
    }
  }
  for (std::uint64_t l = 0; l < a.num_layers; ++l) {
    LayerActivation la;
    la.saved = attention_bytes(a) + mlp_bytes(a, a.layer_is_moe(l));
    la.scores = k_act * a.num_heads * r.seq;  // softmax probabilities, s per head per token
    f.layers.push_back(la);
  }
  return f;
}

bool fits_on(const TrainMemory& m, const std::optional<Device>& gpu) { return gpu && m.total <= gpu->memory; }

/// --count auto: fits with the headroom left free.
bool fits_with_headroom(const TrainMemory& m, const std::optional<Device>& gpu, double headroom) {
  return gpu && static_cast<double>(m.total.count()) <= (1.0 - headroom) * static_cast<double>(gpu->memory.count());
}

/// Counts --count auto tries: multiples of tp x pp x ep; past one node, whole nodes only.
bool auto_count_candidate(std::uint64_t count, std::uint64_t gpus_per_node) {
  return count <= gpus_per_node || count % gpus_per_node == 0;
}

/// A training run of `gpus` rents whole nodes of the GPU's gpus_per_node, clustered beyond one.
CloudShape training_cloud_shape(const Catalog& catalog, const TrainRequest& r, std::uint64_t gpus) {
  const std::uint64_t per_node = r.gpus_per_node > 0 ? r.gpus_per_node : catalog.require_gpu(r.gpu).gpus_per_node;
  return {std::min(gpus, per_node), gpus > per_node};
}

void add_time_and_cost(const Catalog& catalog, const TrainRequest& r, TrainResult& out) {
  out.utilization = r.utilization.value_or(k_default_utilization);
  out.utilization_source = r.utilization ? "--mfu"
                                         : "default 0.40: Llama 3 405B BF16 MFU 38-43% on H100 (arXiv 2407.21783, Table 4)";
  if (!out.gpu || (r.count_auto && !out.auto_count)) return;  // no count fits: nothing to time
  const double peak = (r.precision == ComputePrecision::fp8 && out.gpu->peak_fp8_tflops > 0) ? out.gpu->peak_fp8_tflops
                                                                                             : out.gpu->peak_tflops;
  if (r.precision == ComputePrecision::fp8 && out.gpu->peak_fp8_tflops <= 0)
    out.notes.push_back(out.gpu->name + " has no FP8 tensor cores; time uses its BF16 peak");
  if (peak <= 0) out.notes.push_back("no dense peak FLOPS in the catalog for " + out.gpu->name + "; no time or cost");
  if (!r.tokens || peak <= 0) return;
  out.tokens = r.tokens;
  out.total_flops = *r.tokens * out.per_token.flops;
  out.steps = *r.tokens / static_cast<double>(out.global_batch * r.seq);
  out.seconds = *out.total_flops / (static_cast<double>(out.gpus) * peak * 1e12 * out.utilization);
  out.gpu_hours = *out.seconds * static_cast<double>(out.gpus) / 3600.0;
  out.days = *out.seconds / 86400.0;
  if (r.usd_per_gpu_hour) {
    out.usd_per_gpu_hour = r.usd_per_gpu_hour;
    out.price_source = "--price";
  } else if (const auto [p, shape_met] = catalog.cloud_price_for(out.gpu->id, training_cloud_shape(catalog, r, out.gpus));
             p != nullptr) {
    out.usd_per_gpu_hour = p->usd_per_gpu_hour;
    out.price_source = fmt::format("{} {}, {} ({})", p->provider, p->offering, p->date, p->source);
    if (!shape_met) out.notes.push_back(shape_note(out.gpu->name, training_cloud_shape(catalog, r, out.gpus), *p));
  } else {
    out.notes.push_back("no cloud price for " + out.gpu->id + " in the catalog; pass --price USD per GPU-hour");
  }
  if (out.usd_per_gpu_hour) out.cost_usd = *out.gpu_hours * *out.usd_per_gpu_hour;
}

/// Data-parallel ranks and micro-batches per step for `count` GPUs; nullopt when tp x pp x ep or
/// the global batch does not divide evenly (`why` says how).
std::optional<Shape> shape_for(std::uint64_t count, const TrainRequest& r, std::string& why) {
  const std::uint64_t group = r.tp * r.pp * r.ep;
  if (count % group != 0) {
    why = fmt::format("{} GPUs do not divide into tensor-parallel {} x pipeline-parallel {} x expert-parallel {}",
                      count, r.tp, r.pp, r.ep);
    return std::nullopt;
  }
  Shape s{count / (r.tp * r.pp), r.tp, r.pp, r.ep, 1};
  const std::uint64_t per_step = r.micro_batch * s.dp;
  const std::uint64_t global = r.global_batch.value_or(per_step);
  if (global % per_step != 0) {
    why = fmt::format("--global-batch {} is not a multiple of micro-batch {} x data-parallel {}", global,
                      r.micro_batch, s.dp);
    return std::nullopt;
  }
  s.in_flight = std::min(r.pp, global / per_step);
  return s;
}

}  // namespace

std::string_view method_name(TrainMethod m) { return name_in<TrainMethod>(k_train_methods, m); }
std::string_view targets_name(LoraTargets t) { return name_in<LoraTargets>(k_lora_targets, t); }
std::string_view checkpointing_name(Checkpointing c) { return name_in<Checkpointing>(k_checkpointings, c); }
std::string_view optimizer_name(Optimizer o) { return name_in<Optimizer>(k_optimizers, o); }
std::string_view precision_name(ComputePrecision p) { return name_in<ComputePrecision>(k_precisions, p); }

ParamCount lora_params(const ModelArch& arch, std::uint64_t rank, LoraTargets targets, bool active) {
  const Split n = lora_split(build_inventory(arch), arch, rank, targets, active);
  return ParamCount(static_cast<std::uint64_t>(n.routed + n.other));
}

namespace {

TrainResult estimate(const Catalog& catalog, const TrainRequest& r, bool hint);

/// The first cumulative set of memory-saving flags under which --count auto finds a count.
std::optional<TrainResult::FitHint> find_fit_hint(const Catalog& catalog, const TrainRequest& r) {
  TrainRequest t = r;
  std::vector<std::string> flags;
  const std::function<bool()> steps[] = {
      [&] {
        if (t.zero == 3) return false;
        t.zero = 3;
        flags.push_back("--zero 3");
        if (t.method == TrainMethod::qlora && !t.fsdp_qlora) {
          t.fsdp_qlora = true;
          flags.push_back("--fsdp-qlora");
        }
        return true;
      },
      [&] {
        if (t.fused_loss) return false;
        t.fused_loss = true;
        flags.push_back("--fused-loss");
        return true;
      },
      [&] {
        if (t.checkpointing.value_or(default_checkpointing(t.method)) == Checkpointing::full) return false;
        t.checkpointing = Checkpointing::full;
        flags.push_back("--checkpointing full");
        return true;
      },
      [&] {
        if (t.optimizer != Optimizer::adamw) return false;
        t.optimizer = Optimizer::adamw8bit;
        flags.push_back("--optimizer adamw8bit");
        return true;
      },
  };
  // Each flag is added on top of the previous ones; the fewest GPUs wins, then the fewest flags.
  std::optional<TrainResult::FitHint> best;
  for (const auto& step : steps) {
    if (!step()) continue;
    try {
      const TrainResult tried = estimate(catalog, t, false);
      if (tried.auto_count && (!best || *tried.auto_count < best->gpus))
        best = TrainResult::FitHint{flags, *tried.auto_count};
    } catch (const InputError&) {
      // a flag this setup cannot take (ZeRO-3 with pipeline stages, ...): try the next one on top
    }
  }
  return best;
}

}  // namespace

TrainResult estimate_training(const Catalog& catalog, const TrainRequest& r) { return estimate(catalog, r, true); }

namespace {

TrainResult estimate(const Catalog& catalog, const TrainRequest& r, bool hint) {
  validate(r);
  const ModelFacts f = model_facts(catalog, r);
  if (r.ep > 1 && !f.spec->arch.is_moe()) throw InputError("--ep splits routed experts; " + f.spec->id + " has none");
  TrainResult out;
  out.model_id = f.spec->id;
  out.count_auto = r.count_auto;
  out.model_name = f.spec->name;
  out.method = r.method;
  out.rank = r.method == TrainMethod::full ? 0 : r.rank;
  out.targets = r.targets;
  out.checkpointing = r.checkpointing.value_or(default_checkpointing(r.method));
  out.optimizer = r.optimizer;
  out.precision = r.precision;
  out.zero = r.zero;
  out.seq = r.seq;
  out.micro_batch = r.micro_batch;
  out.total_params = f.inv.params_total();
  out.trainable_params = ParamCount(static_cast<std::uint64_t>(f.trainable.routed + f.trainable.other));
  out.routed_trainable_params = ParamCount(static_cast<std::uint64_t>(f.trainable.routed));
  out.active_params = ParamCount(static_cast<std::uint64_t>(std::llround(matmul_params(f.inv, f.spec->arch))));
  out.base_weight_bytes =
      r.method == TrainMethod::full ? Bytes(checked_mul(out.trainable_params.count(), 2, "weight bytes"))
                                    : Bytes(static_cast<std::uint64_t>(f.frozen.routed + f.frozen.other));
  out.bytes_per_trainable_param = 4.0 + static_cast<double>(optimizer_bytes_x2(r.optimizer)) / 2.0;
  if (!r.gpu.empty()) out.gpu = device_from(catalog.require_gpu(r.gpu));
  if (r.count_auto && !out.gpu) throw InputError("--count auto needs --gpu NAME");

  const auto evaluate = [&](const Shape& s) {
    out.gpus = s.dp * s.tp * s.pp;
    out.dp = s.dp;
    out.tp = s.tp;
    out.pp = s.pp;
    out.ep = s.ep;
    out.global_batch = r.global_batch.value_or(r.micro_batch * s.dp);
    out.grad_accumulation = out.global_batch / (r.micro_batch * s.dp);
    out.memory = memory_for(f, r, out.checkpointing, s, out.per_token);
  };
  std::string why;
  if (r.count_auto) {
    const std::uint64_t step = r.tp * r.pp * r.ep;
    const std::uint64_t per_node = r.gpus_per_node > 0 ? r.gpus_per_node : catalog.require_gpu(r.gpu).gpus_per_node;
    bool any = false;
    for (std::uint64_t count = step; count <= r.max_count; count += step) {
      if (!auto_count_candidate(count, per_node)) continue;
      const auto s = shape_for(count, r, why);
      if (!s) continue;
      evaluate(*s);
      any = true;
      if (fits_with_headroom(out.memory, out.gpu, r.auto_headroom)) {
        out.auto_count = count;
        break;
      }
    }
    if (!any) throw InputError(why);
    if (!out.auto_count) {
      out.notes.push_back(fmt::format("does not fit on up to {} x {} with these settings", r.max_count, out.gpu->name));
      if (hint) out.fit_hint = find_fit_hint(catalog, r);
    }
  } else {
    const auto s = shape_for(r.count, r, why);
    if (!s) throw InputError(why);
    evaluate(*s);
  }
  if (out.gpu) out.fits = fits_on(out.memory, out.gpu) && !(r.count_auto && !out.auto_count);
  if (out.pp > 1 && out.grad_accumulation < out.pp)
    out.notes.push_back(fmt::format("{} micro-batches per step keep a {}-stage pipeline partly idle (bubble)",
                                    out.grad_accumulation, out.pp));
  flops_for(f, r, out.checkpointing, out.per_token);
  add_time_and_cost(catalog, r, out);
  if (f.spec->arch.mtp_layers > 0)
    out.notes.push_back("the multi-token-prediction module is not trained (DeepSeek-V3 pretraining adds it)");
  return out;
}

}  // namespace

}  // namespace dsplan
