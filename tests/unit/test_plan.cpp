// evaluate_placement, the one pipeline from a resolved scenario on hardware to layout, verdict,
// speed and cost: what it measures and when it stops, and that run_plan reports its figures.
#include <catch2/catch.hpp>

#include "dsplan/serving/plan.hpp"
#include "test_support.hpp"

using namespace dsplan;
using dsplan::test::catalog;
using dsplan::test::plan_request;

namespace {

struct Sized {
  ResolvedScenario scenario;
  MemoryEstimate memory;
};

Sized sized(const char* model, const char* quant, const char* engine) {
  Scenario s;
  s.model = model;
  s.quant = quant;
  s.engine = engine;
  s.context = 8192;
  Sized out;
  out.scenario = resolve_scenario(catalog(), s);
  out.memory = estimate_memory(catalog(), out.scenario);
  return out;
}

Hardware hardware(const char* gpu, std::uint64_t count, std::optional<std::uint64_t> ram_gib) {
  HardwareRequest h;
  h.gpus = {{gpu, count}};
  if (ram_gib) h.ram = Bytes(*ram_gib * k_gib);
  return build_hardware(catalog(), h);
}

PlacementRequest request(std::optional<double> headroom, bool measure_unfit) {
  PlacementRequest r;
  r.throughput.prompt_tokens = 4096;
  r.throughput.output_tokens = 4096;
  r.headroom = headroom;
  r.measure_unfit = measure_unfit;
  return r;
}

}  // namespace

TEST_CASE("a layout that keeps layers in RAM nobody gave does not fit", "[plan]") {
  // A 70B at Q4_K_M (about 40 GiB of weights) cannot sit on one 24 GiB card: llama.cpp puts the
  // rest of the blocks in system RAM, which no --ram vouched for.
  const Sized s = sized("70b", "q4_k_m", "llama.cpp");
  const Hardware hw = hardware("rtx4090", 1, std::nullopt);
  const Evaluation shown = evaluate_placement(catalog(), s.scenario, s.memory, hw, request(std::nullopt, true));
  CHECK(shown.layout.fits);
  REQUIRE(shown.needs_ram);
  CHECK(*shown.needs_ram == shown.layout.cpu.total);
  CHECK_FALSE(shown.fits);
  CHECK_FALSE(shown.fullest_device);  // the headroom is not judged on a placement that fails already
  CHECK(shown.throughput);            // estimate still shows its speed
  CHECK(shown.cost);
  const Evaluation verdict = evaluate_placement(catalog(), s.scenario, s.memory, hw, request(std::nullopt, false));
  CHECK_FALSE(verdict.fits);
  CHECK_FALSE(verdict.throughput);  // a search stops at the verdict
  CHECK_FALSE(verdict.cost);
}

TEST_CASE("a layer-split placement past the headroom does not fit", "[plan]") {
  // The default fit puts as many blocks on the GPU as its whole capacity takes, so with RAM for
  // the rest the card ends up more than 95 % full (docs/decisions.md §4).
  const Sized s = sized("70b", "q4_k_m", "llama.cpp");
  const Hardware hw = hardware("rtx4090", 1, 512);
  const Evaluation e = evaluate_placement(catalog(), s.scenario, s.memory, hw, request(0.05, false));
  REQUIRE(e.layout.fits);
  CHECK_FALSE(e.needs_ram);
  REQUIRE(e.fullest_device);
  CHECK(*e.fullest_device > 0.95);
  CHECK(e.over_headroom);
  CHECK_FALSE(e.fits);
  CHECK_FALSE(e.throughput);
  const Evaluation no_headroom = evaluate_placement(catalog(), s.scenario, s.memory, hw, request(std::nullopt, false));
  CHECK_FALSE(no_headroom.over_headroom);
  CHECK(no_headroom.fits);
  CHECK(no_headroom.throughput);
}

TEST_CASE("paged engines are not held to the headroom", "[plan]") {
  // vLLM claims gpu_memory_utilization of each card and fills it with its KV pool by design.
  const Sized s = sized("70b", "fp8", "vllm");
  const Hardware hw = hardware("h100-sxm", 2, std::nullopt);
  const Evaluation e = evaluate_placement(catalog(), s.scenario, s.memory, hw, request(0.5, false));
  REQUIRE(e.fullest_device);
  CHECK(*e.fullest_device > 0.5);
  CHECK_FALSE(e.over_headroom);
  CHECK(e.fits);
}

TEST_CASE("a placement without a cost request is timed, not priced", "[plan]") {
  const Sized s = sized("32b", "q4_k_m", "llama.cpp");
  PlacementRequest r = request(std::nullopt, true);
  r.cost = std::nullopt;
  const Evaluation e = evaluate_placement(catalog(), s.scenario, s.memory, hardware("rtx4090", 1, std::nullopt), r);
  CHECK(e.fits);
  CHECK(e.throughput);
  CHECK_FALSE(e.cost);
}

TEST_CASE("run_plan reports the figures of evaluate_placement", "[plan]") {
  const PlanResult plan = run_plan(catalog(), plan_request("32b", "q4_k_m", "llama.cpp", "rtx4090", 1, 8192));
  const Sized s = sized("32b", "q4_k_m", "llama.cpp");
  const Evaluation e =
      evaluate_placement(catalog(), s.scenario, s.memory, hardware("rtx4090", 1, std::nullopt), request(std::nullopt, true));
  REQUIRE(plan.throughput);
  REQUIRE(e.throughput);
  CHECK(plan.fits == e.fits);
  CHECK(plan.layout->gpu_layers == e.layout.gpu_layers);
  CHECK(plan.throughput->decode_tokens_per_s == e.throughput->decode_tokens_per_s);
  CHECK(plan.throughput->decode_band.low_tokens_per_s == e.throughput->decode_band.low_tokens_per_s);
  REQUIRE(plan.cost);
  REQUIRE(e.cost);
  CHECK(plan.cost->owned.has_value() == e.cost->owned.has_value());
}

TEST_CASE("a GPU count past one node fills whole nodes for an engine that spans them", "[plan][hardware]") {
  // An H100 SXM node holds 8 (gpus.json gpus_per_node; HGX baseboard): 16 of them are 2 nodes, as
  // --count auto and recommend place them, not one 16-GPU node.
  PlanRequest r = plan_request("r1", "", "vllm", "h100-sxm", 16, 4096);  // "": the native FP8
  const PlanResult two = run_plan(catalog(), r);
  REQUIRE(two.hardware->nodes == 2);
  REQUIRE(two.hardware->gpu_count() == 16);
  REQUIRE(two.layout->tensor_parallel * two.layout->pipeline_parallel == 16);
  REQUIRE(two.layout->tensor_parallel <= 8);
  // 12 is no whole number of nodes; a layer split keeps every card in one machine.
  r.hardware->gpus = {{"h100-sxm", 12}};
  REQUIRE_THROWS_WITH(run_plan(catalog(), r), Catch::Contains("a node holds 8"));
  r.scenario.engine = "llama.cpp";
  r.scenario.quant = "q4_k_m";
  REQUIRE(run_plan(catalog(), r).hardware->nodes == 1);
}

TEST_CASE("FP8 checkpoints need an FP8 or FP8-Marlin GPU: Ampere and later, not Volta", "[plan][hardware]") {
  // vLLM's FP8 docs: W8A8 from compute capability 8.9, weight-only W8A16 (FP8 Marlin) from 8.0; a
  // V100 (7.0) has neither, so recommend must not pick an FP8 file for it.
  PlanRequest r = plan_request("8b", "fp8", "vllm", "a100-80g", 1, 4096);
  REQUIRE(run_plan(catalog(), r).fits);
  r.hardware->gpus = {{"v100-32g", 1}};
  const PlanResult volta = run_plan(catalog(), r);
  REQUIRE_FALSE(volta.fits);
  REQUIRE_THAT(volta.layout->reasons.front(), Catch::Contains("Volta GV100"));
}
