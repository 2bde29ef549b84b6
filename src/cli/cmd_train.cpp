// `dsplan train MODEL`: memory per GPU, trainable parameters, time and cost of (fine-)tuning.

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/parse_units.hpp"
#include "cli/render.hpp"
#include "dsplan/base/error.hpp"
#include "dsplan/training/training.hpp"

namespace dsplan::cli {

namespace {

struct TrainOptions {
  std::string model, method = "full", rank, targets, gpu, count, zero = "0", tp = "1", pp = "1", ep = "1";
  std::string seq = "2048", micro_batch = "1", global_batch, tokens, checkpointing, optimizer = "adamw", mfu, price;
  std::string precision = "bf16";
  std::string purchase_price, host_price, kwh_price, pue, years, maintenance;  ///< owning the GPUs
  bool no_flash_attn = false;
  bool fused_loss = false;
  bool fsdp_qlora = false;
};

TrainRequest to_request(const TrainOptions& o) {
  TrainRequest r;
  r.model = o.model;
  r.method = parse_choice<TrainMethod>(k_train_methods, o.method, "--method");
  if (!o.rank.empty()) {
    if (r.method == TrainMethod::full) throw InputError("--rank applies to --method lora or qlora");
    r.rank = parse_integer(o.rank, "--rank", 1, 1'000'000);
  }
  if (!o.targets.empty()) {
    if (r.method == TrainMethod::full) throw InputError("--targets applies to --method lora or qlora");
    r.targets = parse_choice<LoraTargets>(k_lora_targets, o.targets, "--targets");
  }
  if (o.fsdp_qlora && r.method != TrainMethod::qlora)
    throw InputError("--fsdp-qlora applies to --method qlora (it stores the 4-bit weights in bf16 containers)");
  r.gpu = o.gpu;
  if (o.count == "auto") r.count_auto = true;
  else if (!o.count.empty()) r.count = parse_integer(o.count, "--count", 1, 1'000'000);
  if (!o.count.empty() && o.gpu.empty()) throw InputError("--count needs --gpu NAME");
  // Time and cost need a GPU to time and a token budget; without them these flags would do nothing.
  struct CostFlag {
    bool given;
    const char* flag;
    const char* needs_gpu;  ///< what the GPU is to it; null: only the tokens are needed
  };
  const CostFlag cost_flags[] = {{!o.price.empty(), "--price", "the GPU-hours it prices"},
                                 {!o.mfu.empty(), "--mfu", "the peak it is a fraction of"},
                                 {o.precision != "bf16", "--precision", nullptr},
                                 {!o.purchase_price.empty(), "--purchase-price", "the GPUs owning prices"},
                                 {!o.host_price.empty(), "--host-price", "the GPUs owning prices"},
                                 {!o.kwh_price.empty(), "--kwh-price", "the GPUs owning prices"},
                                 {!o.pue.empty(), "--pue", "the GPUs owning prices"},
                                 {!o.years.empty(), "--years", "the GPUs owning prices"},
                                 {!o.maintenance.empty(), "--maintenance", "the GPUs owning prices"}};
  r.precision = parse_choice<ComputePrecision>(k_precisions, o.precision, "--precision");  // a bad value first
  for (const auto& f : cost_flags) {
    if (f.given && f.needs_gpu && o.gpu.empty())
      throw InputError(fmt::format("{} needs --gpu NAME ({})", f.flag, f.needs_gpu));
    if (f.given && o.tokens.empty())
      throw InputError(
          fmt::format("{} sets the time and cost, which need --tokens N (the tokens to train on)", f.flag));
  }
  if (o.fsdp_qlora && o.zero != "3")
    throw InputError("--fsdp-qlora lets --zero 3 shard the 4-bit weights; without --zero 3 it changes nothing");
  r.zero = parse_integer(o.zero, "--zero", 0, 3);
  r.tp = parse_integer(o.tp, "--tp", 1, 1024);
  r.pp = parse_integer(o.pp, "--pp", 1, 1024);
  r.ep = parse_integer(o.ep, "--ep", 1, 4096);
  r.seq = parse_tokens(o.seq, "--seq", 1, 16'777'216);
  r.micro_batch = parse_integer(o.micro_batch, "--micro-batch", 1, 65'536);
  if (!o.global_batch.empty()) r.global_batch = parse_integer(o.global_batch, "--global-batch", 1, 1ULL << 32);
  if (!o.tokens.empty()) r.tokens = parse_amount(o.tokens, "--tokens", 1, 1e18);
  if (!o.checkpointing.empty())
    r.checkpointing = parse_choice<Checkpointing>(k_checkpointings, o.checkpointing, "--checkpointing");
  r.optimizer = parse_choice<Optimizer>(k_optimizers, o.optimizer, "--optimizer");
  r.flash_attention = !o.no_flash_attn;
  r.fsdp_qlora = o.fsdp_qlora;
  r.fused_loss = o.fused_loss;
  if (!o.mfu.empty()) r.mfu = parse_number(o.mfu, "--mfu", 0.001, 1.0);
  if (!o.price.empty()) r.usd_per_gpu_hour = parse_number(o.price, "--price", 0, 1e6);
  const auto optional = [](const std::string& text, const char* flag, double lo, double hi) {
    return text.empty() ? std::nullopt : std::optional<double>(parse_number(text, flag, lo, hi));
  };
  r.owned_cost.purchase_usd_per_gpu = optional(o.purchase_price, "--purchase-price", 0, 1e9);
  r.owned_cost.host_usd_per_node = optional(o.host_price, "--host-price", 0, 1e9);
  r.owned_cost.electricity_usd_per_kwh = optional(o.kwh_price, "--kwh-price", 0, 100);
  r.owned_cost.pue = optional(o.pue, "--pue", 1, 5);
  r.owned_cost.years = optional(o.years, "--years", 0.1, 50);
  r.owned_cost.maintenance_fraction_per_year = optional(o.maintenance, "--maintenance", 0, 1);
  return r;
}

}  // namespace

void setup_train(CLI::App& app, Context& ctx) {
  auto* sub = app.add_subcommand("train", "Memory per GPU, time and cost of full fine-tuning, LoRA or QLoRA");
  auto o = std::make_shared<TrainOptions>();
  sub->add_option("model", o->model, "Model id or alias (see 'dsplan list models')")->required();
  sub->add_option("--method", o->method, "full (also pretraining), lora or qlora (default full)");
  sub->add_option("--rank", o->rank, "LoRA rank r (default 16)");
  sub->add_option("--targets", o->targets, "LoRA target modules: attn, attn_mlp or all (all linear layers; default)");
  sub->add_option("--gpu", o->gpu, "GPU from the catalog ('dsplan list gpus')")->group("Hardware");
  sub->add_option("--count", o->count, "GPUs in all, or 'auto' for the smallest count that fits")->group("Hardware");
  sub->add_option("--zero", o->zero, "ZeRO stage 0-3 over the data-parallel GPUs (FSDP full shard = 3; default 0)")
      ->group("Parallelism");
  sub->add_option("--tp", o->tp, "Tensor-parallel size, with sequence parallelism (default 1)")->group("Parallelism");
  sub->add_option("--pp", o->pp, "Pipeline-parallel stages, 1F1B schedule (default 1)")->group("Parallelism");
  sub->add_option("--ep", o->ep, "Expert-parallel size: routed experts split over this many data-parallel GPUs")
      ->group("Parallelism");
  sub->add_option("--seq", o->seq, "Tokens per sequence: 2048, 8k (default 2048)")->group("Batch");
  sub->add_option("--micro-batch", o->micro_batch, "Sequences per GPU per forward pass (default 1)")->group("Batch");
  sub->add_option("--global-batch", o->global_batch,
                  "Sequences per optimizer step (default micro-batch x data-parallel GPUs)")
      ->group("Batch");
  sub->add_option("--tokens", o->tokens, "Training tokens for time and cost: 2e9, 500M, 14.8T")->group("Time and cost");
  sub->add_option("--checkpointing", o->checkpointing,
                  "Activation recompute: none, selective or full (default full for LoRA/QLoRA, selective for full)")
      ->group("Memory");
  sub->add_option("--optimizer", o->optimizer, "adamw (default), adamw8bit (bitsandbytes) or sgd (with momentum)")
      ->group("Memory");
  sub->add_flag("--no-flash-attn", o->no_flash_attn, "Attention that stores the s x s probabilities")->group("Memory");
  sub->add_flag("--fused-loss", o->fused_loss,
                "Chunked linear + cross-entropy kernel (Liger, Unsloth): the full logits never exist")
      ->group("Memory");
  sub->add_flag("--fsdp-qlora", o->fsdp_qlora,
                "QLoRA weights stored in bf16 containers (bitsandbytes >= 0.43), so --zero 3 can shard them")
      ->group("Memory");
  sub->add_option("--precision", o->precision, "Matmul precision for time: bf16 (default) or fp8")
      ->group("Time and cost");
  sub->add_option("--mfu", o->mfu,
                  "Model FLOPs utilization as trainers log it, recompute excluded (default: 40% of the peak on the "
                  "FLOPs executed, recompute included)")
      ->group("Time and cost");
  sub->add_option("--price", o->price, "USD per GPU-hour (default: the catalog's cheapest cloud price)")
      ->group("Time and cost");
  sub->add_option("--purchase-price", o->purchase_price, "Owning: USD per GPU (default: the catalog's)")
      ->group("Time and cost");
  sub->add_option("--host-price", o->host_price, "Owning: USD per node for the host (default: the catalog's parts)")
      ->group("Time and cost");
  sub->add_option("--kwh-price", o->kwh_price, "Owning: electricity in USD per kWh (default 0.16)")
      ->group("Time and cost");
  sub->add_option("--pue", o->pue, "Owning: power usage effectiveness (default 1.0 desk-side, 1.56 HBM)")
      ->group("Time and cost");
  sub->add_option("--years", o->years, "Owning: amortization horizon in years (default 5)")->group("Time and cost");
  sub->add_option("--maintenance", o->maintenance,
                  "Owning: maintenance per year, fraction of the purchase (default 0.10)")
      ->group("Time and cost");
  sub->footer(
      "Examples:\n"
      "  dsplan train 32b --method qlora --gpu rtx4090\n"
      "  dsplan train 70b --method lora --rank 16 --gpu a100-80g --count auto --zero 3\n"
      "  dsplan train 14b --method full --gpu h100-sxm --count 8 --zero 3 --tokens 2e9\n"
      "  dsplan train v3 --gpu h800 --count 2048 --pp 16 --ep 64 --zero 1 --seq 4096 \\\n"
      "      --global-batch 15360 --checkpointing full --precision fp8 --tokens 14.8T");
  sub->callback([&ctx, o] {
    ctx.runner = [&ctx, o] {
      const TrainResult r = estimate_training(ctx.catalog(), to_request(*o));
      const bool explain = ctx.global.explain;
      render_output(ctx, {"train",
                          [&](std::ostream& out) { render_train_table(r, out, explain); },
                          [&](std::ostream& out) { render_train_json(r, out, explain); },
                          {}});
      // --count auto is a question with no answer when no count fits: exit 1, as check and recommend do.
      return r.count_auto_failed() ? ExitCode::check_failed : ExitCode::ok;
    };
  });
}

}  // namespace dsplan::cli
