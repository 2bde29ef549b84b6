// DeepSeek-V4 through the CLI: which GPUs run its FP4+FP8 checkpoint, and what the cache holds.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"

using namespace dsplan::test;
using json = nlohmann::json;

TEST_CASE("V4's FP4+FP8 checkpoint runs on Hopper and Blackwell data-center GPUs only", "[cli][v4]") {
  const auto amd = run_cli({"estimate", "v4-flash", "--gpu", "mi300x", "--count", "2", "--json"});
  REQUIRE(amd.code == 0);
  const auto a = json::parse(amd.out);
  REQUIRE(a["fits"] == false);
  REQUIRE(a["layout"]["reasons"][0].get<std::string>().find(
              "Hopper GH100 or Blackwell GB100 or Blackwell Ultra GPUs only") != std::string::npos);
  const auto h200 = json::parse(run_cli({"estimate", "v4-flash", "--gpu", "h200", "--count", "2", "--json"}).out);
  REQUIRE(h200["fits"] == true);
  // Blackwell Ultra (B300, SM103) runs it in the SGLang cookbook's V4 cells.
  const auto b300 = json::parse(run_cli({"estimate", "v4-flash", "--gpu", "b300", "--count", "2", "--json"}).out);
  REQUIRE(b300["fits"] == true);
  // Consumer Blackwell cards (GB202: 8 x RTX 5090) are not in the list either.
  const auto rtx = json::parse(run_cli({"estimate", "v4-flash", "--gpu", "rtx5090", "--count", "8", "--json"}).out);
  REQUIRE(rtx["fits"] == false);
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
