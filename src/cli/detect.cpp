// Hardware detection: parsers of nvidia-smi, rocm-smi, sysctl and /proc text; catalog mapping;
// running the tools (fork/exec with a fixed argv and a time limit, no shell).
#include "cli/detect.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/context.hpp"
#include "cli/format.hpp"
#include "cli/options.hpp"
#include "dsplan/base/error.hpp"
#include "dsplan/base/text.hpp"

namespace dsplan::cli {

namespace {

constexpr std::uint64_t k_mib_bytes = std::uint64_t{1} << 20;

std::string_view trim_view(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

/// A whole non-negative integer, or nullopt ("[N/A]", "", "12.5").
std::optional<std::uint64_t> whole_number(std::string_view s) {
  s = trim_view(s);
  std::uint64_t v = 0;
  if (s.empty()) return std::nullopt;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<Bytes> mib_bytes(std::string_view s) {
  const auto v = whole_number(s);
  if (!v || *v > (std::uint64_t{1} << 40)) return std::nullopt;  // beyond 1 EiB is not a reading
  return Bytes(*v * k_mib_bytes);
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

/// A string or number field of a rocm-smi card object, by key without regard to case.
std::optional<std::string> field(const nlohmann::json& card, std::string_view key) {
  for (auto it = card.begin(); it != card.end(); ++it) {
    if (!iequal(it.key(), key)) continue;
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number_unsigned()) return std::to_string(it->get<std::uint64_t>());
  }
  return std::nullopt;
}

}  // namespace

std::vector<DetectedGpu> parse_nvidia_smi(std::string_view text) {
  std::vector<DetectedGpu> out;
  for (const auto line : lines_of(text)) {
    std::vector<std::string_view> cells;
    std::size_t start = 0;
    while (true) {
      const std::size_t comma = line.find(',', start);
      cells.push_back(trim_view(line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start)));
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    if (cells.size() < 2 || cells[0].empty()) continue;
    const auto total = mib_bytes(cells[1]);
    // A unified-memory GPU (DGX Spark's GB10) reports its size as [N/A]: kept with size 0, known
    // by name only. Anything else without a size is "No devices were found", a header, an error.
    const bool unreported = !total && cells[1] == "[N/A]";
    if (!unreported && (!total || total->count() == 0)) continue;
    DetectedGpu g;
    g.name = std::string(cells[0]);
    g.memory_total = total.value_or(Bytes(0));
    if (cells.size() > 2) g.memory_free = mib_bytes(cells[2]);
    if (cells.size() > 3 && cells[3] != "[N/A]") g.driver = std::string(cells[3]);
    if (cells.size() > 5) {
      g.pcie_gen = whole_number(cells[4]).value_or(0);
      g.pcie_lanes = whole_number(cells[5]).value_or(0);
    }
    out.push_back(std::move(g));
  }
  return out;
}

std::vector<DetectedGpu> parse_rocm_smi(std::string_view text) {
  std::vector<DetectedGpu> out;
  const auto doc = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return out;
  std::string driver;
  for (auto it = doc.begin(); it != doc.end(); ++it)
    if (it->is_object())
      if (const auto d = field(*it, "Driver version")) driver = *d;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (!it->is_object() || to_lower(it.key()).rfind("card", 0) != 0) continue;
    const auto total_text = field(*it, "VRAM Total Memory (B)");
    const auto total = total_text ? whole_number(*total_text) : std::nullopt;
    if (!total || *total == 0) continue;
    DetectedGpu g;
    for (const char* key : {"Card Series", "Marketing Name", "Card Model", "Device Name", "Card SKU"}) {
      const auto name = field(*it, key);
      if (name && !trim_view(*name).empty()) {
        g.name = std::string(trim_view(*name));
        break;
      }
    }
    if (g.name.empty()) g.name = "AMD GPU " + it.key();
    g.memory_total = Bytes(*total);
    if (const auto used_text = field(*it, "VRAM Total Used Memory (B)"))
      if (const auto used = whole_number(*used_text); used && *used <= *total) g.memory_free = Bytes(*total - *used);
    g.driver = driver;
    out.push_back(std::move(g));
  }
  return out;
}

MemInfo parse_meminfo(std::string_view text) {
  MemInfo m;
  for (const auto line : lines_of(text)) {
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const auto key = trim_view(line.substr(0, colon));
    auto value = trim_view(line.substr(colon + 1));
    std::uint64_t scale = 1;
    if (value.size() > 2 && iequal(value.substr(value.size() - 2), "kB")) {
      value = trim_view(value.substr(0, value.size() - 2));
      scale = 1024;
    }
    const auto n = whole_number(value);
    if (!n || *n > (std::uint64_t{1} << 50)) continue;
    if (key == "MemTotal") m.total = Bytes(*n * scale);
    else if (key == "MemAvailable") m.available = Bytes(*n * scale);
  }
  return m;
}

std::string parse_cpuinfo(std::string_view text) {
  for (const auto line : lines_of(text)) {
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    if (trim_view(line.substr(0, colon)) != "model name") continue;
    const auto value = trim_view(line.substr(colon + 1));
    if (!value.empty()) return std::string(value);
  }
  return {};
}

std::uint64_t parse_cpuinfo_sockets(std::string_view text) {
  std::vector<std::string_view> ids;
  for (const auto line : lines_of(text)) {
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || trim_view(line.substr(0, colon)) != "physical id") continue;
    const auto id = trim_view(line.substr(colon + 1));
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  }
  return ids.size();
}

std::optional<AppleInfo> parse_sysctl_apple(std::string_view text) {
  const auto lines = lines_of(text);
  if (lines.size() < 2) return std::nullopt;
  const auto mem = whole_number(lines[0]);
  const auto chip = trim_view(lines[1]);
  if (!mem || *mem == 0 || !chip.starts_with("Apple")) return std::nullopt;
  return AppleInfo{Bytes(*mem), std::string(chip)};
}

std::optional<Bytes> parse_wired_limit(std::string_view text) {
  const auto lines = lines_of(text);
  if (lines.empty()) return std::nullopt;
  const auto mib = mib_bytes(lines[0]);
  if (!mib || mib->count() == 0) return std::nullopt;
  return mib;
}

const CpuSpec* match_cpu(const Catalog& catalog, std::string_view model_name) {
  if (trim_view(model_name).empty()) return nullptr;
  if (const auto* c = catalog.find_cpu(model_name)) return c;
  std::istringstream words{std::string(model_name)};
  for (std::string w; words >> w;) {
    if (std::none_of(w.begin(), w.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) continue;
    if (const auto* c = catalog.find_cpu(w)) return c;
  }
  return nullptr;
}

namespace {

/// More than 1 % apart: a card with ECC switched the other way, or another memory size.
bool differs_from_catalog(Bytes detected, Bytes catalog) {
  const auto gap = detected > catalog ? detected.count() - catalog.count() : catalog.count() - detected.count();
  return detected.count() > 0 && gap * 100 > catalog.count();
}

/// "62.5": GiB rounded down to 0.1, as --ram reads a bare number.
std::string gib_flag(Bytes b) {
  const auto tenths = b.count() * 10 / k_gib;
  return tenths % 10 == 0 ? std::to_string(tenths / 10) : fmt::format("{}.{}", tenths / 10, tenths % 10);
}

}  // namespace

const GpuSpec* match_gpu(const Catalog& catalog, const DetectedGpu& g, bool apple) {
  // Apple: one chip comes with many memory sizes; the detected size replaces the catalog's.
  const auto* spec = catalog.find_gpu(g.name);
  if (apple) return spec;
  // rocm-smi's card series names the chip and its boards: "Navi 31 [Radeon RX 7900 XT/7900 XTX]".
  // Each board is tried; the memory check below tells the XT (20 GB) from the XTX (24 GB).
  if (const auto open = g.name.find('['), close = g.name.rfind(']');
      !spec && open != std::string::npos && close != std::string::npos && close > open) {
    const std::string boards = g.name.substr(open + 1, close - open - 1);
    std::string prefix;  // "Radeon RX " of the first board, for the ones after it ("7900 XTX")
    for (std::size_t start = 0; start <= boards.size();) {
      const std::size_t slash = std::min(boards.find('/', start), boards.size());
      const std::string board(trim_view(boards.substr(start, slash - start)));
      if (prefix.empty()) prefix = board.substr(0, board.find_first_of("0123456789"));
      DetectedGpu one = g;
      one.name = board.find_first_not_of("0123456789") == 0 ? board : prefix + board;
      if (const GpuSpec* s = match_gpu(catalog, one, false)) return s;
      start = slash + 1;
    }
    return nullptr;
  }
  // Then without trailing words ("NVIDIA H100 80GB HBM3" -> "NVIDIA H100 80GB", "AMD Instinct
  // MI300X OAM" -> "AMD Instinct MI300X"), while a model number remains.
  std::string name = g.name;
  while (!spec) {
    const std::size_t space = name.find_last_of(' ');
    if (space == std::string::npos) break;
    name = std::string(trim_view(name.substr(0, space)));
    if (name.find(' ') == std::string::npos || name.find_first_of("0123456789") == std::string::npos) break;
    spec = catalog.find_gpu(name);
  }
  // A card whose memory is not the catalog entry's (an 8 GB RTX 3060, a laptop part) is another card;
  // one that reports no size, or a unified memory's GPU share (a Ryzen AI Max's carve-out or GTT), is
  // taken by its name.
  if (spec && g.memory_total.count() > 0 && !spec->unified_memory()) {
    const double catalog_bytes = static_cast<double>(spec->memory.count());
    const double reported = static_cast<double>(g.memory_total.count());
    if (reported < catalog_bytes * 0.9 || reported > catalog_bytes * 1.1) return nullptr;
  }
  return spec;
}

namespace {

/// Every detected GPU is a catalog card whose memory is also the system's (a DGX Spark).
bool unified_gpus(const Catalog& catalog, const DetectedHardware& out) {
  return !out.gpu_ids.empty() && std::all_of(out.gpu_ids.begin(), out.gpu_ids.end(), [&](const auto& id) {
    const GpuSpec* spec = id ? catalog.find_gpu(*id) : nullptr;
    return spec && spec->unified_memory();
  });
}

/// The slowest PCIe link the GPUs report (--pcie applies one link to every card), when every card
/// reports one and has a PCIe link to the host in the catalog.
std::optional<HardwareRequest::PcieLink> slowest_pcie_link(const Catalog& catalog, const Detection& d) {
  if (d.gpus.empty() || d.apple) return std::nullopt;
  HardwareRequest::PcieLink link{d.gpus.front().pcie_gen, d.gpus.front().pcie_lanes};
  for (const auto& g : d.gpus) {
    const auto* spec = match_gpu(catalog, g, false);
    if (g.pcie_gen == 0 || g.pcie_gen > 6 || g.pcie_lanes == 0 || g.pcie_lanes > 16 || (spec && spec->pcie_lanes == 0))
      return std::nullopt;
    link.gen = std::min(link.gen, g.pcie_gen);
    link.lanes = std::min(link.lanes, g.pcie_lanes);
  }
  return link;
}

}  // namespace

DetectedHardware map_detection(const Catalog& catalog, const Detection& d, bool use_free) {
  DetectedHardware out;
  for (const auto& g : d.gpus) {
    const auto* spec = match_gpu(catalog, g, d.apple);
    out.gpu_ids.push_back(spec ? std::optional<std::string>(spec->id) : std::nullopt);
  }
  if (const auto* cpu = match_cpu(catalog, d.cpu)) out.cpu_id = cpu->id;
  if (d.empty()) {
    out.problem = "no hardware detected: no nvidia-smi, rocm-smi or Apple sysctl answered on PATH, and no /proc/meminfo";
    return out;
  }
  HardwareRequest h;
  const auto known = static_cast<std::size_t>(std::count_if(out.gpu_ids.begin(), out.gpu_ids.end(), [](const auto& id) {
    return id.has_value();
  }));
  bool free_missing = false;
  if (known > 0 && known < d.gpus.size()) {
    out.problem = "detected GPUs are partly in the catalog and partly not; describe them with --gpus or --vram";
    return out;
  }
  if (known > 0) {
    std::string list;
    for (std::size_t i = 0; i < d.gpus.size(); ++i) {
      const auto& g = d.gpus[i];
      HardwareRequest::Gpus entry(*out.gpu_ids[i], 1);
      // A Mac is sold in several sizes; a card whose driver reports other than the catalog's size
      // (ECC switched off or on, a variant) is planned on what the driver reports.
      const GpuSpec& spec = catalog.require_gpu(entry.name);
      if (!d.apple && spec.unified_memory()) {
        // ROCm reports the GPU's share of the one memory (a BIOS carve-out, or GTT): what it may use.
        // A carve-out of a few GiB (GTT then maps the rest, size unreported) says nothing.
        if (g.memory_total >= Bytes(8 * k_gib) && g.memory_total <= spec.memory) entry.usable = g.memory_total;
      } else if (d.apple || differs_from_catalog(g.memory_total, spec.memory)) {
        entry.installed = g.memory_total;
      }
      if (g.memory_usable) entry.usable = g.memory_usable;
      if (use_free) {
        if (g.memory_free) entry.usable = g.memory_free;
        else free_missing = true;
      }
      auto& last = h.gpus;
      if (!last.empty() && last.back().name == entry.name && last.back().usable == entry.usable &&
          last.back().installed == entry.installed)
        ++last.back().count;
      else
        last.push_back(entry);
    }
    for (const auto& e : h.gpus) list += (list.empty() ? "" : ",") + (e.count > 1 ? std::to_string(e.count) + "x" : "") + e.name;
    out.flags.push_back(h.gpus.size() == 1 && h.gpus.front().count == 1 ? "--gpu " + list : "--gpus " + list);
    // A Mac sold in several sizes: the catalog's entry is one of them, the flags say which.
    const auto& mac = h.gpus.front();
    if (mac.installed && *mac.installed != catalog.require_gpu(mac.name).memory)
      out.flags.push_back("--gpu-memory " + gib_flag(*mac.installed));
    if (!d.apple && mac.usable && !use_free && catalog.require_gpu(mac.name).unified_memory())
      out.flags.push_back("--gpu-usable " + gib_flag(*mac.usable));
  } else if (!d.gpus.empty()) {
    Bytes smallest = d.gpus.front().memory_total;
    for (const auto& g : d.gpus) {
      Bytes size = g.memory_total;
      if (use_free) {
        if (g.memory_free) size = *g.memory_free;
        else free_missing = true;
      }
      smallest = std::min(smallest, size);
    }
    if (smallest.count() == 0) {
      const auto unsized =
          std::find_if(d.gpus.begin(), d.gpus.end(), [](const DetectedGpu& g) { return g.memory_total.count() == 0; });
      out.problem = unsized != d.gpus.end()
                        ? "'" + unsized->name +
                              "' reports no memory size ([N/A]: unified memory) and is not in the catalog; "
                              "describe it with --gpu or --vram"
                        : "the detected GPUs report no free memory";
      return out;
    }
    h.vram = smallest;
    h.vram_count = d.gpus.size();
    out.flags.push_back("--vram " + std::to_string(smallest.count() / k_mib_bytes) + "MiB");
    if (d.gpus.size() > 1) out.flags.push_back("--gpus " + std::to_string(d.gpus.size()));
  }
  if (const auto link = slowest_pcie_link(catalog, d)) {
    h.pcie = link;
    out.flags.push_back(fmt::format("--pcie {}x{}", link->gen, link->lanes));
  }
  if (d.gpus.size() > k_max_gpus_per_node) {
    out.problem = fmt::format("detected {} GPUs, more than one node holds ({})", d.gpus.size(), k_max_gpus_per_node);
    return out;
  }
  if (free_missing)
    out.notes.push_back("--use-free: " + d.source + " reports no free GPU memory; planning on the total");
  // Apple, DGX Spark: the unified memory the GPU does not take is the system RAM; build_hardware
  // derives it (MemTotal there is the same memory the GPU reports).
  if (!d.apple && !unified_gpus(catalog, out)) {
    const auto ram = use_free && d.ram_available ? d.ram_available : d.ram_total;
    if (use_free && d.ram_total && !d.ram_available) out.notes.push_back("--use-free: no MemAvailable; planning on MemTotal");
    if (ram && ram->count() > 0) {
      h.ram = ram;
      out.flags.push_back("--ram " + gib_flag(*d.ram_total));
    }
    if (out.cpu_id) {
      h.cpu = *out.cpu_id;
      out.flags.push_back("--cpu " + *out.cpu_id);
      if (d.sockets > 1 && d.sockets <= k_max_sockets) {  // each "physical id" is one such CPU
        h.sockets = d.sockets;
        out.flags.push_back("--sockets " + std::to_string(d.sockets));
      }
    }
  }
  out.request = h;
  return out;
}

// ---- I/O ----

namespace {

/// The first executable regular file called `name` in the ':'-separated `path`.
std::optional<std::string> find_on_path(const std::string& path, const std::string& name) {
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    const std::string dir = path.substr(start, end - start);
    if (!dir.empty()) {
      const std::string candidate = dir + "/" + name;
      struct stat st {};
      if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0)
        return candidate;
    }
    start = end + 1;
  }
  return std::nullopt;
}

constexpr auto k_tool_time_limit = std::chrono::seconds(5);
constexpr std::size_t k_tool_output_limit = 1 << 20;

/// Runs `program` with `args` (no shell), stdin and stderr on /dev/null, for at most a few
/// seconds. Its stdout when it exits 0; nullopt when it cannot start, fails or runs too long.
std::optional<std::string> run_tool(const std::string& program, const std::vector<std::string>& args) {
  std::vector<std::string> argv_text{program};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  int fds[2];
  if (::pipe(fds) != 0) return std::nullopt;
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return std::nullopt;
  }
  if (pid == 0) {  // child: only async-signal-safe calls until exec
    const int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      ::dup2(null, STDIN_FILENO);
      ::dup2(null, STDERR_FILENO);
    }
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string output;
  const auto deadline = std::chrono::steady_clock::now() + k_tool_time_limit;
  bool timed_out = false;
  char buffer[4096];
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      timed_out = ready == 0;
      if (ready < 0) break;
      continue;
    }
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buffer, static_cast<std::size_t>(n));
    if (output.size() > k_tool_output_limit) {
      timed_out = true;  // a tool that floods is as useless as one that hangs
      break;
    }
  }
  ::close(fds[0]);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
  return output;
}

std::optional<std::string> run_named(const Env& env, const std::string& name, const std::vector<std::string>& args) {
  if (!env.path) return std::nullopt;
  const auto program = find_on_path(*env.path, name);
  if (!program) return std::nullopt;
  return run_tool(*program, args);
}

std::optional<std::string> read_small_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text;
  char buffer[4096];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (text.size() > k_tool_output_limit) break;
  }
  return text;
}

}  // namespace

Detection detect_hardware(const Env& env) {
  Detection d;
  if (const auto text =
          run_named(env, "nvidia-smi",
                    {"--query-gpu=name,memory.total,memory.free,driver_version,pcie.link.gen.max,pcie.link.width.max",
                     "--format=csv,noheader,nounits"})) {
    d.gpus = parse_nvidia_smi(*text);
    if (!d.gpus.empty()) d.source = "nvidia-smi";
  }
  if (d.gpus.empty())
    if (const auto text = run_named(env, "rocm-smi", {"--showproductname", "--showmeminfo", "vram", "--json"})) {
      d.gpus = parse_rocm_smi(*text);
      if (!d.gpus.empty()) d.source = "rocm-smi";
    }
  if (d.gpus.empty())
    if (const auto text = run_named(env, "sysctl", {"-n", "hw.memsize", "machdep.cpu.brand_string"}))
      if (const auto apple = parse_sysctl_apple(*text)) {
        DetectedGpu g;
        g.name = apple->chip;
        g.memory_total = apple->memsize;
        if (const auto wired = run_named(env, "sysctl", {"-n", "iogpu.wired_limit_mb"}))
          g.memory_usable = parse_wired_limit(*wired);
        d.gpus.push_back(g);
        d.source = "sysctl";
        d.apple = true;
        d.ram_total = apple->memsize;
        d.cpu = apple->chip;
      }
  if (env.proc_root) {
    if (const auto text = read_small_file(*env.proc_root + "/meminfo")) {
      const MemInfo m = parse_meminfo(*text);
      if (m.total) {
        d.ram_total = m.total;
        d.ram_available = m.available;
      }
    }
    if (const auto text = read_small_file(*env.proc_root + "/cpuinfo")) {
      const std::string cpu = parse_cpuinfo(*text);
      if (!cpu.empty()) d.cpu = cpu;
      d.sockets = parse_cpuinfo_sockets(*text);
    }
  }
  return d;
}

void resolve_detection(HardwareOptions& o, Context& ctx) {
  if (!o.detect) {
    if (o.use_free) throw InputError("--use-free goes with --detect");
    return;
  }
  if (!o.gpu.empty() || !o.gpus.empty() || !o.vram.empty())
    throw InputError("--detect finds the GPUs itself; drop --gpu, --gpus and --vram (or drop --detect)");
  if (!o.count.empty()) throw InputError("--detect counts the GPUs it finds; drop --count");
  const Detection d = detect_hardware(ctx.env());
  const DetectedHardware mapped = map_detection(ctx.catalog(), d, o.use_free);
  if (!mapped.request) throw InputError("--detect: " + mapped.problem);
  for (const auto& n : mapped.notes) ctx.warnings.push_back(n);
  o.detected = mapped.request;
}

}  // namespace dsplan::cli
