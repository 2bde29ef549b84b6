// Context search (--context max) and sweep (--sweep context): the answer fits with the headroom,
// one step more does not, and the figures agree with a hand calculation of the KV cache.
#include <catch2/catch.hpp>

#include "dsplan/serving/context_search.hpp"
#include "dsplan/base/error.hpp"
#include "test_support.hpp"

using namespace dsplan;
using dsplan::test::catalog;

namespace {

constexpr double k_gib_d = 1024.0 * 1024.0 * 1024.0;

PlanRequest request(const char* model, const char* quant, const char* gpu, std::uint64_t count,
                    const char* kv_type = "") {
  PlanRequest r = test::plan_request(model, quant, "", gpu, count, Scenario{}.context);
  r.scenario.kv_type = kv_type;
  return r;
}

PlanResult at_context(PlanRequest r, std::uint64_t context) {
  r.scenario.context = context;
  return run_plan(catalog(), r);
}

}  // namespace

// R1-Distill-Llama-70B Q4_K_M on 2 x RTX 4090 (48 GiB): the 39.59 GiB of weights leave 45.6 GiB
// usable (95%) minus the weights, about 6 GiB, for the cache and buffers; at 327,680 B per token
// (80 layers x 2 x 1,024 x 2 B) that is at most ~19K tokens, and more than half of it.
TEST_CASE("context max: the largest context that fits with the headroom", "[context]") {
  const auto r = request("70b", "q4_k_m", "rtx4090", 2);
  const PlanResult p = find_max_context(catalog(), {r, false, 0.05});
  REQUIRE(p.context_search);
  const auto& cs = *p.context_search;
  REQUIRE(cs.found);
  REQUIRE(cs.limit == 131072);  // max_position_embeddings of R1-Distill-Llama-70B
  REQUIRE(cs.kv_type == "f16");
  REQUIRE(cs.limited_by.find("RTX 4090") != std::string::npos);
  const std::uint64_t ctx = p.scenario.context;
  REQUIRE(ctx % k_context_step == 0);
  const double free_gib = 0.95 * 48.0 - 39.59;
  REQUIRE(static_cast<double>(ctx) * 327680.0 / k_gib_d < free_gib);
  REQUIRE(static_cast<double>(ctx) * 327680.0 / k_gib_d > 0.5 * free_gib);  // buffers take part of it
  REQUIRE(fits_with_headroom(p, 0.05));
  REQUIRE_FALSE(fits_with_headroom(at_context(r, ctx + k_context_step), 0.05));
}

TEST_CASE("context max with kv-type auto trades cache precision for context", "[context]") {
  const auto r = request("70b", "q4_k_m", "rtx4090", 2);
  const PlanResult f16 = find_max_context(catalog(), {r, false, 0.05});
  const PlanResult any = find_max_context(catalog(), {r, true, 0.05});
  REQUIRE(any.context_search->kv_type != "f16");
  // q8_0 stores 34 bytes per 32 values (1.06 B) and q4_0 18 per 32 (0.56 B), against f16's 2 B:
  // the same free memory holds well over 1.8x the tokens.
  REQUIRE(static_cast<double>(any.scenario.context) > 1.8 * static_cast<double>(f16.scenario.context));
  REQUIRE(fits_with_headroom(any, 0.05));
}

TEST_CASE("context max reaches the window when memory is plenty", "[context]") {
  // The 1.5B distill (3.5 GB in bf16, 28 layers x 2 x 256 x 2 B = 28 KiB per token) on an 80 GB
  // card: 131,072 tokens are 3.5 GiB of cache. The window binds.
  const PlanResult p = find_max_context(catalog(), {request("1.5b", "bf16", "a100-80g", 1), false, 0.05});
  REQUIRE(p.scenario.context == 131072);
  REQUIRE(p.context_search->limited_by == "model");
}

TEST_CASE("context max when nothing fits, and its input errors", "[context]") {
  // 671B at FP8 on one 24 GB card: not even 256 tokens.
  const PlanResult p = find_max_context(catalog(), {request("r1", "", "rtx4090", 1), false, 0.05});
  REQUIRE_FALSE(p.context_search->found);
  REQUIRE_FALSE(p.fits);
  PlanRequest no_hw = request("8b", "q4_k_m", "rtx4090", 1);
  no_hw.hardware.reset();
  REQUIRE_THROWS_AS(find_max_context(catalog(), {no_hw, false, 0.05}), InputError);
}

TEST_CASE("context sweep: powers of two up to the window, memory growing with the context", "[context]") {
  const auto points = sweep_context(catalog(), request("8b", "q4_k_m", "rtx4090", 1));
  // 1,024 .. 65,536 (7 powers of two) and the window, 131,072.
  REQUIRE(points.size() == 8);
  REQUIRE(points.front().context == 1024);
  REQUIRE(points.back().context == 131072);
  for (std::size_t i = 1; i < points.size(); ++i) {
    REQUIRE(points[i].plan.memory.kv.total > points[i - 1].plan.memory.kv.total);
    // 32 layers x (K 1,024 + V 1,024) x 2 B = 131,072 B per token (Llama-3.1-8B config.json, f16 cache).
    REQUIRE(points[i].plan.memory.kv.total.count() == points[i].context * 131072);
  }
  REQUIRE(points.front().plan.fits);
}
