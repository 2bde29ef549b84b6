// `dsplan show MODEL`: architecture, exact parameter counts, benchmarks and their sources.
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/format.hpp"
#include "cli/table.hpp"
#include "dsplan/model/attention.hpp"
#include "dsplan/model/tensors.hpp"
#include "dsplan/base/text.hpp"

namespace dsplan::cli {

namespace {

using ordered_json = nlohmann::ordered_json;

struct GroupParams {
  TensorGroup group;
  std::uint64_t params = 0;
};

std::vector<GroupParams> params_by_group(const TensorInventory& inv) {
  std::vector<GroupParams> out;
  const auto counts = inv.params_by_group();
  for (TensorGroup g : k_all_groups) out.push_back({g, counts[static_cast<std::size_t>(g)].count()});
  return out;
}

ordered_json arch_json(const ModelArch& a) {
  ordered_json j{{"model_type", a.model_type},
                 {"attention", std::string(attention_name(a.traits.attention))},
                 {"hidden_size", a.hidden_size},
                 {"layers", a.num_layers},
                 {"attention_heads", a.num_heads},
                 {"kv_heads", a.num_kv_heads},
                 {"head_dim", a.head_dim},
                 {"intermediate_size", a.intermediate_size},
                 {"vocab_size", a.vocab_size},
                 {"tie_word_embeddings", a.tie_word_embeddings},
                 {"max_context", a.max_context},
                 {"rope_type", a.rope_type}};
  ordered_json fields = ordered_json::object();
  for (const auto& [key, value] : attention_of(a).config_fields(a)) fields[std::string(key)] = value;
  // One head width only where the attention kind has one (MLA's Q/K and V widths differ, in
  // attention_config); hidden_size / heads would be a number no tensor has.
  j["head_dim"] = fields.contains("head_dim") ? fields["head_dim"] : ordered_json(nullptr);
  j["attention_config"] = fields;
  if (a.is_moe())
    j["moe"] = {{"routed_experts", a.n_routed_experts}, {"shared_experts", a.n_shared_experts},
                {"experts_per_token", a.experts_per_token}, {"expert_intermediate_size", a.moe_intermediate_size},
                {"first_dense_layers", a.first_k_dense_replace}, {"mtp_layers", a.mtp_layers}};
  return j;
}

std::string describe_arch(const ModelArch& a) {
  std::string s = "layers " + std::to_string(a.num_layers) + ", hidden " + std::to_string(a.hidden_size) +
                  ", heads " + std::to_string(a.num_heads);
  s += " (" + attention_of(a).summary(a) + ")";
  if (a.intermediate_size > 0) s += ", FFN " + std::to_string(a.intermediate_size);
  s += ", vocab " + std::to_string(a.vocab_size);
  if (a.is_moe())
    s += "; MoE: " + std::to_string(a.n_routed_experts) + " routed + " + std::to_string(a.n_shared_experts) +
         " shared experts of " + std::to_string(a.moe_intermediate_size) + ", " + std::to_string(a.experts_per_token) +
         " per token, " +
         (a.first_k_dense_replace > 0 ? "first " + std::to_string(a.first_k_dense_replace) + " " +
                                            std::string(plural(a.first_k_dense_replace, "layer", "layers")) + " dense, "
                                      : std::string("every layer MoE, ")) +
         (a.num_hash_layers > 0 ? "first " + std::to_string(a.num_hash_layers) + " hash-routed, " : "") +
         std::to_string(a.mtp_layers) + " MTP " + std::string(plural(a.mtp_layers, "layer", "layers"));
  return s;
}

void show_json(const ModelSpec& m, const TensorInventory& inv, std::ostream& out) {
  ordered_json groups = ordered_json::array();
  for (const auto& g : params_by_group(inv))
    groups.push_back({{"group", std::string(group_name(g.group))}, {"params", g.params}});
  ordered_json j{{"schema_version", 1},
                 {"id", m.id},
                 {"name", m.name},
                 {"aliases", m.aliases},
                 {"family", m.family},
                 {"hf_repo", m.hf_repo},
                 {"model_file", m.model_file.empty() ? ordered_json(nullptr) : ordered_json(m.model_file)},
                 {"gguf_repo", m.gguf_repo.empty() ? ordered_json(nullptr) : ordered_json(m.gguf_repo)},
                 {"gguf_repo_source", m.gguf_repo_source},
                 {"base_model", m.base_model},
                 {"license", m.license},
                 {"release_date", m.release_date},
                 {"native_quant", m.native_quant},
                 {"architecture", arch_json(m.arch)},
                 {"config_source", m.config_source},
                 {"params_total", inv.params_total().count()},
                 {"params_active", inv.params_active(false).count()},
                 {"params_active_with_embedding", inv.params_active(true).count()},
                 {"params_mtp", inv.params_mtp().count()},
                 {"params_by_group", groups}};
  if (m.published_params)
    j["published_params"] = {{"total", *m.published_params}, {"source", m.published_params_source}};
  ordered_json bench = ordered_json::object();
  for (const auto& [k, v] : m.benchmarks.scores) bench[k] = v;
  j["benchmarks"] = {{"scores", bench}, {"source", m.benchmarks.source}};
  j["notes"] = m.notes;
  ordered_json runs_on = ordered_json::array();
  for (const auto& g : m.arch.traits.runs_on)
    runs_on.push_back({{"engines", g.engines}, {"gpu_architectures", g.gpu_architectures}, {"source", g.source}});
  j["runs_on"] = runs_on;
  j["formats"] = m.arch.traits.formats;
  j["formats_source"] =
      m.arch.traits.formats_source.empty() ? ordered_json(nullptr) : ordered_json(m.arch.traits.formats_source);
  out << j.dump(2) << '\n';
}

void show_table(const ModelSpec& m, const TensorInventory& inv, std::ostream& out) {
  out << m.name << " (" << m.id << ")\n";
  Table facts({{"Field"}, {"Value"}});
  const auto fact = [&](const char* label, const std::string& value) {
    if (!value.empty()) facts.add_row({label, value});
  };
  fact("Hugging Face", m.hf_repo);
  fact("Model file", m.model_file);
  if (m.model_file.empty())
    fact("GGUF files",
         m.gguf_repo.empty()
             ? std::string("none public in the layout sized here; convert the checkpoint (--json: why)")
             : m.gguf_repo + (m.arch.traits.llama_cpp_arch.empty()
                                  ? " (not sized by dsplan: no GGUF layout of " + m.arch.model_type + " in its catalog)"
                              : !m.arch.traits.gguf_presets()
                                  ? " (sized from the file itself: --model-file hf:" + m.gguf_repo + "/FILE)"
                                  : ""));
  fact("Family", m.family + (m.base_model.empty() ? "" : ", from " + m.base_model));
  fact("Licence", m.license);
  fact("Released", m.release_date);
  fact("Native format", m.native_quant);
  fact("Aliases", join(m.aliases));
  facts.add_row({"Architecture", m.arch.model_type + ": " + describe_arch(m.arch)});
  facts.add_row({"Max context", with_commas(m.arch.max_context) + " tokens" +
                                    (m.arch.rope_type.empty() ? "" : " (RoPE " + m.arch.rope_type + ")")});
  facts.add_row({"Config source", m.config_source});
  for (const auto& g : m.arch.traits.runs_on)
    facts.add_row(
        {"Runs on", join(g.engines, ", ") + ": " + join(g.gpu_architectures, ", ") + " GPUs (" + g.source + ")"});
  if (!m.arch.traits.formats.empty())
    facts.add_row({"Formats", join(m.arch.traits.formats, ", ") + " (" + m.arch.traits.formats_source + ")"});
  facts.render(out, "  ");
  if (!m.notes.empty()) out << "\nNotes: " << m.notes << '\n';

  out << "\nParameters\n";
  Table params({{"Count"}, {"Parameters", Table::Align::right}, {"Short", Table::Align::right}});
  const auto add = [&](const std::string& label, std::uint64_t n) { params.add_row({label, with_commas(n), params_short(n)}); };
  add("total (main model)", inv.params_total().count());
  if (inv.params_mtp().count() > 0) add("MTP module (not in total)", inv.params_mtp().count());
  add("active per token, without embedding", inv.params_active(false).count());
  add("active per token, with embedding", inv.params_active(true).count());
  for (const auto& g : params_by_group(inv))
    if (g.params > 0) add("  " + std::string(group_name(g.group)), g.params);
  if (m.published_params)
    params.add_row({"published total", with_commas(*m.published_params),
                    *m.published_params == inv.params_total().count() ? "matches" : "DIFFERS"});
  params.render(out, "  ");

  if (!m.benchmarks.scores.empty()) {
    out << "\nBenchmarks (" << m.benchmarks.source << ")\n";
    Table bench({{"Benchmark"}, {"Score", Table::Align::right}});
    for (const auto& [k, v] : m.benchmarks.scores) bench.add_row({k, fixed(v, k.find("rating") != std::string::npos ? 0 : 1)});
    bench.render(out, "  ");
  }
}

}  // namespace

void setup_show(CLI::App& app, Context& ctx) {
  auto* sub = app.add_subcommand("show", "Show a model's architecture, parameter counts, benchmarks and sources");
  auto model = std::make_shared<std::string>();
  sub->add_option("model", *model, "Model id, alias (70b, r1, v3) or Hugging Face name")->required();
  sub->footer("Examples:\n  dsplan show 70b\n  dsplan show deepseek-ai/DeepSeek-R1 --json");
  sub->callback([&ctx, model] {
    ctx.runner = [&ctx, model] {
      const ModelSpec& m = ctx.catalog().require_model(*model);
      const auto inv = build_inventory(m.arch);
      render_output(ctx, {"show", [&](std::ostream& out) { show_table(m, inv, out); },
                          [&](std::ostream& out) { show_json(m, inv, out); }, {}});
      return ExitCode::ok;
    };
  });
}

}  // namespace dsplan::cli
