// `dsplan recommend` on the hardware people ask about. Each case states what must hold and why;
// the assertions check properties of the answer (it fits, it is the right class of model), not
// a copy of today's output. docs/decisions.md walks through the same cases.
#include <nlohmann/json.hpp>

#include "cli_support.hpp"

using nlohmann::json;
using dsplan::test::require_usage_error;
using dsplan::test::run_cli;

namespace {

constexpr double k_gib = 1024.0 * 1024.0 * 1024.0;

json recommend(const std::vector<std::string>& args) {
  std::vector<std::string> full{"recommend"};
  full.insert(full.end(), args.begin(), args.end());
  full.push_back("--json");
  full.push_back("--all");  // the cases below look through every candidate
  const auto o = run_cli(full);
  INFO(o.err);
  REQUIRE(o.code == 0);
  return json::parse(o.out);
}

double gpu_gib(const json& c) { return c["memory"]["gpu_bytes"].get<double>() / k_gib; }

bool is_671b(const std::string& model) { return model.rfind("deepseek-", 0) == 0; }

/// A feasible candidate of `model` stored in one of `quants`, if any.
const json* feasible(const json& rec, const std::string& model, std::initializer_list<const char*> quants) {
  for (const auto& c : rec["candidates"])
    if (c["feasible"] == true && c["model"] == model)
      for (const char* q : quants)
        if (c["quant"] == q) return &c;
  return nullptr;
}

void require_pick_sane(const json& rec, double gpu_memory_gib) {
  const auto& pick = rec["pick"];
  REQUIRE(pick.is_object());
  REQUIRE(pick["feasible"] == true);
  REQUIRE(pick["rank"] == 1);
  REQUIRE(pick["reasons"].empty());
  REQUIRE(gpu_gib(pick) <= gpu_memory_gib);
  REQUIRE(pick["throughput"]["decode_tokens_per_s"].get<double>() >= 5.0);  // the default floor
  REQUIRE(pick["command"].is_string());
  // What the placed devices hold adds up to the total.
  const auto& memory = pick["memory"];
  REQUIRE(memory["total_bytes"].get<std::uint64_t>() ==
          memory["gpu_bytes"].get<std::uint64_t>() + memory["ram_bytes"].get<std::uint64_t>());
  // The pick ranks first: no feasible candidate scores more than half a point (a tie) above it.
  for (const auto& c : rec["candidates"])
    if (c["feasible"] == true) REQUIRE(c["score"].get<double>() <= pick["score"].get<double>() + 0.5);
}

}  // namespace

// A laptop GPU with 8 GB and no RAM figure: nothing may spill to system RAM, so the pick is a
// distill small enough to sit on the card (a 671B model needs 130+ GB even at 1.6 bits).
TEST_CASE("recommend: laptop with 8 GB", "[cli][recommend]") {
  const auto rec = recommend({"--vram", "8", "--task", "code"});
  require_pick_sane(rec, 8.0);
  REQUIRE_FALSE(is_671b(rec["pick"]["model"]));
  REQUIRE(rec["pick"]["memory"]["ram_bytes"].get<double>() < 1.0 * k_gib);  // the token table at most
  REQUIRE(rec["pick"]["layout"] == "all on GPU");
}

// One 24 GB card (3090/4090): a 32B distill at Q4_K_M (about 19 GiB of weights) fits with an 8K
// context; the 70B (40+ GiB at Q4) cannot without RAM.
TEST_CASE("recommend: one 24 GB card", "[cli][recommend]") {
  const auto rec = recommend({"--gpu", "rtx4090", "--task", "code"});
  require_pick_sane(rec, 24.0);
  REQUIRE_FALSE(is_671b(rec["pick"]["model"]));
  REQUIRE(feasible(rec, "r1-distill-qwen-32b", {"q4_k_m"}) != nullptr);
  REQUIRE(feasible(rec, "r1-distill-llama-70b", {"q4_k_m", "q5_k_m", "q6_k", "q8_0"}) == nullptr);
}

// An RTX 5090 (32 GB): the 32B distill fits at Q5_K_M or better, and whatever is picked fits.
TEST_CASE("recommend: RTX 5090", "[cli][recommend]") {
  const auto rec = recommend({"--gpu", "rtx5090", "--task", "math"});
  require_pick_sane(rec, 32.0);
  REQUIRE(feasible(rec, "r1-distill-qwen-32b", {"q5_k_m", "q6_k"}) != nullptr);
}

// Two 24 GB cards: layer split over both holds the 70B distill at Q4_K_M (about 40 GiB).
TEST_CASE("recommend: two 24 GB cards", "[cli][recommend]") {
  const auto rec = recommend({"--vram", "24", "--gpus", "2", "--task", "chat"});
  require_pick_sane(rec, 48.0);
  REQUIRE(feasible(rec, "r1-distill-llama-70b", {"q4_k_m"}) != nullptr);
}

// One 80 GB A100: the 70B distill fits at Q4_K_M and Q6_K; no 671B model fits without RAM.
TEST_CASE("recommend: one A100 80 GB", "[cli][recommend]") {
  const auto rec = recommend({"--gpu", "a100-80g", "--task", "reasoning"});
  require_pick_sane(rec, 80.0);
  REQUIRE(feasible(rec, "r1-distill-llama-70b", {"q4_k_m"}) != nullptr);
  for (const auto& c : rec["candidates"])
    if (is_671b(c["model"])) REQUIRE(c["feasible"] == false);
}

// 8 x H100 (640 GB): the FP8 671B checkpoint (~640 GiB of weights) does not fit in vLLM/SGLang's
// 90% of each card; a GGUF of the 671B line does, and beats every distill on code.
TEST_CASE("recommend: 8 x H100", "[cli][recommend]") {
  const auto rec = recommend({"--gpu", "h100-sxm", "--count", "8", "--task", "code"});
  require_pick_sane(rec, 640.0);
  REQUIRE(is_671b(rec["pick"]["model"]));
  REQUIRE(feasible(rec, "deepseek-r1", {"fp8"}) == nullptr);
}

// 8 x H200 (1,128 GB): the 671B line runs in its published FP8 with tensor parallelism; with
// 32 users the cache for 32 x 8K tokens fits too.
TEST_CASE("recommend: 8 x H200 serving 32 users", "[cli][recommend]") {
  const auto rec = recommend({"--gpu", "h200", "--count", "8", "--task", "chat", "--users", "32"});
  require_pick_sane(rec, 8 * 141.0);
  REQUIRE(is_671b(rec["pick"]["model"]));
  REQUIRE(rec["pick"]["quant"] == "fp8");
  REQUIRE(rec["pick"]["layout"] == "TP 8");
}

// 128 users of 8K tokens: under TP 8 every H200 would hold the MLA cache of all of them, 128 x
// 8,192 x 70,272 B = 73.7 GB (bf16 latent, 576 values x 61 layers) beside ~78 GiB of FP8
// weights, over the 124 GiB SGLang may use. Data-parallel attention holds 16 users per GPU
// (9.2 GB), so the 671B line still runs in FP8, with the engine's DP-attention flags.
// Renting for 500 users of 8K tokens: under TP every rank of a 671B deployment would hold all
// their MLA caches, 500 x 8,192 x 70,272 B = 288 GB, more than any catalog GPU beside the weights,
// so only pipeline stages of 8-GPU groups (32 GPUs and more) held it. With data-parallel attention
// each rank holds its own 63 users (36 GB) and one 8-GPU node serves them.
TEST_CASE("recommend --cloud: many users of the 671B line rent one node with data-parallel attention",
          "[cli][recommend]") {
  const auto rec = recommend({"--cloud", "--task", "chat", "--users", "500"});
  REQUIRE(is_671b(rec["pick"]["model"]));
  REQUIRE(rec["pick"]["layout"] == "TP 8 + DP attention");
  REQUIRE(rec["pick"]["gpus"] == 8);
}

TEST_CASE("recommend: 8 x H200 serving 128 users falls back to data-parallel attention", "[cli][recommend]") {
  const auto rec = recommend({"--gpu", "h200", "--count", "8", "--task", "chat", "--users", "128"});
  require_pick_sane(rec, 8 * 141.0);
  REQUIRE(is_671b(rec["pick"]["model"]));
  REQUIRE(rec["pick"]["quant"] == "fp8");
  REQUIRE(rec["pick"]["layout"] == "TP 8 + DP attention");
  REQUIRE(rec["pick"]["command"].get<std::string>().find("--enable-dp-attention") != std::string::npos);
}

// A 24 GB card with 512 GB of RAM on a 12-channel EPYC: the 671B line with its routed experts in
// RAM is the quality pick; the command says so. The card holds the dense parts and, of a 671B
// model's 61 blocks, at most a few blocks' experts (one block's 11.3 B expert weights are 4.5-7.2 GiB at 3.4-5.5 bits),
// so llama.cpp's --n-cpu-moe keeps at least 55 blocks' experts in RAM.
TEST_CASE("recommend: 24 GB card and 512 GB RAM", "[cli][recommend]") {
  const auto rec = recommend({"--vram", "24", "--ram", "512", "--cpu", "epyc-9654", "--task", "reasoning"});
  require_pick_sane(rec, 24.0);
  REQUIRE(is_671b(rec["pick"]["model"]));
  REQUIRE(rec["pick"]["layout"] == "experts in RAM");
  const std::string command = rec["pick"]["command"];
  const auto n_cpu_moe = command.find("--n-cpu-moe ");
  REQUIRE(n_cpu_moe != std::string::npos);
  const int blocks = std::stoi(command.substr(n_cpu_moe + 12));
  REQUIRE(blocks >= 55);
  REQUIRE(blocks <= 61);
  REQUIRE(rec["pick"]["memory"]["ram_bytes"].get<double>() <= 512.0 * k_gib);
}

// The same 671B pick with its experts in RAM: on a 96-core EPYC the CPU computes the prompt's experts
// faster than the GPU gets them over PCIe for each 512-token batch, so recommend runs it with
// --no-op-offload and times it so; estimate of the same plan with the flag gives the same first token.
// On a desktop CPU the copy is the faster, and the command keeps llama.cpp's default.
TEST_CASE("recommend: experts in RAM run the prompt where it is faster, CPU or GPU", "[cli][recommend]") {
  const auto rec = recommend({"--gpu", "rtx4090", "--ram", "512", "--cpu", "epyc-9654", "--task", "reasoning"});
  const auto& pick = rec["pick"];
  const std::string command = pick["command"];
  REQUIRE(command.find(" --no-op-offload") != std::string::npos);
  const auto n_cpu_moe = command.find("--n-cpu-moe ");
  REQUIRE(n_cpu_moe != std::string::npos);
  const std::string blocks = std::to_string(std::stoi(command.substr(n_cpu_moe + 12)));
  const auto plan = [&](bool on_cpu) {
    std::vector<std::string> args = {"estimate", pick["model"], "-q",          pick["quant"], "--gpu",
                                     "rtx4090",  "--cpu",       "epyc-9654",   "--ram",       "512",
                                     "-c",       "8192",        "--n-cpu-moe", blocks,        "--json"};
    if (on_cpu) args.push_back("--no-op-offload");
    const auto o = run_cli(args);
    INFO(o.err);
    REQUIRE(o.code == 0);
    return json::parse(o.out);
  };
  const auto on_cpu = plan(true);
  const auto copied = plan(false);
  REQUIRE(pick["throughput"]["ttft_s"].get<double>() ==
          Approx(on_cpu["throughput"]["ttft_s"].get<double>()).epsilon(1e-6));
  REQUIRE(on_cpu["throughput"]["ttft_s"].get<double>() < copied["throughput"]["ttft_s"].get<double>());
  bool explained = false;
  for (const auto& line : rec["why"])
    explained = explained || line.get<std::string>().find("--no-op-offload") != std::string::npos;
  REQUIRE(explained);
  const auto desktop = recommend({"--gpu", "rtx4090", "--ram", "256", "--task", "reasoning"});
  REQUIRE(desktop["pick"]["command"].get<std::string>().find("op-offload") == std::string::npos);
}

// Eight 24 GB cards and 256 GiB of RAM: the 671B pick keeps its routed experts in RAM for as few
// blocks as the GPUs need, with a tensor split that fills each GPU up to recommend's 5 % headroom
// (it had left seven of them nearly empty: 31 of 192 GiB used), and its Run line carries that split.
TEST_CASE("recommend: several GPUs with experts in RAM are filled up to the headroom", "[cli][recommend]") {
  const auto rec = recommend({"--gpus", "8xrtx3090", "--ram", "256", "--model", "r1", "--quant", "q2_k"});
  const auto& pick = rec["pick"];
  REQUIRE(pick["layout"] == "experts in RAM");
  REQUIRE(pick["fullest_device_fraction"].get<double>() <= 0.95);
  REQUIRE(gpu_gib(pick) > 0.75 * 192.0);
  REQUIRE(pick["command"].get<std::string>().find(" -ts ") != std::string::npos);
}

// A Mac with 128 GB of unified memory (M3 Max): macOS lets the GPU wire 96 GiB, enough for the
// 70B distill at Q4_K_M but not for any 671B quant (130+ GiB).
TEST_CASE("recommend: Mac with 128 GB", "[cli][recommend]") {
  const auto rec = recommend({"--gpu", "apple-m3-max", "--task", "chat"});
  require_pick_sane(rec, 96.0);
  REQUIRE(feasible(rec, "r1-distill-llama-70b", {"q4_k_m"}) != nullptr);
  REQUIRE_FALSE(is_671b(rec["pick"]["model"]));
}

// Renting: the pick stays within the monthly budget, and a larger budget never buys a worse pick.
TEST_CASE("recommend: cloud at a budget", "[cli][recommend]") {
  const auto small = recommend({"--cloud", "--budget-usd", "1000", "--task", "code"});
  const auto large = recommend({"--cloud", "--budget-usd", "30000", "--task", "code"});
  for (const auto* rec : {&small, &large}) {
    REQUIRE((*rec)["pick"]["feasible"] == true);
    REQUIRE((*rec)["pick"]["cost"]["usd_per_month"].get<double>() <= (*rec)["budget_usd"].get<double>());
  }
  REQUIRE(large["pick"]["score"].get<double>() >= small["pick"]["score"].get<double>());
}

// Short answers (classify): thinking tokens buy little, so a V3-line model answers when one is
// within 10% of the best score; on 8 x H200 V3.1 is.
TEST_CASE("recommend: short-answer tasks prefer a non-reasoning model", "[cli][recommend]") {
  const auto rec = recommend({"--gpu", "h200", "--count", "8", "--task", "classify"});
  REQUIRE(rec["pick"]["reasoning_model"] == false);
}

// --prefer speed trades at most 10% of the best score for tokens/s; --prefer cost for dollars.
TEST_CASE("recommend: preferences", "[cli][recommend]") {
  const auto quality = recommend({"--vram", "24", "--task", "code"});
  const auto speed = recommend({"--vram", "24", "--task", "code", "--prefer", "speed"});
  REQUIRE(speed["pick"]["throughput"]["decode_tokens_per_s"].get<double>() >=
          quality["pick"]["throughput"]["decode_tokens_per_s"].get<double>());
  REQUIRE(speed["pick"]["score"].get<double>() >= 0.9 * quality["pick"]["score"].get<double>() - 1e-9);
  const auto cheap = recommend({"--cloud", "--task", "chat", "--prefer", "cost"});
  const auto best = recommend({"--cloud", "--task", "chat"});
  REQUIRE(cheap["pick"]["cost"]["usd_per_month"].get<double>() <=
          best["pick"]["cost"]["usd_per_month"].get<double>());
}

// Limits are honoured: every feasible candidate meets --min-tps and --latency-ms.
TEST_CASE("recommend: limits", "[cli][recommend]") {
  const auto rec = recommend({"--gpu", "rtx3090", "--task", "chat", "--min-tps", "60", "--latency-ms", "1500"});
  for (const auto& c : rec["candidates"])
    if (c["feasible"] == true) {
      REQUIRE(c["throughput"]["decode_tokens_per_s"].get<double>() >= 60.0);
      REQUIRE(c["throughput"]["ttft_s"].get<double>() <= 1.5);
    }
}

TEST_CASE("recommend: nothing fits is exit 1 with the reasons", "[cli][recommend]") {
  const auto o = run_cli({"recommend", "--vram", "1", "--task", "code", "--min-tps", "100000"});
  REQUIRE(o.code == 1);
  REQUIRE(o.out.find("Nothing fits") != std::string::npos);
  // DeepSeek-V4-Flash fits 8 x H200 (it needs 2), but has no published code benchmark: the
  // answer says so instead of claiming that nothing fits.
  const auto v4 = run_cli({"recommend", "--gpu", "h200", "--count", "8", "--task", "code", "--model", "v4-flash"});
  REQUIRE(v4.code == 1);
  REQUIRE(v4.out.find("Nothing fits") == std::string::npos);
  REQUIRE(v4.out.find("Nothing to rank: the task code ranks by published benchmarks, and DeepSeek-V4-Flash has none") !=
          std::string::npos);
}

TEST_CASE("recommend: a context past every window is bad input and one only V4 holds names V4", "[cli][recommend]") {
  // DeepSeek-V4's window is 1,048,576 tokens (config.json max_position_embeddings), the longest.
  require_usage_error(
      run_cli({"recommend", "--vram", "24", "--context", "2m"}),
      "--context 2097152 exceeds every model's maximum; the longest is DeepSeek-V4-Flash's 1048576 tokens");
  // At 1M only V4 (no chat benchmark) holds the context: that is the answer, not "nothing fits".
  const auto o = run_cli({"recommend", "--vram", "24", "--context", "1m"});
  REQUIRE(o.code == 1);
  REQUIRE(o.out.find("DeepSeek-V4-Flash, DeepSeek-V4-Pro have none; 'dsplan estimate deepseek-v4-flash' (or "
                     "deepseek-v4-pro) with the same hardware flags") != std::string::npos);
}

// A file that fits but decodes too slowly is shown in its fastest placement: R1 at 1.6 bits on a
// 24 GB card and 192 GiB RAM runs several times faster with its experts in RAM (--n-cpu-moe) than
// with whole blocks there, and "decodes 1.0 tokens/s" would understate what the file can do.
TEST_CASE("recommend: a rejected file is shown in the placement closest to the limits", "[cli][recommend]") {
  const auto o =
      run_cli({"recommend", "--gpu", "rtx4090", "--ram", "192", "--model", "r1", "--min-tps", "50", "--json", "--all"});
  REQUIRE(o.code == 1);  // nothing meets 50 tokens/s
  const auto j = json::parse(o.out);
  REQUIRE_FALSE(j["rejected"].empty());
  const auto& shown = j["rejected"].front();
  REQUIRE(shown["fits"] == true);
  double fastest = 0;
  int placements = 0;
  for (const auto& c : j["candidates"])
    if (c["model"] == shown["model"] && c["quant"] == shown["quant"] && c["fits"] == true) {
      fastest = std::max(fastest, c["throughput"]["decode_tokens_per_s"].get<double>());
      ++placements;
    }
  REQUIRE(placements >= 2);  // whole blocks in RAM, and experts in RAM
  REQUIRE(shown["throughput"]["decode_tokens_per_s"].get<double>() == fastest);
}

TEST_CASE("recommend: input errors exit 2", "[cli][recommend]") {
  require_usage_error(run_cli({"recommend", "--task", "code"}), "hardware");
  require_usage_error(run_cli({"recommend", "--vram", "24", "--task", "poetry"}), "unknown task");
  require_usage_error(run_cli({"recommend", "--vram", "24", "--prefer", "vibes"}), "--prefer");
  require_usage_error(run_cli({"recommend", "--cloud", "--gpu", "h100-sxm"}), "--cloud");
}

// The JSON answer is the pick, the runners-up and the notable rejections; every candidate placed
// (hundreds, most of a megabyte) only with --all.
TEST_CASE("recommend: --json keeps every candidate behind --all", "[cli][recommend]") {
  const auto brief = run_cli({"recommend", "--vram", "24", "--task", "code", "--json"});
  REQUIRE(brief.code == 0);
  const auto j = json::parse(brief.out);
  REQUIRE_FALSE(j.contains("candidates"));
  REQUIRE(j["pick"].is_object());
  REQUIRE(j["runners_up"].size() <= 5);
  REQUIRE(j["rejected"].size() <= 5);
  for (const auto& c : j["rejected"]) REQUIRE(c["feasible"] == false);
  const auto every = run_cli({"recommend", "--vram", "24", "--task", "code", "--json", "--all"});
  const auto all = json::parse(every.out);
  REQUIRE(all["candidates"].size() > j["runners_up"].size() + j["rejected"].size() + 1);
  REQUIRE(all["pick"] == j["pick"]);
}

TEST_CASE("recommend: a rental price is refused where it would price nothing or every GPU alike", "[cli][recommend]") {
  // Own hardware is ranked by its ownership cost: --price (renting) would do nothing.
  dsplan::test::require_usage_error(dsplan::test::run_cli({"recommend", "--vram", "24", "--price", "2"}),
                                    "--price is a rental price, used with --cloud");
  // With --cloud one hourly price cannot stand for every GPU type compared (a B300 at an RTX 3090's rate).
  dsplan::test::require_usage_error(dsplan::test::run_cli({"recommend", "--cloud", "--price", "1"}),
                                    "--cloud compares every GPU type at its catalog price");
  // A budget limits what --cloud rents; on own hardware it would be ignored.
  dsplan::test::require_usage_error(dsplan::test::run_cli({"recommend", "--gpu", "rtx4090", "--budget-usd", "100"}),
                                    "--budget-usd limits what --cloud rents or buys");
}

// The only MI300X offering in data/prices.json is a one-GPU droplet (DigitalOcean, max_gpus_per_
// instance 1, no clusters): two single droplets are not a two-GPU machine, so no rented candidate
// may put a model on more than one MI300X.
TEST_CASE("recommend --cloud rents only deployments an offering provides", "[cli][recommend]") {
  const auto rec = recommend({"--cloud", "--budget-usd", "5000", "--task", "code", "--users", "20"});
  std::size_t mi300x = 0;
  for (const auto& c : rec["candidates"]) {
    if (!c["hardware"].is_string() || c["hardware"].get<std::string>().find("MI300X") == std::string::npos) continue;
    ++mi300x;
    REQUIRE(c["gpus"].get<int>() == 1);
  }
  REQUIRE(mi300x > 0);  // the type is still rented, one GPU at a time
}

// An up-front budget counts the purchase: the pick's line and the runners-up show what was counted.
TEST_CASE("recommend with an up-front budget shows the purchase it counted", "[cli][recommend]") {
  const auto o =
      run_cli({"recommend", "--cloud", "--budget-usd", "100000", "--budget-period", "upfront", "--task", "code"});
  REQUIRE(o.code == 0);
  REQUIRE(o.out.find("up front for the GPUs") != std::string::npos);
  REQUIRE(o.out.find("Buy GPUs USD") != std::string::npos);
  REQUIRE(o.out.find("Rent USD/month") == std::string::npos);
}

// An 8 GB card holds the small distills, but none answers a 4,096-token prompt within 200 ms: the
// rejections shown must be those the card holds, naming the limit they miss, not the 671B models
// that would need RAM.
TEST_CASE("recommend with nothing feasible shows the candidates the hardware holds and the limit they miss",
          "[cli][recommend]") {
  const auto o = run_cli({"recommend", "--vram", "8", "--task", "classify", "--latency-ms", "200"});
  REQUIRE(o.code == 1);
  const auto closest = o.out.find("Closest candidates");
  REQUIRE(closest != std::string::npos);
  const std::string rejected = o.out.substr(closest);
  REQUIRE(rejected.find("first token after") != std::string::npos);
  REQUIRE(rejected.find("4096-token prompt") != std::string::npos);
  REQUIRE(rejected.find("of system RAM") == std::string::npos);
}

// --max-gpus bounds every rented deployment, also the one more GPU the headroom retry adds: at most
// 2 GPUs means no 3 x B200 pick or runner-up.
TEST_CASE("recommend --cloud --max-gpus bounds the headroom retry too", "[cli][recommend]") {
  const auto rec = recommend({"--cloud", "--max-gpus", "2", "--model", "r1"});
  for (const auto& c : rec["candidates"])
    if (c["fits"] == true) REQUIRE(c["gpus"].get<int>() <= 2);
  const auto one = recommend({"--cloud", "--max-gpus", "1", "--model", "r1"});
  REQUIRE(one["pick"]["gpus"] == 1);
}

// --prefer quality takes the fastest of the scores within 0.5 of the best: the Why line says so
// when the pick is not the top score itself (it had called a 79.7 "the highest task score").
TEST_CASE("recommend: Why names the score tie when the faster of tied candidates is picked", "[cli][recommend]") {
  const auto rec = recommend({"--gpu", "rtx4090", "--ram", "512", "--cpu", "epyc-9654", "--task", "reasoning"});
  double best = 0;
  for (const auto& c : rec["candidates"])
    if (c["feasible"] == true) best = std::max(best, c["score"].get<double>());
  const double pick = rec["pick"]["score"].get<double>();
  REQUIRE(pick < best);  // the case: a tie, not the top score
  REQUIRE(best - pick < 0.5);
  bool named = false;
  for (const auto& line : rec["why"])
    named = named || line.get<std::string>().find("ties with scores up to 0.5 below") != std::string::npos;
  REQUIRE(named);
}

// Renting, the tie is broken by the cost per token, not the speed (recommend_rank.cpp), and the
// Why line says that rule.
TEST_CASE("recommend --cloud: Why names the cheaper per token as the tie-breaker", "[cli][recommend]") {
  const auto rec = recommend({"--cloud", "--budget-usd", "5000", "--task", "code", "--users", "20"});
  double best = 0;
  for (const auto& c : rec["candidates"])
    if (c["feasible"] == true) best = std::max(best, c["score"].get<double>());
  REQUIRE(rec["pick"]["score"].get<double>() < best);  // the case: a tie, not the top score
  bool cheapest = false, fastest = false;
  for (const auto& line : rec["why"]) {
    cheapest =
        cheapest || line.get<std::string>().find("of which the cheapest per token (rented) wins") != std::string::npos;
    fastest = fastest || line.get<std::string>().find("of which the fastest wins") != std::string::npos;
  }
  REQUIRE(cheapest);
  REQUIRE_FALSE(fastest);
}

TEST_CASE("recommend on a CPU-only machine does not say CPU only three times", "[cli][recommend]") {
  const auto o = run_cli({"recommend", "--ram", "64"});
  REQUIRE(o.code == 0);
  REQUIRE(o.out.find("(64 GiB RAM, CPU only)") != std::string::npos);
  REQUIRE(o.out.find("CPU only + 64 GiB RAM") == std::string::npos);
  REQUIRE(o.out.find("no GPU memory") == std::string::npos);
}

TEST_CASE("recommend on five kinds of GPU still tries the fastest one alone", "[cli][recommend]") {
  // Four kinds are tried in every part; a fifth kind must not make the search split an 8B model
  // over all five cards when the H100 (3.35 TB/s, the fastest) holds it alone.
  const auto four = dsplan::test::run_json({"recommend", "--gpus", "rtx4090,rtx3090,a100-80g,h100-sxm"});
  const auto five = dsplan::test::run_json({"recommend", "--gpus", "rtx4090,rtx3090,a100-80g,h100-sxm,l40s"});
  REQUIRE(four["pick"]["hardware"] == "1 x NVIDIA H100 SXM5 80 GB");
  REQUIRE(five["pick"]["hardware"] == four["pick"]["hardware"]);
  REQUIRE(five["pick"]["quant"] == four["pick"]["quant"]);
}

TEST_CASE("a pick on some of the user's GPUs selects them in its launch command", "[cli][recommend]") {
  // --gpus rtx3060,h100-sxm: GPU 0 is the RTX 3060 and GPU 1 the H100. The pick runs on the H100
  // alone, so the command must hide GPU 0 from the engine (vLLM would take GPU 0, llama.cpp both).
  const auto o = dsplan::test::run_json({"recommend", "--gpus", "rtx3060,h100-sxm", "--task", "math"});
  REQUIRE(o["pick"]["hardware"] == "1 x NVIDIA H100 SXM5 80 GB");
  REQUIRE(o["pick"]["command"].get<std::string>().rfind("CUDA_DEVICE_ORDER=PCI_BUS_ID CUDA_VISIBLE_DEVICES=1 ", 0) ==
          0);
  const auto table = run_cli({"recommend", "--gpus", "rtx3060,h100-sxm", "--task", "math"});
  REQUIRE(table.out.find("(GPU 1, counting from 0 in the order --gpus lists them") != std::string::npos);
  // Two RTX 3060s then an RTX 4090 (devices 0, 1, 2): a pick on the 4090 alone is device 2.
  const auto three = dsplan::test::run_json({"recommend", "--gpus", "2xrtx3060,rtx4090", "--task", "code"});
  REQUIRE(three["pick"]["hardware"] == "1 x NVIDIA GeForce RTX 4090");
  REQUIRE(three["pick"]["command"].get<std::string>().find("CUDA_VISIBLE_DEVICES=2 ") != std::string::npos);
  // On all of the user's GPUs (one kind), nothing is hidden.
  const auto all = dsplan::test::run_json({"recommend", "--gpu", "rtx4090", "--count", "2"});
  REQUIRE(all["pick"]["command"].get<std::string>().find("CUDA_VISIBLE_DEVICES") == std::string::npos);
}

TEST_CASE("recommend refuses a named format no named engine loads as estimate does", "[cli][recommend]") {
  require_usage_error(run_cli({"recommend", "--vram", "24", "--engine", "vllm", "--quant", "q4_k_m"}),
                      "engine 'vllm' cannot load quant 'q4_k_m' (gguf); engines that can: llama.cpp");
}

TEST_CASE("recommend with nothing feasible shows the smallest candidate among the closest", "[cli][recommend]") {
  // $1 a month rents nothing; the smallest plan (the 1.5B distill) is what the budget is nearest.
  const auto o = dsplan::test::run_json({"recommend", "--cloud", "--budget-usd", "1"}, 1);
  REQUIRE(o["pick"].is_null());
  REQUIRE(o["rejected"][0]["model"] == "r1-distill-qwen-1.5b");
}

TEST_CASE("every placed candidate's total is its GPU plus its RAM bytes, fitting or not", "[cli][recommend]") {
  const auto o = dsplan::test::run_json({"recommend", "--vram", "24", "--all"});
  std::size_t placed = 0, unfit = 0;
  for (const auto& c : o["candidates"]) {
    if (c["memory"].is_null()) continue;
    ++placed;
    if (c["fits"] == false) ++unfit;
    const auto& m = c["memory"];
    REQUIRE(m["total_bytes"].get<std::uint64_t>() ==
            m["gpu_bytes"].get<std::uint64_t>() + m["ram_bytes"].get<std::uint64_t>());
  }
  REQUIRE(placed > 0);
  REQUIRE(unfit > 0);  // the rule is checked on placements that do not fit as well
}

TEST_CASE("recommend warns when cost flags have no price to apply to", "[cli][recommend]") {
  // A --vram card has no price: --kwh-price and --years change no figure, which a warning says;
  // with --purchase-price (or a catalog card) they do, and nothing is said.
  const auto unpriced = run_cli({"recommend", "--vram", "24", "--task", "code", "--kwh-price", "0.3", "--years", "2"});
  REQUIRE(unpriced.code == 0);
  REQUIRE(unpriced.err.find("warning: the cost flags change nothing here: the pick has no price on this hardware") !=
          std::string::npos);
  const auto priced = run_cli({"recommend", "--vram", "24", "--task", "code", "--purchase-price", "1500"});
  REQUIRE(priced.code == 0);
  REQUIRE(priced.err.empty());
  REQUIRE(priced.out.find("a month to own") != std::string::npos);
}

TEST_CASE("estimate warns when cost flags have no price to apply to as recommend does", "[cli][recommend]") {
  const auto unpriced = run_cli({"estimate", "8b", "-q", "q4_k_m", "--vram", "24", "--kwh-price", "0.3"});
  REQUIRE(unpriced.code == 0);
  REQUIRE(unpriced.err.find("warning: the cost flags change nothing here: the plan has no price on this hardware") !=
          std::string::npos);
  const auto priced = run_cli({"estimate", "8b", "-q", "q4_k_m", "--gpu", "rtx4090", "--kwh-price", "0.3"});
  REQUIRE(priced.code == 0);
  REQUIRE(priced.err.empty());
}

TEST_CASE("a desk-side host with more RAM than a desktop platform holds is priced as a many-channel one",
          "[cli][cost]") {
  // Two channels x two unbuffered DIMMs of at most 64 GB = 256 GiB on AM5 and LGA1851 (audit 53:
  // 2 TiB of desktop DDR5 on a Ryzen 9 9950X). Above it: the EPYC 9374F on registered DIMMs.
  const auto bom = [](const std::string& ram) {
    const json j = dsplan::test::run_json({"estimate", "70b", "-q", "q4_k_m", "--gpu", "rtx4090", "--ram", ram});
    return j["cost"]["owned"]["bom"];
  };
  const json big = bom("512");
  REQUIRE(big[1]["item"].get<std::string>().rfind("AMD EPYC 9374F", 0) == 0);
  REQUIRE(big[2]["item"] == "RAM, registered DDR5");
  REQUIRE(big[2]["usd"].get<double>() == Approx(512 * 17.30));  // data/prices.json server RAM per GiB
  const json desk = bom("256");
  REQUIRE(desk[1]["item"].get<std::string>().rfind("AMD Ryzen 9 9950X", 0) == 0);
  REQUIRE(desk[2]["item"] == "RAM, DDR5");
  REQUIRE(desk[2]["usd"].get<double>() == Approx(256 * 11.10));
}

TEST_CASE("GPUs of two stacks in one list are refused as a whole machine's are", "[cli][recommend]") {
  // CUDA numbers only NVIDIA cards and ROCm only AMD ones: recommend's pick of the MI300X launched
  // with CUDA_VISIBLE_DEVICES=1, which selects nothing (audit 54).
  const std::string why = "NVIDIA GeForce RTX 4090 (CUDA) and AMD Instinct MI300X (ROCm) run on different GPU stacks";
  require_usage_error(run_cli({"recommend", "--gpus", "rtx4090,mi300x"}), why);
  require_usage_error(run_cli({"estimate", "8b", "--gpus", "rtx4090,mi300x"}), why);
  REQUIRE(run_cli({"estimate", "8b", "--gpus", "mi300x,mi325x"}).code == 0);  // one stack
}

TEST_CASE("a rejection the engine and the memory both rule out names the memory first", "[cli][recommend]") {
  // DeepSeek-V4-Pro's ~796 GiB on one 24 GB card: the reason said only that SGLang needs Hopper,
  // as if another card of 24 GB would do (audit 54).
  const json j = dsplan::test::run_json({"recommend", "--vram", "24", "--task", "code"});
  bool seen = false;
  for (const auto& c : j["rejected"])
    if (c["model"] == "deepseek-v4-pro") {
      seen = true;
      const std::string why = c["reasons"][0];
      REQUIRE(why.rfind("GPU0 generic GPU needs ", 0) == 0);
      REQUIRE(why.find("; and SGLang runs DeepSeek-V4-Pro on Hopper") != std::string::npos);
    }
  REQUIRE(seen);
}
