// DeepSeek-V4 through the CLI: which GPUs run its FP4+FP8 checkpoint, and what the cache holds.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"

using namespace dsplan::test;
using json = nlohmann::json;

TEST_CASE("V4 runs where its engines have kernels for it whatever the format", "[cli][v4]") {
  // CDNA 3 (MI300X): vLLM runs it (recipes PR #830, Infera's gfx942 matrix), SGLang does not.
  const json vllm = run_json({"estimate", "v4-flash", "--gpu", "mi300x", "--count", "2", "--engine", "vllm"});
  REQUIRE(vllm["fits"] == true);
  REQUIRE(vllm["layout"]["unsupported"].is_null());
  const json sglang = run_json({"estimate", "v4-flash", "--gpu", "mi300x", "--count", "2", "--engine", "sglang"});
  REQUIRE(sglang["fits"] == false);
  const std::string why = sglang["layout"]["unsupported"];
  REQUIRE(why.find("SGLang runs DeepSeek-V4-Flash on Hopper GH100, Blackwell GB100, Blackwell Ultra, CDNA 4 GPUs only; "
                   "AMD Instinct MI300X") != std::string::npos);
  // Only the engines that load this checkpoint are named: llama.cpp runs V4 only from its GGUF files.
  REQUIRE(why.find("; vllm runs it there") != std::string::npos);
  REQUIRE(why.find("llama.cpp") == std::string::npos);
  const json rtx = run_json({"estimate", "v4-flash", "--gpu", "rtx4090", "--count", "8", "--engine", "vllm"});
  REQUIRE(rtx["layout"]["unsupported"].get<std::string>().find(
              "llama.cpp runs it there from a GGUF file (--model-file)") != std::string::npos);
  REQUIRE(sglang["layout"]["reasons"][0] == why);
  const json h200 = run_json({"estimate", "v4-flash", "--gpu", "h200", "--count", "2"});
  REQUIRE(h200["fits"] == true);
  // Blackwell Ultra (B300, SM103) runs it in the SGLang cookbook's V4 cells.
  REQUIRE(run_json({"estimate", "v4-flash", "--gpu", "b300", "--count", "2"})["fits"] == true);
  // The attention kernels, not the weights' format, decide: FP8 weights on Ampere do not run it.
  const json a100 = run_json({"estimate", "v4-flash", "--quant", "fp8", "--gpu", "a100-80g", "--count", "4"});
  REQUIRE(a100["fits"] == false);
  REQUIRE(a100["layout"]["unsupported"].get<std::string>().find("is Ampere GA100") != std::string::npos);
  // Consumer Blackwell cards (GB202: 8 x RTX 5090) have no mainline kernels for it.
  REQUIRE(run_json({"estimate", "v4-flash", "--gpu", "rtx5090", "--count", "8"})["fits"] == false);
  // The table says it cannot run there, not that memory is short; check says the same.
  const auto table = run_cli({"estimate", "v4-flash", "--quant", "fp8", "--gpu", "a100-80g", "--count", "4"});
  REQUIRE(table.out.find("CANNOT RUN ON THIS HARDWARE (not a memory limit") != std::string::npos);
  REQUIRE(table.out.find("DOES NOT FIT") == std::string::npos);
  const auto check = run_cli({"check", "v4-flash", "--quant", "fp8", "--gpu", "a100-80g", "--count", "4"});
  REQUIRE(check.code == 1);
  REQUIRE(check.out.find("FAIL  cannot run on this hardware: vLLM runs DeepSeek-V4-Flash") != std::string::npos);
}

TEST_CASE("a generic card is gated as the catalog card it is modelled on", "[cli][v4]") {
  // --vram 80: no GeForce card holds 80 GiB, so the slowest workstation card that does, the RTX
  // PRO 6000 Blackwell (GB202): FP8 weights run there, DeepSeek-V4 has no mainline kernels for it.
  REQUIRE(run_json({"estimate", "32b", "--quant", "fp8", "--vram", "80"})["fits"] == true);
  const json v4 = run_json({"estimate", "v4-flash", "--vram", "80", "--count", "4"});
  REQUIRE(v4["layout"]["unsupported"].get<std::string>().find(
              "generic GPU is Blackwell GB202 (188 SMs), as the NVIDIA RTX PRO 6000") != std::string::npos);
}

TEST_CASE("V4 is planned only in the formats its checkpoints are published in", "[cli][v4]") {
  // V4's routed experts are FP4 already; no AWQ, GPTQ, NF4 or INT8 checkpoint of it exists.
  for (const char* q : {"awq", "gptq", "nf4", "int8"})
    require_usage_error(run_cli({"estimate", "v4-pro", "--quant", q, "--gpu", "b200", "--count", "8"}),
                        "DeepSeek-V4-Pro is published and loaded in fp4_fp8 and fp8 only");
  const json fp8 = run_json({"estimate", "v4-flash", "--quant", "fp8", "--gpu", "h200", "--count", "4"});
  REQUIRE(fp8["fits"] == true);
  // recommend on 8 x B200 picks among those formats only.
  const json rec = run_json({"recommend", "--gpu", "b200", "--count", "8", "--task", "code", "--prefer", "speed"});
  const json candidates = rec["runners_up"];
  std::vector<json> picked{rec["pick"]};
  for (const auto& c : candidates) picked.push_back(c);
  for (const auto& c : picked) {
    const std::string quant = c["quant"];
    CAPTURE(quant);
    if (c["model"].get<std::string>().starts_with("deepseek-v4")) REQUIRE((quant == "fp4_fp8" || quant == "fp8"));
  }
}

TEST_CASE("V4's KV cache in JSON: the window, the compressed caches and the indexer keys", "[cli][v4]") {
  const auto o = run_cli({"estimate", "v4-pro", "--gpu", "h200", "--count", "8", "--context", "128k", "--json"});
  REQUIRE(o.code == 0);
  const auto kv = json::parse(o.out)["memory"]["kv_cache"];
  REQUIRE(kv["cache_type"] == "fp8_ds_mla");
  REQUIRE(kv["streams"].size() == 4);
  // vLLM pads each 256-token page of 64 ratio-4 entries x 584 B = 37,376 B to 37,440 (585 B each).
  REQUIRE(kv["streams"][1]["name"] == "csa");
  REQUIRE(kv["streams"][1]["layers"] == 30);
  REQUIRE(kv["streams"][1]["bytes_per_entry"] == 585);
  REQUIRE(kv["streams"][1]["read_limit_entries"] == 1024);
}

TEST_CASE("recommend names the models its task cannot rank instead of dropping them silently", "[cli][v4]") {
  // V4-Flash has no published benchmark in the catalog and V4-Pro no math figure, which the chat
  // blend needs (docs/decisions.md): both fit 8 x H200 and were missing from the answer without a word.
  const auto o = run_cli({"recommend", "--gpu", "h200", "--count", "8"});
  REQUIRE(o.code == 0);
  const auto note = o.out.find("not ranked for chat:");
  REQUIRE(note != std::string::npos);
  const std::string line = o.out.substr(note, o.out.find('\n', note) - note);
  REQUIRE(line.find("DeepSeek-V4-Flash") != std::string::npos);
  REQUIRE(line.find("DeepSeek-V4-Pro") != std::string::npos);
  REQUIRE(line.find("DeepSeek-V3.1") == std::string::npos);  // ranked: it is the pick
}

TEST_CASE("V4's weight groups sum to its parameter count: the hash-routing tables are not parameters", "[cli][v4]") {
  // tid2eid (int64, vocab x k per hash layer) is stored and loaded but is a lookup table, not a
  // learned weight; counted in the router group it put the groups 2,327,040 above the total.
  const auto o = run_cli({"estimate", "v4-pro", "--json"});
  REQUIRE(o.code == 0);
  const auto j = json::parse(o.out);
  std::uint64_t sum = 0;
  for (const auto& g : j["memory"]["weights"]["by_role"]) sum += g["params"].get<std::uint64_t>();
  REQUIRE(sum == j["model"]["params_total"].get<std::uint64_t>());
}

TEST_CASE("V4's KV derivation cites V4's page layout, not V3's MLA cache", "[cli][v4]") {
  const auto o = run_cli({"estimate", "v4-flash", "--gpu", "b200", "--count", "4", "--explain"});
  REQUIRE(o.code == 0);
  const auto kv = o.out.find("  KV cache: ");
  REQUIRE(kv != std::string::npos);
  const auto source = o.out.find("source: ", kv);
  const std::string line = o.out.substr(source, o.out.find('\n', source) - source);
  REQUIRE(line.find("DeepSeek-V4") != std::string::npos);
  REQUIRE(line.find("576-wide latent") == std::string::npos);
}

TEST_CASE("recommend points an unranked model's question to the estimate that answers it", "[cli][v4]") {
  const auto o = run_cli({"recommend", "--gpu", "h200", "--count", "8", "--users", "64", "--min-tps", "20", "--model",
                          "v4-flash", "--task", "code"});
  REQUIRE(o.code == 1);  // no pick
  REQUIRE(o.out.find("'dsplan estimate deepseek-v4-flash' with the same hardware flags, --context 8192 --users 64 "
                     "--target-tps 20") != std::string::npos);
  // That estimate runs and plans the 64 users.
  const auto e = run_cli({"estimate", "deepseek-v4-flash", "--gpu", "h200", "--count", "8", "--context", "8192",
                          "--users", "64", "--target-tps", "20", "--json"});
  REQUIRE(e.code == 0);
  REQUIRE(json::parse(e.out)["capacity"]["users"] == 64);
}

TEST_CASE("one GPU does not run a MoE model 3x faster than two on a serving engine", "[cli][v4]") {
  // The per-block time fitted on tensor-parallel MoE runs applies to MoE blocks on one GPU too:
  // gpt-oss-120b on vLLM decodes at 90 tokens/s on one A100 and 77-78 on two or four (vLLM issue
  // #22331), not 3.7x faster on one, as V4-Flash on one B200 once was (326 vs 87 tokens/s).
  const auto decode = [](const char* count) {
    return run_json({"estimate", "v4-flash", "--gpu", "b200", "--count", count})["throughput"]["decode_tokens_per_s"]
        .get<double>();
  };
  REQUIRE(decode("1") <= 1.3 * decode("2"));
}

TEST_CASE("recommend says when the pick's scores need a longer context than planned", "[cli][v4]") {
  // V4-Pro's scores are at Think Max, which vLLM's recipe runs with --max-model-len >= 393,216.
  const json short_context = run_json({"recommend", "--gpu", "h200", "--count", "8", "--task", "code"});
  REQUIRE(short_context["pick"]["model"] == "deepseek-v4-pro");
  REQUIRE(note_with(short_context, "needs a context of 393216 tokens") != "");
  const json long_context =
      run_json({"recommend", "--gpu", "h200", "--count", "8", "--task", "code", "--context", "393216"});
  REQUIRE(long_context["pick"]["model"] == "deepseek-v4-pro");
  REQUIRE(note_with(long_context, "needs a context of") == "");
}

TEST_CASE("a trillion-parameter model reads in trillions", "[cli][v4]") {
  // DeepSeek-V4-Pro is published as 1.6T parameters (model card); "1573.00 B" hides the unit change.
  const auto o = dsplan::test::run_cli({"show", "v4-pro"});
  REQUIRE(o.code == 0);
  REQUIRE(o.out.find(" T\n") != std::string::npos);
  REQUIRE(o.out.find("1573.00 B") == std::string::npos);
}

TEST_CASE("count auto where the engine cannot run the model on the GPU plans one and says no count helps",
          "[cli][v4]") {
  // vLLM has no Metal backend: no count of M3 Ultras runs V4-Flash on it; 64 of them were planned
  // beside "not a memory limit" (audit 54).
  const auto o = run_cli({"estimate", "v4-flash", "--engine", "vllm", "--gpu", "apple-m3-ultra", "--count", "auto"});
  REQUIRE(o.code == 0);
  REQUIRE(o.out.find("--count auto: no count of Apple M3 Ultra helps, vLLM cannot run DeepSeek-V4-Flash on it") !=
          std::string::npos);
  REQUIRE(o.out.find("are planned") == std::string::npos);
}
