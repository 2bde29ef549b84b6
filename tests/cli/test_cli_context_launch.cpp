// --context max, --sweep context and the launch lines of estimate and check, through the CLI.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli_support.hpp"

using nlohmann::json;
using dsplan::test::require_usage_error;
using dsplan::test::run_cli;
using dsplan::test::run_json;

TEST_CASE("estimate --context max: context is the answer, context_search says why", "[cli][context]") {
  const auto j = run_json({"estimate", "70b", "-q", "q4_k_m", "--gpu", "rtx4090", "--count", "2", "--context", "max"});
  REQUIRE(j["context_search"]["limit"] == 131072);  // R1-Distill-Llama-70B max_position_embeddings
  REQUIRE(j["context_search"]["kv_type"] == "f16");
  REQUIRE(j["context_search"]["found"] == true);
  REQUIRE(j["context_search"]["limited_by"].get<std::string>().find("RTX 4090") != std::string::npos);
  REQUIRE(j["context"].get<std::uint64_t>() % 256 == 0);
  REQUIRE(j["fits"] == true);
  // --kv-type auto: a quantized cache, more context.
  const auto any = run_json(
      {"estimate", "70b", "-q", "q4_k_m", "--gpu", "rtx4090", "--count", "2", "--context", "max", "--kv-type", "auto"});
  REQUIRE(any["context_search"]["kv_type"] != "f16");
  REQUIRE(any["context"].get<std::uint64_t>() > j["context"].get<std::uint64_t>());
  // The table says it in one line.
  const auto table = run_cli({"estimate", "70b", "-q", "q4_k_m", "--gpu", "rtx4090", "--count", "2", "--context", "max"});
  REQUIRE(table.out.find("Context max: ") != std::string::npos);
}

TEST_CASE("context max on check and compare, and its input errors", "[cli][context]") {
  const auto c = run_cli({"check", "8b", "-q", "q4_k_m", "--gpu", "rtx4090", "--context", "max"});
  REQUIRE(c.code == 0);
  const auto m = run_json({"compare", "--gpu", "rtx4090", "--context", "max", "--models", "8b,r1", "--quants", "q4_k_m"});
  // Llama-3.1-8B at Q4_K_M (4.6 GiB) with 16 GiB of f16 cache at its 131,072-token window fits 24 GiB.
  REQUIRE(m["rows"][0]["cells"][0]["max_context"] == 131072);
  REQUIRE(m["rows"][1]["cells"][0]["max_context"] == 0);  // 671B on one card: nothing
  require_usage_error(run_cli({"estimate", "8b", "--context", "max"}), "--context max needs hardware");
  require_usage_error(run_cli({"estimate", "8b", "--gpu", "rtx4090", "--count", "auto", "--context", "max"}),
                      "fixed count");
}

TEST_CASE("context max on a MoE model whose window pushes layers to the CPU says how far the GPUs go",
          "[cli][context]") {
  // DeepSeek-V3.2 Q4_K_M on one RTX 4090 + 512 GiB: at its 163,840-token window the cache and
  // buffers leave the GPU 2 of 62 layers even with every routed expert in RAM (audit 53: no
  // all-on-GPU context was given, and a note said every block's rest sat on the GPU).
  const std::vector<std::string> base = {"estimate", "v3.2", "-q", "q4_k_m", "--gpu", "rtx4090", "--ram", "512"};
  auto max_args = base;
  max_args.insert(max_args.end(), {"--context", "max"});
  const json j = run_json(max_args);
  const std::uint64_t gpu_only = j["context_search"]["gpu_only_context"];
  REQUIRE(j["context"] == 163840);
  REQUIRE(gpu_only > 0);
  REQUIRE(gpu_only < 163840);
  REQUIRE(j["context_search"]["gpu_only_decode_tokens_per_s"].get<double>() >
          j["throughput"]["decode_tokens_per_s"].get<double>());
  for (const auto& note : j["notes"])
    REQUIRE(note.get<std::string>().find("the rest of every block sits") == std::string::npos);
  // The boundary, with the search's 5% headroom: every layer on the GPU there, not 256 tokens past it.
  const auto layers_at = [&](std::uint64_t context) {
    auto args = base;
    args.insert(args.end(), {"--context", std::to_string(context), "--headroom", "0.05"});
    return run_json(args)["layout"]["gpu_layers"].get<std::uint64_t>();
  };
  REQUIRE(layers_at(gpu_only) == 62);
  REQUIRE(layers_at(gpu_only + 256) < 62);
}

TEST_CASE("context max that finds no context is a plan that does not fit and a failed check", "[cli][context]") {
  // With 90% of the card to leave free, 2.4 GiB cannot hold the 8B's 4.6 GiB of Q4_K_M weights:
  // the plan shown at 256 tokens is not one that fits (audit 53: fits true, check passed).
  const std::vector<std::string> args = {"8b",        "-q",  "q4_k_m",     "--gpu", "rtx4090",
                                         "--context", "max", "--headroom", "0.9"};
  std::vector<std::string> estimate = {"estimate"};
  estimate.insert(estimate.end(), args.begin(), args.end());
  const json e = run_json(estimate);
  REQUIRE(e["context_search"]["found"] == false);
  REQUIRE(e["fits"] == false);
  std::vector<std::string> check = {"check"};
  check.insert(check.end(), args.begin(), args.end());
  const auto c = run_cli(check);
  REQUIRE(c.code == 1);
  REQUIRE(c.out.rfind("FAIL", 0) == 0);
}

TEST_CASE("estimate leaves 1 GiB of a GPU free where it chooses the split as llama.cpp fitting does",
          "[cli][context]") {
  // llama.cpp's own fitting keeps 1 GiB of each device free (--fit-target 1024, PR #16653); a plan
  // that filled a 24 GiB card to its last 4.5 MiB was one the card would not run (audit 53).
  const auto free_bytes = [](const json& j) {
    const json& g = j["layout"]["devices"][0];
    return g["capacity_bytes"].get<double>() - g["total_bytes"].get<double>();
  };
  const std::vector<std::string> r1 = {"estimate", "r1", "-q", "q4_k_m", "--gpu", "rtx4090", "--ram", "512"};
  const json kept = run_json(r1);
  auto filled_args = r1;
  filled_args.insert(filled_args.end(), {"--headroom", "0"});
  const json filled = run_json(filled_args);
  REQUIRE(free_bytes(kept) >= 1024.0 * 1024 * 1024);
  REQUIRE(free_bytes(filled) < 1024.0 * 1024 * 1024);
  // One block's routed experts more in RAM: 256 x 3 x 7168 x 2048 weights at Q4_K_M's q4_K/q4_K/q6_K.
  REQUIRE(kept["layout"]["experts_in_ram_blocks"].get<int>() ==
          filled["layout"]["experts_in_ram_blocks"].get<int>() + 1);
  REQUIRE(kept["launch"]["command"].get<std::string>().find("--n-cpu-moe 60") != std::string::npos);
}

TEST_CASE("estimate --sweep context: one row per power of two up to the window", "[cli][context]") {
  const auto j = run_json({"estimate", "8b", "-q", "q4_k_m", "--gpu", "rtx4090", "--sweep", "context"});
  const auto& points = j["points"];
  REQUIRE(points.size() == 8);  // 1K, 2K, ..., 64K and the 128K window
  REQUIRE(points[0]["context"] == 1024);
  REQUIRE(points[7]["context"] == 131072);
  // f16 cache of Llama-3.1-8B: 32 layers x 2 x 1,024 values x 2 B = 131,072 B per token.
  REQUIRE(points[7]["kv_cache_bytes"] == 131072ULL * 131072ULL);
  REQUIRE(points[0]["decode_tokens_per_s"].get<double>() > points[7]["decode_tokens_per_s"].get<double>());
  const auto table = run_cli({"estimate", "8b", "-q", "q4_k_m", "--gpu", "rtx4090", "--sweep", "context"});
  REQUIRE(table.out.find("131,072") != std::string::npos);
  require_usage_error(run_cli({"estimate", "8b", "--sweep", "batch"}), "--sweep");
  require_usage_error(run_cli({"estimate", "8b", "--sweep", "context", "--context", "max"}), "drop --context max");
}

TEST_CASE("estimate and check print the launch command and how to verify it", "[cli][launch]") {
  const auto j = run_json({"estimate", "32b", "-q", "q4_k_m", "--gpu", "rtx4090", "--context", "16k"});
  // R1-Distill-Qwen-32B: 64 blocks + the output layer, all on the card.
  REQUIRE(j["launch"]["command"] ==
          "llama-server -hf unsloth/DeepSeek-R1-Distill-Qwen-32B-GGUF:Q4_K_M -c 16384 -np 1 -fa on -ngl 65");
  REQUIRE(j["launch"]["verify"].get<std::string>().rfind("llama-bench ", 0) == 0);
  const auto table = run_cli({"estimate", "32b", "-q", "q4_k_m", "--gpu", "rtx4090", "--context", "16k"});
  REQUIRE(table.out.find("  Run:    llama-server ") != std::string::npos);
  REQUIRE(table.out.find("  Verify: llama-bench ") != std::string::npos);
  const auto check = run_cli({"check", "32b", "-q", "q4_k_m", "--gpu", "rtx4090", "--context", "16k"});
  REQUIRE(check.out.find("\nRun:    llama-server ") != std::string::npos);
  REQUIRE(run_json({"check", "32b", "-q", "q4_k_m", "--gpu", "rtx4090"})["estimate"]["launch"].is_object());
  // No launch line for a plan that does not fit.
  REQUIRE_FALSE(run_json({"estimate", "r1", "--gpu", "rtx4090"}).contains("launch"));
}

TEST_CASE("CPU threads reach llama.cpp's -t and the CPU's speed", "[cli][launch]") {
  // 70B Q4_K_M with 40 of its 80 blocks on the 4090 and the rest on 12 of the EPYC's 96 cores.
  const std::vector<std::string> base{"estimate", "70b", "-q", "q4_k_m", "--gpu", "rtx4090", "--cpu", "epyc-9654",
                                      "--ram", "256", "--gpu-layers", "40"};
  auto with_threads = base;
  with_threads.insert(with_threads.end(), {"--threads", "12"});
  const auto j = run_json(with_threads);
  const std::string command = j["launch"]["command"];
  REQUIRE(command.find(" -t 12") != std::string::npos);
  REQUIRE(j["launch"]["verify"].get<std::string>().find(" -t 12") != std::string::npos);
  REQUIRE(run_json(base)["launch"]["command"].get<std::string>().find(" -t ") == std::string::npos);
  REQUIRE(j["throughput"]["prefill_tokens_per_s"].get<double>() <=
          run_json(base)["throughput"]["prefill_tokens_per_s"].get<double>());
  // The host in JSON: two EPYC 9654 sockets, each 96 cores and 12 x DDR5-4800 x 8 B = 460.8 GB/s.
  auto dual = with_threads;
  dual.insert(dual.end(), {"--sockets", "2"});
  const auto host = run_json(dual)["hardware"]["host"];
  REQUIRE(host["cpu"] == "epyc-9654");
  REQUIRE(host["sockets"] == 2);
  REQUIRE(host["cores"] == 192);
  REQUIRE(host["threads"] == 12);
  REQUIRE(host["memory_bandwidth_bytes_per_s"] == 921'600'000'000ULL);
  REQUIRE(run_json(base)["hardware"]["host"]["threads"].is_null());
}

// Ollama has no option for routed experts in RAM (ollama/ollama#11772): neither the estimate's
// hint nor recommend may place a MoE model that way on it, since its launch line could not say so.
TEST_CASE("n-cpu-moe: never suggested or placed for Ollama, which offloads whole layers", "[cli][launch]") {
  const auto o = run_cli({"estimate", "r1", "-q", "iq1_s", "-e", "ollama", "--gpu", "rtx4090", "--ram", "192"});
  REQUIRE(o.code == 0);
  REQUIRE(o.out.find("layer_split") != std::string::npos);  // whole blocks in RAM
  REQUIRE(o.out.find("--n-cpu-moe") == std::string::npos);
  const auto l = run_cli({"estimate", "r1", "-q", "iq1_s", "--gpu", "rtx4090", "--ram", "192"});
  REQUIRE(l.out.find("expert_offload") != std::string::npos);  // llama.cpp keeps the experts in RAM
  const auto rec = run_cli({"recommend", "--gpu", "rtx4090", "--ram", "192", "--model", "r1", "--engine", "ollama",
                            "--min-tps", "0.1", "--json", "--all"});
  REQUIRE(rec.code == 0);
  const auto j = nlohmann::json::parse(rec.out);
  int placed = 0;
  for (const auto& c : j["candidates"]) {
    if (c["engine"] != "ollama" || !c["layout"].is_string()) continue;  // not placed at all
    ++placed;
    REQUIRE(c["layout"].get<std::string>().find("experts") == std::string::npos);
  }
  REQUIRE(placed > 0);
}

TEST_CASE("n-cpu-moe: reaches llama.cpp's flag, the layout and the JSON", "[cli][launch]") {
  // R1 Q4_K_M on one RTX 4090: the experts of blocks 0-59 in RAM, block 60's on the card.
  const auto j = run_json({"estimate", "r1", "-q", "q4_k_m", "--gpu", "rtx4090", "--ram", "512", "--n-cpu-moe", "60"});
  REQUIRE(j["layout"]["strategy"] == "expert_offload");
  REQUIRE(j["layout"]["experts_in_ram_blocks"] == 60);
  const std::string command = j["launch"]["command"];
  REQUIRE(command.find(" -ngl 999 --n-cpu-moe 60") != std::string::npos);
  REQUIRE(command.find("exps") == std::string::npos);
  REQUIRE(j["launch"]["verify"].get<std::string>().find("--n-cpu-moe 60") != std::string::npos);
  // Every block's experts in RAM is --offload-experts, llama.cpp's -ot exps=CPU.
  const auto all = run_json({"estimate", "r1", "-q", "q4_k_m", "--gpu", "rtx4090", "--ram", "512", "--offload-experts"});
  REQUIRE(all["layout"]["experts_in_ram_blocks"] == 61);
  REQUIRE(all["launch"]["command"].get<std::string>().find("-ot \".ffn_.*_exps.=CPU\"") != std::string::npos);
  REQUIRE(j["layout"]["devices"][0]["weights_bytes"].get<std::uint64_t>() >
          all["layout"]["devices"][0]["weights_bytes"].get<std::uint64_t>());
  // auto: the number it chose reaches the launch line.
  const auto a = run_json({"estimate", "r1", "-q", "q4_k_m", "--gpu", "rtx-pro-6000", "--ram", "512", "--n-cpu-moe", "auto"});
  const auto n = a["layout"]["experts_in_ram_blocks"].get<std::uint64_t>();
  REQUIRE(n > 0);
  REQUIRE(n < 61);
  REQUIRE(a["launch"]["command"].get<std::string>().find("--n-cpu-moe " + std::to_string(n)) != std::string::npos);
  // A layer split without expert offload has none in RAM.
  REQUIRE(run_json({"estimate", "8b", "-q", "q4_k_m", "--gpu", "rtx4090"})["layout"]["experts_in_ram_blocks"] == 0);
}

TEST_CASE("layer-split options without an engine choose llama.cpp and its GGUF default", "[cli][launch]") {
  // R1's native format is FP8, which vLLM loads first; -ot exps=CPU and --n-cpu-moe are llama.cpp's.
  for (const char* flag : {"--offload-experts", "--n-cpu-moe"}) {
    std::vector<std::string> args{"estimate", "r1", "--gpu", "rtx4090", "--ram", "512", flag};
    if (std::string(flag) == "--n-cpu-moe") args.push_back("61");
    const auto j = run_json(args);
    REQUIRE(j["engine"]["id"] == "llama.cpp");
    REQUIRE(j["quant"]["id"] == "q4_k_m");
  }
  REQUIRE(run_json({"estimate", "r1", "--gpu", "h200", "--count", "8"})["engine"]["id"] == "vllm");
  // A format no layer-split engine loads keeps the refusal.
  require_usage_error(run_cli({"estimate", "r1", "-q", "fp8", "--gpu", "rtx4090", "--ram", "512", "--offload-experts"}),
                      "llama.cpp options");
}

TEST_CASE("recommend --context max: the longest context of the pick and runners-up", "[cli][context]") {
  const auto j = run_json({"recommend", "--gpu", "rtx4090", "--task", "code", "--context", "max"});
  const auto& mc = j["pick"]["max_context"];
  REQUIRE(mc.is_object());
  // Ranked at the default 8,192 tokens, so the pick holds at least that much.
  REQUIRE(mc["context"].get<std::uint64_t>() >= 8192);
  REQUIRE(mc["context"].get<std::uint64_t>() <= mc["limit"].get<std::uint64_t>());
  for (const auto& c : j["runners_up"]) REQUIRE(c["max_context"].is_object());
  const auto table = run_cli({"recommend", "--gpu", "rtx4090", "--task", "code", "--context", "max"});
  REQUIRE(table.out.find("  Longest context: ") != std::string::npos);
  REQUIRE(table.out.find("Max context") != std::string::npos);
}

TEST_CASE("dp-attention: reaches SGLang's and vLLM's flags, the layout and the JSON", "[cli][launch]") {
  // R1 FP8 on 8x H200 at 1024 sequences of 3k: the replicated MLA cache does not fit under TP 8,
  // split over 8 data-parallel attention ranks it does.
  const std::vector<std::string> base{"estimate", "r1", "--engine", "sglang", "--gpu",     "h200",
                                      "--count",  "8",  "--batch",  "1024",   "--context", "3072"};
  auto dpa = base;
  dpa.push_back("--dp-attention");
  REQUIRE_FALSE(run_json(base)["layout"]["fits"].get<bool>());
  const auto j = run_json(dpa);
  REQUIRE(j["layout"]["fits"].get<bool>());
  REQUIRE(j["layout"]["attention_data_parallel"] == 8);
  REQUIRE(j["launch"]["command"].get<std::string>().find(" --tp 8 ") != std::string::npos);
  REQUIRE(j["launch"]["command"].get<std::string>().find(" --dp 8 --enable-dp-attention") != std::string::npos);
  REQUIRE(j["throughput"]["decode_band"]["class"] == "uncalibrated");
  // SGLang splits --max-running-requests evenly over the ranks, rounding 500 down to 496: give
  // 8 x ceil(500 / 8) = 504.
  auto odd = dpa;
  odd[9] = "500";
  REQUIRE(run_json(odd)["launch"]["command"].get<std::string>().find("--max-running-requests 504 ") !=
          std::string::npos);
  REQUIRE(run_cli(dpa).out.find("data-parallel attention 8") != std::string::npos);
  // vLLM: one engine core per GPU, the routed experts expert-parallel; each core schedules its
  // 1024 / 8 = 128 sequences.
  auto vllm = dpa;
  vllm[3] = "vllm";
  const std::string command = run_json(vllm)["launch"]["command"];
  REQUIRE(command.find("--tensor-parallel-size 1 --data-parallel-size 8 --enable-expert-parallel") !=
          std::string::npos);
  REQUIRE(command.find("--max-num-seqs 128") != std::string::npos);
  // One GPU has nobody to split the users with.
  require_usage_error(run_cli({"estimate", "r1", "--engine", "sglang", "--gpu", "h200", "--dp-attention"}),
                      "--dp-attention splits the users over several GPUs");
  // llama.cpp has no such mode.
  require_usage_error(
      run_cli({"estimate", "8b", "--engine", "llama.cpp", "--gpu", "rtx4090", "--count", "2", "--dp-attention"}),
      "--dp-attention are vLLM/SGLang options");
}

// unsloth/DeepSeek-R1-GGUF's files keep attn_kv_b whole (models.json gguf_repo legacy_mla), while
// the plan sizes the latent cache of a file converted since April 2025: the note says what the
// downloaded file costs, and its figure is the --legacy-mla-gguf plan's.
TEST_CASE("a plan whose launch line downloads a legacy MLA GGUF says what that file caches", "[cli]") {
  const std::vector<std::string> base = {"estimate", "r1",   "-q",      "q4_k_m", "-e",    "llama.cpp",
                                         "--gpu",    "h200", "--count", "4",      "--json"};
  const auto split = run_json(base);
  std::vector<std::string> legacy_args = base;
  legacy_args.push_back("--legacy-mla-gguf");
  const auto legacy = run_json(legacy_args);
  std::string note;
  for (const auto& n : split.value("notes", nlohmann::json::array()))
    if (n.get<std::string>().find("keep attn_kv_b whole") != std::string::npos) note = n.get<std::string>();
  REQUIRE(note.find("unsloth/DeepSeek-R1-GGUF") != std::string::npos);
  const double legacy_gib = legacy["memory"]["kv_cache_bytes"].get<double>() / (1024.0 * 1024.0 * 1024.0);
  REQUIRE(note.find(fmt::format("{:.2f} GiB at this context", legacy_gib)) != std::string::npos);
  // R1-0528's files have the split tensors: nothing to say.
  std::vector<std::string> r1_0528 = base;
  r1_0528[1] = "r1-0528";
  const auto current = run_json(r1_0528);
  for (const auto& n : current.value("notes", nlohmann::json::array()))
    REQUIRE(n.get<std::string>().find("keep attn_kv_b whole") == std::string::npos);
}

// A 70B Q4_K_M (40 GiB) on one 24 GB card with 64 GiB of RAM: at any context some layers stay in
// RAM, and the search's 5 % headroom is kept by leaving more of them there. Every context up to
// the window fits so (the plan at 131,072 tokens with the chosen -ngl leaves the headroom), where
// the search had answered "not even 256 tokens" from layouts packed to the last layer.
TEST_CASE("context max with layers in RAM keeps its headroom by moving layers, not the context", "[cli][context]") {
  const auto j = run_json({"estimate", "70b", "-q", "q4_k_m", "--gpu", "rtx4090", "--ram", "64", "--context", "max"});
  REQUIRE(j["context"] == 131072);
  REQUIRE(j["context_search"]["limited_by"] == "model");
  const std::string ngl = std::to_string(j["layout"]["gpu_layers"].get<std::uint64_t>());
  const auto same = run_json({"estimate", "70b", "-q", "q4_k_m", "--gpu", "rtx4090", "--ram", "64", "--context",
                              "131072", "--gpu-layers", ngl});
  const auto& gpu = same["layout"]["devices"][0];
  REQUIRE(gpu["total_bytes"].get<double>() <= 0.95 * gpu["capacity_bytes"].get<double>());
  // check and compare search the same way.
  const auto c = run_json(
      {"compare", "--gpu", "rtx4090", "--ram", "64", "--context", "max", "--models", "70b", "--quants", "q4_k_m"});
  REQUIRE(c["rows"][0]["cells"][0]["max_context"] == 131072);
}

// R1 Q2_K on eight 24 GB cards and 256 GiB of RAM: with no -ts, dsplan fills the GPUs in turn and
// keeps the fewest blocks' experts in RAM that lets them hold the rest. Splitting by free memory
// instead spreads the light expert-less blocks over GPUs 0-6 and piles the heavy ones onto GPU 7.
TEST_CASE("n-cpu-moe auto on several GPUs fills each GPU with a tensor split of its own", "[cli][launch]") {
  const std::vector<std::string> base = {"estimate", "r1", "-q", "q2_k", "--gpus", "8xrtx3090", "--ram", "256"};
  const auto j = run_json(base);
  const std::string command = j["launch"]["command"];
  const auto ts = command.find(" -ts ");
  const auto moe = command.find("--n-cpu-moe ");
  REQUIRE(ts != std::string::npos);
  REQUIRE(moe != std::string::npos);
  const std::string split = command.substr(ts + 5, command.find(' ', ts + 5) - ts - 5);
  const std::uint64_t n = std::stoull(command.substr(moe + 12));
  const auto with = [&](const std::string& s, std::uint64_t blocks) {
    std::vector<std::string> args = base;
    for (const std::string& a : {std::string("--tensor-split"), s, std::string("--n-cpu-moe"), std::to_string(blocks)})
      args.push_back(a);
    return run_json(args);
  };
  // The launch line's split and count give the same plan, every block on the GPUs.
  const auto again = with(split, n);
  REQUIRE(again["layout"]["gpu_layers"] == 62);
  REQUIRE(again["throughput"]["decode_tokens_per_s"].get<double>() ==
          Approx(j["throughput"]["decode_tokens_per_s"].get<double>()));
  // The fewest: one block's experts fewer in RAM does not fit with that split.
  REQUIRE(with(split, n - 1)["layout"]["gpu_layers"].get<std::uint64_t>() < 62);
  // llama.cpp's default split (by free memory) at the same count does not hold every block either.
  std::vector<std::string> by_memory = base;
  by_memory.push_back("--n-cpu-moe");
  by_memory.push_back(std::to_string(n));
  REQUIRE(run_json(by_memory)["layout"]["gpu_layers"].get<std::uint64_t>() < 62);
}

TEST_CASE("recommend: the Run line is the one estimate writes for the same pick", "[cli][recommend][launch]") {
  // vLLM runs V4 only with an FP8 cache (its only cache type, fp8_ds_mla: --kv-cache-dtype fp8),
  // and SGLang's KV pool is what --mem-fraction-static leaves: a command without them is another
  // plan. Both commands come from one set of launch settings.
  for (const std::string engine : {"vllm", "sglang"}) {
    const auto ran =
        run_cli({"recommend", "--gpu", "b200", "--count", "8", "--task", "code", "--json", "--engine", engine});
    REQUIRE(ran.code == 0);
    const auto rec = json::parse(ran.out);
    const auto& pick = rec["pick"];
    const std::string command = pick["command"];
    const auto est = run_json({"estimate", pick["model"].get<std::string>(), "-q", pick["quant"].get<std::string>(),
                               "--engine", engine, "--gpu", "b200", "--count", "8", "--context",
                               std::to_string(rec["context"].get<std::uint64_t>())});
    REQUIRE(command == est["launch"]["command"].get<std::string>());
    const std::string share = engine == "vllm" ? "--gpu-memory-utilization 0.90" : "--mem-fraction-static 0.88";
    REQUIRE(command.find(share) != std::string::npos);
  }
}

TEST_CASE("a GPU without BF16 runs a BF16 model in FP16: --dtype half, an f16 cache, train says so", "[cli][launch]") {
  // vLLM refuses BF16 below compute capability 8.0 and tells the user to pass --dtype=half; the
  // V100's catalog entry has FP16 but no BF16 tensor rate (NVIDIA's datasheet).
  const auto v100 = run_json({"estimate", "8b", "--gpu", "v100-32g"});
  REQUIRE(v100["kv_type"] == "f16");
  const std::string run = v100["launch"]["command"].get<std::string>();
  REQUIRE(run.find("vllm serve") == 0);
  REQUIRE(run.find(" --dtype half") != std::string::npos);
  const auto sglang = run_json({"estimate", "8b", "--gpu", "v100-32g", "--engine", "sglang"});
  REQUIRE(sglang["launch"]["command"].get<std::string>().find(" --dtype half") != std::string::npos);
  const auto a100 = run_json({"estimate", "8b", "--gpu", "a100-80g"});
  REQUIRE(a100["kv_type"] == "bf16");
  REQUIRE(a100["launch"]["command"].get<std::string>().find("--dtype") == std::string::npos);
  // An FP16 cache holds as many bytes as a BF16 one: the memory is unchanged.
  REQUIRE(v100["memory"]["total_bytes"] == a100["memory"]["total_bytes"]);
  // recommend's Run line carries it as well.
  const auto rec = run_json({"recommend", "--gpu", "v100-32g", "--task", "code", "--engine", "vllm"});
  const std::string pick = rec["pick"]["command"].get<std::string>();
  REQUIRE(pick.find("vllm serve") == 0);
  REQUIRE(pick.find(" --dtype half") != std::string::npos);
  const auto train = run_cli({"train", "8b", "--method", "lora", "--gpu", "v100-32g", "--tokens", "1e8"});
  REQUIRE(train.code == 0);
  REQUIRE(train.out.find("has no BF16: training runs in FP16 mixed precision") != std::string::npos);
  REQUIRE(run_cli({"train", "8b", "--method", "lora", "--gpu", "a100-80g", "--tokens", "1e8"}).out.find("no BF16") ==
          std::string::npos);
}

TEST_CASE("the runtime overhead is named after the backend the GPUs run", "[cli][launch]") {
  REQUIRE(run_cli({"estimate", "8b", "-q", "q4_k_m", "--gpu", "apple-m3-max"}).out.find("Metal context") !=
          std::string::npos);
  REQUIRE(run_cli({"estimate", "8b", "--gpu", "mi300x"}).out.find("ROCm (HIP) context") != std::string::npos);
  REQUIRE(run_cli({"estimate", "8b", "--gpu", "h100-sxm"}).out.find("CUDA context") != std::string::npos);
}

TEST_CASE("estimate with users: the Run line and the cost per token are the capacity plan's, not one sequence's",
          "[cli][launch]") {
  const auto j =
      run_json({"estimate", "8b", "--gpu", "h100-sxm", "--users", "100", "--target-tps", "20", "--context", "8192"});
  const auto& c = j["capacity"];
  const auto per_replica = c["sequences_per_replica"].get<std::uint64_t>();
  REQUIRE(per_replica > 1);
  REQUIRE(j["launch"]["command"].get<std::string>().find(fmt::format("--max-num-seqs {} ", per_replica)) !=
          std::string::npos);
  // Rent of the replicas per hour over the tokens the users get in an hour, per million.
  const double tokens_per_hour = 100 * c["tokens_per_s_per_user"].get<double>() * 3600;
  REQUIRE(c["cloud_usd_per_million_tokens"].get<double>() ==
          Approx(c["cloud_usd_per_hour"].get<double>() / tokens_per_hour * 1e6));
}

TEST_CASE("count auto steps through whole nodes past one node, not powers of two", "[cli][launch]") {
  // A tensor-parallel engine runs a power-of-two group within a node and one pipeline stage per
  // node, so 5 nodes of 8 are a layout; the search used to jump from 32 to 64.
  const auto j = run_json({"estimate", "r1", "--gpu", "rtx4090", "--count", "auto"});
  const auto n = j["gpu_count"].get<std::uint64_t>();
  REQUIRE(n % 8 == 0);
  REQUIRE((n & (n - 1)) != 0);  // 40 here: not a power of two
  REQUIRE(j["fits"] == true);
  const auto fewer = run_json({"estimate", "r1", "--gpu", "rtx4090", "--count", std::to_string(n - 8)});
  REQUIRE(fewer["fits"] == false);
}

TEST_CASE("context max past what the GPUs hold also gives the context with every layer on them", "[cli][context]") {
  // 70B Q4_K_M on two RTX 4090s with RAM: the whole window fits with layers in RAM, at a fraction
  // of the speed; the largest context on the GPUs alone is what the same search finds without RAM.
  const auto with_ram =
      run_json({"estimate", "70b", "-q", "q4_k_m", "--gpus", "2xrtx4090", "--ram", "62.5", "--context", "max"});
  const auto gpus_only = run_json({"estimate", "70b", "-q", "q4_k_m", "--gpus", "2xrtx4090", "--context", "max"});
  const auto& cs = with_ram["context_search"];
  REQUIRE(cs["gpu_only_context"] == gpus_only["context"]);
  REQUIRE(cs["gpu_only_context"].get<std::uint64_t>() < with_ram["context"].get<std::uint64_t>());
  REQUIRE(cs["gpu_only_decode_tokens_per_s"].get<double>() >
          2 * with_ram["throughput"]["decode_tokens_per_s"].get<double>());
  REQUIRE(gpus_only["context_search"]["gpu_only_context"] == 0);  // nothing in RAM: nothing to add
}

TEST_CASE("estimate --explain derives the cost figures it prints", "[cli][explain]") {
  const auto j = run_json({"estimate", "8b", "-q", "q4_k_m", "--gpu", "rtx4090", "--explain"});
  std::string cloud, owned;
  for (const auto& line : j["derivation"]) {
    if (line["figure"] == "cloud cost") cloud = line["formula"].get<std::string>();
    if (line["figure"] == "owned cost") owned = line["formula"].get<std::string>();
  }
  REQUIRE_FALSE(cloud.empty());
  REQUIRE_FALSE(owned.empty());
  // The per-1M figure the line ends its first clause with is the one the cost section reports.
  REQUIRE(cloud.find(fmt::format("= ${:.4f} per 1M output tokens",
                                 j["cost"]["cloud"]["usd_per_million_tokens"].get<double>())) != std::string::npos);
  REQUIRE(owned.find(fmt::format("= ${:.4f}; TCO", j["cost"]["owned"]["usd_per_million_tokens"].get<double>())) !=
          std::string::npos);
}

TEST_CASE("recommend says when its R1 GGUF pick downloads a file with the old MLA layout", "[cli][launch]") {
  // unsloth/DeepSeek-R1-GGUF predates llama.cpp PR #12801 (models.json gguf_repo.legacy_mla): the
  // Run line pulls it while the plan is for the latent cache, 128 x (192 + 128) / 576 = 71 x smaller.
  const auto gguf =
      run_cli({"recommend", "--gpu", "rtx3090", "--count", "8", "--ram", "256", "--task", "math", "--model", "r1"});
  REQUIRE(gguf.code == 0);
  REQUIRE(gguf.out.find("-hf unsloth/DeepSeek-R1-GGUF:") != std::string::npos);
  REQUIRE(gguf.out.find("keep attn_kv_b whole") != std::string::npos);
  // f16 both ways: 128 heads x (K 192 + V 128) values per token and layer against one 576-wide latent.
  REQUIRE(gguf.out.find("caches per-head K and V, 71 times the KV memory planned") != std::string::npos);
  // R1-0528's files were converted after the split: no such note.
  REQUIRE(
      run_cli({"recommend", "--gpu", "rtx3090", "--count", "8", "--ram", "256", "--task", "math", "--model", "r1-0528"})
          .out.find("keep attn_kv_b whole") == std::string::npos);
}

TEST_CASE("Verify lines measure the planned lengths and multi-node vLLM uses the right Ray backend", "[cli][launch]") {
  // sglang.bench_serving draws each length from [ratio x len, len] with ratio 0 by default: half the
  // planned lengths on average, unless --random-range-ratio 1.
  const auto sg = run_json({"estimate", "8b", "--engine", "sglang", "--gpu", "h100-sxm", "--json"});
  REQUIRE(sg["launch"]["verify"].get<std::string>().find("--random-range-ratio 1 ") != std::string::npos);
  // vllm bench serve stops a request at its first EOS unless --ignore-eos.
  const auto vl = run_json({"estimate", "8b", "--engine", "vllm", "--gpu", "h100-sxm", "--json"});
  REQUIRE(vl["launch"]["verify"].get<std::string>().find("--ignore-eos") != std::string::npos);
  // Data-parallel engine cores over two nodes: vLLM's data-parallel backend, not the executor's.
  const auto dp = run_json({"estimate", "r1", "-e", "vllm", "--dp-attention", "--gpu", "h100-sxm", "--count", "8",
                            "--nodes", "2", "--batch", "64", "--context", "8k", "--json"});
  const auto dp_cmd = dp["launch"]["command"].get<std::string>();
  REQUIRE(dp_cmd.find("--data-parallel-size 16") != std::string::npos);
  REQUIRE(dp_cmd.find("--data-parallel-backend ray") != std::string::npos);
  REQUIRE(dp_cmd.find("--distributed-executor-backend") == std::string::npos);
  // Tensor and pipeline parallel workers over two nodes: the distributed executor.
  const auto tp = run_json({"estimate", "r1", "-e", "vllm", "--gpu", "h100-sxm", "--count", "8", "--nodes", "2",
                            "--context", "8k", "--json"});
  REQUIRE(tp["launch"]["command"].get<std::string>().find("--distributed-executor-backend ray") != std::string::npos);
}

TEST_CASE("context max that fails only for its headroom says so", "[cli][context]") {
  // R1 IQ1_S on a Ryzen AI Max whose GPU may use 124 of its 128 GiB: 4 GiB are left to the system,
  // so the 5% the search keeps free on each device leaves no room for even 256 tokens, and without
  // it tens of thousands fit.
  const auto j =
      run_json({"estimate", "r1", "-q", "iq1_s", "--gpu", "strix-halo", "--gpu-usable", "124", "--context", "max"});
  REQUIRE(j["context_search"]["found"] == false);
  REQUIRE(j["context_search"]["headroom_rules_out"] == Approx(0.05));
  const auto none = run_json({"estimate", "r1", "-q", "iq1_s", "--gpu", "strix-halo", "--gpu-usable", "124",
                              "--context", "max", "--headroom", "0"});
  REQUIRE(none["context_search"]["found"] == true);
  REQUIRE(none["context_search"]["headroom_rules_out"].is_null());
  REQUIRE(none["context"].get<std::uint64_t>() > 256);
  const auto text =
      run_cli({"estimate", "r1", "-q", "iq1_s", "--gpu", "strix-halo", "--gpu-usable", "124", "--context", "max"});
  REQUIRE(text.out.find("with 5% of each device left free; they fit with none: --headroom 0") != std::string::npos);
}

TEST_CASE("an FP16 run of a BF16 checkpoint tells the engine to cast it", "[cli][launch]") {
  // -q fp16 of the 7B distill (published in BF16): vLLM runs the checkpoint's dtype unless told.
  const auto fp16 = run_cli({"estimate", "7b", "-q", "fp16", "-e", "vllm", "--gpu", "rtx4090"});
  REQUIRE(fp16.code == 0);
  REQUIRE(fp16.out.find("--dtype half") != std::string::npos);
  const auto bf16 = run_cli({"estimate", "7b", "-q", "bf16", "-e", "vllm", "--gpu", "rtx4090"});
  REQUIRE(bf16.code == 0);
  REQUIRE(bf16.out.find("--dtype") == std::string::npos);
}
