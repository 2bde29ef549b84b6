// Rendering of `dsplan recommend`: the pick with its reasons and launch command, runners-up and
// notable rejections as tables, or one JSON object with every candidate.
#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "cli/format.hpp"
#include "cli/json_optional.hpp"
#include "cli/render.hpp"
#include "cli/render_json.hpp"
#include "cli/table.hpp"
#include "dsplan/serving/launch.hpp"

namespace dsplan::cli {

namespace {

/// The user's own GPUs, which a candidate may use only some of (none when renting).
const HardwareRequest* own_gpus(const RecommendRequest& r) { return !r.cloud && r.hardware ? &*r.hardware : nullptr; }

using ordered_json = nlohmann::ordered_json;

constexpr std::size_t k_rejections_shown = 5;

std::string money(const std::optional<double>& usd) { return usd ? fmt::format("${:.0f}", *usd) : "-"; }

std::string layout_text(const Evaluation& e) {
  const Layout& l = e.layout;
  switch (l.strategy) {
    case LayoutStrategy::tensor_parallel:
      if (l.attention_data_parallel > 1) return fmt::format("TP {} + DP attention", l.tensor_parallel);
      return l.pipeline_parallel > 1 ? fmt::format("TP {} x PP {}", l.tensor_parallel, l.pipeline_parallel)
                                     : fmt::format("TP {}", l.tensor_parallel);
    case LayoutStrategy::expert_offload: return "experts in RAM";
    case LayoutStrategy::cpu_only: return "CPU only";
    case LayoutStrategy::layer_split: break;
  }
  if (l.gpu_layers >= e.blocks + 1) return "all on GPU";
  return fmt::format("{} of {} layers on GPU", l.gpu_layers, e.blocks + 1);
}

/// What the pick costs, as the budget counts it: up front for the GPUs (--budget-period upfront),
/// else a month of renting or owning.
std::string spend_text(const Candidate& pick, const RecommendRequest& r) {
  if (r.cloud && r.budget_period == BudgetPeriod::upfront && pick.upfront_usd())
    return fmt::format(
        "; {} up front for the GPUs{}", money(pick.upfront_usd()),
        pick.usd_per_month() ? fmt::format(" (renting them: {} a month)", money(pick.usd_per_month())) : "");
  if (!pick.usd_per_month()) return "";
  return fmt::format("; {} a month {}", money(pick.usd_per_month()),
                     r.cloud ? "to rent" : "to own (purchase over the years, power, upkeep)");
}

ordered_json candidate_json(const Candidate& c, std::optional<std::size_t> rank, const RecommendRequest& r) {
  ordered_json j;
  j["rank"] = json_or_null(rank);
  j["model"] = c.model->id;
  j["quant"] = c.quant->id;
  j["engine"] = c.engine->id;
  j["hardware"] = c.hardware;
  j["gpus"] = c.gpus;
  j["feasible"] = c.feasible;
  j["fits"] = c.fits();
  j["layout"] = c.evaluation ? ordered_json(layout_text(*c.evaluation)) : ordered_json(nullptr);
  j["fullest_device_fraction"] = c.evaluation ? ordered_json(c.fullest_device()) : ordered_json(nullptr);
  // Placed (fitting or not), each device holds its own compute buffer: the total is what the
  // devices hold together, so total = gpu + ram as documented.
  const Bytes total = c.gpu_used() + c.ram_used();
  j["memory"] = c.evaluation ? ordered_json{{"total_bytes", total.count()},
                                            {"gpu_bytes", c.gpu_used().count()},
                                            {"gpu_capacity_bytes", c.gpu_capacity().count()},
                                            {"ram_bytes", c.ram_used().count()}}
                             : ordered_json(nullptr);
  const auto band = [](const SpeedRange* b) { return b ? speed_band_json(*b) : ordered_json(nullptr); };
  j["throughput"] = c.fits() ? ordered_json{{"decode_tokens_per_s", c.decode_tokens_per_s()},
                                            {"served_decode_tokens_per_s", c.per_user_tokens_per_s()},
                                            {"decode_band", band(c.decode_band())},
                                            {"served_band", band(c.served_band())},
                                            {"aggregate_tokens_per_s", c.aggregate_tokens_per_s()},
                                            {"prefill_tokens_per_s", c.prefill_tokens_per_s()},
                                            {"prefill_band", band(c.prefill_band())},
                                            {"ttft_s", c.ttft_s()}}
                             : ordered_json(nullptr);
  j["cost"] = {{"usd_per_month", json_or_null(c.usd_per_month())},
               {"usd_per_million_tokens", json_or_null(c.usd_per_million_tokens())},
               {"upfront_usd", json_or_null(c.upfront_usd())}};
  j["benchmark_score"] = c.benchmark ? ordered_json(c.benchmark->score) : ordered_json(nullptr);
  j["benchmarks"] = c.benchmark ? ordered_json(c.benchmark->parts) : ordered_json::array();
  j["quant_kld"] = c.penalty ? ordered_json(c.penalty->kld) : ordered_json(nullptr);
  j["quant_factor"] = c.penalty ? ordered_json(c.penalty->factor) : ordered_json(nullptr);
  j["score"] = c.score;
  j["reasoning_model"] = c.reasoning_model;
  j["reasons"] = c.reasons;
  const std::string command = c.fits() ? launch_command(c, r.context, r.users, own_gpus(r)).command : std::string();
  j["command"] = command.empty() ? ordered_json(nullptr) : ordered_json(command);
  if (r.context_max)
    j["max_context"] = c.max_context_search
                           ? ordered_json{{"context", c.max_context},
                                          {"limit", c.max_context_search->limit},
                                          {"kv_type", c.max_context_search->kv_type},
                                          {"limited_by", c.max_context_search->limited_by}}
                           : ordered_json(nullptr);
  return j;
}

}  // namespace

void render_recommend_table(const Recommendation& rec, const RecommendRequest& r, std::ostream& out) {
  out << fmt::format("Task: {} ({}); context {} tokens x {} user{}; at least {:g} tokens/s per user\n", rec.task->id,
                     rec.task->name, with_commas(r.context), r.users, r.users == 1 ? "" : "s", r.min_tokens_per_s);
  const auto list = shortlist(rec);
  if (list.empty()) {
    out << "\n" << rec.nothing << ".\n";
  } else {
    const Candidate& pick = list.front();
    out << fmt::format("\nPick: {} {} on {} ({}, {})\n", pick.model->name, pick.quant->name, pick.engine->name,
                       pick.hardware, layout_text(*pick.evaluation));
    const std::string decode_band =
        pick.served_band() ? fmt::format(" {}", band_note(*pick.served_band(), pick.per_user_tokens_per_s())) : "";
    const std::string ttft_band =
        pick.prefill_band() ? ttft_range(pick.ttft_s(), pick.prefill_tokens_per_s(), *pick.prefill_band()) : "";
    out << fmt::format("  Score {:.1f}; {}; {:.1f} tokens/s per user{}; first token in {:.2f} s{}{}\n", pick.score,
                       pick.memory_text(), pick.per_user_tokens_per_s(), decode_band, pick.ttft_s(), ttft_band,
                       spend_text(pick, r));
    const LaunchCommand run = launch_command(pick, r.context, r.users, own_gpus(r));
    out << "  Run: " << run.shown() << '\n';
    if (const auto* own = own_gpus(r); own && pick.placed_on && !run.command.empty())
      if (const auto devices = devices_of_part(*own, *pick.placed_on); !devices.empty())
        out << fmt::format(
            "  GPUs: it runs on {} of yours ({} {}, counting from 0 in the order --gpus lists them; "
            "CUDA_VISIBLE_DEVICES counts as `nvidia-smi -L` lists them: check that the order matches)\n",
            pick.hardware, devices.size() == 1 ? "GPU" : "GPUs", fmt::join(devices, ","));
    if (const auto& cs = pick.max_context_search)
      out << fmt::format("  Longest context: {} tokens per user (window {}; limited by {})\n",
                         with_commas(pick.max_context), with_commas(cs->limit),
                         cs->limited_by == "model" ? std::string("the model's window") : cs->limited_by);
  }
  out << "\nWhy\n";
  for (const auto& line : rec.why) out << "  - " << wrap(line, 96, "    ") << '\n';
  if (list.size() > 1) {
    out << "\nRunners-up\n";
    const bool priced = std::any_of(list.begin(), list.end(), [](const Candidate& c) { return c.usd_per_month().has_value(); });
    std::vector<Table::Column> cols{{"Model"},           {"Quant"},
                                    {"Engine"},          {"Layout"},
                                    {"Score", Table::Align::right}, {"GPU GiB", Table::Align::right},
                                    {"tok/s", Table::Align::right}, {"TTFT s", Table::Align::right}};
    if (r.cloud) cols.push_back({"Hardware"});
    if (r.context_max) cols.push_back({"Max context", Table::Align::right});
    const bool buying = r.cloud && r.budget_period == BudgetPeriod::upfront;
    if (priced)
      cols.push_back({buying ? "Buy GPUs USD" : r.cloud ? "Rent USD/month" : "Own USD/month", Table::Align::right});
    Table t(cols);
    bool unbanded = false;  // a footnote for the marks the table shows
    const auto marked = [&](double value, int digits, const SpeedRange* band) {
      const bool mark = band && !band->calibrated;
      unbanded = unbanded || mark;
      return fixed(value, digits) + (mark ? "?" : "");
    };
    for (std::size_t i = 1; i < list.size(); ++i) {
      const Candidate& c = list[i];
      std::vector<std::string> row{c.model->name,
                                   c.quant->name,
                                   c.engine->id,
                                   layout_text(*c.evaluation),
                                   fixed(c.score, 1),
                                   fixed(c.gpu_used().gib(), 2),
                                   marked(c.per_user_tokens_per_s(), 1, c.served_band()),
                                   marked(c.ttft_s(), 2, c.prefill_band())};
      if (r.cloud) row.push_back(c.hardware);
      if (r.context_max) row.push_back(c.max_context_search ? with_commas(c.max_context) : "-");
      if (priced) row.push_back(money(buying ? c.upfront_usd() : c.usd_per_month()));
      t.add_row(row);
    }
    t.render(out, "  ");
    if (unbanded)
      out << "  ? uncalibrated: fewer than 3 published measurements of its engine, hardware and model kind, so it may "
             "be off by 0.5x-2x ('dsplan estimate' gives the range)\n";
  }
  const auto rejected = notable_rejections(rec, k_rejections_shown);
  if (!rejected.empty()) {
    out << (list.empty() ? "\nClosest candidates and why they were rejected\n" : "\nHigher scores that were rejected\n");
    Table t({{"Model"}, {"Quant"}, {"Engine"}, {"Score", Table::Align::right}, {"Why not"}});
    for (const auto& c : rejected)
      t.add_row({c.model->name, c.quant->name, c.engine->id, fixed(c.score, 1), c.reasons.front()});
    t.render(out, "  ");
  }
  for (const auto& n : rec.notes) out << "Note: " << n << '\n';
}

void render_recommend_json(const Recommendation& rec, const RecommendRequest& r, std::ostream& out, bool all) {
  ordered_json j;
  j["schema_version"] = 1;
  j["task"] = {{"id", rec.task->id}, {"name", rec.task->name}, {"why", rec.task->why}};
  j["prefer"] = std::string(preference_name(rec.prefer));
  j["context"] = r.context;
  j["users"] = r.users;
  j["min_tokens_per_s"] = r.min_tokens_per_s;
  j["headroom"] = r.headroom;
  j["max_ttft_s"] = r.max_ttft_s ? ordered_json(*r.max_ttft_s) : ordered_json(nullptr);
  j["budget_usd"] = r.budget_usd ? ordered_json(*r.budget_usd) : ordered_json(nullptr);
  j["combinations"] = rec.candidates;
  j["placed"] = rec.placed;
  j["pick"] = rec.ranked.empty() ? ordered_json(nullptr) : candidate_json(rec.ranked.front(), 1, r);
  ordered_json runners = ordered_json::array();
  const auto list = shortlist(rec);
  for (std::size_t i = 1; i < list.size(); ++i) runners.push_back(candidate_json(list[i], i + 1, r));
  j["runners_up"] = runners;
  ordered_json rejected = ordered_json::array();
  for (const auto& c : notable_rejections(rec, k_rejections_shown)) rejected.push_back(candidate_json(c, std::nullopt, r));
  j["rejected"] = rejected;
  if (all) {
    ordered_json every = ordered_json::array();
    for (std::size_t i = 0; i < rec.ranked.size(); ++i) every.push_back(candidate_json(rec.ranked[i], i + 1, r));
    for (const auto& c : rec.rejected) every.push_back(candidate_json(c, std::nullopt, r));
    j["candidates"] = every;
  }
  j["why"] = rec.why;
  j["notes"] = rec.notes;
  out << j.dump(2) << '\n';
}

}  // namespace dsplan::cli
