// SVG pictures (--svg FILE) of the estimate, the context sweep and the compare matrix: the same
// result structs the tables render, written as plain XML by a tiny builder (no third-party code).
#include "cli/render_svg.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "cli/format.hpp"

namespace dsplan::cli {

namespace {

constexpr const char* k_font = "font-family=\"DejaVu Sans, Arial, sans-serif\"";

// One colour per memory component, shared by the legend and the bars.
struct Component {
  const char* cls;
  const char* label;
  const char* fill;
};
constexpr Component k_components[] = {
    {"weights", "weights", "#4e79a7"},
    {"kv", "KV cache", "#f28e2b"},
    {"buffer", "compute buffer", "#59a14f"},
    {"overhead", "overhead", "#9d7660"},
};
constexpr const char* k_capacity_stroke = "#d62728";

std::string num(double v) {
  if (!std::isfinite(v)) v = 0;
  std::string s = fmt::format("{:.2f}", v);
  if (s == "-0.00") s = "0.00";
  return s;
}

/// A minimal SVG document: elements appended in drawing order, closed by finish().
class Svg {
 public:
  Svg(int width, int height) {
    m_text = fmt::format(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" {2}>\n",
        width, height, k_font);
    m_text += fmt::format("<rect class=\"background\" x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>\n",
                          width, height);
  }

  void title(std::string_view text) { m_text += "<title>" + xml_escape(text) + "</title>\n"; }

  void rect(double x, double y, double w, double h, std::string_view cls, std::string_view fill,
            std::string_view tooltip = {}, std::string_view stroke = {}) {
    m_text += "<rect class=\"";
    m_text += xml_escape(cls);
    m_text += "\" x=\"" + num(x) + "\" y=\"" + num(y) + "\" width=\"" + num(std::max(w, 0.0)) + "\" height=\"" +
              num(std::max(h, 0.0)) + "\" fill=\"";
    m_text += fill;
    m_text += '"';
    if (!stroke.empty()) {
      m_text += " stroke=\"";
      m_text += stroke;
      m_text += "\" stroke-width=\"1\"";
    }
    if (tooltip.empty()) {
      m_text += "/>\n";
    } else {
      m_text += "><title>" + xml_escape(tooltip) + "</title></rect>\n";
    }
  }

  void line(double x1, double y1, double x2, double y2, std::string_view cls, std::string_view stroke, double width = 1,
            bool dashed = false) {
    m_text += "<line class=\"";
    m_text += xml_escape(cls);
    m_text += "\" x1=\"" + num(x1) + "\" y1=\"" + num(y1) + "\" x2=\"" + num(x2) + "\" y2=\"" + num(y2) +
              "\" stroke=\"";
    m_text += stroke;
    m_text += "\" stroke-width=\"" + num(width) + '"';
    if (dashed) m_text += " stroke-dasharray=\"6 4\"";
    m_text += "/>\n";
  }

  void polyline(const std::vector<std::pair<double, double>>& points, std::string_view cls, std::string_view stroke) {
    if (points.empty()) return;
    m_text += "<polyline class=\"";
    m_text += xml_escape(cls);
    m_text += "\" fill=\"none\" stroke=\"";
    m_text += stroke;
    m_text += "\" stroke-width=\"2\" points=\"";
    for (std::size_t i = 0; i < points.size(); ++i) {
      if (i) m_text += ' ';
      m_text += num(points[i].first) + "," + num(points[i].second);
    }
    m_text += "\"/>\n";
  }

  void circle(double x, double y, double r, std::string_view fill, std::string_view stroke, std::string_view tooltip) {
    m_text += "<circle cx=\"" + num(x) + "\" cy=\"" + num(y) + "\" r=\"" + num(r) + "\" fill=\"";
    m_text += fill;
    m_text += "\" stroke=\"";
    m_text += stroke;
    m_text += "\" stroke-width=\"1.5\"><title>" + xml_escape(tooltip) + "</title></circle>\n";
  }

  /// anchor: start, middle or end.
  void text(double x, double y, std::string_view content, std::string_view anchor = "start", int size = 12,
            bool bold = false, std::string_view fill = "#222222") {
    m_text += "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\" font-size=\"" + std::to_string(size) + "\" fill=\"";
    m_text += fill;
    m_text += '"';
    if (anchor != "start") {
      m_text += " text-anchor=\"";
      m_text += anchor;
      m_text += '"';
    }
    if (bold) m_text += " font-weight=\"bold\"";
    m_text += ">" + xml_escape(content) + "</text>\n";
  }

  std::string finish() {
    m_text += "</svg>\n";
    return std::move(m_text);
  }

 private:
  std::string m_text;
};

/// A tick step of 1, 2 or 5 x 10^k giving about `ticks` ticks up to `max`.
double nice_step(double max, int ticks) {
  if (max <= 0) return 1;
  const double raw = max / ticks;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * mag) return m * mag;
  return 10 * mag;
}

std::string tick_label(double v) {
  return std::abs(v - std::round(v)) < 1e-9 ? fmt::format("{:.0f}", v) : fmt::format("{:g}", v);
}

void legend(Svg& svg, double x, double y) {
  for (const auto& c : k_components) {
    svg.rect(x, y - 10, 12, 12, std::string("legend ") + c.cls, c.fill);
    svg.text(x + 16, y, c.label, "start", 12);
    x += 30 + 7.0 * static_cast<double>(std::string_view(c.label).size());
  }
  svg.line(x, y - 12, x, y + 3, "legend capacity", k_capacity_stroke, 2);
  svg.text(x + 6, y, "capacity", "start", 12);
}

std::string scenario_line(const ResolvedScenario& s) {
  std::string text = s.model->name;
  text += " | ";
  text += s.quant->name;
  text += " | ";
  text += s.engine->name;
  return text;
}

struct Bar {
  std::string label;
  Bytes parts[4];
  Bytes total;
  std::optional<Bytes> capacity;  ///< none: no device (memory only) or a host without --ram
};

}  // namespace

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: {
        const auto byte = static_cast<unsigned char>(c);
        if ((byte < 0x20 && c != '\t' && c != '\n') || byte == 0x7f) out += "\xEF\xBF\xBD";  // U+FFFD
        else out += c;
      }
    }
  }
  return out;
}

std::string render_estimate_svg(const PlanResult& r) {
  std::vector<Bar> bars;
  if (r.layout) {
    const auto add = [&](const DevicePlacement& p) {
      Bar b{p.name, {p.weights, p.kv_cache, p.compute_buffer, p.overhead}, p.total, std::nullopt};
      if (p.capacity.count() > 0) b.capacity = p.capacity;
      bars.push_back(std::move(b));
    };
    for (const auto& g : r.layout->gpus) add(g);
    if (r.layout->cpu.total.count() > 0) add(r.layout->cpu);
  }
  if (bars.empty()) {
    const auto& m = r.memory;
    bars.push_back({"One device holding everything",
                    {m.weights_loaded, m.kv.total, m.runtime.compute_buffer, m.runtime.overhead}, m.total, std::nullopt});
  }
  double scale_max = 0;
  for (const auto& b : bars) {
    scale_max = std::max(scale_max, b.total.gib());
    if (b.capacity) scale_max = std::max(scale_max, b.capacity->gib());
  }
  if (scale_max <= 0) scale_max = 1;

  constexpr int width = 960;
  constexpr double left = 250, plot_w = 560, row_h = 34, top = 76;
  const int height = static_cast<int>(top + row_h * static_cast<double>(bars.size()) + 50);
  const double px_per_gib = plot_w / scale_max;
  Svg svg(width, height);
  const std::string heading = scenario_line(r.scenario) + " | context " + with_commas(r.scenario.context);
  svg.title("dsplan estimate: " + heading);
  svg.text(12, 22, heading, "start", 14, true);
  svg.text(12, 40,
           r.layout ? std::string("Memory per device [GiB]; ") + (r.fits ? "fits" : "does not fit")
                    : std::string("Memory [GiB] (give --gpu, --gpus or --vram for the layout)"),
           "start", 12);
  legend(svg, 12, 62);

  // Grid and axis ticks.
  const double step = nice_step(scale_max, 8);
  const double axis_y = top + row_h * static_cast<double>(bars.size()) + 4;
  for (double v = 0; v <= scale_max + 1e-9; v += step) {
    const double x = left + v * px_per_gib;
    svg.line(x, top - 6, x, axis_y, "grid", "#e5e5e5");
    svg.text(x, axis_y + 16, tick_label(v), "middle", 11, false, "#555555");
  }
  svg.text(left + plot_w / 2, axis_y + 34, "GiB", "middle", 11, false, "#555555");

  for (std::size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    const double y = top + row_h * static_cast<double>(i);
    svg.text(left - 8, y + 15, b.label, "end", 12);
    double x = left;
    for (std::size_t k = 0; k < 4; ++k) {
      const double w = b.parts[k].gib() * px_per_gib;
      svg.rect(x, y, w, 20, std::string("seg ") + k_components[k].cls, k_components[k].fill,
               fmt::format("{}: {} {}", b.label, k_components[k].label, gib(b.parts[k])));
      x += w;
    }
    std::string value = b.capacity ? fixed(b.total.gib(), 1) + " / " + fixed(b.capacity->gib(), 1) + " GiB"
                                   : fixed(b.total.gib(), 1) + " GiB";
    if (b.capacity && b.total > *b.capacity) value += " (over)";
    svg.text(left + plot_w + 12, y + 15, value, "start", 12, b.capacity && b.total > *b.capacity,
             b.capacity && b.total > *b.capacity ? k_capacity_stroke : "#222222");
    if (b.capacity) {
      const double cx = left + b.capacity->gib() * px_per_gib;
      svg.line(cx, y - 4, cx, y + 24, "capacity", k_capacity_stroke, 2);
    }
  }
  return svg.finish();
}

std::string render_sweep_svg(const std::vector<ContextPoint>& points) {
  constexpr int width = 960;
  constexpr double left = 70, plot_w = 820, panel_h = 260, gap = 70, speed_h = 160;
  const PlanResult& first = points.front().plan;
  const bool hardware = first.layout.has_value();

  // Series: name -> (context index, GiB).
  struct Series {
    std::string name;
    std::vector<std::pair<std::size_t, double>> values;
  };
  std::vector<Series> series;
  std::vector<std::pair<std::string, double>> limits;  // label, GiB
  const auto series_for = [&](const std::string& name) -> Series& {
    for (auto& s : series)
      if (s.name == name) return s;
    series.push_back({name, {}});
    return series.back();
  };
  const auto add_limit = [&](const std::string& label, Bytes b) {
    if (b.count() == 0) return;
    for (const auto& l : limits)
      if (std::abs(l.second - b.gib()) < 1e-9) return;
    limits.emplace_back(label, b.gib());
  };
  for (std::size_t i = 0; i < points.size(); ++i) {
    const PlanResult& p = points[i].plan;
    if (!p.layout) {
      series_for("total").values.emplace_back(i, p.memory.total.gib());
      series_for("KV cache").values.emplace_back(i, p.memory.kv.total.gib());
      continue;
    }
    for (const auto& g : p.layout->gpus) {
      series_for(g.name).values.emplace_back(i, g.total.gib());
      add_limit(g.name.substr(g.name.find(' ') + 1), g.capacity);
    }
    if (p.layout->cpu.total.count() > 0) {
      series_for(p.layout->cpu.name).values.emplace_back(i, p.layout->cpu.total.gib());
      add_limit(p.layout->cpu.name, p.layout->cpu.capacity);
    }
  }
  // Legend: one row of series names under the headings, wrapping; at most k_legend_max entries.
  constexpr const char* palette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#ff9da7", "#9c755f"};
  constexpr std::size_t k_legend_max = 8;
  std::vector<std::pair<double, double>> legend_at;  // x, y of each shown entry
  double lx = 12, ly = 60;
  for (std::size_t k = 0; k < series.size() && k <= k_legend_max; ++k) {
    const std::string_view name = k < k_legend_max ? std::string_view(series[k].name) : std::string_view("+ more");
    const double w = 34 + 6.5 * static_cast<double>(name.size());
    if (lx > 12 && lx + w > width - 12) {
      lx = 12;
      ly += 18;
    }
    legend_at.emplace_back(lx, ly);
    lx += w;
  }
  const double top = ly + 24;
  const int height = static_cast<int>(top + panel_h + (hardware ? gap + speed_h : 0) + 60);
  Svg svg(width, height);
  const std::string heading = scenario_line(first.scenario) + " | KV cache " + first.scenario.kv_type->id;
  svg.title("dsplan estimate --sweep context: " + heading);
  svg.text(12, 22, heading, "start", 14, true);
  svg.text(12, 40, hardware ? "Memory per device [GiB] and decode tokens/s per sequence against context"
                            : "Memory [GiB] against context (give --gpu, --gpus or --vram for devices and speed)",
           "start", 12);
  for (std::size_t k = 0; k < legend_at.size(); ++k) {
    const auto [x, y] = legend_at[k];
    if (k == k_legend_max) {
      svg.text(x, y, fmt::format("+{} more", series.size() - k_legend_max), "start", 11);
      continue;
    }
    svg.line(x, y - 4, x + 20, y - 4, "legend", palette[k % std::size(palette)], 2);
    svg.text(x + 26, y, series[k].name, "start", 11);
  }

  double y_max = 0;
  for (const auto& s : series)
    for (const auto& v : s.values) y_max = std::max(y_max, v.second);
  for (const auto& l : limits) y_max = std::max(y_max, l.second);
  y_max = y_max <= 0 ? 1 : y_max * 1.05;

  const double lo = std::log2(static_cast<double>(std::max<std::uint64_t>(points.front().context, 1)));
  const double hi = std::log2(static_cast<double>(std::max<std::uint64_t>(points.back().context, 1)));
  const auto x_of = [&](std::size_t i) {
    const double v = std::log2(static_cast<double>(std::max<std::uint64_t>(points[i].context, 1)));
    return hi > lo ? left + (v - lo) / (hi - lo) * plot_w : left + plot_w / 2;
  };
  const auto context_label = [](std::uint64_t c) {
    return c % 1024 == 0 ? fmt::format("{}k", c / 1024) : with_commas(c);
  };

  // Memory panel.
  const double mem_bottom = top + panel_h;
  const double step = nice_step(y_max, 6);
  for (double v = 0; v <= y_max + 1e-9; v += step) {
    const double y = mem_bottom - v / y_max * panel_h;
    svg.line(left, y, left + plot_w, y, "grid", "#e5e5e5");
    svg.text(left - 6, y + 4, tick_label(v), "end", 11, false, "#555555");
  }
  svg.text(16, top + panel_h / 2, "GiB", "start", 11, false, "#555555");
  for (std::size_t i = 0; i < points.size(); ++i) {
    svg.line(x_of(i), mem_bottom, x_of(i), mem_bottom + 4, "tick", "#555555");
    svg.text(x_of(i), mem_bottom + 16, context_label(points[i].context), "middle", 10, false, "#555555");
  }
  svg.text(left + plot_w / 2, mem_bottom + 32, "context [tokens per sequence]", "middle", 11, false, "#555555");
  for (const auto& [label, g] : limits) {
    const double y = mem_bottom - g / y_max * panel_h;
    svg.line(left, y, left + plot_w, y, "limit", k_capacity_stroke, 1.5, true);
    svg.text(left + plot_w - 4, y - 5, label + " " + fixed(g, 1) + " GiB", "end", 11, false, k_capacity_stroke);
  }
  for (std::size_t s = 0; s < series.size(); ++s) {
    const char* colour = palette[s % std::size(palette)];
    std::vector<std::pair<double, double>> xy;
    for (const auto& [i, g] : series[s].values) xy.emplace_back(x_of(i), mem_bottom - g / y_max * panel_h);
    svg.polyline(xy, "series", colour);
    for (std::size_t k = 0; k < xy.size(); ++k)
      svg.circle(xy[k].first, xy[k].second, 3, colour, colour,
                 fmt::format("{} at {} tokens: {:.2f} GiB", series[s].name, with_commas(points[series[s].values[k].first].context),
                             series[s].values[k].second));
  }

  if (hardware) {
    // Decode panel: tokens/s per sequence; hollow where the plan does not fit.
    const double speed_top = mem_bottom + gap;
    const double speed_bottom = speed_top + speed_h;
    double s_max = 0;
    for (const auto& p : points)
      if (p.plan.throughput) s_max = std::max(s_max, p.plan.throughput->decode_tokens_per_s);
    s_max = s_max <= 0 ? 1 : s_max * 1.1;
    const double s_step = nice_step(s_max, 4);
    for (double v = 0; v <= s_max + 1e-9; v += s_step) {
      const double y = speed_bottom - v / s_max * speed_h;
      svg.line(left, y, left + plot_w, y, "grid", "#e5e5e5");
      svg.text(left - 6, y + 4, tick_label(v), "end", 11, false, "#555555");
    }
    svg.text(12, speed_top - 10, "Decode [tokens/s per sequence]; hollow = does not fit", "start", 12);
    std::vector<std::pair<double, double>> xy;
    for (std::size_t i = 0; i < points.size(); ++i)
      if (points[i].plan.throughput)
        xy.emplace_back(x_of(i), speed_bottom - points[i].plan.throughput->decode_tokens_per_s / s_max * speed_h);
    svg.polyline(xy, "decode", "#4e79a7");
    std::size_t k = 0;
    for (std::size_t i = 0; i < points.size(); ++i) {
      if (!points[i].plan.throughput) continue;
      const bool fits = points[i].plan.fits;
      svg.circle(xy[k].first, xy[k].second, 3.5, fits ? "#4e79a7" : "#ffffff", "#4e79a7",
                 fmt::format("{} tokens: {:.1f} tokens/s{}", with_commas(points[i].context),
                             points[i].plan.throughput->decode_tokens_per_s, fits ? "" : " (does not fit)"));
      ++k;
    }
    for (std::size_t i = 0; i < points.size(); ++i)
      svg.text(x_of(i), speed_bottom + 16, context_label(points[i].context), "middle", 10, false, "#555555");
  }
  return svg.finish();
}

namespace {

struct CellStyle {
  const char* cls;
  const char* label;
  const char* fill;
};
constexpr CellStyle k_cell_styles[] = {
    {"fits", "fits", "#b6e3a8"},
    {"fits-ram", "fits with system RAM", "#ffd98e"},
    {"no-fit", "does not fit", "#f4a3a3"},
    {"memory", "memory only (no hardware given)", "#d6e4f0"},
    {"na", "n/a (cannot be planned)", "#e6e6e6"},
};

const CellStyle& cell_style(const CompareCell& c) {
  if (!c.applicable) return k_cell_styles[4];
  bool fits = false;
  if (c.max_context) fits = *c.max_context > 0;
  else if (!c.fits) return k_cell_styles[3];
  else fits = *c.fits;
  if (!fits) return k_cell_styles[2];
  return c.uses_ram ? k_cell_styles[1] : k_cell_styles[0];
}

}  // namespace

std::string render_compare_svg(const CompareMatrix& m) {
  constexpr double left = 270, cell_w = 130, cell_h = 40, top = 96;
  const double cols = static_cast<double>(m.quants.size());
  const double rows = static_cast<double>(m.rows.size());
  const int width = static_cast<int>(std::max(left + cell_w * cols + 20, 760.0));
  const int height = static_cast<int>(top + cell_h * rows + 20);
  Svg svg(width, height);
  svg.title("dsplan compare: memory and fit per model and format");
  svg.text(12, 22, m.hardware ? "Memory per model and format [GiB]; colour: fit on the given hardware"
                              : "Memory per model and format [GiB] (give --gpu, --gpus or --vram for fit)",
           "start", 14, true);
  double lx = 12;
  for (const auto& st : k_cell_styles) {
    if (!m.hardware && (std::string_view(st.cls) == "fits" || std::string_view(st.cls) == "fits-ram" ||
                        std::string_view(st.cls) == "no-fit"))
      continue;
    if (m.hardware && std::string_view(st.cls) == "memory") continue;
    svg.rect(lx, 38, 12, 12, std::string("legend ") + st.cls, st.fill, {}, "#888888");
    svg.text(lx + 16, 49, st.label, "start", 12);
    lx += 36 + 6.5 * static_cast<double>(std::string_view(st.label).size());
  }
  for (std::size_t q = 0; q < m.quants.size(); ++q)
    svg.text(left + cell_w * (static_cast<double>(q) + 0.5), top - 10, m.quants[q], "middle", 12, true);
  for (std::size_t r = 0; r < m.rows.size(); ++r) {
    const auto& row = m.rows[r];
    const double y = top + cell_h * static_cast<double>(r);
    svg.text(left - 10, y + cell_h / 2 + 4, row.model->name, "end", 12);
    for (std::size_t q = 0; q < row.cells.size(); ++q) {
      const CompareCell& c = row.cells[q];
      const CellStyle& st = cell_style(c);
      const double x = left + cell_w * static_cast<double>(q);
      std::string tooltip = row.model->name;
      tooltip += " | ";
      tooltip += c.quant;
      tooltip += ": ";
      tooltip += c.applicable ? gib(c.memory) + ", " + st.label : c.why_not;
      svg.rect(x + 1, y + 1, cell_w - 2, cell_h - 2, std::string("cell ") + st.cls, st.fill, tooltip, "#ffffff");
      const double cx = x + cell_w / 2;
      if (!c.applicable) {
        svg.text(cx, y + cell_h / 2 + 4, "n/a", "middle", 12, false, "#666666");
        continue;
      }
      std::string second;
      if (c.max_context) second = *c.max_context > 0 ? "ctx " + with_commas(*c.max_context) : "no context fits";
      else if (c.served_decode_tokens_per_s && c.fits && *c.fits)
        second = fixed(*c.served_decode_tokens_per_s, 1) + " tok/s";
      svg.text(cx, y + (second.empty() ? cell_h / 2 + 4 : 17), fixed(c.memory.gib(), 2) + " GiB", "middle", 12, true);
      if (!second.empty()) svg.text(cx, y + 32, second, "middle", 10, false, "#333333");
    }
  }
  return svg.finish();
}

}  // namespace dsplan::cli
