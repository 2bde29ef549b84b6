// Recommendation: checks the request, then runs the steps in src/core/recommend_*.cpp — search
// (combinations placed best-first), rank, explain — and, with --context max, finds the longest
// context of each shortlisted candidate.
#include "dsplan/recommend/recommend.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/recommend/recommend_steps.hpp"
#include "dsplan/base/error.hpp"
#include "dsplan/base/text.hpp"
#include "dsplan/model/kv_cache.hpp"
#include "dsplan/model/quality.hpp"
#include "dsplan/serving/context_search.hpp"
#include "dsplan/serving/performance.hpp"
#include "dsplan/serving/plan.hpp"

namespace dsplan {

namespace {

void check_request(const RecommendRequest& r) {
  if (!r.cloud && !r.hardware) throw InputError("say what hardware you have (%vram%, %gpu%, %gpus%, %ram%) or %cloud%");
  if (r.cloud && r.hardware && (!r.hardware->gpus.empty() || r.hardware->vram))
    throw InputError("%cloud% chooses the GPUs; drop %gpu%/%gpus%/%vram%, or drop %cloud% to use yours");
  if (r.users == 0 || r.context < 2) throw InputError("%users% must be at least 1 and %context% at least 2 tokens");
  // Flags that would do nothing, or one figure standing for many: refused rather than noted.
  if (r.budget_usd && !r.cloud)
    throw InputError(
        "%budget_usd% limits what %cloud% rents or buys; on your own hardware nothing is bought (drop it, "
        "or use %cloud%)");
  if (r.cost.usd_per_gpu_hour && !r.cloud)
    throw InputError(
        "%price% is a rental price, used with %cloud%; your own hardware is costed by ownership "
        "(%purchase_price%, %host_price%)");
  if (r.cost.purchase_usd_per_gpu && r.cloud)
    throw InputError(
        "%purchase_price% is one GPU's price, and %cloud% compares every GPU type at its catalog price; "
        "to price one type at yours: dsplan estimate MODEL %gpu% NAME %purchase_price% USD");
  if (r.cost.usd_per_gpu_hour && r.cloud)
    throw InputError(
        "%price% is one GPU's hourly price, and %cloud% compares every GPU type at its catalog price; "
        "to price one type at yours: dsplan estimate MODEL %gpu% NAME %price% USD");
}

/// Calls `f` on each ranked candidate that the shortlist (the pick and the runners-up) shows.
template <typename F>
void for_each_shortlisted(Recommendation& out, F f) {
  const auto key = [](const Candidate& c) { return detail::key_of(c) + "/" + c.engine->id + "/" + c.hardware; };
  std::vector<std::string> keys;
  for (const auto& c : shortlist(out)) keys.push_back(key(c));
  for (auto& c : out.ranked)
    if (std::find(keys.begin(), keys.end(), key(c)) != keys.end()) f(c);
}

/// The speed ranges `estimate` prints, for the candidates shown: the search ranks by the figures
/// alone, and copies each evaluation once here rather than banding thousands.
void add_speed_bands(const Catalog& cat, Recommendation& out) {
  for_each_shortlisted(out, [&](Candidate& c) {
    if (!c.evaluation || !c.evaluation->throughput) return;
    auto banded = std::make_shared<Evaluation>(*c.evaluation);
    ResolvedScenario s;
    s.model = c.model;
    s.quant = c.quant;
    s.engine = c.engine;
    attach_speed_bands(cat, s, banded->layout, *banded->throughput);
    c.evaluation = std::move(banded);
  });
}

/// --context max: the longest context each shortlisted candidate holds on its hardware.
void add_max_contexts(const Catalog& cat, const RecommendRequest& r, Recommendation& out) {
  for_each_shortlisted(out, [&](Candidate& c) {
    if (!c.placed_on) return;
    PlanRequest base;
    base.scenario.model = c.model->id;
    base.scenario.quant = c.quant->id;
    base.scenario.engine = c.engine->id;
    base.scenario.batch = r.users;
    base.hardware = c.placed_on;
    base.layout.offload_experts = c.layout_request.offload_experts;
    base.layout.n_cpu_moe = c.layout_request.n_cpu_moe;
    base.layout.n_cpu_moe_auto = c.layout_request.n_cpu_moe_auto;
    base.cost = r.cost;
    try {
      const PlanResult p = find_max_context(cat, {base, false, r.headroom});
      c.max_context_search = p.context_search;
      c.max_context = p.context_search->found ? p.scenario.context : 0;
    } catch (const InputError&) {
      // not searchable on this hardware; the candidate keeps its ranking figures
    }
  });
}

/// Models the task cannot rank (a benchmark it blends is not published for them) would otherwise
/// vanish without a word, however well they fit: the note names them. Not when nothing is ranked
/// at all, which the answer itself says.
void note_unranked_models(const Catalog& cat, const RecommendRequest& r, Recommendation& out) {
  if (out.ranked.empty()) return;
  std::vector<std::string> names;
  for (const auto& m : cat.models) {
    if (!r.models.empty() && std::none_of(r.models.begin(), r.models.end(),
                                          [&](const std::string& n) { return &cat.require_model(n) == &m; }))
      continue;
    if (!task_score(cat, m, *out.task)) names.push_back(m.name);
  }
  if (names.empty()) return;
  out.notes.push_back(fmt::format(
      "not ranked for {}: {} (no published figure for a benchmark the task needs; 'dsplan show MODEL' lists "
      "what is published, 'dsplan estimate' sizes and times them)",
      out.task->id, join(names, ", ")));
}

/// The pick's Run line downloads a GGUF that keeps attn_kv_b whole (unsloth's January 2025 R1), where
/// llama.cpp caches per-head K and V, while the plan is for a file converted since (the latent
/// cache): say so, as estimate does, with the ratio of the two caches.
void note_legacy_gguf_pick(const Catalog& cat, const RecommendRequest& r, Recommendation& out) {
  if (out.ranked.empty()) return;
  const Candidate& c = out.ranked.front();
  if (!published_gguf_expands_mla(*c.model, *c.quant, *c.engine) || c.quant->containers.empty() ||
      c.quant->containers.front() != "gguf")
    return;
  const BlockType& type = cat.require_block_type(c.engine->default_kv_type);
  const KvCacheRequest latent{r.context, 1, false};
  const KvCacheRequest legacy{r.context, 1, true};
  const double ratio =
      static_cast<double>(estimate_kv_cache(c.model->arch, *c.engine, type, legacy).bytes_per_token.count()) /
      static_cast<double>(estimate_kv_cache(c.model->arch, *c.engine, type, latent).bytes_per_token.count());
  out.notes.push_back(fmt::format(
      "the pick is planned for a GGUF of {} converted since llama.cpp's MLA layout (PR #12801, April 2025): the "
      "published {} files keep attn_kv_b whole, with which {} caches per-head K and V, {:.0f} times the KV memory "
      "planned; 'dsplan estimate ... --legacy-mla-gguf' plans such a file, ik_llama.cpp caches the latent of either",
      c.model->name, c.model->gguf_repo, c.engine->id, ratio));
}

/// The pick's scores were measured in a reasoning mode that needs a longer context than the
/// request plans (V4's Think Max): at this context its answers are cut short of those scores.
void note_scores_context(const RecommendRequest& r, Recommendation& out) {
  if (out.ranked.empty()) return;
  const ModelSpec& m = *out.ranked.front().model;
  if (m.benchmarks.context_tokens <= r.context) return;
  out.notes.push_back(fmt::format(
      "{}'s scores are in a reasoning mode that needs a context of {} tokens ({}); at {} its longest chains of "
      "thought are cut short of them: --context {} plans that context",
      m.name, m.benchmarks.context_tokens, m.benchmarks.context_source, r.context, m.benchmarks.context_tokens));
}

}  // namespace

std::string_view preference_name(Preference p) { return name_in<Preference>(k_preferences, p); }

Bytes Candidate::gpu_used() const {
  Bytes total;
  if (evaluation)
    for (const auto& g : evaluation->layout.gpus) total += g.total;
  return total;
}

Bytes Candidate::gpu_capacity() const {
  Bytes total;
  if (evaluation)
    for (const auto& g : evaluation->layout.gpus) total += g.capacity;
  return total;
}

Bytes Candidate::ram_used() const { return evaluation ? evaluation->layout.cpu.total : Bytes(); }

std::string Candidate::memory_text() const {
  const std::string ram = ram_used().count() > 0 ? fmt::format("{:.2f} GiB RAM", ram_used().gib()) : "";
  if (gpu_capacity().count() == 0) return ram.empty() ? std::string("no memory") : ram;
  return fmt::format("{:.2f} of {:.2f} GiB GPU memory{}", gpu_used().gib(), gpu_capacity().gib(),
                     ram.empty() ? "" : " + " + ram);
}

template <typename Figure>
std::optional<double> Candidate::priced(Figure figure) const {
  if (!evaluation || !evaluation->cost) return std::nullopt;
  const CostEstimate& cost = *evaluation->cost;
  if (rented && cost.cloud) return figure(*cost.cloud);
  if (cost.owned) return figure(*cost.owned);
  return std::nullopt;
}

std::optional<double> Candidate::usd_per_month() const {
  return priced([](const auto& c) { return c.usd_per_month; });
}

std::optional<double> Candidate::usd_per_million_tokens() const {
  return priced([](const auto& c) { return c.usd_per_million_tokens; });
}

std::optional<double> Candidate::upfront_usd() const {
  if (!evaluation || !evaluation->cost || !evaluation->cost->owned) return std::nullopt;
  return evaluation->cost->owned->purchase_usd;
}

/// A context past every candidate model's window has no answer to search for: say so, as estimate
/// does for one model, instead of rejecting every candidate.
void check_context_fits_a_model(const Catalog& cat, const RecommendRequest& r) {
  const ModelSpec* longest = longest_window_model(cat, r.models);
  if (longest && r.context > longest->arch.max_context)
    throw InputError(fmt::format("%context% {} exceeds every {}model's maximum; the longest is {}'s {} tokens",
                                 r.context, r.models.empty() ? "" : "listed ", longest->name,
                                 longest->arch.max_context));
}

const ModelSpec* longest_window_model(const Catalog& cat, const std::vector<std::string>& models) {
  const ModelSpec* longest = nullptr;
  for (const auto& m : cat.models)
    if ((models.empty() ||
         std::any_of(models.begin(), models.end(), [&](const std::string& n) { return cat.find_model(n) == &m; })) &&
        (!longest || m.arch.max_context > longest->arch.max_context))
      longest = &m;
  return longest;
}

Recommendation recommend(const Catalog& cat, const RecommendRequest& r) {
  Recommendation out;
  out.task = &cat.require_task(r.task);  // an unknown task is named before what else is missing
  check_request(r);
  check_context_fits_a_model(cat, r);
  out.prefer = r.prefer;
  const double best_feasible = detail::search(cat, r, out);
  detail::rank(r, best_feasible, out);
  detail::explain(r, out);
  note_unranked_models(cat, r, out);
  note_legacy_gguf_pick(cat, r, out);
  note_scores_context(r, out);
  add_speed_bands(cat, out);
  if (r.context_max) add_max_contexts(cat, r, out);
  return out;
}

}  // namespace dsplan
