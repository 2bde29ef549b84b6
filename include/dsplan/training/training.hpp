// Training and fine-tuning: memory per GPU (model states, activations), FLOPs, time and cost.
// Derivations: docs/methodology.md section 10.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dsplan/base/names.hpp"
#include "dsplan/base/units.hpp"
#include "dsplan/catalog/catalog.hpp"
#include "dsplan/cost/cost.hpp"
#include "dsplan/scenario/hardware.hpp"
#include "dsplan/serving/layout.hpp"

namespace dsplan {

enum class TrainMethod { full, lora, qlora };
/// Which linear layers get LoRA adapters (PEFT target_modules).
enum class LoraTargets { attention, attention_mlp, all_linear };
enum class Checkpointing { none, selective, full };
enum class Optimizer { adamw, adamw8bit, sgd };
/// Dtype of the matmuls: sets the peak the utilization applies to.
enum class ComputePrecision { bf16, fp8 };

inline constexpr EnumName<TrainMethod> k_train_methods[] = {
    {TrainMethod::full, "full", "every weight trained"},
    {TrainMethod::lora, "lora", "LoRA adapters on frozen 16-bit weights"},
    {TrainMethod::qlora, "qlora", "LoRA adapters on frozen NF4 weights"}};
inline constexpr EnumName<LoraTargets> k_lora_targets[] = {
    {LoraTargets::attention, "attn", "attention projections"},
    {LoraTargets::attention_mlp, "attn_mlp", "+ dense MLP, shared and routed experts"},
    {LoraTargets::all_linear, "all", "PEFT all-linear (+ the attention kind's extra projections)"}};
inline constexpr EnumName<Checkpointing> k_checkpointings[] = {
    {Checkpointing::none, "none", "store every activation"},
    {Checkpointing::selective, "selective", "recompute the attention core"},
    {Checkpointing::full, "full", "store block inputs only"}};
inline constexpr EnumName<Optimizer> k_optimizers[] = {{Optimizer::adamw, "adamw", "AdamW, fp32 states"},
                                                       {Optimizer::adamw8bit, "adamw8bit", "8-bit AdamW"},
                                                       {Optimizer::sgd, "sgd", "SGD with momentum"}};
inline constexpr EnumName<ComputePrecision> k_precisions[] = {{ComputePrecision::bf16, "bf16", "BF16 matmuls"},
                                                              {ComputePrecision::fp8, "fp8", "FP8 matmuls"}};

[[nodiscard]] std::string_view method_name(TrainMethod m);
[[nodiscard]] std::string_view targets_name(LoraTargets t);
[[nodiscard]] std::string_view checkpointing_name(Checkpointing c);
[[nodiscard]] std::string_view optimizer_name(Optimizer o);
[[nodiscard]] std::string_view precision_name(ComputePrecision p);

/// Default utilization of the GPUs' dense peak by the FLOPs they execute: Llama 3 405B reports
/// 38-43% BF16 MFU on 8K-16K H100s (arXiv 2407.21783, Table 4); docs/methodology.md 10.6.
inline constexpr double k_default_utilization = 0.40;

struct TrainRequest {
  std::string model;
  TrainMethod method = TrainMethod::full;
  std::uint64_t rank = 16;                         ///< LoRA rank r
  LoraTargets targets = LoraTargets::all_linear;
  std::string gpu;                                 ///< catalog GPU id; empty = no fit verdict, no time
  std::uint64_t count = 1;                         ///< GPUs in all
  bool count_auto = false;                         ///< smallest count (a multiple of tp x pp) that fits
  std::uint64_t max_count = 16384;
  /// --count auto: GPUs per node; counts past one node are whole nodes (a multiple of this).
  std::uint64_t gpus_per_node = 0;  ///< 0: the GPU's catalog value (gpus.json gpus_per_node)
  /// --count auto: share of each GPU's memory left free, as `recommend --headroom`: a count that
  /// fills 99% of every card is one allocator fragment away from out-of-memory.
  double auto_headroom = k_default_headroom;
  std::uint64_t zero = 0;                          ///< ZeRO stage 0-3 (FSDP FULL_SHARD = 3)
  std::uint64_t tp = 1;                            ///< tensor parallel (with sequence parallelism)
  std::uint64_t pp = 1;                            ///< pipeline parallel (1F1B schedule)
  std::uint64_t ep = 1;                            ///< expert parallel: routed experts split over ep data-parallel ranks
  std::uint64_t seq = 2048;                        ///< tokens per sequence
  std::uint64_t micro_batch = 1;                   ///< sequences per GPU per forward pass
  std::optional<std::uint64_t> global_batch;       ///< sequences per optimizer step
  std::optional<double> tokens;                    ///< training tokens (for time and cost)
  std::optional<Checkpointing> checkpointing;      ///< default: full for LoRA/QLoRA, selective for full
  Optimizer optimizer = Optimizer::adamw;
  ComputePrecision precision = ComputePrecision::bf16;
  bool flash_attention = true;
  bool fused_loss = false;                         ///< chunked linear + cross-entropy (Liger, Unsloth): no full logits
  bool fsdp_qlora = false;                         ///< 4-bit weights in a bf16 storage dtype: QLoRA + ZeRO-3
  std::optional<double> mfu;                       ///< --mfu: model FLOPs (recompute excluded) per second over the peak
  std::optional<double> usd_per_gpu_hour;          ///< --price
  /// Owning the GPUs: --purchase-price, --host-price, --kwh-price, --pue, --years, --maintenance
  /// (usd_per_gpu_hour and tokens_per_day unused).
  CostRequest owned_cost;
};

/// Memory one GPU holds at the peak of a training step (the first pipeline stage, which holds
/// the most micro-batches; with pp = 1 the only stage).
struct TrainMemory {
  Bytes weights;            ///< base + adapters, after TP/PP split and ZeRO-3 sharding
  Bytes gradients;
  Bytes optimizer;          ///< optimizer states incl. the fp32 master copy
  Bytes activations;        ///< layers + logits
  Bytes activation_layers;  ///< saved for backward inside the transformer blocks
  Bytes logits;             ///< output head input and logits kept for the loss
  Bytes gathered_weights;   ///< ZeRO-3: one block's weights gathered for its forward/backward
  Bytes overhead;           ///< CUDA context and library workspaces
  Bytes total;
  Bytes replica_weights;    ///< weights of this GPU's model partition before ZeRO-3 shards them
  Bytes replica_gradients;  ///< gradients of this GPU's model partition before ZeRO-2 shards them
};

/// Per-token figures that the memory and FLOP totals multiply.
struct TrainPerToken {
  std::uint64_t layer_activation_bytes = 0;   ///< the heaviest stage's blocks, nothing recomputed
  std::uint64_t stored_activation_bytes = 0;  ///< what the chosen checkpointing keeps of them
  std::uint64_t recompute_peak_bytes = 0;     ///< one block's activations rebuilt during backward
  std::uint64_t logits_bytes = 0;
  double forward_matmul_flops = 0;            ///< 2 x parameters a token multiplies
  double forward_attention_flops = 0;         ///< QK^T and PV at the average causal context
  double adapter_flops = 0;                   ///< LoRA forward + backward (6 x active adapter params)
  double flops = 0;                           ///< executed per token in training, recompute included
  double model_flops = 0;                     ///< without recompute (what MFU counts)
};

struct TrainResult {
  std::string model_id;
  std::string model_name;
  TrainMethod method = TrainMethod::full;
  std::uint64_t rank = 0;
  LoraTargets targets = LoraTargets::all_linear;
  Checkpointing checkpointing = Checkpointing::none;
  Optimizer optimizer = Optimizer::adamw;
  ComputePrecision precision = ComputePrecision::bf16;
  std::uint64_t zero = 0;
  std::uint64_t seq = 0;
  std::uint64_t micro_batch = 0;

  ParamCount total_params;      ///< main model (MTP module excluded)
  ParamCount trainable_params;
  ParamCount routed_trainable_params;  ///< of which in routed experts (split by expert parallelism)
  ParamCount active_params;     ///< per token, embedding excluded (the 6N of 6ND)
  Bytes base_weight_bytes;      ///< frozen or trained weights before any split
  double bytes_per_trainable_param = 0;  ///< weights + gradients + optimizer

  std::optional<Device> gpu;
  std::uint64_t gpus = 1;
  std::optional<std::uint64_t> auto_count;  ///< what --count auto chose
  /// --count auto found no count: flags (from --zero 3, --fsdp-qlora, --fused-loss, --checkpointing
  /// full, --optimizer adamw8bit, added up in that order) that make one fit, the fewest GPUs first.
  struct FitHint {
    std::vector<std::string> flags;
    std::uint64_t gpus = 0;
  };
  std::optional<FitHint> fit_hint;
  bool count_auto = false;
  /// --count auto was asked for and no count up to the limit fits.
  [[nodiscard]] bool count_auto_failed() const { return count_auto && !auto_count; }
  std::uint64_t dp = 1, tp = 1, pp = 1, ep = 1;
  std::uint64_t global_batch = 0;           ///< sequences per optimizer step
  std::uint64_t grad_accumulation = 1;
  /// Share of each step a pipeline stage idles, (pp - 1) / (micro-batches + pp - 1) under 1F1B;
  /// the time divides by 1 minus it.
  double pipeline_bubble = 0;
  TrainMemory memory;                       ///< per GPU
  std::optional<bool> fits;

  TrainPerToken per_token;
  /// Data-parallel traffic per GPU per optimizer step (gradient all-reduce; ZeRO-3 also gathers
  /// the weights twice per micro-batch) and its time over the slowest link it crosses.
  double comm_bytes_per_step = 0;
  double comm_seconds_per_step = 0;
  double compute_seconds_per_step = 0;
  double peak_tflops = 0;  ///< the dense peak the time divides by (BF16, or FP8 with --precision fp8)
  double utilization = 0;  ///< of the dense peak by the FLOPs executed, recompute included
  double mfu = 0;          ///< model FLOPs utilization: utilization x model_flops / flops
  std::string utilization_source;
  std::optional<double> tokens;
  std::optional<double> total_flops;
  std::optional<double> steps;
  std::optional<double> seconds;
  std::optional<double> gpu_hours;
  std::optional<double> days;
  std::optional<double> usd_per_gpu_hour;
  std::string price_source;
  std::optional<double> cost_usd;
  /// Owning the GPUs instead: the run's share of the hardware (amortization and maintenance for
  /// its hours) and the electricity at the cards' full TDP; null where the catalog has no price.
  std::optional<double> owned_cost_usd;
  double owned_hardware_usd = 0;      ///< GPUs and priced host parts of every node
  double owned_power_watts = 0;       ///< at the wall, GPUs at TDP, host and PUE included
  double owned_amortization_usd = 0;  ///< the run's hours of amortization and maintenance
  double owned_power_usd = 0;         ///< the run's electricity
  double owned_usd_per_kwh = 0;       ///< the electricity price it uses
  std::vector<std::string> notes;
};

/// Throws InputError on unknown names and unsupported combinations (rank above a targeted
/// matrix's smaller side, QLoRA with tensor parallelism, counts that tp x pp does not divide).
[[nodiscard]] TrainResult estimate_training(const Catalog& catalog, const TrainRequest& request);

/// LoRA parameters r x (rows + cols) per targeted matrix (times its stack), main model only.
/// `active` counts routed experts at experts_per_token / n_routed_experts.
[[nodiscard]] ParamCount lora_params(const ModelArch& arch, std::uint64_t rank, LoraTargets targets, bool active);

}  // namespace dsplan
