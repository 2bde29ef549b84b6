// An estimate that does not fit: which quant of the same model would, on the same hardware and
// workload. It is recommend's search narrowed to one model, with no speed floor.
#include <fmt/format.h>

#include "dsplan/base/error.hpp"
#include "dsplan/base/setting.hpp"
#include "dsplan/base/text.hpp"
#include "dsplan/recommend/recommend.hpp"

namespace dsplan {

namespace {

/// The request pins nothing a search over quants and engines would vary: no layout option (the
/// search places each candidate its own way), a fixed count, and the catalog's formats rather than
/// the user's own file. Nor does it set what the search leaves at each engine's default (KV type,
/// micro-batch, attention and cache options, MTP, an older build): a note sized without them could
/// call a file too large that the user's settings would fit.
bool searchable(const PlanRequest& r, const PlanResult& p) {
  const Scenario& s = r.scenario;
  const bool engine_defaults = s.kv_type.empty() && s.ubatch == 0 && !s.flash_attention && !s.legacy_mla_gguf &&
                               s.mla_cache == MlaCacheOverride::engine && s.speculative_tokens == 0 &&
                               s.build_date.empty();
  return r.hardware && !r.count_auto && r.layout == LayoutRequest{} && !p.scenario.quant->file && engine_defaults;
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

}  // namespace

std::optional<std::string> fitting_quant_note(const Catalog& cat, const PlanRequest& r, const PlanResult& p) {
  if (p.fits || !searchable(r, p)) return std::nullopt;
  RecommendRequest q;
  q.hardware = r.hardware;
  q.context = p.scenario.context;
  q.users = p.scenario.batch;
  q.min_tokens_per_s = 0;  // any speed: the question is what fits
  q.headroom = 0;          // as estimate places it
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
  if (rec.ranked.empty()) {
    const Candidate* smallest = smallest_placed(rec);
    if (!smallest) return std::nullopt;
    return fmt::format("no quant of {} fits this hardware at this context{}: the smallest, {}, needs {:.2f} GiB in all",
                       model,
                       r.scenario.engine.empty() ? std::string() : fmt::format(" on {}", p.scenario.engine->name),
                       smallest->quant->name, smallest->memory_total.gib());
  }
  const Candidate& c = rec.ranked.front();
  return fmt::format("{} as {} on {} fits this hardware: {} {} {} {}{}{} (~{:.1f} tokens/s per sequence)", model,
                     c.quant->name, c.engine->name, setting_marker(Setting::quant), c.quant->id,
                     setting_marker(Setting::engine), c.engine->id, part_flags(*r.hardware, c),
                     layout_flags(c.layout_request), c.decode_tokens_per_s());
}

}  // namespace dsplan
