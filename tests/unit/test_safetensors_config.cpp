// safetensors reader, shard index, config.json -> ModelArch; sizes derived by hand (BF16 2 bytes,
// F8_E4M3 1 byte, F32 4 bytes per value).
#include <catch2/catch.hpp>

#include "dsplan/base/error.hpp"
#include "dsplan/files/hf_config.hpp"
#include "dsplan/files/model_file.hpp"
#include "dsplan/files/safetensors_reader.hpp"
#include "model_file_writers.hpp"
#include "test_support.hpp"

namespace {

using namespace dsplan;
using namespace dsplan::test;

/// Toy Qwen2, one layer: hidden 64, 4 heads, 2 KV heads of 16, FFN 128, vocab 256, q/k/v biases.
/// With fp8, the MLP matrices are F8_E4M3 with a [1, 1] F32 weight_scale_inv each (128x128 tiles).
SafetensorsWriter toy_qwen2(bool fp8) {
  SafetensorsWriter w;
  const std::string l = "model.layers.0.";
  w.tensor("model.embed_tokens.weight", "BF16", {256, 64}, 2 * 16384);
  w.tensor(l + "input_layernorm.weight", "BF16", {64}, 128);
  w.tensor(l + "self_attn.q_proj.weight", "BF16", {64, 64}, 2 * 4096);
  w.tensor(l + "self_attn.q_proj.bias", "BF16", {64}, 128);
  w.tensor(l + "self_attn.k_proj.weight", "BF16", {32, 64}, 2 * 2048);
  w.tensor(l + "self_attn.k_proj.bias", "BF16", {32}, 64);
  w.tensor(l + "self_attn.v_proj.weight", "BF16", {32, 64}, 2 * 2048);
  w.tensor(l + "self_attn.v_proj.bias", "BF16", {32}, 64);
  w.tensor(l + "self_attn.o_proj.weight", "BF16", {64, 64}, 2 * 4096);
  w.tensor(l + "post_attention_layernorm.weight", "BF16", {64}, 128);
  for (const char* m : {"gate_proj", "up_proj", "down_proj"}) {
    const bool down = std::string(m) == "down_proj";
    const std::vector<std::uint64_t> shape = down ? std::vector<std::uint64_t>{64, 128} : std::vector<std::uint64_t>{128, 64};
    if (fp8) {
      w.tensor(l + "mlp." + m + ".weight", "F8_E4M3", shape, 8192);
      w.tensor(l + "mlp." + m + ".weight_scale_inv", "F32", {1, 1}, 4);
    } else {
      w.tensor(l + "mlp." + m + ".weight", "BF16", shape, 2 * 8192);
    }
  }
  w.tensor("model.norm.weight", "BF16", {64}, 128);
  w.tensor("lm_head.weight", "BF16", {256, 64}, 2 * 16384);
  return w;
}

const char* k_toy_config = R"({"model_type": "qwen2", "hidden_size": 64, "num_hidden_layers": 1,
  "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 128, "vocab_size": 256,
  "tie_word_embeddings": false, "max_position_embeddings": 2048, "torch_dtype": "bfloat16"})";

SafetensorsFile read(const ByteVec& b, const std::string& name = "model.safetensors") {
  const MemorySource src(name, b);
  return read_safetensors(src);
}

std::string error_of(const ByteVec& b) {
  try {
    (void)read(b);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

std::uint64_t type_bytes(const ModelFileInfo& info, const std::string& t) {
  for (const auto& x : info.types)
    if (x.type == t) return x.bytes.count();
  return 0;
}

}  // namespace

TEST_CASE("safetensors: dtypes, shapes, FP8 scales counted as tensors", "[safetensors]") {
  const ModelArch config = parse_hf_config("config.json", k_toy_config, catalog());
  SECTION("BF16") {
    const SafetensorsFile f = read(toy_qwen2(false).build());
    REQUIRE(f.tensors.size() == 15);
    // Elements: embed + lm_head 2 x 16,384; attention 4,096 + 64 + 2 x (2,048 + 32) + 4,096;
    // norms 3 x 64; MLP 3 x 8,192 = 69,952; 2 bytes each.
    REQUIRE(f.tensor_bytes.count() == 2 * 69952);
    REQUIRE(f.file_bytes.count() == 8 + f.header_bytes + 2 * 69952);
    const ModelFileInfo info = inspect_safetensors(std::span(&f, 1), std::nullopt, config, "toy", catalog());
    REQUIRE(info.params_total == 69952u);
    REQUIRE(info.architecture == "qwen2");
    REQUIRE_FALSE(info.catalog_model);
    REQUIRE(info.kv_bytes_per_token == 128u);  // 1 layer x (K 2 x 16 + V 2 x 16) x 2 bytes
    REQUIRE(info.kv_engine == "vllm");
  }
  SECTION("FP8 with block scales") {
    const SafetensorsFile f = read(toy_qwen2(true).build());
    REQUIRE(f.tensors.size() == 18);
    const ModelFileInfo info = inspect_safetensors(std::span(&f, 1), std::nullopt, config, "toy", catalog());
    REQUIRE(info.tensor_count == 18);
    REQUIRE(info.params_total == 69952u);  // scales are not parameters
    REQUIRE(type_bytes(info, "F8_E4M3") == 3 * 8192);
    REQUIRE(type_bytes(info, "F32") == 3 * 4);
    REQUIRE(type_bytes(info, "BF16") == 2 * (69952 - 3 * 8192));
    REQUIRE(info.groups.size() == 5);  // embeddings, attention, ffn_dense (with its scales), norms, output
  }
}

TEST_CASE("safetensors shards and their index", "[safetensors]") {
  SafetensorsWriter a, b;
  a.tensor("x.weight", "BF16", {4, 4}, 32);
  b.tensor("y.weight", "F32", {2}, 8);
  const SafetensorsFile shards[] = {read(a.build(), "dir/model-00001-of-00002.safetensors"),
                                    read(b.build(), "dir/model-00002-of-00002.safetensors")};
  const auto index = parse_safetensors_index(
      "index.json", R"({"metadata": {"total_size": 40}, "weight_map": {"x.weight": "model-00001-of-00002.safetensors",
                       "y.weight": "model-00002-of-00002.safetensors"}})");
  REQUIRE(index.files.size() == 2);
  REQUIRE(index.total_size == 40u);
  const ModelFileInfo info = inspect_safetensors(shards, index, std::nullopt, "", catalog());
  REQUIRE(info.tensor_count == 2);
  REQUIRE(info.tensor_bytes.count() == 40);
  const auto wrong = parse_safetensors_index(
      "index.json", R"({"weight_map": {"x.weight": "model-00002-of-00002.safetensors", "y.weight": "model-00002-of-00002.safetensors"}})");
  REQUIRE_THROWS_WITH(inspect_safetensors(shards, wrong, std::nullopt, "", catalog()),
                      Catch::Contains("'x.weight' is mapped to model-00002-of-00002.safetensors but found in dir/model-00001"));
  REQUIRE_THROWS_WITH(parse_safetensors_index("index.json", R"({"weight_map": {"x": "../etc/passwd"}})"),
                      Catch::Contains("is not a plain file name"));
}

TEST_CASE("safetensors hostile headers", "[safetensors]") {
  const ByteVec good = toy_qwen2(false).build();
  for (std::size_t n = 0; n < good.size(); n += 13) {
    const std::string e = error_of(ByteVec(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n)));
    CAPTURE(n, e);
    REQUIRE(e.rfind("model.safetensors: ", 0) == 0);
  }
  ByteVec huge = good;
  huge[7] = 0x10;
  REQUIRE_THAT(error_of(huge), Catch::StartsWith("model.safetensors: byte 0: header length 11529215046068") &&
                                 Catch::EndsWith(" exceeds the limit of 100000000 bytes"));
  const auto header = [](const std::string& json) {
    ByteVec b;
    put_u64(b, json.size());
    b.insert(b.end(), json.begin(), json.end());
    b.resize(b.size() + 16, 0);
    return b;
  };
  REQUIRE_THAT(error_of(header(R"({"a": {"dtype": "Q9", "shape": [2], "data_offsets": [0, 2]}})")),
               Catch::Contains("tensor 'a': unsupported dtype 'Q9'"));
  REQUIRE_THAT(error_of(header(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}})")),
               Catch::Contains("data_offsets span 4 bytes but F32 x 2 elements is 8"));
  REQUIRE_THAT(error_of(header(R"({"a": {"dtype": "F32", "shape": [8], "data_offsets": [0, 32]}})")),
               Catch::Contains("outside the data section of 16 bytes"));
  REQUIRE_THAT(error_of(header(R"({"a": {"dtype": "U8", "shape": [4294967296, 4294967296], "data_offsets": [0, 0]}})")),
               Catch::Contains("element count overflows"));
  REQUIRE_THAT(error_of(header(R"({"a": {"dtype": "U8", "shape": [8], "data_offsets": [0, 8]},
                                  "b": {"dtype": "U8", "shape": [8], "data_offsets": [4, 12]}})")),
               Catch::Contains("tensors overlap at data offset 4"));
  // A tensor named twice: a JSON reader keeps one of them (safetensors itself refuses the file).
  REQUIRE_THAT(error_of(header(R"({"a": {"dtype": "U8", "shape": [8], "data_offsets": [0, 8]},
                                  "a": {"dtype": "U8", "shape": [8], "data_offsets": [8, 16]}})")),
               Catch::Contains("header: key 'a' appears twice in one object"));
  REQUIRE_THAT(error_of(header(R"({"a": {"dtype": "U8", "shape": [8], "data_offsets": [8, 0]}})")),
               Catch::Contains("data_offsets [8, 0] end before they begin"));
  REQUIRE_THAT(error_of(header("[[[[[[[[1]]]]]]]]")), Catch::Contains("nested deeper"));
  REQUIRE_THAT(error_of(header("{\"a\": ")), Catch::Contains("invalid JSON"));
}

TEST_CASE("config.json outside the catalog: exact parameters and KV bytes", "[hf_config]") {
  // Mistral-7B-v0.1 config.json. Hand count: embed + lm_head 2 x 32,000 x 4,096 = 262,144,000;
  // per layer q 16,777,216 + k 4,194,304 + v 4,194,304 + o 16,777,216 + MLP 3 x 4,096 x 14,336
  // + 2 norms x 4,096 = 218,112,000; x 32 = 6,979,584,000; + final norm 4,096 = 7,241,732,096
  // (the total Hugging Face lists for mistralai/Mistral-7B-v0.1).
  const char* mistral = R"({"architectures": ["MistralForCausalLM"], "model_type": "mistral", "hidden_size": 4096,
    "intermediate_size": 14336, "max_position_embeddings": 32768, "num_attention_heads": 32,
    "num_hidden_layers": 32, "num_key_value_heads": 8, "rms_norm_eps": 1e-05, "rope_theta": 10000.0,
    "sliding_window": 4096, "tie_word_embeddings": false, "torch_dtype": "bfloat16", "vocab_size": 32000})";
  const ModelArch arch = parse_hf_config("mistral/config.json", mistral, catalog());
  const ModelFileInfo info = inspect_config("mistral/config.json", arch, catalog());
  REQUIRE(info.params_total == 7241732096u);
  REQUIRE(info.kv_bytes_per_token == 32u * (8 * 128 * 2) * 2);  // 131,072
  REQUIRE_FALSE(info.catalog_model);

  REQUIRE_THROWS_WITH(parse_hf_config("c.json", R"({"model_type": "mamba"})", catalog()),
                      Catch::StartsWith("c.json: /model_type: model_type 'mamba' is not in the catalog's architectures"));
  REQUIRE_THROWS_WITH(parse_hf_config("c.json", R"({"model_type": "llama", "hidden_size": -1})", catalog()),
                      Catch::StartsWith("c.json: /hidden_size: "));
  REQUIRE_THROWS_WITH(parse_hf_config("c.json", "{", catalog()), Catch::StartsWith("c.json: invalid JSON"));
}

TEST_CASE("config.json of a catalog model matches it", "[hf_config]") {
  // DeepSeek-R1's config.json as data/models.json holds it: 671,026,419,200 parameters (the sum
  // is written out in tests/unit/test_gguf_reader.cpp), latent MLA cache in vLLM 61 x 576 x 2.
  const ModelSpec& r1 = catalog().require_model("deepseek-r1");
  (void)r1;
  const std::string text = R"({"model_type": "deepseek_v3", "hidden_size": 7168, "num_hidden_layers": 61,
    "num_attention_heads": 128, "num_key_value_heads": 128, "intermediate_size": 18432, "vocab_size": 129280,
    "tie_word_embeddings": false, "max_position_embeddings": 163840, "rope_scaling": {"type": "yarn", "factor": 40},
    "q_lora_rank": 1536, "kv_lora_rank": 512, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "v_head_dim": 128,
    "moe_intermediate_size": 2048, "n_routed_experts": 256, "n_shared_experts": 1, "num_experts_per_tok": 8,
    "first_k_dense_replace": 3, "moe_layer_freq": 1, "topk_method": "noaux_tc", "num_nextn_predict_layers": 1,
    "quantization_config": {"fmt": "e4m3", "weight_block_size": [128, 128]}})";
  const ModelArch arch = parse_hf_config("DeepSeek-R1/config.json", text, catalog());
  const ModelFileInfo info = inspect_config("DeepSeek-R1/config.json", arch, catalog());
  REQUIRE(info.params_total == 671026419200u);
  REQUIRE(info.catalog_model == std::string("deepseek-r1"));
  REQUIRE(info.kv_bytes_per_token == 61u * 576 * 2);
}
