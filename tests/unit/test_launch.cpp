// Launch commands from a planned layout: each engine's flags carry the layout, the context, the
// sequences and the cache type; a verification line measures it; unknown engines are errors.
#include <catch2/catch.hpp>

#include <numeric>
#include <sstream>

#include "dsplan/base/error.hpp"
#include "dsplan/serving/launch.hpp"
#include "test_support.hpp"

using namespace dsplan;
using dsplan::test::catalog;

namespace {

PlanResult plan(const char* model, const char* quant, const char* engine, const char* gpu, std::uint64_t count,
                std::uint64_t context = 4096, std::uint64_t batch = 1, const char* kv = "") {
  PlanRequest r = test::plan_request(model, quant, engine, gpu, count, context);
  r.scenario.batch = batch;
  r.scenario.kv_type = kv;
  return run_plan(catalog(), r);
}

/// `model` on `count` of `gpu`, engine and format left to the test.
PlanRequest request_on(const char* model, const char* gpu, std::uint64_t count) {
  PlanRequest r;
  r.scenario.model = model;
  r.hardware = HardwareRequest{};
  r.hardware->gpus = {{gpu, count}};
  return r;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// The numbers after "-ts " separated by `sep`.
std::vector<std::uint64_t> split_values(const std::string& cmd, char sep) {
  const auto at = cmd.find(" -ts ");
  std::vector<std::uint64_t> out;
  if (at == std::string::npos) return out;
  std::istringstream in(cmd.substr(at + 5, cmd.find(' ', at + 5) - at - 5));
  std::string part;
  while (std::getline(in, part, sep)) out.push_back(std::stoull(part));
  return out;
}

}  // namespace

TEST_CASE("llama.cpp: -ngl, -ts, -c, -np, -ctk/-ctv, -fa from the layout", "[launch]") {
  // R1-Distill-Llama-70B: 80 blocks + the output layer = -ngl 81; 39.59 GiB of Q4_K_M weights fit on
  // 2 x 24 GiB, split over both cards. 8K x 2 sequences = a 16,384-cell cache in 2 slots.
  const PlanResult p = plan("70b", "q4_k_m", "llama.cpp", "rtx3090", 2, 8192, 2, "q8_0");
  REQUIRE(p.layout->fits);
  const LaunchCommand c = launch(launch_spec(p));
  REQUIRE(c.command.rfind("llama-server -hf unsloth/DeepSeek-R1-Distill-Llama-70B-GGUF:Q4_K_M ", 0) == 0);
  REQUIRE(has(c.command, " -c 16384 -np 2 -fa on -ctk q8_0 -ctv q8_0 -ngl 81 -ts "));
  const auto ts = split_values(c.command, ',');
  REQUIRE(ts.size() == 2);
  REQUIRE(std::accumulate(ts.begin(), ts.end(), std::uint64_t{0}) == 81);
  // Two sequences side by side: llama-batched-bench, which takes the server's flags and cache.
  REQUIRE(c.verify.rfind("llama-batched-bench -m <Q4_K_M .gguf", 0) == 0);
  REQUIRE(has(c.verify, " -c 16384 -npp 4096 -ntg 4096 -npl 2 -fa on -ctk q8_0 -ctv q8_0 -ngl 81 -ts "));
  REQUIRE(split_values(c.verify, ',') == ts);
  // One sequence: llama-bench, which separates the split with '/'.
  const PlanResult one = plan("70b", "q4_k_m", "llama.cpp", "rtx3090", 2, 8192, 1, "q8_0");
  const LaunchCommand single = launch(launch_spec(one));
  REQUIRE(single.verify.rfind("llama-bench -m <Q4_K_M .gguf", 0) == 0);
  REQUIRE(split_values(single.verify, '/') == split_values(single.command, ','));
  REQUIRE(has(single.verify, " -p 4096 -n 4096 -fa 1 -ctk q8_0 -ctv q8_0 -ngl 81"));
}

TEST_CASE("llama.cpp: a deepseek32 file's skipped MTP block takes an -ngl slot next to the output layer", "[launch]") {
  // V3.2's GGUF holds 61 blocks + the MTP block (block 61, not loaded) + the output layer: 63
  // slots, so every layer on the GPUs is -ngl 63, and -ts shares sum to 63.
  const PlanResult p = plan("v3.2", "q4_k_m", "llama.cpp", "h100-sxm", 8);
  REQUIRE(p.layout->fits);
  const LaunchCommand c = launch(launch_spec(p));
  REQUIRE(has(c.command, " -ngl 63 -ts "));
  const auto ts = split_values(c.command, ',');
  REQUIRE(std::accumulate(ts.begin(), ts.end(), std::uint64_t{0}) == 63);
  // V3.1's deepseek2 file has no MTP block: 61 + 1 slots.
  const PlanResult v31 = plan("v3.1", "q4_k_m", "llama.cpp", "h100-sxm", 8);
  REQUIRE(has(launch(launch_spec(v31)).command, " -ngl 62 -ts "));
}

TEST_CASE("GGUF files come from the model's gguf_repo and a layout no public repository holds is a conversion",
          "[launch]") {
  // R1: unsloth/DeepSeek-R1-GGUF, fetched by -hf and named in the llama-bench placeholder.
  const LaunchCommand r1 = launch(launch_spec(plan("r1", "q4_k_m", "llama.cpp", "h100-sxm", 8)));
  REQUIRE(has(r1.command, "-hf unsloth/DeepSeek-R1-GGUF:Q4_K_M "));
  REQUIRE(has(r1.verify, "-m <Q4_K_M .gguf of unsloth/DeepSeek-R1-GGUF> "));
  // V3.2: unsloth/DeepSeek-V3.2-GGUF holds deepseek2 files (indexer removed), not the deepseek32
  // layout sized here, so the commands name a local file made from the checkpoint.
  const LaunchCommand v32 = launch(launch_spec(plan("v3.2", "q4_k_m", "llama.cpp", "h100-sxm", 8)));
  REQUIRE_FALSE(has(v32.command, "unsloth/"));
  REQUIRE_FALSE(has(v32.command, "-hf "));
  REQUIRE(
      has(v32.command, "-m <Q4_K_M .gguf made from deepseek-ai/DeepSeek-V3.2 with llama.cpp's convert_hf_to_gguf.py"));
  REQUIRE(has(v32.verify, "-m <Q4_K_M .gguf made from deepseek-ai/DeepSeek-V3.2 "));
}

TEST_CASE("llama.cpp: the engine's own cache type needs no flag", "[launch]") {
  const LaunchCommand c = launch(launch_spec(plan("8b", "q4_k_m", "llama.cpp", "rtx4090", 1)));
  REQUIRE_FALSE(has(c.command, "-ctk"));
  REQUIRE_FALSE(has(c.command, "-ts"));
  REQUIRE(has(c.command, "-ngl 33"));  // Llama-3.1-8B: 32 blocks + output
}

TEST_CASE("vLLM: tensor parallel, context, sequences, memory share, fp8 cache, vllm bench serve", "[launch]") {
  // R1 (FP8, 671B) on 8 x H200: TP 8 with the engine's default 0.9 of each card.
  const PlanResult p = plan("r1", "", "vllm", "h200", 8, 8192, 4, "fp8");
  REQUIRE(p.layout->fits);
  const LaunchCommand c = launch(launch_spec(p));
  REQUIRE(c.command.rfind("vllm serve deepseek-ai/DeepSeek-R1 --tensor-parallel-size 8 --max-model-len 8192 "
                          "--max-num-seqs 4",
                          0) == 0);
  REQUIRE(has(c.command, " --gpu-memory-utilization 0.90"));
  REQUIRE(has(c.command, " --kv-cache-dtype fp8"));
  REQUIRE(c.verify.rfind("vllm bench serve --model deepseek-ai/DeepSeek-R1 --dataset-name random --random-input-len 4096 "
                         "--random-output-len 4096",
                         0) == 0);
}

TEST_CASE("SGLang: --tp and --mem-fraction-static", "[launch]") {
  const LaunchCommand c = launch(launch_spec(plan("r1", "", "sglang", "h200", 8)));
  REQUIRE(has(c.command, "--tp 8 --context-length 4096"));
  REQUIRE(has(c.command, "--mem-fraction-static 0.88"));  // SGLang's default share (data/engines.json)
  REQUIRE(c.verify.rfind("python3 -m sglang.bench_serving --backend sglang", 0) == 0);
}

TEST_CASE("Ollama: num_ctx and num_gpu when only part of the model is on the GPU", "[launch]") {
  // 70B Q4_K_M (39.59 GiB) on one 24 GiB card: some blocks stay on the CPU.
  const PlanResult p = plan("70b", "q4_k_m", "ollama", "rtx4090", 1);
  const LaunchCommand c = launch(launch_spec(p));
  REQUIRE(has(c.command, "\"num_gpu\": " + std::to_string(p.layout->gpu_layers)));
  REQUIRE(has(c.command, "\"num_ctx\": 4096"));
  const LaunchCommand all = launch(launch_spec(plan("8b", "q4_k_m", "ollama", "rtx4090", 1)));
  // The settings are the server's environment: `ollama run` is a client and does not read them.
  REQUIRE(all.command.rfind("OLLAMA_CONTEXT_LENGTH=4096 OLLAMA_NUM_PARALLEL=1 OLLAMA_FLASH_ATTENTION=1 ollama serve & ",
                            0) == 0);
  REQUIRE(has(all.command, "; ollama run hf.co/"));
  // The request names a model the server has: pulled first.
  REQUIRE(has(c.command, "ollama pull deepseek-r1:70b && curl "));
  // A quantized cache needs flash attention on (Ollama's FAQ), and both go to the server.
  const LaunchCommand kv = launch(launch_spec(plan("8b", "q4_k_m", "ollama", "rtx4090", 1, 4096, 1, "q8_0")));
  REQUIRE(has(kv.command, "OLLAMA_FLASH_ATTENTION=1 OLLAMA_KV_CACHE_TYPE=q8_0 ollama serve & "));
}

// Ollama's registry serves deepseek-r1:671b (R1-0528) and deepseek-r1:70b as Q4_K_M (engines.json
// source 'registry'); the 671B file on Hugging Face is split in shards, which `ollama run hf.co/...`
// does not pull. The format the registry serves is launched by its tag; another by hf.co.
TEST_CASE("Ollama runs its registry's tag where the registry serves the format", "[launch]") {
  REQUIRE(launch(launch_spec(plan("deepseek-r1:671b", "q4_k_m", "ollama", "h200", 4))).command ==
          "OLLAMA_CONTEXT_LENGTH=4096 OLLAMA_NUM_PARALLEL=1 OLLAMA_FLASH_ATTENTION=1 ollama serve & sleep 5; "
          "ollama run deepseek-r1:671b");
  const LaunchCommand q4_k_s = launch(launch_spec(plan("70b", "q4_k_s", "ollama", "h200", 1)));
  REQUIRE(has(q4_k_s.command, " ollama run hf.co/unsloth/DeepSeek-R1-Distill-Llama-70B-GGUF:Q4_K_S"));
  // Its Q8_0 (75 GB) is split on the hub: downloaded and imported instead.
  const LaunchCommand q8 = launch(launch_spec(plan("70b", "q8_0", "ollama", "h200", 1)));
  REQUIRE(has(q8.command, "ollama create r1-distill-llama-70b -f Modelfile && "));
  // A model without a registry tag (the Llama-8B distill: deepseek-r1:8b is the Qwen3 one now).
  REQUIRE(has(launch(launch_spec(plan("r1-distill-llama-8b", "q4_k_m", "ollama", "rtx4090", 1))).command,
              " ollama run hf.co/"));
}

// Hugging Face stores files of up to 50 GB, so R1's Q2_K (244 GB) on the hub is split, and Ollama
// pulls one-file GGUFs only: the launch downloads the parts, merges them and imports the result.
// The 32B distill's Q4_K_M (about 20 GB) is one file, which Ollama pulls itself.
TEST_CASE("Ollama imports a GGUF the hub splits instead of pulling it", "[launch]") {
  const LaunchCommand split = launch(launch_spec(plan("deepseek-r1", "q8_0", "ollama", "h200", 8)));
  REQUIRE(has(split.command,
              "ollama serve & sleep 5; huggingface-cli download unsloth/DeepSeek-R1-GGUF --include '*Q8_0*'"));
  REQUIRE(has(split.command, "llama-gguf-split --merge "));
  REQUIRE(has(split.command, "ollama create deepseek-r1 -f Modelfile && "));
  REQUIRE(has(split.command, "ollama run deepseek-r1"));
  REQUIRE_FALSE(has(split.command, "hf.co/"));
  const LaunchCommand one = launch(launch_spec(plan("r1-distill-qwen-32b", "q4_k_m", "ollama", "h200", 1)));
  REQUIRE(has(one.command, "ollama run "));
  REQUIRE_FALSE(has(one.command, "llama-gguf-split"));
}

TEST_CASE("an engine dsplan cannot start gets no command, not another engine's", "[launch]") {
  EngineSpec mine = catalog().require_engine("vllm");
  mine.id = "my-engine";
  LaunchSpec s = launch_spec(plan("8b", "bf16", "vllm", "h100-sxm", 1));
  s.engine = &mine;
  const LaunchCommand c = launch(s);
  REQUIRE(c.command.empty());
  REQUIRE(c.verify.empty());
  REQUIRE(c.none.find("no launch command for engine 'my-engine'") != std::string::npos);
}

TEST_CASE("vLLM over two nodes: one pipeline stage per node on a Ray cluster", "[launch]") {
  // R1 FP8 (641 GiB) on 2 nodes x 8 H100: tensor parallel 8 x pipeline parallel 2 (one stage per node).
  PlanRequest r = request_on("r1", "h100-sxm", 8);
  r.scenario.engine = "vllm";
  r.hardware->nodes = 2;
  const PlanResult p = run_plan(catalog(), r);
  REQUIRE(p.layout->fits);
  const LaunchCommand c = launch(launch_spec(p));
  REQUIRE(c.command.rfind("ray start --head", 0) == 0);
  REQUIRE(has(c.command, "--tensor-parallel-size 8 "));
  REQUIRE(has(c.command, " --pipeline-parallel-size 2 --distributed-executor-backend ray"));
}

TEST_CASE("pipeline stages on one node need no Ray cluster but nodes do, for SGLang too", "[launch]") {
  // R1-Distill-Qwen-1.5B has 12 attention heads: TP 4 x PP 2 on one node of 8 H100s.
  PlanRequest one = request_on("1.5b", "h100-sxm", 8);
  one.scenario.engine = "vllm";
  one.layout.tensor_parallel = 4;
  const PlanResult p = run_plan(catalog(), one);
  REQUIRE(p.layout->pipeline_parallel == 2);
  const LaunchCommand c = launch(launch_spec(p));
  REQUIRE(has(c.command, " --pipeline-parallel-size 2"));
  REQUIRE_FALSE(has(c.command, "ray"));
  // SGLang over two nodes of 8: every node starts with its rank.
  PlanRequest two = request_on("r1", "h100-sxm", 8);
  two.scenario.engine = "sglang";
  two.hardware->nodes = 2;
  const LaunchCommand s = launch(launch_spec(run_plan(catalog(), two)));
  REQUIRE(has(s.command, " --nnodes 2 --node-rank <0..1>"));
}

TEST_CASE("MTP speculation is in the launch line it was planned with", "[launch]") {
  PlanRequest r = request_on("r1", "h200", 8);
  r.scenario.speculative_tokens = 2;
  r.scenario.engine = "vllm";
  REQUIRE(has(launch(launch_spec(run_plan(catalog(), r))).command,
              R"( --speculative-config '{"method": "mtp", "num_speculative_tokens": 2}')"));
  r.scenario.engine = "sglang";
  REQUIRE(has(launch(launch_spec(run_plan(catalog(), r))).command,
              " --speculative-algorithm EAGLE --speculative-num-steps 2 --speculative-eagle-topk 1 "
              "--speculative-num-draft-tokens 3"));
  r.scenario.speculative_tokens = 0;
  REQUIRE_FALSE(has(launch(launch_spec(run_plan(catalog(), r))).command, "speculative"));
}

TEST_CASE("an unsloth dynamic quant is fetched by its file tag, not its display name", "[launch]") {
  // unsloth/DeepSeek-R1-GGUF files the 1.58-bit quant under UD-IQ1_S/ (the -hf tag llama.cpp takes).
  const PlanResult p = plan("r1", "ud-iq1_s", "llama.cpp", "rtx4090", 1, 4096, 1, "f16");
  const LaunchCommand c = launch(launch_spec(p));
  REQUIRE(c.command.rfind("llama-server -hf unsloth/DeepSeek-R1-GGUF:UD-IQ1_S ", 0) == 0);
  REQUIRE(c.verify.rfind("llama-bench -m <UD-IQ1_S .gguf of unsloth/DeepSeek-R1-GGUF>", 0) == 0);
}

TEST_CASE("llama.cpp: experts in RAM over several GPUs carry the split too", "[launch]") {
  // DeepSeek-R1 Q2_K with every routed expert in RAM on two RTX 3090s: 61 blocks + the output
  // layer = 62 slots on the GPUs, shared as -ts so that llama.cpp places them as dsplan did.
  PlanRequest r = request_on("r1", "rtx3090", 2);
  r.scenario.quant = "q2_k";
  r.hardware->ram = Bytes(512ULL << 30);
  r.layout.offload_experts = true;
  const PlanResult p = run_plan(catalog(), r);
  REQUIRE(p.layout->strategy == LayoutStrategy::expert_offload);
  const LaunchCommand c = launch(launch_spec(p));
  REQUIRE(has(c.command, " -ngl 999 -ts "));
  REQUIRE(has(c.command, " -ot \".ffn_.*_exps.=CPU\""));
  const auto ts = split_values(c.command, ',');
  REQUIRE(ts.size() == 2);
  REQUIRE(ts[0] == p.layout->gpus[0].layers);
  REQUIRE(std::accumulate(ts.begin(), ts.end(), std::uint64_t{0}) == 62);
}

TEST_CASE("llama.cpp: with experts in RAM and only some blocks on GPUs, -ngl counts V3.2's MTP slot too", "[launch]") {
  // --gpu-layers takes llama.cpp's count. V3.2 at -ngl 31 with routed experts in RAM: the output
  // layer, the file's MTP block (not loaded) and the last 29 blocks, 30 of dsplan's 62 layers on the
  // GPU; the command must give -ngl 31 back (30 would stop one block short). R1's file has no
  // such block: -ngl 30 is 30 layers.
  PlanRequest r = request_on("v3.2", "rtx4090", 1);
  r.scenario.quant = "q4_k_m";
  r.hardware->ram = Bytes(512ULL << 30);
  r.layout.offload_experts = true;
  r.layout.gpu_layers = 31;
  const PlanResult p = run_plan(catalog(), r);
  REQUIRE(p.layout->strategy == LayoutStrategy::expert_offload);
  REQUIRE(p.layout->gpu_layers == 30);
  REQUIRE(has(launch(launch_spec(p)).command, " -ngl 31 -ot "));
  r.scenario.model = "r1";
  r.layout.gpu_layers = 30;
  const PlanResult r1 = run_plan(catalog(), r);
  REQUIRE(r1.layout->gpu_layers == 30);
  REQUIRE(has(launch(launch_spec(r1)).command, " -ngl 30 -ot "));
}

TEST_CASE("a micro-batch the user sets reaches the launch line", "[launch]") {
  // llama.cpp: -ub, and -b as well above its 2048-token default batch (n_ubatch = min(n_batch,
  // n_ubatch)); vLLM: --max-num-batched-tokens; SGLang: --chunked-prefill-size. The engine's own
  // default adds no flag.
  PlanRequest r = request_on("70b", "rtx3090", 2);
  r.scenario.quant = "q4_k_m";
  r.scenario.ubatch = 4096;
  const LaunchCommand big = launch(launch_spec(run_plan(catalog(), r)));
  REQUIRE(has(big.command, " -b 4096 -ub 4096"));
  REQUIRE(has(big.verify, " -b 4096 -ub 4096"));
  r.scenario.ubatch = 1024;
  REQUIRE(has(launch(launch_spec(run_plan(catalog(), r))).command, " -ub 1024"));
  REQUIRE_FALSE(has(launch(launch_spec(run_plan(catalog(), r))).command, " -b "));
  r.scenario.ubatch = 512;  // llama.cpp's default
  REQUIRE_FALSE(has(launch(launch_spec(run_plan(catalog(), r))).command, "-ub"));
  PlanRequest v = request_on("r1", "h200", 8);
  v.scenario.engine = "sglang";
  v.scenario.ubatch = 16384;
  REQUIRE(has(launch(launch_spec(run_plan(catalog(), v))).command, " --chunked-prefill-size 16384"));
  v.scenario.engine = "vllm";
  REQUIRE(has(launch(launch_spec(run_plan(catalog(), v))).command, " --max-num-batched-tokens 16384"));
}
