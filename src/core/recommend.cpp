// Recommendation search: combinations are scored without hardware (benchmark x quant factor),
// then placed best-first on the hardware until no unplaced combination could still win.
#include "dsplan/recommend.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "dsplan/context_search.hpp"
#include "dsplan/error.hpp"
#include "dsplan/memory.hpp"
#include "dsplan/performance.hpp"
#include "dsplan/quant.hpp"
#include "dsplan/scenario.hpp"
#include "dsplan/text.hpp"

namespace dsplan {

namespace {

/// Candidates within this share of the best feasible score compete on speed or cost
/// (--prefer speed|cost), and a non-reasoning model within it wins short-answer tasks.
constexpr double k_near_best = 0.90;
/// Runners-up shown after the pick.
constexpr std::size_t k_runners_up = 5;
/// Task scores closer than this are a tie (pass@1 over 30 AIME problems moves by more from one
/// sampling run to the next); --prefer quality then takes the faster candidate.
constexpr double k_score_tie = 0.5;

struct Combo {
  const ModelSpec* model = nullptr;
  const QuantFormat* quant = nullptr;
  const EngineSpec* engine = nullptr;
  std::optional<TaskScore> benchmark;
  std::optional<QuantPenalty> penalty;
  double score = 0;
};

template <typename T, typename Find>
std::vector<const T*> pick_named(const std::vector<T>& all, const std::vector<std::string>& names, Find find) {
  std::vector<const T*> out;
  if (names.empty()) {
    for (const auto& x : all) out.push_back(&x);
    return out;
  }
  for (const auto& n : names) out.push_back(&find(n));
  return out;
}

/// Every model x quant x engine the catalog allows, scored for the task.
std::vector<Combo> combinations(const Catalog& cat, const RecommendRequest& r, const TaskSpec& task) {
  const auto models = pick_named(cat.models, r.models, [&](const std::string& n) -> const ModelSpec& {
    return cat.require_model(n);
  });
  const auto quants = pick_named(cat.quants, r.quants, [&](const std::string& n) -> const QuantFormat& {
    return cat.require_quant(n);
  });
  std::vector<const EngineSpec*> engines;
  for (const auto& n : r.engines) engines.push_back(&cat.require_engine(n));
  std::vector<Combo> out;
  for (const auto* m : models) {
    const auto benchmark = task_score(cat, *m, task);
    for (const auto* q : quants)
      for (const auto& engine_id : q->engines) {
        const EngineSpec* e = cat.find_engine(engine_id);
        if (!e) continue;
        if (!engines.empty() && std::find(engines.begin(), engines.end(), e) == engines.end()) continue;
        // Transformers is the reference implementation, not a server (and its speed is not
        // calibrated); renting, Ollama (a desktop wrapper of llama.cpp) goes too. --engine
        // names them back in.
        if (r.engines.empty() && (e->id == "transformers" || (r.cloud && e->id == "ollama"))) continue;
        Combo c{m, q, e, benchmark, quant_penalty(*m, *q), 0};
        if (c.benchmark && c.penalty) c.score = c.benchmark->score * c.penalty->factor;
        out.push_back(std::move(c));
      }
  }
  std::stable_sort(out.begin(), out.end(), [](const Combo& a, const Combo& b) { return a.score > b.score; });
  return out;
}

std::string hardware_text(const Hardware& hw) {
  std::map<std::string, std::uint64_t> counts;
  std::vector<std::string> order;
  for (const auto& g : hw.gpus) {
    if (counts[g.name]++ == 0) order.push_back(g.name);
  }
  std::vector<std::string> parts;
  for (const auto& name : order) parts.push_back(fmt::format("{} x {}", counts[name] * hw.nodes, name));
  std::string text = parts.empty() ? std::string("CPU only") : join(parts, " + ");
  if (hw.host.ram) text += fmt::format(" + {:.0f} GiB RAM", hw.host.ram->gib());
  return text;
}

struct Placement {
  const HardwareRequest* request = nullptr;
  const Hardware* hardware = nullptr;
  LayoutRequest layout;
};

/// A candidate carrying the combination's names and scores, not yet placed.
Candidate candidate_of(const Combo& c) {
  Candidate out;
  out.model = c.model;
  out.quant = c.quant;
  out.engine = c.engine;
  out.benchmark = c.benchmark;
  out.penalty = c.penalty;
  out.score = c.score;
  out.reasoning_model = is_reasoning_model(*c.model);
  return out;
}

/// Places one combination on one hardware and measures it against the request.
Candidate evaluate(const Catalog& cat, const Combo& c, const ResolvedScenario& s, const MemoryEstimate& m,
                   const Placement& p, const RecommendRequest& r) {
  Candidate out = candidate_of(c);
  out.hardware = hardware_text(*p.hardware);
  out.placed_on = *p.request;
  out.layout_request = p.layout;
  out.gpus = p.hardware->gpu_count();
  out.evaluated = true;
  out.memory_total = m.total;
  const Layout layout = plan_layout(cat, s, m, *p.hardware, p.layout);
  out.fits = layout.fits;
  out.strategy = layout.strategy;
  out.gpu_layers = layout.gpu_layers;
  out.layers = m.weights.block_bytes.size();
  out.tensor_parallel = layout.tensor_parallel;
  out.pipeline_parallel = layout.pipeline_parallel;
  for (const auto& g : layout.gpus) {
    out.gpu_used += g.total;
    out.gpu_capacity += g.capacity;
  }
  out.ram_used = layout.cpu.total;
  // Without --ram dsplan does not assume spare system memory for layers or experts.
  const bool uses_ram = keeps_layers_in_ram(layout, m.weights.block_bytes.size());
  if (layout.fits && uses_ram && !p.hardware->host.ram) {
    out.fits = false;
    out.reasons.push_back(fmt::format("needs {:.1f} GiB of system RAM for its layers (give --ram)",
                                      layout.cpu.total.gib()));
    return out;
  }
  if (!layout.fits) {
    out.reasons.push_back(layout.reasons.empty() ? "does not fit" : layout.reasons.front());
    return out;
  }
  out.fullest_device = fullest_device_fraction(layout);
  double gpu_fullest = 0;
  for (const auto& g : layout.gpus)
    if (g.capacity.count() > 0)
      gpu_fullest = std::max(gpu_fullest, static_cast<double>(g.total.count()) / static_cast<double>(g.capacity.count()));
  out.ram_is_fullest = out.fullest_device > gpu_fullest;
  // Paged engines (vLLM, SGLang) already claim only gpu_memory_utilization of each card.
  if (s.engine->parallelism != Parallelism::tensor_parallel && out.fullest_device > 1.0 - r.headroom) {
    out.fits = false;
    out.over_headroom = true;
    out.reasons.push_back(fmt::format("fills {:.1f}% of a device, leaving less than the {:.0f}% headroom",
                                      out.fullest_device * 100, r.headroom * 100));
    return out;
  }
  ThroughputRequest tr;
  tr.prompt_tokens = std::max<std::uint64_t>(1, r.context / 2);
  tr.output_tokens = r.context - tr.prompt_tokens;
  const Throughput t = estimate_throughput(s, m, layout, *p.hardware, tr);
  out.decode_tokens_per_s = t.decode_tokens_per_s;
  out.aggregate_tokens_per_s = t.aggregate_tokens_per_s;
  out.prefill_tokens_per_s = t.prefill_tokens_per_s;
  out.ttft_s = t.ttft_s;
  const CostEstimate cost =
      estimate_cost(cat, *p.hardware, t.aggregate_tokens_per_s, r.cost, HostNeeds{layout.cpu.total, m.download});
  if (r.cloud && cost.cloud) {
    out.usd_per_month = cost.cloud->usd_per_month;
    out.usd_per_million_tokens = cost.cloud->usd_per_million_tokens;
  } else if (cost.owned) {
    out.usd_per_month = cost.owned->usd_per_month;
    out.usd_per_million_tokens = cost.owned->usd_per_million_tokens;
  }
  if (cost.owned) out.upfront_usd = cost.owned->purchase_usd;

  if (out.decode_tokens_per_s < r.min_tokens_per_s)
    out.reasons.push_back(fmt::format("decodes {:.1f} tokens/s per user, below the required {:g}",
                                      out.decode_tokens_per_s, r.min_tokens_per_s));
  if (r.max_ttft_s && out.ttft_s > *r.max_ttft_s)
    out.reasons.push_back(fmt::format("first token after {:.0f} ms, above the limit of {:.0f} ms", out.ttft_s * 1000,
                                      *r.max_ttft_s * 1000));
  if (r.budget_usd && r.cloud) {
    const bool monthly = r.budget_period == BudgetPeriod::month;
    const std::optional<double> spend = monthly ? out.usd_per_month : out.upfront_usd;
    if (!spend) out.reasons.push_back("no price in the catalog for " + out.hardware);
    else if (*spend > *r.budget_usd)
      out.reasons.push_back(fmt::format("costs ${:.0f}{}, above the budget of ${:.0f}", *spend,
                                        monthly ? " a month" : " to buy", *r.budget_usd));
  }
  out.feasible = out.reasons.empty();
  return out;
}

Candidate rejected_before_placing(const Combo& c, std::string reason) {
  Candidate out = candidate_of(c);
  out.reasons.push_back(std::move(reason));
  return out;
}

/// Bytes of a model's published weights as an engine loads them, computed once per model.
Bytes native_weights(const Catalog& cat, const ModelSpec& m, std::map<std::string, Bytes>& cache) {
  const auto it = cache.find(m.id);
  if (it != cache.end()) return it->second;
  const QuantFormat& q = cat.require_quant(m.native_quant);
  FileLayout layout;
  layout.container = q.containers.front();
  const Bytes b = quantize_model(cat, m, q, layout).without_mtp();
  cache.emplace(m.id, b);
  return b;
}

/// GPU types with a cloud price, each as a hardware request of one GPU.
std::vector<std::string> cloud_gpus(const Catalog& cat) {
  std::vector<std::string> out;
  for (const auto& p : cat.cloud_prices)
    if (!contains(out, p.gpu)) out.push_back(p.gpu);
  return out;
}

/// Cloud: for each GPU type, the smallest count that holds the scenario (layer-split engines
/// stay within one 8-GPU node).
struct CloudOptions {
  std::vector<HardwareRequest> hardware;
  std::optional<double> cheapest_over_budget;  ///< USD a month of the cheapest option the budget ruled out
};

CloudOptions cloud_options(const Catalog& cat, const ResolvedScenario& s, const MemoryEstimate& m,
                           const RecommendRequest& r) {
  CloudOptions out;
  const bool tp = s.engine->parallelism == Parallelism::tensor_parallel;
  for (const auto& id : cloud_gpus(cat)) {
    const GpuSpec& g = cat.require_gpu(id);
    const double usable = static_cast<double>(g.memory.count()) * s.engine->gpu_memory_utilization;
    const auto lower = static_cast<std::uint64_t>(std::ceil(static_cast<double>(m.weights_loaded.count()) / usable));
    HardwareRequest h;
    h.gpus.push_back({id, 1});
    // Clouds rent multi-node clusters (InfiniBand between nodes) of data-center parts with a
    // scale-up link (NVLink, Infinity Fabric); other cards come as single machines of one node.
    const bool clusters = tp && g.device_class == "datacenter" && g.nvlink_bytes_per_s > 0;
    const std::uint64_t max = clusters ? r.max_gpus : std::min(r.max_gpus, g.gpus_per_node);
    if (lower > max) continue;
    // A monthly budget the fewest GPUs that could hold the weights already exceed.
    if (r.budget_usd && r.budget_period == BudgetPeriod::month) {
      const double hourly = r.cost.usd_per_gpu_hour.value_or(cat.cheapest_cloud_price(id)->usd_per_gpu_hour);
      const double monthly = hourly * static_cast<double>(lower) * k_hours_per_month;
      if (monthly > *r.budget_usd) {
        out.cheapest_over_budget = std::min(out.cheapest_over_budget.value_or(INFINITY), monthly);
        continue;
      }
    }
    if (const auto n = smallest_gpu_count(cat, s, m, h, LayoutRequest{}, max, std::max<std::uint64_t>(1, lower)))
      out.hardware.push_back(with_gpu_count(cat, h, *n, tp));
  }
  return out;
}

/// A layer-split placement that fills a device past the headroom: one block fewer on the GPUs at
/// a time (when RAM is known to take them), or, renting, one more GPU (up to a node).
Candidate with_headroom(const Catalog& cat, const Combo& c, const ResolvedScenario& s, const MemoryEstimate& m,
                        const Placement& p, const RecommendRequest& r, Candidate first) {
  constexpr std::uint64_t k_max_steps = 8;
  if (r.cloud) {
    HardwareRequest h = *p.request;
    if (h.gpus.size() != 1 || h.nodes != 1 || h.gpus[0].count >= cat.require_gpu(h.gpus[0].name).gpus_per_node)
      return first;
    ++h.gpus[0].count;
    const Hardware hw = build_hardware(cat, h);
    return evaluate(cat, c, s, m, Placement{&h, &hw, p.layout}, r);
  }
  // Moving blocks off the GPUs only helps when a GPU, not system RAM, is the full device.
  if (!p.hardware->host.ram || first.ram_is_fullest) return first;
  Candidate cand = first;
  for (std::uint64_t step = 0; step < k_max_steps && cand.over_headroom && !cand.ram_is_fullest && cand.gpu_layers > 0;
       ++step) {
    LayoutRequest fewer = p.layout;
    fewer.gpu_layers = cand.gpu_layers - 1;
    cand = evaluate(cat, c, s, m, Placement{p.request, p.hardware, fewer}, r);
  }
  return cand.feasible ? cand : first;  // when no step helps, the first placement's reason stands
}

/// Money compared in whole cents (so sums that differ in the last bit tie), unpriced last.
std::int64_t cents(const std::optional<double>& usd) {
  // Beyond ~9e16 USD (or not finite) llround is undefined; such a cost ranks last anyway.
  if (!usd || !(std::fabs(*usd) < 9e16)) return INT64_MAX;
  return static_cast<std::int64_t>(std::llround(*usd * 100.0));
}

/// True when `a` should rank before `b` under the preference (both feasible). Quality compares
/// scores in bands of k_score_tie below the best; within a band the faster candidate goes first
/// on owned hardware (already paid for), and renting the one with the lower cost per token.
bool better(const Candidate& a, const Candidate& b, Preference p, double best, bool renting) {
  const double near_best = k_near_best * best;
  const bool a_near = a.score >= near_best;
  const bool b_near = b.score >= near_best;
  if (p != Preference::quality && a_near != b_near) return a_near;
  if (p == Preference::speed && a_near && a.decode_tokens_per_s != b.decode_tokens_per_s)
    return a.decode_tokens_per_s > b.decode_tokens_per_s;
  if (p == Preference::cost && a_near && cents(a.usd_per_month) != cents(b.usd_per_month))
    return cents(a.usd_per_month) < cents(b.usd_per_month);
  const auto band = [&](const Candidate& c) { return std::floor((best - c.score) / k_score_tie); };
  if (band(a) != band(b)) return band(a) < band(b);
  if (renting && cents(a.usd_per_million_tokens) != cents(b.usd_per_million_tokens))
    return cents(a.usd_per_million_tokens) < cents(b.usd_per_million_tokens);
  if (a.decode_tokens_per_s != b.decode_tokens_per_s) return a.decode_tokens_per_s > b.decode_tokens_per_s;
  return a.score > b.score;
}

std::string key_of(const Candidate& c) { return c.model->id + "/" + c.quant->id; }

/// Keeps the best candidate per model x quant (engines and layouts of the same file collapse).
std::vector<Candidate> best_per_file(std::vector<Candidate> sorted) {
  std::vector<Candidate> out;
  std::vector<std::string> seen;
  for (auto& c : sorted) {
    const std::string k = key_of(c);
    if (contains(seen, k)) continue;
    seen.push_back(k);
    out.push_back(std::move(c));
  }
  return out;
}

std::string score_text(const Candidate& c) {
  return fmt::format("{:.1f} ({}) x {:.3f} for {}", c.benchmark->score, join(c.benchmark->parts), c.penalty->factor,
                     c.quant->id);
}

void explain(const RecommendRequest& r, const TaskSpec& task, Recommendation& out) {
  out.why.push_back(fmt::format("Task {}: {}", task.id, task.why));
  if (out.ranked.empty()) {
    out.why.push_back("Nothing fits the hardware and the limits; the rejected candidates below say what each lacks.");
    return;
  }
  const Candidate& pick = out.ranked.front();
  out.why.push_back(fmt::format("{} combinations scored, {} placements tried (a combination can be placed in several "
                                "layouts) on {}{}; {} fit and meet the limits "
                                "(min {:g} tokens/s per user{}{}).",
                                out.candidates, out.placed, r.cloud ? "rented GPUs, e.g. " : "", pick.hardware,
                                out.ranked.size(), r.min_tokens_per_s,
                                r.max_ttft_s ? fmt::format(", first token within {:.0f} ms", *r.max_ttft_s * 1000) : "",
                                r.budget_usd ? fmt::format(", budget ${:.0f}", *r.budget_usd) : ""));
  const double best = std::max_element(out.ranked.begin(), out.ranked.end(), [](const auto& a, const auto& b) {
                        return a.score < b.score;
                      })->score;
  switch (out.prefer) {
    case Preference::quality:
      out.why.push_back(fmt::format("Prefer quality: the highest task score that fits, {} = {:.1f}.", score_text(pick),
                                    pick.score));
      break;
    case Preference::speed:
      out.why.push_back(fmt::format("Prefer speed: the fastest candidate scoring at least {:.0f}% of the best ({:.1f}); "
                                    "{} scores {:.1f}.",
                                    k_near_best * 100, best, pick.model->name, pick.score));
      break;
    case Preference::cost:
      out.why.push_back(fmt::format("Prefer cost: the cheapest candidate scoring at least {:.0f}% of the best ({:.1f}); "
                                    "{} scores {:.1f}.",
                                    k_near_best * 100, best, pick.model->name, pick.score));
      break;
  }
  const std::string gpu_memory =
      pick.gpu_capacity.count() == 0
          ? std::string("CPU only, no GPU memory")
          : fmt::format("{:.2f} of {:.2f} GiB GPU memory", pick.gpu_used.gib(), pick.gpu_capacity.gib());
  out.why.push_back(fmt::format("{} {} on {}: {}{}, {:.1f} tokens/s per user, first token in {:.2f} s{}.",
                                pick.model->name, pick.quant->name, pick.engine->name, gpu_memory,
                                pick.ram_used.count() > 0 ? fmt::format(" + {:.2f} GiB RAM", pick.ram_used.gib()) : "",
                                pick.decode_tokens_per_s, pick.ttft_s,
                                pick.usd_per_month ? fmt::format(", ${:.0f} a month", *pick.usd_per_month) : ""));
  if (task.short_answers)
    out.why.push_back(pick.reasoning_model
                          ? "Short answers: no non-reasoning (V3-line) model came within 10% of this score, so a "
                            "reasoning model it is; its chain of thought adds tokens before each answer."
                          : "Short answers: a model that answers directly is preferred within 10% of the best score; "
                            "R1-line models think first, multiplying the tokens per answer.");
  else if (pick.reasoning_model)
    out.why.push_back("Reasoning model: its scores are with a chain of thought, thousands of tokens before hard "
                      "answers (R1-0528 averages 23K per AIME 2025 question), which its benchmark lead pays for.");
  // The best model that was rejected, in its variant closest to fitting: what more quality needs.
  const auto rejected = notable_rejections(out, 1);
  if (!rejected.empty())
    out.why.push_back(fmt::format("Better but rejected: {} {} (score {:.1f}): {}.", rejected.front().model->name,
                                  rejected.front().quant->name, rejected.front().score,
                                  rejected.front().reasons.front()));
}

/// The user's GPUs and, for a mixed list of up to four kinds, every part of it: a model that fits on
/// the faster card alone decodes faster there than split across a slower one (llama.cpp runs the
/// layers of a split one card after the other).
std::vector<HardwareRequest> own_options(const HardwareRequest& h) {
  std::vector<HardwareRequest> out{h};
  const std::size_t n = h.gpus.size();
  if (n < 2 || n > 4) return out;
  for (unsigned mask = 1; mask + 1 < (1U << n); ++mask) {
    HardwareRequest part = h;
    part.gpus.clear();
    for (std::size_t i = 0; i < n; ++i)
      if ((mask & (1U << i)) != 0) part.gpus.push_back(h.gpus[i]);
    out.push_back(std::move(part));
  }
  return out;
}

/// --context max: the longest context each shortlisted candidate holds on its hardware.
void add_max_contexts(const Catalog& cat, const RecommendRequest& r, Recommendation& out) {
  const auto key = [](const Candidate& c) { return key_of(c) + "/" + c.engine->id + "/" + c.hardware; };
  std::vector<std::string> keys;
  for (const auto& c : shortlist(out)) keys.push_back(key(c));
  for (auto& c : out.ranked) {
    if (!c.placed_on || std::find(keys.begin(), keys.end(), key(c)) == keys.end()) continue;
    PlanRequest base;
    base.scenario.model = c.model->id;
    base.scenario.quant = c.quant->id;
    base.scenario.engine = c.engine->id;
    base.scenario.batch = r.users;
    base.hardware = c.placed_on;
    base.layout.offload_experts = c.layout_request.offload_experts;
    base.cost = r.cost;
    try {
      const PlanResult p = find_max_context(cat, {base, false, r.headroom});
      c.max_context_search = p.context_search;
      c.max_context = p.context_search->found ? p.scenario.context : 0;
    } catch (const InputError&) {
      // not searchable on this hardware; the candidate keeps its ranking figures
    }
  }
}

/// Short-answer tasks: the best non-reasoning candidate within 10% of the best score goes first.
void prefer_direct_answers(Recommendation& out) {
  if (!out.task->short_answers || out.ranked.empty() || !out.ranked.front().reasoning_model) return;
  const double limit = k_near_best * out.ranked.front().score;
  const auto it = std::find_if(out.ranked.begin(), out.ranked.end(),
                               [&](const Candidate& c) { return !c.reasoning_model && c.score >= limit; });
  if (it != out.ranked.end()) std::rotate(out.ranked.begin(), it, it + 1);
}

}  // namespace

std::string_view preference_name(Preference p) { return name_in<Preference>(k_preferences, p); }

Recommendation recommend(const Catalog& cat, const RecommendRequest& r) {
  if (!r.cloud && !r.hardware) throw InputError("say what hardware you have (--vram, --gpu, --gpus, --ram) or --cloud");
  if (r.cloud && r.hardware && (!r.hardware->gpus.empty() || r.hardware->vram))
    throw InputError("--cloud chooses the GPUs; drop --gpu/--gpus/--vram, or drop --cloud to use yours");
  if (r.users == 0 || r.context < 2) throw InputError("--users must be at least 1 and --context at least 2 tokens");
  Recommendation out;
  out.task = &cat.require_task(r.task);
  out.prefer = r.prefer;
  const std::vector<Combo> combos = combinations(cat, r, *out.task);
  out.candidates = combos.size();
  if (r.budget_usd && !r.cloud) out.notes.push_back("--budget-usd applies to --cloud (what to rent or buy)");

  std::optional<Hardware> own;
  if (r.hardware) own = build_hardware(cat, *r.hardware);
  if (own && !own->assumed.empty()) out.notes.push_back("speeds assume a " + own->assumed);
  double best_feasible = 0;
  std::vector<const ModelSpec*> feasible_models;
  std::vector<Candidate> placed;
  std::map<std::string, Bytes> natives;
  for (const Combo& c : combos) {
    // Best-first: once the pick and its runners-up have distinct feasible models, a combination
    // scoring below k_near_best of the best can neither win nor rank as a runner-up.
    if (feasible_models.size() > k_runners_up && c.score < k_near_best * best_feasible) break;
    if (!c.benchmark) {
      out.rejected.push_back(rejected_before_placing(c, "no published " + out.task->id + " benchmark for this model"));
      continue;
    }
    if (!c.penalty) {
      out.rejected.push_back(rejected_before_placing(c, "no quality figure for this quant format"));
      continue;
    }
    if (own && c.engine->parallelism == Parallelism::tensor_parallel &&
        std::any_of(own->gpus.begin(), own->gpus.end(), [](const Device& d) { return d.device_class == DeviceClass::apple; })) {
      out.rejected.push_back(rejected_before_placing(c, c.engine->name + " needs CUDA or ROCm GPUs, not Apple's"));
      continue;
    }
    Scenario sc;
    sc.model = c.model->id;
    sc.quant = c.quant->id;
    sc.engine = c.engine->id;
    sc.context = r.context;
    sc.batch = r.users;
    ResolvedScenario s;
    MemoryEstimate m;
    try {
      s = resolve_scenario(cat, sc);
      m = estimate_memory(cat, s);
    } catch (const InputError& e) {
      out.rejected.push_back(rejected_before_placing(c, e.what()));
      continue;
    }
    // More bytes than the published weights and no better quality: never worth placing.
    const Bytes native = native_weights(cat, *c.model, natives);
    if (m.weights_loaded > native && c.quant->id != c.model->native_quant && c.penalty->factor <= 1.0 &&
        r.quants.empty()) {
      out.rejected.push_back(rejected_before_placing(
          c, fmt::format("{} B of weights, more than the published {} ({} B), for no quality gain",
                         m.weights_loaded.count(), c.model->native_quant, native.count())));
      continue;
    }
    std::vector<HardwareRequest> hardware;
    if (r.cloud) {
      const CloudOptions options = cloud_options(cat, s, m, r);
      hardware = options.hardware;
      if (hardware.empty()) {
        Candidate rejected = rejected_before_placing(
            c, options.cheapest_over_budget
                   ? fmt::format("the fewest rented GPUs that hold its {:.1f} GiB of weights cost ${:.0f} a month, "
                                 "above the budget of ${:.0f}",
                                 m.weights_loaded.gib(), *options.cheapest_over_budget, *r.budget_usd)
                   : fmt::format("needs {:.1f} GiB; no rented GPU type holds it within {} GPUs", m.total.gib(),
                                 r.max_gpus));
        rejected.memory_total = m.total;
        out.rejected.push_back(std::move(rejected));
        continue;
      }
    } else {
      hardware = own_options(*r.hardware);
    }
    for (const auto& h : hardware) {
      const Hardware hw = r.cloud || hardware.size() > 1 ? build_hardware(cat, h) : *own;
      std::vector<LayoutRequest> layouts{LayoutRequest{}};
      if (c.model->arch.is_moe() && s.engine->parallelism != Parallelism::tensor_parallel && hw.host.ram) {
        LayoutRequest offload;
        offload.offload_experts = true;
        layouts.push_back(offload);
      }
      for (const auto& l : layouts) {
        Candidate cand = evaluate(cat, c, s, m, Placement{&h, &hw, l}, r);
        if (cand.over_headroom) cand = with_headroom(cat, c, s, m, Placement{&h, &hw, l}, r, std::move(cand));
        if (cand.feasible) {
          best_feasible = std::max(best_feasible, cand.score);
          if (std::find(feasible_models.begin(), feasible_models.end(), cand.model) == feasible_models.end())
            feasible_models.push_back(cand.model);
        }
        placed.push_back(std::move(cand));
        ++out.placed;
      }
    }
  }
  for (auto& c : placed) (c.feasible ? out.ranked : out.rejected).push_back(std::move(c));
  std::stable_sort(out.ranked.begin(), out.ranked.end(),
                   [&](const Candidate& a, const Candidate& b) { return better(a, b, r.prefer, best_feasible, r.cloud); });
  prefer_direct_answers(out);
  std::stable_sort(out.rejected.begin(), out.rejected.end(),
                   [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
  explain(r, *out.task, out);
  if (r.context_max) add_max_contexts(cat, r, out);
  return out;
}

std::vector<Candidate> shortlist(const Recommendation& rec) {
  // The pick, then the best candidate of each other model (alternatives, not the pick's other
  // quants), then other files of the same models if fewer models qualify.
  const auto files = best_per_file(rec.ranked);
  std::vector<Candidate> out;
  std::vector<const ModelSpec*> models;
  for (const auto& c : files) {
    if (out.size() > k_runners_up) break;
    if (std::find(models.begin(), models.end(), c.model) != models.end()) continue;
    models.push_back(c.model);
    out.push_back(c);
  }
  for (const auto& c : files) {
    if (out.size() > k_runners_up) break;
    const bool taken = std::any_of(out.begin(), out.end(), [&](const Candidate& o) { return key_of(o) == key_of(c); });
    if (!taken) out.push_back(c);
  }
  return out;
}

std::vector<Candidate> notable_rejections(const Recommendation& rec, std::size_t max) {
  // Per model, its rejected variant closest to fitting (least memory) among those that would have
  // outscored the pick: "the 70B would be better, but even its smallest good quant needs X".
  const double floor = rec.ranked.empty() ? -1.0 : rec.ranked.front().score;
  std::vector<Candidate> out;
  const auto ranked = [&](const Candidate& c) {  // the same file fits in another engine or layout
    return std::any_of(rec.ranked.begin(), rec.ranked.end(),
                       [&](const Candidate& f) { return f.model == c.model && f.quant == c.quant; });
  };
  for (const auto& c : rec.rejected) {  // best score first, so models appear best first
    if (c.score <= floor || c.memory_total.count() == 0 || ranked(c)) continue;  // not even sized, or it fits
    const auto same = std::find_if(out.begin(), out.end(), [&](const Candidate& o) { return o.model == c.model; });
    if (same == out.end()) {
      if (out.size() < max) out.push_back(c);
    } else if (c.memory_total < same->memory_total) {
      *same = c;
    }
  }
  return out;
}

}  // namespace dsplan
