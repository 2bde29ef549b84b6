// config.json -> ModelArch: the catalog's config parser plus the architecture traits of model_type.
#include "dsplan/hf_config.hpp"

#include "config_parse.hpp"
#include "dsplan/error.hpp"
#include "dsplan/text.hpp"
#include "json_bounded.hpp"
#include "json_node.hpp"

namespace dsplan {

ModelArch parse_hf_config(const std::string& origin, const std::string& text, const Catalog& catalog) {
  // config.json nests a few levels (rope_scaling, quantization_config.weight_block_size).
  const nlohmann::json doc = detail::parse_bounded(text, origin, 8);
  const detail::JsonNode root(doc, "", origin);
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
  if (arch.traits.kind == ArchKind::mla_moe && !(arch.is_mla() && arch.is_moe()))
    root.fail("model_type '" + arch.model_type + "' needs kv_lora_rank and n_routed_experts");
  return arch;
}

}  // namespace dsplan
