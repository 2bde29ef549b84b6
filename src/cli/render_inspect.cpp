// `dsplan inspect` output: the table, the JSON object (docs/cli.md) and --emit-catalog.
#include "cli/render_inspect.hpp"

#include <filesystem>

#include <nlohmann/json.hpp>

#include "cli/format.hpp"
#include "cli/json_optional.hpp"
#include "cli/remote_files.hpp"
#include "cli/table.hpp"
#include "dsplan/base/error.hpp"
#include "dsplan/base/text.hpp"
#include "dsplan/model/attention.hpp"

namespace dsplan::cli {

namespace {

using ordered_json = nlohmann::ordered_json;

std::string mla_description(const std::optional<std::string>& layout) {
  if (!layout) return "";
  if (*layout == "legacy") return "legacy (attn_kv_b whole: llama.cpp caches expanded K and V)";
  return "split (attn_k_b + attn_v_b: llama.cpp caches the latent)";
}

/// Lower-case letters, digits and dots; everything else becomes one '-'.
std::string slug(const std::string& text) {
  std::string out;
  for (char c : to_lower(text)) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.') out += c;
    else if (!out.empty() && out.back() != '-') out += '-';
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "model" : out;
}

ordered_json config_json(const ModelArch& a) {
  ordered_json c{{"model_type", a.model_type},
                 {"hidden_size", a.hidden_size},
                 {"num_hidden_layers", a.num_layers},
                 {"num_attention_heads", a.num_heads},
                 {"num_key_value_heads", a.num_kv_heads}};
  if (a.intermediate_size > 0) c["intermediate_size"] = a.intermediate_size;  // none where every block has experts
  c["vocab_size"] = a.vocab_size;
  c["tie_word_embeddings"] = a.tie_word_embeddings;
  c["max_position_embeddings"] = a.max_context;
  if (!a.rope_type.empty()) c["rope_scaling"] = {{"type", a.rope_type}};
  for (const auto& [key, value] : attention_of(a).config_fields(a)) c[std::string(key)] = value;
  if (a.is_moe()) {
    c["moe_intermediate_size"] = a.moe_intermediate_size;
    c["n_routed_experts"] = a.n_routed_experts;
    c["n_shared_experts"] = a.n_shared_experts;
    c["num_experts_per_tok"] = a.experts_per_token;
    c["first_k_dense_replace"] = a.first_k_dense_replace;
    c["moe_layer_freq"] = a.moe_layer_freq;
    if (a.router_bias) c["topk_method"] = "noaux_tc";
  }
  if (a.mtp_layers > 0) c["num_nextn_predict_layers"] = a.mtp_layers;
  if (!a.compress_ratios.empty()) c["compress_ratios"] = a.compress_ratios;
  if (a.num_hash_layers > 0) c["num_hash_layers"] = a.num_hash_layers;
  return c;
}

}  // namespace

void render_inspect_json(const ModelFileInfo& info, std::ostream& out) {
  ordered_json types = ordered_json::object();
  for (const auto& t : info.types) types[t.type] = {{"count", t.count}, {"bytes", t.bytes.count()}};
  ordered_json groups = ordered_json::object();
  for (const auto& g : info.groups) groups[g.group] = {{"count", g.count}, {"bytes", g.bytes.count()}};
  const bool config = info.format == ModelFileFormat::config;  // no tensor data to measure
  const ordered_json j{
      {"schema_version", 1},
      {"format", std::string(format_name(info.format))},
      {"files", info.files},
      {"tensor_count", info.tensor_count},
      {"tensor_bytes", config ? ordered_json(nullptr) : ordered_json(info.tensor_bytes.count())},
      {"file_bytes", config ? ordered_json(nullptr) : ordered_json(info.file_bytes.count())},
      {"types", types},
      {"groups", groups},
      {"architecture", info.architecture.empty() ? ordered_json(nullptr) : ordered_json(info.architecture)},
      {"name", info.name.empty() ? ordered_json(nullptr) : ordered_json(info.name)},
      {"catalog_model", json_or_null(info.catalog_model)},
      {"arch_problem", info.arch_problem.empty() ? ordered_json(nullptr) : ordered_json(info.arch_problem)},
      {"catalog_matches", info.catalog_matches},
      {"mla_layout", json_or_null(info.mla_layout)},
      {"params_total", json_or_null(info.params_total)},
      {"kv_bytes_per_token", json_or_null(info.kv_bytes_per_token)},
      {"kv_engine", info.kv_engine.empty() ? ordered_json(nullptr) : ordered_json(info.kv_engine)},
      {"kv_average_context", info.kv_average_context}};
  out << j.dump(2) << '\n';
}

void render_inspect_table(const ModelFileInfo& info, std::ostream& out) {
  const std::string format(format_name(info.format));
  out << info.files.front();
  if (info.files.size() > 1) out << " (+" << info.files.size() - 1 << " more)";
  out << '\n';
  Table facts({{"Field"}, {"Value"}});
  facts.add_row({"Format", format + (info.files.size() > 1 ? ", " + std::to_string(info.files.size()) + " files" : "")});
  if (!info.architecture.empty())
    facts.add_row({"Architecture", info.architecture + (info.name.empty() ? "" : " (" + info.name + ")")});
  std::string match = info.catalog_model ? *info.catalog_model : "not in the catalog";
  if (info.catalog_matches.size() > 1) {
    std::vector<std::string> others;
    for (const auto& id : info.catalog_matches)
      if (id != info.catalog_model) others.push_back(id);
    match += " (same shapes: " + join(others) + ")";
  }
  facts.add_row({"Catalog model", match});
  if (!info.arch_problem.empty()) facts.add_row({"Not sizable", info.arch_problem});
  facts.add_row({"Tensors", with_commas(info.tensor_count)});
  if (info.format != ModelFileFormat::config) {
    facts.add_row({"Tensor data", with_commas(info.tensor_bytes.count()) + " B (" + gib(info.tensor_bytes) + ")"});
    facts.add_row({"File size", with_commas(info.file_bytes.count()) + " B (" + gb(info.file_bytes) + ")"});
  }
  if (info.params_total) facts.add_row({"Parameters", params_full(*info.params_total)});
  if (info.mla_layout) facts.add_row({"MLA layout", mla_description(info.mla_layout)});
  if (info.kv_bytes_per_token)
    facts.add_row({"KV cache per token",
                   with_commas(*info.kv_bytes_per_token) + " B (f16, " + info.kv_engine +
                       (info.kv_average_context > 1 ? "; the average over " + with_commas(info.kv_average_context) +
                                                          " tokens: windowed and compressed caches"
                                                    : std::string()) +
                       ")"});
  facts.render(out, "  ");
  if (!info.types.empty()) {
    out << "\nBy type\n";
    Table types({{"Type"}, {"Tensors", Table::Align::right}, {"Bytes", Table::Align::right}, {"GiB", Table::Align::right}});
    for (const auto& t : info.types) types.add_row({t.type, with_commas(t.count), with_commas(t.bytes.count()), fixed(t.bytes.gib(), 2)});
    types.render(out, "  ");
  }
  if (!info.groups.empty()) {
    out << "\nBy group\n";
    Table groups({{"Group"}, {"Tensors", Table::Align::right}, {"Bytes", Table::Align::right}, {"GiB", Table::Align::right}});
    for (const auto& g : info.groups)
      groups.add_row({g.group, with_commas(g.count), with_commas(g.bytes.count()), fixed(g.bytes.gib(), 2)});
    groups.render(out, "  ");
  }
}

void render_catalog_entry(const ModelFileInfo& info, const Catalog& catalog, std::ostream& out) {
  const std::string& file = info.files.front();
  if (!info.arch)  // why, as plain inspect says it (an unsupported architecture, a missing key)
    throw InputError(file + ": cannot emit a catalog entry: " +
                     (info.arch_problem.empty()
                          ? "the file does not give the whole architecture" +
                                std::string(info.architecture.empty() ? "" : " ('" + info.architecture + "')")
                          : info.arch_problem));
  if (info.arch->max_context == 0)
    throw InputError(file + ": cannot emit a catalog entry: no context length in the file");
  if (info.catalog_model)
    throw InputError(file + ": no catalog entry to emit: the file is the catalog's " + *info.catalog_model +
                     " already ('dsplan estimate " + shell_word(file) + "' sizes it with that model's figures)");
  std::filesystem::path p(file);
  std::string stem = p.filename() == "config.json" ? p.parent_path().filename().string() : p.stem().string();
  if (stem.empty()) stem = "model";
  const std::string name = info.name.empty() ? stem : info.name;
  std::string id = slug(name);
  while (catalog.find_model(id)) id += "-file";  // a shipped model's id would replace that model
  std::string native = "bf16";
  for (const auto& t : info.types)
    if (t.type == "F8_E4M3") native = "fp8";
  ordered_json entry{{"id", id}, {"name", name}, {"family", "custom"}};
  const bool remote = is_remote_reference(file);
  const std::filesystem::path whole = remote ? p : std::filesystem::absolute(p).lexically_normal();
  if (info.format == ModelFileFormat::gguf) {
    // The model is this file: estimate sizes it exactly and llama.cpp loads it with -m.
    entry["model_file"] = whole.string();
    entry["gguf_repo"] = {{"none", "a local model: its model_file"}, {"source", "dsplan inspect " + file}};
  } else {
    // The model lives where the file is: engines load that directory; no hub repository has it.
    const std::filesystem::path directory = std::filesystem::is_directory(whole) ? whole : whole.parent_path();
    entry["hf_repo"] = directory.string();
    entry["gguf_repo"] = {{"none", "a local model: give your GGUF file with -m"}, {"source", "dsplan inspect " + file}};
  }
  entry["native_dtype"] = native;
  entry["config"] = config_json(*info.arch);
  entry["config_source"] = "dsplan inspect " + file;
  out << ordered_json{{"models", ordered_json::array({entry})}}.dump(2) << '\n';
}

}  // namespace dsplan::cli
