// --mtp through the CLI: what the table says about the MTP module, and the JSON fields.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"

using namespace dsplan::test;
using json = nlohmann::json;

TEST_CASE("the MTP module is loaded only when it drafts", "[cli][mtp]") {
  // A GGUF holds no MTP tensors; an FP8 checkpoint does, and engines skip them without --mtp.
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"estimate", "v3", "-q", "q4_k_m", "--gpu", "a100-80g", "--count", "4"},
           {"estimate", "r1", "--engine", "sglang", "--gpu", "h200", "--count", "8"}}) {
    const auto o = run_cli(args);
    REQUIRE(o.code == 0);
    REQUIRE_THAT(o.out, Catch::Contains("MTP module 13.46 B (not loaded)"));
  }
  const auto on = run_cli({"estimate", "r1", "--engine", "sglang", "--gpu", "h200", "--count", "8", "--mtp", "1"});
  REQUIRE(on.code == 0);
  REQUIRE_THAT(on.out, Catch::Contains("(loaded: it drafts, --mtp)"));
  REQUIRE_THAT(on.out, Catch::Contains("1.85 tokens per step"));
  const auto j = json::parse(
      run_cli({"estimate", "r1", "--engine", "vllm", "--gpu", "h200", "--count", "8", "--mtp", "2", "--json"}).out);
  REQUIRE(j["throughput"]["speculative_tokens"] == 2);
  REQUIRE(j["throughput"]["tokens_per_step"].get<double>() == Approx(1 + 0.85 + 0.85 * 0.85));
}
