// Throughput: decode and prefill speed, time to first token, end-to-end latency (roofline with calibrated factors).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dsplan/model/tensors.hpp"
#include "dsplan/scenario/hardware.hpp"
#include "dsplan/scenario/scenario.hpp"
#include "dsplan/serving/explain.hpp"
#include "dsplan/serving/layout.hpp"
#include "dsplan/serving/memory.hpp"

namespace dsplan {

struct ThroughputRequest {
  std::uint64_t prompt_tokens = 0;  ///< tokens prefilled before the first output token
  std::uint64_t output_tokens = 0;  ///< tokens generated per sequence
  /// build_inventory(the scenario's model architecture), when the caller already holds it (a search
  /// times one model hundreds of times); built here when null.
  const TensorInventory* inventory = nullptr;
};

/// Time one device spends per step, and what bounds it.
struct StageTime {
  std::string device;
  double read_bytes = 0;  ///< weights and KV read per step
  double flops = 0;
  /// The part of `flops` in attention's score and value products, which run at the 16-bit peak
  /// (attention_peak_tflops) when the weights' products run in FP8.
  double attention_flops = 0;
  double memory_s = 0;    ///< read_bytes / (bandwidth x efficiency)
  double compute_s = 0;   ///< (flops - attention_flops) / (peak x MFU) + attention_flops / (attention peak x MFU)
  double fixed_s = 0;     ///< per-block launch and synchronisation time
  /// Flash attention off: the attention scores written and read back, score_bytes / (bandwidth x
  /// efficiency), in kernels of their own after the weight products.
  double score_bytes = 0;
  double scores_s = 0;
  /// Batched decode on engines with decode_batch_mfu: the FLOPs of the sequences after the first,
  /// after the weight reads instead of hidden behind them.
  double batch_compute_s = 0;
  /// Data-parallel attention, prefill: the FLOPs of `flops` only the prompt's own rank runs (the
  /// replicated groups), and the ranks that prefill different prompts side by side (1: none).
  double rank_local_flops = 0;
  std::uint64_t attention_ranks = 1;
  /// max(memory, compute) + scores + batch compute + fixed; memory + compute when copy_then_compute.
  double total_s = 0;
  /// The bytes are a copy (RAM-resident weights over PCIe) that the compute waits for, so the two
  /// add up instead of overlapping.
  bool copy_then_compute = false;
  /// That copy reads pageable (mmap-ed) memory, at the engine's pageable_host_link_factor.
  bool pageable_copy = false;
  double bandwidth_bytes_per_s = 0;  ///< the device's memory bandwidth (a CPU's: what its threads can draw)
  double efficiency = 0;             ///< share of it the engine's reads reach, all factors applied
  double peak_tflops = 0;            ///< the compute peak the engine's weight products run against
  double attention_peak_tflops = 0;  ///< the peak its attention kernels run against (16-bit)
  double mfu = 0;                    ///< share of it reached, all factors applied
  /// The class constants and the factors behind efficiency and mfu (1: not applied), for --explain.
  struct Factors {
    double bandwidth_efficiency = 1, type_bandwidth = 1, architecture_bandwidth = 1;
    double prefill_mfu = 1, architecture_mfu = 1, type_mfu = 1, moe_mfu = 1;
    double kernel_mfu = 1;                ///< the engine's own CPU kernels against its constants' (cpu_prefill_factor)
    std::string main_type, architecture;  ///< the keys the factors were looked up by
  } factors;
};

/// "0.848 x 0.925 (ampere)": a stage's efficiency, or its MFU, as the product it is.
[[nodiscard]] std::string efficiency_terms(const StageTime& st);
[[nodiscard]] std::string mfu_terms(const StageTime& st);

/// Whether the weights the scenario keeps in system RAM sit in pinned memory (the engine's rule:
/// catalog pinned_host_weights; --no-mmap; routed experts kept in RAM by the layout).
[[nodiscard]] bool pinned_host_weights(const ResolvedScenario& s, const Layout& l);

/// The range published speeds of similar runs fall in around one of dsplan's figures.
struct SpeedRange {
  double low_tokens_per_s = 0;
  double high_tokens_per_s = 0;
  std::uint64_t measurements = 0;    ///< published measurements of the class behind the range
  std::string speed_class;           ///< engine/family/model kind, e.g. "llama.cpp/gddr/dense"
  bool calibrated = false;           ///< false: no band for the class; a wide default applies
  std::vector<std::string> sources;  ///< measurement source ids the band was derived from
};

struct Throughput {
  double decode_step_s = 0;           ///< one decode step for the whole batch
  double decode_tokens_per_s = 0;     ///< per sequence
  double aggregate_tokens_per_s = 0;  ///< all sequences, decode steps only
  /// Output tokens a server delivers with `batch` requests in flight, each prefilling its prompt:
  /// batch x output / (the batch's prefills + output / tokens_per_step x decode step), the
  /// prompts packed into shared micro-batches. What serving benchmarks report as output
  /// throughput, and what costs are taken per token from.
  double served_tokens_per_s = 0;
  /// One sequence's speed under that load, as serving benchmarks publish it (1 / TPOT): the decode
  /// step plus the other requests' prefills, which the server runs while this one decodes,
  /// (batch - 1) / batch x prefill_round_s spread over the output tokens. decode_tokens_per_s at batch 1.
  double served_decode_tokens_per_s = 0;
  double prefill_round_s = 0;         ///< the packed prefills of `batch` requests' prompts
  double prefill_s = 0;               ///< the prompt of one sequence
  double prefill_tokens_per_s = 0;
  double ttft_s = 0;                  ///< prefill + the first decode step
  double e2e_latency_s = 0;           ///< ttft + the remaining output tokens
  double decode_context = 0;          ///< KV length the decode figures are taken at (mean over the output)
  std::string bound;                  ///< memory, compute or overhead: what dominates the decode step
  std::uint64_t speculative_tokens = 0;  ///< MTP draft tokens per step (--mtp); 0: none
  double draft_s = 0;                 ///< the draft passes' share of decode_step_s
  double tokens_per_step = 1;         ///< expected tokens a decode step yields per sequence
  /// An older build (--build-date): the shares of a current build's speed its era ran at; 1 = current.
  std::string build_date;
  double build_decode_factor = 1;
  double build_prefill_factor = 1;
  double build_moe_layer_seconds = 0;  ///< its era's time per MoE block on GPUs; 0: none applies
  SpeedRange decode_band;             ///< around decode_tokens_per_s (filled by attach_speed_bands)
  SpeedRange prefill_band;            ///< around prefill_tokens_per_s
  /// Around served_decode_tokens_per_s: the decode band's spread (the served speed is decode
  /// steps with prefills between them); the aggregate served_tokens_per_s scales alike.
  SpeedRange served_band;
  std::vector<StageTime> decode_stages;
  std::vector<StageTime> prefill_stages;
};

/// Whether the prompt copies weights kept in RAM to a GPU (and computes them there).
[[nodiscard]] bool copies_weights_in_ram(const Throughput& t);

/// Decode and prefill time on a placed model. Formulas and the measurements behind each factor:
/// docs/methodology.md section 6; comparisons with published runs: docs/validation.md.
[[nodiscard]] Throughput estimate_throughput(const ResolvedScenario& scenario, const MemoryEstimate& memory,
                                             const Layout& layout, const Hardware& hardware,
                                             const ThroughputRequest& request, Derivation* explain = nullptr);

/// The class a run's speeds are checked against: "<engine>/<family>/<model kind>", family one of
/// gddr, hbm, apple (all blocks on such GPUs), cpu (no GPU), hybrid (some weights in RAM); model
/// kind dense or moe-671b.
[[nodiscard]] std::string speed_class(const ResolvedScenario& scenario, const Layout& layout);

/// Published / predicted ratio range applied where a class has no band: 0.5x to 2x.
inline constexpr double k_uncalibrated_low = 0.5;
inline constexpr double k_uncalibrated_high = 2.0;

/// Fills decode_band and prefill_band from the catalog's speed bands (data/speed_bands.json).
void attach_speed_bands(const Catalog& catalog, const ResolvedScenario& scenario, const Layout& layout,
                        Throughput& throughput, Derivation* explain = nullptr);

/// Expected fraction of a layer's routed experts a batch of `tokens` touches, each token choosing
/// k of n uniformly: 1 - (1 - k/n)^tokens.
[[nodiscard]] double experts_touched_fraction(std::uint64_t k, std::uint64_t n, std::uint64_t tokens);

/// Tokens a speculative step yields with `drafts` MTP drafts: 1 + c_1 + c_1 c_2 + ... + c_1...c_k,
/// c_i the rate draft i is accepted once drafts 1..i-1 were (`conditional`, per position; the
/// last value stands for later positions).
[[nodiscard]] double mtp_tokens_per_step(const std::vector<double>& conditional, std::uint64_t drafts);

/// The acceptance rates `drafts` drafts use, in words: "0.85" or "0.70, 0.41, 0.41 by position",
/// and whether a later position borrows the last published rate (an upper bound).
[[nodiscard]] std::string mtp_acceptance_words(const std::vector<double>& conditional, std::uint64_t drafts);

}  // namespace dsplan
