// Layout: which device holds which layers, experts or shards; per-device bytes and a verdict.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dsplan/scenario/hardware.hpp"
#include "dsplan/serving/memory.hpp"
#include "dsplan/scenario/scenario.hpp"

namespace dsplan {

/// Default share of each device left free (recommend, --context max, train --count auto): desktop
/// sessions, allocator fragmentation and engine versions vary; llama.cpp's own automatic fit leaves
/// 1 GiB per device (docs/decisions.md).
inline constexpr double k_default_headroom = 0.05;
/// llama.cpp's --fit-target default (1024 MiB per device; PR #16653, common/arg.cpp).
inline constexpr Bytes k_llama_fit_margin{std::uint64_t{1} << 30};

enum class LayoutStrategy {
  layer_split,      ///< llama.cpp / Ollama / Transformers: whole layers per device, the rest on the CPU
  expert_offload,   ///< layer split with every routed-expert tensor in system RAM (-ot exps=CPU)
  tensor_parallel,  ///< vLLM / SGLang: every layer sharded over TP ranks, layers over PP stages
  cpu_only,         ///< no GPU holds a layer
};

[[nodiscard]] std::string_view strategy_name(LayoutStrategy s);

/// What one device (a GPU rank or the host) holds.
struct DevicePlacement {
  std::string name;
  std::string id;
  DeviceClass device_class = DeviceClass::gddr;
  std::string_view software_stack;  ///< Device::software_stack ("rocm"; empty for CUDA, Metal, CPU)
  std::uint64_t first_layer = 0;  ///< blocks [first_layer, first_layer + layers)
  std::uint64_t layers = 0;
  bool output_head = false;       ///< holds the output projection (and computes the logits)
  bool embedding = false;         ///< holds token_embd
  bool routed_experts = false;    ///< holds the routed experts of the layers placed elsewhere (offload)
  std::uint64_t stage = 0;        ///< pipeline stage (tensor parallel)
  Bytes weights;
  Bytes kv_cache;
  Bytes compute_buffer;
  Bytes overhead;
  Bytes total;
  Bytes capacity;                 ///< memory the runtime may use (0 for a host without --ram)
  bool fits = true;
};

struct Layout {
  LayoutStrategy strategy = LayoutStrategy::layer_split;
  std::uint64_t tensor_parallel = 1;
  std::uint64_t pipeline_parallel = 1;
  /// Data-parallel attention ranks (--dp-attention: one per TP rank, each caching its own
  /// sequences); 1 without it.
  std::uint64_t attention_data_parallel = 1;
  std::uint64_t gpu_layers = 0;             ///< llama.cpp -ngl: blocks on GPUs (+1 when the output head is)
  /// expert_offload: blocks [0, n) keep their routed experts in system RAM (all blocks with
  /// --offload-experts; the first N with --n-cpu-moe N); 0 otherwise.
  std::uint64_t experts_in_ram_blocks = 0;
  std::vector<DevicePlacement> gpus;        ///< every GPU of every node
  DevicePlacement cpu;                      ///< system RAM
  bool fits = false;
  /// Why this engine cannot run the model on these GPUs at all, memory aside (kernels that do
  /// not exist for their architecture, a tensor-parallel split that does not divide a width);
  /// empty when it can. Set, `fits` is false and the reason is also first in `reasons`.
  std::string unsupported;
  std::vector<std::string> reasons;         ///< why it does not fit, or what to watch
  // Paged engines (vLLM, SGLang): the KV pool per GPU and what it holds.
  Bytes kv_pool_per_gpu;
  std::uint64_t kv_pool_tokens = 0;         ///< tokens the pool holds (per replica)
  std::uint64_t max_sequences = 0;          ///< sequences of --context tokens that fit at once
};

struct LayoutRequest {
  std::optional<std::uint64_t> gpu_layers;  ///< llama.cpp -ngl; default: as many as fit
  bool offload_experts = false;             ///< keep routed experts in system RAM
  std::optional<std::uint64_t> n_cpu_moe;   ///< llama.cpp --n-cpu-moe: the first N blocks' routed experts in RAM
  bool n_cpu_moe_auto = false;              ///< the fewest such N that lets every block sit on the GPUs
  /// llama.cpp -ts: each GPU's share of the layers on GPUs, in --gpus order (missing ones 0);
  /// empty: in proportion to free memory, llama.cpp's default.
  std::vector<double> tensor_split;
  std::optional<std::uint64_t> tensor_parallel;
  std::optional<std::uint64_t> pipeline_parallel;
  std::optional<double> gpu_memory_utilization;
  bool dp_attention = false;  ///< vLLM/SGLang data-parallel attention over the TP ranks
  /// Share of each GPU to leave free where dsplan chooses the split itself (how many layers go to
  /// the GPUs, --n-cpu-moe auto, the -ts of a filled split): --context max's and recommend's
  /// headroom, so that the layout they judge is one that leaves it. 0: fill the GPUs.
  double headroom = 0;
  /// Bytes of each GPU to leave free there besides: llama.cpp's own fitting keeps 1 GiB of each
  /// device (--fit-target, default 1024 MiB; PR #16653), which estimate keeps by default. 0: none.
  Bytes fit_margin;

  bool operator==(const LayoutRequest&) const = default;
};

/// Tensor groups (indexed like k_all_groups) each tensor-parallel rank holds whole: norms and the
/// MoE router always; with data-parallel attention also the engine's dp_attention groups.
[[nodiscard]] std::array<bool, k_group_count> replicated_groups(const EngineSpec& engine, bool dp_attention);

/// Places the model on the hardware the way the scenario's engine does (docs/methodology.md
/// section 5) and says whether it fits.
[[nodiscard]] Layout plan_layout(const Catalog& catalog, const ResolvedScenario& scenario,
                                 const MemoryEstimate& memory, const Hardware& hardware,
                                 const LayoutRequest& request);

/// True when the layout keeps blocks, routed experts or the output layer in system RAM (the
/// token embedding, which llama.cpp always keeps there, does not count). `blocks` = the model's
/// transformer blocks.
[[nodiscard]] bool keeps_layers_in_ram(const Layout& layout, std::uint64_t blocks);

/// Largest share of a device's usable memory the layout fills: every GPU, and the host when it
/// holds layers and its RAM is known. 0 when nothing is placed.
[[nodiscard]] double fullest_device_fraction(const Layout& layout);

/// Whether a layout that fits leaves `headroom` (a fraction) of its fullest device free. A
/// tensor-parallel engine sizes its KV pool to a set share of each GPU, so it always does.
[[nodiscard]] bool leaves_headroom(const Layout& layout, Parallelism parallelism, double headroom);

/// The smallest count of one GPU model that holds a scenario, with the hardware and layout found.
struct FittingCount {
  std::uint64_t count = 0;
  HardwareRequest request;  ///< the asked hardware at that count (nodes split as with_gpu_count does)
  Hardware hardware;
  LayoutRequest layout_request;  ///< what it was placed with
  Layout layout;                 ///< plan_layout's layout on it
};

/// The most GPUs of the request's card a --count auto search tries: `max_count`, and for a layer
/// split (llama.cpp's family, which does not span machines in dsplan) at most one node's
/// gpus_per_node.
[[nodiscard]] std::uint64_t auto_count_limit(const Catalog& catalog, const ResolvedScenario& scenario,
                                             const HardwareRequest& hardware, std::uint64_t max_count);

/// The smallest number of `gpu` (first..auto_count_limit) that holds the scenario; nullopt when
/// none does. Paged engines only use tensor-parallel sizes that divide the model's heads.
[[nodiscard]] std::optional<FittingCount> smallest_fitting_count(
    const Catalog& catalog, const ResolvedScenario& scenario, const MemoryEstimate& memory,
    const HardwareRequest& hardware, const LayoutRequest& request, std::uint64_t max_count, std::uint64_t first = 1);

/// smallest_fitting_count's count alone.
[[nodiscard]] std::optional<std::uint64_t> smallest_gpu_count(const Catalog& catalog, const ResolvedScenario& scenario,
                                                              const MemoryEstimate& memory,
                                                              const HardwareRequest& hardware,
                                                              const LayoutRequest& request, std::uint64_t max_count,
                                                              std::uint64_t first = 1);

}  // namespace dsplan
