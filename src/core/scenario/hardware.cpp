// Hardware from catalog entries and user overrides; PCIe and NVLink bandwidth per direction.
#include "dsplan/scenario/hardware.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

#include "dsplan/base/error.hpp"
#include "dsplan/base/text.hpp"

namespace dsplan {

namespace {

// PCI-SIG: PCIe 1.0/2.0 signal at 2.5/5 GT/s per lane and encode 8b/10b; 3.0/4.0/5.0/6.0 at
// 8/16/32/64 GT/s, 3.0-5.0 encoding 128b/130b (6.0's FLIT mode is taken at the same share).
// Bytes per second per direction = GT/s x lanes x encoding / 8 (x16 gen4: 31.5 GB/s; x16 gen2: 8 GB/s).
std::uint64_t pcie_bytes_per_s(std::uint64_t gen, std::uint64_t lanes) {
  if (gen == 0 || lanes == 0) return 0;
  const double gts = gen >= 3 ? 8e9 * static_cast<double>(1ULL << (gen - 3)) : 2.5e9 * static_cast<double>(gen);
  const double encoding = gen >= 3 ? 128.0 / 130.0 : 8.0 / 10.0;
  return static_cast<std::uint64_t>(gts * static_cast<double>(lanes) * encoding / 8.0);
}

DeviceClass class_of(const GpuSpec& g) {
  if (g.vendor == "apple") return DeviceClass::apple;
  return to_lower(g.memory_marketing).find("hbm") != std::string::npos ? DeviceClass::hbm : DeviceClass::gddr;
}

/// GPU vendors whose engines run a compute stack other than CUDA (Apple is a device class of its own).
std::string_view software_stack_of(std::string_view vendor) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 1> k_stacks{{{"amd", "rocm"}}};
  for (const auto& [v, stack] : k_stacks)
    if (v == vendor) return stack;
  return {};
}

bool runs_cuda(const GpuSpec& g) { return software_stack_of(to_lower(g.vendor)).empty(); }

// A --vram card is modelled on a catalog card of its size, not on one fixed card: an 8 GiB card
// read at an RTX 3090's 936 GB/s promised 3-4x the speed of the 8 GiB cards people own. The
// smallest catalog size that holds it, and of that size the slowest card (speeds are then what a
// card of that size reaches at least); GeForce cards first, then workstation, then datacenter
// ones (a desktop user's card before a server's). CUDA cards before others (the stack most
// constants were fitted on; an AMD card would move the generic card to ROCm's engines and speed
// classes). Larger than every card: the largest CUDA datacenter card.
const GpuSpec& generic_model(const Catalog& cat, Bytes vram) {
  for (const bool cuda_only : {true, false})
    for (const std::string_view market : {"consumer", "workstation", "datacenter"}) {
      const GpuSpec* best = nullptr;
      for (const auto& g : cat.gpus) {
        // A whole machine (a DGX Spark, a Mac) is no card: its memory is the system's too.
        if (g.device_class != market || g.memory.count() < vram.count() || g.bandwidth_bytes_per_s == 0 ||
            g.whole_system || (cuda_only && !runs_cuda(g)))
          continue;
        const bool smaller = best && g.memory.count() < best->memory.count();
        const bool slower =
            best && g.memory.count() == best->memory.count() && g.bandwidth_bytes_per_s < best->bandwidth_bytes_per_s;
        if (!best || smaller || slower) best = &g;
      }
      if (best) return *best;
    }
  const GpuSpec* largest = nullptr;
  for (const auto& g : cat.gpus)
    if (g.device_class == "datacenter" && g.bandwidth_bytes_per_s > 0 && runs_cuda(g) &&
        (!largest || g.memory.count() > largest->memory.count()))
      largest = &g;
  return largest ? *largest : cat.require_gpu(k_generic_gpu_model);
}

}  // namespace

std::string_view device_class_name(DeviceClass c) {
  switch (c) {
    case DeviceClass::gddr: return "gddr";
    case DeviceClass::hbm: return "hbm";
    case DeviceClass::apple: return "apple";
    case DeviceClass::cpu: return "cpu";
  }
  throw InternalError("unnamed device class");
}

std::string architecture_family(const std::string& description) {
  // The first word of the catalog's description ("Ada Lovelace AD102" -> "ada"), with a generation
  // number that follows it ("CDNA 3 (gfx942)" -> "cdna3", "RDNA 3.5 ..." -> "rdna3.5"): AMD's
  // generations share the name.
  const auto first_end = description.find(' ');
  std::string family = to_lower(description.substr(0, first_end));
  if (first_end == std::string::npos) return family;
  const auto next_end = description.find(' ', first_end + 1);
  const std::string next =
      description.substr(first_end + 1, next_end == std::string::npos ? std::string::npos : next_end - first_end - 1);
  const bool generation =
      !next.empty() && std::isdigit(static_cast<unsigned char>(next.front())) != 0 &&
      std::all_of(next.begin(), next.end(), [](unsigned char c) { return std::isdigit(c) != 0 || c == '.'; });
  return generation ? family + next : family;
}

namespace {
/// A CUDA or ROCm card the catalog gives FP16 but no BF16 tensor rate (Volta). Apple's GPUs run
/// llama.cpp's Metal kernels, which choose their own types, so they do not count.
bool gpu_lacks_bf16(const GpuSpec& g) { return g.vendor != "apple" && g.bf16_tflops <= 0 && g.fp16_tflops > 0; }
}  // namespace

Device device_from(const GpuSpec& g) {
  Device d;
  d.id = g.id;
  d.name = g.name;
  d.architecture = architecture_family(g.architecture);
  d.software_stack = software_stack_of(to_lower(g.vendor));
  d.device_class = class_of(g);
  d.memory_installed = g.memory;
  d.memory = Bytes(static_cast<std::uint64_t>(static_cast<double>(g.memory.count()) * g.usable_memory_fraction));
  d.bandwidth_bytes_per_s = g.bandwidth_bytes_per_s;
  d.peak_tflops = g.fp16_acc16_tflops > 0 ? g.fp16_acc16_tflops : (g.fp16_tflops > 0 ? g.fp16_tflops : g.bf16_tflops);
  d.peak_fp32_accumulate_tflops = g.bf16_tflops > 0 ? g.bf16_tflops : (g.fp16_tflops > 0 ? g.fp16_tflops : d.peak_tflops);
  d.peak_fp8_tflops = g.fp8_tflops;
  d.bf16 = !gpu_lacks_bf16(g);
  d.tdp_watts = g.tdp_watts;
  d.whole_system = g.whole_system;
  d.unified_memory = g.unified_memory();
  d.pcie_gen = g.pcie_gen;
  d.pcie_lanes = g.pcie_lanes;
  d.host_link_bytes_per_s = pcie_bytes_per_s(g.pcie_gen, g.pcie_lanes);
  // NVLink figures are bidirectional totals per GPU; collectives see one direction.
  d.link_bytes_per_s = g.nvlink_bytes_per_s > 0 ? g.nvlink_bytes_per_s / 2 : d.host_link_bytes_per_s;
  return d;
}

namespace {

/// The slot's link, as far as the card can use it; GPU-to-GPU traffic without NVLink follows it.
void apply_pcie_link(const HardwareRequest::PcieLink& slot, Device& d) {
  if (d.pcie_lanes == 0)
    throw InputError(d.name + " has no PCIe link to system RAM (unified memory); %pcie% does not apply to it");
  const bool link_is_pcie = d.link_bytes_per_s == d.host_link_bytes_per_s;
  const std::uint64_t gen = std::min(slot.gen, d.pcie_gen);
  const std::uint64_t lanes = slot.lanes == 0 ? d.pcie_lanes : std::min(slot.lanes, d.pcie_lanes);
  d.pcie_gen = gen;
  d.pcie_lanes = lanes;
  d.host_link_bytes_per_s = pcie_bytes_per_s(gen, lanes);
  if (link_is_pcie) d.link_bytes_per_s = d.host_link_bytes_per_s;
}

}  // namespace

bool Hardware::homogeneous() const {
  for (const auto& g : gpus)
    if (g.id != gpus.front().id || g.memory != gpus.front().memory) return false;
  return true;
}

namespace {
InputError too_many_gpus() {
  return InputError("at most " + std::to_string(k_max_gpus_per_node) +
                    " GPUs per node (the largest NVLink domain, GB200 NVL72); more take %nodes%");
}
}  // namespace

std::vector<HardwareRequest::Gpus> parse_gpu_list(std::string_view text) {
  std::vector<HardwareRequest::Gpus> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = text.find(',', start);
    std::string_view item = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front()))) item.remove_prefix(1);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back()))) item.remove_suffix(1);
    if (item.empty()) throw InputError("%gpus%: empty entry in '" + std::string(text) + "' (example: 2xrtx3090,rtx4090)");
    HardwareRequest::Gpus g;
    const std::size_t x = item.find_first_of("xX*");
    std::uint64_t count = 0;
    if (x != std::string_view::npos && x > 0 &&
        std::from_chars(item.data(), item.data() + x, count).ptr == item.data() + x) {
      if (count == 0 || count > k_max_gpus_per_node)
        throw InputError("%gpus%: count must be 1 to " + std::to_string(k_max_gpus_per_node) + " in '" +
                         std::string(item) + "'");
      g.count = count;
      g.name = std::string(item.substr(x + 1));
    } else {
      g.name = std::string(item);
    }
    if (g.name.empty()) throw InputError("%gpus%: missing GPU name in '" + std::string(item) + "'");
    out.push_back(g);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

bool has_tensor_parallel_gpus(const Catalog& cat, const HardwareRequest& r) {
  if (r.vram) return true;
  return std::any_of(r.gpus.begin(), r.gpus.end(), [&](const HardwareRequest::Gpus& g) {
    const GpuSpec* spec = cat.find_gpu(g.name);
    return !spec || spec->vendor != "apple";  // an unknown name is refused later, with its own message
  });
}

std::string gpu_without_bf16(const Catalog& cat, const HardwareRequest& r) {
  for (const auto& g : r.gpus)
    if (const GpuSpec* spec = cat.find_gpu(g.name); spec && gpu_lacks_bf16(*spec)) return spec->name;
  return {};
}

std::optional<std::string> tensor_parallel_refusal(std::string_view engine_name, const Hardware& hw) {
  if (hw.gpus.empty()) return fmt::format("{} runs on GPUs: give %gpu%, %gpus% or %vram%", engine_name);
  if (std::any_of(hw.gpus.begin(), hw.gpus.end(), [](const Device& d) { return d.device_class == DeviceClass::apple; }))
    return fmt::format("{} needs CUDA or ROCm GPUs, not Apple's", engine_name);
  return std::nullopt;
}

std::string_view gpu_backend(const Device& d) {
  if (d.device_class == DeviceClass::apple) return "metal";
  return d.software_stack.empty() ? std::string_view("cuda") : d.software_stack;
}

std::string_view gpu_backend_name(std::string_view id) {
  for (const auto& [known, name] : k_gpu_backends)
    if (known == id) return name;
  return id;
}

namespace {
/// With unified-memory GPUs only (a Mac, a DGX Spark), the system's RAM is what the GPUs leave of
/// their memory; %ram% may say less is free, not that there is more. nullopt: other GPUs.
bool all_unified(const std::vector<Device>& gpus) {
  return !gpus.empty() && std::all_of(gpus.begin(), gpus.end(), [](const Device& d) { return d.unified_memory; });
}

std::optional<Bytes> unified_system_ram(const HardwareRequest& r, const std::vector<Device>& gpus) {
  if (!all_unified(gpus)) return std::nullopt;
  Bytes rest(0);
  for (const auto& d : gpus) rest += Bytes(d.memory_installed.count() - std::min(d.memory, d.memory_installed).count());
  if (r.ram && *r.ram > rest)
    throw InputError(fmt::format(
        "%ram% {:.1f} GiB: {} has one memory for CPU and GPU, {:.1f} GiB in all, of which "
        "the GPU takes {:.1f} GiB; the system has the other {:.1f} GiB (%gpu_memory% gives "
        "the machine's installed memory)",
        r.ram->gib(), gpus.front().name, gpus.front().memory_installed.gib(), gpus.front().memory.gib(), rest.gib()));
  // All of it the GPU's (a DGX Spark): no RAM to keep layers in; the few tensors engines keep on
  // the CPU side (the token embedding) live in the same memory, so no size is set for them.
  if (!r.ram && rest.count() == 0) return std::nullopt;
  return r.ram ? *r.ram : rest;
}
}  // namespace

Hardware build_hardware(const Catalog& cat, const HardwareRequest& r) {
  Hardware hw;
  if (r.nodes == 0 || r.nodes > 1024) throw InputError("%nodes% must be 1 to 1024");
  hw.nodes = r.nodes;
  for (const auto& g : r.gpus) {
    const GpuSpec& spec = cat.require_gpu(g.name);
    Device d = device_from(spec);
    if (g.installed) {
      d.memory_installed = *g.installed;
      d.memory = Bytes(static_cast<std::uint64_t>(static_cast<double>(g.installed->count()) * spec.usable_memory_fraction));
    }
    if (g.usable) {
      if (*g.usable > d.memory_installed)
        throw InputError(
            fmt::format("%gpu_usable% {:.1f} GiB: more than the {:.1f} GiB {} has (%gpu_memory% sets that)",
                        g.usable->gib(), d.memory_installed.gib(), d.name));
      d.memory = *g.usable;
    }
    if (g.count > k_max_gpus_per_node - std::min<std::uint64_t>(hw.gpus.size(), k_max_gpus_per_node))
      throw too_many_gpus();
    for (std::uint64_t i = 0; i < g.count; ++i) hw.gpus.push_back(d);
  }
  // A Mac, a DGX Spark or a Ryzen AI Max is a machine: two of them are two machines, which a layer
  // split in one process (what dsplan plans) cannot span.
  if (hw.gpus.size() > 1)
    for (const auto& d : hw.gpus)
      if (d.whole_system)
        throw InputError(d.name + " is a whole machine, its GPU the only one in it: plan one (" +
                         "%count% 1), or machines joined over a network with %nodes% and a serving engine that "
                         "spans them (llama.cpp's RPC backend is not modelled)");
  // One process drives one GPU stack: CUDA does not see an AMD card nor ROCm an NVIDIA one, and
  // each numbers only its own devices (a launch line could select neither).
  for (const auto& d : hw.gpus)
    if (gpu_backend(d) != gpu_backend(hw.gpus.front()))
      throw InputError(fmt::format(
          "{} ({}) and {} ({}) run on different GPU stacks, which one engine process does not combine (llama.cpp's "
          "Vulkan backend can; dsplan does not model it): plan the cards of each stack with their own %gpus%",
          hw.gpus.front().name, gpu_backend_name(gpu_backend(hw.gpus.front())), d.name,
          gpu_backend_name(gpu_backend(d))));
  if (r.vram) {
    if (!r.gpus.empty()) throw InputError("%vram% describes a generic card; do not combine it with %gpu%/%gpus%");
    const GpuSpec& model = generic_model(cat, *r.vram);
    Device d = device_from(model);
    d.id = "generic";
    d.name = "generic GPU";
    d.modelled_on = model.id;
    d.memory = *r.vram;
    d.memory_installed = *r.vram;
    if (r.vram_count == 0 || r.vram_count > k_max_gpus_per_node) throw too_many_gpus();
    for (std::uint64_t i = 0; i < r.vram_count; ++i) hw.gpus.push_back(d);
    const double gib = static_cast<double>(r.vram->count()) / static_cast<double>(1ULL << 30);
    hw.assumed = fmt::format(
        "generic GPU modelled on the {}, {}: {} GB/s memory bandwidth{}, {:.0f} TFLOPS 16-bit{}, its PCIe link and "
        "the {} class's throughput factors (give %bandwidth%, or %gpu% for a catalog card)",
        model.name,
        model.memory.count() >= r.vram->count()
            ? fmt::format("the slowest of the smallest {} cards in the catalog that hold {:.1f} GiB (consumer cards "
                          "first, then workstation, then datacenter)",
                          model.device_class, gib)
            : fmt::format("the largest datacenter card in the catalog ({:.1f} GiB is more than any card holds)", gib),
        static_cast<double>(r.bandwidth.value_or(model.bandwidth_bytes_per_s)) / 1e9,
        r.bandwidth ? " (from %bandwidth%)" : "", d.peak_tflops,
        // GeForce cards multiply FP16 at twice their BF16 (FP32-accumulate) rate, which 'list gpus' shows.
        d.peak_tflops > d.peak_fp32_accumulate_tflops
            ? fmt::format(" with FP16 accumulation ({:.0f} BF16)", d.peak_fp32_accumulate_tflops)
            : "",
        device_class_name(d.device_class));
  }
  for (auto& d : hw.gpus) {
    if (r.bandwidth) d.bandwidth_bytes_per_s = *r.bandwidth;
    if (r.pcie) apply_pcie_link(*r.pcie, d);
    if (r.link_bandwidth) d.link_bytes_per_s = *r.link_bandwidth;
    // Without a rate every compute-bound figure (prefill, batched decode) would take no time.
    // Both figures missing are named at once: fixing one should not just reveal the other.
    constexpr std::string_view k_add_rate =
        "add bf16_tflops (or fp16_tflops) to its entry in a catalog file (docs/catalog.md)";
    if (d.bandwidth_bytes_per_s == 0)
      throw InputError(d.name + " has no published memory bandwidth; give one with %bandwidth%" +
                       (d.peak_tflops > 0
                            ? std::string()
                            : ", and no dense FP16/BF16 tensor rate in the catalog: " + std::string(k_add_rate)));
    if (!(d.peak_tflops > 0))
      throw InputError(d.name + " has no dense FP16/BF16 tensor rate in the catalog; " + std::string(k_add_rate));
  }
  const bool apple = !hw.gpus.empty() && std::all_of(hw.gpus.begin(), hw.gpus.end(), [](const Device& d) {
    return d.device_class == DeviceClass::apple;
  });
  if ((apple || all_unified(hw.gpus)) && r.cpu.empty()) {
    // Unified memory (a Mac, a DGX Spark, a Ryzen AI Max): what the GPU may not take is the CPU's,
    // at the same bandwidth.
    const Device& machine = hw.gpus.front();
    if (r.sockets.value_or(1) != 1) throw InputError("%sockets% goes with %cpu%: " + machine.name + " has one chip");
    hw.host.cpu = machine.id;
    hw.host.ram = unified_system_ram(r, hw.gpus);
    hw.host.bandwidth_bytes_per_s = r.ram_bandwidth ? *r.ram_bandwidth : machine.bandwidth_bytes_per_s;
    // llama.cpp hands large batches of CPU-resident layers to the GPU (op offload); with unified
    // memory nothing is copied, so prefill of those layers runs at the GPU's rate.
    hw.host.tflops = machine.peak_tflops;
  } else {
    const CpuSpec& cpu = cat.require_cpu(r.cpu.empty() ? k_default_cpu : r.cpu);
    hw.host.cpu = cpu.id;
    hw.host.ram = all_unified(hw.gpus) ? unified_system_ram(r, hw.gpus) : r.ram;
    // Every socket adds its own memory channels and cores; --ram-bandwidth is the whole host's.
    const std::uint64_t sockets = r.sockets.value_or(1);
    if (sockets == 0 || sockets > k_max_sockets) throw InputError(fmt::format("%sockets% must be 1 to {}", k_max_sockets));
    hw.host.sockets = sockets;
    hw.host.bandwidth_bytes_per_s = r.ram_bandwidth ? *r.ram_bandwidth : cpu.bandwidth_bytes_per_s * sockets;
    hw.host.tflops = (cpu.bf16_tflops > 0 ? cpu.bf16_tflops : cpu.fp32_tflops) * static_cast<double>(sockets);
    hw.host.cores = cpu.cores * sockets;
  }
  hw.host.ram_is_unified_rest = hw.host.ram && !r.ram && all_unified(hw.gpus);
  if (r.threads) {
    if (*r.threads == 0) throw InputError("%threads% must be at least 1");
    hw.host.threads = *r.threads;
  }
  // Between nodes: the catalog's cluster network (gpus.json "internode"), unless given.
  hw.internode_bytes_per_s = r.internode_bandwidth ? *r.internode_bandwidth : cat.internode_bytes_per_s;
  return hw;
}

bool ram_is_gpu_memory(const Hardware& hw) { return !hw.host.ram && all_unified(hw.gpus); }

std::optional<std::string> assumed_cpu(const Catalog& catalog, const HardwareRequest& r, const Hardware& hw) {
  if (hw.host.cpu != k_default_cpu || !r.cpu.empty() || r.ram_bandwidth) return std::nullopt;
  const CpuSpec& cpu = catalog.require_cpu(k_default_cpu);
  return fmt::format("the catalog's {} ({:.1f} GB/s, {:.1f} TFLOPS FP32)", cpu.name,
                     static_cast<double>(cpu.bandwidth_bytes_per_s) / 1e9, cpu.fp32_tflops);
}

double Host::compute_share() const {
  if (cores == 0 || threads == 0 || threads >= cores) return 1.0;
  return static_cast<double>(threads) / static_cast<double>(cores);
}

std::uint64_t next_tensor_parallel_count(const Catalog& catalog, const HardwareRequest& request, std::uint64_t count) {
  const std::uint64_t per_node = catalog.require_gpu(request.gpus.front().name).gpus_per_node;
  return count < per_node ? std::min(count * 2, per_node) : (count / per_node + 1) * per_node;
}

/// %count% N of one part past what one node holds, for an engine that spans nodes: whole nodes of
/// the part's gpus_per_node (catalog data), as --count auto and recommend fill them.
HardwareRequest in_whole_nodes(const Catalog& cat, const HardwareRequest& h, bool tensor_parallel) {
  if (!tensor_parallel || h.gpus.size() != 1) return h;
  const GpuSpec& spec = cat.require_gpu(h.gpus.front().name);
  const std::uint64_t count = h.gpus.front().count, per_node = spec.gpus_per_node;
  if (count <= per_node || spec.whole_system) return h;
  if (h.nodes != 1) {  // --count is then each node's, and no node holds more than its board
    const std::uint64_t nodes = (count * h.nodes + per_node - 1) / per_node;
    throw InputError(fmt::format(
        "%count% {} with %nodes% {}: a node holds {} {} (gpus_per_node), and %count% is each node's; {}", count,
        h.nodes, per_node, spec.name,
        nodes <= k_max_nodes ? fmt::format("give %count% {} %nodes% {}", per_node, nodes)
                             : fmt::format("{} GPUs in all would take {} nodes, more than the {} %nodes% plans",
                                           count * h.nodes, nodes, k_max_nodes)));
  }
  if (count % per_node != 0)
    throw InputError(
        fmt::format("%count% {}: a node holds {} {} (gpus_per_node); give a multiple of {}, or "
                    "%nodes% with the GPUs of each node",
                    count, per_node, spec.name, per_node));
  return with_gpu_count(cat, h, count, true);
}

HardwareRequest with_gpu_count(const Catalog& catalog, HardwareRequest request, std::uint64_t count,
                               bool tensor_parallel) {
  if (request.gpus.size() != 1) throw InternalError("with_gpu_count needs one GPU model");
  const std::uint64_t per_node = catalog.require_gpu(request.gpus.front().name).gpus_per_node;
  request.gpus.front().count = tensor_parallel ? std::min(count, per_node) : count;
  request.nodes = tensor_parallel ? std::max<std::uint64_t>(1, count / per_node) : 1;
  return request;
}

}  // namespace dsplan
