// In-process speed of the estimator: catalog load, one estimate, the whole catalog.
#include <benchmark/benchmark.h>

#include "core/catalog/compiled_catalog.hpp"
#include "dsplan/catalog/catalog_load.hpp"
#include "dsplan/recommend/recommend.hpp"
#include "dsplan/serving/memory.hpp"
#include "dsplan/training/training.hpp"

namespace {

const dsplan::Catalog& catalog() {
  static const dsplan::Catalog cat = dsplan::load_embedded_catalog();
  return cat;
}

void estimate(benchmark::State& state, const char* model, const char* quant) {
  dsplan::Scenario s;
  s.model = model;
  s.quant = quant;
  for (auto _ : state) {
    const auto r = dsplan::resolve_scenario(catalog(), s);
    benchmark::DoNotOptimize(dsplan::estimate_memory(catalog(), r));
  }
  state.SetItemsProcessed(state.iterations());
}

/// What a run does: read back the catalog compiled at build time.
void BM_LoadEmbeddedCatalog(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(dsplan::load_embedded_catalog());
}
BENCHMARK(BM_LoadEmbeddedCatalog)->Unit(benchmark::kMillisecond);

/// What the build does once (and a run did before stop 52): parse and check the embedded JSON.
void BM_ParseEmbeddedCatalogJson(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(dsplan::detail::load_embedded_json(dsplan::CatalogScope::full));
}
BENCHMARK(BM_ParseEmbeddedCatalogJson)->Unit(benchmark::kMillisecond);

BENCHMARK_CAPTURE(estimate, distill_70b_q4_k_m, "70b", "q4_k_m");
BENCHMARK_CAPTURE(estimate, distill_1_5b_bf16, "1.5b", "bf16");
BENCHMARK_CAPTURE(estimate, r1_q4_k_m, "r1", "q4_k_m");
BENCHMARK_CAPTURE(estimate, r1_fp8, "r1", "fp8");

/// The whole recommend search (issue #5 target: under 20 ms on the 2-core development machine).
void recommend(benchmark::State& state, dsplan::RecommendRequest r) {
  for (auto _ : state) benchmark::DoNotOptimize(dsplan::recommend(catalog(), r));
}

dsplan::RecommendRequest on(std::optional<dsplan::HardwareRequest> hw, const char* task, bool cloud = false) {
  dsplan::RecommendRequest r;
  r.hardware = std::move(hw);
  r.task = task;
  r.cloud = cloud;
  return r;
}

dsplan::HardwareRequest vram(double gib) {
  dsplan::HardwareRequest h;
  h.vram = dsplan::Bytes(static_cast<std::uint64_t>(gib * 1024 * 1024 * 1024));
  return h;
}

dsplan::HardwareRequest gpus(const char* name, std::uint64_t count, std::optional<double> ram_gib = std::nullopt) {
  dsplan::HardwareRequest h;
  h.gpus.push_back({name, count});
  if (ram_gib) h.ram = dsplan::Bytes(static_cast<std::uint64_t>(*ram_gib * 1024 * 1024 * 1024));
  return h;
}

BENCHMARK_CAPTURE(recommend, vram24_code, on(vram(24), "code"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(recommend, h200x8_chat, on(gpus("h200", 8), "chat"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(recommend, rtx4090_ram512_reasoning, on(gpus("rtx4090", 1, 512.0), "reasoning"))
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(recommend, cloud_code, on(std::nullopt, "code", true))->Unit(benchmark::kMillisecond);

void BM_TrainV3(benchmark::State& state) {
  dsplan::TrainRequest r;
  r.model = "v3";
  r.gpu = "h800";
  r.count_auto = true;
  r.zero = 3;
  r.tokens = 1e12;
  for (auto _ : state) benchmark::DoNotOptimize(dsplan::estimate_training(catalog(), r));
}
BENCHMARK(BM_TrainV3)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
