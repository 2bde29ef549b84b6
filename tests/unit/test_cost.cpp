// Cost arithmetic by hand on the fixture GPU: cloud $/Mtok, owned amortization + power + maintenance.
#include <algorithm>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "dsplan/cost/cost.hpp"
#include "test_support.hpp"

using namespace dsplan;
using dsplan::test::catalog;
using dsplan::test::fixture_catalog;

namespace {

/// `count` of the fixture's tiny GPU (200 W TDP).
Hardware tiny_gpus(std::uint64_t count) {
  HardwareRequest h;
  h.gpus.push_back({"tiny-gpu", count});
  return build_hardware(fixture_catalog(), h);
}

/// Round figures to cost by hand: $1,000 a GPU over 4 years, 10 % upkeep a year, $0.20 per kWh.
CostRequest round_figures() {
  CostRequest r;
  r.purchase_usd_per_gpu = 1000;
  r.electricity_usd_per_kwh = 0.2;
  r.years = 4;
  r.maintenance_fraction_per_year = 0.1;
  return r;
}

}  // namespace

TEST_CASE("cloud and owned cost by hand", "[cost]") {
  const Hardware hw = tiny_gpus(2);
  CostRequest r = round_figures();
  r.usd_per_gpu_hour = 1.5;
  r.tokens_per_day = 36'000.0 * 12;  // 12 hours a day at 10 tokens/s
  r.host_usd_per_node = 0;           // the GPUs alone (the host has its own test below)
  const CostEstimate c = estimate_cost(fixture_catalog(), hw, 10.0, r);
  // Cloud: 2 GPUs x $1.50 = $3/h for 36,000 tokens/h -> $83.33 per million; 12 h/day x 30.42 days.
  REQUIRE(c.hours_per_day == Approx(12.0));
  REQUIRE(c.cloud->usd_per_hour == Approx(3.0));
  REQUIRE(c.cloud->usd_per_million_tokens == Approx(3.0 / 36'000.0 * 1e6));
  REQUIRE(c.cloud->usd_per_month == Approx(3.0 * 12.0 * 365.0 / 12.0));
  // Owned: 2 x 200 W TDP x 0.6 (draw while serving) x 1.3 (host) x PUE 1.0 (desk-side) = 312 W.
  REQUIRE(c.owned->power_watts == Approx(312.0));
  // $2,000 / 4 years + 10%/year, per hour of the year; power 0.312 kW x $0.2.
  const double fixed_per_hour = 2000.0 * (0.25 + 0.1) / 8760.0;
  const double power_per_hour = 0.312 * 0.2;
  REQUIRE(c.owned->usd_per_hour == Approx(fixed_per_hour + power_per_hour));
  // Per token of the demand: the hardware's 24 hours a day and 12 hours of power over 12 hours of
  // tokens (the same figure per day as per month).
  REQUIRE(c.owned->usd_per_million_tokens ==
          Approx((fixed_per_hour * 24 + power_per_hour * 12) / (36'000.0 * 12) * 1e6));
  REQUIRE(c.deployments == 1);
  REQUIRE(c.owned->usd_per_month == Approx(fixed_per_hour * 24 * 365.0 / 12 + power_per_hour * 12 * 365.0 / 12));
  REQUIRE(c.owned->tco_usd == Approx(2000.0 * (1 + 0.1 * 4) + power_per_hour * 12 * 365 * 4));
  // Break-even: fixed cost per day over the per-token saving.
  REQUIRE(*c.break_even_tokens_per_day ==
          Approx(fixed_per_hour * 24 / (3.0 / 36'000.0 - power_per_hour / 36'000.0)));
  // At $0.05 per GPU-hour the cloud costs $0.10/h, $2.78 per 1M tokens: more than the power alone
  // ($0.0624/h, $1.73 per 1M), less than hardware and power around the clock ($0.1423/h, $3.95
  // per 1M). The break-even would be $1.92/day over $1.05 per 1M saved = 1.83 M tokens/day, more
  // than the 864,000 one deployment serves: owning never wins, and no break-even is given.
  r.usd_per_gpu_hour = 0.05;
  const CostEstimate cheap = estimate_cost(fixture_catalog(), hw, 10.0, r);
  REQUIRE_FALSE(cheap.break_even_tokens_per_day);
  REQUIRE(std::any_of(cheap.notes.begin(), cheap.notes.end(),
                      [](const std::string& n) { return n.find("owning never beats the cloud") == 0; }));
}

TEST_CASE("the host is in the bill and the TCO: catalog parts, or --host-price", "[cost]") {
  HardwareRequest h;
  h.gpus.push_back({"rtx4090", 1});
  h.ram = Bytes(64 * k_gib);
  const Hardware hw = build_hardware(catalog(), h);
  CostRequest r;
  r.purchase_usd_per_gpu = 1600;
  const auto c = estimate_cost(catalog(), hw, 10.0, r, HostNeeds{Bytes(0), Bytes(5'000'000'000)});
  // prices.json host_prices: no --cpu -> a Ryzen 9 9950X ($649 launch price); 64 GiB of desktop
  // DDR5 at $11.10/GiB = $710.40; 5 GB of files -> 1 TB of NVMe at $135; the platform has no price.
  REQUIRE(c.owned->host_usd == Approx(649 + 64 * 11.1 + 135));
  REQUIRE(c.owned->bom.size() == 5);
  REQUIRE(c.owned->bom[0].unit == "GPU");
  REQUIRE(c.owned->bom[2].quantity == 64);
  REQUIRE_FALSE(c.owned->bom[4].priced);
  REQUIRE(c.notes.size() == 1);  // the unpriced platform, with the flag that prices it
  // The TCO amortizes GPUs and host together: 5 years + 10% a year maintenance.
  const double hardware = 1600 + c.owned->host_usd;
  REQUIRE(c.owned->tco_usd == Approx(hardware * (1 + 0.1 * 5) + c.owned->power_watts / 1000 * 0.16 * 24 * 365 * 5));
  // --host-price replaces the parts with one line per node.
  r.host_usd_per_node = 2500;
  const auto priced = estimate_cost(catalog(), hw, 10.0, r);
  REQUIRE(priced.owned->host_usd == Approx(2500));
  REQUIRE(priced.owned->bom.size() == 2);
  REQUIRE(priced.notes.empty());
}

TEST_CASE("missing prices are notes, not errors", "[cost]") {
  HardwareRequest h;
  h.gpus.push_back({"tiny-gpu", 1});
  const CostEstimate c = estimate_cost(fixture_catalog(), build_hardware(fixture_catalog(), h), 5.0, {});
  REQUIRE_FALSE(c.cloud);
  REQUIRE_FALSE(c.owned);
  REQUIRE(c.notes.size() == 2);
}

// Running 24 hours a day must buy the hardware once, for any token rate: 24 h computed as
// tokens/day / tokens/hour can come out a hair above 24 (24.000000000000004).
TEST_CASE("a full day of use never buys the hardware twice", "[cost]") {
  HardwareRequest h;
  h.gpus.push_back({"tiny-gpu", 1});
  const Hardware hw = build_hardware(fixture_catalog(), h);
  CostRequest r;
  r.purchase_usd_per_gpu = 1000;
  const CostEstimate base = estimate_cost(fixture_catalog(), hw, 1.0, r);
  for (double tps : {0.1, 3.3, 107.54637735901778, 2110.640666256028, 3943.637883342452}) {  // the last three round above 24 h
    const CostEstimate c = estimate_cost(fixture_catalog(), hw, tps, r);
    INFO(tps);
    // Same fixed part (one purchase); power scales with hours, which is 24 for every rate.
    REQUIRE(c.owned->usd_per_month == Approx(base.owned->usd_per_month));
  }
}

// A DGX Spark or a Mac is the whole computer: its price has no host beside it, and its power figure
// is the machine's, with no host share added.
TEST_CASE("a whole-system device is costed as the machine it is", "[cost]") {
  const Catalog& cat = catalog();
  HardwareRequest h;
  h.gpus.push_back({"dgx-spark", 1});  // no --ram: its memory is the GPU's (unified)
  const Hardware spark = build_hardware(cat, h);
  CostRequest r;
  r.pue = 1.0;
  const auto c = estimate_cost(cat, spark, 10.0, r, HostNeeds{Bytes(64 * k_gib), Bytes(50'000'000'000)});
  REQUIRE(c.owned->host_usd == 0);
  REQUIRE(c.owned->bom.size() == 1);  // the machine alone
  REQUIRE(c.owned->purchase_usd == Approx(3999));
  // 140 W x 0.6 (draw while serving, prices.json cost_defaults) x PUE 1, no host share.
  REQUIRE(c.owned->power_watts == Approx(140 * cat.cost_defaults.gpu_power_fraction));
  // A machine with no power figure says that electricity is left out.
  HardwareRequest mac;
  mac.gpus.push_back({"apple-m3-ultra", 1});
  r.purchase_usd_per_gpu = 9499;
  const auto m = estimate_cost(cat, build_hardware(cat, mac), 10.0, r);
  REQUIRE(m.owned->power_watts == 0);
  REQUIRE(std::any_of(m.notes.begin(), m.notes.end(), [](const std::string& n) {
    return n.find("no power figure for Apple M3 Ultra") != std::string::npos;
  }));
}

TEST_CASE("a cloud price of GPUs alone says so when the plan keeps weights in RAM", "[cost]") {
  HardwareRequest h;
  h.gpus.push_back({"rtx4090", 1});
  const Hardware hw = build_hardware(catalog(), h);
  const auto mentions_ram = [](const CostEstimate& c) {
    return std::any_of(c.notes.begin(), c.notes.end(),
                       [](const std::string& n) { return n.find("GPUs' alone") != std::string::npos; });
  };
  CostRequest r;
  r.usd_per_gpu_hour = 0.5;
  const auto experts_in_ram = estimate_cost(catalog(), hw, 10.0, r, HostNeeds{Bytes(120 * k_gib), Bytes(0)});
  REQUIRE(experts_in_ram.cloud);
  REQUIRE(mentions_ram(experts_in_ram));
  // Buffers alone (half a GiB) are no such plan.
  REQUIRE_FALSE(mentions_ram(estimate_cost(catalog(), hw, 10.0, r, HostNeeds{Bytes(k_gib / 2), Bytes(0)})));
}

// 30 hours of output a day from a deployment that makes 10 tokens/s: two are bought, each runs 15 h.
TEST_CASE("demand past 24 hours a day buys more deployments and counts them per token", "[cost]") {
  CostRequest r = round_figures();
  r.tokens_per_day = 36'000.0 * 30;
  const CostEstimate c = estimate_cost(fixture_catalog(), tiny_gpus(1), 10.0, r, HostNeeds{});
  REQUIRE(c.hours_per_day == Approx(30.0));
  REQUIRE(c.deployments == 2);
  const double fixed_per_hour = (1000.0 + c.owned->host_usd) * (0.25 + 0.1) / 8760.0;
  const double power_per_hour = c.owned->power_watts / 1000.0 * 0.2;
  // Two deployments' fixed cost around the clock, power for the 30 hours served.
  REQUIRE(c.owned->usd_per_million_tokens ==
          Approx((2 * fixed_per_hour * 24 + power_per_hour * 30) / (36'000.0 * 30) * 1e6));
}

TEST_CASE("a cloud price must rent the deployment's shape: GPUs per instance, clusters across nodes", "[cost]") {
  Catalog cat = catalog();
  const auto price = [](double usd, std::uint64_t per_instance, bool cluster) {
    CloudPrice p;
    p.gpu = "h100-sxm";
    p.provider = "P";
    p.offering = fmt::format("{} GPUs{}", per_instance, cluster ? ", clusters" : "");
    p.usd_per_gpu_hour = usd;
    p.max_gpus_per_instance = per_instance;
    p.multi_node = cluster;
    return p;
  };
  cat.cloud_prices = {price(1.0, 1, false), price(2.0, 8, false), price(3.0, 8, true)};
  const auto hourly = [&](std::uint64_t count, std::uint64_t nodes) {
    HardwareRequest h;
    h.gpus.push_back({"h100-sxm", count});
    h.nodes = nodes;
    CostRequest r;
    r.host_usd_per_node = 0;
    return estimate_cost(cat, build_hardware(cat, h), 10.0, r);
  };
  // One GPU: the one-GPU listing. Eight in one box: the 8-GPU instance. Two boxes of eight, or
  // sixteen in one "box" (more than an H100 node's 8): the cluster offering only.
  REQUIRE(hourly(1, 1).cloud->usd_per_hour == Approx(1.0));
  REQUIRE(hourly(8, 1).cloud->usd_per_hour == Approx(8 * 2.0));
  REQUIRE(hourly(8, 2).cloud->usd_per_hour == Approx(16 * 3.0));
  REQUIRE(hourly(16, 1).cloud->usd_per_hour == Approx(16 * 3.0));
  // No cluster offering: the nearest shape (the 8-GPU instance, not the cheaper one-GPU listing),
  // and a note that says the shape is not offered.
  cat.cloud_prices.pop_back();
  const auto fallback = hourly(8, 2);
  REQUIRE(fallback.cloud->usd_per_hour == Approx(16 * 2.0));
  REQUIRE(std::any_of(fallback.notes.begin(), fallback.notes.end(), [](const std::string& n) {
    return n.find("rents 8 GPUs in one instance as a multi-node cluster") != std::string::npos;
  }));
}
