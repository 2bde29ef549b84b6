// The estimate as a JSON value, for commands that embed it (check, compare).
#pragma once

#include <nlohmann/json.hpp>

#include "dsplan/serving/plan.hpp"

namespace dsplan::cli {

[[nodiscard]] nlohmann::ordered_json estimate_to_json(const PlanResult& r, bool explain);
/// A speed range: `{"low_tokens_per_s", "high_tokens_per_s", "measurements", "class", ...}`.
[[nodiscard]] nlohmann::ordered_json speed_band_json(const SpeedRange& band);

}  // namespace dsplan::cli
