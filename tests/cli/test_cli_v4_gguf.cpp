// DeepSeek-V4 GGUF files (llama.cpp's deepseek4): sized from their own tensors, cached as
// llama_kv_cache_dsv4 allocates (rows of the -ctk type in cells padded to 256, per sequence,
// plus F32 compressor states), refused where llama.cpp has no DeepSeek-V4 kernels.
#include <catch2/catch.hpp>

#include <fstream>

#include <nlohmann/json.hpp>

#include "../unit/model_file_writers.hpp"
#include "cli_support.hpp"

namespace {

using namespace dsplan::test;
using nlohmann::json;

std::uint64_t stream_bytes(const json& kv, const std::string& name) {
  for (const auto& s : kv["streams"])
    if (s["name"] == name) return s["bytes_per_entry"].get<std::uint64_t>();
  FAIL("no stream " << name);
  return 0;
}

}  // namespace

TEST_CASE("a DeepSeek-V4 GGUF is sized from its tensors and cached as llama.cpp allocates", "[cli][model_file][v4]") {
  const auto dir = temp_dir("gguf-v4");
  write_file(dir / "v4.gguf", deepseek4_gguf().build().bytes);
  const json e = run_json({"estimate", (dir / "v4.gguf").string(), "--context", "1024", "--ram", "64"});
  REQUIRE(e["engine"]["id"] == "llama.cpp");
  const json& w = e["memory"]["weights"];
  REQUIRE(w["loaded_bytes"] == w["file_tensor_bytes"]);  // no MTP block in the file
  const json& kv = e["memory"]["kv_cache"];
  REQUIRE(kv["cache_type"] == "f16");
  // Rows of 128 values in f16 (256 B), indexer keys of 32 (64 B); per sequence: the window 16
  // plus the default micro-batch 512 -> 528 cells, padded to 768; 1024 / 4 = 256 cells; 1024 /
  // 128 = 8, padded to 256. Layers: 4 windowed, 2 at ratio 4, 1 at ratio 128.
  REQUIRE(stream_bytes(kv, "window") == 256);
  REQUIRE(stream_bytes(kv, "csa_indexer_keys") == 64);
  // States: kv and score tensors of F32, ratio 4 2 x 4 rows of 2 x 128 (indexer 2 x 32),
  // ratio 128 128 rows of 128.
  REQUIRE(stream_bytes(kv, "csa_state") == 2 * 8 * 256 * 4);
  REQUIRE(stream_bytes(kv, "csa_indexer_state") == 2 * 8 * 64 * 4);
  REQUIRE(stream_bytes(kv, "hca_state") == 2 * 128 * 128 * 4);
  const std::uint64_t one =
      768 * 4 * 256 + 256 * 2 * 256 + 256 * 2 * 64 + 256 * 1 * 256 + 2 * 16'384 + 2 * 4'096 + 131'072;  // 1,187,840
  REQUIRE(kv["total_bytes"] == one);
  // llama.cpp keeps every cache per sequence (kv_unified is ignored for DeepSeek-V4).
  const json two =
      run_json({"estimate", (dir / "v4.gguf").string(), "--context", "1024", "--batch", "2", "--ram", "64"});
  REQUIRE(two["memory"]["kv_cache"]["total_bytes"] == 2 * one);
  // -ctk q8_0: 34 B per 32 values, the states stay F32.
  const json q8 =
      run_json({"estimate", (dir / "v4.gguf").string(), "--context", "1024", "--kv-type", "q8_0", "--ram", "64"});
  REQUIRE(stream_bytes(q8["memory"]["kv_cache"], "window") == 136);
  REQUIRE(stream_bytes(q8["memory"]["kv_cache"], "hca_state") == 131'072);
}

TEST_CASE("a DeepSeek-V4 GGUF runs on llama.cpp's CUDA, Metal and ROCm GPUs", "[cli][model_file][v4]") {
  const auto dir = temp_dir("gguf-v4-gpus");
  write_file(dir / "v4.gguf", deepseek4_gguf().build().bytes);
  for (const char* gpu : {"rtx4090", "m3-max", "mi300x", "strix-halo"})
    REQUIRE(run_json({"estimate", (dir / "v4.gguf").string(), "--gpu", gpu})["layout"]["unsupported"].is_null());
}

TEST_CASE("llama.cpp times DeepSeek-V4's blocks by their graph's size", "[cli][model_file][v4]") {
  // 2.4x the fixed time per block of the V3 blocks it was fitted on: about 198 graph nodes per
  // V4 block (8-9k for 43 blocks, PR #25585) against 82 per V3 block (5,025 for 61).
  const auto dir = temp_dir("gguf-v4-graph");
  write_file(dir / "v4.gguf", deepseek4_gguf().build().bytes);
  const auto o = run_cli({"estimate", (dir / "v4.gguf").string(), "--gpu", "rtx4090", "--explain"});
  REQUIRE(o.code == 0);
  REQUIRE(o.out.find("Toy V4's blocks take x2.40 the fixed time per block") != std::string::npos);
}

TEST_CASE("a DeepSeek-V4 GGUF without its ratios or attention keys is refused", "[cli][model_file][v4]") {
  const auto dir = temp_dir("gguf-v4-bad");
  write_file(dir / "short.gguf", deepseek4_gguf(V4Dims{.ratios = {0, 4, 128}}).build().bytes);
  require_usage_error(
      run_cli({"estimate", (dir / "short.gguf").string()}),
      "key 'deepseek4.attention.compress_ratios' has 3 ratios for the 4 blocks of 'deepseek4.block_count'");
  write_file(dir / "window.gguf", deepseek4_gguf(V4Dims{.window = 0}).build().bytes);
  require_usage_error(run_cli({"estimate", (dir / "window.gguf").string()}),
                      "key 'deepseek4.attention.sliding_window' is 0 or empty (llama.cpp's deepseek4 loader needs it)");
  write_file(dir / "hc.gguf", deepseek4_gguf(V4Dims{.hc = 0}).build().bytes);
  require_usage_error(run_cli({"estimate", (dir / "hc.gguf").string()}), "key 'deepseek4.hyper_connection.count' is 0");
  write_file(dir / "groups.gguf", deepseek4_gguf({}, false).build().bytes);
  require_usage_error(
      run_cli({"estimate", (dir / "groups.gguf").string()}),
      "key 'deepseek4.attention.output_group_count' is missing (llama.cpp's deepseek4 loader needs it)");
}

TEST_CASE("a DeepSeek-V4 GGUF's emitted catalog entry keeps its ratios and hash layers", "[cli][model_file][v4]") {
  const auto dir = temp_dir("gguf-v4-emit");
  write_file(dir / "v4.gguf", deepseek4_gguf().build().bytes);
  const auto o = run_cli({"inspect", (dir / "v4.gguf").string(), "--emit-catalog"});
  REQUIRE(o.code == 0);
  const json config = json::parse(o.out)["models"][0]["config"];
  // The file lists the MTP layer's ratio too; the block it describes is not in the file.
  REQUIRE(config["compress_ratios"] == json::array({0, 4, 128, 4}));
  REQUIRE(config["num_hash_layers"] == 1);
  REQUIRE(config.find("intermediate_size") == config.end());  // every block has experts
  std::ofstream(dir / "v4.json") << o.out;
  REQUIRE(run_cli({"catalog", "validate", (dir / "v4.json").string()}).code == 0);
}

TEST_CASE("DeepSeek-V4's GGUF presets point to the file", "[cli][v4]") {
  require_usage_error(run_cli({"estimate", "v4-flash", "--quant", "q4_k_m"}), "--model-file");
  const auto o = run_cli({"show", "v4-flash"});
  REQUIRE(o.code == 0);
  REQUIRE(o.out.find("sized from the file itself: --model-file hf:") != std::string::npos);
}

TEST_CASE("a llama.cpp build older than its DeepSeek-V4 support is refused", "[cli][model_file][v4]") {
  // PR #24162 (DeepSeek V4) was merged into master on 2026-06-29.
  const auto dir = temp_dir("gguf-v4-build");
  write_file(dir / "v4.gguf", deepseek4_gguf().build().bytes);
  require_usage_error(run_cli({"estimate", (dir / "v4.gguf").string(), "--build-date", "2026-06-28"}),
                      "llama.cpp loads deepseek4 GGUF files (Toy V4) since 2026-06-29");
  REQUIRE(run_cli({"estimate", (dir / "v4.gguf").string(), "--build-date", "2026-06-29"}).code == 0);
}

TEST_CASE("compare beside a DeepSeek-V4 file does not ask for the file again", "[cli][model_file][v4]") {
  const auto dir = temp_dir("gguf-v4-compare");
  write_file(dir / "v4.gguf", deepseek4_gguf().build().bytes);
  const json m = run_json(
      {"compare", "--model-file", (dir / "v4.gguf").string(), "--quants", "q4_k_m", "--gpu", "h200", "--count", "8"});
  const json& file_row = m["rows"][0];
  REQUIRE(file_row["cells"][0]["quant"] == "file");
  REQUIRE(file_row["cells"][0]["applicable"] == true);
  const std::string why = file_row["cells"][1]["why_not"];
  REQUIRE(why.find("presets are not sized, only its files: the file column is the one you gave") != std::string::npos);
  REQUIRE(why.find("give one with") == std::string::npos);
}
