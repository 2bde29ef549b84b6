// Checks: each limit read off the plan's layout, throughput and cost.
#include "dsplan/serving/check.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "dsplan/base/text.hpp"

#include "dsplan/base/error.hpp"

namespace dsplan {

namespace {

/// Four significant figures, without an exponent for large ones (68,050 ms, not 6.805e+04).
std::string figure(double x) { return std::abs(x) >= 1e4 ? fmt::format("{:.0f}", x) : fmt::format("{:.4g}", x); }

CheckOutcome at_least(std::string name, std::string what, double measured, double required, std::string unit) {
  CheckOutcome c{std::move(name), measured, required, unit, measured >= required, ""};
  c.text = fmt::format("{} {} {}, required at least {}", what, figure(measured), unit, figure(required));
  return c;
}

/// " (typically 44.8-57.9)": where published runs of the figure's class fall, after the figure.
std::string range_words(const SpeedRange& b, double scale = 1.0) {
  if (!(b.low_tokens_per_s > 0) || !(b.high_tokens_per_s > 0)) return "";
  const double a = b.low_tokens_per_s * scale, z = b.high_tokens_per_s * scale;
  return fmt::format(" ({} {}-{})", b.calibrated ? "typically" : "uncalibrated:", figure(std::min(a, z)),
                     figure(std::max(a, z)));
}

/// The outcome with `range` after its measured figure ("decode 51.62 tokens/s (typically ...), required").
CheckOutcome with_range(CheckOutcome c, const std::string& range) {
  const auto comma = c.text.find(", required");
  if (!range.empty() && comma != std::string::npos) c.text.insert(comma, range);
  return c;
}

/// A band over tokens/s turned into one over seconds per token (1 / speed), to scale by the work.
SpeedRange inverted(SpeedRange b) {
  if (b.low_tokens_per_s > 0 && b.high_tokens_per_s > 0) {
    const double low = b.low_tokens_per_s;
    b.low_tokens_per_s = 1.0 / b.high_tokens_per_s;
    b.high_tokens_per_s = 1.0 / low;
  }
  return b;
}

CheckOutcome at_most(std::string name, std::string what, double measured, double required, std::string unit) {
  CheckOutcome c{std::move(name), measured, required, unit, measured <= required, ""};
  c.text = fmt::format("{} {} {}, required at most {}", what, figure(measured), unit, figure(required));
  return c;
}

/// The unit of the cost limit, measured or not (docs/cli.md checks[].unit).
constexpr const char* k_usd_unit = "USD per million output tokens";
constexpr const char* k_no_price = "%max_usd_per_mtok%: no price for this hardware in the catalog; give %price%";

/// --users: whether this hardware, as one replica, serves them all (at --target-tps each).
CheckOutcome users_check(const CapacityPlan& c) {
  const auto served = static_cast<double>(std::min(c.sequences_per_replica, c.users));
  CheckOutcome out{"users", served, static_cast<double>(c.users), "users", c.replicas == 1, ""};
  const std::string speed =
      c.target_tokens_per_s > 0 ? fmt::format(" at >= {:g} tokens/s each", c.target_tokens_per_s) : "";
  if (!c.replica_fits)
    out.text = fmt::format("users: not one replica fits this hardware, so none of the {} users is served", c.users);
  else if (c.replicas == 0)
    out.text = fmt::format("users: not even one{} on this hardware", speed);
  else
    out.text = fmt::format("serves {} of {} {}{} on this hardware{}", figure(served), c.users,
                           plural(c.users, "user", "users"), speed,
                           c.replicas > 1 ? fmt::format(" ({} replicas, {} GPUs, needed)", c.replicas, c.gpus) : "");
  return out;
}

}  // namespace

void require_limits_answerable(const Catalog& catalog, const PlanResult& p, const CostRequest& cost,
                               const CheckLimits& limits) {
  if (!limits.max_usd_per_million_tokens || !p.hardware) return;
  // Whether a price exists does not depend on the speed: any positive rate asks the same question.
  const CostEstimate c = estimate_cost(catalog, *p.hardware, 1.0, cost);
  if (!c.cloud && !c.owned) throw InputError(k_no_price);
}

std::vector<CheckOutcome> run_checks(const PlanResult& p, const CheckLimits& limits) {
  if (!p.layout)
    throw InputError(
        "check needs hardware to check against: %gpu% NAME, %gpus% LIST, %vram% SIZE or, CPU only, %ram% SIZE");
  std::vector<CheckOutcome> out;
  const Layout& l = *p.layout;
  // Layers or experts in system RAM only count as fitting when --ram says the RAM is there.
  const bool unverified = l.fits && p.needs_ram.has_value();
  const bool fit = p.fits;
  CheckOutcome fits{"fits", fit ? 1.0 : 0.0, 1.0, "", fit, ""};
  if (fit && p.context_search)  // the context checked is the search's answer: a CI log shows it shrink
    fits.text =
        fmt::format("fits in memory at {} tokens, the largest context that does (--context max)", p.scenario.context);
  else if (fit)
    fits.text = "fits in memory";
  else if (unverified && ram_is_gpu_memory(*p.hardware))
    fits.text = fmt::format("does not fit: needs {:.2f} GiB more, and {}'s one memory for CPU and GPU is all the GPU's",
                            p.needs_ram->gib(), p.hardware->gpus.front().name);
  else if (unverified)
    fits.text = fmt::format("keeps {:.2f} GiB of layers in system RAM; give %ram% to check that it fits", p.needs_ram->gib());
  else if (!l.unsupported.empty())
    fits.text = "cannot run on this hardware: " + l.unsupported;
  else fits.text = "does not fit: " + (l.reasons.empty() ? std::string("memory") : l.reasons.front());
  out.push_back(fits);
  const bool measured = p.throughput.has_value() && fit;  // nothing to time when it does not fit
  const auto unmeasured = [&](std::string name, double required, std::string unit) {
    CheckOutcome c{std::move(name), 0, required, std::move(unit), false, ""};
    c.text = c.name + (l.unsupported.empty() ? ": not measured, the model does not fit"
                                             : ": not measured, the model cannot run on this hardware");
    return c;
  };
  if (limits.min_tokens_per_s)
    // Per sequence as a server delivers it: with --batch above 1, the other requests' prefills included.
    out.push_back(
        measured
            ? with_range(at_least("min_tps",
                                  p.scenario.batch > 1 ? "decode per sequence, the other requests' prefills included"
                                                       : "decode",
                                  p.throughput->served_decode_tokens_per_s, *limits.min_tokens_per_s, "tokens/s"),
                         range_words(p.throughput->served_band))
            : unmeasured("min_tps", *limits.min_tokens_per_s, "tokens/s"));
  if (limits.max_ttft_s)
    // A prompt prefills in time inverse to its speed: the prefill band's bounds give the TTFT's.
    out.push_back(measured
                      ? with_range(at_most("max_ttft_ms", "time to first token", p.throughput->ttft_s * 1000,
                                           *limits.max_ttft_s * 1000, "ms"),
                                   p.throughput->prefill_tokens_per_s > 0
                                       ? range_words(inverted(p.throughput->prefill_band),
                                                     p.throughput->ttft_s * 1000 * p.throughput->prefill_tokens_per_s)
                                       : "")
                      : unmeasured("max_ttft_ms", *limits.max_ttft_s * 1000, "ms"));
  if (limits.max_usd_per_million_tokens) {
    if (!measured) {
      out.push_back(unmeasured("max_usd_per_mtok", *limits.max_usd_per_million_tokens, k_usd_unit));
    } else {
      const auto& c = *p.cost;
      std::optional<double> usd;
      if (c.cloud) usd = c.cloud->usd_per_million_tokens;
      else if (c.owned) usd = c.owned->usd_per_million_tokens;
      if (!usd) throw InputError(k_no_price);
      out.push_back(at_most("max_usd_per_mtok", c.cloud ? "cloud cost" : "owned cost", *usd,
                            *limits.max_usd_per_million_tokens, k_usd_unit));
    }
  }
  if (p.capacity) out.push_back(users_check(*p.capacity));
  if (limits.max_memory_fraction)
    out.push_back(at_most("max_memory_fraction", "memory use", fullest_device_fraction(*p.layout), *limits.max_memory_fraction,
                          "of the fullest device"));
  return out;
}

}  // namespace dsplan
