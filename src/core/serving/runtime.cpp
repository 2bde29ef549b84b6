// Runtime memory models per engine. Each term is a tensor the engine really allocates at its
// worst-case step; docs/methodology.md derives them and docs/validation.md compares them with
// the buffers llama.cpp and vLLM report.
#include "dsplan/serving/runtime.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "dsplan/base/error.hpp"
#include "dsplan/model/attention.hpp"

namespace dsplan {

namespace {

constexpr std::uint64_t k_f32 = 4;   // llama.cpp graph activations are f32
constexpr std::uint64_t k_bf16 = 2;  // PyTorch engines run activations in the model dtype

/// Widest per-token activation set of any layer: gate and up outputs (2F), their product (F)
/// and ~4 hidden-size tensors (residual, norm output, attention output, MLP output). MoE layers
/// hold k routed experts' intermediates plus the shared expert's. Tensor parallelism splits the
/// FFN width across ranks; the hidden-size tensors are replicated.
std::uint64_t activation_values_per_token(const ModelArch& a, std::uint64_t tp) {
  const std::uint64_t dense = 3 * a.intermediate_size / tp + 4 * a.hidden_size;
  if (!a.is_moe()) return dense;
  const std::uint64_t experts = a.experts_per_token + a.n_shared_experts;
  const std::uint64_t moe = 3 * experts * a.moe_intermediate_size / tp + 4 * a.hidden_size;
  return a.first_k_dense_replace > 0 ? std::max(dense, moe) : moe;
}

/// Routed-expert intermediates llama.cpp keeps per token: gate, up and their product for the
/// experts a token uses (ggml_mul_mat_id outputs, f32).
std::uint64_t llama_moe_values_per_token(const ModelArch& a) {
  return a.is_moe() ? 3 * a.experts_per_token * a.moe_intermediate_size : 0;
}

RuntimeMemory llama_cpp_compute(const ModelArch& a, const KvCacheSize& kv, const RuntimeRequest& r,
                                Derivation* explain) {
  // llama_context reserves the prompt graph for n_tokens = min(n_ubatch, n_ctx) with every
  // token producing logits (src/llama-context.cpp graph_reserve @3cfa9c3f).
  const std::uint64_t ub = std::min(r.ubatch, kv.cells_per_sequence);
  const std::uint64_t n_kv = kv.cells_per_sequence;
  RuntimeMemory m;
  const std::uint64_t logits = k_f32 * ub * (a.vocab_size + a.hidden_size);
  const std::uint64_t moe = k_f32 * ub * llama_moe_values_per_token(a);
  // DeepSeek-V3.2's lightning indexer: f32 scores of every (kv, token) pair for each indexer head,
  // built unfused by llama.cpp's deepseek32 graph (PR #23346); one such tensor is counted, a lower
  // bound, as the graph's relu and weighting may hold a second.
  const std::uint64_t indexer = attention_of(a).needs_indexer_engine ? k_f32 * ub * n_kv * a.index_n_heads : 0;
  std::uint64_t attention = indexer;
  std::uint64_t total = 0;
  if (r.flash_attention) {
    // KQ mask in f32 plus its f16 copy for the flash-attention kernel: 6 bytes per (kv, token).
    attention += 6 * ub * n_kv;
    total = logits + attention + moe;
  } else {
    // The f32 KQ scores of one layer (softmax runs in place) and ~18 hidden-size f32 rows.
    attention += k_f32 * ub * n_kv * (a.num_heads + 1) + 18 * ub * a.hidden_size;
    total = std::max(logits, attention) + moe;
  }
  m.compute_buffer = Bytes(total);
  m.output_buffer = Bytes(logits);
  m.layer_buffer = Bytes(attention + moe);
  if (explain) {
    explain->push_back({"compute buffer",
                        fmt::format("{} = logits 4*{}*({}+{}) = {} {} attention {} + MoE {} (ub = {}, n_kv = {}, "
                                    "flash attention {}){}",
                                    total, ub, a.vocab_size, a.hidden_size, logits,
                                    r.flash_attention ? "+" : "max with", attention, moe, ub, n_kv,
                                    r.flash_attention ? "on" : "off",
                                    indexer > 0 ? fmt::format("; attention includes the indexer's f32 scores "
                                                              "4*{}*{}*{} heads = {}",
                                                              ub, n_kv, a.index_n_heads, indexer)
                                                : ""),
                        "llama.cpp graph reservation (src/llama-context.cpp @3cfa9c3f); checked against llama.cpp's "
                        "reported compute buffers in docs/validation.md"});
  }
  return m;
}

RuntimeMemory pytorch_compute(const ModelArch& a, std::uint64_t tokens, std::uint64_t sampled, std::uint64_t tp,
                              std::string_view why, Derivation* explain) {
  const std::uint64_t values = activation_values_per_token(a, tp);
  const std::uint64_t activations = checked_mul(tokens, k_bf16 * values, "activations");
  // Sampling keeps fp32 logits, probabilities and log-probabilities for each sampled sequence.
  const std::uint64_t sampler = checked_mul(sampled, 3 * k_f32 * a.vocab_size, "sampler buffers");
  RuntimeMemory m;
  m.compute_buffer = Bytes(activations + sampler);
  m.output_buffer = Bytes(sampler);
  m.layer_buffer = Bytes(activations);
  if (explain) {
    explain->push_back({"activation peak",
                        fmt::format("{} = {} tokens x 2 B x {} values (3 x FFN{} + 4 x hidden) + {} sequences x 12 B "
                                    "x vocab {} ({})",
                                    m.compute_buffer.count(), tokens, values,
                                    tp > 1 ? fmt::format(" / {} ranks", tp) : std::string(), sampled, a.vocab_size, why),
                        "activations in bf16, fp32 sampler buffers (docs/methodology.md)"});
  }
  return m;
}

}  // namespace

RuntimeMemory estimate_runtime(const ModelArch& a, const EngineSpec& e, const KvCacheSize& kv,
                               const RuntimeRequest& r, Derivation* explain) {
  if (r.tensor_parallel == 0) throw InternalError("tensor parallel degree 0");
  RuntimeMemory m;
  if (e.compute_buffer_model == "llama.cpp") {
    m = llama_cpp_compute(a, kv, r, explain);
  } else if (e.compute_buffer_model == "vllm") {
    // The memory profile runs one forward pass of max_num_batched_tokens and samples
    // max_num_seqs sequences (vllm/v1/worker/gpu_worker.py determine_available_memory).
    m = pytorch_compute(a, r.ubatch, e.sampler_sequences, r.tensor_parallel, "profile run", explain);
  } else if (e.compute_buffer_model == "transformers") {
    // generate() runs the whole prompt of every sequence in one forward pass.
    const std::uint64_t tokens = checked_mul(kv.cells_per_sequence, r.sequences, "prompt tokens");
    m = pytorch_compute(a, tokens, r.sequences, r.tensor_parallel, "prompt forward pass", explain);
  } else {
    throw InternalError("unknown compute buffer model '" + e.compute_buffer_model + "'");
  }
  m.overhead = Bytes(e.runtime_overhead_bytes);
  if (r.tensor_parallel > 1) m.overhead += Bytes(e.runtime_overhead_tp_bytes);
  if (explain)
    explain->push_back({"runtime overhead", fmt::format("{} B per device", m.overhead.count()), e.source("overhead")});
  return m;
}

}  // namespace dsplan
