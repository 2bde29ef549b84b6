// Recommendation search: combinations are scored without hardware (benchmark x quant factor),
// then placed best-first on the hardware until no unplaced combination could still win. Each
// placement goes through the plan's evaluate_placement, the pipeline `estimate` prints.
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <tuple>

#include <fmt/format.h>

#include "core/recommend/recommend_steps.hpp"
#include "dsplan/base/error.hpp"
#include "dsplan/base/text.hpp"
#include "dsplan/model/attention.hpp"
#include "dsplan/model/quant.hpp"
#include "dsplan/scenario/scenario.hpp"
#include "dsplan/serving/memory.hpp"

namespace dsplan::detail {

namespace {

/// The prompt a candidate is timed with: half the context (the other half is the answer).
std::uint64_t prompt_tokens(std::uint64_t context) { return std::max<std::uint64_t>(1, context / 2); }

/// A model x quant x engine scored for the task, not yet placed (kept small: the search sorts
/// and walks over a thousand of them).
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

/// A named format none of the named engines loads is a usage error, as for estimate, not an
/// empty search (a search without candidates would blame the hardware).
void refuse_unloadable(const RecommendRequest& r, const std::vector<const QuantFormat*>& quants,
                       const std::vector<const EngineSpec*>& engines) {
  if (r.quants.empty() || engines.empty()) return;
  std::vector<std::string> names;
  for (const auto* e : engines) names.push_back(e->id);
  for (const auto* q : quants)
    if (std::none_of(engines.begin(), engines.end(), [&](const EngineSpec* e) {
          return std::find(q->engines.begin(), q->engines.end(), e->id) != q->engines.end();
        }))
      throw InputError(cannot_load_text(names, *q));
}

/// Every model x quant x engine the catalog allows, scored for the task.
std::vector<Combo> combinations(const Catalog& cat, const RecommendRequest& r, const TaskSpec& task) {
  const auto models =
      pick_named(cat.models, r.models, [&](const std::string& n) -> const ModelSpec& { return cat.require_model(n); });
  const auto quants = pick_named(cat.quants, r.quants,
                                 [&](const std::string& n) -> const QuantFormat& { return cat.require_quant(n); });
  std::vector<const EngineSpec*> engines;
  for (const auto& n : r.engines) engines.push_back(&cat.require_engine(n));
  refuse_unloadable(r, quants, engines);
  std::vector<Combo> out;
  for (const auto* m : models) {
    const auto benchmark = task_score(cat, *m, task);
    for (const auto* q : quants)
      for (const auto& engine_id : q->engines) {
        const EngineSpec* e = cat.find_engine(engine_id);
        if (!e) continue;
        if (!engines.empty() && std::find(engines.begin(), engines.end(), e) == engines.end()) continue;
        // Engines only for some searches (data/engines.json "recommend"); --engine names them back in.
        if (r.engines.empty() &&
            (e->recommend == RecommendScope::named || (r.cloud && e->recommend == RecommendScope::local)))
          continue;
        Combo c{m, q, e, benchmark, quant_penalty(*m, *q), 0};
        if (c.benchmark && c.penalty) c.score = c.benchmark->score * c.penalty->factor;
        out.push_back(std::move(c));
      }
  }
  stable_sort_by_index(out, [](const Combo& a, const Combo& b) { return a.score > b.score; });
  return out;
}

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

Candidate rejected_before_placing(const Combo& c, std::string reason) {
  Candidate out = candidate_of(c);
  out.reasons.push_back(std::move(reason));
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
  std::string text = join(parts, " + ");
  if (hw.host.ram) text += fmt::format("{}{:.0f} GiB RAM", parts.empty() ? "" : " + ", hw.host.ram->gib());
  if (text.empty()) text = "CPU only";
  return text;
}

struct Placement {
  const HardwareRequest* request = nullptr;
  const Hardware* hardware = nullptr;
  LayoutRequest layout;
  const TensorInventory* inventory = nullptr;  ///< the model's, kept by the search
  const Layout* planned = nullptr;             ///< plan_layout's layout of this hardware and layout, when known
};

/// Why a placement does not run as asked, in recommend's words; nothing when it fits.
std::optional<std::string> unfit_reason(const Evaluation& e, double headroom) {
  // An engine that cannot run the model here and memory it would not fit either: the memory
  // first, the blocker any engine meets (V4-Pro's 796 GiB on a 24 GB card).
  if (!e.layout.fits && !e.layout.unsupported.empty() && e.layout.reasons.size() > 1)
    return e.layout.reasons[1] + "; and " + e.layout.reasons.front();
  if (!e.layout.fits) return e.layout.reasons.empty() ? std::string("does not fit") : e.layout.reasons.front();
  if (e.needs_ram) return fmt::format("needs {:.1f} GiB of system RAM for its layers (give %ram%)", e.needs_ram->gib());
  if (e.over_headroom)
    return fmt::format("fills {:.1f}% of a device, leaving less than the {:.0f}% headroom", *e.fullest_device * 100,
                       headroom * 100);
  return std::nullopt;
}

/// The request's limits on a candidate that fits: speed per user, first-token latency, budget.
void check_limits(const RecommendRequest& r, Candidate& c) {
  if (c.per_user_tokens_per_s() < r.min_tokens_per_s)
    c.reasons.push_back(
        fmt::format("decodes {:.1f} tokens/s per user{}, below the required {:g}", c.per_user_tokens_per_s(),
                    r.users > 1 ? " while the other users' prompts are prefilled" : "", r.min_tokens_per_s));
  if (r.max_ttft_s && c.ttft_s() > *r.max_ttft_s)
    c.reasons.push_back(
        fmt::format("first token after {:.0f} ms for a {}-token prompt (half of %context%), above "
                    "the limit of {:.0f} ms",
                    c.ttft_s() * 1000, prompt_tokens(r.context), *r.max_ttft_s * 1000));
  if (r.budget_usd && r.cloud) {
    const bool monthly = r.budget_period == BudgetPeriod::month;
    const std::optional<double> spend = monthly ? c.usd_per_month() : c.upfront_usd();
    if (!spend)
      c.reasons.push_back(fmt::format("no price in the catalog for {}", c.hardware));
    else if (*spend > *r.budget_usd)
      c.reasons.push_back(fmt::format("costs ${:.0f}{}, above the budget of ${:.0f}", *spend,
                                      monthly ? " a month" : " to buy", *r.budget_usd));
  }
}

/// Places one combination on one hardware and measures it against the request.
Candidate evaluate(const Catalog& cat, const Combo& c, const ResolvedScenario& s, const MemoryEstimate& m,
                   const Placement& p, const RecommendRequest& r) {
  Candidate out = candidate_of(c);
  out.hardware = hardware_text(*p.hardware);
  out.placed_on = *p.request;
  out.layout_request = p.layout;
  out.gpus = p.hardware->gpu_count();
  out.rented = r.cloud;
  out.memory_total = m.total;
  PlacementRequest placement;
  placement.layout = p.layout;
  placement.throughput.prompt_tokens = prompt_tokens(r.context);
  placement.throughput.output_tokens = r.context - placement.throughput.prompt_tokens;
  placement.throughput.inventory = p.inventory;
  placement.planned = p.planned;
  placement.cost = r.cost;
  placement.headroom = r.headroom;
  placement.measure_unfit = false;  // a rejected placement shows no speed or cost
  placement.speed_bands = false;    // recommend ranks by the figures, not their ranges
  out.evaluation = std::make_shared<const Evaluation>(evaluate_placement(cat, s, m, *p.hardware, placement));
  if (auto reason = unfit_reason(*out.evaluation, r.headroom)) {
    out.reasons.push_back(std::move(*reason));
    return out;
  }
  check_limits(r, out);
  out.feasible = out.reasons.empty();
  return out;
}

/// System RAM, not a GPU, is the fullest device (known once the layout fits without assumed RAM).
bool ram_is_fullest(const Evaluation& e) {
  if (!e.fullest_device) return false;
  double gpu_fullest = 0;
  for (const auto& g : e.layout.gpus)
    if (g.capacity.count() > 0)
      gpu_fullest =
          std::max(gpu_fullest, static_cast<double>(g.total.count()) / static_cast<double>(g.capacity.count()));
  return *e.fullest_device > gpu_fullest;
}

bool over_headroom(const Candidate& c) { return c.evaluation && c.evaluation->over_headroom; }

/// The most GPUs of type `g` one rented deployment can have: the largest instance an offering
/// rents, or any count where an offering rents multi-node clusters of data-center parts with a
/// scale-up link (NVLink, Infinity Fabric); other cards come as single machines of one node.
std::uint64_t max_rentable_gpus(const Catalog& cat, const GpuSpec& g, bool tensor_parallel, std::uint64_t max_gpus) {
  std::uint64_t per_instance = 0;
  bool clusters = false;
  for (const auto& p : cat.cloud_prices) {
    if (p.gpu != g.id || !(p.usd_per_gpu_hour > 0)) continue;
    per_instance = std::max(per_instance, p.max_gpus_per_instance);
    clusters = clusters || p.multi_node;
  }
  clusters = clusters && tensor_parallel && g.device_class == "datacenter" && g.nvlink_bytes_per_s > 0;
  return clusters ? max_gpus : std::min({max_gpus, g.gpus_per_node, per_instance});
}

/// A layer-split placement that fills a device past the headroom: one block fewer on the GPUs at
/// a time, or with experts in RAM by block (--n-cpu-moe) one more block's experts in RAM, when RAM
/// is known to take them; or, renting, one more GPU (up to a node, an instance's shape and
/// --max-gpus).
Candidate with_headroom(const Catalog& cat, const Combo& c, const ResolvedScenario& s, const MemoryEstimate& m,
                        const Placement& p, const RecommendRequest& r, Candidate first) {
  constexpr std::uint64_t k_max_steps = 8;
  if (r.cloud) {
    HardwareRequest h = *p.request;
    const GpuSpec& g = cat.require_gpu(h.gpus[0].name);
    if (h.gpus.size() != 1 || h.nodes != 1 ||
        h.gpus[0].count >=
            std::min(g.gpus_per_node,
                     max_rentable_gpus(cat, g, s.engine->parallelism == Parallelism::tensor_parallel, r.max_gpus)))
      return first;
    ++h.gpus[0].count;
    const Hardware hw = build_hardware(cat, h);
    return evaluate(cat, c, s, m, Placement{&h, &hw, p.layout, p.inventory}, r);
  }
  // Moving blocks off the GPUs only helps when a GPU, not system RAM, is the full device.
  const auto can_step = [](const Candidate& cand) {
    return over_headroom(cand) && !ram_is_fullest(*cand.evaluation) && cand.evaluation->layout.gpu_layers > 0;
  };
  const auto one_block_fewer = [&](const Candidate& from) {
    LayoutRequest fewer = p.layout;
    const Layout& l = from.evaluation->layout;
    if (p.layout.n_cpu_moe_auto && l.experts_in_ram_blocks < l.gpu_layers) {
      fewer.n_cpu_moe_auto = false;
      fewer.n_cpu_moe = l.experts_in_ram_blocks + 1;
    } else {
      fewer.n_cpu_moe_auto = false;
      fewer.n_cpu_moe.reset();
      fewer.offload_experts = p.layout.n_cpu_moe_auto;
      fewer.gpu_layers = l.gpu_layers - 1;
    }
    return evaluate(cat, c, s, m, Placement{p.request, p.hardware, fewer, p.inventory}, r);
  };
  if (!p.hardware->host.ram || !can_step(first)) return first;
  Candidate cand = one_block_fewer(first);
  for (std::uint64_t step = 1; step < k_max_steps && can_step(cand); ++step) cand = one_block_fewer(cand);
  if (cand.feasible) return cand;
  return first;  // when no step helps, the first placement's reason stands
}

/// A placement whose prompt copies weights kept in RAM to the GPU, on an engine that can turn that
/// off: the same placement with the CPU computing them instead (--no-op-offload), when its prompt
/// is the faster. Decode and memory are the same either way.
Candidate with_faster_prompt(const Catalog& cat, const Combo& c, const ResolvedScenario& s, const MemoryEstimate& m,
                             const Placement& p, const RecommendRequest& r, Candidate first) {
  if (s.engine->op_offload_off_server_flag.empty() || !first.evaluation || !first.evaluation->throughput ||
      !copies_weights_in_ram(*first.evaluation->throughput))
    return first;
  // The CPU cannot beat the copy when, at its peak rates, computing the same FLOPs or reading the
  // same bytes from RAM takes longer: most desktops, which a second evaluation would only confirm.
  const auto& stages = first.evaluation->throughput->prefill_stages;
  const auto copy =
      std::find_if(stages.begin(), stages.end(), [](const StageTime& st) { return st.copy_then_compute; });
  const Host& host = p.hardware->host;
  const double cpu_flops = host.tflops * host.compute_share() * 1e12;
  const double ram_bytes = static_cast<double>(host.bandwidth_bytes_per_s);
  if (cpu_flops <= 0 || ram_bytes <= 0 ||
      std::max(copy->flops / cpu_flops, copy->read_bytes / ram_bytes) >= copy->total_s)
    return first;
  ResolvedScenario on_cpu = s;
  on_cpu.op_offload = false;
  Candidate alt =
      evaluate(cat, c, on_cpu, m,
               Placement{p.request, p.hardware, first.layout_request, p.inventory, &first.evaluation->layout}, r);
  if (!alt.evaluation->throughput || alt.prefill_tokens_per_s() <= first.prefill_tokens_per_s()) return first;
  alt.op_offload = false;
  alt.copied_prefill_tokens_per_s = first.prefill_tokens_per_s();
  return alt;
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

/// Several users of a latent-cache (MLA) model on a serving engine that offers data-parallel
/// attention: its ranks do not each hold every user's cache, so it may fit where TP does not.
bool may_use_dp_attention(const ResolvedScenario& s) {
  return s.engine->parallelism == Parallelism::tensor_parallel && !s.engine->dp_attention_replicated.empty() &&
         attention_of(s.model->arch).latent_cache && s.batch > 1;
}

/// Cloud: for each GPU type, the smallest count that holds the scenario (layer-split engines
/// stay within one 8-GPU node), and a smaller one with data-parallel attention where that fits;
/// each with the layout found while counting, which the search then times.
struct CloudOptions {
  std::vector<FittingCount> hardware;
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
    const std::uint64_t max = max_rentable_gpus(cat, g, tp, r.max_gpus);
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
    auto found = smallest_fitting_count(cat, s, m, h, LayoutRequest{}, max, std::max<std::uint64_t>(1, lower));
    const std::uint64_t n = found ? found->count : 0;  // 0: no count fits
    if (found) out.hardware.push_back(std::move(*found));
    if (may_use_dp_attention(s) && (n == 0 || n > 2)) {
      LayoutRequest dpa;
      dpa.dp_attention = true;
      if (auto fewer =
              smallest_fitting_count(cat, s, m, h, dpa, n > 0 ? n - 1 : max, std::max<std::uint64_t>(2, lower)))
        out.hardware.push_back(std::move(*fewer));
    }
  }
  return out;
}

/// Why no rented GPU type was tried: the budget, or no type holds it within --max-gpus.
std::string no_cloud_option_reason(const CloudOptions& options, const MemoryEstimate& m, const RecommendRequest& r) {
  if (options.cheapest_over_budget)
    return fmt::format(
        "the fewest rented GPUs that hold its {:.1f} GiB of weights cost ${:.0f} a month, "
        "above the budget of ${:.0f}",
        m.weights_loaded.gib(), *options.cheapest_over_budget, *r.budget_usd);
  return fmt::format("needs {:.1f} GiB; no rented GPU type holds it within {} GPUs", m.total.gib(), r.max_gpus);
}

/// The user's GPUs and, for a mixed list of up to four kinds, every part of it: a model that fits on
/// the faster card alone decodes faster there than split across a slower one (llama.cpp runs the
/// layers of a split one card after the other). More kinds would be too many parts: the fastest
/// kind alone, the two fastest, and so on by memory bandwidth, and each other kind alone.
std::vector<HardwareRequest> own_options(const Catalog& cat, const HardwareRequest& h) {
  std::vector<HardwareRequest> out{h};
  const std::size_t n = h.gpus.size();
  if (n < 2) return out;
  const auto part_of = [&](const std::vector<std::size_t>& kinds) {
    HardwareRequest part = h;
    part.gpus.clear();
    for (const std::size_t i : kinds) part.gpus.push_back(h.gpus[i]);
    return part;
  };
  if (n <= 4) {
    for (unsigned mask = 1; mask + 1 < (1U << n); ++mask) {
      std::vector<std::size_t> kinds;
      for (std::size_t i = 0; i < n; ++i)
        if ((mask & (1U << i)) != 0) kinds.push_back(i);
      out.push_back(part_of(kinds));
    }
    return out;
  }
  std::vector<std::size_t> by_speed(n);
  for (std::size_t i = 0; i < n; ++i) by_speed[i] = i;
  std::stable_sort(by_speed.begin(), by_speed.end(), [&](std::size_t a, std::size_t b) {
    return cat.require_gpu(h.gpus[a].name).bandwidth_bytes_per_s >
           cat.require_gpu(h.gpus[b].name).bandwidth_bytes_per_s;
  });
  for (std::size_t k = 1; k < n; ++k)
    out.push_back(
        part_of(std::vector<std::size_t>(by_speed.begin(), by_speed.begin() + static_cast<std::ptrdiff_t>(k))));
  for (std::size_t k = 1; k < n; ++k) out.push_back(part_of({by_speed[k]}));
  return out;
}

/// The user's GPUs as a tensor-parallel engine spans them: more than a node holds are whole nodes
/// (in_whole_nodes, as estimate places them), or the reason they cannot be.
struct OwnInNodes {
  std::optional<std::pair<HardwareRequest, Hardware>> split;  ///< set when the GPUs fill several nodes
  std::string error;                                          ///< not whole nodes
};

OwnInNodes own_in_nodes(const Catalog& cat, const HardwareRequest& h) {
  OwnInNodes out;
  try {
    HardwareRequest nodes = in_whole_nodes(cat, h, true);
    if (nodes.nodes != h.nodes) out.split.emplace(nodes, build_hardware(cat, nodes));
  } catch (const InputError& e) {
    out.error = e.what();
  }
  return out;
}

/// The default layout and, for a MoE model on a layer-split engine with GPUs and RAM, routed
/// experts in RAM for as few blocks as the GPUs need (llama.cpp --n-cpu-moe): the GPU memory left
/// after the dense parts holds the later blocks' experts, which then decode at GPU speed. For
/// several users of a latent-cache (MLA) model on a serving engine over several GPUs, also
/// data-parallel attention, whose ranks do not each hold every user's cache (tried only when
/// tensor parallelism does not fit: its speeds are not calibrated yet).
std::vector<LayoutRequest> layouts_for(const Combo& c, const ResolvedScenario& s, const Hardware& hw, double headroom) {
  LayoutRequest base;
  // Where dsplan splits the model itself, it leaves recommend's headroom by moving weights to RAM;
  // without RAM the layouts are the same either way (and the GPU count search's can be reused).
  base.headroom = hw.host.ram ? headroom : 0.0;
  std::vector<LayoutRequest> out{base};
  if (may_use_dp_attention(s) && hw.gpu_count() > 1) {
    LayoutRequest dpa = base;
    dpa.dp_attention = true;
    out.push_back(dpa);
  }
  if (c.model->arch.is_moe() && s.engine->experts_in_ram && hw.host.ram && !hw.gpus.empty()) {
    LayoutRequest offload = base;
    offload.n_cpu_moe_auto = true;
    out.push_back(offload);
  }
  return out;
}

/// Why a combination is not placed at all, before sizing it: nothing to rank it by, or an engine
/// that cannot run on the user's GPUs.
std::optional<std::string> unplaceable_reason(const Combo& c, const TaskSpec& task,
                                              const std::optional<Hardware>& own) {
  if (!c.benchmark) return fmt::format("no published {} benchmark for this model", task.id);
  if (!c.penalty) return std::string("no quality figure for this quant format");
  if (own && c.engine->parallelism == Parallelism::tensor_parallel && !own->gpus.empty())
    return tensor_parallel_refusal(c.engine->name, *own);
  return std::nullopt;
}

/// What the search has placed so far, and when the rest cannot win.
struct Placed {
  std::vector<Candidate> candidates;
  std::vector<const ModelSpec*> feasible_models;
  double best_feasible = 0;

  /// Best-first: once the pick and its runners-up have distinct feasible models, a combination
  /// scoring below k_near_best of the best can neither win nor rank as a runner-up.
  [[nodiscard]] bool settled_before(const Combo& next) const {
    return feasible_models.size() > k_runners_up && next.score < k_near_best * best_feasible;
  }

  void add(Candidate c) {
    if (c.feasible) {
      best_feasible = std::max(best_feasible, c.score);
      if (std::find(feasible_models.begin(), feasible_models.end(), c.model) == feasible_models.end())
        feasible_models.push_back(c.model);
    }
    candidates.push_back(std::move(c));
  }
};

/// What was computed once per model or format and is reused across combinations: the published
/// weights' size per model, and the weights (counts, stored tensors) per model, format and file
/// layout, which do not depend on the engine (a format runs on several).
struct SearchCache {
  std::map<std::string, Bytes> natives;
  std::map<const ModelSpec*, TensorInventory> inventories;
  std::map<std::tuple<const ModelSpec*, const QuantFormat*, std::string, bool>, ModelWeights> weights;

  const TensorInventory& inventory_of(const ModelSpec* model) {
    auto it = inventories.find(model);
    if (it == inventories.end()) it = inventories.emplace(model, build_inventory(model->arch)).first;
    return it->second;
  }

  const ModelWeights& weights_of(const Catalog& cat, const ResolvedScenario& s) {
    const auto key = std::make_tuple(s.model, s.quant, s.layout.container, s.layout.legacy_mla_gguf);
    auto it = weights.find(key);
    if (it == weights.end()) it = weights.emplace(key, estimate_weights(cat, s, inventory_of(s.model))).first;
    return it->second;
  }
};

/// Sizes one combination and places it on each hardware option in each layout, into `placed`; a
/// combination rejected before placing comes back instead.
std::optional<Candidate> place(const Catalog& cat, const RecommendRequest& r, const TaskSpec& task,
                               const std::optional<Hardware>& own, const OwnInNodes& in_nodes, const Combo& c,
                               SearchCache& cache, Placed& placed) {
  if (auto reason = unplaceable_reason(c, task, own)) return rejected_before_placing(c, std::move(*reason));
  const bool spans_nodes = c.engine->parallelism == Parallelism::tensor_parallel && !r.cloud;
  if (spans_nodes && !in_nodes.error.empty()) return rejected_before_placing(c, in_nodes.error);
  Scenario sc;
  sc.model = c.model->id;
  sc.quant = c.quant->id;
  sc.engine = c.engine->id;
  sc.context = r.context;
  sc.batch = r.users;
  if (own)  // a V100: the safetensors engines run BF16 models in FP16 there (--dtype half)
    for (const Device& d : own->gpus)
      if (!d.bf16) {
        sc.gpu_without_bf16 = d.name;
        break;
      }
  ResolvedScenario s;
  MemoryEstimate m;
  try {
    s = resolve_scenario(cat, sc);
    m = estimate_memory(cat, s, cache.weights_of(cat, s));
  } catch (const InputError& e) {
    return rejected_before_placing(c, e.what());
  }
  // More bytes than the published weights and no better quality: never worth placing.
  const Bytes native = native_weights(cat, *c.model, cache.natives);
  if (m.weights_loaded > native && c.quant->id != c.model->native_quant && c.penalty->factor <= 1.0 && r.quants.empty())
    return rejected_before_placing(
        c, fmt::format("{} B of weights, more than the published {} ({} B), for no quality gain",
                       m.weights_loaded.count(), c.model->native_quant, native.count()));
  // `counted`: the placement found while counting GPUs, reused for the same layout request.
  const auto place_on = [&](const HardwareRequest& h, const Hardware& hw, const FittingCount* counted) {
    bool tp_fits = false;
    for (const auto& l : layouts_for(c, s, hw, r.headroom)) {
      if (l.dp_attention && tp_fits) continue;
      const Placement p{&h, &hw, l, &cache.inventory_of(s.model),
                        counted && counted->layout_request == l ? &counted->layout : nullptr};
      Candidate cand = evaluate(cat, c, s, m, p, r);
      tp_fits = tp_fits || (!l.dp_attention && cand.fits());
      if (over_headroom(cand)) cand = with_headroom(cat, c, s, m, p, r, std::move(cand));
      if (cand.fits()) cand = with_faster_prompt(cat, c, s, m, p, r, std::move(cand));
      placed.add(std::move(cand));
    }
  };
  if (r.cloud) {
    const CloudOptions options = cloud_options(cat, s, m, r);
    if (options.hardware.empty()) {
      Candidate rejected = rejected_before_placing(c, no_cloud_option_reason(options, m, r));
      rejected.memory_total = m.total;
      return rejected;
    }
    for (const auto& o : options.hardware) place_on(o.request, o.hardware, &o);
  } else {
    const std::vector<HardwareRequest> parts = own_options(cat, *r.hardware);
    if (spans_nodes && in_nodes.split)  // as estimate places them: whole nodes of the GPU's gpus_per_node
      place_on(in_nodes.split->first, in_nodes.split->second, nullptr);
    else if (parts.size() == 1)
      place_on(parts.front(), *own, nullptr);
    else
      for (const auto& h : parts) place_on(h, build_hardware(cat, h), nullptr);
  }
  return std::nullopt;
}

}  // namespace

double search(const Catalog& cat, const RecommendRequest& r, Recommendation& out) {
  const std::vector<Combo> combos = combinations(cat, r, *out.task);
  out.candidates = combos.size();
  std::optional<Hardware> own;
  if (r.hardware) own = build_hardware(cat, *r.hardware);
  const OwnInNodes in_nodes = r.hardware && !r.cloud ? own_in_nodes(cat, *r.hardware) : OwnInNodes{};
  if (own && !own->assumed.empty()) out.notes.push_back(fmt::format("speeds assume a {}", own->assumed));
  if (own && own->host.ram)
    if (const auto cpu = assumed_cpu(cat, *r.hardware, *own))
      out.notes.push_back(
          fmt::format("placements with weights in system RAM assume {} as the CPU: give %cpu% for yours", *cpu));
  Placed placed;
  SearchCache cache;
  for (const Combo& c : combos) {
    if (placed.settled_before(c)) break;
    if (auto rejected = place(cat, r, *out.task, own, in_nodes, c, cache, placed))
      out.rejected.push_back(std::move(*rejected));
  }
  out.placed = placed.candidates.size();
  for (auto& c : placed.candidates) (c.feasible ? out.ranked : out.rejected).push_back(std::move(c));
  return placed.best_feasible;
}

}  // namespace dsplan::detail
