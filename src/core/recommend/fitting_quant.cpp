// An estimate that does not fit, or a check that fails a limit: which quant of the same model would
// pass, on the same hardware and workload. It is recommend's search narrowed to one model, with the
// check's limits (or none) as its floor, and each pick run again as its flags give it.
#include <algorithm>

#include <fmt/format.h>

#include "dsplan/base/error.hpp"
#include "dsplan/base/setting.hpp"
#include "dsplan/base/text.hpp"
#include "dsplan/recommend/recommend.hpp"
#include "dsplan/serving/check.hpp"

namespace dsplan {

namespace {

/// The request pins nothing a search over quants and engines would vary: no layout option (the
/// search places each candidate its own way), a fixed count, and the catalog's formats rather than
/// the user's own file. Nor does it set what the search leaves at each engine's default (KV type,
/// micro-batch, attention and cache options, MTP, an older build, llama.cpp's memory and offload
/// switches): a note sized without them could call a file too large that the user's settings would
/// fit, or time it with switches the user turned off.
bool searchable(const PlanRequest& r, const PlanResult& p) {
  const Scenario& s = r.scenario;
  const bool engine_defaults = s.kv_type.empty() && s.ubatch == 0 && !s.flash_attention && !s.legacy_mla_gguf &&
                               !s.imatrix && s.mla_cache == MlaCacheOverride::engine && s.speculative_tokens == 0 &&
                               s.build_date.empty() && !s.no_mmap && !s.no_op_offload;
  LayoutRequest placement_defaults;  // the user's headroom is kept by the search too
  placement_defaults.headroom = r.layout.headroom;
  placement_defaults.fit_margin = r.layout.fit_margin;
  return r.hardware && !r.count_auto && r.layout == placement_defaults && !p.scenario.quant->file && engine_defaults;
}

/// Of the candidates placed on the hardware (and so rejected by it), the one needing the least memory.
const Candidate* smallest_placed(const Recommendation& rec) {
  const Candidate* out = nullptr;
  for (const auto& c : rec.rejected)
    if (c.evaluation && (!out || c.memory_total < out->memory_total)) out = &c;
  return out;
}

/// The dsplan flags that give the candidate's placement, where it is not the default one.
std::string layout_flags(const LayoutRequest& l) {
  std::string out;
  if (l.offload_experts) out += fmt::format(" {}", setting_marker(Setting::offload_experts));
  if (l.n_cpu_moe_auto) out += fmt::format(" {} auto", setting_marker(Setting::n_cpu_moe));
  if (l.n_cpu_moe) out += fmt::format(" {} {}", setting_marker(Setting::n_cpu_moe), *l.n_cpu_moe);
  if (l.gpu_layers) out += fmt::format(" {} {}", setting_marker(Setting::gpu_layers), *l.gpu_layers);
  // The serving layout the search chose: without them the suggestion would place it another way.
  if (l.tensor_parallel) out += fmt::format(" {} {}", setting_marker(Setting::tp), *l.tensor_parallel);
  if (l.pipeline_parallel) out += fmt::format(" {} {}", setting_marker(Setting::pp), *l.pipeline_parallel);
  if (l.dp_attention) out += fmt::format(" {}", setting_marker(Setting::dp_attention));
  return out;
}

/// Where the search placed the candidate on part of mixed GPUs (an engine that needs identical
/// cards, or a small model on the faster card alone): the %gpus% list of that part.
std::string part_flags(const HardwareRequest& asked, const Candidate& c) {
  if (!c.placed_on || c.placed_on->gpus.size() == asked.gpus.size()) return {};
  std::vector<std::string> cards;
  for (const auto& g : c.placed_on->gpus) cards.push_back(g.count > 1 ? fmt::format("{}x{}", g.count, g.name) : g.name);
  return fmt::format(" {} {}", setting_marker(Setting::gpus), join(cards, ","));
}

/// The plan passes: it fits and meets every limit.
bool passes(const PlanResult& p, const CheckLimits& limits) {
  const auto checks = run_checks(p, limits);
  return std::all_of(checks.begin(), checks.end(), [](const CheckOutcome& c) { return c.passed; });
}

/// The request as the candidate would be run: its quant, engine, layout and (on mixed cards) part.
PlanRequest as_candidate(const PlanRequest& r, const Candidate& c) {
  PlanRequest out = r;
  out.scenario.quant = c.quant->id;
  out.scenario.engine = c.engine->id;
  out.layout = c.layout_request;
  out.layout.fit_margin = r.layout.fit_margin;  // as the user's run of the note's flags keeps it
  out.scenario.no_op_offload = !c.op_offload;
  if (c.placed_on) out.hardware = *c.placed_on;
  out.explain = false;
  out.suggest_count = false;
  return out;
}

/// The layout the search chose by leaving headroom (how many layers on the GPUs, the blocks whose
/// experts stay in RAM), pinned as the flags that give it: the user's run may leave another share.
LayoutRequest pinned(LayoutRequest l, const PlanResult& run) {
  if (l.headroom == 0 || !run.layout) return l;
  l.headroom = 0;
  const Layout& placed = *run.layout;
  const bool split =
      placed.strategy == LayoutStrategy::layer_split || placed.strategy == LayoutStrategy::expert_offload;
  if (split && !l.gpu_layers && placed.gpu_layers < run.memory.weights.block_bytes.size() + 1)
    l.gpu_layers = placed.gpu_layers;
  if (l.n_cpu_moe_auto) {
    l.n_cpu_moe_auto = false;
    l.n_cpu_moe = placed.experts_in_ram_blocks;
  }
  return l;
}

struct Passing {
  const Candidate* candidate;
  LayoutRequest layout;  ///< as the note's flags give it
  PlanResult run;        ///< that run, whose speed the note quotes
};

/// The best-ranked candidate that, run as the note's flags would run it, passes the limits. The
/// search ranks on its own defaults (prompt length, headroom, its placement), so each is checked
/// as given.
std::optional<Passing> first_passing(const Catalog& cat, const PlanRequest& r, const Recommendation& rec,
                                     const CheckLimits& limits) {
  // Bounds the extra plans on a failing path. A cost limit is met by smaller files, which rank
  // below the better ones the search puts first, so it looks further down.
  const std::size_t tries = limits.max_usd_per_million_tokens ? 32 : 6;
  for (std::size_t i = 0; i < rec.ranked.size() && i < tries; ++i) {
    try {
      PlanRequest request = as_candidate(r, rec.ranked[i]);
      request.layout = pinned(request.layout, run_plan(cat, request));
      PlanResult run = run_plan(cat, request);
      if (passes(run, limits)) return Passing{&rec.ranked[i], request.layout, std::move(run)};
    } catch (const InputError&) {
      continue;  // a limit this candidate cannot be measured on (no price for it): not a pick
    }
  }
  return std::nullopt;
}

std::string candidate_flags(const PlanRequest& r, const Candidate& c, const LayoutRequest& layout) {
  return fmt::format("{} {} {} {}{}{}{}", setting_marker(Setting::quant), c.quant->id, setting_marker(Setting::engine),
                     c.engine->id, part_flags(*r.hardware, c), layout_flags(layout),
                     c.op_offload ? "" : fmt::format(" {}", setting_marker(Setting::no_op_offload)));
}

bool any_limit(const CheckLimits& l) {
  return l.min_tokens_per_s || l.max_ttft_s || l.max_usd_per_million_tokens || l.max_memory_fraction;
}

}  // namespace

std::optional<std::string> fitting_quant_note(const Catalog& cat, const PlanRequest& r, const PlanResult& p,
                                              const CheckLimits& limits) {
  if (!searchable(r, p) || (p.fits && passes(p, limits))) return std::nullopt;
  RecommendRequest q;
  q.hardware = r.hardware;
  // The request's context: with --context max, whose search found none that fits, the default
  // one it starts from, so the note names a file that leaves room to search from.
  q.context = r.scenario.context;
  q.users = p.scenario.batch;
  q.min_tokens_per_s = limits.min_tokens_per_s.value_or(0);  // no floor but the user's: the question is what fits
  q.max_ttft_s = limits.max_ttft_s;
  // As estimate places it, or leaving what --max-memory-fraction asks (each pick is checked too).
  q.headroom = std::max(r.layout.headroom, limits.max_memory_fraction ? 1.0 - *limits.max_memory_fraction : 0.0);
  q.models = {p.scenario.model->id};
  if (!r.scenario.engine.empty()) q.engines = {p.scenario.engine->id};
  q.cost = r.cost;
  Recommendation rec;
  try {
    rec = recommend(cat, q);
  } catch (const InputError&) {
    return std::nullopt;  // a request recommend cannot search (the estimate itself stands)
  }
  const std::string model = p.scenario.model->name;
  const std::string on_engine =
      r.scenario.engine.empty() ? std::string() : fmt::format(" on {}", p.scenario.engine->name);
  const bool context_max = p.context_search.has_value();
  if (const auto found = first_passing(cat, r, rec, limits)) {
    const Candidate& c = *found->candidate;
    return fmt::format("{} as {} on {} fits this hardware{}{}: {} (~{:.1f} tokens/s per sequence){}", model,
                       c.quant->name, c.engine->name,
                       context_max ? fmt::format(" at {} tokens", r.scenario.context) : "",
                       any_limit(limits) ? " and meets these limits" : "", candidate_flags(r, c, found->layout),
                       found->run.throughput ? found->run.throughput->served_decode_tokens_per_s : 0.0,
                       context_max ? "; --context max then finds its longest" : "");
  }
  // Picks the search ranked but none of which passed when run as given: nothing to say for sure.
  if (!rec.ranked.empty()) return std::nullopt;
  if (any_limit(limits)) {  // none meets them: say so, then what fits without them
    const auto fitting = fitting_quant_note(cat, r, p, CheckLimits{});
    const std::string none = fmt::format("no quant of {}{} meets these limits on this hardware", model, on_engine);
    return fitting ? fmt::format("{}; {}", none, *fitting) : none;
  }
  const Candidate* smallest = smallest_placed(rec);
  if (!smallest) return std::nullopt;
  return fmt::format("no quant of {} fits this hardware at {}{}: the smallest, {}, needs {:.2f} GiB in all", model,
                     context_max ? fmt::format("{} tokens", r.scenario.context) : "this context", on_engine,
                     smallest->quant->name, smallest->memory_total.gib());
}

}  // namespace dsplan
