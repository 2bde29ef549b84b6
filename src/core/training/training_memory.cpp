// Training memory per GPU: ZeRO's model states (arXiv 1910.02054) and activations generalizing
// Korthikanti et al. (arXiv 2205.05198, Table 2); docs/methodology.md section 10.
#include "core/training/training_parts.hpp"

#include <algorithm>

#include "dsplan/model/attention.hpp"
#include "dsplan/base/error.hpp"

namespace dsplan::training_detail {

namespace {

using activation::k_fp32;
using activation::norm_bytes;
constexpr std::uint64_t k_act = activation::k_bf16;

/// CUDA context per process (426 MiB bare PyTorch 2.10+cu130 context, unsloth-zoo PR #1053)
/// plus a 32 MiB cuBLAS workspace (PyTorch CublasHandlePool.cpp, Hopper and newer).
constexpr std::uint64_t k_training_overhead = 426 * k_mib + 32 * k_mib;

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
    peak = std::max(peak, with_scores);          // the block rebuilt under full recompute holds all it saves
    inputs += k_act * f.spec->arch.hidden_size;  // a block's input, what full recompute keeps
  }
  if (ckpt == Checkpointing::full) {
    st.stored = inputs;
    st.recompute_peak = peak;
  }
  return st;
}

}  // namespace

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


/// Per block: the bytes saved for backward per token, and the attention scores' part.
std::vector<LayerActivation> layer_activations(const ModelArch& a, std::uint64_t seq) {
  std::vector<LayerActivation> out;
  for (std::uint64_t l = 0; l < a.num_layers; ++l) {
    LayerActivation la;
    la.saved = attention_bytes(a) + mlp_bytes(a, a.layer_is_moe(l));
    la.scores = k_act * a.num_heads * seq;  // softmax probabilities, s per head per token
    out.push_back(la);
  }
  return out;
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
  m.replica_weights = per_gpu(weights, s, stage, false);
  m.replica_gradients = per_gpu(scaled(f.trainable, 2.0), s, stage, false);
  m.gradients = per_gpu(scaled(f.trainable, 2.0), s, stage, r.zero >= 2);
  m.optimizer = per_gpu(scaled(f.trainable, static_cast<double>(optimizer_bytes_x2(r.optimizer)) / 2.0), s, stage,
                        r.zero >= 1);
  if (r.zero >= 3 && s.dp > 1) {
    // One block gathered whole (routed experts stay split by ep) for its forward or backward.
    const double total = static_cast<double>(f.inv.params_total().count());
    const double bytes_per_param = full ? 2.0 : (f.frozen.routed + f.frozen.other) / total;
    const double block = bytes_per_param * (f.block_params.other / static_cast<double>(s.tp) +
                                            f.block_params.routed / static_cast<double>(s.tp * s.ep));
    // The embedding and the output head are gathered whole too (bf16 in every method), and in
    // small models with large vocabularies either outweighs a block.
    m.gathered_weights = divide(std::max(block, 2.0 * f.largest_global_params / static_cast<double>(s.tp)), 1.0);
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

}  // namespace dsplan::training_detail
