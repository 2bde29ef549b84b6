// config.json -> ModelArch: the catalog's config parser plus the architecture traits of model_type.
#include "dsplan/files/hf_config.hpp"

#include "core/catalog/config_parse.hpp"
#include "dsplan/model/attention.hpp"
#include "dsplan/base/error.hpp"
#include "dsplan/base/text.hpp"
#include "core/catalog/json_bounded.hpp"
#include "core/catalog/json_node.hpp"

namespace dsplan {

std::string arch_limit_violation(const ModelArch& a) {
  constexpr std::uint64_t k_max_size = std::uint64_t{1} << 24;
  if (a.num_layers > 65'536) return "num_hidden_layers " + std::to_string(a.num_layers) + " exceeds 65,536";
  if (a.mtp_layers > 64) return "num_nextn_predict_layers " + std::to_string(a.mtp_layers) + " exceeds 64";
  const std::pair<const char*, std::uint64_t> sizes[] = {
      {"hidden_size", a.hidden_size}, {"num_attention_heads", a.num_heads}, {"num_key_value_heads", a.num_kv_heads},
      {"head_dim", a.head_dim}, {"intermediate_size", a.intermediate_size}, {"vocab_size", a.vocab_size},
      {"q_lora_rank", a.q_lora_rank}, {"kv_lora_rank", a.kv_lora_rank}, {"qk_nope_head_dim", a.qk_nope_head_dim},
      {"qk_rope_head_dim", a.qk_rope_head_dim}, {"v_head_dim", a.v_head_dim},
      {"moe_intermediate_size", a.moe_intermediate_size}, {"n_routed_experts", a.n_routed_experts},
      {"n_shared_experts", a.n_shared_experts}, {"first_k_dense_replace", a.first_k_dense_replace},
      {"moe_layer_freq", a.moe_layer_freq}, {"index_n_heads", a.index_n_heads}, {"index_head_dim", a.index_head_dim},
      {"index_topk", a.index_topk}, {"o_groups", a.o_groups}, {"o_lora_rank", a.o_lora_rank}};
  for (const auto& [name, v] : sizes)
    if (v > k_max_size) return std::string(name) + " " + std::to_string(v) + " exceeds 2^24";
  return "";
}

ModelArch parse_hf_config(const std::string& origin, const std::string& text, const Catalog& catalog) {
  // config.json nests a few levels (rope_scaling, quantization_config.weight_block_size).
  detail::JsonDoc doc;
  try {
    doc = detail::JsonDoc::parse(text, {8, detail::k_max_json_values});
  } catch (const detail::JsonParseError& e) {
    throw InputError(origin + ": invalid JSON: " + e.what());
  }
  const detail::JsonNode root(doc, origin);
  root.expect_object();
  const std::string model_type = root.str("model_type");  // before the shapes: an unknown type is the clearer error
  const auto it = catalog.architectures.find(model_type);
  if (it == catalog.architectures.end()) {
    std::vector<std::string> known;
    for (const auto& [id, _] : catalog.architectures) known.push_back(id);
    root.at("model_type").fail("model_type '" + model_type + "' is not in the catalog's architectures (known: " +
                               join(known) + ")");
  }
  ModelArch arch = detail::parse_config(root);
  arch.traits = it->second;
  if (const std::string problem = arch_limit_violation(arch); !problem.empty()) root.fail(problem);
  if (const auto missing = attention_of(arch).missing_fields(arch); !missing.empty())
    root.fail("model_type '" + arch.model_type + "' " + missing);
  return arch;
}

}  // namespace dsplan
