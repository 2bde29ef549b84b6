// `dsplan estimate MODEL`: memory, and with hardware: layout, throughput, cost and capacity.
#include "cli/commands.hpp"
#include "cli/model_input.hpp"
#include "cli/options.hpp"
#include "cli/render.hpp"
#include "dsplan/error.hpp"
#include "dsplan/plan.hpp"

namespace dsplan::cli {

namespace {

ExitCode run_estimate(EstimateOptions o, Context& ctx) {
  resolve_model_argument(o.model, o.quant, o.model_file, ctx);
  const PlanResult plan = run_plan(ctx.catalog(), to_plan_request(o, ctx.global.explain));
  if (ctx.global.json) render_estimate_json(plan, ctx.out, ctx.global.explain);
  else render_estimate_table(plan, ctx.out, ctx.global.explain);
  return ExitCode::ok;
}

}  // namespace

void setup_estimate(CLI::App& app, Context& ctx) {
  auto* sub = app.add_subcommand("estimate", "Memory, layout, speed and cost of running a model");
  auto o = std::make_shared<EstimateOptions>();
  sub->add_option("model", o->model,
                  "Model id, alias (1.5b 7b 8b 14b 32b 70b 671b r1 v3), Hugging Face name, or a model file (as "
                  "--model-file)");
  add_estimate_options(sub, *o);
  sub->footer(
      "Examples:\n"
      "  dsplan estimate 70b --quant q4_k_m\n"
      "  dsplan estimate 70b --quant q4_k_m --gpu rtx3090 --count 2\n"
      "  dsplan estimate r1 --quant iq1_s --gpu rtx4090 --ram 256 --cpu epyc-9654 --offload-experts\n"
      "  dsplan estimate r1 --gpu h200 --count auto --users 64 --target-tps 20\n"
      "  dsplan estimate 32b --quant awq --engine vllm --gpus 2xrtx4090 --json\n"
      "  dsplan estimate DeepSeek-R1-UD-IQ1_S-00001-of-00003.gguf --gpu rtx4090 --ram 192 --offload-experts\n"
      "  dsplan estimate --model-file hf:unsloth/DeepSeek-R1-GGUF/DeepSeek-R1-UD-IQ1_S --vram 24 --ram 192");
  sub->callback([&ctx, o] { ctx.runner = [&ctx, o] { return run_estimate(*o, ctx); }; });
}

}  // namespace dsplan::cli
