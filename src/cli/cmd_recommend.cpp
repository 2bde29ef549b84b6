// `dsplan recommend`: which model, quant and engine to run on this hardware for this task.
#include "cli/commands.hpp"
#include "cli/detect.hpp"
#include "cli/output.hpp"
#include "cli/model_input.hpp"
#include "cli/options.hpp"
#include "cli/parse_units.hpp"
#include "cli/render.hpp"
#include "dsplan/base/error.hpp"
#include "dsplan/recommend/recommend.hpp"

namespace dsplan::cli {

namespace {

struct RecommendOptions {
  HardwareOptions hw;
  EstimateOptions cost;  ///< only the cost flags are used
  bool cloud = false;
  bool all = false;  ///< --json: every candidate, not only the pick, runners-up and notable rejections
  std::string task = "chat", context, users = "1", latency_ms, min_tps, budget, budget_period;
  std::string prefer = "quality", max_gpus, headroom;
  std::vector<std::string> models, quants, engines;
  std::string model_file;
};

RecommendRequest to_request(const RecommendOptions& o) {
  RecommendRequest r;
  bool count_auto = false;
  r.hardware = to_hardware(o.hw, count_auto);
  if (count_auto) throw InputError("--count auto: recommend takes the hardware you have; use --cloud to choose it");
  r.cloud = o.cloud;
  r.task = o.task;
  r.context_max = asks_context_max(o.context);  // rank at the default context, then find each shortlisted one's longest
  r.context = r.context_max || o.context.empty() ? k_default_recommend_context
                                                 : parse_tokens(o.context, "--context", 2, k_max_context);
  r.users = parse_integer(o.users, "--users", 1, 100'000);
  if (const auto ms = optional_number(o.latency_ms, "--latency-ms", 1, 1e9)) r.max_ttft_s = *ms / 1000.0;
  if (const auto tps = optional_number(o.min_tps, "--min-tps", 0, k_max_tokens_per_s_limit)) r.min_tokens_per_s = *tps;
  r.budget_usd = optional_number(o.budget, "--budget-usd", 0, 1e12);
  if (!o.budget_period.empty()) {
    if (o.budget.empty()) throw InputError("--budget-period goes with --budget-usd (the budget it applies to)");
    r.budget_period = parse_choice<BudgetPeriod>(k_budget_periods, o.budget_period, "--budget-period");
  }
  r.prefer = parse_choice<Preference>(k_preferences, o.prefer, "--prefer");
  if (!o.max_gpus.empty()) {
    if (!o.cloud) throw InputError("--max-gpus goes with --cloud (the largest rented deployment considered)");
    r.max_gpus = parse_integer(o.max_gpus, "--max-gpus", 1, 4096);
  }
  if (const auto h = optional_number(o.headroom, "--headroom", 0, 0.9)) r.headroom = *h;
  r.models = split_commas(o.models, "--model");
  r.quants = split_commas(o.quants, "--quant");
  r.engines = split_commas(o.engines, "--engine");
  r.cost = to_cost_request(o.cost);
  return r;
}

void warn_unused_cost_flags(const EstimateOptions& c, const Recommendation& rec, Context& ctx) {
  if (!rec.ranked.empty() && !rec.ranked.front().usd_per_month()) warn_if_cost_flags_unused(c, "the pick has", ctx);
}

/// The default context, where every listed model's window is shorter (a small model file): the
/// longest window, as estimate defaults to a model's own; a given --context is checked as given.
void cap_default_context(const Catalog& cat, RecommendRequest& r) {
  if (const ModelSpec* longest = longest_window_model(cat, r.models); longest && longest->arch.max_context >= 2)
    r.context = std::min(r.context, longest->arch.max_context);
}

}  // namespace

void setup_recommend(CLI::App& app, Context& ctx) {
  auto* sub = app.add_subcommand("recommend", "Which model, quant and engine to run for a task on your hardware");
  auto o = std::make_shared<RecommendOptions>();
  add_hardware_options(sub, o->hw);
  sub->add_flag("--cloud", o->cloud, "Choose rented GPUs too (the catalog's cloud prices)")->group("Hardware");
  sub->add_option("--max-gpus", o->max_gpus, "With --cloud: the largest deployment considered (default 64)")
      ->group("Hardware");
  sub->add_option("-t,--task", o->task,
                  "code, math, reasoning, chat, writing, summarize, classify or extract (default chat)")
      ->group("Need");
  sub->add_option("-c,--context", o->context,
                  "Tokens per conversation, prompt and answer: 8k, 32k (default 8192, or the longest window of the "
                  "models when shorter); 'max': rank at 8192, then "
                  "show the longest context the pick and runners-up hold")
      ->group("Need");
  sub->add_option("--users", o->users, "Concurrent users, each with --context tokens (default 1)")->group("Need");
  sub->add_option("--latency-ms", o->latency_ms, "Longest acceptable time to the first token, in ms")->group("Need");
  sub->add_option("--min-tps", o->min_tps, "Fewest tokens per second per user (default 5; 0 = any speed)")
      ->group("Need");
  sub->add_option("--headroom", o->headroom, "Share of each device's memory to leave free, 0-0.9 (default 0.05)")
      ->group("Need");
  sub->add_option("--budget-usd", o->budget, "With --cloud: most USD to spend (a month, or up front)")->group("Spend");
  sub->add_option("--budget-period", o->budget_period, "month (rent, default) or upfront (buy the GPUs)")
      ->group("Spend");
  sub->add_option("--prefer", o->prefer, "quality (default), speed or cost among near-best candidates")
      ->group("Spend");
  add_cost_flags(sub, o->cost);
  sub->add_flag("--all", o->all, "With --json: every candidate placed (candidates[]), not only the pick and runners-up");
  sub->add_option("--model", o->models, "Only these models (ids or aliases; repeatable or comma-separated)")
      ->group("Filters");
  sub->add_option("--quant", o->quants, "Only these quant formats")->group("Filters");
  sub->add_option("--model-file", o->model_file,
                  "Only this file (.gguf, .safetensors, directory, https:// URL or hf:OWNER/REPO/FILE), in its exact "
                  "tensors; a file of a catalog model keeps that model's benchmarks")
      ->group("Filters");
  sub->add_option("--engine", o->engines,
                  "Only these engines: llama.cpp, ik_llama.cpp, ollama, vllm, sglang, transformers")
      ->group("Filters");
  sub->footer(
      "Examples:\n"
      "  dsplan recommend --vram 24 --task code\n"
      "  dsplan recommend --gpu rtx4090 --ram 512 --cpu epyc-9654 --task reasoning\n"
      "  dsplan recommend --vram 24 --gpus 2 --task chat --users 4 --min-tps 15\n"
      "  dsplan recommend --gpu apple-m3-ultra --task math\n"
      "  dsplan recommend --cloud --budget-usd 5000 --task code --users 20 --json\n"
      "  dsplan recommend --vram 24 --ram 192 --task math --model-file DeepSeek-R1-UD-IQ1_S-00001-of-00003.gguf");
  sub->callback([&ctx, o] {
    ctx.runner = [&ctx, o] {
      if (o->hw.detect && o->cloud) throw InputError("--detect plans on this machine; --cloud chooses rented GPUs: give one");
      if (o->all && ctx.global.format == OutputFormat::table)
        throw InputError(
            "--all lists every candidate in --json or --format csv; the table shows the pick and runners-up");
      resolve_detection(o->hw, ctx);
      RecommendRequest request = to_request(*o);
      if (!o->model_file.empty()) {  // only the file: its model (benchmarks kept) in its exact bytes
        if (!request.quants.empty()) throw InputError("--quant does not apply to a model file: its own tensors are the format");
        if (request.models.size() > 1) throw InputError("--model-file takes at most one --model (the catalog model the file is)");
        const ModelFileChoice file = load_model_file(ctx, o->model_file, request.models.empty() ? "" : request.models.front());
        request.models = {file.model};
        request.quants = {file.quant};
      }
      if (o->context.empty()) cap_default_context(ctx.catalog(), request);
      const Recommendation rec = recommend(ctx.catalog(), request);
      warn_unused_cost_flags(o->cost, rec, ctx);
      // CSV: one row per candidate (the pick first), the request's settings repeated on each.
      const std::vector<std::string> rows = o->all ? std::vector<std::string>{"/candidates/*"}
                                                   : std::vector<std::string>{"/pick", "/runners_up/*"};
      render_output(ctx, {"recommend", [&](std::ostream& out) { render_recommend_table(rec, request, out); },
                          [&](std::ostream& out) { render_recommend_json(rec, request, out, o->all); },
                          rows});
      return rec.ranked.empty() ? ExitCode::check_failed : ExitCode::ok;
    };
  });
}

}  // namespace dsplan::cli
