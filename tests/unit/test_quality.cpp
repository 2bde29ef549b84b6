// Task scores from published benchmarks (data/tasks.json weights), worked by hand for one model.
#include <catch2/catch.hpp>

#include <cmath>

#include "dsplan/model/quality.hpp"
#include "test_support.hpp"

using namespace dsplan;
using dsplan::test::catalog;

TEST_CASE("R1-Distill-Qwen-7B's task scores from the R1 report's distilled-model table", "[quality]") {
  // Published (arXiv:2501.12948): AIME 2024 55.5, MATH-500 92.8, GPQA Diamond 49.1,
  // LiveCodeBench 37.6, Codeforces rating 1189.
  const ModelSpec& m = catalog().require_model("r1-distill-qwen-7b");
  const auto score = [&](const char* task) { return task_score(catalog(), m, catalog().require_task(task))->score; };
  const double code = 0.5 * 37.6 + 0.5 * (1189.0 / 30.0);  // 38.617
  const double math = 0.5 * 55.5 + 0.5 * 92.8;             // 74.15
  const double reasoning = 49.1;
  REQUIRE(score("code") == Approx(code));
  REQUIRE(score("math") == Approx(math));
  REQUIRE(score("reasoning") == Approx(reasoning));
  REQUIRE(score("chat") == Approx((code + math + reasoning) / 3));  // 53.96
}

TEST_CASE("reasoning models and the native format's penalty", "[quality]") {
  REQUIRE(is_reasoning_model(catalog().require_model("deepseek-r1")));
  REQUIRE(is_reasoning_model(catalog().require_model("r1-distill-llama-8b")));
  REQUIRE_FALSE(is_reasoning_model(catalog().require_model("deepseek-v3")));
  const ModelSpec& r1 = catalog().require_model("deepseek-r1");
  const auto native = quant_penalty(r1, catalog().require_quant(r1.native_quant));
  REQUIRE(native);
  REQUIRE(native->native);
  REQUIRE(native->factor == 1.0);
  const auto q2 = quant_penalty(r1, catalog().require_quant("q2_k"));
  REQUIRE(q2);
  REQUIRE(q2->factor < 1.0);
  REQUIRE(q2->factor == Approx(std::exp(-q2->kld)));  // factor = exp(-KLD) by definition
}

TEST_CASE("a rating past the scale's top counts as 100, so no task score passes 100", "[quality]") {
  // V4-Pro's code figures (models.json): LiveCodeBench 93.5 and a Codeforces rating of 3206;
  // 3206 / 30 = 106.9 is capped at 100, so the code score is (93.5 + 100) / 2 = 96.75.
  const auto& pro = catalog().require_model("deepseek-v4-pro");
  const auto code = task_score(catalog(), pro, catalog().require_task("code"));
  REQUIRE(code);
  REQUIRE(code->score == Approx((93.5 + 100.0) / 2));
  for (const auto& m : catalog().models)
    for (const auto& t : catalog().tasks)
      if (const auto s = task_score(catalog(), m, t)) REQUIRE(s->score <= 100.0);
}
