// Throughput: monotonicity, MoE expert coverage, and published measurements the factors were not fitted on.
#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>

#include "dsplan/serving/plan.hpp"
#include "test_support.hpp"

using namespace dsplan;
using dsplan::test::catalog;

namespace {

struct Run {
  const char* model;
  const char* quant;
  const char* engine;
  std::vector<HardwareRequest::Gpus> gpus;
  std::uint64_t prompt;
  std::uint64_t output;
};

PlanRequest request(const Run& x, std::uint64_t batch = 1, std::optional<std::uint64_t> bandwidth = std::nullopt) {
  PlanRequest r;
  r.scenario.model = x.model;
  r.scenario.quant = x.quant;
  r.scenario.engine = x.engine;
  r.scenario.context = x.prompt + x.output;
  r.scenario.batch = batch;
  r.prompt_tokens = x.prompt;
  r.output_tokens = x.output;
  r.hardware = HardwareRequest{};
  r.hardware->gpus = x.gpus;
  r.hardware->bandwidth = bandwidth;
  return r;
}

PlanResult run(const Run& x, std::uint64_t batch = 1, std::optional<std::uint64_t> bandwidth = std::nullopt) {
  return run_plan(catalog(), request(x, batch, bandwidth));
}

}  // namespace

TEST_CASE("routed experts touched by a batch", "[performance]") {
  // 1 - (1 - k/n)^B: one token touches k of n; a 512-token batch touches nearly all 256.
  REQUIRE(experts_touched_fraction(8, 256, 1) == Approx(8.0 / 256.0));
  REQUIRE(experts_touched_fraction(8, 256, 2) == Approx(1.0 - (248.0 / 256.0) * (248.0 / 256.0)));
  REQUIRE(experts_touched_fraction(8, 256, 512) > 0.999);
  REQUIRE(experts_touched_fraction(0, 0, 7) == 1.0);  // dense
}

TEST_CASE("more bandwidth is never slower, longer context never faster, batching raises the total", "[performance]") {
  const Run base{"32b", "q4_k_m", "llama.cpp", {{"rtx4090", 2}}, 1024, 1024};
  const auto slow = run(base, 1, 500'000'000'000ULL);
  const auto fast = run(base, 1, 1'500'000'000'000ULL);
  REQUIRE(fast.throughput->decode_tokens_per_s >= slow.throughput->decode_tokens_per_s);
  Run longer = base;
  longer.prompt = 8192;
  REQUIRE(run(longer).throughput->decode_tokens_per_s <= run(base).throughput->decode_tokens_per_s);
  const auto b1 = run(base, 1);
  const auto b8 = run(base, 8);
  REQUIRE(b8.throughput->aggregate_tokens_per_s > b1.throughput->aggregate_tokens_per_s);
  REQUIRE(b8.throughput->decode_tokens_per_s <= b1.throughput->decode_tokens_per_s);
  REQUIRE(b1.throughput->ttft_s > b1.throughput->prefill_s);
  REQUIRE(b1.throughput->e2e_latency_s > b1.throughput->ttft_s);
}

TEST_CASE("decode speed within 35% of published measurements it was not fitted on", "[performance][validation]") {
  // llama.cpp llama-bench tgN (N generated tokens after a 1-token prompt), batch 1. Sources:
  // XiongjieDai/GPU-Benchmarks-on-LLM-Inference (Llama-3 8B/70B, same shapes as the Llama
  // distills), geerlingguy/ai-benchmarks (Ollama deepseek-r1:14b), geerlingguy/beowulf-ai-cluster#17
  // (R1 on M3 Ultra), llama.cpp PR #23346 (V3.2 hybrid). docs/validation.md lists them all.
  struct Case {
    Run run;
    double measured;
  };
  const auto c = GENERATE(values<Case>({
      {{"8b", "q4_k_m", "llama.cpp", {{"rtx4090", 1}}, 1, 512}, 130.58},
      {{"8b", "q4_k_m", "llama.cpp", {{"rtx3090", 1}}, 1, 512}, 115.42},
      {{"8b", "f16", "llama.cpp", {{"rtx3090", 1}}, 1, 512}, 47.40},
      {{"70b", "q4_k_m", "llama.cpp", {{"rtx3090", 2}}, 1, 512}, 16.57},
      {{"70b", "q4_k_m", "llama.cpp", {{"rtx4090", 2}}, 1, 512}, 19.22},
      {{"70b", "q4_k_m", "llama.cpp", {{"h100-pcie", 1}}, 1, 1024}, 25.01},
      {{"8b", "q4_k_m", "llama.cpp", {{"a100-80g", 1}}, 1, 1024}, 133.38},
      {{"8b", "q4_k_m", "llama.cpp", {{"apple-m3-max", 1}}, 1, 512}, 48.97},
      {{"70b", "q4_k_m", "llama.cpp", {{"apple-m3-max", 1}}, 1, 512}, 7.65},
      {{"14b", "q4_k_m", "ollama", {{"rtx4090", 1}}, 24, 1000}, 92.49},
      {{"14b", "q4_k_m", "ollama", {{"rtx3060", 1}}, 24, 1000}, 29.77},
  }));
  CAPTURE(c.run.model, c.run.quant, c.run.gpus.front().name, c.measured);
  const auto p = run(c.run);
  REQUIRE(p.throughput);
  REQUIRE(p.throughput->decode_tokens_per_s == Approx(c.measured).epsilon(0.35));
}

TEST_CASE("DeepSeek-R1 671B on an M3 Ultra: decode within 35% of the published run", "[performance][validation]") {
  // llama.cpp build 7315, unsloth R1 Q4_K_M (1025 tensors), -fa 1 -ngl 99: tg128 20.21 t/s.
  PlanRequest r;
  r.scenario.model = "r1";
  r.scenario.quant = "q4_k_m";
  r.scenario.legacy_mla_gguf = true;
  r.scenario.context = 640;
  r.prompt_tokens = 512;
  r.output_tokens = 128;
  r.hardware = HardwareRequest{};
  r.hardware->gpus.push_back({"apple-m3-ultra", 1});
  const auto p = run_plan(catalog(), r);
  REQUIRE(p.throughput->decode_tokens_per_s == Approx(20.21).epsilon(0.35));
}

TEST_CASE("MoE blocks add their fixed time on the device that computes the experts", "[performance]") {
  // R1: 61 blocks, the first 3 dense (first_k_dense_replace = 3), so 58 MoE blocks. All on two
  // H100s: the fixed time of the decode step is 61 x t_block + 58 x t_moe over both devices, plus
  // one hop from the first GPU to the second.
  const auto p = run({"r1", "iq1_s", "llama.cpp", {{"h100-sxm", 2}}, 512, 512});
  REQUIRE(p.throughput);
  const auto& hbm = catalog().require_engine("llama.cpp").performance.classes.at("hbm");
  double fixed = 0;
  for (const auto& st : p.throughput->decode_stages) fixed += st.fixed_s;
  const double hop = catalog().require_engine("llama.cpp").performance.hop_seconds;
  REQUIRE(fixed == Approx(61 * hbm.layer_seconds + 58 * hbm.moe_layer_seconds + hop).epsilon(1e-9));
  REQUIRE(hbm.moe_layer_seconds > 0);
}

TEST_CASE("a --vram card says what it was modelled on", "[performance][hardware]") {
  // Modelled on the slowest consumer card of the smallest size that holds it: memory bandwidth =
  // data rate x bus width / 8 from the cards' spec sheets.
  const auto generic = [](std::uint64_t bytes) {
    HardwareRequest h;
    h.vram = Bytes(bytes);
    return build_hardware(catalog(), h);
  };
  const auto eight = generic(8 * k_gib);  // RTX 3050 8 GB: 14 Gbps x 128 bit / 8 = 224 GB/s
  CAPTURE(eight.assumed);
  REQUIRE(eight.assumed.find("RTX 3050") != std::string::npos);
  REQUIRE(eight.gpus.front().bandwidth_bytes_per_s == 224'000'000'000ULL);
  REQUIRE(eight.gpus.front().memory.count() == 8 * k_gib);  // the size asked for, not the model's
  // 24 GB = 22.4 GiB and 24 GiB: the 24 GiB cards, of which the RTX 3090 (19.5 Gbps x 384 bit / 8
  // = 936 GB/s) is slower than the 3090 Ti and 4090 (21 Gbps: 1,008 GB/s).
  REQUIRE(generic(24'000'000'000ULL).assumed.find("RTX 3090,") != std::string::npos);
  REQUIRE(generic(24 * k_gib).gpus.front().bandwidth_bytes_per_s / 1'000'000'000ULL == 936);
  // 40 GiB: no GeForce card holds it; the 48 GiB workstation cards, the RTX A6000 (16 Gbps x 384 / 8).
  REQUIRE(generic(40 * k_gib).gpus.front().bandwidth_bytes_per_s == 768'000'000'000ULL);
  // At 128 GiB no card of a consumer or workstation holds it; the DGX Spark and the Ryzen AI Max+
  // 395 have 128 GiB but are whole machines whose memory is the system's too, not cards. The
  // smallest datacenter CUDA card that holds it: the H200 (141 GB); the H100 NVL (94 GB) does not.
  const auto big = generic(128 * k_gib);
  CAPTURE(big.assumed);
  REQUIRE(big.assumed.find("H200") != std::string::npos);
  REQUIRE(big.assumed.find("DGX Spark") == std::string::npos);
  REQUIRE(big.gpus.front().software_stack.empty());
  // 200 GiB: the MI325X (256 GiB) is the smallest card that holds it; the B300 is the CUDA one.
  REQUIRE(generic(200 * k_gib).assumed.find("B300") != std::string::npos);
  HardwareRequest h;
  h.vram = Bytes(8 * k_gib);
  h.bandwidth = 448'000'000'000ULL;
  const auto given = build_hardware(catalog(), h);
  REQUIRE(given.assumed.find("448 GB/s memory bandwidth (from %bandwidth%)") != std::string::npos);  // the CLI: --bandwidth
  HardwareRequest named;
  named.gpus.push_back({"rtx4090", 1});
  REQUIRE(build_hardware(catalog(), named).assumed.empty());
}

TEST_CASE("every speed carries a band, classes without measurements are uncalibrated", "[performance]") {
  const auto dense = run({"8b", "q4_k_m", "llama.cpp", {{"rtx4090", 1}}, 512, 128});
  REQUIRE(dense.throughput->decode_band.speed_class == "llama.cpp/gddr/dense");
  REQUIRE(dense.throughput->decode_band.calibrated);
  REQUIRE(dense.throughput->decode_band.low_tokens_per_s < dense.throughput->decode_tokens_per_s);
  REQUIRE(dense.throughput->decode_band.high_tokens_per_s > dense.throughput->decode_tokens_per_s);
  // No published SGLang run on a GeForce card is in the measurement set.
  const auto tp = run({"8b", "bf16", "sglang", {{"rtx4090", 1}}, 512, 128});
  REQUIRE(tp.throughput->decode_band.speed_class == "sglang/gddr/dense");
  REQUIRE_FALSE(tp.throughput->decode_band.calibrated);
  REQUIRE(tp.throughput->decode_band.low_tokens_per_s == Approx(0.5 * tp.throughput->decode_tokens_per_s));
  REQUIRE(tp.throughput->decode_band.high_tokens_per_s == Approx(2.0 * tp.throughput->decode_tokens_per_s));
  // AMD GPUs run other kernels (ROCm): their runs are a class of their own, not NVIDIA HBM's.
  const auto amd = run({"r1", "fp8", "sglang", {{"mi300x", 8}}, 1024, 1024});
  REQUIRE(amd.throughput->decode_band.speed_class == "sglang/hbm-rocm/moe-671b");
  const auto nvidia = run({"r1", "fp8", "sglang", {{"h200", 8}}, 1024, 1024});
  REQUIRE(nvidia.throughput->decode_band.speed_class == "sglang/hbm/moe-671b");
  // DeepSeek-V2 (236B) and V2-Lite (16B) share llama.cpp's deepseek2 architecture with the 671B
  // line, not its size: a V2 file's speeds are not banded by the 671B line's measurements.
  const auto& archs = catalog().architectures;
  REQUIRE(archs.at("deepseek_v3").speed_family == "moe-671b");
  REQUIRE(archs.at("deepseek_v2").speed_family != "moe-671b");
}

namespace {
/// `model` on `engine` on the GPUs `gpus`, drafting `drafts` MTP tokens, for a request of
/// {prompt, output} tokens at their sum of context.
PlanRequest on_gpus(const char* model, const char* engine, const HardwareRequest::Gpus& gpus, std::uint64_t drafts,
                    std::pair<std::uint64_t, std::uint64_t> request) {
  PlanRequest r;
  r.scenario.model = model;
  r.scenario.engine = engine;
  r.scenario.context = request.first + request.second;
  r.scenario.speculative_tokens = drafts;
  r.prompt_tokens = request.first;
  r.output_tokens = request.second;
  r.hardware = HardwareRequest{};
  r.hardware->gpus = {gpus};
  return r;
}
}  // namespace

TEST_CASE("MTP speculation: the module and its layer's cache are loaded, a step yields 1 + a + ... tokens",
          "[performance][mtp]") {
  const auto plan = [](std::uint64_t drafts, const char* engine = "sglang", const char* model = "r1") {
    return run_plan(catalog(), on_gpus(model, engine, {"h200", 8}, drafts, {1024, 1024}));
  };
  const PlanResult off = plan(0), on = plan(1), two = plan(2);
  // Weights: the MTP module (not loaded without drafting) is loaded with it.
  REQUIRE(off.memory.weights_loaded.count() == off.memory.weights.total.count() - off.memory.weights.mtp.count());
  REQUIRE(on.memory.weights_loaded == on.memory.weights.total);
  // KV: SGLang's latent MLA cache, bf16: (kv_lora_rank 512 + rope 64) x 2 B per layer; the MTP
  // layer is one more: 61 -> 62 layers.
  REQUIRE(off.memory.kv.bytes_per_token.count() == 61u * 576 * 2);
  REQUIRE(on.memory.kv.bytes_per_token.count() == 62u * 576 * 2);
  // Acceptance 0.85 (models.json, DeepSeek-V3 report, one published position reused): k = 1 ->
  // 1.85 tokens; k = 2 -> 1 + a + a^2.
  REQUIRE(on.throughput->tokens_per_step == Approx(1.85));
  REQUIRE(two.throughput->tokens_per_step == Approx(1 + 0.85 + 0.85 * 0.85));
  // The step costs more (verifying 2 tokens, one draft pass) but yields 1.85 tokens: faster per
  // sequence, and below the 1.85x a free step would give.
  const double speedup = on.throughput->decode_tokens_per_s / off.throughput->decode_tokens_per_s;
  REQUIRE(speedup > 1.0);
  REQUIRE(speedup < 1.85);
  REQUIRE(on.throughput->decode_step_s > off.throughput->decode_step_s);
  // Models without the module and engines without the draft are refused.
  REQUIRE_THROWS_WITH(plan(1, "sglang", "r1-distill-llama-70b"), Catch::Contains("has none"));
  REQUIRE_THROWS_WITH(plan(1, "llama.cpp"), Catch::Contains("does not draft with the MTP module"));
}

TEST_CASE("MTP speculation on DeepSeek-V4: its layer caches a window only, drafts follow the published curve",
          "[performance][mtp][v4]") {
  const auto plan = [](std::uint64_t drafts) {
    return run_plan(catalog(), on_gpus("deepseek-v4-flash", "sglang", {"b200", 4}, drafts, {8192, 1024}));
  };
  const PlanResult off = plan(0), three = plan(3), six = plan(6);
  // config.json compress_ratios has 44 entries for 43 layers + 1 MTP layer; the last is 0, so
  // the MTP layer keeps only the 128-token window: one more window layer of 584 B per token
  // (fp8_ds_mla entry for head_dim 512, rope 64), for at most 128 tokens per sequence.
  REQUIRE(three.memory.kv.total.count() - off.memory.kv.total.count() == 128u * 584);
  REQUIRE(three.memory.weights_loaded == three.memory.weights.total);
  // InferenceX's V4-Pro curve, thinking on: 1.79 / 2.27 / 2.49 tokens per step at 1 / 2 / 3
  // drafts (the per-position rates are rounded to 2 digits, hence the margin).
  REQUIRE(three.throughput->tokens_per_step == Approx(2.49).margin(0.01));
  REQUIRE(plan(1).throughput->tokens_per_step == Approx(1.79));
  // Past the 4 published positions the last rate is reused; the curve stays flat (2.55-2.58 at
  // 5-8 drafts published), and so does dsplan's (within 0.02 of 2.54).
  REQUIRE(six.throughput->tokens_per_step == Approx(2.54).margin(0.02));
  REQUIRE(three.throughput->decode_tokens_per_s > off.throughput->decode_tokens_per_s);
}

TEST_CASE("MTP tokens per step from per-position acceptance", "[performance][mtp]") {
  // 1 + c1 + c1 c2 + c1 c2 c3, the last rate reused past the list.
  REQUIRE(mtp_tokens_per_step({0.5, 0.5}, 3) == Approx(1.875));
  REQUIRE(mtp_tokens_per_step({0.9, 0.5}, 2) == Approx(1 + 0.9 + 0.45));
  REQUIRE(mtp_tokens_per_step({0.9}, 0) == Approx(1.0));
  REQUIRE_THAT(mtp_acceptance_words({0.85}, 2), Catch::Contains("upper bound"));
  REQUIRE_THAT(mtp_acceptance_words({0.79, 0.61, 0.46, 0.23}, 3), !Catch::Contains("upper bound"));
}

namespace {
/// llama.cpp running the 8B on a CPU alone, with 64 GiB of RAM, at prompt + output tokens of context.
PlanRequest cpu_only(const std::string& quant, const std::string& cpu, std::uint64_t prompt, std::uint64_t output) {
  PlanRequest r;
  r.scenario.model = "8b";
  r.scenario.quant = quant;
  r.scenario.engine = "llama.cpp";
  r.scenario.context = prompt + output;
  r.prompt_tokens = prompt;
  r.output_tokens = output;
  r.hardware = HardwareRequest{};
  r.hardware->cpu = cpu;
  r.hardware->ram = Bytes(64 * k_gib);
  return r;
}
}  // namespace

TEST_CASE("CPU threads: fewer than the cores take that share of the CPU's compute", "[performance][hardware]") {
  // EPYC 9654: 96 cores (cpus.json); llama.cpp's default is every physical core.
  HardwareRequest h;
  h.cpu = "epyc-9654";
  h.ram = Bytes(768 * k_gib);
  const auto all = build_hardware(catalog(), h);
  REQUIRE(all.host.cores == 96);
  REQUIRE(all.host.threads == 0);
  REQUIRE(all.host.compute_share() == 1.0);
  h.threads = 12;
  const auto twelve = build_hardware(catalog(), h);
  REQUIRE(twelve.host.compute_share() == Approx(12.0 / 96.0));
  h.threads = 200;  // more threads than cores: still the whole CPU, no more
  REQUIRE(build_hardware(catalog(), h).host.compute_share() == 1.0);
  h.threads = 0;
  REQUIRE_THROWS_AS(build_hardware(catalog(), h), InputError);

  // A prompt on the CPU is compute-bound: 12 of 96 cores take 8x as long for the same FLOPs.
  PlanRequest r = cpu_only("q4_0", "epyc-9654", 512, 16);
  const auto full = run_plan(catalog(), r);
  r.hardware->threads = 12;
  const auto few = run_plan(catalog(), r);
  const auto& fs = full.throughput->prefill_stages.front();
  const auto& ws = few.throughput->prefill_stages.front();
  REQUIRE(ws.flops == Approx(fs.flops));
  REQUIRE(ws.compute_s == Approx(fs.compute_s * 8.0));
  REQUIRE(ws.device.find("12 threads") != std::string::npos);
  REQUIRE(few.throughput->decode_tokens_per_s <= full.throughput->decode_tokens_per_s);
}

TEST_CASE("CPU threads: one llama.cpp thread reads at most thread_bytes_per_s", "[performance][hardware]") {
  // A Ryzen 9 7950X (2 x DDR5-5200, cpus.json) decoding Llama-3.1-8B Q5_K_S: with one thread the
  // weight reads run at that thread's limit; with all 16 at the memory bus's (x efficiency).
  PlanRequest r = cpu_only("q5_k_s", "ryzen-7950x", 1, 128);
  r.hardware->threads = 1;
  const auto one = run_plan(catalog(), r);
  r.hardware->threads = 16;
  const auto all = run_plan(catalog(), r);
  const auto& cpu = catalog().require_engine("llama.cpp").performance.classes.at("cpu");
  const auto& s1 = one.throughput->decode_stages.front();
  const auto& s16 = all.throughput->decode_stages.front();
  REQUIRE(s1.memory_s == Approx(s1.read_bytes / cpu.thread_bytes_per_s).epsilon(1e-9));
  const double bus = static_cast<double>(all.hardware->host.bandwidth_bytes_per_s) * cpu.bandwidth_efficiency;
  REQUIRE(s16.memory_s == Approx(s16.read_bytes / bus).epsilon(1e-9));
  // ik_llama.cpp PR #132's mainline baseline on that CPU: tg128 4.10 t/s at 1 thread on a
  // 5.21 GiB file, so one thread drew about 5.21 x 1.0737 GB x 4.10 = 22.9 GB/s of weights.
  const double published = 5.21 * 1.073741824e9 * 4.10;
  REQUIRE(cpu.thread_bytes_per_s > 0.75 * published);
  REQUIRE(cpu.thread_bytes_per_s < 1.25 * published);
}

TEST_CASE("CPU sockets: each adds its channels and cores, llama.cpp reads across the socket link", "[performance][hardware]") {
  HardwareRequest h;
  h.cpu = "xeon-6980p";  // 128 cores, 12 x DDR5-6400 = 614.4 GB/s per socket (cpus.json)
  h.ram = Bytes(1536 * k_gib);
  const auto one = build_hardware(catalog(), h);
  h.sockets = 2;
  const auto two = build_hardware(catalog(), h);
  REQUIRE(two.host.sockets == 2);
  REQUIRE(two.host.bandwidth_bytes_per_s == 2 * one.host.bandwidth_bytes_per_s);
  REQUIRE(two.host.cores == 2 * one.host.cores);
  REQUIRE(two.host.tflops == Approx(2 * one.host.tflops));
  h.sockets = 0;
  REQUIRE_THROWS_AS(build_hardware(catalog(), h), InputError);
  h.sockets = 9;
  REQUIRE_THROWS_AS(build_hardware(catalog(), h), InputError);

  // ik_llama.cpp#259: DeepSeek-R1 Q4_K_M tg128 on one Xeon 6980P 10.02 t/s, on two 7.45 t/s (0.74x).
  // llama.cpp's socket_scaling is that ratio - 1; decode from RAM scales with it.
  PlanRequest r;
  r.scenario.model = "r1";
  r.scenario.quant = "q4_k_m";
  r.scenario.engine = "llama.cpp";
  r.scenario.context = 129;
  r.prompt_tokens = 1;
  r.output_tokens = 128;
  r.hardware = HardwareRequest{};
  r.hardware->cpu = "xeon-6980p";
  r.hardware->ram = Bytes(1536 * k_gib);
  const double single = run_plan(catalog(), r).throughput->decode_tokens_per_s;
  r.hardware->sockets = 2;
  const double dual = run_plan(catalog(), r).throughput->decode_tokens_per_s;
  const double scaling = catalog().require_engine("llama.cpp").performance.classes.at("cpu").socket_scaling;
  REQUIRE(scaling == Approx(7.45 / 10.02 - 1.0).margin(0.01));
  REQUIRE(dual < single);
  REQUIRE(dual / single == Approx(1.0 + scaling).epsilon(0.05));  // memory-bound: the bandwidth ratio
}

TEST_CASE("prefill MFU by weight type: f16 runs at its own factor of the quantized rate", "[performance]") {
  // Same model, GPU and prompt: the prefill FLOPs are the same (2 x params per token), so the
  // compute times differ only by the MFU factors of the two main block types.
  const auto f16 = run({"8b", "fp16", "llama.cpp", {{"rtx4090", 1}}, 512, 16});
  const auto q4 = run({"8b", "q4_0", "llama.cpp", {{"rtx4090", 1}}, 512, 16});
  REQUIRE(f16.throughput);
  REQUIRE(q4.throughput);
  const auto& a = f16.throughput->prefill_stages.front();
  const auto& b = q4.throughput->prefill_stages.front();
  REQUIRE(a.flops == Approx(b.flops).epsilon(1e-3));
  const auto& gddr = catalog().require_engine("llama.cpp").performance.classes.at("gddr");
  const auto factor = [&](const char* type) {
    const auto f = gddr.type_mfu_factor.find(type);
    return f == gddr.type_mfu_factor.end() ? 1.0 : f->second;
  };
  REQUIRE(a.compute_s * factor("f16") == Approx(b.compute_s * factor("q4_0")).epsilon(1e-3));
}

namespace {
/// The weight-read seconds per byte of the first decode stage of two runs.
std::pair<double, double> seconds_per_byte(const Run& x, const Run& y) {
  const auto a = run(x);
  const auto b = run(y);
  REQUIRE(a.throughput);
  REQUIRE(b.throughput);
  const auto& sa = a.throughput->decode_stages.front();
  const auto& sb = b.throughput->decode_stages.front();
  return {sa.memory_s / sa.read_bytes, sb.memory_s / sb.read_bytes};
}
}  // namespace

TEST_CASE("CUDA decode by weight type: a Q4_0 file's bytes stream at its own factor of the K-quant rate",
          "[performance]") {
  // Same card, same decode step: the weight-read time is bytes / (bandwidth x efficiency x the
  // type's factor), so time per byte differs between Q4_0 and Q4_K_M by exactly that factor.
  const auto [a, b] = seconds_per_byte({"8b", "q4_0", "llama.cpp", {{"rtx4090", 1}}, 1, 128},
                                       {"8b", "q4_k_m", "llama.cpp", {{"rtx4090", 1}}, 1, 128});
  const auto& gddr = catalog().require_engine("llama.cpp").performance.classes.at("gddr");
  const double f = gddr.type_bandwidth_factor.at("q4_0");
  REQUIRE(gddr.type_bandwidth_factor.count("q4_K") == 0);
  REQUIRE(a * f == Approx(b).epsilon(1e-6));
  // llama.cpp PR #15802 (2025 build): 8B Q4_0 (4.65 GB) on an RTX 3090 (936 GB/s) at -ub 1 ran
  // 156.56 t/s: 4.65 x 156.56 / 936 = 78 % of the peak in weight reads alone; 8B Q4_K_M (4.92 GB)
  // on the same card, llama-bench tg 115 t/s (issue 8's table): 4.92 x 115 / 936 = 60 %. Q4_0 is
  // read faster, but never faster than the card's peak.
  REQUIRE(f > 1.0);
  REQUIRE(f * gddr.bandwidth_efficiency <= 1.0);
  // Ollama runs llama.cpp: the same factor.
  REQUIRE(catalog().require_engine("ollama").performance.classes.at("gddr").type_bandwidth_factor.at("q4_0") == f);
}

TEST_CASE("No engine class streams a weight type faster than the card's datasheet bandwidth", "[performance]") {
  // Efficiency x type factor x architecture factor is the share of the datasheet bandwidth a
  // decode step's weight reads reach; a share above 1 would read a file faster than the memory can.
  for (const auto& engine : catalog().engines)
    for (const auto& [name, cls] : engine.performance.classes) {
      // The fastest combination: its largest factors of each kind (1 where none is above 1).
      double arch = 1.0;
      for (const auto& [a, v] : cls.architecture_bandwidth_factor) arch = std::max(arch, v);
      double type = 1.0;
      for (const auto& [t, v] : cls.type_bandwidth_factor) type = std::max(type, v);
      INFO(engine.id << " " << name);
      REQUIRE(cls.bandwidth_efficiency * type * arch <= 1.0);
    }
}

TEST_CASE("CUDA decode by GPU architecture: an Ampere card streams its datasheet bandwidth at its own factor",
          "[performance]") {
  // The RTX 3090 (Ampere, 936.2 GB/s) and the RTX 4090 (Ada, 1008 GB/s): the same file's weight-read
  // time per byte is 1 / (bandwidth x efficiency x the architecture's factor), so the ratio of
  // the two cards' times per byte is (1008 x 1) / (936.2 x the Ampere factor).
  const auto [a, b] = seconds_per_byte({"8b", "q4_k_m", "llama.cpp", {{"rtx3090", 1}}, 1, 128},
                                       {"8b", "q4_k_m", "llama.cpp", {{"rtx4090", 1}}, 1, 128});
  const auto& gddr = catalog().require_engine("llama.cpp").performance.classes.at("gddr");
  const double f = gddr.architecture_bandwidth_factor.at("ampere");
  REQUIRE(gddr.architecture_bandwidth_factor.count("ada") == 0);  // Ada is the reference
  REQUIRE(a / b == Approx(1008.0 / (936.2 * f)).epsilon(1e-6));
  // The stage carries the terms behind its time, as --explain and the JSON show them.
  const auto plan = run({"8b", "q4_k_m", "llama.cpp", {{"rtx3090", 1}}, 1, 128});
  const auto& st = plan.throughput->decode_stages.front();
  REQUIRE(st.bandwidth_bytes_per_s == 936.2e9);
  REQUIRE(st.efficiency == Approx(gddr.bandwidth_efficiency * f));
  // Written out as the class constant times the named factor, each to 3 significant digits.
  REQUIRE(efficiency_terms(st) == fmt::format("{:.3g} x {:.3g} (ampere)", gddr.bandwidth_efficiency, f));
  REQUIRE(st.memory_s == Approx(st.read_bytes / (st.bandwidth_bytes_per_s * st.efficiency)));
  // XiongjieDai's May 2024 llama-bench runs, Llama-3-8B Q4_K_M tg: RTX 3090 111.74 t/s, RTX 4090
  // 127.74 t/s; per GB/s of datasheet bandwidth the 3090 delivered (111.74 / 936) / (127.74 / 1008)
  // = 0.94 of the 4090's: the factor is below 1, and not by more than a third.
  REQUIRE(f < 1.0);
  REQUIRE(f > 0.67);
}

TEST_CASE("Serving engines on AMD CDNA 3 read at their own factor, on CDNA 4 at the class efficiency", "[performance]") {
  // SGLang, R1 FP8, TP 8: 8x MI300X (CDNA 3, 5.3 TB/s) against 8x H200 (Hopper, 4.8 TB/s). The
  // time per byte read is 1 / (bandwidth x efficiency x the architecture's factor), so the ratio is
  // (4800 x 1) / (5300 x the CDNA 3 factor).
  const auto [amd, nvidia] = seconds_per_byte({"r1", "fp8", "sglang", {{"mi300x", 8}}, 1024, 128},
                                              {"r1", "fp8", "sglang", {{"h200", 8}}, 1024, 128});
  const auto& hbm = catalog().require_engine("sglang").performance.classes.at("hbm");
  const double f = hbm.architecture_bandwidth_factor.at("cdna3");
  REQUIRE(amd / nvidia == Approx(4800.0 / (5300.0 * f)).epsilon(1e-6));
  // vLLM carries the same factor (no AMD vLLM run was there to fit its own).
  REQUIRE(catalog().require_engine("vllm").performance.classes.at("hbm").architecture_bandwidth_factor.at("cdna3") ==
          f);
  // The MI355X (CDNA 4) has no factor: its stage reads at the class efficiency.
  REQUIRE(hbm.architecture_bandwidth_factor.count("cdna4") == 0);
  const auto mi355x = run({"r1", "fp8", "sglang", {{"mi355x", 8}}, 1024, 128});
  REQUIRE(mi355x.throughput->decode_stages.front().efficiency == Approx(hbm.bandwidth_efficiency));
  REQUIRE(mi355x.throughput->decode_stages.front().factors.architecture == "cdna4");
  // InferenceX's SGLang runs of R1-0528 FP8 at 1k/1k and 64 requests: median TPOT 40.685 ms on
  // 8x MI300X against 30.52 ms on 8x H200, though the MI300X has 5.3 / 4.8 = 1.10x the bandwidth:
  // per byte, the CDNA 3 stack delivers at most (30.52 / 40.685) / 1.10 = 0.68 of Hopper's.
  REQUIRE(f < (30.52 / 40.685) / (5300.0 / 4800.0));
  REQUIRE(f > 0.2);
}

TEST_CASE("CPU compute by weight type: llama.cpp's i-quant dot products run slower than Q8_0's", "[performance]") {
  // ik_llama.cpp README (2024-07), mainline llama.cpp build 3441 on a Ryzen 9 7950X, LLaMA-3-8B
  // pp512 at 16 threads: Q8_0 118.07, Q4_0 104.46, Q4_K_S 98.92, IQ3_S 28.04, IQ2_XXS 42.57 t/s.
  // The catalog's factors are each type's rate over the mean of Q4_0, Q8_0 and Q4_K (107.15).
  const auto& cpu = catalog().require_engine("llama.cpp").performance.classes.at("cpu");
  const double mean = (118.07 + 104.46 + 98.92) / 3;
  REQUIRE(cpu.type_mfu_factor.at("q8_0") == Approx(118.07 / mean).margin(0.001));
  REQUIRE(cpu.type_mfu_factor.at("iq3_s") == Approx(28.04 / mean).margin(0.001));
  REQUIRE(cpu.type_mfu_factor.at("iq2_xxs") == Approx(42.57 / mean).margin(0.001));
  // IQ1_S is not in the table: the median of the five grid i-quants (IQ2_M's 40.76).
  REQUIRE(cpu.type_mfu_factor.at("iq1_s") == Approx(40.76 / mean).margin(0.001));

  // The same FLOPs on the same CPU: a compute-bound prefill of an 8B prompt takes 118.07 / 28.04
  // times as long in IQ3_S as in Q8_0 (the weights' bytes differ, the FLOPs do not).
  const auto cpu_prefill = [](const char* quant) {
    PlanRequest r = request({"8b", quant, "llama.cpp", {}, 512, 1});
    r.hardware = HardwareRequest{};
    r.hardware->cpu = "ryzen-7950x";
    r.hardware->ram = Bytes(64 * k_gib);
    return run_plan(catalog(), r).throughput->prefill_stages.front();
  };
  const auto q8 = cpu_prefill("q8_0");
  const auto iq3 = cpu_prefill("iq3_s");
  REQUIRE(iq3.flops == Approx(q8.flops).epsilon(1e-3));
  REQUIRE(iq3.compute_s / q8.compute_s == Approx(118.07 / 28.04).epsilon(0.01));
}

TEST_CASE("tensor-parallel prefill adds its per-block time to each block, in prefill only", "[performance]") {
  // R1 FP8 on 8 H200s with SGLang, TP8, one node: 61 blocks (3 dense + 58 MoE; SGLang has no
  // t_moe). A 1,024-token prompt is one micro-batch (SGLang's 8,192), so the prefill's fixed time
  // is 61 x (t_block + t_tp + t_prefill); the decode step's has no t_prefill.
  const auto p = run({"r1", "fp8", "sglang", {{"h200", 8}}, 1024, 256});
  REQUIRE(p.throughput);
  const auto& perf = catalog().require_engine("sglang").performance;
  const auto& hbm = perf.classes.at("hbm");
  REQUIRE(perf.prefill_layer_seconds > 0);
  double prefill = 0, decode = 0;
  for (const auto& st : p.throughput->prefill_stages) prefill += st.fixed_s;
  for (const auto& st : p.throughput->decode_stages) decode += st.fixed_s;
  REQUIRE(prefill ==
          Approx(61 * (hbm.layer_seconds + perf.tp_layer_seconds + perf.prefill_layer_seconds)).epsilon(1e-9));
  REQUIRE(decode == Approx(61 * (hbm.layer_seconds + perf.tp_layer_seconds)).epsilon(1e-9));
}

TEST_CASE("flash attention off: the attention scores are written and read back", "[performance]") {
  // 8B (32 blocks, 32 query heads) on one RTX 4090, 1,024-token prompt in llama.cpp's micro-batches
  // of 512: the first scores 512 tokens against 512 cells, the second 512 against 1,024, so
  // 786,432 scores per head and block; 16 bytes each (f32 K x Q written, read and written by
  // soft_max, read by the V product): 32 x 32 x 786,432 x 16 = 12,884,901,888 B.
  PlanRequest r = request({"8b", "q4_k_m", "", {{"rtx4090", 1}}, 1024, 1});
  const auto on = run_plan(catalog(), r);
  r.scenario.flash_attention = false;
  const auto off = run_plan(catalog(), r);
  REQUIRE(on.throughput);
  REQUIRE(off.throughput);
  double bytes_on = 0, bytes_off = 0, scores_s = 0;
  for (const auto& st : on.throughput->prefill_stages) bytes_on += st.score_bytes;
  for (const auto& st : off.throughput->prefill_stages) {
    bytes_off += st.score_bytes;
    scores_s += st.scores_s;
  }
  REQUIRE(bytes_on == 0);
  REQUIRE(bytes_off == Approx(12'884'901'888.0).epsilon(1e-12));
  REQUIRE(off.throughput->prefill_s == Approx(on.throughput->prefill_s + scores_s).epsilon(1e-9));
  // Decoding one token at 1,024.5 cells of context (prompt + output / 2): 32 x 32 x 1,024.5 x 16.
  double decode_bytes = 0;
  for (const auto& st : off.throughput->decode_stages) decode_bytes += st.score_bytes;
  REQUIRE(decode_bytes == Approx(32.0 * 32 * 1024.5 * 16).epsilon(1e-12));
}

TEST_CASE("PyTorch engines compute at the card's FP32-accumulate tensor rate", "[performance]") {
  // vLLM's BF16 GEMMs accumulate in FP32: on an RTX 4090 that is 165.2 dense TFLOPS, half the
  // 330.3 of FP16 accumulation (Ada whitepaper, Appendix A). A prefill stage's compute time is its
  // FLOPs over that rate times the engine's MFU (no architecture or type factor for vLLM's GDDR class).
  const auto v = run({"8b", "bf16", "vllm", {{"rtx4090", 1}}, 512, 16});
  REQUIRE(v.throughput);
  const auto& st = v.throughput->prefill_stages.front();
  const auto& gddr = catalog().require_engine("vllm").performance.classes.at("gddr");
  REQUIRE(gddr.architecture_mfu_factor.empty());
  REQUIRE(gddr.type_mfu_factor.empty());
  REQUIRE(st.compute_s == Approx(st.flops / (165.2e12 * gddr.prefill_mfu)).epsilon(1e-6));
}

namespace {

/// The embedded catalog plus tests/data/deepseek_v2_lite.json (DeepSeek-V2-Lite's shapes).
const Catalog& v2_lite_catalog() {
  static const Catalog cat =
      dsplan::test::catalog_with_file(std::string(DSPLAN_SOURCE_DIR) + "/tests/data/deepseek_v2_lite.json");
  return cat;
}

}  // namespace

TEST_CASE("DeepSeek-V2-Lite's shape: its published size, and one MoE block time for every family", "[performance]") {
  Run x{"deepseek-v2-lite", "q8_0", "llama.cpp", {{"rtx3090", 1}}, 512, 128};
  const auto p = run_plan(v2_lite_catalog(), request(x));
  // DeepSeek-V2-Lite: "15.7B total parameters" (its model card); llama-bench prints its Q8_0
  // file as "deepseek2 16B Q8_0 | 15.55 GiB" (ik_llama.cpp PR #307), i.e. [15.545, 15.555) GiB.
  REQUIRE(static_cast<double>(p.memory.weights.params.count()) == Approx(15.7e9).epsilon(0.005));
  REQUIRE(p.memory.weights.total.gib() >= 15.545);
  REQUIRE(p.memory.weights.total.gib() < 15.555);
  // 27 blocks, the first dense (first_k_dense_replace = 1): 26 MoE blocks at the class's t_moe,
  // the same per-block time as the 671B line's (fitted on current builds of both).
  REQUIRE(p.throughput);
  const auto& gddr = v2_lite_catalog().require_engine("llama.cpp").performance.classes.at("gddr");
  double fixed = 0;
  for (const auto& st : p.throughput->decode_stages) fixed += st.fixed_s;
  REQUIRE(fixed == Approx(27 * gddr.layer_seconds + 26 * gddr.moe_layer_seconds).epsilon(1e-9));
}

TEST_CASE("an older build's speeds: its era's factors, where they were fitted", "[performance]") {
  const auto& eras = catalog().require_engine("llama.cpp").performance.build_eras;
  const auto era = [&](const std::string& before) {
    return *std::find_if(eras.begin(), eras.end(), [&](const BuildEra& e) { return e.before == before; });
  };
  const auto with_build = [](Run x, const std::string& date) {
    PlanRequest r = request(x);
    r.scenario.build_date = date;
    return *run_plan(catalog(), r).throughput;
  };
  // A dense model on one GPU, a May 2024 build: before both cut-offs, so the first era's decode and
  // quantized-prefill factors; the MoE factor does not touch a dense model.
  const Run dense{"8b", "q4_k_m", "llama.cpp", {{"rtx4090", 1}}, 512, 128};
  const auto now = *run(dense).throughput;
  const auto old = with_build(dense, "2024-05");
  REQUIRE(old.decode_tokens_per_s == Approx(now.decode_tokens_per_s * era("2025-01-01").decode_factor));
  REQUIRE(old.prefill_tokens_per_s == Approx(now.prefill_tokens_per_s * era("2025-01-01").prefill_factor));
  REQUIRE(old.build_date == "2024-05-01");
  // R1 on two H100s, a March 2025 build: past the first cut-off, before the second: its 58 MoE
  // blocks take the second era's time each instead of the class's (61 blocks, one hand-over).
  const Run r1{"r1", "iq1_s", "llama.cpp", {{"h100-sxm", 2}}, 512, 128};
  const auto r1_now = *run(r1).throughput;
  const auto r1_old = with_build(r1, "2025-03-18");
  const auto& engine = catalog().require_engine("llama.cpp").performance;
  const auto& hbm = engine.classes.at("hbm");
  double fixed = 0;
  for (const auto& st : r1_old.decode_stages) fixed += st.fixed_s;
  REQUIRE(fixed == Approx(61 * hbm.layer_seconds + 58 * *era("2025-04-18").moe_layer_seconds + engine.hop_seconds));
  REQUIRE(r1_old.build_moe_layer_seconds == *era("2025-04-18").moe_layer_seconds);
  REQUIRE(r1_old.decode_tokens_per_s < r1_now.decode_tokens_per_s);
  REQUIRE(r1_old.build_decode_factor == 1.0);  // the first era's factors are for builds before 2025
  // The era's MoE time was fitted on the 671B line: DeepSeek-V2-Lite's blocks keep the class's.
  Run lite{"deepseek-v2-lite", "q4_0", "llama.cpp", {{"rtx3090", 1}}, 512, 128};
  PlanRequest lite_old = request(lite);
  lite_old.scenario.build_date = "2025-03-04";
  const auto lite_then = *run_plan(v2_lite_catalog(), lite_old).throughput;
  REQUIRE(lite_then.decode_tokens_per_s ==
          Approx(run_plan(v2_lite_catalog(), request(lite)).throughput->decode_tokens_per_s));
  REQUIRE(lite_then.build_moe_layer_seconds == 0);  // and the output names no era block time
  // The same build on the CPU alone: the eras were fitted on GPU runs, so nothing changes.
  Run cpu = dense;
  cpu.gpus.clear();
  REQUIRE(with_build(cpu, "2024-05").decode_tokens_per_s == Approx(run(cpu).throughput->decode_tokens_per_s));
  // A build of the cut-off day itself is current.
  REQUIRE(with_build(r1, "2025-04-18").decode_tokens_per_s == Approx(r1_now.decode_tokens_per_s));
}

TEST_CASE(
    "prefill with experts in RAM: GPU0 copies them over PCIe at the engine's share of the link, then computes them",
    "[performance]") {
  // R1 Q4_K_M, every routed expert in RAM, one RTX 4090 (PCIe 4.0 x16: 16 GT/s x 16 lanes x 128/130
  // / 8 = 31.51 GB/s). A 512-token prompt is one micro-batch, which touches nearly every expert:
  // the copy moves the 58 MoE blocks' routed bytes (f = 1 - (248/256)^512 of them), and GPU0 then
  // computes 512 tokens x 8 of 256 experts: 2 x 512 x 58 x 256 x 3 x 7168 x 2048 x 8/256 FLOPs.
  PlanRequest r = request({"r1", "q4_k_m", "llama.cpp", {{"rtx4090", 1}}, 512, 1});
  r.hardware->ram = Bytes{512ULL << 30};
  r.layout.offload_experts = true;
  const auto p = run_plan(catalog(), r);
  REQUIRE(p.throughput);
  const auto& stages = p.throughput->prefill_stages;
  const auto pcie =
      std::find_if(stages.begin(), stages.end(), [](const auto& st) { return st.device.rfind("PCIe", 0) == 0; });
  REQUIRE(pcie != stages.end());
  double routed = 0;
  for (std::size_t b = 0; b < 61; ++b) routed += static_cast<double>(p.memory.weights.block_routed_bytes(b).count());
  const double touched = 1.0 - std::pow(248.0 / 256.0, 512.0);
  const double link = 16e9 * 16 * 128.0 / 130.0 / 8.0;
  // llama.cpp maps the file by default, so the copy reads pageable memory.
  const auto& perf = catalog().require_engine("llama.cpp").performance;
  const double efficiency = perf.host_link_efficiency * perf.pageable_host_link_factor;
  REQUIRE(pcie->pageable_copy);
  REQUIRE(pcie->read_bytes == Approx(routed * touched).epsilon(1e-9));
  REQUIRE(pcie->memory_s == Approx(routed * touched / (link * efficiency)).epsilon(1e-6));
  const double flops = 2.0 * 512 * 58 * 256.0 * 3 * 7168 * 2048 * 8 / 256;
  REQUIRE(pcie->flops == Approx(flops).epsilon(1e-9));
  REQUIRE(pcie->compute_s == Approx(flops / (pcie->peak_tflops * 1e12 * pcie->mfu)).epsilon(1e-9));
  REQUIRE(pcie->peak_tflops == Approx(330.3));  // the RTX 4090's FP16-accumulate rate: llama.cpp's kernels
  REQUIRE(pcie->total_s == Approx(pcie->memory_s + pcie->compute_s).epsilon(1e-12));
}

namespace {

/// R1 Q4_K_M on one RTX 4090 with every routed expert in 512 GiB of RAM: the prompt's stages.
PlanResult experts_in_ram(const char* engine, std::uint64_t prompt, std::uint64_t ubatch) {
  PlanRequest r = request({"r1", "q4_k_m", engine, {{"rtx4090", 1}}, prompt, 1});
  r.scenario.ubatch = ubatch;
  r.hardware->ram = Bytes{512ULL << 30};
  r.layout.offload_experts = true;
  return run_plan(catalog(), r);
}

bool copies_over_pcie(const PlanResult& p) {
  const auto& stages = p.throughput->prefill_stages;
  return std::any_of(stages.begin(), stages.end(), [](const auto& st) { return st.copy_then_compute; });
}

const StageTime& cpu_stage(const std::vector<StageTime>& stages) {
  const auto it =
      std::find_if(stages.begin(), stages.end(), [](const auto& st) { return st.device.rfind("CPU", 0) == 0; });
  REQUIRE(it != stages.end());
  return *it;
}

}  // namespace

TEST_CASE("experts in RAM: which prompt micro-batches copy them to the GPU follows the engine's offload rule",
          "[performance]") {
  // Mainline ggml offloads an op of host-resident weights from 32 tokens on, whatever the experts.
  CHECK_FALSE(copies_over_pcie(experts_in_ram("llama.cpp", 31, 512)));
  CHECK(copies_over_pcie(experts_in_ram("llama.cpp", 32, 512)));
  // ik_llama.cpp (PR #520) counts tokens per routed expert: ubatch x 8 >= 32 x 256, so 1,024 tokens.
  CHECK_FALSE(copies_over_pcie(experts_in_ram("ik_llama.cpp", 512, 512)));
  CHECK_FALSE(copies_over_pcie(experts_in_ram("ik_llama.cpp", 1023, 1023)));
  CHECK(copies_over_pcie(experts_in_ram("ik_llama.cpp", 1024, 1024)));
  // A 4,096-token prompt in 512-token micro-batches still leaves every one to the CPU.
  CHECK_FALSE(copies_over_pcie(experts_in_ram("ik_llama.cpp", 4096, 512)));
}

namespace {

const StageTime& pcie_stage(const PlanResult& p) {
  const auto& stages = p.throughput->prefill_stages;
  const auto it = std::find_if(stages.begin(), stages.end(), [](const auto& st) { return st.copy_then_compute; });
  REQUIRE(it != stages.end());
  return *it;
}

}  // namespace

TEST_CASE("experts in RAM: the copy reads mapped (pageable) memory unless the engine pins it", "[performance]") {
  const auto& perf = catalog().require_engine("llama.cpp").performance;
  // Published copy rates (engines.json source host_link): pinned below the link's rate, pageable
  // below pinned.
  REQUIRE(perf.host_link_efficiency < 1.0);
  REQUIRE(perf.pageable_host_link_factor < 1.0);
  PlanRequest r = request({"r1", "q4_k_m", "llama.cpp", {{"rtx4090", 1}}, 512, 1});
  r.hardware->ram = Bytes{512ULL << 30};
  r.layout.offload_experts = true;
  const auto mapped = run_plan(catalog(), r);
  r.scenario.no_mmap = true;
  const auto pinned = run_plan(catalog(), r);
  const StageTime& from_mapped = pcie_stage(mapped);
  const StageTime& from_pinned = pcie_stage(pinned);
  CHECK(from_mapped.pageable_copy);
  CHECK_FALSE(from_pinned.pageable_copy);
  // The same bytes; only the copy's rate differs, by the pageable factor; the compute is the same.
  CHECK(from_mapped.read_bytes == from_pinned.read_bytes);
  CHECK(from_pinned.memory_s == Approx(from_mapped.memory_s * perf.pageable_host_link_factor).epsilon(1e-12));
  CHECK(from_pinned.compute_s == Approx(from_mapped.compute_s).epsilon(1e-12));
  CHECK(pinned.throughput->prefill_tokens_per_s > mapped.throughput->prefill_tokens_per_s);
  // Decode reads the experts where they are: no copy, the same speed.
  CHECK(pinned.throughput->decode_tokens_per_s == Approx(mapped.throughput->decode_tokens_per_s));
  // ik_llama.cpp pins tensors overridden to the CPU whether the file is mapped or not (PR #1510);
  // its copy needs micro-batches of 1,024+ tokens (PR #520).
  CHECK_FALSE(pcie_stage(experts_in_ram("ik_llama.cpp", 1024, 1024)).pageable_copy);
  // Whole blocks left on the CPU by -ngl are no override: they stay mapped.
  PlanRequest ngl = request({"r1", "q4_k_m", "ik_llama.cpp", {{"h200", 2}}, 1024, 1});
  ngl.scenario.ubatch = 1024;
  ngl.hardware->ram = Bytes{512ULL << 30};
  ngl.layout.gpu_layers = 40;
  CHECK(pcie_stage(run_plan(catalog(), ngl)).pageable_copy);
  ngl.scenario.no_mmap = true;
  CHECK_FALSE(pcie_stage(run_plan(catalog(), ngl)).pageable_copy);
}

TEST_CASE("experts in RAM: no-op-offload has the CPU compute the prompt's work on them at any micro-batch",
          "[performance]") {
  PlanRequest r = request({"r1", "q4_k_m", "llama.cpp", {{"rtx4090", 1}}, 512, 1});
  r.scenario.ubatch = 512;
  r.hardware->ram = Bytes{512ULL << 30};
  r.layout.offload_experts = true;
  const auto copied = run_plan(catalog(), r);
  r.scenario.no_op_offload = true;
  const auto on_cpu = run_plan(catalog(), r);
  REQUIRE(copies_over_pcie(copied));
  REQUIRE_FALSE(copies_over_pcie(on_cpu));
  REQUIRE_FALSE(on_cpu.scenario.op_offload);
  // The same work, on the CPU instead of GPU0: the FLOPs the copy stage had the GPU compute.
  const StageTime& cpu = cpu_stage(on_cpu.throughput->prefill_stages);
  CHECK(cpu.flops == Approx(pcie_stage(copied).flops).epsilon(1e-12));
  CHECK(cpu.compute_s == Approx(cpu.flops / (cpu.peak_tflops * 1e12 * cpu.mfu)).epsilon(1e-12));
  CHECK(cpu.memory_s > 0);  // the CPU reads the experts where they are: no copy
  // One token per decode step never copies: decode is the same either way.
  CHECK(on_cpu.throughput->decode_tokens_per_s == Approx(copied.throughput->decode_tokens_per_s));
  // Below 32 tokens per micro-batch the CPU computes them anyway: the flag changes nothing.
  const auto small = experts_in_ram("llama.cpp", 512, 16);
  r.scenario.ubatch = 16;
  CHECK(run_plan(catalog(), r).throughput->prefill_tokens_per_s ==
        Approx(small.throughput->prefill_tokens_per_s).epsilon(1e-12));
}

TEST_CASE("ik_llama.cpp's CPU kernels: its prompt factor scales the CPU's prefill MFU and leaves decode alone",
          "[performance]") {
  const double factor = catalog().require_engine("ik_llama.cpp").cpu_prefill_factor;
  REQUIRE(factor != 1.0);
  const auto ik = experts_in_ram("ik_llama.cpp", 512, 512);
  const auto mainline = experts_in_ram("llama.cpp", 16, 512);  // below 32 tokens: its CPU computes too
  const StageTime& ik_cpu = cpu_stage(ik.throughput->prefill_stages);
  const StageTime& mainline_cpu = cpu_stage(mainline.throughput->prefill_stages);
  CHECK(ik_cpu.factors.kernel_mfu == factor);
  CHECK(mainline_cpu.factors.kernel_mfu == 1.0);
  // Same constants otherwise (the fork runs with llama.cpp's), so the MFUs differ by the factor alone.
  CHECK(ik_cpu.mfu == Approx(mainline_cpu.mfu * factor).epsilon(1e-12));
  CHECK(ik_cpu.compute_s == Approx(ik_cpu.flops / (ik_cpu.peak_tflops * 1e12 * ik_cpu.mfu)).epsilon(1e-12));
  CHECK(mfu_terms(ik_cpu).find("the engine's own CPU kernels") != std::string::npos);
  // Decode steps are weight reads: the factor stays out of them.
  CHECK(cpu_stage(ik.throughput->decode_stages).factors.kernel_mfu == 1.0);
  CHECK(cpu_stage(ik.throughput->decode_stages).mfu == Approx(cpu_stage(mainline.throughput->decode_stages).mfu));
}

TEST_CASE("PCIe link (--pcie): the slot's, as far as the card can use it, carries the weights in RAM",
          "[performance][hardware]") {
  // PCIe per direction = GT/s x lanes x 128/130 / 8: gen 4 is 16 GT/s, gen 3 8 GT/s. An RTX 4090 is
  // a gen-4 x16 card, so a gen-5 slot still gives it 16 GT/s.
  PlanRequest r = request({"r1", "q4_k_m", "llama.cpp", {{"rtx4090", 1}}, 512, 1});
  r.hardware->ram = Bytes{512ULL << 30};
  r.layout.offload_experts = true;
  const auto link_of = [&](std::optional<HardwareRequest::PcieLink> slot) {
    r.hardware->pcie = slot;
    const auto p = run_plan(catalog(), r);
    REQUIRE(p.hardware);
    return static_cast<double>(p.hardware->gpus.front().host_link_bytes_per_s);
  };
  CHECK(link_of(std::nullopt) == Approx(16e9 * 16 * 128.0 / 130.0 / 8.0).epsilon(1e-9));
  CHECK(link_of(HardwareRequest::PcieLink{4, 8}) == Approx(16e9 * 8 * 128.0 / 130.0 / 8.0).epsilon(1e-9));
  CHECK(link_of(HardwareRequest::PcieLink{3, 0}) == Approx(8e9 * 16 * 128.0 / 130.0 / 8.0).epsilon(1e-9));
  CHECK(link_of(HardwareRequest::PcieLink{5, 16}) == Approx(16e9 * 16 * 128.0 / 130.0 / 8.0).epsilon(1e-9));
  // PCIe 1.0 and 2.0 signal at 2.5 and 5 GT/s and encode 8b/10b: x16 gen2 = 8 GB/s, x1 gen1 = 0.25 GB/s.
  CHECK(link_of(HardwareRequest::PcieLink{2, 16}) == Approx(8e9).epsilon(1e-9));
  CHECK(link_of(HardwareRequest::PcieLink{1, 1}) == Approx(0.25e9).epsilon(1e-9));
  // Half the link, about twice the copy.
  r.hardware->pcie = std::nullopt;
  const auto full = run_plan(catalog(), r);
  r.hardware->pcie = HardwareRequest::PcieLink{4, 8};
  const auto half = run_plan(catalog(), r);
  const auto copy = [](const PlanResult& p) {
    for (const auto& st : p.throughput->prefill_stages)
      if (st.copy_then_compute) return st.memory_s;
    return 0.0;
  };
  REQUIRE(copy(full) > 0);
  CHECK(copy(half) == Approx(2 * copy(full)).epsilon(1e-9));
}

TEST_CASE("served throughput with experts in RAM: each packed micro-batch's copy, then every request's products",
          "[performance]") {
  // Two llama-server slots of R1 Q4_K_M with every routed expert in RAM, 512-token prompts, ub 512:
  // the two prompts pack into 2 micro-batches, each copying the experts again, and GPU0 computes
  // both requests' expert products after the copies: copy x 2 + compute x 2 for the PCIe stage,
  // not max(copy x 2, compute x 2) as for a stage that streams its own memory.
  PlanRequest r = request({"r1", "q4_k_m", "llama.cpp", {{"rtx4090", 1}}, 512, 64}, 2);
  r.hardware->ram = Bytes{512ULL << 30};
  r.layout.offload_experts = true;
  const auto p = run_plan(catalog(), r);
  REQUIRE(p.throughput);
  const auto& t = *p.throughput;
  double prefill = 0;
  for (const auto& st : t.prefill_stages) {
    const double memory = st.memory_s * 2, compute = st.compute_s * 2;
    prefill += (st.device.rfind("PCIe", 0) == 0 ? memory + compute : std::max(memory, compute)) + st.scores_s * 2 +
               st.fixed_s * 2;
  }
  REQUIRE(std::any_of(t.prefill_stages.begin(), t.prefill_stages.end(),
                      [](const auto& st) { return st.copy_then_compute && st.compute_s > 0; }));
  const double expected = 2.0 * 64 / (prefill + 64 / t.tokens_per_step * t.decode_step_s);
  REQUIRE(t.served_tokens_per_s == Approx(expected).epsilon(1e-9));
}

TEST_CASE("Data-parallel attention: a decode step reads the whole attention and only its own sequences' cache",
          "[performance]") {
  // SGLang, R1 FP8, 8x H200, 8 sequences. Under TP 8 each rank reads 1/8 of every matrix and the
  // whole latent cache of all 8 sequences; with --dp-attention it reads the attention matrices
  // whole (187,151,072 B per block with FP8 scales, x 61; see test_layout.cpp) and the cache of
  // its one sequence: 70,272 B per cached token (576 bf16 values x 61 layers). The MoE router
  // (bf16 256 x 7168 plus 256 f32 biases, 3,671,040 B in each of 58 MoE blocks) and the blocks'
  // bf16 norms (7168 + 7168 + 1536 + 512 values, 32,768 B, x 61), which every rank holds, are
  // read whole too.
  PlanRequest tp = request({"r1", "fp8", "sglang", {{"h200", 8}}, 1024, 1024}, 8);
  PlanRequest dpa = tp;
  dpa.layout.dp_attention = true;
  const auto a = run_plan(catalog(), tp);
  const auto b = run_plan(catalog(), dpa);
  const auto& ta = *a.throughput;
  const auto& tb = *b.throughput;
  REQUIRE(ta.decode_context == tb.decode_context);
  const double attention = 187151072.0 * 61;
  const double router = 3671040.0 * 58;
  const double norms = 32768.0 * 61;
  const double cache_per_sequence = 70272.0 * ta.decode_context;
  const double added = tb.decode_stages.front().read_bytes - ta.decode_stages.front().read_bytes;
  REQUIRE(added == Approx((attention + router + norms) * 7.0 / 8.0 - 7.0 * cache_per_sequence).epsilon(1e-6));
  // No published run of DP attention: the figures say they are uncalibrated.
  REQUIRE(tb.decode_band.speed_class == "sglang/hbm-dpa/moe-671b");
  REQUIRE_FALSE(tb.decode_band.calibrated);
}

TEST_CASE("a throughput estimate given the model's inventory equals one that builds it", "[performance]") {
  // recommend passes the inventory it keeps per model; the figures must not depend on who built it.
  for (const Run& x : {Run{"r1", "q4_k_m", "llama.cpp", {{"rtx4090", 4}}, 512, 128},
                       Run{"r1", "fp8", "sglang", {{"h200", 8}}, 1024, 1024}}) {
    const PlanResult p = run(x);
    REQUIRE(p.throughput);
    const TensorInventory inv = build_inventory(p.scenario.model->arch);
    ThroughputRequest given = *p.throughput_request;
    given.inventory = &inv;
    const Throughput t = estimate_throughput(p.scenario, p.memory, *p.layout, *p.hardware, given);
    CHECK(t.decode_tokens_per_s == p.throughput->decode_tokens_per_s);
    CHECK(t.prefill_tokens_per_s == p.throughput->prefill_tokens_per_s);
    CHECK(t.ttft_s == p.throughput->ttft_s);
  }
}

TEST_CASE("FP8 checkpoints run the weights' products at the FP8 rate and attention at the 16-bit rate",
          "[performance]") {
  // H200 SXM: 1979 dense FP8 TFLOPS, 989.5 dense BF16 (NVIDIA H200 datasheet). vLLM's MLA prefill
  // runs FlashAttention on BF16 operands, whatever the checkpoint's format.
  Run x{"r1", "fp8", "vllm", {{"h200", 8}}, 32000, 100};
  const auto fp8 = run(x);
  REQUIRE(fp8.throughput);
  const auto& st = fp8.throughput->prefill_stages.front();
  REQUIRE(st.peak_tflops == 1979.0);
  REQUIRE(st.attention_peak_tflops == 989.5);
  // At a 32,000-token prompt MLA's products (128 heads x (192 + 128) x 2 FLOPs per attended position,
  // 16,000 positions on average) are about as many as the weights' (2 x 37.5 B / 61 blocks per token).
  REQUIRE(st.attention_flops > 0.35 * st.flops);
  REQUIRE(st.attention_flops < 0.65 * st.flops);
  const double expected = ((st.flops - st.attention_flops) / 1979e12 + st.attention_flops / 989.5e12) / st.mfu;
  REQUIRE(st.compute_s == Approx(expected).epsilon(1e-9));
  // A BF16 model runs both at the one 16-bit rate.
  const auto bf16 = run({"8b", "bf16", "vllm", {{"h200", 1}}, 32000, 100});
  REQUIRE(bf16.throughput);
  const auto& b = bf16.throughput->prefill_stages.front();
  REQUIRE(b.peak_tflops == 989.5);
  REQUIRE(b.attention_peak_tflops == 989.5);
}
