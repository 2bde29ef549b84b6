// Placement rules: head divisibility, proportional layer split, expert offload, partial offload, --count auto.
#include <catch2/catch.hpp>

#include "dsplan/base/error.hpp"
#include "dsplan/serving/plan.hpp"
#include "test_support.hpp"

using namespace dsplan;
using dsplan::test::catalog;

namespace {

PlanResult plan(const char* model, const char* quant, std::vector<HardwareRequest::Gpus> gpus,
                LayoutRequest layout = {}, std::uint64_t context = 4096, std::optional<Bytes> ram = std::nullopt,
                const char* engine = "", std::uint64_t batch = 1) {
  PlanRequest r;
  r.scenario.model = model;
  r.scenario.quant = quant;
  r.scenario.engine = engine;
  r.scenario.context = context;
  r.scenario.batch = batch;
  r.hardware = HardwareRequest{};
  r.hardware->gpus = std::move(gpus);
  r.hardware->ram = ram;
  r.layout = layout;
  return run_plan(catalog(), r);
}

Bytes sum_weights(const Layout& l) {
  Bytes b = l.cpu.weights;
  for (const auto& g : l.gpus) b += g.weights;
  return b;
}

}  // namespace

TEST_CASE("tensor parallel size must divide the attention heads", "[layout]") {
  // R1-Distill-Qwen-7B: 28 heads, 4 KV heads (config.json). vLLM asserts heads % tp == 0.
  // Asked for explicitly (--tp 8), it is an input error; by default 8 GPUs run the largest group
  // that divides both 8 and 28, TP 4, as two pipeline stages.
  LayoutRequest tp8;
  tp8.tensor_parallel = 8;
  REQUIRE_THROWS_WITH(plan("7b", "bf16", {{"rtx4090", 8}}, tp8),
                      "%tp%: tensor parallel size 8 does not divide the 28 attention heads");  // the CLI words %tp% as --tp
  const auto eight = plan("7b", "bf16", {{"rtx4090", 8}});
  REQUIRE(eight.layout->fits);
  REQUIRE(eight.layout->tensor_parallel == 4);
  REQUIRE(eight.layout->pipeline_parallel == 2);
  // 1.5B's 12 heads on 6 GPUs: TP 6 divides both.
  REQUIRE(plan("1.5b", "bf16", {{"rtx4090", 6}}).layout->tensor_parallel == 6);
  const auto good = plan("7b", "bf16", {{"rtx4090", 4}});
  REQUIRE(good.layout->fits);
  REQUIRE(good.layout->tensor_parallel == 4);
}

TEST_CASE("tensor parallel: KV heads split, or replicated past their count", "[layout]") {
  // Llama-70B has 8 KV heads: at TP 8 each rank holds 1 KV head (1/8 of the cache); MLA's
  // latent cache is replicated on every rank.
  const auto tp8 = plan("70b", "bf16", {{"h100-sxm", 8}});
  REQUIRE(tp8.layout->fits);
  const auto& kv = tp8.memory.kv;
  REQUIRE(tp8.layout->gpus.front().kv_cache.count() == kv.total.count() / 8);
  const auto r1 = plan("r1", "fp8", {{"h200", 8}});
  REQUIRE(r1.layout->gpus.front().kv_cache.count() == r1.memory.kv.total.count());
}

TEST_CASE("layer split: blocks in proportion to free memory, output on the last GPU", "[layout]") {
  // RTX 3090 (24 GiB) + RTX 3060 (12 GiB): free memory after the 457 MiB overhead is
  // 23.55 : 11.55 GiB. llama.cpp's load_tensors counts 64 blocks + the output layer = 65 slots and
  // puts slot i on the 3090 while i / 65 < 23.55 / 35.10 = 0.6709: slots 0-43, 44 blocks.
  const auto p = plan("32b", "q4_k_m", {{"rtx3090", 1}, {"rtx3060", 1}});
  REQUIRE(p.layout->fits);
  const auto& g = p.layout->gpus;
  REQUIRE(g[0].layers + g[1].layers == 64);
  REQUIRE(g[0].layers == 44);
  REQUIRE(g[1].output_head);
  REQUIRE(p.layout->cpu.embedding);
  REQUIRE(sum_weights(*p.layout) == p.memory.weights_loaded);
}

TEST_CASE("partial offload: what does not fit runs on the CPU", "[layout]") {
  // 70B Q4_K_M (39.59 GiB) on one 24 GiB card: llama.cpp moves the first blocks to RAM.
  const auto p = plan("70b", "q4_k_m", {{"rtx3090", 1}}, {}, 4096, Bytes(64ULL << 30));
  REQUIRE(p.layout->fits);
  REQUIRE(p.layout->gpu_layers < 81);
  // Current builds (llama.cpp PR #18148): -ngl N = the output layer and the last N - 1 blocks.
  REQUIRE(p.layout->cpu.layers == 81 - p.layout->gpu_layers);
  REQUIRE(p.layout->gpus.front().output_head);
  REQUIRE_FALSE(p.layout->cpu.output_head);
  REQUIRE(p.layout->gpus.front().fits);
  REQUIRE(sum_weights(*p.layout) == p.memory.weights_loaded);
  // With too little RAM for the rest, it does not run.
  const auto small = plan("70b", "q4_k_m", {{"rtx3090", 1}}, {}, 4096, Bytes(8ULL << 30));
  REQUIRE_FALSE(small.layout->fits);
}

TEST_CASE("expert offload keeps routed experts in RAM and everything else on the GPU", "[layout]") {
  LayoutRequest offload;
  offload.offload_experts = true;
  const auto p = plan("r1", "q4_k_m", {{"rtx4090", 1}}, offload, 8192, Bytes(512ULL << 30));
  REQUIRE(p.layout->strategy == LayoutStrategy::expert_offload);
  REQUIRE(p.layout->fits);
  REQUIRE(p.layout->gpu_layers == 62);
  Bytes routed;
  for (std::size_t b = 0; b < p.memory.weights.block_bytes.size(); ++b)
    routed += p.memory.weights.block_routed_bytes(b);
  REQUIRE(p.layout->cpu.weights == routed + p.memory.weights.embedding);
  REQUIRE(p.layout->gpus.front().weights.count() < 24ULL << 30);
  REQUIRE(sum_weights(*p.layout) == p.memory.weights_loaded);
}

TEST_CASE("n-cpu-moe N keeps the routed experts of the first N blocks in RAM, the later ones on the GPU",
          "[layout]") {
  // R1 has 61 blocks; N = 60 leaves block 60's routed experts on the GPU (llama.cpp --n-cpu-moe 60).
  LayoutRequest first60;
  first60.n_cpu_moe = 60;
  const auto p = plan("r1", "q4_k_m", {{"rtx4090", 1}}, first60, 8192, Bytes(512ULL << 30));
  LayoutRequest all;
  all.offload_experts = true;
  const auto q = plan("r1", "q4_k_m", {{"rtx4090", 1}}, all, 8192, Bytes(512ULL << 30));
  REQUIRE(p.layout->strategy == LayoutStrategy::expert_offload);
  REQUIRE(p.layout->experts_in_ram_blocks == 60);
  REQUIRE(q.layout->experts_in_ram_blocks == 61);
  REQUIRE(p.layout->gpu_layers == 62);  // block 60's experts (~6 GiB) still fit beside the rest
  const Bytes block60 = p.memory.weights.block_routed_bytes(60);
  REQUIRE(block60.count() > 0);
  REQUIRE(p.layout->gpus.front().weights == q.layout->gpus.front().weights + block60);
  REQUIRE(p.layout->cpu.weights + block60 == q.layout->cpu.weights);
  REQUIRE(sum_weights(*p.layout) == p.memory.weights_loaded);
  // The expert pass of block 60 moves from the CPU stage to the GPU's: the GPU reads more per token.
  REQUIRE(p.throughput->decode_stages.front().read_bytes > q.throughput->decode_stages.front().read_bytes);
  REQUIRE(p.throughput->decode_stages.back().read_bytes < q.throughput->decode_stages.back().read_bytes);
}

TEST_CASE("n-cpu-moe auto: the fewest blocks whose experts stay in RAM for every block to sit on the GPU",
          "[layout]") {
  LayoutRequest automatic;
  automatic.n_cpu_moe_auto = true;
  const auto p = plan("r1", "q4_k_m", {{"rtx-pro-6000", 1}}, automatic, 4096, Bytes(512ULL << 30));
  const std::uint64_t n = p.layout->experts_in_ram_blocks;
  REQUIRE(p.layout->gpu_layers == 62);
  REQUIRE(p.layout->fits);
  REQUIRE(n > 3);   // the first 3 blocks are dense: no experts to keep in RAM
  REQUIRE(n < 61);  // a 96 GB card holds some blocks' experts
  // One block fewer in RAM and the card no longer holds every block.
  LayoutRequest fewer;
  fewer.n_cpu_moe = n - 1;
  const auto q = plan("r1", "q4_k_m", {{"rtx-pro-6000", 1}}, fewer, 4096, Bytes(512ULL << 30));
  REQUIRE(q.layout->gpu_layers < 62);
  // A model that fits on the GPUs keeps every expert there.
  const auto small = plan("r1", "iq1_s", {{"h200", 2}}, automatic, 4096, Bytes(512ULL << 30));
  REQUIRE(small.layout->experts_in_ram_blocks == 0);
  REQUIRE(small.layout->strategy == LayoutStrategy::layer_split);
}

TEST_CASE("count auto finds the smallest count that holds everything on GPUs", "[layout]") {
  PlanRequest r;
  r.scenario.model = "70b";
  r.scenario.quant = "q4_k_m";
  r.hardware = HardwareRequest{};
  r.hardware->gpus.push_back({"rtx3090", 1});
  r.count_auto = true;
  const auto p = run_plan(catalog(), r);
  REQUIRE(p.auto_count.value() == 2);  // 39.59 GiB of weights: one 24 GiB card is too small
  REQUIRE(p.layout->fits);
  REQUIRE(p.layout->gpu_layers == 81);
}

TEST_CASE("more GPUs never mean fewer layers on GPUs, nor more bytes on one when all fit", "[layout][properties]") {
  // With part of the model in RAM every card is filled to what it holds, and a card without the
  // output layer holds one more block than the card with it, so only the all-on-GPU case orders
  // bytes per card.
  for (const char* model : {"14b", "32b", "70b"}) {
    Bytes previous(UINT64_MAX);
    std::uint64_t layers = 0;
    for (std::uint64_t n : {1ULL, 2ULL, 4ULL, 8ULL}) {
      CAPTURE(model, n);
      const auto p = plan(model, "q8_0", {{"rtx4090", n}});
      REQUIRE(p.layout->gpu_layers >= layers);
      layers = p.layout->gpu_layers;
      if (layers < p.memory.weights.block_bytes.size() + 1) continue;
      Bytes worst;
      for (const auto& g : p.layout->gpus) worst = std::max(worst, g.weights);
      REQUIRE(worst <= previous);
      previous = worst;
    }
  }
}

TEST_CASE("llama.cpp builds before PR #18148 counted only blocks in -ngl", "[layout]") {
  // A build of 2025-06: -ngl N = the last N blocks; the output layer stays in RAM below N = 81.
  PlanRequest r;
  r.scenario.model = "70b";
  r.scenario.quant = "q4_k_m";
  r.scenario.build_date = "2025-06";
  r.hardware = HardwareRequest{};
  r.hardware->gpus = {{"rtx3090", 1}};
  r.hardware->ram = Bytes(64ULL << 30);
  r.layout.gpu_layers = 40;
  const auto old = run_plan(catalog(), r);
  REQUIRE(old.layout->cpu.layers == 40);
  REQUIRE(old.layout->cpu.output_head);
  r.scenario.build_date.clear();
  const auto now = run_plan(catalog(), r);
  REQUIRE(now.layout->cpu.layers == 41);
  REQUIRE(now.layout->gpus.front().output_head);
  REQUIRE(now.layout->gpus.front().first_layer == 41);
}

TEST_CASE("tensor split (-ts) sets each GPU's share of the slots on GPUs", "[layout]") {
  // 32B: 64 blocks + output = 65 slots. -ts 1,1: slot i on GPU0 while i / 65 < 0.5, i.e. 0-32.
  LayoutRequest even;
  even.tensor_split = {1, 1};
  const auto p = plan("32b", "q4_k_m", {{"rtx3090", 1}, {"rtx3060", 1}}, even);
  REQUIRE(p.layout->gpus[0].layers == 33);
  REQUIRE(p.layout->gpus[1].layers == 31);
  REQUIRE(p.layout->gpus[1].output_head);
  // -ts 1,0 leaves the second card empty; a missing share is 0 too.
  LayoutRequest first;
  first.tensor_split = {1};
  const auto q = plan("14b", "q4_k_m", {{"rtx3090", 1}, {"rtx3060", 1}}, first);
  REQUIRE(q.layout->gpus[0].layers == 48);
  REQUIRE(q.layout->gpus[0].output_head);
  REQUIRE(q.layout->gpus[1].layers == 0);
  REQUIRE(q.layout->gpus[1].total == Bytes(0));
  LayoutRequest three;
  three.tensor_split = {1, 1, 1};
  REQUIRE_THROWS_WITH(plan("32b", "q4_k_m", {{"rtx3090", 1}, {"rtx3060", 1}}, three),
                      "%tensor_split% has 3 shares for 2 GPUs");
  LayoutRequest zero;
  zero.tensor_split = {0, 0};
  REQUIRE_THROWS_AS(plan("32b", "q4_k_m", {{"rtx3090", 1}, {"rtx3060", 1}}, zero), InputError);
  REQUIRE_THROWS_AS(plan("32b", "awq", {{"rtx3090", 2}}, even, 4096, std::nullopt, "vllm"), InputError);
}

TEST_CASE("engine-specific options are refused on the other kind of engine", "[layout]") {
  LayoutRequest tp;
  tp.tensor_parallel = 2;
  REQUIRE_THROWS_AS(plan("70b", "q4_k_m", {{"rtx3090", 2}}, tp), InputError);
  LayoutRequest ngl;
  ngl.gpu_layers = 10;
  REQUIRE_THROWS_AS(plan("70b", "bf16", {{"h100-sxm", 2}}, ngl), InputError);
  LayoutRequest offload;
  offload.offload_experts = true;
  REQUIRE_THROWS_AS(plan("70b", "q4_k_m", {{"rtx3090", 2}}, offload), InputError);  // dense model
}

TEST_CASE("data-parallel attention: each rank holds the whole attention and caches only its own sequences",
          "[layout]") {
  // DeepSeek-R1 FP8 on SGLang, 8x H200, 1024 sequences of 3,072 tokens (TensorRT-LLM's R1
  // best-performance blog ran this shape with attention DP). MLA caches one 576-value latent
  // (kv_lora_rank 512 + qk_rope_head_dim 64) per token and layer: 576 x 2 B x 61 = 70,272 B
  // in bf16. Under TP 8 every rank holds all of it; with --dp-attention each holds its 128.
  LayoutRequest dpa;
  dpa.dp_attention = true;
  const auto plain = plan("r1", "fp8", {{"h200", 8}}, {}, 3072, std::nullopt, "sglang", 1024);
  const auto split = plan("r1", "fp8", {{"h200", 8}}, dpa, 3072, std::nullopt, "sglang", 1024);
  REQUIRE_FALSE(plain.layout->fits);
  REQUIRE(split.layout->fits);
  REQUIRE(split.layout->attention_data_parallel == 8);
  REQUIRE(split.layout->gpus.front().kv_cache == Bytes(128ULL * 3072 * 70272));
  REQUIRE(plain.layout->gpus.front().kv_cache == Bytes(1024ULL * 3072 * 70272));
  // The weights each rank adds: 7/8 of the attention and of the embedding. Attention per block,
  // FP8 with one fp32 scale per 128x128 tile: q_a 7168x1536, q_b 1536x24576, kv_a 7168x576,
  // kv_b 512x32768, o 16384x7168 = 187,105,280 B plus (672 + 2,304 + 280 + 1,024 + 7,168) x 4
  // B of scales = 187,151,072 B, x 61 blocks; the bf16 embedding is 129,280 x 7,168 x 2 B.
  const double attention = 187151072.0 * 61;
  const double embedding = 129280.0 * 7168 * 2;
  const double added = static_cast<double>(split.layout->gpus.front().weights.count()) -
                       static_cast<double>(plain.layout->gpus.front().weights.count());
  REQUIRE(added == Approx((attention + embedding) * 7.0 / 8.0).margin(2));
  // Each rank's pool holds whole sequences: 8 pools of the same size.
  REQUIRE(split.layout->max_sequences % 8 == 0);
  REQUIRE(split.layout->max_sequences >= 1024);
}

TEST_CASE("data-parallel attention is a vLLM/SGLang option within one tensor-parallel group", "[layout]") {
  LayoutRequest dpa;
  dpa.dp_attention = true;
  REQUIRE_THROWS_WITH(plan("8b", "q4_k_m", {{"rtx4090", 1}}, dpa, 4096, std::nullopt, "llama.cpp"),
                      Catch::Contains("%dp_attention% are vLLM/SGLang options"));
  LayoutRequest staged = dpa;
  staged.pipeline_parallel = 2;
  REQUIRE_THROWS_WITH(plan("r1", "fp8", {{"h200", 8}}, staged, 4096, std::nullopt, "sglang"),
                      Catch::Contains("drop %pp% 2"));
}

TEST_CASE("V3.2's GGUF: the skipped MTP block's cache sits with the output layer, -ngl counts its slot", "[layout]") {
  // 61 main blocks + the MTP block in the file: 62 cache layers of (576 + 128) f16 values per token.
  const auto p = plan("v3.2", "q4_k_m", {{"h100-sxm", 8}});
  REQUIRE(p.layout->fits);
  Bytes kv = p.layout->cpu.kv_cache;
  for (const auto& g : p.layout->gpus) kv += g.kv_cache;
  REQUIRE(kv.count() == 4096ULL * 62 * (576 + 128) * 2);
  REQUIRE(p.layout->gpus.back().output_head);
  REQUIRE(p.layout->gpus.back().kv_cache.count() == 4096ULL * (p.layout->gpus.back().layers + 1) * (576 + 128) * 2);
  // --gpu-layers takes llama.cpp's -ngl: 13 slots = the output layer, the MTP block and 11 blocks.
  LayoutRequest r;
  r.gpu_layers = 13;
  const auto part = plan("v3.2", "q4_k_m", {{"h100-sxm", 1}}, r, 4096, Bytes(512ULL << 30));
  REQUIRE(part.layout->cpu.layers == 50);
}

TEST_CASE("smallest_fitting_count returns the first count that fits, with the layout placing it anew gives",
          "[layout]") {
  // R1 FP8 on H100 80 GB under SGLang: 627 GiB of weights, more than the 8 x 0.88 x 74.5 GiB = 525 GiB
  // SGLang lets 8 cards use, and TP sizes are powers of two, so 16. Llama-70B Q4_K_M on RTX 3090s
  // under llama.cpp: 2 (the test above).
  for (const auto& [model, quant, engine, gpu, expected] :
       {std::tuple{"r1", "fp8", "sglang", "h100-sxm", 16}, std::tuple{"70b", "q4_k_m", "llama.cpp", "rtx3090", 2}}) {
    PlanRequest r;
    r.scenario.model = model;
    r.scenario.quant = quant;
    r.scenario.engine = engine;
    const auto p = run_plan(catalog(), r);  // memory only: the resolved scenario and its sizes
    HardwareRequest h;
    h.gpus.push_back({gpu, 1});
    const auto found = smallest_fitting_count(catalog(), p.scenario, p.memory, h, LayoutRequest{}, 64);
    REQUIRE(found.has_value());
    CHECK(found->count == static_cast<std::uint64_t>(expected));
    CHECK(smallest_gpu_count(catalog(), p.scenario, p.memory, h, LayoutRequest{}, 64) == found->count);
    CHECK(found->hardware.gpu_count() == found->count);
    CHECK(found->layout_request == LayoutRequest{});  // a search reuses the layout for this request only
    const Layout again = plan_layout(catalog(), p.scenario, p.memory, found->hardware, LayoutRequest{});
    REQUIRE(found->layout.fits);
    REQUIRE(again.gpus.size() == found->layout.gpus.size());
    for (std::size_t i = 0; i < again.gpus.size(); ++i) {
      CHECK(again.gpus[i].name == found->layout.gpus[i].name);
      CHECK(again.gpus[i].total == found->layout.gpus[i].total);
    }
    // One count fewer does not fit (the search starts at it and must pass it by).
    CHECK_FALSE(smallest_gpu_count(catalog(), p.scenario, p.memory, h, LayoutRequest{}, found->count - 1).has_value());
  }
}
