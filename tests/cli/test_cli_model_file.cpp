// --model-file (and a file as MODEL) on estimate, check, compare and recommend, in-process on GGUF
// files written to a temporary directory. Bytes derived by hand in tests/unit/test_file_weights.cpp.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "../unit/model_file_writers.hpp"
#include "../unit/test_support.hpp"
#include "cli/remote_files.hpp"
#include "cli_support.hpp"
#include "dsplan/model/quant.hpp"
#include "dsplan/model/tensors.hpp"

namespace {

using namespace dsplan::test;
using nlohmann::json;

/// A catalog model as llama.cpp writes it in Q8_0 (vectors F32), header only, the data left
/// sparse: every tensor of its GGUF inventory, named as llama.cpp names them.
/// How the writer stores a matrix: its ggml type id and bytes for (cols, rows x stack).
struct MatrixType {
  std::uint32_t id = Q8_0;
  std::string name = "Q8_0";
  std::uint64_t (*bytes)(std::uint64_t cols, std::uint64_t rows) = [](std::uint64_t c, std::uint64_t r) {
    return q8(c * r);
  };
};

std::filesystem::path write_catalog_model(const std::filesystem::path& dir, const std::string& id,
                                          std::uint64_t& tensor_bytes, const MatrixType& matrix = {}) {
  const dsplan::ModelSpec& m = catalog().require_model(id);
  const auto inv =
      dsplan::file_inventory(dsplan::build_inventory(m.arch), m.arch, {"gguf", false, std::nullopt, false});
  GgufWriter w;
  w.kv_str("general.architecture", m.arch.traits.llama_cpp_arch);
  w.kv_str("general.name", m.name);
  const std::string a = m.arch.traits.llama_cpp_arch + ".";
  w.kv_u32(a + "block_count", static_cast<std::uint32_t>(m.arch.num_layers));
  w.kv_u32(a + "context_length", static_cast<std::uint32_t>(m.arch.max_context));
  w.kv_u32(a + "embedding_length", static_cast<std::uint32_t>(m.arch.hidden_size));
  w.kv_u32(a + "feed_forward_length", static_cast<std::uint32_t>(m.arch.intermediate_size));
  w.kv_u32(a + "attention.head_count", static_cast<std::uint32_t>(m.arch.num_heads));
  w.kv_u32(a + "attention.head_count_kv", static_cast<std::uint32_t>(m.arch.num_kv_heads));
  tensor_bytes = 0;
  const auto add = [&](const dsplan::Tensor& t, std::int64_t block) {
    const std::uint64_t n = t.cols * t.rows * t.stack;
    const std::uint64_t bytes = t.is_vector ? f32(n) : matrix.bytes(t.cols, t.rows * t.stack);
    std::vector<std::uint64_t> ne{t.cols};
    if (!t.is_vector) ne.push_back(t.rows);
    if (t.stack > 1) ne.push_back(t.stack);
    w.tensor(dsplan::gguf_name(t, block), ne, t.is_vector ? F32 : matrix.id, bytes);
    tensor_bytes += bytes;
  };
  for (const auto& t : inv.globals) add(t, -1);
  for (std::size_t b = 0; b < inv.main_blocks; ++b)
    for (const auto& t : inv.layout_of(b).tensors) add(t, static_cast<std::int64_t>(b));
  const auto out = w.build(true);
  const auto path = dir / (id + "-" + matrix.name + ".gguf");
  write_file(path, out.bytes);
  std::filesystem::resize_file(path, out.full_size);  // sparse: no tensor data on disk
  return path;
}

}  // namespace

TEST_CASE("estimate a GGUF file: exact weights, download and expert offload", "[cli][model_file]") {
  const auto dir = temp_dir("model-file-estimate");
  const auto path = dir / "toy-ds.gguf";
  write_file(path, toy_deepseek(true).build().bytes);
  // Hand sums (test_file_weights.cpp): blocks 140,032 and 165,648 B (98,304 routed), embedding
  // 16,384 B, output + norm 16,640 B.
  for (const auto& args : {std::vector<std::string>{"estimate", path.string()},
                           std::vector<std::string>{"estimate", "--model-file", path.string()}}) {
    auto a = args;
    // --headroom 0: the 1 GiB card filled (llama.cpp's 1 GiB fit margin would leave it empty).
    for (const char* x : {"--vram", "1", "--ram", "1", "--offload-experts", "--headroom", "0", "--json"})
      a.push_back(x);
    const auto o = run_cli(a);
    CAPTURE(o.err);
    REQUIRE(o.code == 0);
    const json j = json::parse(o.out);
    REQUIRE(j["memory"]["weights_bytes"] == 338704);
    REQUIRE(j["disk_bytes"] == std::filesystem::file_size(path));
    REQUIRE(j["quant"]["id"] == "file");
    REQUIRE(j["quant"]["name"] == "toy-ds");
    REQUIRE(j["layout"]["strategy"] == "expert_offload");
    REQUIRE(j["layout"]["devices"][0]["weights_bytes"] == 140032 + (165648 - 98304) + 16640);
    REQUIRE(j["layout"]["cpu"]["weights_bytes"] == 16384 + 98304);
    REQUIRE(j["throughput"]["decode_tokens_per_s"].get<double>() > 0);
  }
  const auto table = run_cli({"estimate", path.string()});
  REQUIRE(table.code == 0);
  REQUIRE_THAT(table.out, Catch::Contains("338,704") && Catch::Contains("File: "));

  const auto check = run_cli({"check", path.string(), "--vram", "1", "--max-memory-fraction", "0.99"});
  CAPTURE(check.err);
  REQUIRE(check.code == 0);

  const auto cmp = run_cli({"compare", "--vram", "1", "--model-file", path.string(), "--quants", "q8_0", "--json"});
  CAPTURE(cmp.err);
  REQUIRE(cmp.code == 0);
  const json c = json::parse(cmp.out);
  REQUIRE(c["quants"] == json::array({"file", "q8_0"}));
  REQUIRE(c["rows"].size() == 1);
  REQUIRE(c["rows"][0]["cells"][0]["fits"] == true);
}

TEST_CASE("a GGUF of a catalog model keeps its benchmarks for recommend", "[cli][model_file]") {
  const auto dir = temp_dir("model-file-recommend");
  std::uint64_t bytes = 0;
  const auto path = write_catalog_model(dir, "r1-distill-qwen-1.5b", bytes);
  const auto est = run_cli({"estimate", path.string(), "--json"});
  CAPTURE(est.err);
  REQUIRE(est.code == 0);
  const json e = json::parse(est.out);
  REQUIRE(e["model"]["id"] == "r1-distill-qwen-1.5b");
  REQUIRE(e["memory"]["weights_bytes"] == bytes);
  REQUIRE(e["quant"]["stand_in"] == "q8_0");

  const auto o = run_cli({"recommend", "--vram", "24", "--task", "math", "--model-file", path.string(), "--json"});
  CAPTURE(o.err);
  REQUIRE(o.code == 0);
  const json j = json::parse(o.out);
  REQUIRE(j["pick"]["model"] == "r1-distill-qwen-1.5b");
  REQUIRE(j["pick"]["quant"] == "file");
  REQUIRE(j["pick"]["benchmark_score"].get<double>() > 0);
  REQUIRE_THAT(j["pick"]["command"].get<std::string>(), Catch::Contains("-m " + path.string()));
}

TEST_CASE("model file errors are one line", "[cli][model_file]") {
  const auto dir = temp_dir("model-file-errors");
  const auto path = dir / "toy-ds.gguf";
  write_file(path, toy_deepseek(true).build().bytes);
  require_usage_error(run_cli({"estimate", path.string(), "--quant", "q4_k_m"}), "does not apply to a model file");
  require_usage_error(run_cli({"estimate", path.string(), "--model-file", path.string()}), "not both");
  require_usage_error(run_cli({"estimate", "r1", "--model-file", path.string()}), "does not have DeepSeek-R1's");
  require_usage_error(run_cli({"estimate", (dir / "missing.gguf").string()}), "no such file");
  require_usage_error(run_cli({"estimate"}), "model is required");
}

TEST_CASE("remote references: URLs of a split set, hf: files, no network in-process", "[cli][model_file]") {
  dsplan::cli::Env env;
  env.hf_endpoint = "https://hub.example/";
  REQUIRE(dsplan::cli::remote_file_urls("https://h.example/m/R1-00002-of-00003.gguf", env) ==
          std::vector<std::string>{"https://h.example/m/R1-00001-of-00003.gguf", "https://h.example/m/R1-00002-of-00003.gguf",
                                   "https://h.example/m/R1-00003-of-00003.gguf"});
  REQUIRE(dsplan::cli::remote_file_urls("hf:o/r/d/x.safetensors", env) ==
          std::vector<std::string>{"https://hub.example/o/r/resolve/main/d/x.safetensors"});
  REQUIRE_THROWS_WITH(dsplan::cli::remote_file_urls("hf:o", env), Catch::Contains("expected hf:OWNER/REPO"));
  require_usage_error(run_cli({"inspect", "hf:o/r/x.gguf"}), "network disabled");
  require_usage_error(run_cli({"estimate", "https://h.example/x.gguf"}), "network disabled");
}

TEST_CASE("estimate a safetensors checkpoint directory: blocks past the config's layers are MTP", "[cli][model_file]") {
  const auto dir = temp_dir("model-file-safetensors");
  SafetensorsWriter w;
  w.tensor("model.embed_tokens.weight", "BF16", {16, 8}, 256);             // 16 x 8 x 2 B
  w.tensor("model.layers.0.self_attn.q_proj.weight", "BF16", {8, 8}, 128);
  w.tensor("model.layers.0.mlp.down_proj.weight", "BF16", {8, 16}, 256);
  w.tensor("model.layers.1.self_attn.q_proj.weight", "BF16", {8, 8}, 128);  // past num_hidden_layers 1
  w.tensor("model.norm.weight", "BF16", {8}, 16);
  w.tensor("lm_head.weight", "BF16", {16, 8}, 256);
  write_file(dir / "model.safetensors", w.build());
  std::ofstream(dir / "config.json") << R"({"model_type": "llama", "hidden_size": 8, "num_hidden_layers": 1,
      "num_attention_heads": 2, "num_key_value_heads": 1, "intermediate_size": 16, "vocab_size": 16,
      "max_position_embeddings": 256})";
  const auto o = run_cli({"estimate", "--model-file", dir.string(), "--context", "128", "--json"});
  CAPTURE(o.err);
  REQUIRE(o.code == 0);
  const json j = json::parse(o.out);
  REQUIRE(j["quant"]["container"] == "safetensors");
  REQUIRE(j["memory"]["weights_bytes"] == 256 + 128 + 256 + 16 + 256);  // layer 1 (128 B) not loaded
  REQUIRE(j["disk_bytes"] == std::filesystem::file_size(dir / "model.safetensors"));
  REQUIRE(j["engine"]["id"] == "vllm");
}

// ik_llama.cpp derives the other MLA layout from the file's own projections (F32 here). Legacy:
// wk_b [16, 32, 2] and wv_b [32, 16, 2] in attn_kv_b's F32, 1,024 values each = 8,192 B per block.
// Split: attn_kv_b [32, 2 x (16 + 16)] in Q8_0 (F32 inputs are neither BF16 nor F16): 64 rows of
// one 34-byte block = 2,176 B per block.
TEST_CASE("a GGUF file on ik_llama.cpp holds the MLA projections it derives", "[cli][model_file][ik_llama]") {
  const auto dir = temp_dir("model-file-ik");
  for (const bool split : {false, true}) {
    const auto path = dir / (split ? "toy-ds.gguf" : "toy-ds-legacy.gguf");
    write_file(path, toy_deepseek(split).build().bytes);
    const auto o = run_cli({"estimate", path.string(), "-e", "ik_llama.cpp", "--json"});
    CAPTURE(o.err);
    REQUIRE(o.code == 0);
    const json j = json::parse(o.out);
    const std::uint64_t derived = split ? 2 * 2176 : 2 * 8192;
    REQUIRE(j["memory"]["weights"]["derived_bytes"] == derived);
    REQUIRE(j["memory"]["weights_bytes"].get<std::uint64_t>() ==
            j["memory"]["weights"]["file_tensor_bytes"].get<std::uint64_t>() + derived);
  }
}

// A user catalog may add an engine (here a fork with llama.cpp's speeds); dsplan plans it and says
// it writes no command for it, rather than refusing the plan or printing another engine's command.
TEST_CASE("a user catalog's engine is planned without a launch command", "[cli][model_file][ik_llama]") {
  const auto dir = temp_dir("user-engine");
  const auto path = dir / "fork.json";
  const std::string catalog = R"({"engines": [{"id": "my-fork", "containers": ["gguf"], "mla_cache": "latent",
    "kv_cache_types": ["f16"], "default_kv_type": "f16", "runtime_overhead_bytes": 0, "compute_buffer_model": "llama.cpp",
    "performance": "llama.cpp", "source": {"kv": "k", "compute": "c", "overhead": "o"}}],
    "quants": [{"id": "fork-q8", "containers": ["gguf"], "default_type": "q8_0", "engines": ["my-fork"], "source": "s"}]})";
  write_file(path, ByteVec(catalog.begin(), catalog.end()));
  const auto o = run_cli({"--catalog", path.string(), "estimate", "8b", "-q", "fork-q8", "--gpu", "rtx4090", "--json"});
  CAPTURE(o.err);
  REQUIRE(o.code == 0);
  const json j = json::parse(o.out);
  REQUIRE(j["engine"]["id"] == "my-fork");
  REQUIRE(j["launch"]["command"].is_null());
  const auto table = run_cli({"--catalog", path.string(), "estimate", "8b", "-q", "fork-q8", "--gpu", "rtx4090"});
  REQUIRE(table.out.find("Run:    (dsplan writes no launch command for engine 'my-fork'; it does for llama.cpp") !=
          std::string::npos);
}

// ik_llama.cpp's IQ4_KS (type 144 in the fork's ggml.h): 136 bytes per 256 weights plus a 4-byte
// float scale per row (ggml-common.h, ggml.c row_meta_size @8337e4cd). R1-Distill-Qwen-1.5B's rows
// are 1,536 or 8,960 weights, both multiples of 256. Only the fork loads the type.
TEST_CASE("a GGUF file of ik_llama.cpp's own types sizes exactly and runs only there", "[cli][model_file][ik_llama]") {
  const auto dir = temp_dir("model-file-ik-types");
  std::uint64_t tensor_bytes = 0;
  const MatrixType iq4_ks{144, "IQ4_KS",
                          [](std::uint64_t cols, std::uint64_t rows) { return rows * (4 + cols / 256 * 136); }};
  const auto path = write_catalog_model(dir, "r1-distill-qwen-1.5b", tensor_bytes, iq4_ks);
  const auto o = run_cli({"estimate", path.string(), "--json"});
  CAPTURE(o.err);
  REQUIRE(o.code == 0);
  const json j = json::parse(o.out);
  REQUIRE(j["engine"]["id"] == "ik_llama.cpp");
  REQUIRE(j["memory"]["weights"]["file_tensor_bytes"] == tensor_bytes);
  const auto mainline = run_cli({"estimate", path.string(), "--engine", "llama.cpp"});
  REQUIRE(mainline.code == 2);
  REQUIRE(mainline.out.empty());
  REQUIRE_THAT(mainline.err, Catch::Contains("ik_llama.cpp"));
}
