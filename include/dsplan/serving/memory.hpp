// MemoryEstimate estimate_memory(catalog, scenario): weights per role, KV, buffers, overhead, disk, RAM.
#pragma once

#include "dsplan/catalog/catalog.hpp"
#include "dsplan/serving/explain.hpp"
#include "dsplan/model/kv_cache.hpp"
#include "dsplan/model/quant.hpp"
#include "dsplan/model/tensors.hpp"
#include "dsplan/serving/runtime.hpp"
#include "dsplan/scenario/scenario.hpp"
#include "dsplan/base/units.hpp"

namespace dsplan {

/// Memory to run one copy of the model for a scenario, on one device with room for everything.
struct MemoryEstimate {
  ParamCount params_total;                  ///< main model (MTP apart)
  ParamCount params_active;                 ///< per token, embedding lookup not counted
  ParamCount params_active_with_embedding;
  ParamCount params_mtp;
  QuantizedModel weights;                   ///< every stored tensor, its type and bytes
  Bytes weights_loaded;                     ///< what the engine holds (the MTP block is not loaded)
  Bytes weights_derived;                    ///< of which tensors it computes at load (serving/derived_weights.hpp)
  KvCacheSize kv;
  RuntimeMemory runtime;
  Bytes total;                              ///< weights_loaded + kv + compute buffer + overhead
  Bytes download;                           ///< the weight file(s) on disk
  Bytes cpu_ram;                            ///< system RAM to run on the CPU alone (no device overhead)
  Derivation derivation;                    ///< filled when asked
};

[[nodiscard]] MemoryEstimate estimate_memory(const Catalog& catalog, const ResolvedScenario& scenario,
                                             bool explain = false);

/// What a model in a format weighs, whatever the engine and workload: its counts and stored
/// tensors. Computed once per (model, format, file layout); recommend reuses it across engines.
struct ModelWeights {
  ParamCount params_total;
  ParamCount params_active;
  ParamCount params_active_with_embedding;
  ParamCount params_mtp;
  QuantizedModel weights;
  Bytes download;
};

[[nodiscard]] ModelWeights estimate_weights(const Catalog& catalog, const ResolvedScenario& scenario);
/// The same from the model's inventory (build_inventory(scenario.model->arch)), when the caller keeps it.
[[nodiscard]] ModelWeights estimate_weights(const Catalog& catalog, const ResolvedScenario& scenario,
                                            const TensorInventory& inventory);

/// estimate_memory with the weights already computed for the scenario's model, format and layout.
[[nodiscard]] MemoryEstimate estimate_memory(const Catalog& catalog, const ResolvedScenario& scenario,
                                             const ModelWeights& weights, bool explain = false);

/// Bytes of file metadata around the tensor data: GGUF header, key-values (tokenizer) and tensor
/// infos, or the safetensors JSON header. See docs/methodology.md.
[[nodiscard]] Bytes file_metadata_bytes(const ModelSpec& model, const QuantizedModel& weights);

}  // namespace dsplan
