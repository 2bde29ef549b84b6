// Private: the steps of recommend() — search (recommend_search.cpp), rank (recommend_rank.cpp)
// and explain (recommend_explain.cpp) — and the thresholds they share.
#pragma once

#include <algorithm>
#include <cstddef>
#include <numeric>
#include <string>
#include <vector>

#include "dsplan/recommend/recommend.hpp"

namespace dsplan::detail {

/// Candidates within this share of the best feasible score compete on speed or cost
/// (--prefer speed|cost), and a non-reasoning model within it wins short-answer tasks.
inline constexpr double k_near_best = 0.90;
/// Task scores closer than this are a tie (pass@1 over 30 AIME problems moves by more from one
/// sampling run to the next); --prefer quality then takes the faster candidate.
inline constexpr double k_score_tie = 0.5;
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

/// std::stable_sort of `v` by `before`, through indices: the search sorts over a thousand
/// combinations and candidates, each large, and a merge sort moves every element about log2(n)
/// times; here each moves once, into the same order.
template <typename T, typename Before>
void stable_sort_by_index(std::vector<T>& v, Before before) {
  std::vector<std::size_t> order(v.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return before(v[a], v[b]); });
  std::vector<T> sorted;
  sorted.reserve(v.size());
  for (const std::size_t i : order) sorted.push_back(std::move(v[i]));
  v = std::move(sorted);
}

/// A candidate's file: model and quant ("deepseek-r1/q4_k_m").
[[nodiscard]] std::string key_of(const Candidate& candidate);

}  // namespace dsplan::detail
