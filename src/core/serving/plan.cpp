// One request through every estimator: memory, then (with hardware) layout, throughput, cost,
// and capacity for a user count.
#include "dsplan/serving/plan.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "dsplan/base/error.hpp"
#include "dsplan/base/setting.hpp"
#include "dsplan/base/text.hpp"
#include "dsplan/model/quant.hpp"

namespace dsplan {

namespace {

ThroughputRequest throughput_request(const PlanRequest& r, std::uint64_t context) {
  ThroughputRequest t;
  if (context < 2)  // as recommend requires: a prompt token and one generated
    throw InputError(
        fmt::format("%context% {}: timing a request needs at least 2 tokens (a prompt token and an "
                    "output token); without hardware dsplan sizes any context",
                    context));
  t.prompt_tokens = r.prompt_tokens.value_or(std::max<std::uint64_t>(1, context / 2));
  if (t.prompt_tokens >= context)
    throw InputError(fmt::format("%prompt% {} leaves no room to generate in a context of {} tokens", t.prompt_tokens,
                                 context));
  t.output_tokens = r.output_tokens.value_or(context - t.prompt_tokens);
  if (t.output_tokens == 0 || t.prompt_tokens + t.output_tokens > context)
    throw InputError(fmt::format("%prompt% {} + %output% {} exceed the context of {} tokens", t.prompt_tokens,
                                 t.output_tokens, context));
  return t;
}

/// Speed and, when asked, the published ranges around it and the cost of a placement that runs.
void measure(const Catalog& cat, const ResolvedScenario& s, const MemoryEstimate& m, const Hardware& hw,
             const PlacementRequest& r, Derivation* explain, Evaluation& e) {
  e.throughput = estimate_throughput(s, m, e.layout, hw, r.throughput, explain);
  if (r.speed_bands) attach_speed_bands(cat, s, e.layout, *e.throughput, explain);
  if (r.cost)
    // Per output token of a server that also prefills each request's prompt.
    e.cost = estimate_cost(cat, hw, e.throughput->served_tokens_per_s, *r.cost,
                           HostNeeds{e.layout.cpu.total, m.download}, explain);
}

/// The scenario at another batch size on the same hardware: memory again (the KV cache grows), then
/// the placement. Capacity compares speeds only: no ranges, no prices.
Evaluation evaluate_batch(const Catalog& cat, const PlanRequest& r, std::uint64_t batch, const Hardware& hw,
                          const ThroughputRequest& tr) {
  Scenario sc = scenario_on_hardware(cat, r);
  sc.batch = batch;
  const ResolvedScenario s = resolve_scenario(cat, sc);
  const MemoryEstimate m = estimate_memory(cat, s, false);
  PlacementRequest placement;
  placement.layout = r.layout;
  placement.throughput = tr;
  placement.cost = std::nullopt;
  placement.speed_bands = false;
  return evaluate_placement(cat, s, m, hw, placement);
}

/// Largest batch that fits and keeps every sequence at or above the target speed.
CapacityPlan plan_capacity(const Catalog& cat, const PlanRequest& r, const Hardware& hw, const ThroughputRequest& tr,
                           const std::optional<CostEstimate>& cost_at_batch_one) {
  CapacityPlan c;
  c.users = *r.users;
  c.target_tokens_per_s = r.target_tokens_per_s.value_or(0.0);
  const auto good = [&](std::uint64_t batch, double& tps) {
    const Evaluation e = evaluate_batch(cat, r, batch, hw, tr);
    // The batch must fit as estimate would place it: no layers in system RAM that was not given.
    if (!e.throughput || !e.fits) return false;
    tps = e.throughput->served_decode_tokens_per_s;  // users keep arriving: their prefills interleave
    return tps >= c.target_tokens_per_s;
  };
  double tps = 0;
  if (!good(1, tps)) return c;  // not even one user at the target
  std::uint64_t lo = 1;
  double lo_tps = tps;
  std::uint64_t hi = 2;
  while (hi <= std::max<std::uint64_t>(c.users, 1) && good(hi, tps)) {
    lo = hi;
    lo_tps = tps;
    hi *= 2;
  }
  hi = std::min<std::uint64_t>(hi, std::max<std::uint64_t>(c.users, 1) + 1);
  while (hi - lo > 1) {
    const std::uint64_t mid = lo + (hi - lo) / 2;
    if (good(mid, tps)) {
      lo = mid;
      lo_tps = tps;
    } else {
      hi = mid;
    }
  }
  c.sequences_per_replica = std::min<std::uint64_t>(lo, std::max<std::uint64_t>(c.users, 1));
  c.tokens_per_s_at_that_batch = lo_tps;
  c.replicas = ceil_div(std::max<std::uint64_t>(c.users, 1), c.sequences_per_replica);
  c.gpus = c.replicas * hw.gpu_count();
  if (cost_at_batch_one && cost_at_batch_one->cloud) {
    c.cloud_usd_per_hour = cost_at_batch_one->cloud->usd_per_hour * static_cast<double>(c.replicas);
    c.cloud_usd_per_month = *c.cloud_usd_per_hour * k_hours_per_month;
    const double tokens_per_hour = static_cast<double>(c.users) * c.tokens_per_s_at_that_batch * 3600.0;
    if (tokens_per_hour > 0) c.cloud_usd_per_million_tokens = *c.cloud_usd_per_hour / tokens_per_hour * 1e6;
  }
  return c;
}

/// With --count auto and --users: the per-replica count that serves the users with the fewest
/// GPUs in all (more GPUs per replica can be faster per user, so the smallest fit is not always best).
std::uint64_t best_count_for_users(const Catalog& cat, const PlanRequest& r, const PlanResult& p,
                                   std::uint64_t smallest, const ThroughputRequest& tr) {
  const bool tp = p.scenario.engine->parallelism == Parallelism::tensor_parallel;
  std::uint64_t best = smallest;
  std::uint64_t best_total = UINT64_MAX;
  for (std::uint64_t n = smallest; n <= r.max_count; n = tp ? next_tensor_parallel_count(cat, *r.hardware, n) : n + 1) {
    if (best_total != UINT64_MAX && n > best_total) break;
    const Hardware hw = build_hardware(cat, with_gpu_count(cat, *r.hardware, n, tp));
    const CapacityPlan c = plan_capacity(cat, r, hw, tr, std::nullopt);
    if (c.replicas > 0 && c.gpus < best_total) {
      best_total = c.gpus;
      best = n;
    }
  }
  return best;
}

/// When a count of one GPU type does not hold the scenario on its GPUs: the smallest count that
/// does, as the flags that give it ("--count auto", and "--count 8 --nodes 2" past one node).
std::optional<std::string> larger_count_hint(const Catalog& cat, const PlanRequest& r, const PlanResult& p) {
  const HardwareRequest& h = *r.hardware;
  if (!r.suggest_count || r.count_auto || h.gpus.size() != 1 || h.vram) return std::nullopt;
  const std::uint64_t have = p.hardware->gpu_count();
  if (have >= r.max_count) return std::nullopt;
  const auto n = smallest_gpu_count(cat, p.scenario, p.memory, h, r.layout, r.max_count, have + 1);
  if (!n) return std::nullopt;
  const bool tp = p.scenario.engine->parallelism == Parallelism::tensor_parallel;
  const HardwareRequest fitted = with_gpu_count(cat, h, *n, tp);
  const std::string flags = fitted.nodes > 1 ? fmt::format("%count% {} %nodes% {}", fitted.gpus.front().count, fitted.nodes)
                                             : fmt::format("%count% {}", *n);
  return fmt::format("{} x {} hold it on GPUs: %count% auto, or {}", *n, p.hardware->gpus.front().name, flags);
}

/// No layout option given, a MoE model on an engine that can keep routed experts in RAM: when it
/// does not fit its GPUs, llama.cpp's parameter fitting (PR #16653, on by default) keeps every
/// block's dense weights on the GPUs first and moves the first blocks' routed experts to RAM, which
/// `--n-cpu-moe auto` reproduces. Whole blocks in RAM are what an explicit `-ngl` gives.
bool experts_first_default(const PlanRequest& r, const ResolvedScenario& s, const Hardware& hw) {
  const LayoutRequest& asked = r.layout;
  return !asked.gpu_layers && !asked.offload_experts && !asked.n_cpu_moe && !asked.n_cpu_moe_auto &&
         asked.tensor_split.empty() && s.model->arch.is_moe() && s.engine->experts_in_ram &&
         s.engine->parallelism == Parallelism::layer_split && !hw.gpus.empty();
}

/// The note for an experts-first placement: what it keeps in RAM, and what whole blocks would give.
std::string experts_first_note(const Evaluation& experts, const Evaluation& whole) {
  std::string instead = whole.layout.fits
                            ? fmt::format("%gpu_layers% {} keeps whole blocks in RAM ({} of {} blocks on the CPU)",
                                          whole.layout.gpu_layers, whole.layout.cpu.layers, whole.blocks)
                            : std::string("whole blocks in RAM would not fit");
  if (whole.throughput && experts.throughput) {
    const double a = whole.throughput->decode_tokens_per_s, b = experts.throughput->decode_tokens_per_s;
    // One memory for CPU and GPU (a Mac) reads both placements at one speed.
    instead += std::abs(a - b) <= 0.02 * b ? fmt::format(": about as fast, ~{:.1f} tokens/s", a)
                                           : fmt::format(": ~{:.1f} tokens/s instead of {:.1f}", a, b);
  }
  const std::uint64_t n = experts.layout.experts_in_ram_blocks;
  // With every expert in RAM, a long context's cache and buffers may still leave room for few blocks.
  const std::string rest =
      experts.layout.gpu_layers >= experts.blocks + 1
          ? fmt::format("the rest of every block sits on the GPUs (%n_cpu_moe% {})", n)
          : fmt::format(
                "even so only {} of the {} layers fit the GPUs beside the KV cache and buffers, the rest "
                "running on the CPU",
                experts.layout.gpu_layers, experts.blocks + 1);
  return fmt::format(
      "a MoE model that does not fit its GPUs: the routed experts of the first {} of {} blocks stay in RAM and {}, "
      "as llama.cpp's own fitting places it; {}",
      n, experts.blocks, rest, instead);
}

/// The placement run_plan times: the requested one, or (experts_first_default) experts in RAM where
/// whole blocks would spill to the CPU and that placement fits, with a note saying so. The
/// candidates are timed without --explain's derivation, and the chosen one again with it.
Evaluation place_and_time(const Catalog& cat, const PlanRequest& r, PlanResult& p, PlacementRequest placement) {
  Derivation* explain = r.explain ? &p.memory.derivation : nullptr;
  const auto evaluate = [&](const PlacementRequest& pr, Derivation* d) {
    return evaluate_placement(cat, p.scenario, p.memory, *p.hardware, pr, d);
  };
  const auto chosen = [&](const PlacementRequest& pr, Evaluation timed) {
    return explain ? evaluate(pr, explain) : timed;
  };
  if (!experts_first_default(r, p.scenario, *p.hardware)) return evaluate(placement, explain);
  Evaluation whole = evaluate(placement, nullptr);
  if (whole.layout.fits && whole.layout.cpu.layers == 0) return chosen(placement, std::move(whole));
  PlacementRequest experts_first = placement;
  experts_first.layout.n_cpu_moe_auto = true;
  Evaluation experts = evaluate(experts_first, nullptr);
  if (!experts.layout.fits) return chosen(placement, std::move(whole));
  p.notes.push_back(experts_first_note(experts, whole));
  return chosen(experts_first, std::move(experts));
}

/// The layout request the chosen placement came from: the experts-first default where it applied.
LayoutRequest placed_with(const PlanRequest& r, const PlanResult& p) {
  LayoutRequest out = r.layout;
  if (experts_first_default(r, p.scenario, *p.hardware) && p.layout->experts_in_ram_blocks > 0)
    out.n_cpu_moe_auto = true;
  return out;
}

/// Weights in RAM at the engine's default micro-batch: the larger one to try (4,096 tokens, as
/// ubergarm's model cards run llama.cpp and ik_llama.cpp, or the whole prompt when shorter).
std::optional<std::uint64_t> larger_ubatch_to_try(const PlanRequest& r, const PlanResult& p) {
  constexpr std::uint64_t k_large_ubatch = 4096;
  const ResolvedScenario& s = p.scenario;
  if (r.scenario.ubatch != 0 || !p.throughput || !p.layout || !s.engine->performance.expert_prefill_over_pcie ||
      s.engine->parallelism != Parallelism::layer_split || p.hardware->gpus.empty() ||
      (p.layout->experts_in_ram_blocks == 0 && p.layout->cpu.layers == 0))
    return std::nullopt;
  const std::uint64_t ubatch = std::min(k_large_ubatch, p.throughput_request->prompt_tokens);
  if (ubatch <= s.ubatch) return std::nullopt;
  return ubatch;
}

/// The same request, with `change` made to its scenario, placed and timed as the plan was; `m`
/// receives its memory.
template <typename Change>
Evaluation reevaluated(const Catalog& cat, const PlanRequest& r, const PlanResult& p, Change change,
                       MemoryEstimate& m) {
  Scenario sc = scenario_on_hardware(cat, r);
  change(sc);
  const ResolvedScenario s = resolve_scenario(cat, sc);
  m = estimate_memory(cat, s, false);
  PlacementRequest placement;
  placement.layout = placed_with(r, p);
  placement.throughput = *p.throughput_request;
  return evaluate_placement(cat, s, m, *p.hardware, placement);
}

/// A larger micro-batch copies the weights kept in RAM to the GPU once per batch of its size, and
/// lets ik_llama.cpp copy its experts at all (it does from 32 x E / k tokens per batch). Said when
/// it makes the prompt at least 1.5 times faster and still fits.
std::optional<std::string> larger_ubatch_note(const Catalog& cat, const PlanRequest& r, const PlanResult& p) {
  const auto ubatch = larger_ubatch_to_try(r, p);
  if (!ubatch) return std::nullopt;
  MemoryEstimate m;
  Evaluation e;
  try {
    e = reevaluated(
        cat, r, p, [&](Scenario& sc) { sc.ubatch = *ubatch; }, m);
  } catch (const InputError&) {
    return std::nullopt;  // a setting the other batch does not allow: nothing to suggest
  }
  if (!e.fits || !e.throughput) return std::nullopt;
  const Throughput& now = *p.throughput;
  const Throughput& then = *e.throughput;
  if (then.prefill_tokens_per_s < 1.5 * now.prefill_tokens_per_s) return std::nullopt;
  const std::uint64_t current = p.scenario.ubatch;
  const std::string how =
      copies_weights_in_ram(now)
          ? fmt::format("copies the weights kept in RAM to the GPU once per {} prompt tokens instead of once per {}",
                        *ubatch, current)
          : fmt::format(
                "has the GPU compute the routed experts kept in RAM, copied to it once per {} prompt tokens "
                "(at {} tokens per batch {} leaves them to the CPU)",
                *ubatch, current, p.scenario.engine->id);
  const std::string decode = std::abs(then.decode_tokens_per_s / now.decode_tokens_per_s - 1.0) > 0.02
                                 ? fmt::format(" (decode ~{:.1f} tokens/s instead of {:.1f})", then.decode_tokens_per_s,
                                               now.decode_tokens_per_s)
                                 : std::string();
  return fmt::format(
      "prompt speed: %ubatch% {} {}: ~{:.0f} tokens/s instead of {:.0f}, for {:.2f} GiB more compute buffer{}", *ubatch,
      how, then.prefill_tokens_per_s, now.prefill_tokens_per_s, m.total.gib() - p.memory.total.gib(), decode);
}

/// The weights kept in RAM copied to the GPU from mapped (pageable) memory, by an engine that pins
/// them with --no-mmap: how much faster the prompt runs pinned. Said from 1.2 times faster.
std::optional<std::string> pinned_memory_note(const Catalog& cat, const PlanRequest& r, const PlanResult& p) {
  if (!p.throughput || r.scenario.no_mmap || p.scenario.engine->pinned_host_weights == PinnedHostWeights::never)
    return std::nullopt;
  const auto& stages = p.throughput->prefill_stages;
  if (std::none_of(stages.begin(), stages.end(), [](const StageTime& st) { return st.pageable_copy; }))
    return std::nullopt;
  MemoryEstimate m;
  const Evaluation e = reevaluated(
      cat, r, p, [](Scenario& sc) { sc.no_mmap = true; }, m);
  if (!e.throughput || e.throughput->prefill_tokens_per_s < 1.2 * p.throughput->prefill_tokens_per_s)
    return std::nullopt;
  return fmt::format(
      "prompt speed: %no_mmap% reads the weights kept in RAM into pinned memory, which the GPU copies from {:.1f}x "
      "as fast as from the mapped file: ~{:.0f} tokens/s instead of {:.0f} (the {:.1f} GiB are then locked in RAM)",
      1.0 / p.scenario.engine->performance.pageable_host_link_factor, e.throughput->prefill_tokens_per_s,
      p.throughput->prefill_tokens_per_s, p.layout->cpu.total.gib());
}

/// Weights kept in RAM, by an engine that can turn its op offload off: whether the CPU computing
/// the prompt's work on them (--no-op-offload) or the GPU computing it after copying them is the
/// faster, when the plan runs the other. Said from 1.2 times faster.
std::optional<std::string> op_offload_note(const Catalog& cat, const PlanRequest& r, const PlanResult& p) {
  const ResolvedScenario& s = p.scenario;
  if (!p.throughput || s.engine->op_offload_off_server_flag.empty() || !p.layout ||
      (p.layout->experts_in_ram_blocks == 0 && p.layout->cpu.layers == 0))
    return std::nullopt;
  const bool copies = copies_weights_in_ram(*p.throughput);
  if (s.op_offload && !copies) return std::nullopt;  // micro-batches too small to copy: the CPU computes already
  MemoryEstimate m;
  const Evaluation e = reevaluated(
      cat, r, p, [&](Scenario& sc) { sc.no_op_offload = s.op_offload; }, m);
  if (!e.throughput || e.throughput->prefill_tokens_per_s < 1.2 * p.throughput->prefill_tokens_per_s)
    return std::nullopt;
  if (!s.op_offload && !copies_weights_in_ram(*e.throughput)) return std::nullopt;
  const std::string how =
      s.op_offload
          ? "%no_op_offload% has the CPU compute the prompt's work on the weights kept in RAM instead of copying them "
            "to the GPU"
          : "without %no_op_offload% the GPU computes the prompt's work on the weights kept in RAM, copying them to it";
  return fmt::format("prompt speed: {} once per {} prompt tokens: ~{:.0f} tokens/s instead of {:.0f}", how, s.ubatch,
                     e.throughput->prefill_tokens_per_s, p.throughput->prefill_tokens_per_s);
}

/// Weights in RAM with no CPU named: their speed is the catalog's default desktop's, which says so.
std::optional<std::string> assumed_cpu_note(const Catalog& cat, const PlanRequest& r, const PlanResult& p) {
  const auto cpu = assumed_cpu(cat, *r.hardware, *p.hardware);
  if (!cpu || !p.layout) return std::nullopt;
  const bool uses_cpu = p.hardware->gpus.empty() || p.layout->experts_in_ram_blocks > 0 ||
                        keeps_layers_in_ram(*p.layout, p.memory.weights.block_bytes.size());
  if (!uses_cpu) return std::nullopt;
  return fmt::format(
      "the weights in system RAM run on an assumed CPU, {}, which sets their speed: give %cpu% for "
      "yours ('dsplan list cpus')",
      *cpu);
}

}  // namespace

namespace {
LaunchSettings launch_settings(const ResolvedScenario& s, const Layout& l, const Hardware& hw) {
  LaunchSettings out;
  if (s.kv_type->id != s.engine->default_kv_type) out.kv_type = s.kv_type->id;
  out.flash_attention = s.flash_attention;
  out.mmap = s.mmap;
  out.op_offload = s.op_offload;
  out.speculative_tokens = s.speculative_tokens;
  out.half_precision = s.half_precision;
  out.nodes = hw.nodes;
  out.threads = hw.host.threads;
  if (s.ubatch != s.engine->default_ubatch) out.ubatch = s.ubatch;
  if (l.strategy == LayoutStrategy::tensor_parallel && !hw.gpus.empty() && !l.gpus.empty() &&
      hw.gpus.front().memory.count() > 0)
    out.gpu_memory_utilization =
        static_cast<double>(l.gpus.front().capacity.count()) / static_cast<double>(hw.gpus.front().memory.count());
  return out;
}

}  // namespace

Evaluation evaluate_placement(const Catalog& cat, const ResolvedScenario& s, const MemoryEstimate& m, const Hardware& hw,
                              const PlacementRequest& r, Derivation* explain) {
  Evaluation e;
  e.layout = r.planned ? *r.planned : plan_layout(cat, s, m, hw, r.layout);
  e.blocks = m.weights.block_bytes.size();
  // dsplan does not assume system RAM it was not told about.
  if (!hw.host.ram && keeps_layers_in_ram(e.layout, e.blocks)) e.needs_ram = e.layout.cpu.total;
  if (e.layout.fits && !e.needs_ram) {
    e.fullest_device = fullest_device_fraction(e.layout);
    e.over_headroom = r.headroom && !leaves_headroom(e.layout, s.engine->parallelism, *r.headroom);
  }
  e.fits = e.layout.fits && !e.needs_ram && !e.over_headroom;
  e.launch = launch_settings(s, e.layout, hw);
  if (e.fits || (r.measure_unfit && e.layout.fits)) measure(cat, s, m, hw, r, explain, e);
  return e;
}

namespace {

/// Settings that place, time or price the model. Without hardware nothing is placed, timed or
/// priced, so they would be silently ignored: they are refused instead.
std::vector<Setting> hardware_settings_given(const PlanRequest& r) {
  std::vector<Setting> out;
  const auto given = [&](bool set, Setting s) {
    if (set) out.push_back(s);
  };
  given(r.layout.gpu_layers.has_value(), Setting::gpu_layers);
  given(r.scenario.no_mmap, Setting::no_mmap);  // how weights in RAM are read and computed: timing only
  given(r.scenario.no_op_offload, Setting::no_op_offload);
  given(r.layout.offload_experts, Setting::offload_experts);
  given(r.layout.n_cpu_moe.has_value() || r.layout.n_cpu_moe_auto, Setting::n_cpu_moe);
  given(!r.layout.tensor_split.empty(), Setting::tensor_split);
  given(r.layout.tensor_parallel.has_value(), Setting::tp);
  given(r.layout.pipeline_parallel.has_value(), Setting::pp);
  given(r.layout.gpu_memory_utilization.has_value(), Setting::gpu_memory_utilization);
  given(r.prompt_tokens.has_value(), Setting::prompt);
  given(r.output_tokens.has_value(), Setting::output);
  given(r.cost.usd_per_gpu_hour.has_value(), Setting::price);
  given(r.cost.purchase_usd_per_gpu.has_value(), Setting::purchase_price);
  given(r.cost.host_usd_per_node.has_value(), Setting::host_price);
  given(r.cost.tokens_per_day.has_value(), Setting::tokens_per_day);
  given(r.cost.electricity_usd_per_kwh.has_value(), Setting::kwh_price);
  given(r.cost.pue.has_value(), Setting::pue);
  given(r.cost.years.has_value(), Setting::years);
  given(r.cost.maintenance_fraction_per_year.has_value(), Setting::maintenance);
  return out;
}

std::string binary_size(Bytes b) {
  const double bytes = static_cast<double>(b.count());
  return bytes < 1024.0 * 1024 ? fmt::format("{:.1f} KiB", bytes / 1024)
                               : fmt::format("{:.2f} MiB", bytes / (1024.0 * 1024));
}

/// A GGUF that keeps attn_kv_b whole makes llama.cpp cache per-head K and V, 71 times the latent;
/// an engine that caches the latent of such files (ik_llama.cpp) loads the same file.
std::optional<std::string> latent_engine_note(const Catalog& cat, const PlanResult& p) {
  const ResolvedScenario& s = p.scenario;
  if (!s.legacy_mla_gguf || s.mla_cache != MlaCacheOverride::engine || p.memory.kv.layout != KvLayout::mla_expanded)
    return std::nullopt;
  for (const auto& id : s.quant->engines) {
    const EngineSpec* e = cat.find_engine(id);
    if (!e || e == s.engine || e->mla_cache_legacy_gguf != MlaCacheLayout::latent ||
        !contains(e->kv_cache_types, s.kv_type->id))
      continue;
    const KvCacheSize kv = estimate_kv_cache(s.model->arch, *e, *s.kv_type, {s.context, s.batch, true});
    return fmt::format(
        "{} keeps attn_kv_b whole, so {} caches per-head K and V: {} per token, {:.2f} GiB at this context; {} "
        "caches the latent of the same file: {} per token, {:.2f} GiB (--engine {})",
        s.quant->name, s.engine->id, binary_size(p.memory.kv.bytes_per_token), p.memory.kv.total.gib(), e->id,
        binary_size(kv.bytes_per_token), kv.total.gib(), e->id);
  }
  return std::nullopt;
}

/// Where the published GGUF has the old MLA layout (published_gguf_expands_mla) and the plan is
/// for the latent cache: the cache the downloaded file gets instead.
std::optional<std::string> published_gguf_note(const PlanResult& p) {
  const ResolvedScenario& s = p.scenario;
  const ModelSpec& m = *s.model;
  if (!published_gguf_expands_mla(m, *s.quant, *s.engine) || s.legacy_mla_gguf || s.layout.container != "gguf" ||
      s.mla_cache != MlaCacheOverride::engine || p.memory.kv.layout != KvLayout::mla_latent)
    return std::nullopt;
  const KvCacheSize legacy = estimate_kv_cache(m.arch, *s.engine, *s.kv_type, {s.context, s.batch, true});
  return fmt::format(
      "the files of {} keep attn_kv_b whole (converted before llama.cpp's MLA layout, PR #12801 of April 2025): "
      "with one, {} caches per-head K and V, {} per token, {:.2f} GiB at this context (%legacy_mla_gguf% plans it); "
      "these figures are for a GGUF converted since, or ik_llama.cpp, which caches the latent of either",
      m.gguf_repo, s.engine->id, binary_size(legacy.bytes_per_token), legacy.total.gib());
}

std::string backend_names(const std::vector<std::string>& ids) {
  std::vector<std::string> names;
  for (const auto& id : ids) names.emplace_back(gpu_backend_name(id));
  return join(names, " and ");
}

/// A GPU whose backend the engine does not support fully (ik_llama.cpp on Metal or ROCm) still
/// runs it as its catalog says; the plan says that the engine's own authors do not stand behind it.
std::optional<std::string> backend_note(const EngineSpec& e, const Hardware& hw) {
  if (e.gpu_backends.empty()) return std::nullopt;
  for (const Device& d : hw.gpus)
    if (!contains(e.gpu_backends, std::string(gpu_backend(d))))
      return fmt::format(
          "{}'s authors support its {} GPU backend fully, not {}: these figures assume a build they "
          "call unsupported",
          e.id, backend_names(e.gpu_backends), backend_names({std::string(gpu_backend(d))}));
  return std::nullopt;
}

void refuse_hardware_settings(const PlanRequest& r) {
  const auto given = hardware_settings_given(r);
  if (given.empty()) return;
  std::vector<std::string> markers;
  for (const Setting s : given) markers.push_back(setting_marker(s));
  throw InputError(fmt::format("{} {} hardware to place, time or price the model on (%gpu%, %gpus%, %vram% or %ram%); "
                               "without it dsplan sizes memory only",
                               join(markers), given.size() == 1 ? "needs" : "need"));
}

}  // namespace

Scenario scenario_on_hardware(const Catalog& cat, const PlanRequest& r) {
  Scenario s = r.scenario;
  s.no_tensor_parallel_gpus = r.hardware && !has_tensor_parallel_gpus(cat, *r.hardware);
  if (r.hardware) s.gpu_without_bf16 = gpu_without_bf16(cat, *r.hardware);
  return s;
}

bool published_gguf_expands_mla(const ModelSpec& model, const QuantFormat& quant, const EngineSpec& engine) {
  const bool from_repo = !quant.file && !quant.gguf_repos.count(model.id) && !model.gguf_repo.empty();
  return model.gguf_repo_legacy_mla && from_repo && !quant.legacy_mla_gguf &&
         engine.mla_cache_legacy_gguf != MlaCacheLayout::latent;
}

namespace {
CapacityPlan unplaced_capacity(const PlanRequest& r) {
  CapacityPlan c;
  c.users = *r.users;
  c.target_tokens_per_s = r.target_tokens_per_s.value_or(0.0);
  c.replica_fits = false;
  return c;
}

/// With --users: the capacity plan, and the replica planned at its batch, so that the memory,
/// speeds, cost and launch command printed are those of the replica the capacity plan deploys.
PlanResult at_capacity(const Catalog& cat, const PlanRequest& r, PlanResult single, const HardwareRequest& hw) {
  CapacityPlan c = plan_capacity(cat, r, *single.hardware, *single.throughput_request, single.cost);
  if (c.sequences_per_replica <= 1) {
    single.capacity = std::move(c);
    return single;
  }
  PlanRequest replica = r;
  replica.users.reset();
  replica.target_tokens_per_s.reset();
  replica.scenario.batch = c.sequences_per_replica;
  replica.hardware = hw;  // the count --count auto chose
  replica.count_auto = false;
  PlanResult p = run_plan(cat, replica);
  p.auto_count = single.auto_count;
  p.capacity = std::move(c);
  return p;
}
}  // namespace

namespace {

/// llama.cpp reads an -ngl above the blocks + the output layer as all of them (guides write
/// -ngl 999), so plan all of them and say how many that is.
std::optional<std::string> all_gpu_layers(const PlanResult& p, LayoutRequest& layout) {
  if (!layout.gpu_layers) return std::nullopt;
  const std::uint64_t blocks = p.memory.weights.block_bytes.size();
  const std::uint64_t skipped = skipped_file_blocks(p.scenario.model->arch, p.scenario.layout);
  const std::uint64_t all = blocks + 1 + skipped;
  if (*layout.gpu_layers <= all) return std::nullopt;
  const std::string note = fmt::format(
      "%gpu_layers% {}: all {} ({} blocks + {}the output layer), as llama.cpp reads an -ngl above them",
      *layout.gpu_layers, all, blocks, skipped > 0 ? fmt::format("{} skipped MTP block(s) + ", skipped) : "");
  layout.gpu_layers = all;
  return note;
}

/// llama.cpp caps the batch at the context and the micro-batch at the batch (llama_context:
/// n_batch = min(n_ctx, n_batch), n_ubatch = min(n_batch, n_ubatch)); a larger %ubatch% is run
/// as that, which the prompt's timing and the compute buffer already assume.
std::optional<std::string> ubatch_capped_note(const PlanResult& p) {
  const ResolvedScenario& s = p.scenario;
  const std::uint64_t n_ctx = s.context * s.batch;
  if (s.engine->parallelism != Parallelism::layer_split || s.ubatch <= n_ctx) return std::nullopt;
  return fmt::format(
      "%ubatch% {}: llama.cpp caps the micro-batch at the context ({} tokens in all), so it runs "
      "micro-batches of {}",
      s.ubatch, n_ctx, n_ctx);
}

}  // namespace

PlanResult run_plan(const Catalog& cat, const PlanRequest& asked) {
  PlanResult p;
  p.scenario = resolve_scenario(cat, scenario_on_hardware(cat, asked));
  if (!p.scenario.quant->recipe_note.empty()) p.notes.push_back(p.scenario.quant->name + ": " + p.scenario.quant->recipe_note);
  p.memory = estimate_memory(cat, p.scenario, asked.explain);
  PlanRequest r = asked;
  if (auto note = all_gpu_layers(p, r.layout)) p.notes.push_back(std::move(*note));
  if (auto note = ubatch_capped_note(p)) p.notes.push_back(std::move(*note));
  if (auto note = latent_engine_note(cat, p)) p.notes.push_back(std::move(*note));
  if (auto note = published_gguf_note(p)) p.notes.push_back(std::move(*note));
  if (!r.hardware) {
    if (r.users) throw InputError("%users% needs hardware to serve them on (%gpu%, %gpus% or %vram%)");
    refuse_hardware_settings(r);
    return p;
  }
  HardwareRequest hw_request = *r.hardware;
  p.throughput_request = throughput_request(r, p.scenario.context);
  if (r.count_auto) {
    const bool tp = p.scenario.engine->parallelism == Parallelism::tensor_parallel;
    p.auto_count = smallest_gpu_count(cat, p.scenario, p.memory, hw_request, r.layout, r.max_count);
    const HardwareRequest one = with_gpu_count(cat, hw_request, 1, tp);
    if (p.auto_count) {
      if (r.users) p.auto_count = best_count_for_users(cat, r, p, *p.auto_count, *p.throughput_request);
      hw_request = with_gpu_count(cat, hw_request, *p.auto_count, tp);
    } else if (!plan_layout(cat, p.scenario, p.memory, build_hardware(cat, one), r.layout).unsupported.empty()) {
      // The engine cannot run the model on this GPU at any count: one is planned, to say why.
      p.notes.push_back(fmt::format("%count% auto: no count of {} helps, {} cannot run {} on it (not a memory limit)",
                                    cat.require_gpu(hw_request.gpus.front().name).name, p.scenario.engine->name,
                                    p.scenario.model->name));
      hw_request = one;
    } else {
      const std::uint64_t tried = auto_count_limit(cat, p.scenario, hw_request, r.max_count);
      p.auto_count_none_up_to = tried;
      p.notes.push_back(fmt::format(
          "no count of {} up to {}{} holds this scenario on the GPUs alone", hw_request.gpus.front().name, tried,
          tp ? "" : fmt::format(" (one machine: {} splits layers within it)", p.scenario.engine->name)));
      hw_request = with_gpu_count(cat, hw_request, tried, tp);
    }
  } else
    hw_request = in_whole_nodes(cat, hw_request, p.scenario.engine->parallelism == Parallelism::tensor_parallel);
  p.hardware = build_hardware(cat, hw_request);
  if (auto note = backend_note(*p.scenario.engine, *p.hardware)) p.notes.push_back(std::move(*note));
  PlacementRequest placement;
  placement.layout = r.layout;
  placement.throughput = *p.throughput_request;
  placement.cost = r.cost;
  Evaluation e = place_and_time(cat, r, p, placement);
  p.layout = std::move(e.layout);
  p.needs_ram = e.needs_ram;
  p.fits = e.fits;
  p.launch = e.launch;
  p.throughput = std::move(e.throughput);
  p.cost = std::move(e.cost);
  if (!p.fits && r.layout.tensor_parallel == std::nullopt && r.layout.pipeline_parallel == std::nullopt &&
      !r.layout.gpu_layers)
    if (auto hint = larger_count_hint(cat, r, p)) p.notes.push_back(std::move(*hint));
  if (!p.throughput) {  // the layout does not fit: a capacity plan has no replica to multiply
    if (r.users) p.capacity = unplaced_capacity(r);
    return p;
  }
  if (auto note = assumed_cpu_note(cat, r, p)) p.notes.push_back(std::move(*note));
  for (auto note : {larger_ubatch_note(cat, r, p), pinned_memory_note(cat, r, p), op_offload_note(cat, r, p)})
    if (note) {
      p.prompt_speedups.push_back(*note);
      p.notes.push_back(std::move(*note));
    }
  if (r.users) return at_capacity(cat, r, std::move(p), hw_request);
  return p;
}

}  // namespace dsplan
