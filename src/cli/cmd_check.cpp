// `dsplan check MODEL`: exit 0 when the scenario fits and meets every limit, 1 when not, for CI.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/detect.hpp"
#include "cli/model_input.hpp"
#include "cli/options.hpp"
#include "cli/output.hpp"
#include "cli/render.hpp"
#include "cli/render_json.hpp"
#include "cli/setting_flags.hpp"
#include "dsplan/base/error.hpp"
#include "dsplan/recommend/recommend.hpp"
#include "dsplan/serving/check.hpp"

namespace dsplan::cli {

namespace {

struct CheckOptions {
  EstimateOptions estimate;
  std::string min_tps, max_ttft_ms, max_usd_per_mtok, max_memory_fraction;
};

CheckLimits to_limits(const CheckOptions& o) {
  CheckLimits l;
  l.min_tokens_per_s = optional_number(o.min_tps, "--min-tps", 0, k_max_tokens_per_s_limit);
  // A time of 0 or a price of 0 is a limit nothing meets: refused rather than always failing.
  if (const auto ms = optional_number(o.max_ttft_ms, "--max-ttft-ms", 0.001, 1e12)) l.max_ttft_s = *ms / 1000.0;
  l.max_usd_per_million_tokens = optional_number(o.max_usd_per_mtok, "--max-usd-per-mtok", 1e-6, 1e9);
  l.max_memory_fraction = optional_number(o.max_memory_fraction, "--max-memory-fraction", 0.001, 1.0);
  return l;
}

ExitCode run_check(CheckOptions o, Context& ctx) {
  const CheckLimits limits = to_limits(o);
  resolve_detection(o.estimate.hw, ctx);
  resolve_model_argument(o.estimate.model, o.estimate.quant, o.estimate.model_file, ctx);
  PlanResult plan = plan_from_options(ctx.catalog(), o.estimate, ctx.global.explain);
  require_limits_answerable(ctx.catalog(), plan, to_cost_request(o.estimate), limits);
  const auto checks = run_checks(plan, limits);
  const bool pass = std::all_of(checks.begin(), checks.end(), [](const CheckOutcome& c) { return c.passed; });
  std::optional<std::string> fitting;  // what does pass, when this does not
  if (!pass) fitting = fitting_quant_note(ctx.catalog(), to_plan_request(o.estimate, false), plan, limits);
  if (fitting) plan.notes.push_back(*fitting);
  const auto json = [&](std::ostream& out) {
    nlohmann::ordered_json j;
    j["schema_version"] = 1;
    j["pass"] = pass;
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto& c : checks)
      list.push_back({{"name", c.name}, {"passed", c.passed}, {"measured", c.measured}, {"required", c.required},
                      {"unit", c.unit}, {"text", c.text}});
    j["checks"] = list;
    j["estimate"] = estimate_to_json(plan, ctx.global.explain);
    out << j.dump(2) << '\n';
  };
  const auto table = [&](std::ostream& out) {
    for (const auto& c : checks) out << (c.passed ? "ok    " : "FAIL  ") << c.text << '\n';
    if (fitting) out << "note  " << with_flags(*fitting) << '\n';
    if (!pass)
      for (const auto& speedup : plan.prompt_speedups) out << "note  " << with_flags(speedup) << '\n';
    if (plan.fits) launch_lines(plan, out, "");
    if (ctx.global.explain) derivation_section(plan.memory.derivation, out);
  };
  render_output(ctx, {"check", table, json, {"/checks/*"}});
  return pass ? ExitCode::ok : ExitCode::check_failed;
}

}  // namespace

void setup_check(CLI::App& app, Context& ctx) {
  auto* sub = app.add_subcommand("check", "Exit 0 if a scenario fits and meets every limit, 1 if not (for CI)");
  auto o = std::make_shared<CheckOptions>();
  sub->add_option("model", o->estimate.model, "Model id or alias, or a model file (as --model-file)");
  add_estimate_options(sub, o->estimate);
  sub->add_option("--min-tps", o->min_tps, "Fewest decode tokens/s per sequence")->group("Limits");
  sub->add_option("--max-ttft-ms", o->max_ttft_ms, "Longest time to first token, ms")->group("Limits");
  sub->add_option("--max-usd-per-mtok", o->max_usd_per_mtok, "Highest cost per million output tokens, USD")
      ->group("Limits");
  sub->add_option("--max-memory-fraction", o->max_memory_fraction,
                  "Highest share of the fullest device's usable memory, 0-1 (headroom)")
      ->group("Limits");
  sub->footer(
      "Exit codes: 0 every check passed; 1 a check failed (one FAIL line each); 2 bad input.\n"
      "Examples:\n"
      "  dsplan check 32b --quant q4_k_m --gpu rtx4090 --context 16k --min-tps 25\n"
      "  dsplan check r1 --gpu h200 --count 8 --batch 32 --max-ttft-ms 2000 --max-usd-per-mtok 5\n"
      "  dsplan check 70b --quant q4_k_m --gpus 2xrtx3090 --max-memory-fraction 0.9 --quiet\n"
      "  dsplan check ./DeepSeek-R1-Distill-Qwen-32B-Q4_K_M.gguf --gpu rtx4090 --context 16k --min-tps 25");
  sub->callback([&ctx, o] { ctx.runner = [&ctx, o] { return run_check(*o, ctx); }; });
}

}  // namespace dsplan::cli
