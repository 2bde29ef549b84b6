// Capacity checks for CI: assertions on an estimate (fits, speed, latency, cost, memory headroom).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dsplan/serving/plan.hpp"

namespace dsplan {

struct CheckLimits {
  std::optional<double> min_tokens_per_s;        ///< decode, per sequence
  std::optional<double> max_ttft_s;
  std::optional<double> max_usd_per_million_tokens;
  std::optional<double> max_memory_fraction;     ///< of each device's usable memory
};

/// One assertion: what was measured against what was required.
struct CheckOutcome {
  std::string name;      ///< fits, min_tps, max_ttft_ms, max_usd_per_mtok, max_memory_fraction
  double measured = 0;
  double required = 0;
  std::string unit;
  bool passed = false;
  std::string text;      ///< "decode 12.3 tokens/s, required at least 20"
};

/// `fits` first, then each limit given. Throws InputError when a limit cannot be measured (no
/// hardware; a cost limit with no price in the catalog and none given).
[[nodiscard]] std::vector<CheckOutcome> run_checks(const PlanResult& plan, const CheckLimits& limits);

/// Throws the InputError run_checks throws for a cost limit on hardware with no price (none in
/// the catalog, none in `cost`), whether or not the plan fits: the same bad input is exit 2, not a
/// "does not fit" verdict that hides it. Call before run_checks.
void require_limits_answerable(const Catalog& catalog, const PlanResult& plan, const CostRequest& cost,
                               const CheckLimits& limits);

}  // namespace dsplan
