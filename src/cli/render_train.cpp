// Rendering of `dsplan train`: a per-GPU memory table and the time/cost lines, or one JSON object.
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/format.hpp"
#include "cli/json_optional.hpp"
#include "cli/render.hpp"
#include "cli/table.hpp"
#include "dsplan/base/text.hpp"
#include "dsplan/serving/layout.hpp"

namespace dsplan::cli {

namespace {

/// "1,953,210" GPU-hours, "33.3" or "0.35": a short run's hours would print as 0.
std::string amount(double x) {
  if (x >= 100) return with_commas(static_cast<std::uint64_t>(std::llround(x)));
  return x >= 10 ? fmt::format("{:.1f}", x) : fmt::format("{:.2f}", x);
}

/// Dollars: whole from $10, cents below (a short run's $0.85 would print as $1).
std::string usd(double x) { return x >= 10 ? fmt::format("{:.0f}", x) : fmt::format("{:.2f}", x); }

using ordered_json = nlohmann::ordered_json;

std::string method_text(const TrainResult& r) {
  if (r.method == TrainMethod::full) return "full training (every parameter)";
  return fmt::format("{} rank {} on {} linear layers", r.method == TrainMethod::lora ? "LoRA" : "QLoRA (NF4 base)",
                     r.rank, targets_name(r.targets));
}

std::string duration(double seconds) {
  if (seconds < 3600) return fmt::format("{:.1f} min", seconds / 60);
  if (seconds < 2 * 86400) return fmt::format("{:.1f} h", seconds / 3600);
  return fmt::format("{:.1f} days", seconds / 86400);
}

/// --explain: each figure of the time, cost and memory with the numbers that make it.
std::vector<std::string> derivation(const TrainResult& r) {
  std::vector<std::string> lines;
  const auto& m = r.memory;
  lines.push_back(fmt::format(
      "memory per GPU = weights {} + gradients {} + optimizer {} + activations {} + gathered block {} + overhead {} "
      "= {} B",
      with_commas(m.weights.count()), with_commas(m.gradients.count()), with_commas(m.optimizer.count()),
      with_commas(m.activations.count()), with_commas(m.gathered_weights.count()), with_commas(m.overhead.count()),
      with_commas(m.total.count())));
  if (!r.seconds) return lines;
  const double compute = *r.tokens * r.per_token.flops /
                         (static_cast<double>(r.gpus) * r.peak_tflops * 1e12 * r.utilization) /
                         (1.0 - r.pipeline_bubble);
  lines.push_back(
      fmt::format("compute time = tokens x FLOP per token / (GPUs x peak x utilization) / (1 - bubble) = "
                  "{:.4g} x {:.4g} / ({} x {:g} TFLOPS x {:.3f}) / (1 - {:.3f}) = {:.0f} s",
                  *r.tokens, r.per_token.flops, r.gpus, r.peak_tflops, r.utilization, r.pipeline_bubble, compute));
  lines.push_back(fmt::format("MFU = utilization x model FLOP / FLOP executed = {:.3f} x {:.4g} / {:.4g} = {:.3f}",
                              r.utilization, r.per_token.model_flops, r.per_token.flops, r.mfu));
  if (r.comm_bytes_per_step > 0)
    lines.push_back(
        fmt::format("per step: compute {:.3f} s, data-parallel traffic {:.4g} B in {:.3f} s; time = {:.0f} "
                    "steps x the longer = {:.0f} s",
                    r.compute_seconds_per_step, r.comm_bytes_per_step, r.comm_seconds_per_step, *r.steps, *r.seconds));
  if (r.cost_usd)
    lines.push_back(fmt::format("cost = {:.4g} s x {} GPUs / 3600 x ${:.2f} per GPU-hour = ${:.2f}", *r.seconds, r.gpus,
                                *r.usd_per_gpu_hour, *r.cost_usd));
  if (r.owned_cost_usd)
    lines.push_back(fmt::format(
        "owned = amortization ${:.2f} + electricity {:.0f} W x {:.4g} h x ${:.3f}/kWh = ${:.2f}",
        r.owned_amortization_usd, r.owned_power_watts, *r.seconds / 3600.0, r.owned_usd_per_kwh, *r.owned_cost_usd));
  return lines;
}

}  // namespace

void render_train_table(const TrainResult& r, std::ostream& out, bool explain) {
  out << fmt::format("{}: {}\n", r.model_name, method_text(r));
  out << fmt::format("  Parameters: {} total, {} trainable ({:.3f}%), {} per token\n", params_short(r.total_params.count()),
                     params_short(r.trainable_params.count()),
                     100.0 * static_cast<double>(r.trainable_params.count()) /
                         static_cast<double>(r.total_params.count()),
                     params_short(r.active_params.count()));
  out << fmt::format("  Setup: seq {} x micro-batch {}, {} checkpointing, {} optimizer ({:g} B per trained param), "
                     "ZeRO-{}\n",
                     with_commas(r.seq), r.micro_batch, checkpointing_name(r.checkpointing), optimizer_name(r.optimizer),
                     r.bytes_per_trainable_param, r.zero);
  out << fmt::format(
      "  GPUs: {}{} = data {} x tensor {} x pipeline {}{}; global batch {} sequence{} ({} accumulation "
      "step{})\n",
      r.gpus, r.gpu ? " x " + r.gpu->name : std::string(), r.dp, r.tp, r.pp,
      r.ep > 1 ? fmt::format(" (expert {})", r.ep) : std::string(), r.global_batch, r.global_batch == 1 ? "" : "s",
      r.grad_accumulation, r.grad_accumulation == 1 ? "" : "s");
  out << "\nMemory per GPU\n";
  Table t({{"Term"}, {"Bytes", Table::Align::right}, {"Size", Table::Align::right}});
  const auto row = [&](const char* label, Bytes b) { t.add_row({label, with_commas(b.count()), gib(b)}); };
  const auto& m = r.memory;
  row("Weights", m.weights);
  row("Gradients", m.gradients);
  row("Optimizer states", m.optimizer);
  row("Activations", m.activations);
  row("  in the blocks", m.activation_layers);
  row("  logits and loss", m.logits);
  if (m.gathered_weights.count() > 0) row("ZeRO-3 gathered block", m.gathered_weights);
  // PyTorch's context on the GPUs' stack: ROCm (HIP) on AMD's, CUDA on NVIDIA's.
  const std::string context = gpu_context_label(r.gpu ? gpu_backend(*r.gpu) : "cuda") + ", workspace";
  row(context.c_str(), m.overhead);
  row("Total", m.total);
  t.render(out, "  ");
  if (r.gpu) {
    const std::string count = r.auto_count ? fmt::format(" (--count auto chose {})", *r.auto_count) : std::string();
    if (r.count_auto_failed())
      out << fmt::format(
          "  Does not fit: {} of {} per GPU even on {} GPU{} (--count auto keeps {:.0f}% free: see the note)\n",
          gib(m.total), gib(r.gpu->memory), with_commas(r.gpus), r.gpus == 1 ? "" : "s", k_default_headroom * 100);
    else
      out << fmt::format("  {}: {} of {} per GPU{}\n", *r.fits ? "Fits" : "Does not fit", gib(m.total),
                         gib(r.gpu->memory), count);
    if (r.fit_hint)
      out << fmt::format("  It fits with {} on {} x {}\n", join(r.fit_hint->flags, " "), r.fit_hint->gpus, r.gpu->name);
  }
  out << fmt::format("\nCompute: {:.3g} FLOP per token ({:.3g} model FLOP; 6N = {:.3g})\n", r.per_token.flops,
                     r.per_token.model_flops, 6.0 * static_cast<double>(r.active_params.count()));
  if (r.seconds) {
    out << fmt::format(
        "  {:.3g} tokens, {:.3g} FLOP, {:.0f} steps: {} on {} GPU{} at {:.0f}% MFU ({:.0f}% of peak on the FLOPs "
        "executed){} = {} GPU-hours\n",
        *r.tokens, *r.total_flops, *r.steps, duration(*r.seconds), r.gpus, r.gpus == 1 ? "" : "s", 100 * r.mfu,
        100 * r.utilization,
        r.pipeline_bubble > 0 ? fmt::format(", {:.0f}% pipeline bubble", 100 * r.pipeline_bubble) : std::string(),
        amount(*r.gpu_hours));
    if (r.cost_usd)
      out << fmt::format("  Cost: ${} at ${:.2f} per GPU-hour ({})\n", usd(*r.cost_usd), *r.usd_per_gpu_hour,
                         r.price_source);
    if (r.owned_cost_usd)
      out << fmt::format(
          "  {}: ${} = ${} of the ${:.0f} hardware's amortization and maintenance "
          "for these hours + ${} of electricity ({:.0f} W at the wall, the GPUs at TDP)\n",
          r.cost_usd ? "Owned instead" : "Owned", usd(*r.owned_cost_usd), usd(r.owned_amortization_usd),
          r.owned_hardware_usd, usd(r.owned_power_usd), r.owned_power_watts);
  } else if (r.count_auto_failed()) {
    out << "  Time and cost: none, no count of GPUs fits\n";
  } else if (r.gpu && r.fits && !*r.fits) {
    out << "  Time and cost: none, it does not fit these GPUs\n";
  } else {
    // What is missing to time it: the GPUs, the tokens, or both.
    std::vector<std::string> missing;
    if (!r.gpu) missing.push_back("--gpu NAME");
    if (!r.tokens) missing.push_back("--tokens N");
    out << "  Time and cost: give " << join(missing, " and ") << '\n';
  }
  for (const auto& n : r.notes) out << "  Note: " << n << '\n';
  if (explain) {
    out << "\nDerivation\n";
    for (const auto& l : derivation(r)) out << "  " << l << '\n';
  }
}

void render_train_json(const TrainResult& r, std::ostream& out, bool explain) {
  const auto& m = r.memory;
  ordered_json j;
  j["schema_version"] = 1;
  j["model"] = r.model_id;
  j["method"] = std::string(method_name(r.method));
  j["rank"] = r.method == TrainMethod::full ? ordered_json(nullptr) : ordered_json(r.rank);
  j["targets"] = r.method == TrainMethod::full ? ordered_json(nullptr) : ordered_json(std::string(targets_name(r.targets)));
  j["checkpointing"] = std::string(checkpointing_name(r.checkpointing));
  j["optimizer"] = std::string(optimizer_name(r.optimizer));
  j["precision"] = std::string(precision_name(r.precision));
  j["zero"] = r.zero;
  j["seq"] = r.seq;
  j["micro_batch"] = r.micro_batch;
  j["global_batch"] = r.global_batch;
  j["grad_accumulation"] = r.grad_accumulation;
  j["pipeline_bubble"] = r.pipeline_bubble;
  j["total_params"] = r.total_params.count();
  j["trainable_params"] = r.trainable_params.count();
  j["routed_trainable_params"] = r.routed_trainable_params.count();
  j["active_params"] = r.active_params.count();
  j["bytes_per_trainable_param"] = r.bytes_per_trainable_param;
  j["base_weight_bytes"] = r.base_weight_bytes.count();
  j["gpu"] = r.gpu ? ordered_json{{"id", r.gpu->id}, {"name", r.gpu->name}, {"memory_bytes", r.gpu->memory.count()}}
                   : ordered_json(nullptr);
  j["gpus"] = r.gpus;
  j["auto_count"] = json_or_null(r.auto_count);
  j["parallelism"] = {{"data", r.dp}, {"tensor", r.tp}, {"pipeline", r.pp}, {"expert", r.ep}};
  j["fits"] = json_or_null(r.fits);
  j["memory_per_gpu"] = {{"weights_bytes", m.weights.count()},
                         {"gradients_bytes", m.gradients.count()},
                         {"optimizer_bytes", m.optimizer.count()},
                         {"activations_bytes", m.activations.count()},
                         {"activation_layers_bytes", m.activation_layers.count()},
                         {"logits_bytes", m.logits.count()},
                         {"gathered_weights_bytes", m.gathered_weights.count()},
                         {"overhead_bytes", m.overhead.count()},
                         {"total_bytes", m.total.count()}};
  const auto& p = r.per_token;
  j["per_token"] = {{"layer_activation_bytes", p.layer_activation_bytes},
                    {"stored_activation_bytes", p.stored_activation_bytes},
                    {"recompute_peak_bytes", p.recompute_peak_bytes},
                    {"logits_bytes", p.logits_bytes},
                    {"forward_matmul_flops", p.forward_matmul_flops},
                    {"forward_attention_flops", p.forward_attention_flops},
                    {"adapter_flops", p.adapter_flops},
                    {"model_flops", p.model_flops},
                    {"flops", p.flops}};
  j["fit_hint"] = r.fit_hint ? ordered_json{{"flags", r.fit_hint->flags}, {"gpus", r.fit_hint->gpus}}
                             : ordered_json(nullptr);
  j["utilization"] = r.utilization;
  j["mfu"] = r.mfu;
  j["utilization_source"] = r.utilization_source;
  j["tokens"] = json_or_null(r.tokens);
  j["total_flops"] = json_or_null(r.total_flops);
  j["steps"] = json_or_null(r.steps);
  j["seconds"] = json_or_null(r.seconds);
  j["compute_seconds_per_step"] = r.seconds ? ordered_json(r.compute_seconds_per_step) : ordered_json(nullptr);
  j["comm_bytes_per_step"] = r.seconds ? ordered_json(r.comm_bytes_per_step) : ordered_json(nullptr);
  j["comm_seconds_per_step"] = r.seconds ? ordered_json(r.comm_seconds_per_step) : ordered_json(nullptr);
  j["gpu_hours"] = json_or_null(r.gpu_hours);
  j["days"] = json_or_null(r.days);
  j["usd_per_gpu_hour"] = json_or_null(r.usd_per_gpu_hour);
  j["price_source"] = r.price_source;
  j["cost_usd"] = json_or_null(r.cost_usd);
  j["owned"] = r.owned_cost_usd ? ordered_json{{"cost_usd", *r.owned_cost_usd},
                                               {"hardware_usd", r.owned_hardware_usd},
                                               {"amortization_usd", r.owned_amortization_usd},
                                               {"power_usd", r.owned_power_usd},
                                               {"power_watts", r.owned_power_watts}}
                                : ordered_json(nullptr);
  j["notes"] = r.notes;
  if (explain) j["derivation"] = derivation(r);
  out << j.dump(2) << '\n';
}

}  // namespace dsplan::cli
