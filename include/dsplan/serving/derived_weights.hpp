// Tensors an engine derives from a file's weights at load and holds beside them.
#pragma once

#include <vector>

#include "dsplan/base/units.hpp"
#include "dsplan/catalog/catalog.hpp"
#include "dsplan/model/quant.hpp"
#include "dsplan/scenario/scenario.hpp"

namespace dsplan {

/// Bytes per main block of the MLA up-projections ik_llama.cpp computes when it loads a DeepSeek
/// GGUF (llm_prepare_mla): from attn_kv_b whole, wk_b and wv_b for any -mla but 0; from
/// attn_k_b and attn_v_b, attn_kv_b again for -mla 2 and 3. The file's own tensors stay loaded.
/// Empty when the engine derives none, the file has no MLA projections, or the cache is expanded.
[[nodiscard]] std::vector<Bytes> derived_block_bytes(const Catalog& catalog, const ResolvedScenario& scenario,
                                                     const QuantizedModel& weights);

}  // namespace dsplan
