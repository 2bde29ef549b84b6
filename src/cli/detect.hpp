// Hardware detection for `dsplan detect` and `--detect`: what nvidia-smi, rocm-smi, Apple's
// sysctl and /proc report, parsed by pure functions (tested on literal outputs), mapped to the
// catalog, and turned into the hardware request the same flags would give.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/run.hpp"
#include "dsplan/catalog/catalog.hpp"
#include "dsplan/scenario/hardware.hpp"
#include "dsplan/base/units.hpp"

namespace dsplan::cli {

class Context;
struct HardwareOptions;

/// One accelerator as its tool reports it.
struct DetectedGpu {
  std::string name;                   ///< "NVIDIA GeForce RTX 4090", "Apple M2 Ultra"
  Bytes memory_total;                 ///< Apple: the machine's unified memory (hw.memsize)
  std::optional<Bytes> memory_free;   ///< nullopt when the tool does not say (Apple, [N/A])
  std::optional<Bytes> memory_usable; ///< Apple: the GPU wired limit (iogpu.wired_limit_mb) when set
  std::string driver;                 ///< driver version; empty when not reported
  /// The PCIe link possible in this slot (nvidia-smi pcie.link.gen.max / pcie.link.width.max: the
  /// lower of the card's and the slot's, whatever the idle link runs at); 0 when not reported.
  std::uint64_t pcie_gen = 0, pcie_lanes = 0;
};

struct Detection {
  std::string source;  ///< "nvidia-smi", "rocm-smi", "sysctl"; empty when no GPU tool answered
  std::vector<DetectedGpu> gpus;
  bool apple = false;  ///< unified memory: the GPU's memory is the system RAM
  std::optional<Bytes> ram_total;
  std::optional<Bytes> ram_available;
  std::string cpu;     ///< model name; empty when unknown
  std::uint64_t sockets = 0;  ///< CPU sockets; 0 when unknown
  [[nodiscard]] bool empty() const { return gpus.empty() && !ram_total; }
};

// ---- Pure parsers (no I/O): tolerant, unreadable lines are skipped. ----

/// `nvidia-smi --query-gpu=name,memory.total,memory.free,driver_version,pcie.link.gen.max,pcie.link.width.max
/// --format=csv,noheader,nounits`: one card per line, memory in MiB; "[N/A]" reads as unknown.
[[nodiscard]] std::vector<DetectedGpu> parse_nvidia_smi(std::string_view text);
/// `rocm-smi --showproductname --showmeminfo vram --json`: {"card0": {"Card series": ...,
/// "VRAM Total Memory (B)": "...", "VRAM Total Used Memory (B)": "..."}, ...}; keys matched
/// without regard to case. Not JSON, or no card with a total: no GPUs.
[[nodiscard]] std::vector<DetectedGpu> parse_rocm_smi(std::string_view text);
struct MemInfo {
  std::optional<Bytes> total;
  std::optional<Bytes> available;
};
/// /proc/meminfo: MemTotal and MemAvailable (kB, which the kernel means as KiB).
[[nodiscard]] MemInfo parse_meminfo(std::string_view text);
/// /proc/cpuinfo: the first "model name"; empty when there is none (many ARM kernels).
[[nodiscard]] std::string parse_cpuinfo(std::string_view text);
/// /proc/cpuinfo: how many sockets ("physical id" values); 0 when the kernel does not say.
[[nodiscard]] std::uint64_t parse_cpuinfo_sockets(std::string_view text);
struct AppleInfo {
  Bytes memsize;
  std::string chip;  ///< "Apple M2 Ultra"
};
/// `sysctl -n hw.memsize machdep.cpu.brand_string`: bytes, then the brand; nullopt unless Apple silicon.
[[nodiscard]] std::optional<AppleInfo> parse_sysctl_apple(std::string_view text);
/// `sysctl -n iogpu.wired_limit_mb`: MiB; 0 (the macOS default) or unreadable: nullopt.
[[nodiscard]] std::optional<Bytes> parse_wired_limit(std::string_view text);

// ---- Mapping to the catalog and to flags (pure). ----

struct DetectedHardware {
  std::vector<std::optional<std::string>> gpu_ids;  ///< catalog id per detected GPU; nullopt = unknown
  std::optional<std::string> cpu_id;                ///< catalog CPU, when the model name names one
  std::optional<HardwareRequest> request;           ///< nullopt when `problem` says why
  std::string problem;
  std::vector<std::string> flags;                   ///< the flags that describe the same hardware
  std::vector<std::string> notes;                   ///< caveats worth a warning (--use-free without free figures)
};

/// Catalog CPU for a model name: the whole name, else its first word that names one
/// ("AMD Ryzen 9 7950X 16-Core Processor" -> ryzen-7950x).
[[nodiscard]] const CpuSpec* match_cpu(const Catalog& catalog, std::string_view model_name);
/// The catalog GPU for a reported card: the catalog's fuzzy lookup of its name, else of the name
/// without trailing words; not when the memory differs from the entry's by over 10% (Apple: any size).
[[nodiscard]] const GpuSpec* match_gpu(const Catalog& catalog, const DetectedGpu& g, bool apple);
/// Catalog GPUs by match_gpu; unknown cards become generic cards of their
/// memory (as --vram). `use_free`: plan on free GPU memory and available RAM.
[[nodiscard]] DetectedHardware map_detection(const Catalog& catalog, const Detection& d, bool use_free);

// ---- I/O (the CLI only). ----

/// Runs the tools found on env.path (no shell, a few seconds each) and reads
/// env.proc_root/meminfo and cpuinfo. A missing tool or file is "none found", never an error.
[[nodiscard]] Detection detect_hardware(const Env& env);

/// --detect / --use-free on estimate, check, compare and recommend: refuses --gpu/--gpus/--vram/
/// --count beside --detect, then detects and stores the request in `o.detected`. Throws
/// InputError when nothing is found or the cards cannot be described.
void resolve_detection(HardwareOptions& o, Context& ctx);

}  // namespace dsplan::cli
