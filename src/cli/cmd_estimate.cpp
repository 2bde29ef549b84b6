// `dsplan estimate MODEL`: memory, and with hardware: layout, throughput, cost and capacity.
#include "cli/commands.hpp"
#include "cli/detect.hpp"
#include "cli/model_input.hpp"
#include "cli/options.hpp"
#include "cli/output.hpp"
#include "cli/render.hpp"
#include "cli/render_svg.hpp"
#include "dsplan/base/error.hpp"
#include "dsplan/recommend/recommend.hpp"
#include "dsplan/serving/plan.hpp"

namespace dsplan::cli {

namespace {

struct EstimateCommandOptions {
  EstimateOptions estimate;
  std::string sweep;  ///< "context": a table over contexts instead of one estimate
  std::string svg;    ///< --svg FILE: a picture of the result besides the output
};

ExitCode run_sweep(const EstimateOptions& o, const std::string& svg, Context& ctx) {
  if (asks_context_max(o.context)) throw InputError("--sweep context goes over every context; drop --context max");
  if (!o.context.empty()) throw InputError("--sweep context sets the context itself; drop --context");
  if (!o.users.empty()) throw InputError("--sweep context plans one sequence per context; drop --users");
  if (ctx.global.explain)
    throw InputError("--explain derives one plan's figures; --sweep context lists many: drop one of them");
  const auto points = sweep_context(ctx.catalog(), to_plan_request(o, false));
  if (!svg.empty()) ctx.files.push_back({"--svg", svg, render_sweep_svg(points)});
  render_output(ctx, {"estimate --sweep", [&](std::ostream& out) { render_sweep_table(points, out); },
                      [&](std::ostream& out) { render_sweep_json(points, out); }, {"/points/*"}});
  return ExitCode::ok;
}

ExitCode run_estimate(EstimateCommandOptions c, Context& ctx) {
  if (!c.svg.empty()) check_output_path("--svg", c.svg);
  resolve_detection(c.estimate.hw, ctx);
  // Memory only (no hardware, so no layout, speed or cost): the GPU and price data are not parsed.
  if (c.sweep.empty() && !to_plan_request(c.estimate, false).hardware) ctx.catalog_scope = CatalogScope::model_data;
  resolve_model_argument(c.estimate.model, c.estimate.quant, c.estimate.model_file, ctx);
  if (!c.sweep.empty()) {
    if (c.sweep != "context") throw InputError("--sweep: '" + c.sweep + "' is not one of context");
    return run_sweep(c.estimate, c.svg, ctx);
  }
  const EstimateOptions& o = c.estimate;
  PlanResult plan = plan_from_options(ctx.catalog(), o, ctx.global.explain);
  if (auto note = fitting_quant_note(ctx.catalog(), to_plan_request(o, false), plan)) plan.notes.push_back(*note);
  if (plan.hardware && plan.throughput && !(plan.cost && plan.cost->owned))
    warn_if_cost_flags_unused(o, "the plan has", ctx);
  if (!c.svg.empty()) ctx.files.push_back({"--svg", c.svg, render_estimate_svg(plan)});
  const bool color = ctx.env().stdout_is_tty && !ctx.env().no_color;
  render_output(ctx, {"estimate", [&](std::ostream& out) { render_estimate_table(plan, out, ctx.global.explain, color); },
                      [&](std::ostream& out) { render_estimate_json(plan, out, ctx.global.explain); }, {}});
  return ExitCode::ok;
}

}  // namespace

void setup_estimate(CLI::App& app, Context& ctx) {
  auto* sub = app.add_subcommand("estimate", "Memory, layout, speed and cost of running a model");
  auto c = std::make_shared<EstimateCommandOptions>();
  auto* o = &c->estimate;
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
      "  dsplan estimate 70b --quant q4_k_m --gpu rtx4090 --count 2 --context max --kv-type auto\n"
      "  dsplan estimate 8b --quant q4_k_m --gpu rtx4090 --sweep context\n"
      "  dsplan estimate DeepSeek-R1-UD-IQ1_S-00001-of-00003.gguf --gpu rtx4090 --ram 192 --offload-experts\n"
      "  dsplan estimate --model-file hf:unsloth/DeepSeek-R1-GGUF/DeepSeek-R1-UD-IQ1_S --vram 24 --ram 192");
  sub->add_option("--sweep", c->sweep, "'context': memory, fit and tokens/s at every power of two up to the window");
  sub->add_option("--svg", c->svg,
                  "Also draw the result as an SVG picture in FILE (memory per device; with --sweep, memory and "
                  "tokens/s against context); written only on success")
      ->type_name("FILE");
  sub->callback([&ctx, c] { ctx.runner = [&ctx, c] { return run_estimate(*c, ctx); }; });
}

}  // namespace dsplan::cli
