// Training FLOPs per token (6N and attention, LoRA's frozen halves, recompute), time and cloud cost.
#include "core/training/training_parts.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "dsplan/base/error.hpp"
#include "dsplan/cost/cost.hpp"
#include "dsplan/model/attention.hpp"
#include "dsplan/scenario/hardware.hpp"

namespace dsplan::training_detail {

namespace {

/// A training run of `gpus` rents whole nodes of the GPU's gpus_per_node, clustered beyond one.
CloudShape training_cloud_shape(const Catalog& catalog, const TrainRequest& r, std::uint64_t gpus) {
  const std::uint64_t per_node = node_size(catalog, r);
  return {std::min(gpus, per_node), gpus > per_node};
}

}  // namespace

std::uint64_t node_size(const Catalog& catalog, const TrainRequest& r) {
  return r.gpus_per_node > 0 ? r.gpus_per_node : catalog.require_gpu(r.gpu).gpus_per_node;
}

/// Matmul parameters one token multiplies (main model): every matrix of the blocks with routed
/// experts at k/E, and the output head (the embedding matrix when tied). Norm vectors excluded.
double matmul_params(const TensorInventory& inv, const ModelArch& a) {
  double n = 0;
  for (const auto& t : inv.globals)
    if (t.role == TensorRole::output) n += static_cast<double>(t.elements());
  if (a.tie_word_embeddings) n += static_cast<double>(a.hidden_size * a.vocab_size);
  const auto per_layout = inv.blocks_per_layout(false);
  for (std::size_t l = 0; l < inv.layouts.size(); ++l)
    for (const auto& t : inv.layouts[l].tensors) {
      if (t.is_vector) continue;
      double e = static_cast<double>(t.elements());
      if (t.is_routed_expert() && a.n_routed_experts > 0)
        e *= static_cast<double>(a.experts_per_token) / static_cast<double>(a.n_routed_experts);
      n += e * static_cast<double>(per_layout[l]);
    }
  return n;
}

void flops_for(const ModelFacts& f, const TrainRequest& r, Checkpointing ckpt, TrainPerToken& t) {
  const auto& a = f.spec->arch;
  t.forward_matmul_flops = 2.0 * matmul_params(f.inv, a);
  t.forward_attention_flops = static_cast<double>(a.num_layers) * attention_of(a).training_flops(a, r.seq);
  const double fwd = t.forward_matmul_flops + t.forward_attention_flops;
  // Backward = 2 x forward (grads of inputs and of weights); frozen LoRA bases skip the weight
  // half of their matmuls. Recompute adds one forward (full) or the attention core (selective).
  if (r.method == TrainMethod::full) {
    t.model_flops = 3.0 * fwd;
  } else {
    t.adapter_flops = 6.0 * static_cast<double>(f.lora_active);
    t.model_flops = 2.0 * t.forward_matmul_flops + 3.0 * t.forward_attention_flops + t.adapter_flops;
  }
  double recompute = 0;
  if (ckpt == Checkpointing::full) recompute = fwd;
  if (ckpt == Checkpointing::selective && !r.flash_attention) recompute = t.forward_attention_flops;
  t.flops = t.model_flops + recompute;
}

double pipeline_bubble(std::uint64_t stages, std::uint64_t micro_batches) {
  if (stages <= 1) return 0.0;
  const double p = static_cast<double>(stages);
  return (p - 1.0) / (static_cast<double>(micro_batches) + p - 1.0);
}

namespace {

/// The utilization of the peak by the FLOPs executed: the default, or what --mfu (model FLOPs,
/// recompute excluded, as trainers log it) implies once the recompute is executed too.
void set_utilization(const TrainRequest& r, TrainResult& out) {
  const double executed_per_model = out.per_token.flops / out.per_token.model_flops;
  if (r.mfu) {
    out.mfu = *r.mfu;
    out.utilization = *r.mfu * executed_per_model;
    out.utilization_source = "%mfu%";
    if (out.utilization > 1.0)
      throw InputError(
          fmt::format("%mfu% {:g} with {} checkpointing means {:.0f}% of the peak on the FLOPs executed "
                      "(recompute included), more than the peak",
                      *r.mfu, checkpointing_name(out.checkpointing), 100.0 * out.utilization));
    return;
  }
  out.utilization = k_default_utilization;
  out.mfu = out.utilization / executed_per_model;
  out.utilization_source =
      "default: 40% of the peak on the FLOPs executed, recompute included (Llama 3 405B BF16 reached 38-43% MFU "
      "on H100, arXiv 2407.21783, Table 4)";
}

/// Bytes each GPU sends per optimizer step to its data-parallel peers, ring collectives over n
/// ranks sending (n - 1) / n of the buffer per pass: ZeRO 0-2 reduce the gradients once (an
/// all-reduce, or ZeRO's reduce-scatter plus the updated weights' all-gather: two passes);
/// ZeRO-3 gathers the weights for forward and again for backward and reduce-scatters the
/// gradients, every micro-batch (ZeRO paper, arXiv 1910.02054, section 7).
double data_parallel_bytes(const TrainResult& out) {
  if (out.dp <= 1) return 0.0;
  const double share = static_cast<double>(out.dp - 1) / static_cast<double>(out.dp);
  const double w = static_cast<double>(out.memory.replica_weights.count());
  const double g = static_cast<double>(out.memory.replica_gradients.count());
  if (out.zero < 3) return 2.0 * share * g;
  return static_cast<double>(out.grad_accumulation) * share * (2.0 * w + g);
}

/// The step's communication against its compute: a lower bound (the link's full rate, perfect
/// overlap), so the step takes the longer of the two, with a note where communication is near.
void add_communication(const Catalog& catalog, const TrainRequest& r, TrainResult& out) {
  out.compute_seconds_per_step = *out.seconds / *out.steps;
  out.comm_bytes_per_step = data_parallel_bytes(out);
  if (out.comm_bytes_per_step <= 0) return;
  const bool spans_nodes = out.gpus > node_size(catalog, r);
  double link = static_cast<double>(out.gpu->link_bytes_per_s);
  if (spans_nodes && catalog.internode_bytes_per_s > 0)
    link = std::min(link, static_cast<double>(catalog.internode_bytes_per_s));
  if (!(link > 0)) return;
  out.comm_seconds_per_step = out.comm_bytes_per_step / link;
  const std::string over =
      spans_nodes ? "between nodes"
                  : (out.gpu->link_bytes_per_s == out.gpu->host_link_bytes_per_s ? "over PCIe" : "over NVLink");
  const std::string what = fmt::format(
      "data-parallel traffic ({}) moves at least {:.1f} GB per GPU per step {} at {:.0f} GB/s: {:.2f} s against "
      "{:.2f} s of compute",
      out.zero >= 3 ? "ZeRO-3 weight gathers and gradient reduce-scatter" : "the gradient all-reduce",
      out.comm_bytes_per_step / 1e9, over, link / 1e9, out.comm_seconds_per_step, out.compute_seconds_per_step);
  if (r.mfu) {
    // A logged MFU already holds the time the traffic took.
    if (out.comm_seconds_per_step > 0.25 * out.compute_seconds_per_step)
      out.notes.push_back(what + "; a logged %mfu% already includes it");
  } else if (out.comm_seconds_per_step > out.compute_seconds_per_step) {
    // The step waits for the traffic: the peak is used for less of the time.
    const double achieved = out.compute_seconds_per_step / out.comm_seconds_per_step;
    out.seconds = *out.steps * out.comm_seconds_per_step;
    out.utilization *= achieved;
    out.mfu *= achieved;
    out.notes.push_back(what + "; the time is the communication's (perfect overlap, a lower bound), so MFU falls to " +
                        fmt::format("{:.0f}%", 100.0 * out.mfu));
  } else if (out.comm_seconds_per_step > 0.25 * out.compute_seconds_per_step) {
    out.notes.push_back(what + "; the time assumes it overlaps the compute");
  }
}

/// Owning the GPUs: the run's hours of the hardware's amortization and maintenance (the cost
/// model of estimate, section 9 of docs/methodology.md) and its electricity, the cards at their
/// TDP: training keeps the tensor cores busy, where serving draws gpu_power_fraction of it.
void add_owned_cost(const Catalog& catalog, const TrainRequest& r, TrainResult& out) {
  const std::uint64_t per_node = node_size(catalog, r);
  HardwareRequest h;
  h.gpus.emplace_back(r.gpu, std::min(out.gpus, per_node));
  h.nodes = ceil_div(out.gpus, per_node);
  std::optional<CostEstimate> e;
  try {
    e = estimate_cost(catalog, build_hardware(catalog, h), 1.0, r.owned_cost, HostNeeds{}, nullptr);
  } catch (const InputError&) {
    return;  // a card the serving model cannot place (no bandwidth figure): no owned cost
  }
  if (!e->owned) return;
  const CostDefaults& d = catalog.cost_defaults;
  const double hours = *out.seconds / 3600.0;
  const double kwh = r.owned_cost.electricity_usd_per_kwh.value_or(d.electricity_usd_per_kwh);
  // estimate's hourly owned cost is amortization and maintenance plus the serving draw's power.
  const double serving_power_per_hour = e->owned->power_watts / 1000.0 * kwh;
  out.owned_hardware_usd = e->owned->purchase_usd + e->owned->host_usd;
  out.owned_power_watts = e->owned->power_watts / d.gpu_power_fraction;
  out.owned_amortization_usd = (e->owned->usd_per_hour - serving_power_per_hour) * hours;
  out.owned_usd_per_kwh = kwh;
  out.owned_power_usd = out.owned_power_watts / 1000.0 * hours * kwh;
  out.owned_cost_usd = out.owned_amortization_usd + out.owned_power_usd;
}

/// %tokens% that do not fill one optimizer step are an input error, whether or not the run fits.
void require_one_step(const TrainRequest& r, const TrainResult& out) {
  if (!r.tokens) return;
  const double tokens_per_step = static_cast<double>(out.global_batch * r.seq);
  if (*r.tokens < tokens_per_step)
    throw InputError(
        fmt::format("%tokens% {:g} is less than one optimizer step of this setup ({:.0f} tokens: global "
                    "batch {} x {} tokens)",
                    *r.tokens, tokens_per_step, out.global_batch, r.seq));
}

}  // namespace

void add_time_and_cost(const Catalog& catalog, const TrainRequest& r, TrainResult& out) {
  out.tokens = r.tokens;
  set_utilization(r, out);
  if (!out.gpu || (r.count_auto && !out.auto_count)) return;  // no count fits: nothing to time
  require_one_step(r, out);
  if (out.fits && !*out.fits) return;  // a run that cannot start takes no time
  // Mixed-precision training accumulates its BF16 GEMMs in FP32 (half the FP16-accumulate rate on GeForce).
  const double peak = (r.precision == ComputePrecision::fp8 && out.gpu->peak_fp8_tflops > 0)
                          ? out.gpu->peak_fp8_tflops
                          : out.gpu->peak_fp32_accumulate_tflops;
  if (!out.gpu->bf16)
    out.notes.push_back(out.gpu->name + " has no BF16: training runs in FP16 mixed precision (with loss scaling), " +
                        "timed at its FP16 tensor rate; the memory is the same");
  if (r.precision == ComputePrecision::fp8 && out.gpu->peak_fp8_tflops <= 0)
    out.notes.push_back(out.gpu->name + " has no FP8 tensor cores; time uses its " + (out.gpu->bf16 ? "BF16" : "FP16") +
                        " peak");
  if (peak <= 0) out.notes.push_back("no dense peak FLOPS in the catalog for " + out.gpu->name + "; no time or cost");
  if (const GpuSpec& spec = catalog.require_gpu(out.gpu->id); out.gpu->bf16 && spec.bf16_tflops <= 0 && peak > 0)
    out.notes.push_back(fmt::format("the catalog has no BF16 rate for {}: it is timed at {:g} TFLOPS, its FP16 rate",
                                    out.gpu->name, peak));
  out.peak_tflops = peak;
  if (!r.tokens || peak <= 0) return;
  const double tokens_per_step = static_cast<double>(out.global_batch * r.seq);
  out.total_flops = *r.tokens * out.per_token.flops;
  out.steps = std::ceil(*r.tokens / tokens_per_step);  // a last partial step is a step
  out.seconds =
      *out.total_flops / (static_cast<double>(out.gpus) * peak * 1e12 * out.utilization) / (1.0 - out.pipeline_bubble);
  add_communication(catalog, r, out);
  out.gpu_hours = *out.seconds * static_cast<double>(out.gpus) / 3600.0;
  out.days = *out.seconds / 86400.0;
  if (r.usd_per_gpu_hour) {
    out.usd_per_gpu_hour = r.usd_per_gpu_hour;
    out.price_source = "%price%";
  } else if (const auto [p, shape_met] = catalog.cloud_price_for(out.gpu->id, training_cloud_shape(catalog, r, out.gpus));
             p != nullptr) {
    out.usd_per_gpu_hour = p->usd_per_gpu_hour;
    out.price_source = fmt::format("{} {}, {} ({})", p->provider, p->offering, p->date, p->source);
    if (!shape_met) out.notes.push_back(shape_note(out.gpu->name, training_cloud_shape(catalog, r, out.gpus), *p));
  } else {
    out.notes.push_back("no cloud price for " + out.gpu->id + " in the catalog; pass %price% USD per GPU-hour");
  }
  if (out.usd_per_gpu_hour) out.cost_usd = *out.gpu_hours * *out.usd_per_gpu_hour;
  add_owned_cost(catalog, r, out);
}

}  // namespace dsplan::training_detail
