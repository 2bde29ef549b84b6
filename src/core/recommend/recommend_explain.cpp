// Recommendation explanation: the branches of the decision tree (docs/decisions.md) that led to
// the pick, as sentences with the figures behind them.
#include <algorithm>

#include <fmt/format.h>

#include "core/recommend/recommend_steps.hpp"
#include "dsplan/base/text.hpp"
#include "dsplan/files/file_weights.hpp"

namespace dsplan::detail {

namespace {

std::string score_text(const Candidate& c) {
  return fmt::format("{:.1f} ({}) x {:.3f} for {}", c.benchmark->score, join(c.benchmark->parts), c.penalty->factor,
                     c.quant->id);
}

/// How many candidates were tried, on what, and under which limits.
std::string search_text(const RecommendRequest& r, const Recommendation& out) {
  return fmt::format(
      "{} combinations scored, {} placements tried (a combination can be placed in several "
      "layouts) on {}{}; {} fit and meet the limits "
      "(min {:g} tokens/s per user{}{}).",
      out.candidates, out.placed, r.cloud ? "rented GPUs, e.g. " : "", out.ranked.front().hardware, out.ranked.size(),
      r.min_tokens_per_s, r.max_ttft_s ? fmt::format(", first token within {:.0f} ms", *r.max_ttft_s * 1000) : "",
      r.budget_usd ? fmt::format(", budget ${:.0f}", *r.budget_usd) : "");
}

/// The preference that chose among the candidates that fit.
std::string preference_text(const Recommendation& out, bool renting) {
  const Candidate& pick = out.ranked.front();
  const double best = std::max_element(out.ranked.begin(), out.ranked.end(), [](const auto& a, const auto& b) {
                        return a.score < b.score;
                      })->score;
  switch (out.prefer) {
    case Preference::quality:
      if (pick.score < best)  // a tie with a higher score, which the faster candidate wins
        return fmt::format(
            "Prefer quality: the highest task score that fits, {:.1f}, ties with scores up to {:g} below it, "
            "of which the {} wins: {} = {:.1f}.",
            best, k_score_tie, renting ? "cheapest per token (rented)" : "fastest", score_text(pick), pick.score);
      return fmt::format("Prefer quality: the highest task score that fits, {} = {:.1f}.", score_text(pick),
                         pick.score);
    case Preference::speed:
      return fmt::format(
          "Prefer speed: the fastest candidate scoring at least {:.0f}% of the best ({:.1f}); "
          "{} scores {:.1f}.",
          k_near_best * 100, best, pick.model->name, pick.score);
    case Preference::cost:
      // Without prices (a generic card has none) nothing is cheaper: the ranking falls to quality.
      if (!pick.usd_per_month())
        return fmt::format(
            "Prefer cost: no candidate has a price on this hardware (give --purchase-price, or --gpu for a catalog "
            "card), so the highest score that fits wins: {} = {:.1f}.",
            score_text(pick), pick.score);
      return fmt::format(
          "Prefer cost: the cheapest candidate scoring at least {:.0f}% of the best ({:.1f}); "
          "{} scores {:.1f}.",
          k_near_best * 100, best, pick.model->name, pick.score);
  }
  return "";
}

/// The pick's memory, speed and cost.
std::string pick_text(const Candidate& pick) {
  return fmt::format("{} {} on {}: {}, {:.1f} tokens/s per user, first token in {:.2f} s{}.", pick.model->name,
                     pick.quant->name, pick.engine->name, pick.memory_text(), pick.per_user_tokens_per_s(),
                     pick.ttft_s(),
                     pick.usd_per_month() ? fmt::format(", ${:.0f} a month", *pick.usd_per_month()) : "");
}

/// Whether the pick thinks before answering, and what that costs for the task.
std::optional<std::string> reasoning_text(const TaskSpec& task, const Candidate& pick) {
  if (task.short_answers)
    return pick.reasoning_model
               ? "Short answers: no non-reasoning (V3-line) model came within 10% of this score, so a "
                 "reasoning model it is; its chain of thought adds tokens before each answer."
               : "Short answers: a model that answers directly is preferred within 10% of the best score; "
                 "R1-line models think first, multiplying the tokens per answer.";
  if (pick.reasoning_model)
    return "Reasoning model: its scores are with a chain of thought, thousands of tokens before hard "
           "answers (R1-0528 averages 23K per AIME 2025 question), which its benchmark lead pays for.";
  return std::nullopt;
}

constexpr std::string_view k_nothing_fits = "Nothing fits the hardware and the limits";

/// No pick: nothing fits, or (nothing placed at all) no candidate has a score to rank it by.
std::string nothing_text(const RecommendRequest& r, const TaskSpec& task, const Recommendation& out) {
  const std::string unscored = fmt::format("no published {} benchmark for this model", task.id);
  // Models whose window is shorter than the context are out whatever their scores.
  const auto holds_context = [&](const Candidate& c) { return r.context <= c.model->arch.max_context; };
  const bool none_scored = out.placed == 0 && std::any_of(out.rejected.begin(), out.rejected.end(), holds_context) &&
                           std::all_of(out.rejected.begin(), out.rejected.end(), [&](const Candidate& c) {
                             return !holds_context(c) || (!c.reasons.empty() && c.reasons.front() == unscored);
                           });
  if (!none_scored) return std::string(k_nothing_fits);
  std::vector<std::string> models, ids;
  for (const auto& c : out.rejected)
    if (holds_context(c) && std::find(models.begin(), models.end(), c.model->name) == models.end()) {
      models.push_back(c.model->name);
      // A model read from a file has no catalog id to name: estimate the file itself.
      ids.push_back(c.quant && c.quant->file ? shell_word(c.quant->file->files.front()) : c.model->id);
    }
  // The estimate that answers the rest of the question: the same hardware flags, and the users.
  const std::string users =
      r.users > 1 ? fmt::format(" %users% {}{}", r.users,
                                r.min_tokens_per_s > 0 ? fmt::format(" %target_tps% {:g}", r.min_tokens_per_s) : "")
                  : "";
  const std::string others =
      ids.size() > 1 ? " (or " + join(std::vector<std::string>(ids.begin() + 1, ids.end()), ", ") + ")" : "";
  return fmt::format(
      "Nothing to rank: the task {} ranks by published benchmarks, and {} {} none; 'dsplan estimate {}'{} with "
      "the same hardware flags, %context% {}{} sizes and times it",
      task.id, join(models, ", "), models.size() > 1 ? "have" : "has", ids.front(), others, r.context, users);
}

}  // namespace

void explain(const RecommendRequest& r, Recommendation& out) {
  const TaskSpec& task = *out.task;
  out.why.push_back(fmt::format("Task {}: {}", task.id, task.why));
  if (out.ranked.empty()) {
    out.nothing = nothing_text(r, task, out);
    out.why.push_back(out.nothing == k_nothing_fits
                          ? std::string(k_nothing_fits) + "; the rejected candidates below say what each lacks."
                          : out.nothing);
    return;
  }
  const Candidate& pick = out.ranked.front();
  out.why.push_back(search_text(r, out));
  out.why.push_back(preference_text(out, r.cloud));
  out.why.push_back(pick_text(pick));
  if (auto reasoning = reasoning_text(task, pick)) out.why.push_back(std::move(*reasoning));
  if (!pick.op_offload)
    out.why.push_back(fmt::format(
        "Prompt on the CPU (%no_op_offload%): it computes the prompt's work on the weights kept in RAM at {:.0f} "
        "tokens/s, faster than the GPU after copying them over PCIe for each micro-batch ({:.0f} tokens/s).",
        pick.prefill_tokens_per_s(), pick.copied_prefill_tokens_per_s));
  if (pick.evaluation && pick.evaluation->layout.attention_data_parallel > 1)
    out.why.push_back(
        fmt::format("Data-parallel attention: under tensor parallelism every GPU would hold the cache of all {} users; "
                    "split by user it fits. Its speeds are not calibrated on a published run yet (docs/validation.md "
                    "section 8, item 18).",
                    r.users));
  // The best model that was rejected, in its variant closest to fitting: what more quality needs.
  const auto rejected = notable_rejections(out, 1);
  if (!rejected.empty())
    out.why.push_back(fmt::format("Better but rejected: {} {} (score {:.1f}): {}.", rejected.front().model->name,
                                  rejected.front().quant->name, rejected.front().score,
                                  rejected.front().reasons.front()));
}

}  // namespace dsplan::detail
