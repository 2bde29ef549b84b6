// Recommendation: every catalog model x quant x engine x layout on the user's hardware (or on
// rented GPUs), filtered by memory, speed, latency and budget, ranked by task quality.
// The decision tree is documented in docs/decisions.md.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dsplan/base/names.hpp"
#include "dsplan/cost/cost.hpp"
#include "dsplan/model/quality.hpp"
#include "dsplan/scenario/hardware.hpp"
#include "dsplan/serving/check.hpp"
#include "dsplan/serving/layout.hpp"
#include "dsplan/serving/plan.hpp"

namespace dsplan {

enum class Preference { quality, speed, cost };
enum class BudgetPeriod { month, upfront };

inline constexpr EnumName<Preference> k_preferences[] = {
    {Preference::quality, "quality", "the highest task score that fits"},
    {Preference::speed, "speed", "the fastest per user"},
    {Preference::cost, "cost", "the cheapest per token"}};
inline constexpr EnumName<BudgetPeriod> k_budget_periods[] = {{BudgetPeriod::month, "month", "rent"},
                                                              {BudgetPeriod::upfront, "upfront", "buy the GPUs"}};

[[nodiscard]] std::string_view preference_name(Preference p);

/// Default floor on decode speed per user: below it a reasoning model's answer of a few thousand
/// tokens takes longer than a person waits (docs/decisions.md). --min-tps 0 lifts it.
inline constexpr double k_default_min_tokens_per_s = 5.0;
/// Default context: room for a prompt and an R1-style chain of thought (docs/decisions.md).
inline constexpr std::uint64_t k_default_recommend_context = 8192;

struct RecommendRequest {
  /// Rank at `context` as usual, then find the longest context the pick and runners-up hold
  /// (find_max_context with `headroom`).
  bool context_max = false;
  std::optional<HardwareRequest> hardware;  ///< what the user has; unset with `cloud`
  bool cloud = false;                       ///< choose rented GPUs from the catalog's cloud prices
  std::string task = "chat";
  std::uint64_t context = k_default_recommend_context;
  std::uint64_t users = 1;                  ///< concurrent sequences, each with `context` tokens
  std::optional<double> max_ttft_s;
  double min_tokens_per_s = k_default_min_tokens_per_s;
  double headroom = k_default_headroom;     ///< share of each device's memory to leave free (layer-split engines)
  std::optional<double> budget_usd;
  BudgetPeriod budget_period = BudgetPeriod::month;
  Preference prefer = Preference::quality;
  std::vector<std::string> models;          ///< only these (ids or aliases); empty = all
  std::vector<std::string> quants;
  std::vector<std::string> engines;
  std::uint64_t max_gpus = 64;              ///< cloud: largest deployment considered
  CostRequest cost;
};

/// One way to run a model: a model x quant x engine scored for the task and, unless rejected
/// before placing, evaluated on hardware by the pipeline `estimate` prints (evaluate_placement).
struct Candidate {
  const ModelSpec* model = nullptr;
  const QuantFormat* quant = nullptr;
  const EngineSpec* engine = nullptr;
  std::optional<TaskScore> benchmark;       ///< the model's task score before quantization
  std::optional<QuantPenalty> penalty;
  double score = 0;                         ///< benchmark x penalty factor
  bool reasoning_model = false;

  std::string hardware;                     ///< "2 x NVIDIA GeForce RTX 3090 + 64 GiB RAM"
  std::uint64_t gpus = 0;
  std::optional<HardwareRequest> placed_on; ///< the hardware it was placed on (own, a part of it, or rented)
  LayoutRequest layout_request;             ///< expert offload or not
  /// false: the CPU computes the prompt's work on the weights kept in RAM (--no-op-offload), which
  /// was the faster; `copied_prefill_tokens_per_s` is then the prompt speed of copying them.
  bool op_offload = true;
  double copied_prefill_tokens_per_s = 0;
  bool rented = false;                      ///< priced as rent (--cloud) where the catalog has a price, else as owned
  Bytes memory_total;                       ///< what the scenario needs in all (also when no rented GPU holds it)
  /// The placement as `estimate` would evaluate it; null: rejected before placing (no score, engine
  /// cannot load it). Shared and immutable: the search sorts and copies candidates by the thousand,
  /// and one held by value doubled a candidate's size (and recommend's time in moving them).
  std::shared_ptr<const Evaluation> evaluation;

  bool feasible = false;
  std::vector<std::string> reasons;         ///< why it was rejected, measured vs required
  /// With context_max, for the pick and the runners-up: the largest context that fits.
  std::optional<ContextSearch> max_context_search;
  std::uint64_t max_context = 0;

  // Figures of the evaluation, 0 (or unset) where it stopped short of them, so renderers and the
  // ranking read one name whatever the candidate's fate.
  [[nodiscard]] bool fits() const { return evaluation && evaluation->fits; }
  [[nodiscard]] double fullest_device() const { return evaluation ? evaluation->fullest_device.value_or(0.0) : 0.0; }
  [[nodiscard]] Bytes gpu_used() const;     ///< on the GPUs
  [[nodiscard]] Bytes gpu_capacity() const;
  [[nodiscard]] Bytes ram_used() const;
  /// "5.10 of 24.00 GiB GPU memory + 1.20 GiB RAM", or "7.70 GiB RAM" on the CPU alone.
  [[nodiscard]] std::string memory_text() const;
  /// Per user.
  [[nodiscard]] double decode_tokens_per_s() const { return timed() ? timed()->decode_tokens_per_s : 0.0; }
  /// Per user with the other users' requests arriving: their prompts prefilled between its decode
  /// steps (the decode speed with one user). What recommend shows, filters and ranks by.
  [[nodiscard]] double per_user_tokens_per_s() const { return timed() ? timed()->served_decode_tokens_per_s : 0.0; }
  [[nodiscard]] double aggregate_tokens_per_s() const { return timed() ? timed()->aggregate_tokens_per_s : 0.0; }
  [[nodiscard]] double prefill_tokens_per_s() const { return timed() ? timed()->prefill_tokens_per_s : 0.0; }
  [[nodiscard]] double ttft_s() const { return timed() ? timed()->ttft_s : 0.0; }
  /// The speed ranges, attached to the pick and the runners-up only; null otherwise.
  [[nodiscard]] const SpeedRange* decode_band() const { return banded() ? &timed()->decode_band : nullptr; }
  /// Around per_user_tokens_per_s (the served speed per user).
  [[nodiscard]] const SpeedRange* served_band() const { return banded() ? &timed()->served_band : nullptr; }
  [[nodiscard]] const SpeedRange* prefill_band() const { return banded() ? &timed()->prefill_band : nullptr; }
  [[nodiscard]] std::optional<double> usd_per_month() const;  ///< rent, or owned running cost
  [[nodiscard]] std::optional<double> usd_per_million_tokens() const;
  [[nodiscard]] std::optional<double> upfront_usd() const;    ///< purchase price of the GPUs

private:
  /// The throughput, when the evaluation got that far (it fits).
  [[nodiscard]] const Throughput* timed() const {
    return evaluation && evaluation->throughput ? &*evaluation->throughput : nullptr;
  }
  [[nodiscard]] bool banded() const { return timed() && !timed()->decode_band.speed_class.empty(); }
  /// The cost the candidate is judged by: rent when renting and priced, else owning.
  template <typename Figure>
  [[nodiscard]] std::optional<double> priced(Figure figure) const;
};

struct Recommendation {
  const TaskSpec* task = nullptr;
  Preference prefer = Preference::quality;
  std::vector<Candidate> ranked;            ///< feasible, best first (ranked[0] is the pick)
  std::vector<Candidate> rejected;          ///< every infeasible candidate, best score first
  std::vector<std::string> why;             ///< the branches of the decision tree that led to the pick
  std::vector<std::string> notes;
  std::uint64_t candidates = 0;             ///< combinations considered
  std::uint64_t placed = 0;                 ///< placed on hardware (the search stops once the rest cannot win)
  /// With no pick: why, in one sentence ("Nothing fits the hardware and the limits", or that
  /// nothing could be ranked at all); empty with a pick.
  std::string nothing;
};

/// Throws InputError on unknown names or contradictory inputs (no hardware and no --cloud).
[[nodiscard]] Recommendation recommend(const Catalog& catalog, const RecommendRequest& request);

/// The model with the longest context window among `models` (ids or aliases; empty: the whole
/// catalog), or nullptr when the catalog has none.
[[nodiscard]] const ModelSpec* longest_window_model(const Catalog& catalog, const std::vector<std::string>& models);

/// The pick and up to five runners-up: the best candidate of each other model first, then other
/// quants of the same models.
[[nodiscard]] std::vector<Candidate> shortlist(const Recommendation& recommendation);

/// For a plan that does not fit its hardware or misses one of `limits` (check's): the model's
/// best-scoring quant x engine (the engine kept where the request names it) that fits and meets
/// them, run again as its flags give it, as a note with those flags; a note that none does; or
/// nothing where the plan passes, or the request pins a layout, a count search or the user's file.
[[nodiscard]] std::optional<std::string> fitting_quant_note(const Catalog& catalog, const PlanRequest& request,
                                                            const PlanResult& plan, const CheckLimits& limits = {});
/// Rejected candidates worth naming: per model, its best-scoring rejection that would have beaten
/// the pick (every model's best rejection when nothing fits), at most `max`.
[[nodiscard]] std::vector<Candidate> notable_rejections(const Recommendation& recommendation, std::size_t max);

}  // namespace dsplan
