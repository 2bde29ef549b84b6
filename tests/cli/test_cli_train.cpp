// `dsplan train` through the CLI: the documented JSON fields, their arithmetic, and exit 2 on bad
// combinations.
#include <nlohmann/json.hpp>

#include "cli_support.hpp"

using nlohmann::json;
using dsplan::test::fixture;
using dsplan::test::require_usage_error;
using dsplan::test::run_cli;

TEST_CASE("train --json carries the documented fields", "[cli][training]") {
  const auto o = run_cli({"train", "14b", "--method", "lora", "--rank", "16", "--gpu", "h100-sxm", "--count", "2",
                          "--zero", "3", "--tokens", "1e8", "--price", "2.5", "--json"});
  REQUIRE(o.code == 0);
  REQUIRE(o.err.empty());
  const auto j = json::parse(o.out);
  REQUIRE(j["schema_version"] == 1);
  REQUIRE(j["model"] == "r1-distill-qwen-14b");
  REQUIRE(j["method"] == "lora");
  REQUIRE(j["gpus"] == 2);
  REQUIRE(j["fits"].is_boolean());
  const auto& m = j["memory_per_gpu"];
  std::uint64_t sum = 0;
  for (const char* key : {"weights_bytes", "gradients_bytes", "optimizer_bytes", "activations_bytes",
                          "gathered_weights_bytes", "overhead_bytes"}) {
    REQUIRE(m[key].is_number_unsigned());
    sum += m[key].get<std::uint64_t>();
  }
  REQUIRE(m["total_bytes"].get<std::uint64_t>() == sum);
  REQUIRE(m["activations_bytes"].get<std::uint64_t>() ==
          m["activation_layers_bytes"].get<std::uint64_t>() + m["logits_bytes"].get<std::uint64_t>());
  REQUIRE(j["trainable_params"].is_number_unsigned());
  // GPU-hours = seconds x GPUs / 3600; cost = GPU-hours x price; days = seconds / 86400.
  const double seconds = j["seconds"].get<double>();
  REQUIRE(j["gpu_hours"].get<double>() == Approx(seconds * 2 / 3600));
  REQUIRE(j["days"].get<double>() == Approx(seconds / 86400));
  REQUIRE(j["cost_usd"].get<double>() == Approx(j["gpu_hours"].get<double>() * 2.5));
}

TEST_CASE("train without tokens or GPU leaves time, cost and fit null", "[cli][training]") {
  const auto o = run_cli({"train", "7b", "--json"});
  REQUIRE(o.code == 0);
  const auto j = json::parse(o.out);
  REQUIRE(j["fits"].is_null());
  REQUIRE(j["gpu_hours"].is_null());
  REQUIRE(j["cost_usd"].is_null());
  REQUIRE(j["memory_per_gpu"]["total_bytes"].get<std::uint64_t>() > 0);
}

TEST_CASE("train --count auto reports the count it chose", "[cli][training]") {
  const auto o = run_cli({"train", "32b", "--gpu", "a100-80g", "--count", "auto", "--zero", "3", "--json"});
  REQUIRE(o.code == 0);
  const auto j = json::parse(o.out);
  REQUIRE(j["fits"] == true);
  REQUIRE(j["auto_count"] == j["gpus"]);
  REQUIRE(j["gpus"].get<int>() > 1);  // 32.8 B x 16 B of model states alone exceed one 80 GB card
}

TEST_CASE("train: bad combinations exit 2 with one line", "[cli][training]") {
  require_usage_error(run_cli({"train", "7b", "--method", "lora", "--rank", "600"}), "--rank 600");
  require_usage_error(run_cli({"train", "7b", "--method", "qlora", "--zero", "3", "--gpu", "a100-80g", "--count", "2"}),
                      "--fsdp-qlora");
  require_usage_error(run_cli({"train", "7b", "--rank", "8"}), "--rank applies");
  require_usage_error(run_cli({"train", "7b", "--method", "dora"}), "--method");
  require_usage_error(run_cli({"train", "7b", "--zero", "4"}), "--zero");
  require_usage_error(run_cli({"train", "7b", "--count", "3", "--gpu", "h100-sxm", "--tp", "2"}), "tensor-parallel 2");
  require_usage_error(run_cli({"train", "7b", "--count", "auto"}), "--count needs --gpu");
  require_usage_error(run_cli({"train", "7b", "--tokens", "lots"}), "--tokens");
  require_usage_error(run_cli({"train", "7b", "--ep", "2", "--gpu", "h100-sxm", "--count", "2"}), "routed experts");
  require_usage_error(run_cli({"train", "nosuchmodel"}), "unknown model");
  // R1-Distill-Llama-8B: 32 heads, 8 KV heads, 32 blocks (config.json); R1: 256 routed experts.
  require_usage_error(run_cli({"train", "8b", "--tp", "3", "--gpu", "h100-sxm", "--count", "3"}),
                      "--tp: tensor parallel size 3 does not divide the 32 attention heads");
  require_usage_error(run_cli({"train", "8b", "--pp", "33", "--gpu", "h100-sxm", "--count", "33"}),
                      "--pp: 33 pipeline stages for 32 blocks");
  require_usage_error(run_cli({"train", "r1", "--ep", "512", "--gpu", "h100-sxm", "--count", "512"}),
                      "--ep: expert parallel size 512 does not divide the 256 routed experts");
  // A sequence past max_position_embeddings (131,072 for the 8B), refused as estimate refuses such a context.
  require_usage_error(run_cli({"train", "8b", "--method", "lora", "--seq", "1m", "--tokens", "1e9"}),
                      "--seq 1048576 exceeds DeepSeek-R1-Distill-Llama-8B's maximum of 131072 tokens");
  REQUIRE(run_cli({"train", "8b", "--method", "lora", "--seq", "128k"}).code == 0);
}

TEST_CASE("train table says what fits", "[cli][training]") {
  const auto o = run_cli({"--catalog", fixture(), "train", "tiny", "--gpu", "tiny-gpu", "--tokens", "1e6"});
  REQUIRE(o.code == 0);
  REQUIRE(o.out.find("Fits:") != std::string::npos);
  REQUIRE(o.out.find("GPU-hours") != std::string::npos);
}

// One GPU, one sequence, one step are singular; 8 data-parallel GPUs at micro-batch 1 make a
// global batch of 8 sequences (docs/cli.md --global-batch default).
TEST_CASE("train table: counts of one are singular", "[cli][training]") {
  const auto one = run_cli({"train", "8b", "--method", "lora", "--gpu", "h100-sxm", "--tokens", "1e9"});
  REQUIRE(one.code == 0);
  REQUIRE(one.out.find("global batch 1 sequence (1 accumulation step)") != std::string::npos);
  REQUIRE(one.out.find(" on 1 GPU at ") != std::string::npos);
  const auto eight = run_cli({"train", "8b", "--method", "lora", "--gpu", "h100-sxm", "--count", "8", "--global-batch",
                              "16", "--tokens", "1e9"});
  REQUIRE(eight.code == 0);
  REQUIRE(eight.out.find("global batch 16 sequences (2 accumulation steps)") != std::string::npos);
  REQUIRE(eight.out.find(" on 8 GPUs at ") != std::string::npos);
}

TEST_CASE("train: a pipeline's 1F1B bubble lengthens the time by 1 / (1 - (p - 1) / (m + p - 1))", "[cli][training]") {
  const auto seconds = [](std::vector<std::string> extra) {
    // One 8-GPU node: the gradient all-reduce over NVLink stays below the compute, so the time
    // is the compute's and the bubble alone sets the ratio.
    std::vector<std::string> args{"train",  "7b", "--gpu",    "h100-sxm", "--count", "8",
                                  "--zero", "1",  "--tokens", "1e9",      "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto o = run_cli(args);
    REQUIRE(o.code == 0);
    return json::parse(o.out);
  };
  const auto flat = seconds({});
  REQUIRE(flat["fits"] == true);  // a layout that does not fit is not timed
  REQUIRE(flat["pipeline_bubble"].get<double>() == 0.0);
  REQUIRE(flat["comm_seconds_per_step"].get<double>() < flat["compute_seconds_per_step"].get<double>());
  // 4 stages, 1 micro-batch per step: 3 of 4 slots idle, the same FLOPs on 8 GPUs take 4 times as long.
  const auto deep = seconds({"--pp", "4"});
  REQUIRE(deep["pipeline_bubble"].get<double>() == Approx(0.75));
  REQUIRE(deep["seconds"].get<double>() == Approx(4 * flat["seconds"].get<double>()));
  // 2 data-parallel ranks x 12 micro-batches: 3 / (12 + 3) = 20 % idle.
  const auto batched = seconds({"--pp", "4", "--global-batch", "24"});
  REQUIRE(batched["grad_accumulation"] == 12);
  REQUIRE(batched["pipeline_bubble"].get<double>() == Approx(0.2));
  REQUIRE(batched["seconds"].get<double>() == Approx(flat["seconds"].get<double>() / 0.8));
}

TEST_CASE("train --count auto that finds nothing says the headroom and what ZeRO below 3 keeps", "[cli][training]") {
  // 77.55 GiB per GPU fits an H100's 79.65 GiB (an explicit count says "Fits"), but not the
  // 0.95 x 79.65 = 75.67 GiB --count auto leaves in use; ZeRO-1 keeps whole weights and gradients.
  const auto o = run_cli({"train", "70b", "--gpu", "h100-sxm", "--count", "auto", "--tp", "4", "--zero", "1"});
  REQUIRE(o.code == 1);
  REQUIRE(o.out.find("(--count auto keeps 5% free: see the note)") != std::string::npos);
  REQUIRE(o.out.find("--count auto leaves 5% of each GPU free (75.67 of 79.65 GiB)") != std::string::npos);
  REQUIRE(o.out.find("with ZeRO-1 more GPUs do not shrink the weights and gradients each holds") != std::string::npos);
}

TEST_CASE("train FP8 on a GPU without FP8 or BF16 says it is timed at FP16", "[cli][training]") {
  // A V100 has neither FP8 nor BF16 tensor cores: the two notes must name the same fallback rate.
  const auto o =
      run_cli({"train", "7b", "--gpu", "v100-32g", "--precision", "fp8", "--tokens", "1e9", "--method", "lora"});
  REQUIRE(o.code == 0);
  REQUIRE(o.out.find("has no FP8 tensor cores; time uses its FP16 peak") != std::string::npos);
  REQUIRE(o.out.find("BF16 peak") == std::string::npos);
}
