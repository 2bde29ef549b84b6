// Settings in library messages: the library marks them (%ram%), the CLI words them as flags.
#include <catch2/catch.hpp>

#include "cli/setting_flags.hpp"
#include "cli_support.hpp"
#include "dsplan/base/setting.hpp"

using dsplan::Setting;

TEST_CASE("a setting marker is worded by name in the library and as a flag in the CLI", "[setting]") {
  REQUIRE(dsplan::setting_marker(Setting::gpu_layers) == "%gpu_layers%");
  REQUIRE(dsplan::word_settings("give %ram% or %gpu_layers%") == "give ram or gpu_layers");
  REQUIRE(dsplan::cli::with_flags("give %ram% or %gpu_layers%") == "give --ram or --gpu-layers");
  REQUIRE(dsplan::cli::with_flags("%tp%/%pp%: no") == "--tp/--pp: no");
  // Percent signs of the text stay, also next to a marker; unknown names are not markers.
  REQUIRE(dsplan::cli::with_flags("90% of it, %ram% at 5%") == "90% of it, --ram at 5%");
  REQUIRE(dsplan::cli::with_flags("%foo% and 100%") == "%foo% and 100%");
  REQUIRE(dsplan::cli::with_flags("50%%ram%") == "50%--ram");
}

TEST_CASE("every setting's flag is an option of some command", "[setting]") {
  // The completion scripts list every command's options (cmd_completions reads CLI11's definitions).
  const auto o = dsplan::test::run_cli({"completions", "bash"});
  REQUIRE(o.code == 0);
  for (const auto& row : dsplan::setting_names()) {
    const std::string flag = dsplan::cli::flag_of(row.value);
    INFO(flag);
    REQUIRE(o.out.find(flag + " ") != std::string::npos);
  }
}

TEST_CASE("errors and notes from the library reach the user with flags", "[setting]") {
  const auto error = dsplan::test::run_cli({"estimate", "7b", "--gpu", "rtx4090", "--count", "8", "--tp", "8"});
  REQUIRE(error.code == 2);
  REQUIRE(error.err == "dsplan: error: --tp: tensor parallel size 8 does not divide the 28 attention heads\n");
  const auto table = dsplan::test::run_cli({"estimate", "v3", "-q", "q4_k_m", "--gpu", "a100-80g", "--count", "4"});
  REQUIRE(table.out.find("(give --ram)") != std::string::npos);
  REQUIRE(table.out.find('%' + std::string("ram%")) == std::string::npos);
}

TEST_CASE("placement, speed and cost settings without hardware are refused, not ignored", "[setting]") {
  // Without hardware dsplan sizes memory only; these would change nothing and say nothing.
  dsplan::test::require_usage_error(dsplan::test::run_cli({"estimate", "70b", "-q", "q4_k_m", "--gpu-layers", "10"}),
                                    "--gpu-layers needs hardware");
  dsplan::test::require_usage_error(
      dsplan::test::run_cli({"estimate", "70b", "-q", "q4_k_m", "--price", "2", "--years", "3"}),
      "--price, --years need hardware");
  // With system RAM as the hardware, the same request is placed (on the CPU).
  REQUIRE(dsplan::test::run_cli({"estimate", "70b", "-q", "q4_k_m", "--ram", "64", "--gpu-layers", "0"}).code == 0);
}
