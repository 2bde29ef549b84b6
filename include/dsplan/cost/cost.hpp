// Cost: cloud $/GPU-hour or owned hardware (purchase, power, maintenance) -> $ per 1M tokens, monthly, TCO.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dsplan/catalog/catalog.hpp"
#include "dsplan/scenario/hardware.hpp"
#include "dsplan/serving/explain.hpp"

namespace dsplan {

/// Hours in an average month (365 x 24 / 12): every monthly figure counts them.
inline constexpr double k_hours_per_month = 365.0 * 24.0 / 12.0;

struct CostRequest {
  std::optional<double> usd_per_gpu_hour;   ///< --price: replaces the catalog's cloud price
  std::optional<double> purchase_usd_per_gpu;  ///< --purchase-price: replaces the catalog's
  std::optional<double> tokens_per_day;     ///< demand; default: the hardware runs 24 hours a day
  std::optional<double> electricity_usd_per_kwh;
  std::optional<double> pue;
  std::optional<double> years;              ///< amortization and TCO horizon
  std::optional<double> maintenance_fraction_per_year;
  std::optional<double> host_usd_per_node;  ///< --host-price: replaces the priced host (CPU, RAM, disk, platform)
};

/// What the host around the GPUs must hold, from the plan: the RAM the layout uses and the model
/// files on disk (per node).
struct HostNeeds {
  Bytes ram;
  Bytes disk;
};

/// One line of the bill of materials (per deployment: every node).
struct BomLine {
  std::string item;
  double quantity = 0;
  std::string unit;       ///< "GPU", "CPU", "GiB", "TB", "node"
  double usd_each = 0;
  double usd = 0;         ///< 0 with `priced` false: no sourced price in the catalog
  bool priced = true;
  std::string source;
};

struct CloudCost {
  double usd_per_hour = 0;                  ///< all GPUs of the deployment
  double usd_per_million_tokens = 0;
  double usd_per_month = 0;
  std::vector<std::string> price_sources;   ///< "h100-sxm: $2.99/GPU-h, Lambda, 2026-10 (url)"
};

struct OwnedCost {
  double purchase_usd = 0;                  ///< GPUs only
  double host_usd = 0;                      ///< CPU, RAM, disk, platform of every node (what is priced)
  std::vector<BomLine> bom;                 ///< GPUs, then the host parts
  double power_watts = 0;                   ///< at the wall, while serving
  double usd_per_hour = 0;                  ///< amortization + maintenance + power, while serving
  /// Per output token of the demand: usd_per_month over a month of tokens_per_day (the hardware
  /// is paid for while idle too; at 24 h a day it is usd_per_hour / tokens per hour).
  double usd_per_million_tokens = 0;
  double usd_per_month = 0;
  double tco_usd = 0;                       ///< over `years`
  double years = 0;
  std::vector<std::string> price_sources;
};

struct CostEstimate {
  double tokens_per_day = 0;                ///< demand the monthly figures assume
  double hours_per_day = 0;                 ///< hours the deployment runs to serve it
  /// Owned copies of the deployment the demand takes: more than one past 24 hours a day.
  std::uint64_t deployments = 1;
  std::optional<CloudCost> cloud;
  std::optional<OwnedCost> owned;
  std::optional<double> break_even_tokens_per_day;  ///< owning is cheaper above this volume
  std::vector<std::string> notes;           ///< what could not be priced, and why
};

/// Note for a cloud price that does not provide the deployment's shape (see Catalog::cloud_price_for).
[[nodiscard]] std::string shape_note(const std::string& gpu_name, CloudShape shape, const CloudPrice& fallback);

/// Costs of serving `aggregate_tokens_per_s` output tokens on `hardware` (every node).
[[nodiscard]] CostEstimate estimate_cost(const Catalog& catalog, const Hardware& hardware,
                                         double aggregate_tokens_per_s, const CostRequest& request,
                                         const HostNeeds& host = {}, Derivation* explain = nullptr);

}  // namespace dsplan
