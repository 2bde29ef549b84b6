// `dsplan check` exit codes and lines, `dsplan compare` matrix, `dsplan completions` scripts.
#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli_support.hpp"

using dsplan::test::note_with;
using dsplan::test::require_usage_error;
using dsplan::test::run_cli;
using dsplan::test::run_json;
using nlohmann::json;

namespace {

std::size_t count_lines_starting(const std::string& text, const std::string& prefix) {
  std::size_t n = 0, start = 0;
  while (start < text.size()) {
    if (text.compare(start, prefix.size(), prefix) == 0) ++n;
    const auto nl = text.find('\n', start);
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return n;
}

/// The quant id the note's flags name after `marker`; fails the test when the marker is missing.
std::string quant_after(const std::string& text, const std::string& marker) {
  const auto at = text.find(marker);
  REQUIRE(at != std::string::npos);
  const auto begin = at + marker.size();
  return text.substr(begin, text.find(' ', begin) - begin);
}

}  // namespace

// 32B Q4_K_M on a 4090 decodes well above 1 token/s and well below 10,000: the first limit holds,
// the second cannot; exactly one FAIL line names it with both figures.
TEST_CASE("check: exit 0 when every limit holds, 1 with one FAIL line per failed limit", "[cli][check]") {
  const auto ok = run_cli({"check", "32b", "--quant", "q4_k_m", "--gpu", "rtx4090", "--min-tps", "1"});
  REQUIRE(ok.code == 0);
  REQUIRE(count_lines_starting(ok.out, "FAIL") == 0);
  REQUIRE(count_lines_starting(ok.out, "ok") == 2);
  const auto bad = run_cli({"check", "32b", "--quant", "q4_k_m", "--gpu", "rtx4090", "--min-tps", "10000",
                            "--max-ttft-ms", "100000"});
  REQUIRE(bad.code == 1);
  REQUIRE(count_lines_starting(bad.out, "FAIL") == 1);
  REQUIRE(bad.out.find("required at least 10000") != std::string::npos);
}

// A 70B at BF16 (141 GB) does not fit one 24 GB card with 64 GB of RAM: fits fails, and the
// speed limit is reported as not measured, also a failure.
TEST_CASE("check: a scenario that does not fit fails every limit", "[cli][check]") {
  const auto o = run_cli({"check", "70b", "--quant", "bf16", "--engine", "llama.cpp", "--gpu", "rtx4090", "--ram",
                          "64", "--min-tps", "1"});
  REQUIRE(o.code == 1);
  REQUIRE(count_lines_starting(o.out, "FAIL") == 2);
  // 141 GB of BF16 weights do not fit 24 GB + 64 GiB; the note names a file on llama.cpp that does
  // and meets the limit, and checking that one passes.
  const std::string marker = "fits this hardware and meets these limits: --quant ";
  REQUIRE(count_lines_starting(o.out, "note  ") == 1);
  const std::string quant = quant_after(o.out, marker);
  const auto again = run_cli(
      {"check", "70b", "--quant", quant, "--engine", "llama.cpp", "--gpu", "rtx4090", "--ram", "64", "--min-tps", "1"});
  REQUIRE(again.code == 0);
}

// 70B at Q8_0 (about 75 GB) fits one 80 GB H100 but streams 75 GB per token: 45 tokens/s even at
// the full 3.35 TB/s, which no llama.cpp run reaches (the HBM rows it was calibrated on run at
// well under 0.7 of it), so 30 fails. The note names a smaller file that, checked with the same
// limit, passes: the assertion that matters is that its own flags pass.
TEST_CASE("check: a plan that fits but misses a limit gets a note naming a file that meets it", "[cli][check]") {
  const auto o =
      run_cli({"check", "70b", "--quant", "q8_0", "--engine", "llama.cpp", "--gpu", "h100-sxm", "--min-tps", "30"});
  REQUIRE(o.code == 1);
  REQUIRE(count_lines_starting(o.out, "ok    fits") == 1);
  REQUIRE(count_lines_starting(o.out, "FAIL  decode") == 1);
  const std::string quant = quant_after(o.out, "fits this hardware and meets these limits: --quant ");
  REQUIRE(quant != "q8_0");
  REQUIRE(run_cli({"check", "70b", "--quant", quant, "--engine", "llama.cpp", "--gpu", "h100-sxm", "--min-tps", "30"})
              .code == 0);
  // 100,000 tokens/s on a 1 TB/s card would read under 10 MB per token: no 8B file is that small.
  const auto none = run_cli({"check", "8b", "--gpu", "rtx4090", "--min-tps", "100000"});
  REQUIRE(none.code == 1);
  REQUIRE(none.out.find("note  no quant of DeepSeek-R1-Distill-Llama-8B meets these limits on this hardware") !=
          std::string::npos);
}

// Layers spilled to system RAM only pass when --ram says the RAM exists.
TEST_CASE("check: RAM offload needs --ram", "[cli][check]") {
  REQUIRE(run_cli({"check", "70b", "--quant", "q4_k_m", "--gpu", "rtx4090"}).code == 1);
  REQUIRE(run_cli({"check", "70b", "--quant", "q4_k_m", "--gpu", "rtx4090", "--ram", "64"}).code == 0);
}

TEST_CASE("check: --json and --quiet", "[cli][check]") {
  const auto o = run_cli({"check", "8b", "--gpu", "rtx4090", "--min-tps", "10000", "--json"});
  REQUIRE(o.code == 1);
  const auto j = json::parse(o.out);
  REQUIRE(j["pass"] == false);
  REQUIRE(j["checks"].size() == 2);
  REQUIRE(j["checks"][1]["name"] == "min_tps");
  REQUIRE(j["checks"][1]["passed"] == false);
  REQUIRE(j["checks"][1]["measured"].get<double>() ==
          j["estimate"]["throughput"]["decode_tokens_per_s"].get<double>());
  const auto q = run_cli({"check", "8b", "--gpu", "rtx4090", "--min-tps", "10000", "--quiet"});
  REQUIRE(q.code == 1);
  REQUIRE(q.out.empty());
}

TEST_CASE("check --explain shows the plan's derivation and other commands refuse the flag", "[cli][check]") {
  const auto t = run_cli({"check", "8b", "--vram", "24", "--min-tps", "5", "--explain"});
  REQUIRE(t.code == 0);
  REQUIRE(t.out.find("How these figures were derived") != std::string::npos);
  const auto j = json::parse(run_cli({"check", "8b", "--vram", "24", "--min-tps", "5", "--explain", "--json"}).out);
  REQUIRE(j["estimate"]["derivation"].is_array());
  REQUIRE_FALSE(j["estimate"]["derivation"].empty());
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"compare", "--explain"}, {"recommend", "--vram", "24", "--explain"}, {"--explain", "list", "models"}})
    require_usage_error(run_cli(args), "derives no figure of its own");
}

TEST_CASE("check: input errors exit 2", "[cli][check]") {
  require_usage_error(run_cli({"check", "8b", "--min-tps", "5"}), "hardware");
  require_usage_error(run_cli({"check", "8b", "--gpu", "rtx4090", "--max-memory-fraction", "2"}),
                      "--max-memory-fraction");
  require_usage_error(run_cli({"check", "nosuch", "--gpu", "rtx4090"}), "unknown model");
  // A generic --vram card has no price (docs/cli.md): a cost limit on it is an input error, whether
  // the model fits (8B Q4_K_M, about 5 GB, on 24 GiB) or not (V4-Flash's FP4+FP8 file needs Hopper
  // or Blackwell, which a generic card is not). Both were exit 2 and 1 before.
  require_usage_error(run_cli({"check", "8b", "-q", "q4_k_m", "--vram", "24", "--max-usd-per-mtok", "1"}),
                      "--max-usd-per-mtok: no price for this hardware in the catalog; give --price");
  require_usage_error(run_cli({"check", "v4-flash", "--vram", "80", "--count", "2", "--max-usd-per-mtok", "30"}),
                      "--max-usd-per-mtok: no price for this hardware in the catalog; give --price");
  // With a price it is a verdict again: does not fit, exit 1.
  REQUIRE(
      run_cli({"check", "v4-flash", "--vram", "80", "--count", "2", "--max-usd-per-mtok", "30", "--price", "2"}).code ==
      1);
}

// docs/cli.md checks[].unit: "USD per million output tokens", measured or not.
TEST_CASE("check: the cost limit's unit is the documented one whether or not it was measured", "[cli][check]") {
  const std::string unit = "USD per million output tokens";
  const auto unmeasured = run_cli(
      {"check", "70b", "--quant", "bf16", "--gpu", "rtx4090", "--max-usd-per-mtok", "30", "--price", "2", "--json"});
  REQUIRE(unmeasured.code == 1);
  const auto u = json::parse(unmeasured.out);
  REQUIRE(u["checks"][1]["name"] == "max_usd_per_mtok");
  REQUIRE(u["checks"][1]["unit"] == unit);
  const auto measured = run_cli({"check", "8b", "--gpu", "h100-sxm", "--max-usd-per-mtok", "30", "--json"});
  REQUIRE(measured.code == 0);
  REQUIRE(json::parse(measured.out)["checks"][1]["unit"] == unit);
}

// Compare: one row per catalog model, one cell per quant; more bits never less memory in a row.
TEST_CASE("compare: the matrix", "[cli][compare]") {
  const auto o = run_cli({"compare", "--quants", "q4_k_m,q8_0", "--json"});
  REQUIRE(o.code == 0);
  const auto j = json::parse(o.out);
  REQUIRE(j["rows"].size() == 17);  // 7 distills, R1 x2, V3 x2, V3.1 x2, V3.2 x2, V4-Flash, V4-Pro
  for (const auto& row : j["rows"]) {
    REQUIRE(row["cells"].size() == 2);
    const auto& q4 = row["cells"][0];
    const auto& q8 = row["cells"][1];
    if (q4["applicable"] == true && q8["applicable"] == true)
      REQUIRE(q8["memory_total_bytes"].get<std::uint64_t>() > q4["memory_total_bytes"].get<std::uint64_t>());
  }
  const auto hw = run_cli({"compare", "--gpu", "rtx4090", "--models", "7b,70b", "--json"});
  const auto h = json::parse(hw.out);
  REQUIRE(h["rows"].size() == 2);
  REQUIRE(h["rows"][0]["cells"][0]["fits"] == true);  // 7B Q4_K_M on 24 GB
  // The 70B at Q4_K_M (about 40 GiB) keeps layers in RAM nobody gave: not a fit, as estimate says,
  // with the same RAM figure.
  const auto& big = h["rows"][1]["cells"][0];
  const auto est = json::parse(run_cli({"estimate", "70b", "-q", "q4_k_m", "--gpu", "rtx4090", "--json"}).out);
  REQUIRE(big["uses_ram"] == true);
  REQUIRE(big["fits"] == false);
  REQUIRE(est["fits"] == false);
  REQUIRE(big["needs_ram_bytes"] == est["layout"]["needs_ram_bytes"]);
  require_usage_error(run_cli({"compare", "--quants", "q9_z"}), "unknown quant");
  // Models named as arguments, as a new user types them, are the rows, in that order.
  const auto named = json::parse(run_cli({"compare", "70b", "7b", "--gpu", "rtx4090", "--json"}).out);
  REQUIRE(named["rows"].size() == 2);
  REQUIRE(named["rows"][0]["model"] == "r1-distill-llama-70b");
  REQUIRE(named["rows"][1]["model"] == "r1-distill-qwen-7b");
  require_usage_error(run_cli({"compare", "7b", "nosuch"}), "unknown model 'nosuch'");
}

// Completions: generated from the command definitions, so every command appears; the bash
// script is valid bash.
TEST_CASE("completions: bash and zsh name every command", "[cli][completions]") {
  const auto bash = run_cli({"completions", "bash"});
  const auto zsh = run_cli({"completions", "zsh"});
  REQUIRE(bash.code == 0);
  REQUIRE(zsh.code == 0);
  REQUIRE(zsh.out.rfind("#compdef dsplan", 0) == 0);
  for (const char* cmd : {"recommend", "estimate", "check", "compare", "train", "list", "show", "catalog"}) {
    REQUIRE(bash.out.find(cmd) != std::string::npos);
    REQUIRE(zsh.out.find(std::string("'") + cmd + ":") != std::string::npos);
  }
  REQUIRE(bash.out.find("complete -F _dsplan dsplan") != std::string::npos);
  require_usage_error(run_cli({"completions", "fish"}), "fish");
}

TEST_CASE("every command has --help with examples", "[cli]") {
  for (const char* cmd : {"recommend", "estimate", "check", "compare", "train", "list", "show", "completions"}) {
    const auto o = run_cli({cmd, "--help"});
    INFO(cmd);
    REQUIRE(o.code == 0);
    REQUIRE(o.out.find("Example") != std::string::npos);
  }
}

TEST_CASE("help says what each option takes and leaves one blank line between groups", "[cli]") {
  // dsplan reads every value as text to check it itself; CLI11 would label them all TEXT.
  for (const char* cmd :
       {"recommend", "estimate", "check", "compare", "train", "list", "show", "inspect", "detect", "completions"}) {
    const auto o = run_cli({cmd, "--help"});
    INFO(cmd);
    REQUIRE(o.code == 0);
    REQUIRE(o.out.find(" TEXT") == std::string::npos);
    REQUIRE(o.out.find("\n\n\n") == std::string::npos);
  }
  const std::string train = run_cli({"train", "--help"}).out;
  REQUIRE(train.find("--zero 0-3 ") != std::string::npos);
  REQUIRE(train.find("--count N|auto ") != std::string::npos);
  REQUIRE(train.find("--method full|lora|qlora ") != std::string::npos);
  // Enumerated values come from the tables they are parsed with (docs/cli.md: the engine's, latent,
  // latent+v, expanded), not a copy that dropped latent+v.
  REQUIRE(run_cli({"estimate", "--help"}).out.find("--mla-cache engine|latent|latent+v|expanded") != std::string::npos);
  // A value-less option names itself whatever its label.
  require_usage_error(run_cli({"--catalog"}), "--catalog needs a value after it");
  require_usage_error(run_cli({"train", "8b", "--zero"}), "--zero needs a value after it");
}

// check's lines give large figures in full (67,853 ms printed as 6.785e+04 read as a typo), and
// show --json gives no single head width for MLA, whose Q/K (192) and V (128) widths differ.
TEST_CASE("check prints large figures without an exponent and show gives MLA no head_dim", "[cli]") {
  const auto c = run_cli({"check", "r1", "-q", "q2_k", "--gpu", "rtx4090", "--ram", "256", "--max-ttft-ms", "60000"});
  REQUIRE(c.out.find("e+0") == std::string::npos);
  REQUIRE(c.out.find("required at most 60000") != std::string::npos);
  const auto r1 = run_json({"show", "r1"});
  REQUIRE(r1["architecture"]["head_dim"].is_null());
  REQUIRE(r1["architecture"]["attention_config"]["v_head_dim"] == 128);
  REQUIRE(run_json({"show", "8b"})["architecture"]["head_dim"] == 128);  // Llama-3.1-8B: 4096 / 32
}

TEST_CASE("compare says why its n/a cells are n/a", "[cli][compare]") {
  // llama.cpp has no 'auto' cache type: the GGUF cells cannot be planned with it, the native
  // (vLLM) cell can. The table names the reason once instead of leaving bare n/a cells.
  const auto o = run_cli({"compare", "8b", "32b", "--gpu", "rtx4090", "--kv-type", "auto"});
  REQUIRE(o.code == 0);
  REQUIRE(o.out.find("n/a: --kv-type auto: llama.cpp has no 'auto' cache type") != std::string::npos);
  const auto first = o.out.find("n/a: ");
  REQUIRE(o.out.find("n/a: ", first + 1) == std::string::npos);
  // Nothing n/a, no reason line.
  const auto plain = run_cli({"compare", "8b", "--gpu", "rtx4090"});
  REQUIRE(plain.out.find("n/a: ") == std::string::npos);
}

TEST_CASE("compare shows with --batch the speed check's --min-tps gates on", "[cli][compare]") {
  const auto c = run_json({"compare", "32b", "--vram", "24", "--gpus", "2", "--batch", "4", "--context", "8k",
                           "--quants", "q5_k_m", "--json"});
  const auto cell = c["rows"][0]["cells"][0];
  const double served = cell["served_decode_tokens_per_s"].get<double>();
  REQUIRE(served < cell["decode_tokens_per_s"].get<double>());
  const auto k = run_json({"check", "32b", "-q", "q5_k_m", "--vram", "24", "--gpus", "2", "--batch", "4", "--context",
                           "8k", "--min-tps", "1", "--json"});
  REQUIRE(k["checks"][1]["name"] == "min_tps");
  REQUIRE(k["checks"][1]["measured"].get<double>() == Approx(served).epsilon(1e-9));
  const auto text = run_cli(
      {"compare", "32b", "--vram", "24", "--gpus", "2", "--batch", "4", "--context", "8k", "--quants", "q5_k_m"});
  REQUIRE(text.out.find(fmt::format("{:.1f} tok/s", served)) != std::string::npos);
}

TEST_CASE("check's fitting-quant note gives every flag its pick needs: run as given it passes", "[cli][check]") {
  // The search places a 70B with 10% of the RTX 4090 left free by keeping layers in RAM; the note
  // must say how many stay on the GPU, or the user's run fills it and fails the same limit.
  for (const auto& [model, fraction] : {std::pair{"70b", "0.9"}, std::pair{"32b", "0.8"}}) {
    const std::vector<std::string> hardware{
        "--gpu", "rtx4090", "--ram", "64", "--min-tps", "1", "--max-memory-fraction", fraction};
    std::vector<std::string> args{"check", model, "--quant", "q4_k_m"};
    args.insert(args.end(), hardware.begin(), hardware.end());
    const auto failed = run_cli(args);
    REQUIRE(failed.code == 1);
    const std::string marker = "meets these limits: ";
    const auto at = failed.out.find(marker);
    REQUIRE(at != std::string::npos);
    const auto end = failed.out.find(" (~", at);
    std::vector<std::string> rerun{"check", model};
    std::istringstream flags(failed.out.substr(at + marker.size(), end - at - marker.size()));
    for (std::string f; flags >> f;) rerun.push_back(f);
    rerun.insert(rerun.end(), hardware.begin(), hardware.end());
    const auto again = run_cli(rerun);
    CAPTURE(failed.out, again.out);
    REQUIRE(again.code == 0);
  }
}

TEST_CASE("count auto keeps a layer split in one machine", "[cli][count]") {
  // R1 Q8_0 is 664 GiB: 8 x H100 80 GB (one HGX node) hold 637 GiB, so no count of one machine
  // holds it on llama.cpp, whose layer split does not span machines (it once chose 11).
  const json j = run_json({"estimate", "r1", "--quant", "q8_0", "--gpu", "h100-sxm", "--count", "auto"});
  REQUIRE(j["hardware"]["gpu_count"] == 8);  // the most one machine holds, none found
  REQUIRE(note_with(j, "no count of h100-sxm up to 8 (one machine") != "");
  // Q4_K_M (377 GiB) fits within the node.
  const json q4 = run_json({"estimate", "r1", "--quant", "q4_k_m", "--gpu", "h100-sxm", "--count", "auto"});
  REQUIRE(q4["gpu_count"].get<int>() <= 8);
  REQUIRE(q4["fits"] == true);
}

TEST_CASE("compare names what each cell chose: GPUs with count auto and cache type and a capped context", "[cli][compare]") {
  // --count auto: each cell takes its own count; the table and JSON say which.
  const auto table = run_cli({"compare", "r1", "--gpu", "h100-sxm", "--count", "auto"});
  REQUIRE(table.code == 0);
  REQUIRE(table.out.find("on N = the GPUs --count auto chose for the cell") != std::string::npos);
  const json counted = run_json({"compare", "r1", "--gpu", "h100-sxm", "--count", "auto", "--quants", "q4_k_m,native"});
  const json& cells = counted["rows"][0]["cells"];
  // FP8 R1 (630 GiB) takes two 8-GPU nodes; Q4_K_M (377 GiB) fewer than 8.
  REQUIRE(cells[1]["gpus"] == 16);
  REQUIRE(cells[0]["gpus"].get<int>() < 8);
  REQUIRE(table.out.find(" on 16") != std::string::npos);
  // --kv-type auto with --context max: the cache type the context needs is named.
  const json kv =
      run_json({"compare", "32b", "--gpu", "rtx4090", "--context", "max", "--kv-type", "auto", "--quants", "q4_k_m"});
  const std::string type = kv["rows"][0]["cells"][0]["kv_type"];
  const auto kv_table =
      run_cli({"compare", "32b", "--gpu", "rtx4090", "--context", "max", "--kv-type", "auto", "--quants", "q4_k_m"});
  REQUIRE(kv_table.out.find(" " + type + " (") != std::string::npos);
  // A context past a model's window is planned at the window, and said so.
  const json capped = run_json({"compare", "7b", "--context", "1m", "--quants", "q4_k_m"});
  REQUIRE(capped["rows"][0]["cells"][0]["context"] == 131'072);
  REQUIRE(capped["rows"][0]["cells"][0]["context_capped"] == true);
  const auto capped_table = run_cli({"compare", "7b", "--context", "1m", "--quants", "q4_k_m"});
  REQUIRE(capped_table.out.find("the model's window where it is shorter than asked (DeepSeek-R1-Distill-Qwen-7B "
                                "131,072)") != std::string::npos);
  // Footnotes only for what the table shows: no native column, no cell in RAM.
  REQUIRE(capped_table.out.find("native = ") == std::string::npos);
  REQUIRE(capped_table.out.find("* in system RAM") == std::string::npos);
  // With --ram given, the footnote does not say the RAM went unchecked (audit 54: compare --detect).
  const auto ram = run_cli({"compare", "8b", "--ram", "64", "--quants", "q4_k_m"});
  REQUIRE(ram.out.find("* in system RAM, in part or whole") != std::string::npos);
  REQUIRE(ram.out.find("does not check that the RAM is there") == std::string::npos);
}

TEST_CASE("compare keeps the models in the order typed and refuses a row or column listed twice", "[cli][compare]") {
  const json j = run_json({"compare", "7b", "--models", "8b", "--quants", "q4_k_m"});
  REQUIRE(j["rows"][0]["model"] == "r1-distill-qwen-7b");
  REQUIRE(j["rows"][1]["model"] == "r1-distill-llama-8b");
  require_usage_error(run_cli({"compare", "7b", "r1-distill-qwen-7b"}),
                      "model 'r1-distill-qwen-7b' is DeepSeek-R1-Distill-Qwen-7B, already listed");
  require_usage_error(run_cli({"compare", "7b", "--quants", "q4_k_m,Q4_K_M"}),
                      "--quants: 'Q4_K_M' names a column already listed");
}

TEST_CASE("check with --context max names the context it checked", "[cli][check]") {
  const json j = run_json({"check", "32b", "--quant", "q6_k", "--vram", "24", "--ram", "32", "--context", "max"});
  const std::uint64_t context = j["estimate"]["context"];
  REQUIRE(j["checks"][0]["text"] == fmt::format("fits in memory at {} tokens, the largest context that does "
                                                "(--context max)",
                                                context));
}

TEST_CASE("a layer-split engine is not planned over several machines", "[cli]") {
  // llama.cpp's layer split runs in one process; --nodes 2 would price a second machine left idle.
  const auto j = run_json({"estimate", "8b", "--gpu", "rtx4090", "--nodes", "2", "--engine", "llama.cpp"});
  REQUIRE(j["layout"]["unsupported"].is_string());
  REQUIRE(j["layout"]["unsupported"].get<std::string>().find("runs in one machine and --nodes 2") != std::string::npos);
  // vLLM spans them (pipeline stages over the nodes).
  const auto v = run_json({"estimate", "8b", "--gpu", "rtx4090", "--nodes", "2", "--engine", "vllm"});
  REQUIRE(v["layout"]["unsupported"].is_null());
}

TEST_CASE("compare says which engine each column ran on when they differ", "[cli][compare]") {
  // FP16 safetensors go to vLLM first, GGUF formats to llama.cpp (data/quants.json engines).
  const auto mixed = run_cli({"compare", "--quants", "fp16,q8_0,q4_k_m", "--models", "1.5b"});
  REQUIRE(mixed.code == 0);
  REQUIRE(mixed.out.find("engines: fp16 on vllm; q8_0, q4_k_m on llama.cpp") != std::string::npos);
  const auto one = run_cli({"compare", "--quants", "fp16,q8_0,q4_k_m", "--models", "1.5b", "--engine", "llama.cpp"});
  REQUIRE(one.code == 0);
  REQUIRE(one.out.find("engines:") == std::string::npos);
}

TEST_CASE("compare names models with the same n/a reason together", "[cli][compare]") {
  const auto o = run_cli({"compare", "--models", "8b,v4-flash,v4-pro", "--quants", "q4_k_m", "--vram", "24"});
  REQUIRE(o.code == 0);
  REQUIRE(o.out.find("n/a: DeepSeek-V4-Flash and DeepSeek-V4-Pro's GGUF files are sized from the files themselves") !=
          std::string::npos);
  REQUIRE(o.out.find("n/a: DeepSeek-V4-Pro's") == std::string::npos);
}

TEST_CASE("compare --quants takes one value so a model named after it is a model", "[cli][compare]") {
  // The documented form is compare [MODEL ...] [--quants Q,...]; users write the model after it too.
  const auto o = run_cli({"compare", "--quants", "q4_k_m", "7b"});
  INFO(o.err);
  REQUIRE(o.code == 0);
  REQUIRE(o.out.find("DeepSeek-R1-Distill-Qwen-7B") != std::string::npos);
  REQUIRE(o.out.find("DeepSeek-R1-Distill-Qwen-14B") == std::string::npos);
}

TEST_CASE("check: a cost limit alone also gets a note naming a file that meets it", "[cli][check]") {
  // Q8_0 of the 7B costs more per million tokens than 0.5 USD on a rented RTX 4090; smaller files
  // (ranked below it by quality) cost less. The note's file must itself pass the same check.
  const auto o = run_cli({"check", "7b", "-q", "q8_0", "--gpu", "rtx4090", "--max-usd-per-mtok", "0.5"});
  REQUIRE(o.code == 1);
  const auto at = o.out.find("fits this hardware and meets these limits: --quant ");
  REQUIRE(at != std::string::npos);
  const auto quant_at = at + std::string("fits this hardware and meets these limits: --quant ").size();
  const std::string quant = o.out.substr(quant_at, o.out.find(' ', quant_at) - quant_at);
  const auto engine_at = o.out.find("--engine ", quant_at) + 9;
  const std::string engine = o.out.substr(engine_at, o.out.find_first_of(" \n", engine_at) - engine_at);
  REQUIRE(run_cli({"check", "7b", "-q", quant, "-e", engine, "--gpu", "rtx4090", "--max-usd-per-mtok", "0.5"}).code ==
          0);
}

TEST_CASE("compare says cannot run where vLLM would need identical GPUs and not a memory figure", "[cli][compare]") {
  // An RTX 3060 and an H100: vLLM shards layers evenly, so no amount of memory places BF16 there.
  const auto o = run_cli({"compare", "7b", "--gpus", "rtx3060,h100-sxm"});
  REQUIRE(o.code == 0);
  REQUIRE(o.out.find("no (cannot run)") != std::string::npos);
  REQUIRE(o.out.find("no (17.71 GiB)") == std::string::npos);
  const auto e = run_cli({"estimate", "7b", "--gpus", "rtx3060,h100-sxm", "-e", "vllm"});
  REQUIRE(e.out.find("CANNOT RUN ON THIS HARDWARE") != std::string::npos);
}
