// The compare matrix: one plan per model x quant, with the request's hardware and scenario.
#include "dsplan/serving/compare.hpp"

#include "dsplan/base/error.hpp"
#include "dsplan/base/text.hpp"
#include "dsplan/files/file_weights.hpp"
#include "dsplan/serving/context_search.hpp"

#include <algorithm>

#include <optional>
#include <string>

namespace dsplan {
namespace {

/// A preset column of a model whose GGUF files are sized only from a file, when this matrix holds
/// that model's file: the general refusal tells the user to give the file they just gave.
std::optional<std::string> preset_beside_its_file(const Catalog& cat, const ModelSpec& m, const QuantFormat& q,
                                                  const std::vector<std::string>& quant_ids) {
  // Formats also published as safetensors (bf16) are refused, or not, for their own reasons.
  if (q.file || q.containers != std::vector<std::string>{"gguf"} || m.arch.traits.gguf_presets() ||
      m.arch.traits.llama_cpp_arch.empty())
    return std::nullopt;
  for (const auto& id : quant_ids) {
    const QuantFormat* f = id == k_native_quant ? nullptr : cat.find_quant(id);
    if (f && f->file && f->file->model_id == m.id)
      return m.name + "'s GGUF presets are not sized, only its files: the " + f->id + " column is the one you gave";
  }
  return std::nullopt;
}

}  // namespace

CompareMatrix compare(const Catalog& cat, const CompareRequest& r) {
  CompareMatrix out;
  out.quants = r.quants;
  out.batch = r.base.scenario.batch;
  out.count_auto = r.base.count_auto;
  out.kv_auto = r.kv_auto;
  std::vector<std::string> quant_ids;
  for (const auto& q : r.quants) {
    const std::string id = q == k_native_quant ? q : cat.require_quant(q).id;
    if (contains(quant_ids, id)) throw InputError("--quants: '" + q + "' names a column already listed");
    quant_ids.push_back(id);
  }
  if (!r.engine.empty()) (void)cat.require_engine(r.engine);
  std::vector<const ModelSpec*> models;
  if (r.models.empty())
    for (const auto& m : cat.models) models.push_back(&m);
  else
    for (const auto& name : r.models) {
      const ModelSpec* m = &cat.require_model(name);
      if (std::find(models.begin(), models.end(), m) != models.end())
        throw InputError("model '" + name + "' is " + m->name + ", already listed");
      models.push_back(m);
    }
  std::optional<std::string> first_error;
  bool any_applicable = false;
  for (const ModelSpec* m : models) {
    CompareRow row{m, {}};
    for (const auto& q : r.quants) {
      CompareCell cell;
      cell.quant = q == k_native_quant ? m->native_quant : cat.require_quant(q).id;
      PlanRequest p = r.base;
      p.scenario.model = m->id;
      p.scenario.quant = cell.quant;
      p.scenario.engine = r.engine;
      p.scenario.context = std::min(p.scenario.context, m->arch.max_context);
      // A recipe option (--imatrix) changes only the formats whose files it changes; other columns
      // (the native checkpoint, K-quants) are planned without it rather than refused.
      if (!cat.require_quant(cell.quant).imatrix_sensitive) p.scenario.imatrix.reset();
      p.suggest_count = false;  // a cell shows no notes
      if (auto why = preset_beside_its_file(cat, *m, cat.require_quant(cell.quant), quant_ids)) {
        cell.applicable = false;
        cell.why_not = std::move(*why);
        row.cells.push_back(std::move(cell));
        continue;
      }
      try {
        const PlanResult plan = r.context_max ? find_max_context(cat, {p, r.kv_auto, r.headroom}) : run_plan(cat, p);
        if (plan.context_search)
          cell.max_context = plan.context_search->found ? plan.scenario.context : 0;
        if (!out.hardware && plan.hardware) out.hardware = plan.hardware;
        cell.engine = plan.scenario.engine->id;
        cell.memory = plan.memory.total;
        cell.context = plan.scenario.context;
        cell.context_capped = r.base.scenario.context > m->arch.max_context;
        cell.kv_type = plan.scenario.kv_type->id;
        if (plan.hardware) cell.gpus = plan.hardware->gpus.size() * plan.hardware->nodes;
        if (plan.layout) {
          cell.fits = r.context_max ? plan.context_search->found : plan.layout->fits;
          cell.unsupported = plan.layout->unsupported;
          cell.uses_ram = keeps_layers_in_ram(*plan.layout, plan.memory.weights.block_bytes.size());
          cell.needs_ram = plan.needs_ram;
        }
        if (plan.throughput) {
          cell.decode_tokens_per_s = plan.throughput->decode_tokens_per_s;
          cell.served_decode_tokens_per_s = plan.throughput->served_decode_tokens_per_s;
          cell.served_band = plan.throughput->served_band;
        }
      } catch (const InputError& e) {
        cell.applicable = false;
        cell.why_not = e.what();
        if (!first_error) first_error = cell.why_not;
      }
      if (cell.applicable) any_applicable = true;
      row.cells.push_back(std::move(cell));
    }
    out.rows.push_back(std::move(row));
  }
  // Not one cell could be planned: the request itself is wrong (an unknown --cpu, a prompt longer
  // than any context), so say why instead of printing a matrix of n/a.
  if (!any_applicable && first_error) throw InputError(*first_error);
  return out;
}

}  // namespace dsplan
