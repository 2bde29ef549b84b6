// Rendering of `estimate --sweep context`: context -> memory per device, fit and decode speed.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "cli/format.hpp"
#include "cli/render.hpp"
#include "cli/table.hpp"

namespace dsplan::cli {

namespace {

/// The GPU with the largest total (the one that decides the fit), or nullptr without GPUs.
const DevicePlacement* fullest_gpu(const Layout& l) {
  const DevicePlacement* best = nullptr;
  for (const auto& g : l.gpus)
    if (!best || g.total > best->total) best = &g;
  return best;
}

std::string fits_text(const PlanResult& p) {
  if (p.fits) return "yes";
  if (p.layout->fits && p.needs_ram) return "with --ram";
  return "NO";
}

}  // namespace

void render_sweep_table(const std::vector<ContextPoint>& points, std::ostream& out) {
  const PlanResult& first = points.front().plan;
  const auto& s = first.scenario;
  out << s.model->name << " | " << s.quant->name << " | " << s.engine->name << " | KV cache " << s.kv_type->id << " x "
      << count_of(s.batch, "sequence", "sequences") << '\n';
  out << "Context sweep up to the model's window of " << with_commas(s.model->arch.max_context) << " tokens\n";
  if (!first.layout) {
    Table t({{"Context"}, {"KV [GiB]", Table::Align::right}, {"Total [GiB]", Table::Align::right}});
    for (const auto& p : points)
      t.add_row({with_commas(p.context), fixed(p.plan.memory.kv.total.gib(), 2), fixed(p.plan.memory.total.gib(), 2)});
    t.render(out, "  ");
    return;
  }
  Table t({{"Context"}, {"KV [GiB]", Table::Align::right}, {"Fullest GPU [GiB]", Table::Align::right},
           {"of [GiB]", Table::Align::right}, {"RAM [GiB]", Table::Align::right}, {"Fits"},
           {"Decode [tok/s]", Table::Align::right}});
  for (const auto& p : points) {
    const Layout& l = *p.plan.layout;
    const DevicePlacement* g = fullest_gpu(l);
    t.add_row({with_commas(p.context), fixed(p.plan.memory.kv.total.gib(), 2), g ? fixed(g->total.gib(), 2) : "-",
               g ? fixed(g->capacity.gib(), 2) : "-", fixed(l.cpu.total.gib(), 2), fits_text(p.plan),
               p.plan.throughput ? fixed(p.plan.throughput->decode_tokens_per_s, 1) : "-"});
  }
  t.render(out, "  ");
  out << "  Fits: 'with --ram' = layers in system RAM that --ram did not give; decode tokens/s per sequence\n";
}

void render_sweep_json(const std::vector<ContextPoint>& points, std::ostream& out) {
  using ordered_json = nlohmann::ordered_json;
  const auto& s = points.front().plan.scenario;
  ordered_json rows = ordered_json::array();
  for (const auto& p : points) {
    ordered_json row{{"context", p.context},
                     {"kv_cache_bytes", p.plan.memory.kv.total.count()},
                     {"memory_total_bytes", p.plan.memory.total.count()}};
    if (p.plan.layout) {
      const Layout& l = *p.plan.layout;
      ordered_json devices = ordered_json::array();
      for (const auto& g : l.gpus)
        devices.push_back({{"name", g.name}, {"total_bytes", g.total.count()}, {"capacity_bytes", g.capacity.count()}});
      row["devices"] = devices;
      row["ram_bytes"] = l.cpu.total.count();
      row["fits"] = p.plan.fits;
      row["needs_ram_bytes"] = p.plan.needs_ram ? ordered_json(p.plan.needs_ram->count()) : ordered_json(nullptr);
      row["decode_tokens_per_s"] =
          p.plan.throughput ? ordered_json(p.plan.throughput->decode_tokens_per_s) : ordered_json(nullptr);
    }
    rows.push_back(row);
  }
  ordered_json j{{"schema_version", 1},   {"model", s.model->id}, {"quant", s.quant->id}, {"engine", s.engine->id},
                 {"kv_type", s.kv_type->id}, {"batch", s.batch}, {"limit", s.model->arch.max_context},
                 {"points", rows}};
  out << j.dump(2) << '\n';
}

}  // namespace dsplan::cli
