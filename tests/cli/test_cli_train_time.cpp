// `dsplan train`: what is timed and priced (only runs that fit, with a token budget of at least
// one step), what --mfu means (model FLOPs, recompute excluded), the pipeline bubble, and the
// memory terms a new-user audit found missing (stop 47).
#include <nlohmann/json.hpp>

#include "cli_support.hpp"

using dsplan::test::require_usage_error;
using dsplan::test::run_cli;
using dsplan::test::run_json;
using nlohmann::json;

TEST_CASE("train: a run that does not fit is neither timed nor priced", "[cli][training]") {
  // Full training of a 7.6 B model keeps 16 B per parameter, about 122 GB: not on one 24 GB card.
  const auto j = run_json({"train", "7b", "--gpu", "rtx3090", "--tokens", "1e9"});
  REQUIRE(j["fits"] == false);
  REQUIRE(j["seconds"].is_null());
  REQUIRE(j["cost_usd"].is_null());
  const auto table = run_cli({"train", "7b", "--gpu", "rtx3090", "--tokens", "1e9"});
  REQUIRE(table.out.find("Time and cost: none, it does not fit these GPUs") != std::string::npos);
}

TEST_CASE("train: the pipeline bubble does not depend on the token budget", "[cli][training]") {
  // 8 stages, 1 micro-batch: (8 - 1) / (1 + 8 - 1) = 0.875 idle.
  const auto j = run_json({"train", "7b", "--gpu", "h100-sxm", "--count", "8", "--pp", "4"});
  REQUIRE(j["pipeline_bubble"].get<double>() == Approx(3.0 / 4.0));
  // The advice halves it: 2m + p - 1 = 5 micro-batches per rank (global batch 5 x dp 2 = 10),
  // 3 / (5 + 3) = 37.5 %.
  bool advice = false;
  for (const auto& n : j["notes"])
    if (n.get<std::string>().find("--global-batch 10 (5 micro-batches per data-parallel rank) brings it down to 38%") !=
        std::string::npos)
      advice = true;
  REQUIRE(advice);
}

TEST_CASE("train: --mfu is model FLOPs utilization and the default is 40% of the FLOPs executed", "[cli][training]") {
  // LoRA with full recompute executes one more forward than the model FLOPs count.
  const auto d = run_json({"train", "8b", "--method", "lora", "--gpu", "h100-sxm", "--tokens", "1e9"});
  const double model = d["per_token"]["model_flops"].get<double>();
  const double executed = d["per_token"]["flops"].get<double>();
  REQUIRE(executed > model);
  REQUIRE(d["utilization"].get<double>() == Approx(0.40));
  REQUIRE(d["mfu"].get<double>() == Approx(0.40 * model / executed));
  REQUIRE(d["seconds"].get<double>() == Approx(1e9 * executed / (989.5e12 * 0.40)));
  // A logged MFU of 30%: time = model FLOPs / (peak x 0.30).
  const auto m = run_json({"train", "8b", "--method", "lora", "--gpu", "h100-sxm", "--tokens", "1e9", "--mfu", "0.3"});
  REQUIRE(m["mfu"].get<double>() == Approx(0.30));
  REQUIRE(m["seconds"].get<double>() == Approx(1e9 * model / (989.5e12 * 0.30)));
  // An MFU whose recompute would need more than the peak.
  require_usage_error(
      run_cli({"train", "8b", "--method", "lora", "--gpu", "h100-sxm", "--tokens", "1e9", "--mfu", "0.9"}),
      "more than the peak");
}

TEST_CASE("train: time and cost flags need a token budget of at least one step", "[cli][training]") {
  require_usage_error(run_cli({"train", "7b", "--gpu", "h100-sxm", "--price", "5"}), "--tokens");
  require_usage_error(run_cli({"train", "7b", "--gpu", "h100-sxm", "--mfu", "0.5"}), "--tokens");
  require_usage_error(run_cli({"train", "7b", "--gpu", "h100-sxm", "--precision", "fp8"}), "--tokens");
  require_usage_error(run_cli({"train", "7b", "--method", "qlora", "--fsdp-qlora", "--gpu", "rtx4090"}), "--zero 3");
  // 1,024 GPUs x 2,048 tokens = 2,097,152 tokens per step: 1M tokens is not one step.
  require_usage_error(
      run_cli({"train", "1.5b", "--gpu", "h100-sxm", "--count", "1024", "--zero", "3", "--tokens", "1M"}),
      "less than one optimizer step");
  // Also where the run does not fit (a full fine-tune of the 8B needs 132 GiB of one H100's 80):
  // 1,024 sequences x 2,048 tokens = 2,097,152 tokens per step (audit 53: exit 0 there).
  require_usage_error(run_cli({"train", "8b", "--gpu", "h100-sxm", "--tokens", "1e6", "--global-batch", "1024"}),
                      "less than one optimizer step of this setup (2097152 tokens");
}

TEST_CASE("train: the block rebuilt under full recompute holds the attention probabilities without flash attention",
          "[cli][training]") {
  // R1-Distill-Qwen-7B (28 heads) at 8,192 tokens: bf16 probabilities are 2 x 28 x 8,192 = 458,752 B
  // per token on top of what the block saves with flash attention.
  const auto flash = run_json({"train", "7b", "--method", "lora", "--seq", "8k"});
  const auto eager = run_json({"train", "7b", "--method", "lora", "--seq", "8k", "--no-flash-attn"});
  REQUIRE(eager["per_token"]["recompute_peak_bytes"].get<std::uint64_t>() ==
          flash["per_token"]["recompute_peak_bytes"].get<std::uint64_t>() + 458'752);
}

TEST_CASE("train: ZeRO-3 gathers the output head whole when it outweighs a block", "[cli][training]") {
  // R1-Distill-Qwen-1.5B: a 151,936 x 1,536 head (and embedding), 233,373,696 parameters, 466,747,392
  // bf16 bytes; one of its blocks is about 47 M parameters.
  const auto j = run_json({"train", "1.5b", "--gpu", "rtx4090", "--count", "4", "--zero", "3"});
  REQUIRE(j["memory_per_gpu"]["gathered_weights_bytes"].get<std::uint64_t>() == 466'747'392);
}

TEST_CASE("train: the LoRA rank limit names the target that binds", "[cli][training]") {
  // Qwen2.5-7B's attn_k is 512 x 3,584 (4 KV heads of 128): the smallest attention target.
  require_usage_error(run_cli({"train", "7b", "--method", "lora", "--rank", "4096", "--targets", "attn"}), "r <= 512");
  REQUIRE(run_cli({"train", "7b", "--method", "lora", "--rank", "512", "--targets", "attn"}).code == 0);
}

// Money beside the train fixes: a CPU-only machine is costed as owned, and the TCO label keeps
// fractional years.
TEST_CASE("estimate: a CPU-only machine is costed as owned, not left blank", "[cli][cost]") {
  const auto o = run_cli({"estimate", "7b", "--ram", "64", "--cpu", "epyc-9654", "--json"});
  REQUIRE(o.code == 0);
  const auto owned = json::parse(o.out)["cost"]["owned"];
  // EPYC 9654: 360 W TDP x 0.6 load share (data/prices.json gpu_power_fraction) x PUE 1.0 (desk side).
  REQUIRE(owned["power_watts"].get<double>() == Approx(360.0 * 0.6));
  REQUIRE(owned["purchase_usd"].get<double>() == 0.0);
  REQUIRE(owned["host_usd"].get<double>() > 11805.0);  // the CPU's 1kU price and the RAM
  require_usage_error(run_cli({"estimate", "7b", "--ram", "64", "--price", "3"}), "runs on the CPU alone");
  const auto years = run_cli({"estimate", "7b", "--gpu", "rtx4090", "--years", "2.5"});
  REQUIRE(years.out.find("2.5-year TCO") != std::string::npos);
}

TEST_CASE("train: ZeRO-3 over PCIe and between nodes is timed by its traffic when that is longer", "[cli][training]") {
  // R1 QLoRA on 32 RTX 4090s (4 nodes): each GPU gathers the whole NF4 partition twice per step,
  // hundreds of GB, over PCIe 4.0 x16 (16 GT/s x 16 lanes / 8 = 32 GB/s one way).
  const auto j = run_json({"train", "r1", "--method", "qlora", "--gpu", "rtx4090", "--count", "32", "--zero", "3",
                           "--fsdp-qlora", "--fused-loss", "--optimizer", "adamw8bit", "--tokens", "1e7"});
  REQUIRE(j["fits"] == true);
  const double comm = j["comm_seconds_per_step"].get<double>();
  REQUIRE(comm > j["compute_seconds_per_step"].get<double>());
  REQUIRE(j["comm_bytes_per_step"].get<double>() / comm == Approx(32e9).epsilon(0.02));
  REQUIRE(j["seconds"].get<double>() == Approx(j["steps"].get<double>() * comm));
  // The gathers alone: at least twice 31/32 of the NF4 weights (about 362 GB with the bf16 embedding and head).
  REQUIRE(j["comm_bytes_per_step"].get<double>() > 2.0 * 31.0 / 32.0 * 340e9);
}

TEST_CASE("train --explain derives the time and cost from their factors", "[cli][training]") {
  const auto o = run_cli({"--explain", "train", "8b", "--method", "lora", "--gpu", "h100-sxm", "--tokens", "1e9"});
  REQUIRE(o.code == 0);
  REQUIRE(o.out.find("\nDerivation\n") != std::string::npos);
  // H100 SXM dense BF16 989.5 TFLOPS (datasheet), utilization 0.40 on the FLOPs executed.
  REQUIRE(o.out.find("(1 x 989.5 TFLOPS x 0.400) / (1 - 0.000)") != std::string::npos);
  const auto j =
      run_cli({"--explain", "train", "8b", "--method", "lora", "--gpu", "h100-sxm", "--tokens", "1e9", "--json"});
  REQUIRE(json::parse(j.out)["derivation"].size() >= 4);
  // Without --explain there is no derivation.
  REQUIRE(run_json({"train", "8b", "--method", "lora"}).count("derivation") == 0);
}

TEST_CASE("train prices owned GPUs: the run's amortization and its electricity at TDP", "[cli][training]") {
  // R1-Distill-Qwen-7B QLoRA on one RTX 3090 (350 W TDP; host 30 % on top, PUE 1.0 desk-side).
  const auto j = run_json({"train", "7b", "--method", "qlora", "--gpu", "rtx3090", "--tokens", "100M", "--kwh-price",
                           "0.3", "--years", "4", "--maintenance", "0"});
  const auto& owned = j["owned"];
  REQUIRE(owned["power_watts"].get<double>() == Approx(350.0 * 1.3));
  const double hours = j["seconds"].get<double>() / 3600.0;
  REQUIRE(owned["power_usd"].get<double>() == Approx(0.455 * hours * 0.3));
  REQUIRE(owned["amortization_usd"].get<double>() ==
          Approx(owned["hardware_usd"].get<double>() / 4.0 / 8760.0 * hours));
  REQUIRE(owned["cost_usd"].get<double>() ==
          Approx(owned["power_usd"].get<double>() + owned["amortization_usd"].get<double>()));
  require_usage_error(run_cli({"train", "7b", "--gpu", "rtx3090", "--kwh-price", "0.3"}), "--tokens");
}

TEST_CASE("a cost flag on a command without a cost says where it belongs", "[cli][cost]") {
  require_usage_error(run_cli({"compare", "7b", "--gpu", "h100-sxm", "--price", "2"}),
                      "dsplan estimate, check, recommend or train with --price: this command prints no cost");
  require_usage_error(run_cli({"estimate", "7b", "--gpu", "h100-sxm", "--hours", "2"}), "--tokens-per-day");
}

TEST_CASE("train: when the traffic sets the step, the MFU printed is the one achieved", "[cli][training]") {
  // 70B full training with ZeRO-3 on 64 H100s (8 nodes): the weight gathers cross InfiniBand.
  const auto j = run_json({"train", "70b", "--gpu", "h100-sxm", "--count", "64", "--zero", "3", "--tokens", "1e8"});
  const double compute = j["compute_seconds_per_step"].get<double>();
  const double comm = j["comm_seconds_per_step"].get<double>();
  REQUIRE(comm > compute);
  REQUIRE(j["utilization"].get<double>() == Approx(0.40 * compute / comm));
  // A logged MFU already includes the traffic: the time is model FLOPs / (peak x MFU).
  const auto logged = run_json(
      {"train", "70b", "--gpu", "h100-sxm", "--count", "64", "--zero", "3", "--tokens", "1e8", "--mfu", "0.3"});
  REQUIRE(logged["seconds"].get<double>() ==
          Approx(1e8 * logged["per_token"]["model_flops"].get<double>() / (64 * 989.5e12 * 0.3)).epsilon(1e-3));
  require_usage_error(run_cli({"train", "7b", "--tokens", "1e9", "--kwh-price", "0.3"}), "needs --gpu NAME");
}

TEST_CASE("one purchase price is refused where it would price a CPU or every GPU type", "[cli][cost]") {
  require_usage_error(run_cli({"estimate", "7b", "--ram", "64", "--purchase-price", "100"}), "runs on the CPU alone");
  require_usage_error(run_cli({"recommend", "--cloud", "--task", "code", "--purchase-price", "100"}),
                      "--cloud compares every GPU type");
}
