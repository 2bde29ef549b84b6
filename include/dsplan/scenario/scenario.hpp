// Scenario: what the user asks about (model, quant, engine, context, batch, KV type), validated, defaults resolved.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dsplan/catalog/catalog.hpp"
#include "dsplan/model/kv_cache.hpp"
#include "dsplan/model/quant.hpp"

namespace dsplan {

/// Whether a format exists for the model: formats tied to published files (unsloth's dynamic
/// quants) list their models.
[[nodiscard]] bool quant_holds_model(const QuantFormat& quant, const ModelSpec& model);

/// Largest context dsplan accepts (tokens per sequence): 16M, far past any model's window.
inline constexpr std::uint64_t k_max_context = 16ULL * 1024 * 1024;
/// Largest number of concurrent sequences dsplan accepts.
inline constexpr std::uint64_t k_max_batch = 1'000'000;
/// Context when none is given (tokens per sequence).
inline constexpr std::uint64_t k_default_context = 4096;

/// The request as the user wrote it. Empty strings and zeros mean "use the default".
struct Scenario {
  std::string model;
  std::string quant;     ///< default: the model's native dtype, or the engine's GGUF default
  std::string engine;    ///< default: the first engine the quant format lists
  std::uint64_t context = k_default_context;
  bool context_is_default = false;  ///< not given: the model's window when that is shorter
  std::uint64_t batch = 1;
  std::string kv_type;   ///< default: the engine's
  bool legacy_mla_gguf = false;
  std::optional<bool> imatrix;  ///< the GGUF's recipe: with an importance matrix; default: the format's
  std::uint64_t ubatch = 0;  ///< tokens per forward pass (llama.cpp n_ubatch); 0 = engine default
  std::optional<bool> flash_attention;  ///< default: the engine's
  bool no_mmap = false;                 ///< llama.cpp --no-mmap: the weights kept in RAM are read into pinned memory
  bool no_op_offload = false;  ///< llama.cpp --no-op-offload: the CPU computes the prompt's work on weights in RAM
  MlaCacheOverride mla_cache = MlaCacheOverride::engine;
  /// Speculative decoding with the model's multi-token-prediction module: draft tokens per step
  /// (vLLM's deepseek_mtp, SGLang's EAGLE/NEXTN); 0 = off.
  std::uint64_t speculative_tokens = 0;
  /// The engine build the speeds describe, "YYYY-MM" or "YYYY-MM-DD"; empty = current builds.
  std::string build_date;
  /// Layer-split layout options were given (llama.cpp's -ngl, -ot exps=CPU, --n-cpu-moe): without
  /// an engine, the first layer-split GGUF engine (llama.cpp) that loads the format is the default.
  bool layer_split_options = false;
  /// The hardware has no GPU a tensor-parallel engine runs on (none, or only Apple's): without an
  /// engine, the first layer-split GGUF engine that loads the format is the default, as above.
  /// Set by run_plan from the hardware.
  bool no_tensor_parallel_gpus = false;
  /// A GPU of the hardware without BF16 (its name; empty: none): an engine that runs the model's
  /// activation dtype runs a BF16 model in FP16 there. Set by run_plan from the hardware.
  std::string gpu_without_bf16;
};

/// The scenario with every default applied and every name looked up.
struct ResolvedScenario {
  const ModelSpec* model = nullptr;
  const QuantFormat* quant = nullptr;
  const EngineSpec* engine = nullptr;
  const BlockType* kv_type = nullptr;
  FileLayout layout;
  std::uint64_t context = k_default_context;
  std::uint64_t batch = 1;
  std::uint64_t ubatch = 512;
  bool flash_attention = true;
  bool mmap = true;  ///< false: --no-mmap (checked: the engine offers it)
  bool op_offload = true;  ///< false: --no-op-offload (checked: the engine offers it)
  bool legacy_mla_gguf = false;
  MlaCacheOverride mla_cache = MlaCacheOverride::engine;
  std::uint64_t speculative_tokens = 0;  ///< MTP draft tokens per step (checked: model, engine)
  /// The engine runs the BF16 model in FP16 (vLLM's --dtype half): the GPUs have no BF16.
  bool half_precision = false;
  std::string build_date;                ///< "YYYY-MM-DD" of an older build the speeds describe; empty = current
  std::vector<std::string> defaults_applied;  ///< human-readable, e.g. "quant: bf16 (native)"
};

/// Looks up names (InputError with suggestions when unknown), checks ranges and combinations
/// (an engine that cannot load the format, a context past the model's window, a KV type the
/// engine does not offer) and applies documented defaults.
[[nodiscard]] ResolvedScenario resolve_scenario(const Catalog& catalog, const Scenario& scenario);

/// "engine 'vllm' cannot load quant 'q4_k_m' (gguf); engines that can: ...": estimate's and
/// recommend's words when no named engine loads a named format.
[[nodiscard]] std::string cannot_load_text(const std::vector<std::string>& engines, const QuantFormat& quant);

}  // namespace dsplan
