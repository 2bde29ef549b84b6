// Runtime memory: llama.cpp compute buffer terms, PyTorch activation peak, fixed overhead.
#include <catch2/catch.hpp>

#include "dsplan/serving/runtime.hpp"
#include "test_support.hpp"

using namespace dsplan;
using dsplan::test::catalog;

namespace {
RuntimeMemory runtime(const char* model, const char* engine, std::uint64_t ctx, bool fa = true,
                      std::uint64_t ubatch = 512, std::uint64_t seqs = 1) {
  const auto& a = catalog().require_model(model).arch;
  const auto& e = catalog().require_engine(engine);
  const auto cache = estimate_kv_cache(a, e, catalog().require_block_type("f16"), {ctx, seqs, false});
  return estimate_runtime(a, e, cache, {ubatch, seqs, fa});
}
constexpr double k_mib_f = 1024.0 * 1024.0;
double mib(Bytes b) { return static_cast<double>(b.count()) / k_mib_f; }
}  // namespace

TEST_CASE("llama.cpp compute buffer: logits term by hand", "[runtime]") {
  // Qwen-7B, 2,048 tokens, flash attention: 4 x 512 x (152,064 + 3,584) = 318,767,104 B of f32
  // logits and final hidden state, + masks 6 x 512 x 2,048 = 6,291,456.
  REQUIRE(runtime("r1-distill-qwen-7b", "llama.cpp", 2048).compute_buffer.count() == 318'767'104ULL + 6'291'456ULL);
  // Without flash attention at 32k: max(logits, 4 x 512 x 32,768 x (28 + 1) + 18 x 512 x 3,584).
  REQUIRE(runtime("r1-distill-qwen-7b", "llama.cpp", 32768, false).compute_buffer.count() ==
          4ULL * 512 * 32768 * 29 + 18ULL * 512 * 3584);
}

TEST_CASE("llama.cpp compute buffer is near the buffers llama.cpp reports", "[runtime]") {
  // Real CUDA logs (CUDA0 + CUDA_Host compute buffers): Qwen-7B 2k FA 304 MiB (llama-cpp-python
  // PR #1 log); Qwen-32B 16k FA 307 + 42.01 = 349 MiB (llama.cpp issue #11861). Tolerance 5%.
  REQUIRE(mib(runtime("r1-distill-qwen-7b", "llama.cpp", 2048).compute_buffer) ==
          Approx(304.0).epsilon(0.05));
  REQUIRE(mib(runtime("r1-distill-qwen-32b", "llama.cpp", 16384).compute_buffer) ==
          Approx(349.0).epsilon(0.05));
  // llama.cpp's own allocator simulation (no_alloc, build ec98e2002) without flash attention:
  // Llama-70B 32k 4,228 MiB, Qwen-14B 8k 700 MiB. Tolerance 3%.
  REQUIRE(mib(runtime("r1-distill-llama-70b", "llama.cpp", 32768, false).compute_buffer) ==
          Approx(4228.0).epsilon(0.03));
  REQUIRE(mib(runtime("r1-distill-qwen-14b", "llama.cpp", 8192, false).compute_buffer) ==
          Approx(700.0).epsilon(0.03));
}

TEST_CASE("compute buffer grows with ubatch and (without flash attention) with context", "[runtime]") {
  const auto small = runtime("r1-distill-llama-8b", "llama.cpp", 16384, false, 512);
  const auto big = runtime("r1-distill-llama-8b", "llama.cpp", 16384, false, 1024);
  REQUIRE(big.compute_buffer > small.compute_buffer);
  REQUIRE(runtime("r1-distill-llama-8b", "llama.cpp", 32768, false).compute_buffer >
          runtime("r1-distill-llama-8b", "llama.cpp", 16384, false).compute_buffer);
  REQUIRE(runtime("r1-distill-llama-8b", "llama.cpp", 32768, true).compute_buffer <
          runtime("r1-distill-llama-8b", "llama.cpp", 32768, false).compute_buffer);
}

TEST_CASE("vLLM activation peak is near its memory profile", "[runtime]") {
  // Meta-Llama-3-8B (the architecture of R1-Distill-Llama-8B) on H100, vLLM PR #10511 log:
  // "activation peak memory takes 1.26 GiB" with max_num_batched_tokens 8192.
  // By hand: 8,192 x 2 B x (3 x 14,336 + 4 x 4,096) + 256 x 12 B x 128,256 = 1,367,998,464 B.
  const auto r = runtime("r1-distill-llama-8b", "vllm", 8192, true, 8192);
  REQUIRE(r.compute_buffer.count() == 8192ULL * 2 * (3 * 14336 + 4 * 4096) + 256ULL * 12 * 128256);
  REQUIRE(mib(r.compute_buffer) / 1024.0 == Approx(1.26).epsilon(0.05));
  REQUIRE(r.overhead.count() == 1'921'997'865ULL);  // non_torch_memory 1.79 GiB in the same log
}
