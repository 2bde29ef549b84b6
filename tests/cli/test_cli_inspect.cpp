// `dsplan inspect` in-process on files written to a temporary directory: split sets, shards,
// config.json, --emit-catalog round trip, one-line errors.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "../unit/model_file_writers.hpp"
#include "cli_support.hpp"

namespace {

using namespace dsplan::test;
using nlohmann::json;

/// Two-part split set of a dense toy (F32 throughout): 4 tensors of [32, 8] (1,024 bytes each)
/// in the first part, 2 more and a [32] norm (128 bytes) in the second. `second_count`: the
/// split.count the second part gives.
std::filesystem::path write_split_set(const std::filesystem::path& dir, std::uint16_t second_count = 2) {
  for (int part = 0; part < 2; ++part) {
    GgufWriter w;
    if (part == 0) {
      w.kv_str("general.architecture", "llama");
      w.kv_i32("split.tensors.count", 7);
    }
    w.kv_u16("split.no", static_cast<std::uint16_t>(part));
    w.kv_u16("split.count", part == 0 ? 2 : second_count);
    const int first = part == 0 ? 0 : 4;
    const int last = part == 0 ? 4 : 6;
    for (int i = first; i < last; ++i) w.tensor("blk." + std::to_string(i) + ".attn_q.weight", {32, 8}, F32, 1024);
    if (part == 1) w.tensor("output_norm.weight", {32}, F32, 128);
    write_file(dir / ("toy-0000" + std::to_string(part + 1) + "-of-00002.gguf"), w.build().bytes);
  }
  return dir / "toy-00002-of-00002.gguf";
}

}  // namespace

TEST_CASE("inspect a GGUF split set from any part", "[cli][inspect]") {
  const auto dir = temp_dir("inspect-split");
  const auto second = write_split_set(dir);
  const auto o = run_cli({"inspect", second.string(), "--json"});
  CAPTURE(o.err);
  REQUIRE(o.code == 0);
  const json j = json::parse(o.out);
  REQUIRE(j["format"] == "gguf");
  REQUIRE(j["files"].size() == 2);
  REQUIRE(j["tensor_count"] == 7);
  REQUIRE(j["tensor_bytes"] == 6 * 1024 + 128);
  REQUIRE(j["types"]["f32"]["count"] == 7);
  REQUIRE(j["groups"]["attention"]["bytes"] == 6 * 1024);
  REQUIRE(j["catalog_model"].is_null());
  REQUIRE(j["mla_layout"].is_null());
  REQUIRE(j["params_total"] == 6 * 256 + 32);

  const auto table = run_cli({"inspect", (dir / "toy-00001-of-00002.gguf").string()});
  REQUIRE(table.code == 0);
  REQUIRE_THAT(table.out, Catch::Contains("not in the catalog") && Catch::Contains("6,272 B"));

  std::filesystem::remove(dir / "toy-00001-of-00002.gguf");
  require_usage_error(run_cli({"inspect", second.string()}), "part 1 of 2 of");
}

TEST_CASE("split GGUF parts that disagree on split.count are refused", "[cli][inspect]") {
  // Parts of two sets (audit 54: the second part's split.count 3 went unnoticed).
  const auto dir = temp_dir("inspect-split-count");
  const auto second = write_split_set(dir, 3);
  require_usage_error(
      run_cli({"inspect", second.string()}),
      "toy-00002-of-00002.gguf: key 'split.count': expected 2 parts, as the first part says, the file says 3");
}

TEST_CASE("inspect a sharded safetensors checkpoint with its config.json", "[cli][inspect]") {
  const auto dir = temp_dir("inspect-shards");
  SafetensorsWriter a, b;
  a.tensor("model.embed_tokens.weight", "BF16", {16, 8}, 256);
  b.tensor("lm_head.weight", "BF16", {16, 8}, 256);
  b.tensor("model.norm.weight", "BF16", {8}, 16);
  write_file(dir / "model-00001-of-00002.safetensors", a.build());
  write_file(dir / "model-00002-of-00002.safetensors", b.build());
  std::ofstream(dir / "model.safetensors.index.json") << R"({"metadata": {"total_size": 528}, "weight_map": {
      "model.embed_tokens.weight": "model-00001-of-00002.safetensors",
      "lm_head.weight": "model-00002-of-00002.safetensors", "model.norm.weight": "model-00002-of-00002.safetensors"}})";
  std::ofstream(dir / "config.json") << R"({"model_type": "llama", "hidden_size": 8, "num_hidden_layers": 1,
      "num_attention_heads": 2, "num_key_value_heads": 1, "intermediate_size": 16, "vocab_size": 16,
      "max_position_embeddings": 256})";
  const auto o = run_cli({"inspect", dir.string(), "--json"});
  CAPTURE(o.err);
  REQUIRE(o.code == 0);
  const json j = json::parse(o.out);
  REQUIRE(j["format"] == "safetensors");
  REQUIRE(j["files"].size() == 2);
  REQUIRE(j["tensor_count"] == 3);
  REQUIRE(j["tensor_bytes"] == 528);
  REQUIRE(j["types"]["BF16"]["bytes"] == 528);
  REQUIRE(j["architecture"] == "llama");
  REQUIRE(j["params_total"] == 264);
  // vLLM, 1 layer x (K 1 head x 4 + V 4) values x 2 bytes
  REQUIRE(j["kv_bytes_per_token"] == 16);

  std::filesystem::remove(dir / "model-00002-of-00002.safetensors");
  require_usage_error(run_cli({"inspect", dir.string()}), "model-00002-of-00002.safetensors: shard named by");
}

TEST_CASE("inspect --emit-catalog gives an entry --catalog accepts", "[cli][inspect]") {
  const auto dir = temp_dir("inspect-emit");
  // Mistral-7B-v0.1's config.json: 7,241,732,096 parameters (hand count in test_safetensors_config.cpp).
  std::ofstream(dir / "config.json") << R"({"model_type": "mistral", "hidden_size": 4096, "intermediate_size": 14336,
      "max_position_embeddings": 32768, "num_attention_heads": 32, "num_hidden_layers": 32,
      "num_key_value_heads": 8, "tie_word_embeddings": false, "vocab_size": 32000})";
  const auto emitted = run_cli({"inspect", (dir / "config.json").string(), "--emit-catalog"});
  CAPTURE(emitted.err);
  REQUIRE(emitted.code == 0);
  const json entry = json::parse(emitted.out);
  REQUIRE(entry["models"][0]["id"] == "dsplan-test-inspect-emit");
  std::ofstream(dir / "mine.json") << emitted.out;
  const auto shown = run_cli({"--catalog", (dir / "mine.json").string(), "show", "dsplan-test-inspect-emit", "--json"});
  CAPTURE(shown.err);
  REQUIRE(shown.code == 0);
  REQUIRE(json::parse(shown.out)["params_total"] == 7241732096ULL);
  // Its launch lines load the directory the file is in, not a hub repository that does not exist.
  const auto run = json::parse(run_cli({"--catalog", (dir / "mine.json").string(), "estimate",
                                        "dsplan-test-inspect-emit", "--engine", "vllm", "--gpu", "a100-80g", "--json"})
                                   .out);
  const std::string command = run["launch"]["command"];
  REQUIRE(command.rfind("vllm serve " + std::filesystem::absolute(dir).lexically_normal().string() + " ", 0) == 0);
  const auto gguf = json::parse(run_cli({"--catalog", (dir / "mine.json").string(), "estimate",
                                         "dsplan-test-inspect-emit", "-q", "q4_k_m", "--gpu", "rtx4090", "--json"})
                                    .out);
  REQUIRE(gguf["launch"]["command"].get<std::string>().find("unsloth/") == std::string::npos);
}

TEST_CASE("a GGUF's emitted entry is that file: estimate sizes it, llama.cpp loads it", "[cli][inspect]") {
  // Audit 52 #8: the entry named the file's directory as a checkpoint, so estimate sized BF16 on
  // vLLM and launched `vllm serve DIR`, where there is only a GGUF.
  const auto dir = temp_dir("inspect-emit-gguf");
  write_file(dir / "toy.gguf", toy_llama().build().bytes);
  const auto emitted = run_cli({"inspect", (dir / "toy.gguf").string(), "--emit-catalog"});
  REQUIRE(emitted.code == 0);
  const std::string file = std::filesystem::absolute(dir / "toy.gguf").lexically_normal().string();
  const json entry = json::parse(emitted.out)["models"][0];
  REQUIRE(entry["model_file"] == file);
  REQUIRE_FALSE(entry.contains("hf_repo"));
  std::ofstream(dir / "mine.json") << emitted.out;
  const std::string cat = (dir / "mine.json").string();
  // toy_llama's tensors, by hand: embeddings and output 2 x 17,408, output norm 256, two blocks of
  // 31,488 (norms 2 x 256, Q and O 2 x 4,352, K and V 2 x 2,176, gate and up 2 x 4,608, down 8,704).
  const json e = run_json({"--catalog", cat, "estimate", "toy-llama", "--gpu", "rtx4090"});
  REQUIRE(e["memory"]["weights"]["file_tensor_bytes"] == 98'048);
  REQUIRE(e["launch"]["command"].get<std::string>().rfind("llama-server -m " + file + " ", 0) == 0);
  // Another format: the architecture in it, made from the file, not a directory vLLM cannot load.
  const json q = run_json({"--catalog", cat, "estimate", "toy-llama", "-q", "q4_k_m", "--gpu", "rtx4090"});
  REQUIRE(q["launch"]["command"].get<std::string>().find("made from " + file) != std::string::npos);
  const json v = run_json({"--catalog", cat, "estimate", "toy-llama", "-q", "bf16", "-e", "vllm", "--gpu", "rtx4090"});
  REQUIRE(v["launch"]["command"].get<std::string>().find(dir.string()) == std::string::npos);
  std::filesystem::remove(dir / "toy.gguf");
  require_usage_error(run_cli({"--catalog", cat, "estimate", "toy-llama"}),
                      "model 'toy-llama' is the file its catalog entry names (model_file): " + file);
}

TEST_CASE("a catalog model_file is an absolute path or a remote reference", "[cli][inspect]") {
  const auto dir = temp_dir("model-file-relative");
  std::ofstream(dir / "rel.json") << R"({"models": [{"id": "rel", "name": "Rel", "family": "custom",
      "model_file": "toy.gguf", "native_dtype": "bf16", "config_source": "hand",
      "config": {"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
                 "num_key_value_heads": 2, "intermediate_size": 128, "vocab_size": 256,
                 "max_position_embeddings": 2048}}]})";
  require_usage_error(run_cli({"catalog", "validate", (dir / "rel.json").string()}),
                      "'toy.gguf' is not an absolute path, an http(s):// URL or an hf: reference");
}

TEST_CASE("inspect errors are one line", "[cli][inspect]") {
  require_usage_error(run_cli({"inspect", "/nonexistent/model.gguf"}), "/nonexistent/model.gguf: no such file or directory");
  const auto dir = temp_dir("inspect-errors");
  write_file(dir / "bad.gguf", {'G', 'G', 'U', 'F', 3, 0, 0, 0});
  require_usage_error(run_cli({"inspect", (dir / "bad.gguf").string()}), "bad.gguf: byte 8: the tensor count needs 8 bytes");
  const auto config_dir = temp_dir("inspect-errors-config");
  std::ofstream(config_dir / "config.json") << R"({"model_type": "llama"})";
  require_usage_error(run_cli({"inspect", config_dir.string()}), "config.json: /: missing required field");
  // Fuzz finding: a number beyond a double escaped the parser as an uncaught exception (abort).
  std::ofstream(config_dir / "config.json", std::ios::trunc) << R"({"model_type": "llama", "hidden_size": 1e999})";
  require_usage_error(run_cli({"inspect", config_dir.string()}), "invalid JSON: number overflow parsing '1e999'");
  std::vector<std::uint8_t> header = {12, 0, 0, 0, 0, 0, 0, 0};
  for (char c : std::string("999E4999Es..")) header.push_back(static_cast<std::uint8_t>(c));
  write_file(dir / "overflow.safetensors", header);
  require_usage_error(run_cli({"inspect", (dir / "overflow.safetensors").string()}), "invalid JSON: number overflow");
}

TEST_CASE("emit-catalog on an architecture dsplan cannot build says so as inspect does", "[cli][inspect]") {
  const auto dir = temp_dir("inspect-emit-unknown");
  GgufWriter w;
  w.kv_str("general.architecture", "mamba9");
  w.tensor("blk.0.attn_q.weight", {32, 8}, F32, 1024);
  write_file(dir / "m.gguf", w.build().bytes);
  const std::string why = "architecture 'mamba9' is not one dsplan can build";
  REQUIRE(run_cli({"inspect", (dir / "m.gguf").string()}).out.find(why) != std::string::npos);
  require_usage_error(run_cli({"inspect", (dir / "m.gguf").string(), "--emit-catalog"}),
                      "cannot emit a catalog entry: " + why);
}
