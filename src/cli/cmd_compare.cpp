// `dsplan compare`: a model x quant matrix of memory, fit and speed on the given hardware.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>

#include "cli/commands.hpp"
#include "cli/detect.hpp"
#include "cli/format.hpp"
#include "cli/json_optional.hpp"
#include "cli/model_input.hpp"
#include "cli/options.hpp"
#include "cli/output.hpp"
#include "cli/render_json.hpp"
#include "cli/render_svg.hpp"
#include "cli/table.hpp"
#include "dsplan/base/error.hpp"
#include "dsplan/base/text.hpp"
#include "dsplan/serving/compare.hpp"

namespace dsplan::cli {

namespace {

struct CompareOptions {
  EstimateOptions estimate;  ///< model and quant unused: the matrix sets them
  std::vector<std::string> models;
  std::vector<std::string> named;  ///< models given without --models (compare 32b 70b)
  std::vector<std::string> quants;
  std::string svg;  ///< --svg FILE: the matrix as a coloured grid
};

/// The cell shows a speed: it fits (with --context max, some context does).
bool shows_speed(const CompareCell& c) {
  if (!c.applicable || !c.fits || !c.served_decode_tokens_per_s) return false;
  if (c.max_context) return *c.max_context > 0;
  return c.unsupported.empty() && *c.fits;
}

/// "*" partly in RAM, "?" no band: fewer than 3 published measurements of the cell's class.
std::string speed_marks(const CompareCell& c) {
  return std::string(c.uses_ram ? "*" : "") + (c.served_band && !c.served_band->calibrated ? "?" : "");
}

/// A cell's text; with --count auto the GPUs its plan took, with --kv-type auto its cache type
/// (each cell chooses its own, so the table names them).
std::string cell_text(const CompareCell& c, const CompareMatrix& m) {
  if (!c.applicable) return "n/a";
  if (!c.fits) return gib(c.memory);
  const std::string gpus = m.count_auto && c.gpus ? fmt::format(" on {}", *c.gpus) : "";
  if (c.max_context) {
    if (!shows_speed(c)) return "no";
    return fmt::format("{}{} ({:.1f} tok/s{}{})", with_commas(*c.max_context), m.kv_auto ? " " + c.kv_type : "",
                       *c.served_decode_tokens_per_s, speed_marks(c), gpus);
  }
  if (!c.unsupported.empty()) return "no (cannot run)";
  if (!shows_speed(c)) return "no (" + gib(c.memory) + ")";
  return fmt::format("{:.1f} tok/s{}{}", *c.served_decode_tokens_per_s, speed_marks(c), gpus);
}

/// Models whose window is shorter than the context asked: their cells are planned at the window.
void capped_contexts(const CompareMatrix& m, std::ostream& out) {
  std::vector<std::string> capped;
  for (const auto& row : m.rows)
    for (const auto& c : row.cells)
      if (c.applicable && c.context_capped) {
        capped.push_back(fmt::format("{} {}", row.model->name, with_commas(c.context)));
        break;
      }
  if (!capped.empty())
    out << "  context: the model's window where it is shorter than asked (" << join(capped, ", ") << ")\n";
}

/// `text` with every `from` replaced by `to`, built anew (no in-place replace).
std::string replaced(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  for (std::size_t at = 0;;) {
    const std::size_t hit = text.find(from, at);
    out.append(text.substr(at, hit == std::string_view::npos ? std::string_view::npos : hit - at));
    if (hit == std::string_view::npos) return out;
    out.append(to);
    at = hit + from.size();
  }
}

/// Why the n/a cells are n/a, each distinct reason once: a setting the row's engine refuses
/// (--kv-type auto on llama.cpp) is not the catalog's doing and the table alone would hide it.
/// Reasons that differ only in the row's model name (V4-Flash's and V4-Pro's) are printed once,
/// naming the models together.
void na_reasons(const CompareMatrix& m, std::ostream& out) {
  constexpr std::string_view k_model = "\x01";                         // stands for the row's model name in a reason
  std::vector<std::pair<std::string, std::vector<std::string>>> seen;  // reason -> models
  for (const auto& row : m.rows)
    for (const auto& c : row.cells) {
      if (c.applicable || c.why_not.empty()) continue;
      const std::string key = replaced(c.why_not, row.model->name, k_model);
      auto it = std::find_if(seen.begin(), seen.end(), [&](const auto& x) { return x.first == key; });
      if (it == seen.end()) it = seen.insert(seen.end(), {key, {}});
      if (std::find(it->second.begin(), it->second.end(), row.model->name) == it->second.end())
        it->second.push_back(row.model->name);
    }
  for (const auto& [key, models] : seen) {
    const std::string names =
        models.size() == 1 ? models.front()
                           : join(std::vector<std::string>(models.begin(), models.end() - 1)) + " and " + models.back();
    out << "  n/a: " << replaced(key, k_model, names) << '\n';
  }
}

/// Columns planned on different engines (FP16 on vLLM, Q8_0 on llama.cpp) compare engines too:
/// their totals hold each engine's buffers. Say which column ran where.
void engines_by_column(const CompareMatrix& m, std::ostream& out) {
  std::vector<std::pair<std::string, std::vector<std::string>>> engines;  // engine -> columns
  for (std::size_t q = 0; q < m.quants.size(); ++q)
    for (const auto& row : m.rows)
      if (q < row.cells.size() && row.cells[q].applicable && !row.cells[q].engine.empty()) {
        const std::string& e = row.cells[q].engine;
        auto it = std::find_if(engines.begin(), engines.end(), [&](const auto& x) { return x.first == e; });
        if (it == engines.end()) it = engines.insert(engines.end(), {e, {}});
        if (std::find(it->second.begin(), it->second.end(), m.quants[q]) == it->second.end())
          it->second.push_back(m.quants[q]);
      }
  if (engines.size() < 2) return;
  std::vector<std::string> parts;
  for (const auto& [engine, columns] : engines) parts.push_back(join(columns, ", ") + " on " + engine);
  out << "  engines: " << join(parts, "; ")
      << " (each cell is its engine's figure, buffers and speed; --engine E compares on one)\n";
}

void render_table(const CompareMatrix& m, bool context_max, std::ostream& out) {
  if (context_max)
    out << "Largest context that fits (tokens per sequence) and the decode tokens/s there; 'no' where none does\n";
  else
    out << (m.hardware
                ? fmt::format("Decode tokens/s per sequence{} where it fits; 'no (memory needed)' where it cannot be "
                              "placed; 'no (cannot run)' where the engine does not run the model on these GPUs\n",
                              m.batch > 1 ? fmt::format(" with {} requests in flight (the others' prefills between "
                                                        "its decode steps included)",
                                                        m.batch)
                                          : "")
                : "Memory for each model and format (give --gpu, --gpus or --vram for fit and speed)\n");
  std::vector<Table::Column> cols{{"Model"}};
  for (const auto& q : m.quants) cols.push_back({q, Table::Align::right});
  Table t(cols);
  for (const auto& row : m.rows) {
    std::vector<std::string> cells{row.model->name};
    for (const auto& c : row.cells) cells.push_back(cell_text(c, m));
    t.add_row(cells);
  }
  t.render(out, "  ");
  for (const auto& q : m.quants)
    if (q == k_file_quant_id) out << "  file = the tensors of the --model-file\n";
  bool native = false, na = false, in_ram = false, unbanded = false;  // footnotes only for what the table shows
  for (const auto& q : m.quants) native = native || q == k_native_quant;
  for (const auto& row : m.rows)
    for (const auto& c : row.cells) {
      na = na || !c.applicable;
      in_ram = in_ram || (shows_speed(c) && c.uses_ram);
      unbanded = unbanded || (shows_speed(c) && c.served_band && !c.served_band->calibrated);
    }
  if (native)
    out << "  native = the format each model is published in (bf16 for the distills, fp8 for V3/R1, fp4_fp8 for V4)\n";
  if (na)
    out << "  n/a = cannot be planned here (a format no engine loads, or a file made for another model; --json gives "
           "why_not)\n";
  na_reasons(m, out);
  engines_by_column(m, out);
  capped_contexts(m, out);
  if (m.count_auto) out << "  on N = the GPUs --count auto chose for the cell\n";
  if (m.kv_auto && context_max)
    out << "  the cache type after a context is the one --kv-type auto chose for it: run with --kv-type T\n";
  if (m.hardware && in_ram)
    out << "  * in system RAM, in part or whole (layers or routed experts the engine keeps there)"
        << (m.hardware->host.ram ? "" : "; without --ram dsplan does not check that the RAM is there") << '\n';
  if (unbanded)
    out << "  ? uncalibrated: fewer than 3 published measurements of its engine, hardware and model kind, so it may be "
           "off by 0.5x-2x (estimate gives the range)\n";
}

void render_json(const CompareMatrix& m, std::ostream& out) {
  nlohmann::ordered_json j;
  j["schema_version"] = 1;
  j["quants"] = m.quants;
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const auto& row : m.rows) {
    nlohmann::ordered_json cells = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < row.cells.size(); ++i) {
      const CompareCell& c = row.cells[i];
      // The column asked for ("native", an alias) beside the format it resolved to.
      nlohmann::ordered_json cell{{"column", m.quants[i]}, {"quant", c.quant}, {"applicable", c.applicable}};
      if (!c.applicable) {
        cell["why_not"] = c.why_not;
      } else {
        cell["engine"] = c.engine;
        cell["memory_total_bytes"] = c.memory.count();
        // estimate's verdict: a layout that keeps layers in RAM nobody gave does not fit.
        cell["fits"] = c.fits ? nlohmann::ordered_json(*c.fits && !c.needs_ram) : nlohmann::ordered_json(nullptr);
        cell["unsupported"] =
            c.unsupported.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(c.unsupported);
        cell["needs_ram_bytes"] =
            c.needs_ram ? nlohmann::ordered_json(c.needs_ram->count()) : nlohmann::ordered_json(nullptr);
        cell["uses_ram"] = c.uses_ram;
        if (c.max_context) cell["max_context"] = *c.max_context;
        cell["decode_tokens_per_s"] = json_or_null(c.decode_tokens_per_s);
        cell["served_decode_tokens_per_s"] = json_or_null(c.served_decode_tokens_per_s);
        cell["served_band"] = c.served_band ? speed_band_json(*c.served_band) : nlohmann::ordered_json(nullptr);
        cell["context"] = c.context;
        cell["context_capped"] = c.context_capped;
        cell["kv_type"] = c.kv_type;
        cell["gpus"] = c.gpus ? nlohmann::ordered_json(*c.gpus) : nlohmann::ordered_json(nullptr);
      }
      cells.push_back(cell);
    }
    rows.push_back({{"model", row.model->id}, {"cells", cells}});
  }
  j["rows"] = rows;
  out << j.dump(2) << '\n';
}

}  // namespace

void setup_compare(CLI::App& app, Context& ctx) {
  auto* sub = app.add_subcommand("compare", "Every model x a set of quants: memory, fit and tokens/s on your hardware");
  auto o = std::make_shared<CompareOptions>();
  // One comma-separated value per flag: `compare --quants q4_k_m 7b` names the model 7b, not a quant.
  sub->add_option("--models", o->models, "Models to compare (comma-separated; default all)")->allow_extra_args(false);
  sub->add_option("models", o->named, "Models to compare, as --models (compare 32b 70b)");
  sub->add_option("--quants", o->quants,
                  "Formats to compare, comma-separated; 'native' = each model's own (default q4_k_m,q6_k,q8_0,native)")
      ->allow_extra_args(false);
  add_estimate_options(sub, o->estimate, {.quant = false, .cost = false, .capacity = false});
  sub->add_option("--svg", o->svg,
                  "Also draw the matrix as an SVG grid in FILE (cells coloured by fit, total GiB in each); "
                  "written only on success")
      ->type_name("FILE");
  sub->footer(
      "Examples:\n"
      "  dsplan compare --vram 24\n"
      "  dsplan compare 32b 70b --gpu rtx4090 --count 2\n"
      "  dsplan compare --gpus 2xrtx3090 --context 16k --quants q4_k_m,q8_0\n"
      "  dsplan compare --gpu h100-sxm --count 8 --engine vllm --quants fp8,awq,native --json\n"
      "  dsplan compare --vram 24 --model-file DeepSeek-R1-Distill-Qwen-32B-Q4_K_M.gguf --quants q4_k_m,q3_k_m");
  sub->callback([&ctx, o] {
    ctx.runner = [&ctx, o] {
      if (!o->svg.empty()) check_output_path("--svg", o->svg);
      CompareRequest r;
      resolve_detection(o->estimate.hw, ctx);
      r.base = to_plan_request(o->estimate, false);
      r.context_max = asks_context_max(o->estimate.context);
      if (r.context_max && !r.base.hardware) throw InputError("--context max needs hardware: --gpu, --gpus, --vram or --ram");
      r.kv_auto = r.context_max && o->estimate.kv_type == "auto";
      if (r.kv_auto) r.base.scenario.kv_type.clear();
      if (!o->estimate.headroom.empty()) r.headroom = r.base.layout.headroom;
      r.engine = r.base.scenario.engine;
      // In the order typed: the models named first (compare 7b --models 8b), then --models.
      r.models = split_commas(o->named, "MODEL");
      for (auto& m : split_commas(o->models, "--models")) r.models.push_back(std::move(m));
      if (!o->quants.empty()) r.quants = split_commas(o->quants, "--quants");
      if (!o->estimate.model_file.empty()) {  // the file's column first, on its model's row
        const ModelFileChoice file = load_model_file(ctx, o->estimate.model_file, "");
        const auto is_files = [&](const std::string& name) {  // by id or alias (v4-flash)
          const ModelSpec* m = ctx.catalog().find_model(name);
          return m && m->id == file.model;
        };
        if (std::none_of(r.models.begin(), r.models.end(), is_files)) r.models.insert(r.models.begin(), file.model);
        r.quants.insert(r.quants.begin(), file.quant);
      }
      const CompareMatrix m = compare(ctx.catalog(), r);
      if (!o->svg.empty()) ctx.files.push_back({"--svg", o->svg, render_compare_svg(m)});
      render_output(ctx, {"compare", [&](std::ostream& out) { render_table(m, r.context_max, out); },
                          [&](std::ostream& out) { render_json(m, out); }, {"/rows/*/cells/*"}});
      return ExitCode::ok;
    };
  });
}

}  // namespace dsplan::cli
