// A sequence's speed under load (served_decode_tokens_per_s): a server that keeps `batch` requests in
// flight prefills the prompts of the requests that arrive while one decodes, so the time per
// output token a user sees is the decode step plus (batch - 1) / batch of the batch's packed
// prefills spread over the output tokens (docs/methodology.md section 8).
#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli_support.hpp"

using namespace dsplan::test;
using json = nlohmann::json;

namespace {
json estimate_json(const std::vector<std::string>& scenario) {
  std::vector<std::string> args{"estimate"};
  for (const auto& a : scenario) args.push_back(a);
  args.emplace_back("--json");
  const auto o = run_cli(args);
  REQUIRE(o.code == 0);
  return json::parse(o.out);
}
}  // namespace

TEST_CASE("one request in flight decodes between no other prefills", "[cli][served]") {
  const auto t = estimate_json({"8b", "--gpu", "rtx4090", "--context", "4096"})["throughput"];
  REQUIRE(t["served_decode_tokens_per_s"].get<double>() ==
          Approx(t["decode_tokens_per_s"].get<double>()).epsilon(1e-12));
}

TEST_CASE("with 64 requests in flight each one's time per token holds 63/64 of the round's prefills", "[cli][served]") {
  const auto t = estimate_json({"r1-0528", "--engine", "sglang", "--gpu", "h200", "--count", "8", "--batch", "64",
                                "--context", "9216", "--prompt", "8192", "--output", "1024"})["throughput"];
  const double step = t["decode_step_s"].get<double>();
  const double round = t["prefill_round_s"].get<double>();
  const double served = t["served_decode_tokens_per_s"].get<double>();
  REQUIRE(round > 0);
  REQUIRE(served == Approx(1.0 / (step + round * 63.0 / 64.0 / 1024.0)).epsilon(1e-9));
  // 64 prompts of 8,192 tokens are 524,288 tokens to prefill per 1,024 output tokens: no
  // accelerator does that for free, so a user sees less than the decode-only speed.
  REQUIRE(served < 0.95 * t["decode_tokens_per_s"].get<double>());
  // The served output of the whole batch counts the same prefills, all of them: it is below 64
  // users' served speed and above nothing but zero.
  REQUIRE(t["served_tokens_per_s"].get<double>() <= 64 * served);
  REQUIRE(t["served_tokens_per_s"].get<double>() > 0.9 * 64 * served);
}

TEST_CASE("check's per-sequence floor is taken under load", "[cli][served]") {
  const std::vector<std::string> scenario = {"r1-0528", "--engine", "sglang",  "--gpu",    "h200",
                                             "--count", "8",        "--batch", "64",       "--context",
                                             "9216",    "--prompt", "8192",    "--output", "1024"};
  const auto t = estimate_json(scenario)["throughput"];
  const double decode = t["decode_tokens_per_s"].get<double>();
  const double served = t["served_decode_tokens_per_s"].get<double>();
  REQUIRE(served < decode);
  // A floor between the two: the decode-only speed would pass it, what users see does not.
  std::vector<std::string> args = {"check"};
  args.insert(args.end(), scenario.begin(), scenario.end());
  args.insert(args.end(), {"--min-tps", std::to_string((served + decode) / 2), "--json"});
  const auto o = run_cli(args);
  REQUIRE(o.code == 1);
  bool found = false;
  const auto checks = json::parse(o.out)["checks"];
  for (const auto& c : checks)
    if (c["name"] == "min_tps") {
      found = true;
      REQUIRE(c["passed"] == false);
      REQUIRE(c["measured"].get<double>() == Approx(served).epsilon(1e-6));
    }
  REQUIRE(found);
}

TEST_CASE("a capacity plan's speed per user is the speed under load at its batch", "[cli][served]") {
  const std::vector<std::string> scenario = {"r1-0528",   "--engine", "sglang",   "--gpu", "h200",     "--count", "8",
                                             "--context", "9216",     "--prompt", "8192",  "--output", "1024"};
  std::vector<std::string> args = scenario;
  args.insert(args.end(), {"--users", "64", "--target-tps", "20"});
  const auto c = estimate_json(args)["capacity"];
  const auto per_replica = c["sequences_per_replica"].get<std::uint64_t>();
  REQUIRE(per_replica >= 1);
  args = scenario;
  args.insert(args.end(), {"--batch", std::to_string(per_replica)});
  const auto t = estimate_json(args)["throughput"];
  REQUIRE(c["tokens_per_s_per_user"].get<double>() ==
          Approx(t["served_decode_tokens_per_s"].get<double>()).epsilon(1e-9));
  REQUIRE(c["tokens_per_s_per_user"].get<double>() >= 20.0);
  if (per_replica < 64) {  // one more user per replica would fall below the target
    args.back() = std::to_string(per_replica + 1);
    REQUIRE(estimate_json(args)["throughput"]["served_decode_tokens_per_s"].get<double>() < 20.0);
  }
}

TEST_CASE("recommend's speed per user counts the other users' prefills", "[cli][served]") {
  const auto o =
      run_cli({"recommend", "--gpu", "rtx4090", "--task", "chat", "--users", "20", "--min-tps", "20", "--json"});
  REQUIRE(o.code == 0);
  const auto r = json::parse(o.out);
  const auto t = r["pick"]["throughput"];
  const double per_user = t["served_decode_tokens_per_s"].get<double>();
  // 20 users with 4,096-token prompts (half the 8,192 context): their prefills take a share of
  // every user's time, so the speed a user sees is below the decode step's and still meets the floor.
  REQUIRE(per_user < t["decode_tokens_per_s"].get<double>());
  REQUIRE(per_user >= 20.0);
  for (const auto& c : r["runners_up"]) {
    if (c["throughput"].is_null()) continue;
    REQUIRE(c["throughput"]["served_decode_tokens_per_s"].get<double>() >= 20.0);
  }
  // One user: nothing else is prefilled, the two figures are one.
  const auto one = json::parse(run_cli({"recommend", "--gpu", "rtx4090", "--task", "chat", "--json"}).out);
  REQUIRE(one["pick"]["throughput"]["served_decode_tokens_per_s"].get<double>() ==
          Approx(one["pick"]["throughput"]["decode_tokens_per_s"].get<double>()).epsilon(1e-12));
}

TEST_CASE("a capacity plan is printed and launched at its own batch, which fits", "[cli][served]") {
  // 70B Q4_K_M on 2 x RTX 4090: 39.6 GiB of weights leave about 6 GiB for the cache at 327,680 B per
  // token, a handful of 4,096-token sequences, not the 18 a speed-only search allowed.
  const auto j = estimate_json(
      {"70b", "-q", "q4_k_m", "--gpu", "rtx4090", "--count", "2", "--users", "200", "--target-tps", "0.5"});
  const auto per_replica = j["capacity"]["sequences_per_replica"].get<std::uint64_t>();
  REQUIRE(per_replica > 1);
  REQUIRE(j["batch"] == per_replica);
  REQUIRE(j["fits"] == true);
  REQUIRE(j["layout"]["needs_ram_bytes"].is_null());
  const auto run = j["launch"]["command"].get<std::string>();
  REQUIRE(run.find(fmt::format("-np {} ", per_replica)) != std::string::npos);
  REQUIRE(run.find(fmt::format("-ngl {}", j["layout"]["gpu_layers"].get<std::uint64_t>())) != std::string::npos);
  // One more sequence would need system RAM that was not given.
  const auto more = estimate_json(
      {"70b", "-q", "q4_k_m", "--gpu", "rtx4090", "--count", "2", "--batch", std::to_string(per_replica + 1)});
  REQUIRE(more["fits"] == false);
  // The cost is the deployed replica's: the capacity plan's per-token figure is its rent over its users.
  REQUIRE(j["throughput"]["served_decode_tokens_per_s"].get<double>() ==
          Approx(j["capacity"]["tokens_per_s_per_user"].get<double>()).epsilon(1e-9));
}

TEST_CASE("users plan the batch: not with --batch, --sweep or --context max", "[cli][served]") {
  using dsplan::test::require_usage_error;
  require_usage_error(run_cli({"estimate", "8b", "--gpu", "rtx4090", "--users", "10", "--batch", "4"}),
                      "give --users or --batch, not both");
  require_usage_error(run_cli({"estimate", "8b", "--gpu", "rtx4090", "--users", "10", "--sweep", "context"}),
                      "drop --users");
  require_usage_error(
      run_cli({"estimate", "8b", "--gpu", "rtx4090", "--users", "10", "--target-tps", "5", "--context", "max"}),
      "not max");
}

TEST_CASE("check --users fails when the hardware needs more replicas than it is", "[cli][served]") {
  const auto o = run_cli({"check", "r1", "--gpu", "h200", "--count", "8", "--users", "100", "--target-tps", "20",
                          "--context", "8k", "--json"});
  REQUIRE(o.code == 1);
  const auto j = json::parse(o.out);
  bool found = false;
  for (const auto& c : j["checks"])
    if (c["name"] == "users") {
      found = true;
      REQUIRE(c["passed"] == false);
      REQUIRE(c["required"].get<double>() == 100.0);
      REQUIRE(c["measured"].get<double>() < 100.0);
    }
  REQUIRE(found);
  // One user at a speed 8 x H200 reach: one replica serves it.
  const auto one =
      run_cli({"check", "r1", "--gpu", "h200", "--count", "8", "--users", "1", "--target-tps", "5", "--context", "8k"});
  REQUIRE(one.code == 0);
  REQUIRE(one.out.find("ok    serves 1 of 1 user") != std::string::npos);
}

TEST_CASE("the fits-elsewhere note names the data-parallel attention its plan needs", "[cli][served]") {
  // 100 sequences of 8k on 8 x H200: tensor parallelism copies the latent cache to every GPU and
  // does not fit; SGLang with DP attention does, and the suggested flags must say so.
  const auto o =
      run_cli({"check", "r1", "--gpu", "h200", "--count", "8", "--batch", "100", "--context", "8k", "--min-tps", "5"});
  REQUIRE(o.code == 1);
  REQUIRE(o.out.find("--dp-attention") != std::string::npos);
}

TEST_CASE("tensor parallel sizes that cut R1's FP8 MLPs off their 128-wide scale blocks do not fit", "[cli][served]") {
  // TP 32: the dense MLP's 18,432 columns / 32 = 576 = 4.5 blocks of 128 (SGLang #3345), the
  // experts' 2,048 / 32 = 64 (SGLang #10641): SGLang refuses to load the checkpoint.
  const auto tp32 = estimate_json({"r1", "-e", "sglang", "--gpu", "h100-sxm", "--count", "8", "--nodes", "4", "--tp",
                                   "32", "--pp", "1", "--context", "8k"});
  REQUIRE(tp32["fits"] == false);
  REQUIRE(tp32["layout"]["reasons"][0].get<std::string>().find("slices of 576") != std::string::npos);
  // TP 24 under SGLang's DP attention: the heads are not split, but 2,048 / 24 is not whole.
  const auto tp24 = estimate_json(
      {"r1", "-e", "sglang", "--dp-attention", "--gpu", "h100-sxm", "--count", "8", "--nodes", "3", "--context", "8k"});
  REQUIRE(tp24["fits"] == false);
  REQUIRE(tp24["layout"]["reasons"][0].get<std::string>().find("does not divide the expert width 2048") !=
          std::string::npos);
  // vLLM's DP attention runs TP 1 per rank and splits the routed experts whole (expert parallel).
  const auto vllm = estimate_json(
      {"r1", "-e", "vllm", "--dp-attention", "--gpu", "h100-sxm", "--count", "8", "--nodes", "3", "--context", "8k"});
  REQUIRE(vllm["fits"] == true);
  // --count auto steps over the sizes that cannot load: 16, then 2 replicas, never 24 GPUs.
  const auto users = estimate_json({"r1", "-e", "sglang", "--dp-attention", "--gpu", "h100-sxm", "--count", "auto",
                                    "--users", "100", "--target-tps", "20", "--context", "8k"});
  REQUIRE(users["layout"]["tensor_parallel"].get<std::uint64_t>() % 8 == 0);
  REQUIRE(16 % users["layout"]["tensor_parallel"].get<std::uint64_t>() == 0);
}

TEST_CASE("under DP attention the ranks prefill different prompts side by side", "[cli][served]") {
  // 32 prompts over 8 ranks: each rank runs the attention of 4 of them and a share of every
  // prompt's MoE, the same FLOPs on the same 8 GPUs as tensor parallelism's 32 prompts in turn.
  const std::vector<std::string> base = {"r1", "-e",      "sglang", "--gpu",     "h200", "--count",
                                         "8",  "--batch", "32",     "--context", "8k"};
  const double tp = estimate_json(base)["throughput"]["prefill_round_s"].get<double>();
  std::vector<std::string> dpa = base;
  dpa.emplace_back("--dp-attention");
  const auto t = estimate_json(dpa)["throughput"];
  REQUIRE(t["prefill_round_s"].get<double>() <= 1.05 * tp);
  // One prompt alone still runs its attention on one rank: slower than under TP.
  REQUIRE(t["prefill_s"].get<double>() > estimate_json(base)["throughput"]["prefill_s"].get<double>());
}

TEST_CASE("recommend spans more GPUs than a node holds over whole nodes, as check does", "[cli][served]") {
  // An H100 SXM node holds 8: 16 of them are two nodes joined by the network, for recommend as for
  // estimate and check, so the two answer the same question with the same speed.
  const auto o = run_cli({"recommend", "--gpu", "h100-sxm", "--count", "16", "--users", "100", "--min-tps", "20",
                          "--model", "r1", "--json"});
  REQUIRE(o.code == 0);
  const auto pick = json::parse(o.out)["pick"];
  REQUIRE(pick["command"].get<std::string>().find("--nnodes 2") != std::string::npos);
  std::vector<std::string> args = {"r1",
                                   "-e",
                                   pick["engine"].get<std::string>(),
                                   "-q",
                                   pick["quant"].get<std::string>(),
                                   "--gpu",
                                   "h100-sxm",
                                   "--count",
                                   "16",
                                   "--batch",
                                   "100",
                                   "--context",
                                   "8k"};
  if (pick["layout"].get<std::string>().find("DP attention") != std::string::npos) args.emplace_back("--dp-attention");
  const auto t = estimate_json(args)["throughput"];
  REQUIRE(pick["throughput"]["served_decode_tokens_per_s"].get<double>() ==
          Approx(t["served_decode_tokens_per_s"].get<double>()).epsilon(1e-6));
}

TEST_CASE("recommend names an unknown task before the hardware it was not given", "[cli][recommend]") {
  dsplan::test::require_usage_error(run_cli({"recommend", "--task", "poetry"}), "unknown task 'poetry'");
  dsplan::test::require_usage_error(run_cli({"recommend", "--task", "code"}), "say what hardware you have");
}

TEST_CASE("explain derives the served speeds from the prefill round and the decode step", "[cli][served]") {
  const auto o = run_cli({"estimate", "r1", "-e", "sglang", "--gpu", "h200", "--count", "8", "--batch", "32",
                          "--context", "8k", "--explain"});
  REQUIRE(o.code == 0);
  REQUIRE(o.out.find("served: 32 requests in flight") != std::string::npos);
  REQUIRE(o.out.find("+ (32 - 1) / 32 x ") != std::string::npos);
  // One sequence: nothing is interleaved, no served line.
  const auto one = run_cli({"estimate", "r1", "-e", "sglang", "--gpu", "h200", "--count", "8", "--explain"});
  REQUIRE(one.out.find("served: ") == std::string::npos);
}

TEST_CASE("users on hardware that does not hold one replica are answered not dropped", "[cli][served]") {
  // R1 at FP8 is about 627 GiB of weights: one 24 GB card holds no replica, so no user is served.
  const auto table = run_cli({"estimate", "r1", "--gpu", "rtx4090", "--users", "10", "--target-tps", "10"});
  REQUIRE(table.code == 0);
  REQUIRE(table.out.find("Capacity: 10 users at >= 10.0 tokens/s each: not planned, one replica does not fit") !=
          std::string::npos);
  const auto c = estimate_json({"r1", "--gpu", "rtx4090", "--users", "10"})["capacity"];
  REQUIRE(c["replica_fits"] == false);
  REQUIRE(c["replicas"].get<int>() == 0);
  const auto check = run_cli({"check", "r1", "--gpu", "rtx4090", "--users", "10", "--json"});
  REQUIRE(check.code == 1);
  bool users = false;
  const auto checks = json::parse(check.out)["checks"];
  for (const auto& x : checks)
    if (x["name"] == "users") {
      users = true;
      REQUIRE(x["passed"] == false);
      REQUIRE(x["measured"].get<double>() == 0.0);
    }
  REQUIRE(users);
  // Where a replica fits, the plan says so.
  REQUIRE(estimate_json({"8b", "--gpu", "rtx4090", "--users", "2"})["capacity"]["replica_fits"] == true);
}

TEST_CASE("served speeds carry the decode band's spread around themselves", "[cli][served]") {
  // The per-user speed at concurrency is the served one, below the batch decode speed; its range
  // is the decode band's percentages around it, not the decode band's bounds (audit 53).
  const json j = run_json({"recommend", "--gpu", "rtx4090", "--task", "chat", "--users", "20", "--min-tps", "20"});
  const json& t = j["pick"]["throughput"];
  const double served = t["served_decode_tokens_per_s"], decode = t["decode_tokens_per_s"];
  REQUIRE(served < decode);
  for (const char* bound : {"low_tokens_per_s", "high_tokens_per_s"})
    REQUIRE(t["served_band"][bound].get<double>() / served ==
            Approx(t["decode_band"][bound].get<double>() / decode).epsilon(1e-9));
  const auto table = run_cli({"estimate", "1.5b", "--gpu", "a100-80g", "-c", "16k", "--batch", "8", "-q", "q8_0"});
  const auto served_line = table.out.substr(table.out.find("Served:"));
  REQUIRE(served_line.substr(0, served_line.find('\n')).find("similar measurements") != std::string::npos);
}
