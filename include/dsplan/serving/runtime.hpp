// Runtime memory beyond weights and KV: per-engine compute/activation buffers and fixed overhead.
#pragma once

#include <cstdint>
#include <string>

#include "dsplan/catalog/catalog.hpp"
#include "dsplan/serving/explain.hpp"
#include "dsplan/model/kv_cache.hpp"
#include "dsplan/base/units.hpp"

namespace dsplan {

struct RuntimeRequest {
  std::uint64_t ubatch = 512;     ///< tokens per forward pass (llama.cpp n_ubatch; vLLM max_num_batched_tokens)
  std::uint64_t sequences = 1;    ///< concurrent sequences
  bool flash_attention = true;
  std::uint64_t tensor_parallel = 1;  ///< ranks sharing each layer's matrices (PyTorch engines)
};

struct RuntimeMemory {
  Bytes compute_buffer;  ///< activations / compute graph at the worst-case step, one device holding all
  Bytes output_buffer;   ///< of which the output-logits part (on the device holding the output head)
  Bytes layer_buffer;    ///< of which the per-layer part every device running layers keeps
  Bytes overhead;        ///< CUDA context, library workspaces, allocator slack (per device)
};

/// Compute buffer and overhead of `engine` for one full copy of the model on one device.
/// Formulas and the measurements they were checked on: docs/methodology.md, docs/validation.md.
[[nodiscard]] RuntimeMemory estimate_runtime(const ModelArch& arch, const EngineSpec& engine, const KvCacheSize& kv,
                                             const RuntimeRequest& request, Derivation* explain = nullptr);

}  // namespace dsplan
