// `dsplan detect`: this machine's GPUs, RAM and CPU, their catalog entries and the flags they amount to.
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/detect.hpp"
#include "cli/format.hpp"
#include "cli/output.hpp"
#include "dsplan/base/error.hpp"
#include "dsplan/base/text.hpp"

namespace dsplan::cli {

namespace {

using ordered_json = nlohmann::ordered_json;

ordered_json bytes_or_null(const std::optional<Bytes>& b) { return b ? ordered_json(b->count()) : ordered_json(nullptr); }

void detect_json(const Detection& d, const DetectedHardware& m, std::ostream& out) {
  ordered_json gpus = ordered_json::array();
  for (std::size_t i = 0; i < d.gpus.size(); ++i) {
    const auto& g = d.gpus[i];
    gpus.push_back({{"name", g.name},
                    {"catalog_id", m.gpu_ids[i] ? ordered_json(*m.gpu_ids[i]) : ordered_json(nullptr)},
                    // [N/A] (a DGX Spark's unified memory): no size reported, not a size of 0
                    {"memory_total_bytes",
                     g.memory_total.count() > 0 ? ordered_json(g.memory_total.count()) : ordered_json(nullptr)},
                    {"memory_free_bytes", bytes_or_null(g.memory_free)},
                    {"driver", g.driver.empty() ? ordered_json(nullptr) : ordered_json(g.driver)},
                    {"pcie_gen", g.pcie_gen > 0 ? ordered_json(g.pcie_gen) : ordered_json(nullptr)},
                    {"pcie_lanes", g.pcie_lanes > 0 ? ordered_json(g.pcie_lanes) : ordered_json(nullptr)}});
  }
  ordered_json j{{"schema_version", 1},
                 {"source", d.source.empty() ? ordered_json(nullptr) : ordered_json(d.source)},
                 {"gpus", gpus},
                 {"ram_bytes", bytes_or_null(d.ram_total)},
                 {"ram_available_bytes", bytes_or_null(d.ram_available)},
                 {"cpu", d.cpu.empty() ? ordered_json(nullptr) : ordered_json(d.cpu)},
                 {"cpu_catalog_id", m.cpu_id ? ordered_json(*m.cpu_id) : ordered_json(nullptr)},
                 {"flags", m.request ? ordered_json(join(m.flags, " ")) : ordered_json(nullptr)}};
  out << j.dump(2) << '\n';
}

void detect_table(const Detection& d, const DetectedHardware& m, std::ostream& out) {
  if (d.gpus.empty()) out << "GPUs:  none found (no nvidia-smi, rocm-smi or Apple sysctl answered)\n";
  for (std::size_t i = 0; i < d.gpus.size(); ++i) {
    const auto& g = d.gpus[i];
    out << "GPU " << i << ": " << g.name << " -> "
        << (m.gpu_ids[i] ? *m.gpu_ids[i] : "not in the catalog (a generic card)") << ", "
        << (g.memory_total.count() > 0 ? gib(g.memory_total) + " total" : std::string("no size reported ([N/A])"));
    if (g.memory_free) out << ", " << gib(*g.memory_free) << " free";
    if (g.memory_usable) out << ", " << gib(*g.memory_usable) << " GPU wired limit";
    if (!g.driver.empty()) out << ", driver " << g.driver;
    if (g.pcie_gen > 0 && g.pcie_lanes > 0) out << ", PCIe " << g.pcie_gen << " x" << g.pcie_lanes;
    out << " (" << d.source << ")\n";
  }
  out << "RAM:   ";
  if (d.ram_total) {
    out << gib(*d.ram_total) << " total";
    if (d.ram_available) out << ", " << gib(*d.ram_available) << " available";
    out << '\n';
  } else {
    out << "unknown\n";
  }
  out << "CPU:   " << (d.cpu.empty() ? "unknown" : d.cpu);
  if (!d.cpu.empty() && !d.apple)
    out << " -> " << (m.cpu_id ? *m.cpu_id : std::string("not in the catalog (plans assume ") + k_default_cpu + ")");
  out << '\n';
  out << "Flags: " << (m.request ? join(m.flags, " ") : "none (" + m.problem + ")") << '\n';
}

}  // namespace

void setup_detect(CLI::App& app, Context& ctx) {
  auto* sub = app.add_subcommand("detect", "This machine's GPUs, RAM and CPU, and the flags they correspond to");
  sub->footer(
      "Runs nvidia-smi, else rocm-smi, else (macOS) sysctl, found on PATH with a time limit each; reads RAM from\n"
      "/proc/meminfo and the CPU from /proc/cpuinfo. Plan on what it finds with --detect on estimate, check,\n"
      "compare and recommend (--use-free: free GPU memory and available RAM).\n"
      "Examples:\n"
      "  dsplan detect\n"
      "  dsplan detect --json\n"
      "  dsplan estimate 8b --detect");
  sub->callback([&ctx] {
    ctx.runner = [&ctx] {
      const Detection d = detect_hardware(ctx.env());
      const DetectedHardware m = map_detection(ctx.catalog(), d, false);
      if (d.empty()) throw InputError(m.problem);
      render_output(ctx, {"detect", [&](std::ostream& out) { detect_table(d, m, out); },
                          [&](std::ostream& out) { detect_json(d, m, out); }, {}});
      return ExitCode::ok;
    };
  });
}

}  // namespace dsplan::cli
