// Plan: one call from a request to memory, layout, throughput, cost and capacity (what `estimate` prints).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dsplan/cost/cost.hpp"
#include "dsplan/scenario/hardware.hpp"
#include "dsplan/serving/layout.hpp"
#include "dsplan/serving/memory.hpp"
#include "dsplan/serving/performance.hpp"
#include "dsplan/scenario/scenario.hpp"

namespace dsplan {

/// What evaluate_placement measures on a placement besides the layout.
struct PlacementRequest {
  LayoutRequest layout;
  ThroughputRequest throughput;
  std::optional<CostRequest> cost = CostRequest{};  ///< nullopt: not priced (capacity needs speeds only)
  /// Share of each device to leave free: a layer-split placement that leaves less does not fit.
  /// Paged engines (vLLM, SGLang) already claim only gpu_memory_utilization of each card.
  std::optional<double> headroom;
  /// Time and price a layout that fits only on RAM that was not given or past the headroom (what
  /// `estimate` shows); false: stop at the verdict (a search that rejects such placements anyway).
  bool measure_unfit = true;
  /// Published speed ranges around the figures (estimate shows them); a search that only compares
  /// the figures skips the lookups.
  bool speed_bands = true;
  /// plan_layout's layout for this scenario, hardware and layout request, when the caller already
  /// has it (a search that found the GPU count by placing); planned here when null.
  const Layout* planned = nullptr;
};

/// Engine settings a scenario placed on hardware runs with beyond its layout: what its launch
/// command must carry, the same for estimate's plan and recommend's candidates.
struct LaunchSettings {
  std::string kv_type;  ///< cache type id when not the engine's default; "" = default
  bool flash_attention = true;
  bool mmap = true;
  bool op_offload = true;
  std::uint64_t speculative_tokens = 0;  ///< --mtp
  bool half_precision = false;           ///< a BF16 model in FP16 (--dtype half), the GPUs lacking BF16
  std::uint64_t nodes = 1;
  std::uint64_t threads = 0;                     ///< --threads (0: the engine's default)
  std::uint64_t ubatch = 0;                      ///< tokens per forward pass when not the engine's default
  std::optional<double> gpu_memory_utilization;  ///< vLLM/SGLang share of each card, for a tensor-parallel layout
};

/// A scenario placed on hardware: where it goes, whether it fits, and when it runs, how fast and
/// at what cost. The one pipeline estimate, check, compare and recommend share.
struct Evaluation {
  Layout layout;
  std::uint64_t blocks = 0;               ///< the model's transformer blocks (gpu_layers counts them + the output layer)
  std::optional<Bytes> needs_ram;         ///< system RAM the layout needs that was not given (see PlanResult)
  /// Largest share of a device's usable memory used, once the layout fits without RAM it was not given.
  std::optional<double> fullest_device;
  bool over_headroom = false;             ///< fits, but leaves less than the requested headroom
  bool fits = false;                      ///< the layout fits, needs no RAM beyond what was given, leaves the headroom
  std::optional<Throughput> throughput;   ///< when it fits (with measure_unfit: whenever the layout fits)
  std::optional<CostEstimate> cost;       ///< with the throughput, when a cost was requested
  LaunchSettings launch;                  ///< what a launch command of this placement carries
};

/// Places a resolved scenario on the hardware, then times and prices the placement. `explain`
/// receives the throughput and speed-range derivations.
[[nodiscard]] Evaluation evaluate_placement(const Catalog& catalog, const ResolvedScenario& scenario,
                                            const MemoryEstimate& memory, const Hardware& hardware,
                                            const PlacementRequest& request, Derivation* explain = nullptr);

struct PlanRequest {
  Scenario scenario;
  std::optional<HardwareRequest> hardware;  ///< without hardware: memory only
  bool count_auto = false;                  ///< find the smallest count of hardware.gpus[0]
  std::uint64_t max_count = 64;
  LayoutRequest layout;
  std::optional<std::uint64_t> prompt_tokens;  ///< default: half the context
  std::optional<std::uint64_t> output_tokens;  ///< default: the rest of the context
  CostRequest cost;
  std::optional<std::uint64_t> users;       ///< capacity planning: concurrent users ...
  std::optional<double> target_tokens_per_s;  ///< ... each served at least this fast
  bool explain = false;
  /// When one GPU type at a fixed count does not hold it: note the smallest count that does
  /// (searches placements; off for the many plans of a context search).
  bool suggest_count = true;
};

/// Replicas of the deployment needed to serve `users` at `target` tokens/s each.
struct CapacityPlan {
  std::uint64_t users = 0;
  double target_tokens_per_s = 0;
  bool replica_fits = true;                 ///< false: one replica does not fit the hardware, so nothing was planned
  std::uint64_t sequences_per_replica = 0;  ///< largest batch that fits and stays above the target
  double tokens_per_s_at_that_batch = 0;    ///< per user, the other users' prefills interleaved
  std::uint64_t replicas = 0;
  std::uint64_t gpus = 0;
  std::optional<double> cloud_usd_per_hour;
  std::optional<double> cloud_usd_per_month;
  /// The rented replicas' cost per million output tokens, serving every user at its speed around the clock.
  std::optional<double> cloud_usd_per_million_tokens;
};

/// How `--context max` found the context: the largest that fits with the headroom.
struct ContextSearch {
  std::uint64_t limit = 0;      ///< the model's window (max_position_embeddings)
  std::string kv_type;          ///< the cache type the answer uses
  /// "model" (the window), a device name, "system RAM (not given: --ram)", or "unsupported" (the
  /// engine cannot run the model on this hardware at any context: layout.unsupported says why)
  std::string limited_by;
  bool found = false;           ///< some context fits; false: even the smallest step does not
  /// Not found, though the smallest step fits once the search's headroom is not kept free: the
  /// headroom (the share of each device the search leaves free) is what rules it out.
  std::optional<double> headroom_rules_out;
  /// When the answer keeps blocks in system RAM: the largest context with every block on the GPUs,
  /// and its decode speed (0 / unset: none fits there).
  std::uint64_t gpu_only_context = 0;
  std::optional<double> gpu_only_decode_tokens_per_s;
};

struct PlanResult {
  ResolvedScenario scenario;
  MemoryEstimate memory;
  std::optional<Hardware> hardware;
  std::optional<std::uint64_t> auto_count;  ///< what --count auto chose
  /// --count auto found no count that holds the scenario: the largest it tried, which is planned.
  std::optional<std::uint64_t> auto_count_none_up_to;
  std::optional<Layout> layout;
  /// System RAM the layout needs that --ram did not give: blocks, routed experts or the output
  /// layer sit in RAM and no RAM size was given. dsplan does not assume RAM it was not told about,
  /// so the plan then does not fit (`fits` false), though the layout and its speed are shown.
  std::optional<Bytes> needs_ram;
  bool fits = false;  ///< the layout fits and needs no RAM beyond what was given
  LaunchSettings launch;  ///< with a layout: what its launch command carries
  std::optional<ThroughputRequest> throughput_request;
  std::optional<Throughput> throughput;
  std::optional<CostEstimate> cost;
  std::optional<CapacityPlan> capacity;
  std::vector<std::string> notes;
  /// Of the notes: the settings that would make a prompt with weights in RAM much faster, a larger
  /// micro-batch or pinned memory (`check` repeats them when a limit fails).
  std::vector<std::string> prompt_speedups;
  std::optional<ContextSearch> context_search;  ///< set by find_max_context
};

[[nodiscard]] PlanResult run_plan(const Catalog& catalog, const PlanRequest& request);

/// The launch line downloads the model's published GGUF (its gguf_repo, not a publisher's own mix
/// or the user's file), those files keep attn_kv_b whole (gguf_repo legacy_mla) and the engine
/// caches per-head K and V with such a file: not the latent cache planned for a file converted since.
[[nodiscard]] bool published_gguf_expands_mla(const ModelSpec& model, const QuantFormat& quant,
                                              const EngineSpec& engine);

/// The request's scenario with what its hardware implies for the defaults (no GPU that vLLM or
/// SGLang runs on: a layer-split engine by default). Every plan of the request resolves this one.
[[nodiscard]] Scenario scenario_on_hardware(const Catalog& catalog, const PlanRequest& request);

}  // namespace dsplan
