// The estimate as a JSON value, for commands that embed it (check, compare).
#pragma once

#include <nlohmann/json.hpp>

#include "dsplan/serving/plan.hpp"

namespace dsplan::cli {

[[nodiscard]] nlohmann::ordered_json estimate_to_json(const PlanResult& r, bool explain);

}  // namespace dsplan::cli
