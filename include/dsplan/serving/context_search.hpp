// Context search: the largest context that fits the hardware (--context max), and memory, fit and
// speed over a range of contexts (--sweep context), both by running the real placer.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "dsplan/serving/plan.hpp"

namespace dsplan {

/// Contexts are searched in steps of this many tokens (llama.cpp pads its cache to 256 cells).
inline constexpr std::uint64_t k_context_step = 256;

struct ContextSearchRequest {
  PlanRequest base;       ///< hardware required; base.scenario.context is ignored
  bool kv_auto = false;   ///< also try the engine's smaller cache types (q8_0, then q4_0 or fp8)
  double headroom = k_default_headroom;  ///< share of every device left free (llama.cpp, Ollama, Transformers)
};

/// The plan at the largest context (a multiple of k_context_step, or the model's window) that fits
/// with the headroom; `context_search` says the window, the cache type and what binds. Binary
/// search over run_plan: memory only grows with the context. When even k_context_step tokens do
/// not fit, the plan at that context (not fitting) with `found` false.
[[nodiscard]] PlanResult find_max_context(const Catalog& catalog, const ContextSearchRequest& request);

/// One row of a context sweep.
struct ContextPoint {
  std::uint64_t context = 0;
  PlanResult plan;
};

/// The plan at every power of two from 1,024 tokens up to the model's window, and the window itself.
[[nodiscard]] std::vector<ContextPoint> sweep_context(const Catalog& catalog, const PlanRequest& base);

/// Whether a plan fits with `headroom` of every device left free. Paged engines (vLLM, SGLang)
/// already claim only their gpu_memory_utilization share of each card, so only `fits` counts there.
[[nodiscard]] bool fits_with_headroom(const PlanResult& plan, double headroom);

}  // namespace dsplan
