// Renderers: human tables (render_table.cpp) and JSON (render_json.cpp) of the result structs.
#pragma once

#include <ostream>

#include "dsplan/serving/context_search.hpp"
#include "dsplan/serving/plan.hpp"
#include "dsplan/recommend/recommend.hpp"
#include "dsplan/training/training.hpp"

namespace dsplan::cli {

/// `color`: ANSI colours in the memory bars (stdout a terminal and NO_COLOR unset).
void render_estimate_table(const PlanResult& r, std::ostream& out, bool explain, bool color = false);
/// "Run: ..." and "Verify: ..." for a plan whose layout fits (estimate, check).
void launch_lines(const PlanResult& r, std::ostream& out, const std::string& indent);
void render_estimate_json(const PlanResult& r, std::ostream& out, bool explain);
/// --explain's section: each figure with its formula and source.
void derivation_section(const Derivation& derivation, std::ostream& out);
/// "(typically -25%...+30%; 14 similar measurements)" from a band around `value`.
[[nodiscard]] std::string band_note(const SpeedRange& band, double value);

/// " (0.05-0.33 s)": the prefill band carried over to a time to first token of `ttft_s` at
/// `prefill_tokens_per_s`, which prefill dominates (the band's rows include measured TTFTs).
[[nodiscard]] std::string ttft_range(double ttft_s, double prefill_tokens_per_s, const SpeedRange& prefill_band);
void render_recommend_table(const Recommendation& rec, const RecommendRequest& r, std::ostream& out);
/// `all`: every placed candidate too (`candidates[]`); otherwise the pick, the runners-up and the
/// notable rejections only.
void render_recommend_json(const Recommendation& rec, const RecommendRequest& r, std::ostream& out, bool all);
void render_sweep_table(const std::vector<ContextPoint>& points, std::ostream& out);
void render_sweep_json(const std::vector<ContextPoint>& points, std::ostream& out);
void render_train_table(const TrainResult& r, std::ostream& out, bool explain);
void render_train_json(const TrainResult& r, std::ostream& out, bool explain);

}  // namespace dsplan::cli
