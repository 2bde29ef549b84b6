// The user's own files, as a new-user audit (stop 47) tried them: a file of a model outside the
// catalog borrows engines only from formats every model may use; tensors must follow one another
// as llama.cpp lays them out; launch lines quote the path; a file's name reaches the terminal
// without escapes; a legacy MLA file cannot be given the latent cache on llama.cpp.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "../unit/model_file_writers.hpp"
#include "cli_support.hpp"

namespace {

using namespace dsplan::test;
using nlohmann::json;

constexpr std::uint32_t k_iq1_s = 19;  // ggml_type GGML_TYPE_IQ1_S: 256 weights in 50 bytes
std::uint64_t iq1_s(std::uint64_t n) { return n / 256 * 50; }

/// A Llama-shaped model no catalog entry has (hidden 256, 2 blocks, 4 heads of 64, 2 KV heads,
/// FFN 512, vocab 256), every matrix IQ1_S: about 1.6 bits per weight, the size of the
/// publisher-specific 1-bit formats of DeepSeek-R1.
/// A Llama GGUF's header keys: hidden 256, FFN 512, 4 heads, context 8,192.
GgufWriter llama_header(const std::string& name, std::uint32_t blocks, std::uint32_t kv_heads) {
  GgufWriter w;
  w.kv_str("general.architecture", "llama");
  w.kv_str("general.name", name);
  w.kv_u32("llama.block_count", blocks);
  w.kv_u32("llama.context_length", 8192);
  w.kv_u32("llama.embedding_length", 256);
  w.kv_u32("llama.feed_forward_length", 512);
  w.kv_u32("llama.attention.head_count", 4);
  w.kv_u32("llama.attention.head_count_kv", kv_heads);
  return w;
}

GgufWriter one_bit_llama(const std::string& name = "Small Llama", bool tied = false) {
  GgufWriter w = llama_header(name, 2, 2);
  w.kv_f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  w.tensor("token_embd.weight", {256, 256}, k_iq1_s, iq1_s(256 * 256));
  w.tensor("output_norm.weight", {256}, F32, f32(256));
  if (!tied) w.tensor("output.weight", {256, 256}, k_iq1_s, iq1_s(256 * 256));
  for (int b = 0; b < 2; ++b) {
    const std::string p = "blk." + std::to_string(b) + ".";
    w.tensor(p + "attn_norm.weight", {256}, F32, f32(256));
    w.tensor(p + "attn_q.weight", {256, 256}, k_iq1_s, iq1_s(256 * 256));
    w.tensor(p + "attn_k.weight", {256, 128}, k_iq1_s, iq1_s(256 * 128));
    w.tensor(p + "attn_v.weight", {256, 128}, k_iq1_s, iq1_s(256 * 128));
    w.tensor(p + "attn_output.weight", {256, 256}, k_iq1_s, iq1_s(256 * 256));
    w.tensor(p + "ffn_norm.weight", {256}, F32, f32(256));
    w.tensor(p + "ffn_gate.weight", {256, 512}, k_iq1_s, iq1_s(256 * 512));
    w.tensor(p + "ffn_up.weight", {256, 512}, k_iq1_s, iq1_s(256 * 512));
    w.tensor(p + "ffn_down.weight", {512, 256}, k_iq1_s, iq1_s(512 * 256));
  }
  return w;
}

/// A one-block Llama no catalog model has (hidden 256, 4 heads and KV heads, FFN 512, vocab 1024),
/// every matrix Q4_K (256 weights in 144 bytes). Before stop 47 its closest catalog format was
/// ubergarm's IQ1_S mix of DeepSeek-R1, which made ik_llama.cpp its default engine.
GgufWriter q4_k_llama() {
  const auto q4_k = [](std::uint64_t n) { return n / 256 * 144; };
  GgufWriter w = llama_header("tiny", 1, 4);
  w.tensor("token_embd.weight", {256, 1024}, Q4_K, q4_k(256 * 1024));
  w.tensor("blk.0.attn_norm.weight", {256}, F32, f32(256));
  for (const char* m : {"attn_q", "attn_k", "attn_v", "attn_output"})
    w.tensor(std::string("blk.0.") + m + ".weight", {256, 256}, Q4_K, q4_k(256 * 256));
  w.tensor("blk.0.ffn_norm.weight", {256}, F32, f32(256));
  w.tensor("blk.0.ffn_gate.weight", {256, 512}, Q4_K, q4_k(256 * 512));
  w.tensor("blk.0.ffn_up.weight", {256, 512}, Q4_K, q4_k(256 * 512));
  w.tensor("blk.0.ffn_down.weight", {512, 256}, Q4_K, q4_k(512 * 256));
  w.tensor("output_norm.weight", {256}, F32, f32(256));
  w.tensor("output.weight", {256, 1024}, Q4_K, q4_k(256 * 1024));
  return w;
}

}  // namespace

TEST_CASE("a file of a model outside the catalog stands in with a format any model may use", "[cli][model_file]") {
  const auto dir = temp_dir("stand-in-any-model");
  for (const auto& [file, bytes] :
       {std::pair{"q4_k.gguf", q4_k_llama().build().bytes}, std::pair{"one-bit.gguf", one_bit_llama().build().bytes}}) {
    const auto path = dir / file;
    write_file(path, bytes);
    const json e = run_json({"estimate", path.string()});
    const std::string stand_in = e["quant"]["stand_in"];
    const json quants = run_json({"list", "quants"});
    bool found = false;
    for (const auto& q : quants["quants"])
      if (q["id"] == stand_in) {
        found = true;
        CAPTURE(stand_in);
        REQUIRE(q["models"].empty());  // ud-*, ubergarm-*: files of DeepSeek-R1/V3 only
      }
    REQUIRE(found);
    REQUIRE(e["engine"]["id"] == "llama.cpp");  // stock llama.cpp loads Q4_K and IQ1_S
  }
}

TEST_CASE("GGUF tensors that overlap or leave gaps are refused as llama.cpp refuses them", "[cli][model_file]") {
  const auto dir = temp_dir("gguf-overlap");
  auto bytes = toy_llama().build().bytes;
  // The second tensor's offset (output_norm.weight, expected at 17,408) written as 0: it would
  // overlap token_embd. Its u64 offset is the last field of its info, just before the next name.
  const std::string name = "output_norm.weight";
  const auto at = std::search(bytes.begin(), bytes.end(), name.begin(), name.end());
  REQUIRE(at != bytes.end());
  // name, u32 n_dims (1), u64 ne[0], u32 type, then the u64 offset.
  const auto offset_at = static_cast<std::size_t>(at - bytes.begin()) + name.size() + 4 + 8 + 4;
  for (std::size_t i = 0; i < 8; ++i) bytes[offset_at + i] = 0;
  write_file(dir / "overlap.gguf", bytes);
  require_usage_error(run_cli({"inspect", (dir / "overlap.gguf").string()}),
                      "tensor 'output_norm.weight' is at data offset 0, not 17408");
}

TEST_CASE("launch lines quote a file path the shell would split or expand", "[cli][model_file]") {
  const auto dir = temp_dir("quoted path");
  const auto path = dir / "my model $HOME;x.gguf";
  write_file(path, toy_llama().build().bytes);
  const auto o = run_cli({"estimate", path.string(), "--vram", "8"});
  REQUIRE(o.code == 0);
  REQUIRE(o.out.find("llama-server -m '" + path.string() + "' -c ") != std::string::npos);
  REQUIRE(o.out.find("llama-bench -m '" + path.string() + "' -p ") != std::string::npos);
}

TEST_CASE("a file's name reaches the table without terminal escapes", "[cli][model_file]") {
  const auto dir = temp_dir("escape-name");
  const auto path = dir / "evil.gguf";
  write_file(path, one_bit_llama("evil\x1b[31mRED\x07").build().bytes);
  for (const auto& command : {"inspect", "estimate"}) {
    const auto o = run_cli({command, path.string()});
    REQUIRE(o.code == 0);
    REQUIRE(o.out.find('\x1b') == std::string::npos);
    REQUIRE(o.out.find('\x07') == std::string::npos);
    REQUIRE(o.out.find("evil\\x1b[31mRED\\x07") != std::string::npos);
  }
}

TEST_CASE("llama.cpp cannot cache the latent of a legacy MLA file", "[cli][model_file]") {
  // unsloth's R1 UD-IQ1_S files keep attn_kv_b whole: llama.cpp caches per-head K and V.
  require_usage_error(run_cli({"estimate", "r1", "-q", "ud-iq1_s", "--mla-cache", "latent"}), "keeps attn_kv_b whole");
  // ik_llama.cpp rebuilds attn_k_b / attn_v_b at load and caches the latent.
  REQUIRE(run_cli({"estimate", "r1", "-q", "ud-iq1_s", "--mla-cache", "latent", "-e", "ik_llama.cpp"}).code == 0);
}

TEST_CASE("a catalog GPU without a tensor rate is refused, not taken as infinitely fast", "[cli][model_file]") {
  const auto dir = temp_dir("gpu-no-tflops");
  const auto catalog = dir / "gpu.json";
  std::ofstream(catalog) << R"({"gpus": [{"id": "my-card", "name": "My card", "vendor": "nvidia",
    "class": "workstation", "architecture": "Ampere GA102", "memory_bytes": 51539607552,
    "memory_bandwidth_bytes_per_s": 768000000000, "tdp_watts": 300, "source": "a test"}]})";
  require_usage_error(run_cli({"--catalog", catalog.string(), "estimate", "8b", "--gpu", "my-card"}),
                      "no dense FP16/BF16 tensor rate");
}

TEST_CASE("a big-endian GGUF is named as such, not as an absurd version", "[cli][model_file]") {
  const auto dir = temp_dir("gguf-big-endian");
  auto bytes = toy_llama().build().bytes;
  bytes[4] = 0, bytes[5] = 0, bytes[6] = 0, bytes[7] = 3;  // version 3, big-endian
  write_file(dir / "be.gguf", bytes);
  require_usage_error(run_cli({"inspect", (dir / "be.gguf").string()}), "a big-endian GGUF (version 3 byte-swapped)");
}

TEST_CASE("recommend on a file with no benchmarks names an estimate of that file", "[cli][model_file]") {
  const auto dir = temp_dir("recommend-file");
  const auto path = dir / "small.gguf";
  write_file(path, one_bit_llama().build().bytes);
  const auto o = run_cli({"recommend", "--model-file", path.string(), "--vram", "8"});
  REQUIRE(o.out.find("'dsplan estimate " + path.string() + "'") != std::string::npos);
}

TEST_CASE("a directory holding two models is refused, not read as one of them", "[cli][model_file]") {
  const auto dir = temp_dir("two-models");
  write_file(dir / "a.gguf", toy_llama().build().bytes);
  write_file(dir / "b.gguf", one_bit_llama().build().bytes);
  require_usage_error(run_cli({"inspect", dir.string()}), "holds 2 GGUF files that are not one split set");
  const auto mixed = temp_dir("gguf-and-safetensors");
  write_file(mixed / "a.gguf", toy_llama().build().bytes);
  SafetensorsWriter st;
  st.tensor("model.embed_tokens.weight", "BF16", {256, 64}, 256 * 64 * 2);
  write_file(mixed / "model-00001-of-00002.safetensors", st.build());
  require_usage_error(run_cli({"inspect", mixed.string()}), "holds both safetensors and GGUF files");
}

TEST_CASE("a GGUF whose hyperparameters are unusable names the key, not the architecture", "[cli][model_file]") {
  const auto dir = temp_dir("bad-keys");
  GgufWriter zero;
  zero.kv_str("general.architecture", "llama");
  zero.kv_u32("llama.block_count", 0);
  zero.kv_u32("llama.embedding_length", 64);
  zero.kv_u32("llama.feed_forward_length", 128);
  zero.kv_u32("llama.attention.head_count", 4);
  zero.tensor("token_embd.weight", {64, 256}, Q8_0, q8(64 * 256));
  write_file(dir / "zero.gguf", zero.build().bytes);
  require_usage_error(run_cli({"estimate", (dir / "zero.gguf").string()}), "key 'llama.block_count' is 0");
  const auto inspect = run_cli({"inspect", (dir / "zero.gguf").string(), "--json"});
  REQUIRE(inspect.code == 0);
  REQUIRE(nlohmann::json::parse(inspect.out)["arch_problem"] == "key 'llama.block_count' is 0");
}

TEST_CASE("a catalog GPU's vendor and class are checked against the values that steer behaviour", "[cli][model_file]") {
  const auto dir = temp_dir("gpu-vendor");
  const auto catalog = dir / "gpu.json";
  std::ofstream(catalog) << R"({"gpus": [{"id": "my-card", "name": "My card", "vendor": "nvidiaa",
    "class": "workstation", "memory_bytes": 51539607552, "memory_bandwidth_bytes_per_s": 768000000000,
    "bf16_tflops": 150, "source": "a test"}]})";
  require_usage_error(run_cli({"catalog", "validate", catalog.string()}),
                      "expected nvidia, amd, apple, huawei or intel");
}

TEST_CASE("a tied-embedding GGUF loads a second copy of token_embd with the output layer on a GPU",
          "[cli][model_file]") {
  // llama.cpp creates output from token_embd (TENSOR_DUPLICATED); token_embd stays in system RAM,
  // so a GPU holding the output layer holds its own copy: 256 x 256 IQ1_S = 12,800 bytes.
  const auto dir = temp_dir("tied-embedding");
  write_file(dir / "tied.gguf", one_bit_llama("Tied", true).build().bytes);
  write_file(dir / "untied.gguf", one_bit_llama("Untied", false).build().bytes);
  const auto gpu_weights = [&](const char* file) {
    const auto j = run_json({"estimate", (dir / file).string(), "--vram", "8"});
    REQUIRE(j["layout"]["devices"][0]["output_head"] == true);
    return j["layout"]["devices"][0]["weights_bytes"].get<std::uint64_t>();
  };
  // Untied: the output matrix is the file's own output.weight, also 12,800 bytes.
  REQUIRE(gpu_weights("tied.gguf") == gpu_weights("untied.gguf"));
}

TEST_CASE("a catalog file cannot take over a model's Hugging Face repository or display name", "[cli][model_file]") {
  const auto dir = temp_dir("name-clash");
  const auto write = [&](const std::string& file, const std::string& alias) {
    std::ofstream(dir / file) << R"({"models": [{"id": "mymodel", "name": "My model", "family": "custom",
      "hf_repo": "me/mymodel", "gguf_repo": {"none": "a local model", "source": "a test"}, "native_dtype": "bf16",
      "config": {"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
      "num_key_value_heads": 2, "intermediate_size": 128, "vocab_size": 256, "max_position_embeddings": 2048},
      "config_source": "a test", "aliases": [")" +
                                     alias + R"("]}]})";
    return (dir / file).string();
  };
  // show deepseek-ai/DeepSeek-R1 would have answered with this file's model.
  require_usage_error(run_cli({"catalog", "validate", write("repo.json", "deepseek-ai/DeepSeek-R1")}),
                      "model name 'deepseek-ai/DeepSeek-R1' is used by both 'deepseek-r1'");
  require_usage_error(run_cli({"catalog", "validate", write("display.json", "deepseek-r1-distill-llama-70b")}),
                      "is used by both 'r1-distill-llama-70b'");
}

TEST_CASE("entries emitted from files in one directory load together", "[cli][model_file]") {
  // Both entries' hf_repo is that directory: a local path, not a repository name to look up by.
  const auto dir = temp_dir("emit-two");
  write_file(dir / "a.gguf", one_bit_llama("Model A").build().bytes);
  write_file(dir / "b.gguf", toy_llama().build().bytes);
  for (const char* f : {"a", "b"}) {
    const auto o = run_cli({"inspect", (dir / (std::string(f) + ".gguf")).string(), "--emit-catalog"});
    REQUIRE(o.code == 0);
    std::ofstream(dir / (std::string(f) + ".json")) << o.out;
  }
  REQUIRE(run_cli({"catalog", "validate", (dir / "a.json").string(), (dir / "b.json").string()}).code == 0);
}

TEST_CASE("a GGUF's MTP blocks counted in block_count are not main blocks", "[cli][model_file]") {
  // convert_hf_to_gguf.py writes V3.2's MTP block after the main ones, block_count 62 with
  // nextn_predict_layers 1; llama.cpp skips it at load.
  const auto dir = temp_dir("gguf-nextn");
  write_file(dir / "v32.gguf", toy_deepseek(true, "deepseek32", 1).build().bytes);
  const json e = run_json({"estimate", (dir / "v32.gguf").string()});
  const json& w = e["memory"]["weights"];
  // Block 2, F32: attention 10,368 values, indexer 2,208, nextn projection and norms 8,384,
  // ffn_norm 64, router 260, routed experts 24,576, shared expert 6,144: 52,004 x 4 bytes.
  REQUIRE(w["mtp_bytes"] == 208'016);
  REQUIRE(w["loaded_bytes"] == w["file_tensor_bytes"].get<std::uint64_t>() - 208'016);
  const auto emitted = run_cli({"inspect", (dir / "v32.gguf").string(), "--emit-catalog"});
  REQUIRE(emitted.code == 0);
  const json config = json::parse(emitted.out)["models"][0]["config"];
  REQUIRE(config["num_hidden_layers"] == 2);
  REQUIRE(config["num_nextn_predict_layers"] == 1);
  REQUIRE(config["index_n_heads"] == 2);
  REQUIRE(config["index_head_dim"] == 16);
  REQUIRE(config["index_topk"] == 8);
}

TEST_CASE("a GGUF with tensors past its blocks or without its indexer keys is refused", "[cli][model_file]") {
  const auto dir = temp_dir("gguf-extra-block");
  GgufWriter extra = toy_llama();
  extra.tensor("blk.2.attn_norm.weight", {64}, F32, f32(64));  // llama.cpp: "wrong number of tensors"
  write_file(dir / "extra.gguf", extra.build().bytes);
  const std::string why = "tensor 'blk.2.attn_norm.weight' is in block 2, past the 2 blocks of key 'llama.block_count'";
  require_usage_error(run_cli({"estimate", (dir / "extra.gguf").string()}), why);
  const auto inspect = run_cli({"inspect", (dir / "extra.gguf").string(), "--json"});
  REQUIRE(inspect.code == 0);
  REQUIRE(json::parse(inspect.out)["arch_problem"].get<std::string>().find(why) != std::string::npos);

  write_file(dir / "no-indexer.gguf", toy_deepseek(true, "deepseek32", 1, false).build().bytes);
  require_usage_error(run_cli({"estimate", (dir / "no-indexer.gguf").string()}),
                      "key 'deepseek32.attention.indexer.head_count' (the sparse-attention indexer) is missing");
}

TEST_CASE("an emitted catalog entry never takes a shipped model's id", "[cli][model_file]") {
  // Loading an entry whose id a shipped model has would replace that model (audit 50).
  const auto dir = temp_dir("emit-clash");
  write_file(dir / "v4.gguf", one_bit_llama("DeepSeek-V4-Pro").build().bytes);
  const auto o = run_cli({"inspect", (dir / "v4.gguf").string(), "--emit-catalog"});
  REQUIRE(o.code == 0);
  REQUIRE(json::parse(o.out)["models"][0]["id"] == "deepseek-v4-pro-file");
}

TEST_CASE("a GGUF context window of 0 or past 16M tokens is refused naming the key", "[cli][model_file]") {
  // llama.context_length is a u32 after its key and type (4): 0 would silently become a 16M-token
  // window, 2^31 a context error naming neither the file nor the key.
  const auto dir = temp_dir("gguf-window");
  for (const std::uint32_t window : {0U, 1U << 31}) {
    auto bytes = toy_llama().build().bytes;
    const std::string key = "llama.context_length";
    const auto at = std::search(bytes.begin(), bytes.end(), key.begin(), key.end());
    REQUIRE(at != bytes.end());
    const auto value_at = static_cast<std::size_t>(at - bytes.begin()) + key.size() + 4;
    for (std::size_t i = 0; i < 4; ++i) bytes[value_at + i] = static_cast<std::uint8_t>((window >> (8 * i)) & 0xFF);
    const auto path = dir / ("window" + std::to_string(window) + ".gguf");
    write_file(path, bytes);
    require_usage_error(run_cli({"estimate", path.string(), "--gpu", "rtx4090", "--context", "max"}),
                        "key 'llama.context_length' is " + std::to_string(window) +
                            ", outside the 1 to 16777216 tokens a context window may have");
  }
}

TEST_CASE("recommend on a model file with a short window defaults to that window", "[cli][model_file]") {
  // The toy Llama's llama.context_length is 2048, under recommend's default 8192: the default
  // becomes the window (as estimate's does); a --context past it is still refused as given.
  const auto dir = temp_dir("short-window");
  write_file(dir / "toy.gguf", toy_llama().build().bytes);
  const auto o = run_cli({"recommend", "--model-file", (dir / "toy.gguf").string(), "--gpu", "rtx4090"});
  INFO(o.err);
  REQUIRE(o.code == 1);  // the toy model has no benchmarks to rank by, which the output says
  REQUIRE(o.out.find("context 2,048 tokens x 1 user") != std::string::npos);
  REQUIRE(o.out.find("--context 2048 sizes and times it") != std::string::npos);
  require_usage_error(
      run_cli({"recommend", "--model-file", (dir / "toy.gguf").string(), "--gpu", "rtx4090", "--context", "4096"}),
      "--context 4096 exceeds every listed model's maximum");
}
