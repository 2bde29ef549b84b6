// Context search (--context max) and sweep (--sweep context): run_plan at many contexts.
#include "dsplan/serving/context_search.hpp"

#include <algorithm>

#include "dsplan/base/error.hpp"
#include "dsplan/serving/layout.hpp"

namespace dsplan {

namespace {

/// The base request at `context` tokens with cache type `kv_type` ("" = as asked), reduced to
/// what decides the fit: no capacity search, no derivation, the default prompt split. The layout
/// dsplan chooses leaves the search's headroom where it can (layers or experts moved to RAM).
PlanRequest at(const PlanRequest& base, std::uint64_t context, const std::string& kv_type, double headroom) {
  PlanRequest r = base;
  r.layout.headroom = headroom;
  r.scenario.context = context;
  if (!kv_type.empty()) r.scenario.kv_type = kv_type;
  r.prompt_tokens.reset();
  r.output_tokens.reset();
  r.users.reset();
  r.target_tokens_per_s.reset();
  r.explain = false;
  r.suggest_count = false;
  return r;
}

/// What binds at a context that does not fit: the device filled the most, or RAM never given.
std::string binding_device(const PlanResult& p) {
  const Layout& l = *p.layout;
  if (l.fits && p.needs_ram) return "system RAM (not given: %ram%)";
  const DevicePlacement* worst = nullptr;
  double worst_share = -1;
  const auto consider = [&](const DevicePlacement& d) {
    if (d.capacity.count() == 0 || d.total.count() == 0) return;
    const double share = static_cast<double>(d.total.count()) / static_cast<double>(d.capacity.count());
    if (share > worst_share) {
      worst_share = share;
      worst = &d;
    }
  };
  for (const auto& g : l.gpus) consider(g);
  consider(l.cpu);
  if (worst) return worst->name;
  return l.reasons.empty() ? std::string("memory") : l.reasons.front();
}

struct Best {
  std::uint64_t context = 0;  ///< 0: not even one step fits
  std::string kv_type;
};

/// Every block and the output layer on GPUs: nothing of the model's layers in system RAM but,
/// where the layout keeps them there, routed experts.
bool blocks_on_gpus(const PlanResult& p) {
  if (!p.layout) return false;
  const Layout& l = *p.layout;
  const std::uint64_t blocks = p.memory.weights.block_bytes.size();
  if (l.strategy == LayoutStrategy::expert_offload) return l.gpu_layers >= blocks + 1 && l.cpu.layers == 0;
  return !keeps_layers_in_ram(l, blocks);
}

/// The largest multiple of k_context_step (or the window itself) that fits with one cache type
/// (with gpu_only, with every block on the GPUs as well).
std::uint64_t largest_fit(const Catalog& cat, const ContextSearchRequest& r, const std::string& kv, std::uint64_t limit,
                          bool gpu_only = false) {
  const auto fits = [&](std::uint64_t context) {
    const PlanResult p = run_plan(cat, at(r.base, context, kv, r.headroom));
    return fits_with_headroom(p, r.headroom) && (!gpu_only || blocks_on_gpus(p));
  };
  if (fits(limit)) return limit;
  // In steps: lo fits (0 = none yet), hi does not (the window, rounded up).
  std::uint64_t lo = 0;
  std::uint64_t hi = (limit + k_context_step - 1) / k_context_step;
  while (hi - lo > 1) {
    const std::uint64_t mid = lo + (hi - lo) / 2;
    (fits(mid * k_context_step) ? lo : hi) = mid;
  }
  return lo * k_context_step;
}

/// The cache types to try: as asked, or with kv_auto the engine's default, then q8_0, then the
/// smaller of q4_0 and fp8 that the engine offers (f16 -> q8_0 -> q4_0 for llama.cpp and Ollama,
/// bf16 -> fp8 for vLLM and SGLang).
std::vector<std::string> kv_candidates(const Catalog& cat, const ContextSearchRequest& r) {
  if (!r.kv_auto) return {r.base.scenario.kv_type};
  Scenario s = scenario_on_hardware(cat, r.base);
  s.kv_type.clear();
  const ResolvedScenario resolved = resolve_scenario(cat, s);
  std::vector<std::string> out{resolved.kv_type->id};
  for (const char* id : {"q8_0", "q4_0", "fp8_e4m3"}) {
    const auto& offered = resolved.engine->kv_cache_types;
    if (std::find(offered.begin(), offered.end(), id) != offered.end() && id != out.front()) out.emplace_back(id);
  }
  return out;
}

}  // namespace

bool fits_with_headroom(const PlanResult& p, double headroom) {
  return p.layout && p.fits && leaves_headroom(*p.layout, p.scenario.engine->parallelism, headroom);
}

PlanResult find_max_context(const Catalog& cat, const ContextSearchRequest& request) {
  ContextSearchRequest r = request;
  r.base.layout.fit_margin = Bytes(0);  // the search's headroom replaces a fixed margin
  if (!r.base.hardware) throw InputError("%context% max needs hardware to fit: %gpu%, %gpus%, %vram% or %ram%");
  if (r.base.count_auto) throw InputError("%context% max needs a fixed count: %count% auto sizes for a given context");
  const std::uint64_t limit = cat.require_model(r.base.scenario.model).arch.max_context;
  Best best;
  bool first = true;
  for (const auto& kv : kv_candidates(cat, r)) {
    std::uint64_t context = 0;
    try {
      context = largest_fit(cat, r, kv, limit);
    } catch (const InputError&) {
      if (first) throw;  // the cache type as asked: its error is the user's to see
      continue;          // a smaller type this setup cannot take (quantized V without flash attention)
    }
    if (first || context > best.context) best = {context, kv};
    first = false;
    if (context == limit) break;
  }
  PlanRequest final_request = r.base;
  final_request.layout.headroom = r.headroom;
  final_request.scenario.context = std::max(best.context, k_context_step);
  if (!best.kv_type.empty()) final_request.scenario.kv_type = best.kv_type;
  PlanResult plan = run_plan(cat, final_request);
  ContextSearch search;
  search.limit = limit;
  search.kv_type = plan.scenario.kv_type->id;
  search.found = best.context > 0;
  // The plan is shown at 256 tokens, which did not leave the headroom: not a plan that fits.
  if (!search.found) plan.fits = false;
  if (!search.found && r.headroom > 0 &&
      fits_with_headroom(run_plan(cat, at(r.base, k_context_step, best.kv_type, 0.0)), 0.0))
    search.headroom_rules_out = r.headroom;
  if (plan.layout && !plan.layout->unsupported.empty()) {
    search.limited_by = "unsupported";  // no context runs: the engine cannot run the model on these GPUs
  } else if (best.context == limit) {
    search.limited_by = "model";
  } else {
    const std::uint64_t next = std::min(limit, best.context + k_context_step);
    search.limited_by = binding_device(run_plan(cat, at(r.base, next, best.kv_type, r.headroom)));
  }
  // Layers moved to RAM for more context run many times slower: say how far the GPUs alone go
  // (experts a MoE layout keeps in RAM aside, which are its layout at any context).
  const bool split = plan.layout && (plan.layout->strategy == LayoutStrategy::layer_split ||
                                     plan.layout->strategy == LayoutStrategy::expert_offload);
  if (search.found && split && !blocks_on_gpus(plan)) {
    search.gpu_only_context = largest_fit(cat, r, best.kv_type, limit, true);
    if (search.gpu_only_context > 0) {
      const PlanResult there = run_plan(cat, at(r.base, search.gpu_only_context, best.kv_type, r.headroom));
      if (there.throughput) search.gpu_only_decode_tokens_per_s = there.throughput->decode_tokens_per_s;
    }
  }
  plan.context_search = search;
  return plan;
}

std::vector<ContextPoint> sweep_context(const Catalog& cat, const PlanRequest& base) {
  if (base.count_auto) throw InputError("%sweep% context needs a fixed count: %count% auto sizes for a given context");
  const std::uint64_t limit = cat.require_model(base.scenario.model).arch.max_context;
  std::vector<ContextPoint> out;
  for (std::uint64_t c = 1024; c < limit; c *= 2)
    out.push_back({c, run_plan(cat, at(base, c, "", base.layout.headroom))});
  out.push_back({limit, run_plan(cat, at(base, limit, "", base.layout.headroom))});
  return out;
}

}  // namespace dsplan
