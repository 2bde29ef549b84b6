// Private: the steps of recommend() — search (recommend_search.cpp), rank (recommend_rank.cpp)
// and explain (recommend_explain.cpp) — and the thresholds they share.
#pragma once

#include <cstddef>
#include <string>

#include "dsplan/recommend/recommend.hpp"

namespace dsplan::detail {

/// Candidates within this share of the best feasible score compete on speed or cost
/// (--prefer speed|cost), and a non-reasoning model within it wins short-answer tasks.
inline constexpr double k_near_best = 0.90;
/// Runners-up shown after the pick.
inline constexpr std::size_t k_runners_up = 5;

/// Scores every combination, places them best-first on the hardware and fills `out`: candidates,
/// placed, notes, the feasible candidates in `ranked` (not yet in order) and the rejected ones.
/// Returns the best feasible score.
double search(const Catalog& catalog, const RecommendRequest& request, Recommendation& out);

/// Orders `ranked` by the preference (best first) and `rejected` by score.
void rank(const RecommendRequest& request, double best_feasible, Recommendation& out);

/// The decision tree's branches that led to the pick, in `out.why`.
void explain(const RecommendRequest& request, Recommendation& out);

/// A candidate's file: model and quant ("deepseek-r1/q4_k_m").
[[nodiscard]] std::string key_of(const Candidate& candidate);

}  // namespace dsplan::detail
