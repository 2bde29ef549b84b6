// Command-line options shared by estimate, check, compare and recommend: the scenario, the
// hardware, the layout and the cost flags, and their conversion to library requests.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "dsplan/serving/plan.hpp"

namespace dsplan::cli {

class Context;

struct HardwareOptions {
  std::string gpu, count, gpus, vram, bandwidth, ram, cpu, sockets, threads, ram_bandwidth, nodes, link_bandwidth, pcie;
  std::string gpu_memory;  ///< --gpu-memory: each named card's memory, replacing the catalog's
  std::string gpu_usable;  ///< --gpu-usable: what of it the runtime may use, replacing the catalog's share
  bool detect = false;    ///< --detect: GPUs, RAM and CPU from this machine (cli/detect.hpp)
  bool use_free = false;  ///< --use-free: with --detect, free GPU memory and available RAM
  std::optional<HardwareRequest> detected;  ///< filled by resolve_detection before to_hardware
};

struct EstimateOptions {
  std::string model, quant, engine, kv_type, ubatch, mla_cache;
  std::string model_file;  ///< --model-file: a GGUF / safetensors file, directory, URL or hf: reference
  std::string context;     ///< empty: 4,096 tokens, or the model's window when that is shorter
  std::string batch;  ///< empty: 1 sequence (and --users may plan the batch)
  bool legacy_mla_gguf = false;
  std::string imatrix;  ///< --imatrix on|off: the GGUF recipe's importance matrix
  std::string build_date;
  std::string mtp;  ///< --mtp N: speculative draft tokens per step with the model's MTP module
  bool no_flash_attn = false;
  bool no_mmap = false;
  bool no_op_offload = false;
  HardwareOptions hw;
  // Layout.
  std::string gpu_layers, tp, pp, gpu_memory_utilization;
  bool offload_experts = false;
  bool dp_attention = false;
  std::string n_cpu_moe;
  std::string tensor_split;  ///< llama.cpp -ts: "3,1" or "3/1"
  // Throughput, cost, capacity.
  std::string prompt, output, price, purchase_price, host_price, tokens_per_day, kwh_price, pue, years, maintenance, users,
      target_tps;
  std::string headroom;  ///< share of each device left free where dsplan chooses the split
};

/// --gpu/--count/--gpus/--vram/--ram/--cpu and bandwidth overrides.
void add_hardware_options(CLI::App* sub, HardwareOptions& o);
/// nullopt when no hardware flag is given. With --detect, the detected request (resolve_detection
/// first), with --ram, --cpu and the bandwidth flags applied over it. `--count auto` sets count_auto. `--gpus N` (a bare
/// number) counts --vram cards or --gpu cards; `--gpus 2xrtx3090,rtx4090` lists mixed cards.
[[nodiscard]] std::optional<HardwareRequest> to_hardware(const HardwareOptions& o, bool& count_auto);

/// The largest tokens/s a speed limit or target takes (--min-tps, --target-tps): far past any
/// decode speed, one bound for every command.
inline constexpr double k_max_tokens_per_s_limit = 1e6;

/// Which groups of `estimate` options a command takes: compare sets the format per cell and
/// prints neither cost nor capacity, so it offers no --quant, cost or --users flags.
struct EstimateOptionSet {
  bool quant = true;
  bool cost = true;
  bool capacity = true;
};

/// Every `estimate` option but the model: scenario, hardware, layout, throughput, cost, capacity.
void add_estimate_options(CLI::App* sub, EstimateOptions& o, EstimateOptionSet set = {});
[[nodiscard]] PlanRequest to_plan_request(const EstimateOptions& o, bool explain);
/// The plan estimate and check print: run_plan, or with `--context max` the largest context that
/// fits (`--kv-type auto` then also tries the engine's smaller cache types).
[[nodiscard]] PlanResult plan_from_options(const Catalog& catalog, const EstimateOptions& o, bool explain);

/// Cost flags alone (recommend prices rented or owned hardware with them).
void add_cost_flags(CLI::App* sub, EstimateOptions& o);

/// --context asks for the largest context that fits: "max" in any case ("MAX", "Max").
[[nodiscard]] bool asks_context_max(const std::string& text);

/// Owning-cost flags with no price to apply them to (a %vram% card has none) change no figure:
/// a warning says so rather than print the same output as without them. `subject`: "the pick has".
void warn_if_cost_flags_unused(const EstimateOptions& o, std::string_view subject, Context& ctx);
[[nodiscard]] CostRequest to_cost_request(const EstimateOptions& o);

/// Values of a repeatable, comma-separated option: {"a,b", "c"} -> {"a", "b", "c"}; an empty item
/// ("a,,b", "a,") names nothing and is an InputError naming `flag`.
[[nodiscard]] std::vector<std::string> split_commas(const std::vector<std::string>& values, std::string_view flag);

/// Optional parsed values: empty text = not given.
[[nodiscard]] std::optional<double> optional_number(const std::string& text, const char* flag, double min, double max);
[[nodiscard]] std::optional<std::uint64_t> optional_integer(const std::string& text, const char* flag, std::uint64_t min,
                                                            std::uint64_t max);

}  // namespace dsplan::cli
