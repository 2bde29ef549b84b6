// A model file's tensors as the estimator's weights (file_weights) and the file registered as a
// quant format (add_model_file). Expected bytes derived by hand from the tensor shapes.
#include <catch2/catch.hpp>

#include "dsplan/base/error.hpp"
#include "dsplan/files/file_weights.hpp"
#include "dsplan/files/gguf_reader.hpp"
#include "dsplan/serving/plan.hpp"
#include "model_file_writers.hpp"
#include "test_support.hpp"

namespace {

using namespace dsplan;
using namespace dsplan::test;

ModelFileInfo inspect_one(const ByteVec& bytes, const std::string& name) {
  const MemorySource src(name, bytes);
  const GgufFile f = read_gguf(src, catalog());
  return inspect_gguf(std::span(&f, 1), catalog());
}

}  // namespace

TEST_CASE("file weights: blocks, routed experts, MTP, embedding and scales from tensor names", "[file_weights]") {
  ModelArch arch;
  arch.num_layers = 1;  // model.layers.1 is then the MTP block
  const std::vector<FileTensor> tensors = {
      {"model.embed_tokens.weight", "BF16", 50, Bytes(100)},
      {"model.layers.0.self_attn.q_proj.weight", "F8_E4M3", 20, Bytes(20)},
      {"model.layers.0.mlp.experts.0.up_proj.weight", "F8_E4M3", 40, Bytes(40)},
      {"model.layers.0.mlp.experts.0.up_proj.weight_scale_inv", "F32", 1, Bytes(4)},
      {"model.layers.1.self_attn.q_proj.weight", "F8_E4M3", 30, Bytes(30)},
      {"lm_head.weight", "BF16", 25, Bytes(50)},
  };
  const QuantizedModel q = file_weights(tensors, TensorNaming::hf, arch, {"safetensors", false, std::nullopt, false});
  REQUIRE(q.block_bytes == std::vector<Bytes>{Bytes(20 + 40 + 4)});
  REQUIRE(q.block_routed_bytes(0) == Bytes(40 + 4));  // the scale goes with its expert
  REQUIRE(q.block_group_bytes[0][static_cast<std::size_t>(TensorGroup::attention)] == Bytes(20));
  REQUIRE(q.mtp == Bytes(30));
  REQUIRE(q.embedding == Bytes(100));
  REQUIRE(q.globals == Bytes(150));
  REQUIRE(q.total == Bytes(244));
  REQUIRE(q.without_mtp() == Bytes(214));
  REQUIRE(q.params.count() == 50 + 20 + 40 + 30 + 25);  // scales are not parameters
  REQUIRE(q.tensor_count == 6);
  REQUIRE(q.types.size() == 3);
  REQUIRE(q.types[1].type == "F8_E4M3");
  REQUIRE(q.types[1].bytes == Bytes(90));
  REQUIRE(q.groups[static_cast<std::size_t>(TensorGroup::routed_experts)].bytes == Bytes(44));
}

TEST_CASE("file weights of a GGUF: the toy DeepSeek's per-block bytes", "[file_weights]") {
  const ModelFileInfo info = inspect_one(toy_deepseek(true).build().bytes, "toy-ds.gguf");
  REQUIRE(info.weights);
  const QuantizedModel& q = *info.weights;
  // F32 throughout (4 bytes per element). Per block, attention and norms: attn_norm 64, q_a
  // 64x32, q_a_norm 32, q_b 32x48, kv_a_mqa 64x40, kv_a_norm 32, k_b 16x32x2, v_b 32x16x2,
  // attn_output 32x64, ffn_norm 64 = 10,432 elements = 41,728 B. Block 0 dense FFN 3 x 64x128 =
  // 98,304 B; block 1 router 64x4 + bias 4 = 1,040 B, shared expert 3 x 64x32 = 24,576 B, routed
  // 3 x 64x32x4 = 98,304 B.
  REQUIRE(q.block_bytes == std::vector<Bytes>{Bytes(41728 + 98304), Bytes(41728 + 1040 + 24576 + 98304)});
  REQUIRE(q.block_bytes.size() == 2);
  REQUIRE(q.block_routed_bytes(0) == Bytes(0));
  REQUIRE(q.block_routed_bytes(1) == Bytes(98304));
  REQUIRE(q.embedding == Bytes(4 * 64 * 64));
  REQUIRE(q.globals == Bytes(4 * (64 * 64 + 64 + 64 * 64)));
  REQUIRE(q.mtp == Bytes(0));
  REQUIRE(q.total == info.tensor_bytes);
  REQUIRE_FALSE(q.layout.legacy_mla_gguf);
  REQUIRE(inspect_one(toy_deepseek(false).build().bytes, "toy-ds-legacy.gguf").weights->layout.legacy_mla_gguf);
}

TEST_CASE("a GGUF split set of R1 placed with its experts in RAM", "[file_weights]") {
  const auto sources = r1_split_set(4);
  std::vector<GgufFile> parts;
  for (const auto& s : sources) parts.push_back(read_gguf(s, catalog()));
  const ModelFileInfo info = inspect_gguf(parts, catalog());
  Catalog cat = catalog();
  const ModelFileChoice choice = add_model_file(cat, info, "", "r1-q8");
  REQUIRE(choice.model == "deepseek-r1");  // a catalog model: its benchmarks stay
  REQUIRE(cat.require_quant(choice.quant).file->stand_in == "q8_0");

  PlanRequest r;
  r.scenario.model = choice.model;
  r.scenario.quant = choice.quant;
  r.hardware = HardwareRequest{};
  r.hardware->gpus.push_back({"h200", 1});
  r.hardware->ram = Bytes(1024ULL << 30);
  r.layout.offload_experts = true;
  const PlanResult p = run_plan(cat, r);
  // Q8_0 (32 weights in 34 B), vectors F32. Attention per block: 187,105,280 matrix elements ->
  // 198,799,360 B + 16,384 norm elements -> 65,536 B. Dense FFN 3 x 7168x18432 -> 421,134,336 B.
  // MoE: router 7168x256 -> 1,949,696 B, bias 1,024 B, shared 3 x 7168x2048 -> 46,792,704 B,
  // routed 3 x 7168x2048x256 -> 11,978,932,224 B. token_embd = output = 7168x129280 ->
  // 984,596,480 B; output_norm 28,672 B.
  const std::uint64_t attention = 198799360 + 65536;
  const std::uint64_t dense = attention + 421134336;
  const std::uint64_t moe_other = attention + 1949696 + 1024 + 46792704;
  const std::uint64_t routed = 11978932224;
  const std::uint64_t embedding = 984596480;
  const std::uint64_t output = 984596480 + 28672;
  REQUIRE(p.memory.weights_loaded.count() == embedding + output + 3 * dense + 58 * (moe_other + routed));
  REQUIRE(p.memory.weights_loaded == info.tensor_bytes);
  REQUIRE(p.layout);
  REQUIRE(p.layout->fits);
  REQUIRE(p.layout->gpus.size() == 1);
  REQUIRE(p.layout->gpus[0].weights.count() == 3 * dense + 58 * moe_other + output);
  REQUIRE(p.layout->cpu.weights.count() == embedding + 58 * routed);
  REQUIRE(p.throughput);
  REQUIRE(p.throughput->decode_tokens_per_s > 0);
}

TEST_CASE("add_model_file: a model outside the catalog, and refusals", "[file_weights]") {
  Catalog cat = catalog();
  const ModelFileInfo info = inspect_one(toy_deepseek(true).build().bytes, "toy-ds.gguf");
  const ModelFileChoice choice = add_model_file(cat, info, "", "toy-ds");
  const ModelSpec& m = cat.require_model(choice.model);
  REQUIRE(m.family == "custom");
  REQUIRE(m.arch.n_routed_experts == 4);
  REQUIRE(m.benchmarks.scores.empty());
  REQUIRE_THROWS_WITH(add_model_file(cat, info, "r1", "toy-ds"), Catch::Contains("does not have DeepSeek-R1's"));
  ModelFileInfo config = info;
  config.format = ModelFileFormat::config;
  REQUIRE_THROWS_WITH(add_model_file(cat, config, "", "x"), Catch::Contains("holds no tensors"));
  ModelFileInfo missing = info;
  missing.weights->block_bytes[1] = Bytes(0);
  REQUIRE_THROWS_WITH(add_model_file(cat, missing, "", "x"), Catch::Contains("no tensors for block 1"));
}

TEST_CASE("file weights of a GGUF record each block's MLA projection types", "[file_weights]") {
  const auto split = *inspect_one(toy_deepseek(true).build().bytes, "toy-ds.gguf").weights;
  const auto legacy = *inspect_one(toy_deepseek(false).build().bytes, "toy-ds-legacy.gguf").weights;
  REQUIRE(split.block_mla_types.size() == 2);
  REQUIRE(split.block_mla_types[1].kv_b.empty());
  REQUIRE(split.block_mla_types[1].k_b == "f32");
  REQUIRE(split.block_mla_types[1].v_b == "f32");
  REQUIRE(legacy.block_mla_types[0].kv_b == "f32");
  REQUIRE(legacy.block_mla_types[0].k_b.empty());
}
