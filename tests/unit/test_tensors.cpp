// Parameter counts from the tensor inventory against published totals.
#include <catch2/catch.hpp>

#include "dsplan/model/tensors.hpp"
#include "test_support.hpp"

using dsplan::build_inventory;
using dsplan::test::catalog;

TEST_CASE("parameter counts equal the published totals", "[tensors]") {
  // Published totals, each cited in data/models.json published_params.source: HF safetensors
  // index total_size / 2 for the bf16 checkpoints.
  auto [id, total] = GENERATE(table<const char*, std::uint64_t>({
      {"r1-distill-qwen-1.5b", 1'777'088'000ULL},
      {"r1-distill-qwen-7b", 7'615'616'512ULL},
      {"r1-distill-llama-8b", 8'030'261'248ULL},
      {"r1-distill-qwen-14b", 14'770'033'664ULL},
      {"r1-distill-qwen-32b", 32'763'876'352ULL},
      {"r1-distill-llama-70b", 70'553'706'496ULL},
      {"r1-0528-qwen3-8b", 8'190'735'360ULL},
  }));
  CAPTURE(id);
  const auto& model = catalog().require_model(id);
  const auto inv = build_inventory(model.arch);
  REQUIRE(inv.params_total().count() == total);
  REQUIRE(inv.params_mtp().count() == 0);
  REQUIRE(inv.params_active(true).count() == total);
  REQUIRE(model.published_params.value() == total);
}

TEST_CASE("DeepSeek-V3/R1: 671B main model, MTP module apart, 37B active", "[tensors]") {
  // The HF per-dtype counts of deepseek-ai/DeepSeek-R1 are BF16 3,918,786,560 + F8_E4M3
  // 680,571,043,840 + F32 41,555,600 = 684,531,386,000. Of the F32 elements, 59 x 256 =
  // 15,104 are e_score_correction_bias (58 MoE layers + the MTP block) and the rest are FP8
  // block scales, so the checkpoint holds 684,489,830,400 + 15,104 = 684,489,845,504 parameters.
  // The V3 report (arXiv:2412.19437) calls the main model 671B and the MTP module 14B.
  const auto inv = build_inventory(catalog().require_model("deepseek-r1").arch);
  REQUIRE(inv.params_total().count() + inv.params_mtp().count() == 684'489'845'504ULL);
  REQUIRE(inv.params_total().count() == 671'026'419'200ULL);
  // Active per token: 8 of 256 routed experts. By hand: attention 61 x 187,107,328; norms
  // 61 x 14,336 + 7,168; dense MLP 3 x 396,361,728; per MoE layer 8 x 44,040,192 routed +
  // 44,040,192 shared + 1,835,008 router + 256 bias = 398,196,992 (x 58); output 926,679,040.
  const std::uint64_t active_without_embedding = 61ULL * 187'107'328 + 61ULL * 14'336 + 7'168 +
                                                 3ULL * 396'361'728 + 58ULL * 398'196'992 + 926'679'040;
  REQUIRE(inv.params_active(false).count() == active_without_embedding);
  REQUIRE(inv.params_active(true).count() == active_without_embedding + 926'679'040ULL);
  REQUIRE(active_without_embedding == 36'625'618'432ULL);  // "37B activated"
}
