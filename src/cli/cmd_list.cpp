// `dsplan list models|quants|gpus|cpus|engines|tasks`: what the catalog holds.
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/format.hpp"
#include "cli/json_optional.hpp"
#include "cli/output.hpp"
#include "cli/table.hpp"
#include "dsplan/base/error.hpp"
#include "dsplan/base/text.hpp"
#include "dsplan/model/tensors.hpp"

namespace dsplan::cli {

namespace {

using ordered_json = nlohmann::ordered_json;

/// A listing as a table, as {"schema_version": 1, what: [rows]}, or as CSV of the rows.
void emit_list(Context& ctx, const std::string& what, const ordered_json& rows, const Table& table) {
  render_output(ctx, {"list " + what, [&](std::ostream& o) { table.render(o); },
                      [&](std::ostream& o) { o << ordered_json{{"schema_version", 1}, {what, rows}}.dump(2) << '\n'; },
                      {"/" + what + "/*"}});
}

void list_models(const Catalog& cat, Context& ctx) {
  ordered_json rows = ordered_json::array();
  Table table({{"ID"}, {"Params", Table::Align::right}, {"Active", Table::Align::right}, {"Native"},
               {"Context [tokens]", Table::Align::right}, {"Aliases"}});
  for (const auto& m : cat.models) {
    const auto inv = build_inventory(m.arch);
    const auto total = inv.params_total().count();
    const auto active = inv.params_active(false).count();
    rows.push_back({{"id", m.id}, {"name", m.name}, {"family", m.family}, {"params_total", total},
                    {"params_active", active}, {"native_quant", m.native_quant},
                    {"max_context", m.arch.max_context}, {"aliases", m.aliases}});
    table.add_row({m.id, billions(total), billions(active), m.native_quant, with_commas(m.arch.max_context),
                   join(m.aliases)});
  }
  emit_list(ctx, "models", rows, table);
}

void list_quants(const Catalog& cat, Context& ctx) {
  ordered_json rows = ordered_json::array();
  Table table({{"ID"}, {"Name"}, {"Container"}, {"Engines"}, {"Description"}});
  for (const auto& q : cat.quants) {
    rows.push_back({{"id", q.id},
                    {"name", q.name},
                    {"aliases", q.aliases},
                    {"containers", q.containers},
                    {"default_type", q.default_type},
                    {"engines", q.engines},
                    {"models", q.models},
                    {"recipe", q.recipe_note.empty() ? "transcribed" : "fitted"},
                    {"recipe_note", q.recipe_note},
                    {"description", q.description},
                    {"source", q.source}});
    // A fitted recipe says so first: its totals are exact, its per-tensor types are not known.
    table.add_row({q.id, q.name, join(q.containers, "/"), join(q.engines),
                   (q.recipe_note.empty() ? "" : "[fitted recipe] ") + q.description});
  }
  // Files people download whose recipe is unknown: not formats, but named, with how to size them.
  ordered_json files = ordered_json::array();
  Table unmodelled({{"File"}, {"Model"}, {"Size it from its header with"}, {"Published size"}});
  for (const auto& f : cat.unmodelled_files) {
    files.push_back(
        {{"file", f.file},
         {"model", f.model},
         {"hf", "hf:" + f.hf},
         {"published_size", f.published_size.empty() ? ordered_json(nullptr) : ordered_json(f.published_size)},
         {"source", f.source}});
    unmodelled.add_row({f.file, f.model, "--model-file hf:" + f.hf, f.published_size.empty() ? "-" : f.published_size});
  }
  render_output(
      ctx, {"list quants",
            [&](std::ostream& o) {
              table.render(o);
              if (files.empty()) return;
              o << "\nunsloth files whose per-tensor recipe was never published (not formats; "
                   "dsplan sizes them exactly from their own header):\n";
              unmodelled.render(o);
            },
            [&](std::ostream& o) {
              o << ordered_json{{"schema_version", 1}, {"quants", rows}, {"unmodelled_files", files}}.dump(2) << '\n';
            },
            {"/quants/*"}});
}

void list_gpus(const Catalog& cat, Context& ctx) {
  ordered_json rows = ordered_json::array();
  Table table({{"ID"}, {"Name"}, {"Memory [GiB]", Table::Align::right}, {"Bandwidth [GB/s]", Table::Align::right},
               {"BF16 dense [TFLOPS]", Table::Align::right}, {"TDP [W]", Table::Align::right}});
  for (const auto& g : cat.gpus) {
    ordered_json row{{"id", g.id},
                     {"name", g.name},
                     {"vendor", g.vendor},
                     {"class", g.device_class},
                     {"memory_bytes", g.memory.count()},
                     {"bandwidth_bytes_per_s", positive_or_null(g.bandwidth_bytes_per_s)},
                     {"bf16_tflops", positive_or_null(g.bf16_tflops)},
                     {"tdp_watts", positive_or_null(g.tdp_watts)},
                     {"aliases", g.aliases}};
    rows.push_back(row);
    const auto number_or_dash = [](double v, int decimals) { return v > 0 ? fixed(v, decimals) : std::string("-"); };
    table.add_row({g.id, g.name, fixed(g.memory.gib(), 2),
                   number_or_dash(static_cast<double>(g.bandwidth_bytes_per_s) / 1e9, 0),
                   number_or_dash(g.bf16_tflops, 1), number_or_dash(g.tdp_watts, 0)});
  }
  emit_list(ctx, "gpus", rows, table);
}

void list_cpus(const Catalog& cat, Context& ctx) {
  ordered_json rows = ordered_json::array();
  Table table({{"ID"}, {"Name"}, {"Cores", Table::Align::right}, {"Memory"}, {"Bandwidth [GB/s]", Table::Align::right}});
  for (const auto& c : cat.cpus) {
    rows.push_back({{"id", c.id},
                    {"name", c.name},
                    {"cores", positive_or_null(c.cores)},
                    {"memory_channels", positive_or_null(c.memory_channels)},
                    {"memory_type", c.memory_type},
                    {"bandwidth_bytes_per_s", positive_or_null(c.bandwidth_bytes_per_s)},
                    {"bf16_tflops", positive_or_null(c.bf16_tflops)},
                    {"aliases", c.aliases}});
    table.add_row({c.id, c.name, c.cores ? std::to_string(c.cores) : "-",
                   c.memory_channels ? std::to_string(c.memory_channels) + " x " + c.memory_type : c.memory_type,
                   fixed(static_cast<double>(c.bandwidth_bytes_per_s) / 1e9, 1)});
  }
  emit_list(ctx, "cpus", rows, table);
}

void list_engines(const Catalog& cat, Context& ctx) {
  ordered_json rows = ordered_json::array();
  Table table({{"ID"}, {"Name"}, {"Loads"}, {"MLA cache"}, {"KV cache types"}});
  for (const auto& e : cat.engines) {
    const std::string mla = e.mla_cache == MlaCacheLayout::latent ? "latent" : "expanded";
    rows.push_back({{"id", e.id}, {"name", e.name}, {"containers", e.containers}, {"mla_cache", mla},
                    {"kv_cache_types", e.kv_cache_types}, {"default_kv_type", e.default_kv_type},
                    {"aliases", e.aliases}});
    table.add_row({e.id, e.name, join(e.containers, "/"), mla, join(e.kv_cache_types)});
  }
  emit_list(ctx, "engines", rows, table);
}

void list_tasks(const Catalog& cat, Context& ctx) {
  ordered_json rows = ordered_json::array();
  Table table({{"ID"}, {"Task"}, {"Scored by"}, {"Aliases"}});
  for (const auto& t : cat.tasks) {
    std::vector<std::string> basis;
    for (const auto& m : t.metrics) basis.push_back(join(m.keys, "|"));
    if (!t.blend_of.empty()) basis.push_back("mean of " + join(t.blend_of));
    rows.push_back({{"id", t.id}, {"name", t.name}, {"scored_by", basis}, {"short_answers", t.short_answers},
                    {"aliases", t.aliases}, {"why", t.why}});
    table.add_row({t.id, t.name, join(basis, " + "), join(t.aliases)});
  }
  emit_list(ctx, "tasks", rows, table);
}

}  // namespace

void setup_list(CLI::App& app, Context& ctx) {
  auto* sub = app.add_subcommand("list", "List the catalog's models, quant formats, GPUs, CPUs, engines or tasks");
  auto what = std::make_shared<std::string>("models");
  sub->add_option("what", *what, "models (default), quants, gpus, cpus, engines or tasks");
  sub->footer("Examples:\n  dsplan list\n  dsplan list gpus --json");
  sub->callback([&ctx, what] {
    ctx.runner = [&ctx, what] {
      const Catalog& cat = ctx.catalog();
      const std::string w = to_lower(*what);
      if (w == "models") list_models(cat, ctx);
      else if (w == "quants") list_quants(cat, ctx);
      else if (w == "gpus") list_gpus(cat, ctx);
      else if (w == "cpus") list_cpus(cat, ctx);
      else if (w == "engines") list_engines(cat, ctx);
      else if (w == "tasks") list_tasks(cat, ctx);
      else throw InputError("cannot list '" + *what + "' (choose from: models, quants, gpus, cpus, engines, tasks)");
      return ExitCode::ok;
    };
  });
}

}  // namespace dsplan::cli
