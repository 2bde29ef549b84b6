// Launch commands: how to run a recommended candidate or a planned layout with its engine, and
// how to measure it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dsplan/serving/plan.hpp"
#include "dsplan/recommend/recommend.hpp"

namespace dsplan {

/// What a launch command reproduces: the files, the engine and the layout.
struct LaunchSpec {
  const ModelSpec* model = nullptr;
  const QuantFormat* quant = nullptr;
  const EngineSpec* engine = nullptr;
  LayoutStrategy strategy = LayoutStrategy::layer_split;
  std::uint64_t gpus = 0;
  std::uint64_t gpu_layers = 0;                 ///< llama.cpp -ngl (blocks + output layer on GPUs)
  std::uint64_t experts_in_ram_blocks = 0;      ///< expert offload: the first N blocks' routed experts in RAM
  std::uint64_t layers = 0;                     ///< transformer blocks
  /// Blocks a GGUF file holds after the main ones that llama.cpp counts as -ngl slots but does not
  /// load (the MTP block of deepseek32 files): the GPU slots given next to the output layer.
  std::uint64_t skipped_file_blocks = 0;
  std::vector<std::uint64_t> tensor_split;      ///< llama.cpp -ts: layers per GPU; empty = one GPU or as llama.cpp splits
  std::uint64_t tensor_parallel = 1;
  std::uint64_t pipeline_parallel = 1;
  std::uint64_t attention_data_parallel = 1;    ///< data-parallel attention ranks (1: none)
  std::uint64_t context = 0;                    ///< tokens per sequence
  std::uint64_t sequences = 1;                  ///< concurrent sequences (users, --batch)
  std::uint64_t file_bytes = 0;                 ///< the weight file(s) to download (0: not known)
  std::uint64_t prompt_tokens = 0;              ///< for the verification line
  std::uint64_t output_tokens = 0;
  /// Environment that selects the GPUs a recommendation placed on part of the user's runs on
  /// ("CUDA_DEVICE_ORDER=PCI_BUS_ID CUDA_VISIBLE_DEVICES=1"); empty: every GPU the engine sees.
  std::string device_env;
  /// The scenario's engine settings (cache type, flash attention, --mtp, nodes, threads, micro-batch,
  /// the card share): the placement's, as estimate and recommend planned it.
  LaunchSettings settings;
};

struct LaunchCommand {
  std::string command;  ///< starts the engine with the layout
  std::string verify;   ///< measures it (llama-bench, vllm bench serve, ...); "" when the engine has no benchmark tool
  std::string none;     ///< why there is no command (an engine dsplan writes none for); "" when there is one

  /// What a Run: line shows: the command, or why there is none.
  [[nodiscard]] std::string shown() const { return command.empty() ? "(" + none + ")" : command; }
};

/// The command and its verification line. Checkpoints dsplan cannot name (third-party AWQ or GPTQ
/// conversions, a local .gguf for llama-bench) appear as <placeholders>. An engine dsplan has no
/// command for (a user catalog's) gets none, with the reason, never another engine's command.
[[nodiscard]] LaunchCommand launch(const LaunchSpec& spec);

/// The -ngl that asks llama.cpp for every layer (more than any model has).
inline constexpr std::uint64_t k_llama_all_layers = 999;

/// llama.cpp's -ngl as printed for the spec's blocks on GPUs: the file's skipped blocks (V3.2's
/// MTP block) take slots too once the output layer and a block are on GPUs; k_llama_all_layers
/// with routed experts in RAM and every layer on the GPUs.
[[nodiscard]] std::uint64_t llama_gpu_layers(const LaunchSpec& spec);

/// The spec of a planned layout (estimate, check); the plan must have a layout.
[[nodiscard]] LaunchSpec launch_spec(const PlanResult& plan);

/// A recommended candidate's command, for `context` tokens x `users`. `own`: the user's GPUs (none
/// when renting), so a candidate placed on some of them gets the device_env that selects those.
[[nodiscard]] LaunchCommand launch_command(const Candidate& candidate, std::uint64_t context, std::uint64_t users,
                                           const HardwareRequest* own = nullptr);

/// The devices of `own` that `part` (some of its GPU kinds) takes, numbered as `own` lists them,
/// each kind's count in turn; empty when `part` takes them all.
[[nodiscard]] std::vector<std::uint64_t> devices_of_part(const HardwareRequest& own, const HardwareRequest& part);

}  // namespace dsplan
