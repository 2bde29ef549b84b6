// Recommendation ranking: the order of the feasible candidates under the preference, the
// shortlist (pick and runners-up) and the rejections worth naming.
#include <algorithm>
#include <cmath>

#include "dsplan/base/text.hpp"
#include "core/recommend/recommend_steps.hpp"

namespace dsplan {

namespace detail {

namespace {

/// Money compared in whole cents (so sums that differ in the last bit tie), unpriced last.
std::int64_t cents(const std::optional<double>& usd) {
  // Beyond ~9e16 USD (or not finite) llround is undefined; such a cost ranks last anyway.
  if (!usd || !(std::fabs(*usd) < 9e16)) return INT64_MAX;
  return static_cast<std::int64_t>(std::llround(*usd * 100.0));
}

/// True when `a` should rank before `b` under the preference (both feasible). Quality compares
/// scores in bands of k_score_tie below the best; within a band the faster candidate goes first
/// on owned hardware (already paid for), and renting the one with the lower cost per token.
bool better(const Candidate& a, const Candidate& b, Preference p, double best, bool renting) {
  const double near_best = k_near_best * best;
  const bool a_near = a.score >= near_best;
  const bool b_near = b.score >= near_best;
  if (p != Preference::quality && a_near != b_near) return a_near;
  if (p == Preference::speed && a_near && a.per_user_tokens_per_s() != b.per_user_tokens_per_s())
    return a.per_user_tokens_per_s() > b.per_user_tokens_per_s();
  if (p == Preference::cost && a_near && cents(a.usd_per_month()) != cents(b.usd_per_month()))
    return cents(a.usd_per_month()) < cents(b.usd_per_month());
  const auto band = [&](const Candidate& c) { return std::floor((best - c.score) / k_score_tie); };
  if (band(a) != band(b)) return band(a) < band(b);
  if (renting && cents(a.usd_per_million_tokens()) != cents(b.usd_per_million_tokens()))
    return cents(a.usd_per_million_tokens()) < cents(b.usd_per_million_tokens());
  if (a.per_user_tokens_per_s() != b.per_user_tokens_per_s())
    return a.per_user_tokens_per_s() > b.per_user_tokens_per_s();
  return a.score > b.score;
}

/// Short-answer tasks: the best non-reasoning candidate within 10% of the best score goes first.
void prefer_direct_answers(Recommendation& out) {
  if (!out.task->short_answers || out.ranked.empty() || !out.ranked.front().reasoning_model) return;
  const double limit = k_near_best * out.ranked.front().score;
  const auto it = std::find_if(out.ranked.begin(), out.ranked.end(),
                               [&](const Candidate& c) { return !c.reasoning_model && c.score >= limit; });
  if (it != out.ranked.end()) std::rotate(out.ranked.begin(), it, it + 1);
}

/// The best candidate per model x quant (engines and layouts of the same file collapse), in order.
std::vector<const Candidate*> best_per_file(const std::vector<Candidate>& sorted) {
  std::vector<const Candidate*> out;
  std::vector<std::string> seen;
  for (const auto& c : sorted) {
    const std::string k = key_of(c);
    if (contains(seen, k)) continue;
    seen.push_back(k);
    out.push_back(&c);
  }
  return out;
}

}  // namespace

std::string key_of(const Candidate& c) { return c.model->id + "/" + c.quant->id; }

void rank(const RecommendRequest& r, double best_feasible, Recommendation& out) {
  stable_sort_by_index(out.ranked, [&](const Candidate& a, const Candidate& b) {
    return better(a, b, r.prefer, best_feasible, r.cloud);
  });
  prefer_direct_answers(out);
  stable_sort_by_index(out.rejected, [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
}

}  // namespace detail

std::vector<Candidate> shortlist(const Recommendation& rec) {
  // The pick, then the best candidate of each other model (alternatives, not the pick's other
  // quants), then other files of the same models if fewer models qualify.
  const auto files = detail::best_per_file(rec.ranked);
  std::vector<Candidate> out;
  std::vector<const ModelSpec*> models;
  for (const Candidate* c : files) {
    if (out.size() > detail::k_runners_up) break;
    if (std::find(models.begin(), models.end(), c->model) != models.end()) continue;
    models.push_back(c->model);
    out.push_back(*c);
  }
  for (const Candidate* c : files) {
    if (out.size() > detail::k_runners_up) break;
    const bool taken = std::any_of(out.begin(), out.end(),
                                   [&](const Candidate& o) { return detail::key_of(o) == detail::key_of(*c); });
    if (!taken) out.push_back(*c);
  }
  return out;
}

namespace {

/// Of two rejected variants of one model: the same file in another placement is shown where it
/// fits, and then where it decodes fastest (a speed floor it misses by the least); a smaller file
/// is closer to fitting than a larger one.
bool closer_to_feasible(const Candidate& c, const Candidate& than) {
  if (c.quant == than.quant) {
    if (c.fits() != than.fits()) return c.fits();
    if (c.fits()) return c.per_user_tokens_per_s() > than.per_user_tokens_per_s();
  }
  return c.memory_total < than.memory_total;
}

}  // namespace

std::vector<Candidate> notable_rejections(const Recommendation& rec, std::size_t max) {
  // Per model, its rejected variant closest to fitting (least memory; of one file, the placement
  // that fits and decodes fastest) among those that would have outscored the pick: "the 70B would
  // be better, but even its smallest good quant needs X".
  const double floor = rec.ranked.empty() ? -1.0 : rec.ranked.front().score;
  std::vector<const Candidate*> out;
  const auto ranked = [&](const Candidate& c) {  // the same file fits in another engine or layout
    return std::any_of(rec.ranked.begin(), rec.ranked.end(),
                       [&](const Candidate& f) { return f.model == c.model && f.quant == c.quant; });
  };
  const auto consider = [&](bool placed_only) {
    for (const auto& c : rec.rejected) {  // best score first, so models appear best first
      if (c.score <= floor || c.memory_total.count() == 0 || ranked(c)) continue;  // not even sized, or it fits
      if (placed_only && !c.fits()) continue;
      const auto same = std::find_if(out.begin(), out.end(), [&](const Candidate* o) { return o->model == c.model; });
      if (same == out.end()) {
        if (out.size() < max) out.push_back(&c);
      } else if (closer_to_feasible(c, **same)) {
        *same = &c;
      }
    }
  };
  // With nothing feasible, the smallest candidate first (the cheapest to rent, the nearest to
  // fitting: what a budget of $1 or a small card could still not get), then those the hardware
  // holds: the limit each misses is the one to relax (a time to first token, a speed floor, a budget).
  if (rec.ranked.empty()) {
    const Candidate* smallest = nullptr;
    for (const auto& c : rec.rejected)
      if (c.memory_total.count() > 0 && (!smallest || c.memory_total < smallest->memory_total)) smallest = &c;
    if (smallest && max > 1) out.push_back(smallest);
    consider(true);
  }
  consider(false);
  std::vector<Candidate> copies;
  for (const Candidate* c : out) copies.push_back(*c);
  return copies;
}

}  // namespace dsplan
