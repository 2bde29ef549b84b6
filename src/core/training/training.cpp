// Training and fine-tuning estimate. Model states follow ZeRO's accounting (arXiv 1910.02054):
// 2 B weights + 2 B gradients + K B optimizer per trained parameter, with ZeRO stages dividing
// the optimizer (1), gradients (2) and weights (3) across data-parallel ranks. Activations
// generalize Korthikanti et al. (arXiv 2205.05198, Table 2) to RMSNorm, GQA/MLA, SwiGLU and
// routed experts; docs/methodology.md section 10 derives every term.
#include "dsplan/training/training.hpp"

#include "core/training/training_parts.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "dsplan/model/attention.hpp"
#include "dsplan/cost/cost.hpp"
#include "dsplan/base/error.hpp"
#include "dsplan/model/quant.hpp"
#include "dsplan/model/tensors.hpp"

namespace dsplan {

using namespace training_detail;

namespace {

void validate(const TrainRequest& r) {
  if (r.zero > 3) throw InputError(fmt::format("%zero%: {} is not a ZeRO stage (0, 1, 2 or 3)", r.zero));
  if (r.tp == 0 || r.pp == 0 || r.ep == 0 || r.seq == 0 || r.micro_batch == 0 || r.count == 0)
    throw InputError("training sizes (%tp%, %pp%, %ep%, %seq%, %micro_batch%, %count%) must be at least 1");
  if (r.method == TrainMethod::qlora && r.tp > 1)
    throw InputError("QLoRA with %tp% > 1: bitsandbytes 4-bit layers have no tensor-parallel implementation; use %zero% "
                     "instead");
  if (r.method == TrainMethod::qlora && r.zero == 3 && !r.fsdp_qlora)
    throw InputError("QLoRA with %zero% 3 shards 4-bit weights only when they are stored in a bf16 container "
                     "(bitsandbytes >= 0.43 bnb_4bit_quant_storage=bfloat16, FSDP-QLoRA); add %fsdp_qlora% to assume it");
  if (r.method == TrainMethod::qlora && r.precision == ComputePrecision::fp8)
    throw InputError("QLoRA computes in bf16 (dequantized NF4); %precision% fp8 applies to full or LoRA training");
  if (r.tokens && !(*r.tokens > 0)) throw InputError("%tokens% must be positive");
  if (r.mfu && !(*r.mfu > 0 && *r.mfu <= 1)) throw InputError("%mfu% must be in (0, 1]");
}

/// What the model cannot take: a sequence past its position embeddings (as estimate refuses a
/// context), and parallel sizes it cannot be split into: tensor parallelism as serving checks it
/// (the heads, then the attention kind's rule), expert parallelism over whole routed experts
/// (Megatron's num_moe_experts % expert_model_parallel_size == 0), no pipeline stage without a block.
void validate_for_model(const ModelSpec& m, const TrainRequest& r) {
  const ModelArch& a = m.arch;
  if (r.seq > a.max_context)
    throw InputError(fmt::format("%seq% {} exceeds {}'s maximum of {} tokens (max_position_embeddings)", r.seq, m.name,
                                 a.max_context));
  if (const auto why = tensor_parallel_violation(a, r.tp); !why.empty()) throw InputError("%tp%: " + why);
  if (r.ep > 1 && !a.is_moe()) throw InputError("%ep% splits routed experts; " + m.id + " has none");
  if (a.n_routed_experts % r.ep != 0)
    throw InputError(
        fmt::format("%ep%: expert parallel size {} does not divide the {} routed experts", r.ep, a.n_routed_experts));
  if (r.pp > a.num_layers)
    throw InputError(
        fmt::format("%pp%: {} pipeline stages for {} blocks; a stage needs at least one", r.pp, a.num_layers));
}

bool fits_on(const TrainMemory& m, const std::optional<Device>& gpu) { return gpu && m.total <= gpu->memory; }

/// --count auto: fits with the headroom left free.
bool fits_with_headroom(const TrainMemory& m, const std::optional<Device>& gpu, double headroom) {
  return gpu && static_cast<double>(m.total.count()) <= (1.0 - headroom) * static_cast<double>(gpu->memory.count());
}

/// Counts --count auto tries: multiples of tp x pp x ep; past one node, whole nodes only.
bool auto_count_candidate(std::uint64_t count, std::uint64_t gpus_per_node) {
  return count <= gpus_per_node || count % gpus_per_node == 0;
}

/// Data-parallel ranks and micro-batches per step for `count` GPUs; nullopt when tp x pp x ep or
/// the global batch does not divide evenly (`why` says how).
std::optional<Shape> shape_for(std::uint64_t count, const TrainRequest& r, std::string& why) {
  const std::uint64_t group = r.tp * r.pp * r.ep;
  if (count % group != 0) {
    why = fmt::format("{} GPUs do not divide into tensor-parallel {} x pipeline-parallel {} x expert-parallel {}",
                      count, r.tp, r.pp, r.ep);
    return std::nullopt;
  }
  Shape s{count / (r.tp * r.pp), r.tp, r.pp, r.ep, 1};
  const std::uint64_t per_step = r.micro_batch * s.dp;
  const std::uint64_t global = r.global_batch.value_or(per_step);
  if (global % per_step != 0) {
    why = fmt::format("%global_batch% {} is not a multiple of micro-batch {} x data-parallel {}", global,
                      r.micro_batch, s.dp);
    return std::nullopt;
  }
  s.in_flight = std::min(r.pp, global / per_step);
  return s;
}

}  // namespace

std::string_view method_name(TrainMethod m) { return name_in<TrainMethod>(k_train_methods, m); }
std::string_view targets_name(LoraTargets t) { return name_in<LoraTargets>(k_lora_targets, t); }
std::string_view checkpointing_name(Checkpointing c) { return name_in<Checkpointing>(k_checkpointings, c); }
std::string_view optimizer_name(Optimizer o) { return name_in<Optimizer>(k_optimizers, o); }
std::string_view precision_name(ComputePrecision p) { return name_in<ComputePrecision>(k_precisions, p); }

ParamCount lora_params(const ModelArch& arch, std::uint64_t rank, LoraTargets targets, bool active) {
  const Split n = lora_split(build_inventory(arch), arch, rank, targets, active);
  return ParamCount(static_cast<std::uint64_t>(n.routed + n.other));
}

namespace {

TrainResult estimate(const Catalog& catalog, const TrainRequest& r, bool hint);

/// One memory-saving setting: applies itself to a request and returns the flags it adds (none where
/// the request has it already).
using FitStep = std::vector<std::string> (*)(TrainRequest&);

std::vector<std::string> zero3(TrainRequest& t) {
  if (t.zero == 3) return {};
  t.zero = 3;
  if (t.method != TrainMethod::qlora || t.fsdp_qlora) return {"%zero% 3"};
  t.fsdp_qlora = true;
  return {"%zero% 3", "%fsdp_qlora%"};
}
std::vector<std::string> fused_loss(TrainRequest& t) {
  if (t.fused_loss) return {};
  t.fused_loss = true;
  return {"%fused_loss%"};
}
std::vector<std::string> full_checkpointing(TrainRequest& t) {
  if (t.checkpointing.value_or(default_checkpointing(t.method)) == Checkpointing::full) return {};
  t.checkpointing = Checkpointing::full;
  return {"%checkpointing% full"};
}
std::vector<std::string> adamw8bit(TrainRequest& t) {
  if (t.optimizer != Optimizer::adamw) return {};
  t.optimizer = Optimizer::adamw8bit;
  return {"%optimizer% adamw8bit"};
}
constexpr FitStep k_fit_steps[] = {zero3, fused_loss, full_checkpointing, adamw8bit};

/// `r` with the steps `use` marks applied; `flags` receives the flags they add.
TrainRequest with_steps(const TrainRequest& r, const std::vector<bool>& use, std::vector<std::string>* flags) {
  TrainRequest t = r;
  for (std::size_t i = 0; i < use.size(); ++i)
    if (use[i])
      for (auto& f : k_fit_steps[i](t))
        if (flags) flags->push_back(std::move(f));
  return t;
}

/// The GPUs --count auto finds for `r` with the steps `use` marks, if any count fits.
std::optional<std::uint64_t> fitting_count(const Catalog& catalog, const TrainRequest& r,
                                           const std::vector<bool>& use) {
  try {
    return estimate(catalog, with_steps(r, use, nullptr), false).auto_count;
  } catch (const InputError&) {
    return std::nullopt;  // a set this setup cannot take (ZeRO-3 with pipeline stages, ...)
  }
}

/// Memory-saving flags under which --count auto finds a count: added one on top of another until
/// the fewest GPUs, then each dropped again that the count does not need (ZeRO-3 on one GPU).
std::optional<TrainResult::FitHint> find_fit_hint(const Catalog& catalog, const TrainRequest& r) {
  constexpr std::size_t n = std::size(k_fit_steps);
  std::vector<bool> use(n, false);
  std::optional<std::uint64_t> best;
  std::vector<bool> best_use;
  for (std::size_t i = 0; i < n; ++i) {
    TrainRequest probe = with_steps(r, use, nullptr);
    if (k_fit_steps[i](probe).empty()) continue;  // already set
    use[i] = true;
    const auto count = fitting_count(catalog, r, use);
    if (count && (!best || *count < *best)) {
      best = count;
      best_use = use;
    }
  }
  if (!best) return std::nullopt;
  for (std::size_t i = 0; i < n; ++i) {
    if (!best_use[i]) continue;
    best_use[i] = false;
    const auto without = fitting_count(catalog, r, best_use);
    if (!without || *without > *best) best_use[i] = true;
  }
  std::vector<std::string> flags;
  with_steps(r, best_use, &flags);
  return TrainResult::FitHint{flags, *best};
}

}  // namespace

TrainResult estimate_training(const Catalog& catalog, const TrainRequest& r) { return estimate(catalog, r, true); }

namespace {

TrainResult estimate(const Catalog& catalog, const TrainRequest& r, bool hint) {
  validate(r);
  validate_for_model(catalog.require_model(r.model), r);
  const ModelFacts f = model_facts(catalog, r);
  TrainResult out;
  out.model_id = f.spec->id;
  out.count_auto = r.count_auto;
  out.model_name = f.spec->name;
  out.method = r.method;
  out.rank = r.method == TrainMethod::full ? 0 : r.rank;
  out.targets = r.targets;
  out.checkpointing = r.checkpointing.value_or(default_checkpointing(r.method));
  out.optimizer = r.optimizer;
  out.precision = r.precision;
  out.zero = r.zero;
  out.seq = r.seq;
  out.micro_batch = r.micro_batch;
  out.total_params = f.inv.params_total();
  out.trainable_params = ParamCount(static_cast<std::uint64_t>(f.trainable.routed + f.trainable.other));
  out.routed_trainable_params = ParamCount(static_cast<std::uint64_t>(f.trainable.routed));
  out.active_params = ParamCount(static_cast<std::uint64_t>(std::llround(matmul_params(f.inv, f.spec->arch))));
  out.base_weight_bytes =
      r.method == TrainMethod::full ? Bytes(checked_mul(out.trainable_params.count(), 2, "weight bytes"))
                                    : Bytes(static_cast<std::uint64_t>(f.frozen.routed + f.frozen.other));
  out.bytes_per_trainable_param = 4.0 + static_cast<double>(optimizer_bytes_x2(r.optimizer)) / 2.0;
  if (!r.gpu.empty()) out.gpu = device_from(catalog.require_gpu(r.gpu));
  if (r.count_auto && !out.gpu) throw InputError("%count% auto needs %gpu% NAME");

  const auto evaluate = [&](const Shape& s) {
    out.gpus = s.dp * s.tp * s.pp;
    out.dp = s.dp;
    out.tp = s.tp;
    out.pp = s.pp;
    out.ep = s.ep;
    out.global_batch = r.global_batch.value_or(r.micro_batch * s.dp);
    out.grad_accumulation = out.global_batch / (r.micro_batch * s.dp);
    out.memory = memory_for(f, r, out.checkpointing, s, out.per_token);
  };
  std::string why;
  if (r.count_auto) {
    const std::uint64_t step = r.tp * r.pp * r.ep;
    const std::uint64_t per_node = node_size(catalog, r);
    bool any = false;
    for (std::uint64_t count = step; count <= r.max_count; count += step) {
      if (!auto_count_candidate(count, per_node)) continue;
      const auto s = shape_for(count, r, why);
      if (!s) continue;
      evaluate(*s);
      any = true;
      if (fits_with_headroom(out.memory, out.gpu, r.auto_headroom)) {
        out.auto_count = count;
        break;
      }
    }
    if (!any) throw InputError(why);
    if (!out.auto_count) {
      // The search asks for the headroom free, so a count that fits to the last byte is not taken;
      // below ZeRO-3 every data-parallel rank keeps its shard's whole weights and gradients.
      out.notes.push_back(fmt::format(
          "does not fit on up to {} x {} with these settings: --count auto leaves {:.0f}% of each GPU free ({:.2f} "
          "of {:.2f} GiB){}",
          r.max_count, out.gpu->name, r.auto_headroom * 100, (1.0 - r.auto_headroom) * out.gpu->memory.gib(),
          out.gpu->memory.gib(),
          r.zero < 3 ? fmt::format("; with ZeRO-{} more GPUs do not shrink the weights and gradients each holds: "
                                   "--zero 3, a larger --tp or --pp does",
                                   r.zero)
                     : ""));
      if (hint) out.fit_hint = find_fit_hint(catalog, r);
    }
  } else {
    const auto s = shape_for(r.count, r, why);
    if (!s) throw InputError(why);
    evaluate(*s);
  }
  if (out.gpu) out.fits = fits_on(out.memory, out.gpu) && !(r.count_auto && !out.auto_count);
  flops_for(f, r, out.checkpointing, out.per_token);
  out.pipeline_bubble = pipeline_bubble(out.pp, out.grad_accumulation);
  add_time_and_cost(catalog, r, out);
  if (out.pp > 1 && out.grad_accumulation < out.pp) {
    // 2m + p - 1 micro-batches halve the bubble: (p - 1) / (2m + 2p - 2).
    const std::uint64_t halving = 2 * out.grad_accumulation + out.pp - 1;
    out.notes.push_back(fmt::format(
        "{} micro-batch{} per step through a {}-stage pipeline: each stage idles {:.0f}% of the step (1F1B bubble, "
        "(p - 1) / (m + p - 1)), which the time includes; %global_batch% {} ({} micro-batches per data-parallel "
        "rank) brings it down to {:.0f}%",
        out.grad_accumulation, out.grad_accumulation == 1 ? "" : "es", out.pp, 100.0 * out.pipeline_bubble,
        halving * r.micro_batch * out.dp, halving, 100.0 * pipeline_bubble(out.pp, halving)));
  }
  if (f.spec->arch.mtp_layers > 0)
    out.notes.push_back(
        fmt::format("{}'s multi-token-prediction module is not loaded or trained here (its "
                    "pretraining trains it alongside the model)",
                    f.spec->name));
  return out;
}

}  // namespace

}  // namespace dsplan
