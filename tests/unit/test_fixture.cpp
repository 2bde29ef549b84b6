// The fixture catalog's toy model, every figure derived by hand: the readable spec of the formulas.
#include <catch2/catch.hpp>

#include "dsplan/serving/memory.hpp"
#include "dsplan/serving/plan.hpp"
#include "test_support.hpp"

using namespace dsplan;

using dsplan::test::fixture_catalog;

// Tiny-2L: hidden 64, 2 layers, 4 heads of 16, 2 KV heads, FFN 128, vocab 256, untied.
//   token_embd 256 x 64 = 16,384; output 16,384; output_norm 64
//   per layer: attn_norm 64 + q 64x64 4,096 + k 64x32 2,048 + v 2,048 + o 4,096 + ffn_norm 64
//              + gate/up/down 3 x 64x128 = 24,576  ->  36,992; two layers 73,984
//   total 16,384 + 16,384 + 64 + 73,984 = 106,816
TEST_CASE("fixture: parameters by hand", "[fixture]") {
  const auto& m = fixture_catalog().require_model("tiny");
  const auto inv = build_inventory(m.arch);
  REQUIRE(inv.params_total().count() == 106'816);
  REQUIRE(inv.params_active(false).count() == 106'816 - 16'384);
}

// TINY_Q8 in GGUF: 1-D tensors F32 (container rule), output F16 (format rule), the rest Q8_0.
//   Q8_0 = elements / 32 x 34: token_embd 16,384 -> 17,408; per layer q 4,352 + k 2,176 + v 2,176
//   + o 4,352 + gate/up/down 3 x 8,704 = 39,168, two layers 78,336
//   F32 vectors: 2 layers x 2 norms x 64 x 4 = 1,024 + output_norm 256 = 1,280; output F16 32,768
//   total 17,408 + 78,336 + 1,280 + 32,768 = 129,792
// KV (f16, 256-token blocks): per token and layer K 2 x 16 = 32 values + V 32 = 128 B; 2 layers
//   256 B/token; context 1,000 -> 1,024 cells -> 262,144 B
// Compute buffer (llama.cpp, flash attention): ub = min(512, 1,024) = 512
//   logits 4 x 512 x (256 + 64) = 655,360 + masks 6 x 512 x 1,024 = 3,145,728 -> 3,801,088
// Overhead 1,000,000 (fixture engine). Total 129,792 + 262,144 + 3,801,088 + 1,000,000 = 5,193,024
TEST_CASE("fixture: memory by hand", "[fixture]") {
  Scenario s;
  s.model = "tiny";
  s.quant = "tiny-q8";
  s.context = 1000;
  const auto r = resolve_scenario(fixture_catalog(), s);
  REQUIRE(r.engine->id == "tiny-engine");
  const auto m = estimate_memory(fixture_catalog(), r);
  REQUIRE(m.weights.total.count() == 129'792);
  REQUIRE(m.kv.bytes_per_token.count() == 256);
  REQUIRE(m.kv.cells == 1'024);
  REQUIRE(m.kv.total.count() == 262'144);
  REQUIRE(m.runtime.compute_buffer.count() == 3'801'088);
  REQUIRE(m.runtime.overhead.count() == 1'000'000);
  REQUIRE(m.total.count() == 5'193'024);

  // q8_0 cache: 32 values -> one 34-byte block for K and one for V per layer: 136 B/token.
  s.kv_type = "q8_0";
  const auto q8 = estimate_memory(fixture_catalog(), resolve_scenario(fixture_catalog(), s));
  REQUIRE(q8.kv.bytes_per_token.count() == 136);
}

// Decode on one tiny-gpu (500 GB/s, 100 TFLOPS, fixture engine: efficiency 0.5, 1 ms per block,
// MFU 0.5), context 1,000 -> prompt 500 + output 500, decode at a mean KV length of 750:
//   read = blocks 2 x (39,168 Q8_0 + 512 F32 norms) = 79,360 + output 32,768 + output_norm 256
//          + KV 750 tokens x 128 B x 2 layers = 192,000  ->  304,384 B
//   memory = 304,384 / (500e9 x 0.5) = 1.217536 us
//   FLOPs = 2 x 73,984 + 2 x 16,384 + 2 layers x 2 x 750 x (4 heads x 2 x 16) = 564,736 -> 11.3 ns
//   step = max(memory, compute) + 2 blocks x 1 ms = 2.001217536 ms
TEST_CASE("fixture: decode roofline by hand", "[fixture][performance]") {
  PlanRequest r;
  r.scenario.model = "tiny";
  r.scenario.quant = "tiny-q8";
  r.scenario.context = 1000;
  r.hardware = HardwareRequest{};
  r.hardware->gpus.push_back({"tiny-gpu", 1});
  r.cost.usd_per_gpu_hour = 2.0;
  const PlanResult p = run_plan(fixture_catalog(), r);
  REQUIRE(p.layout->fits);
  REQUIRE(p.layout->gpu_layers == 3);
  REQUIRE(p.throughput->decode_stages.size() == 1);
  const auto& st = p.throughput->decode_stages.front();
  REQUIRE(st.read_bytes == Approx(304'384.0));
  REQUIRE(st.flops == Approx(564'736.0));
  REQUIRE(st.memory_s == Approx(1.217536e-6));
  REQUIRE(p.throughput->decode_step_s == Approx(2.001217536e-3));
  // The 500-token prompt is one micro-batch: 2 blocks x 1 ms, plus a few microseconds of reads
  // (~240 kB at 250 GB/s) and FLOPs (~74 MFLOP at 50 TFLOPS).
  REQUIRE(p.throughput->prefill_s == Approx(2.0e-3).epsilon(5e-3));
  // Cost: $2/h over the served tokens: a request prefills, then decodes 500 tokens, one per step.
  const double tokens_per_hour = 3600.0 * 500 / (p.throughput->prefill_s + 500 * 2.001217536e-3);
  REQUIRE(p.cost->cloud->usd_per_million_tokens == Approx(2.0 / tokens_per_hour * 1e6));
}

// Served throughput on the fixture: 4 requests of 100 prompt + 100 output tokens. Their 400
// prompt tokens fit one 512-token micro-batch, so the round prefills in one pass, 2 blocks x 1 ms
// (plus microseconds of reads and FLOPs), not 4 x 2 ms; then 100 decode steps of the 4 sequences.
TEST_CASE("fixture: served throughput packs the prompts into shared micro-batches", "[fixture][performance]") {
  PlanRequest r;
  r.scenario.model = "tiny";
  r.scenario.quant = "tiny-q8";
  r.scenario.context = 200;
  r.scenario.batch = 4;
  r.prompt_tokens = 100;
  r.output_tokens = 100;
  r.hardware = HardwareRequest{};
  r.hardware->gpus.push_back({"tiny-gpu", 1});
  const PlanResult p = run_plan(fixture_catalog(), r);
  REQUIRE(p.throughput);
  const Throughput& t = *p.throughput;
  REQUIRE(t.decode_step_s == Approx(2.0e-3).epsilon(5e-3));
  REQUIRE(t.served_tokens_per_s == Approx(4.0 * 100 / (2.0e-3 + 100 * t.decode_step_s)).epsilon(1e-3));
  REQUIRE(t.served_tokens_per_s < t.aggregate_tokens_per_s);
}
