// Hardware: the devices a scenario runs on (GPUs from the catalog, generic cards, host CPU and RAM).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dsplan/catalog/catalog.hpp"
#include "dsplan/base/units.hpp"

namespace dsplan {

/// How a device behaves for the throughput model (docs/methodology.md section 6): GDDR cards,
/// HBM cards, Apple unified memory, the host CPU.
enum class DeviceClass { gddr, hbm, apple, cpu };

[[nodiscard]] std::string_view device_class_name(DeviceClass c);

/// One accelerator as dsplan models it.
struct Device {
  std::string id;    ///< catalog id, or "generic"
  std::string name;
  std::string modelled_on;               ///< a generic (--vram) card: the catalog card it is modelled on
  std::string architecture;              ///< GPU architecture family, lowercase (ampere, ada, hopper, ...)
  /// The vendor's compute stack where it is not CUDA ("rocm" for AMD), empty otherwise: engines run
  /// other kernels there, so its speeds form classes of their own (speed_class).
  std::string_view software_stack;  ///< a literal of software_stack_of's table
  DeviceClass device_class = DeviceClass::gddr;
  Bytes memory;                          ///< what a runtime may use (Apple: the GPU working-set limit)
  Bytes memory_installed;                ///< what the card or machine has
  std::uint64_t bandwidth_bytes_per_s = 0;
  double peak_tflops = 0;                ///< dense 16-bit tensor throughput (FP16 accumulate where faster)
  /// Dense 16-bit tensor throughput with FP32 accumulation, what PyTorch's BF16/FP16 GEMMs run at:
  /// half of peak_tflops on GeForce and RTX workstation cards, equal on datacenter parts (and
  /// equal wherever the catalog gives no FP32-accumulate figure).
  double peak_fp32_accumulate_tflops = 0;
  double peak_fp8_tflops = 0;            ///< dense FP8 tensor throughput (0 = no FP8 tensor cores)
  /// BF16 arithmetic (every GPU from Ampere and CDNA on; not Volta): without it, PyTorch engines
  /// and training run BF16 models in FP16 (vLLM's --dtype half).
  bool bf16 = true;
  double tdp_watts = 0;
  bool whole_system = false;             ///< GpuSpec::whole_system: price and power are the whole machine's
  bool unified_memory = false;           ///< GpuSpec::unified_memory: its memory is also the system's RAM
  std::uint64_t link_bytes_per_s = 0;    ///< to the other GPUs of its node (NVLink, else PCIe)
  std::uint64_t host_link_bytes_per_s = 0;  ///< to the host (PCIe)
  std::uint64_t pcie_gen = 0, pcie_lanes = 0;  ///< its PCIe link: the card's, or the lower with --pcie (lanes 0: none)
};

/// The host: system RAM and the CPU that runs offloaded layers or experts.
struct Host {
  std::string cpu;                          ///< catalog id or "generic"
  std::optional<Bytes> ram;                 ///< installed RAM; nullopt when not given
  bool ram_is_unified_rest = false;         ///< ram is what a unified memory's GPU leaves, not a --ram
  std::uint64_t bandwidth_bytes_per_s = 0;  ///< theoretical memory bandwidth, all sockets
  double tflops = 0;                        ///< dense 16-bit vector throughput, all cores
  std::uint64_t cores = 0;                  ///< physical cores, all sockets (cpus.json; 0: not known)
  std::uint64_t sockets = 1;                ///< CPUs (NUMA nodes), each with its own memory
  std::uint64_t threads = 0;                ///< threads it computes with (0: not known, all cores)
  /// Share of the CPU's compute the threads use: min(threads, cores) / cores; 1 when unknown.
  [[nodiscard]] double compute_share() const;
};

struct Hardware {
  std::vector<Device> gpus;                 ///< per node, in order
  std::uint64_t nodes = 1;
  Host host;
  std::uint64_t internode_bytes_per_s = 0;  ///< per node, for pipeline/tensor traffic between nodes
  std::string assumed;  ///< what dsplan assumed for hardware the user did not name (a --vram card); empty otherwise
  [[nodiscard]] bool homogeneous() const;
  [[nodiscard]] std::uint64_t gpu_count() const { return gpus.size() * nodes; }
};

/// What the user asked for; names are looked up in the catalog.
struct HardwareRequest {
  struct Gpus {
    Gpus() = default;
    Gpus(std::string gpu_name, std::uint64_t gpu_count) : name(std::move(gpu_name)), count(gpu_count) {}
    std::string name;
    std::uint64_t count = 1;
    /// Measured memory of these cards (dsplan detect), replacing the catalog's: what the card
    /// has (a Mac's hw.memsize), and what a runtime may use (free memory, the GPU wired limit).
    /// Without `usable`, the catalog's usable share of `installed`.
    std::optional<Bytes> installed;
    std::optional<Bytes> usable;
  };
  std::vector<Gpus> gpus;                       ///< per node
  std::optional<Bytes> vram;                    ///< a generic card of this size (hardware.cpp picks its model) ...
  std::uint64_t vram_count = 1;                 ///< ... this many of them
  std::optional<std::uint64_t> bandwidth;       ///< override every GPU's memory bandwidth
  std::optional<Bytes> ram;
  std::string cpu;                              ///< catalog CPU id; empty = desktop DDR5 default
  std::optional<std::uint64_t> threads;         ///< CPU threads (llama.cpp -t); default: every physical core
  std::optional<std::uint64_t> sockets;         ///< CPUs of --cpu's kind (dual-socket servers: 2); default 1
  std::optional<std::uint64_t> ram_bandwidth;   ///< override the host's memory bandwidth
  std::uint64_t nodes = 1;
  std::optional<std::uint64_t> link_bandwidth;  ///< override GPU-to-GPU bandwidth
  /// The PCIe link the slots give the GPUs (a card runs at the lower of it and its own):
  /// generation, and lanes (0: the card's).
  struct PcieLink {
    std::uint64_t gen = 0;
    std::uint64_t lanes = 0;
  };
  std::optional<PcieLink> pcie;
  std::optional<std::uint64_t> internode_bandwidth;
};

/// The catalog id of the CPU assumed when none is named: a two-channel DDR5 desktop.
inline constexpr const char* k_default_cpu = "desktop-ddr5";
/// Sockets one host may hold: 8-socket Xeon servers are the largest sold.
inline constexpr std::uint64_t k_max_sockets = 8;
/// The catalog id a generic `--vram` card falls back to when the catalog has no card of that size
/// class (a user catalog without datacenter cards); otherwise it is chosen by size (hardware.cpp).
inline constexpr const char* k_generic_gpu_model = "rtx3090";
/// GPUs one node may hold: NVIDIA's GB200 NVL72 puts 72 in one NVLink domain, the most of any
/// system sold; larger deployments are nodes (--nodes). Also bounds the work of a placement.
inline constexpr std::uint64_t k_max_gpus_per_node = 72;
/// Nodes one deployment may span (--nodes): a bound on a placement's work, past any published one.
inline constexpr std::uint64_t k_max_nodes = 1024;

/// %count% N of one GPU past what one node holds, for an engine that spans nodes (tensor
/// parallel): whole nodes of its gpus_per_node; InputError when N is not a multiple of it.
[[nodiscard]] HardwareRequest in_whole_nodes(const Catalog& catalog, const HardwareRequest& request,
                                             bool tensor_parallel);

/// The count after `count` a tensor-parallel engine can run on `request`'s one GPU model: the next
/// power of two within a node (a tensor-parallel group), then whole nodes (8, 16, 24, ...: one
/// pipeline stage per node, any number of stages).
[[nodiscard]] std::uint64_t next_tensor_parallel_count(const Catalog& catalog, const HardwareRequest& request,
                                                       std::uint64_t count);
/// `count` GPUs of the request's (single) GPU model as hardware: with tensor parallelism up to
/// one node of the part's gpus_per_node, then whole nodes; a layer split keeps them in one box.
[[nodiscard]] HardwareRequest with_gpu_count(const Catalog& catalog, HardwareRequest request, std::uint64_t count,
                                             bool tensor_parallel);

/// Builds the hardware from the request. Throws InputError on unknown names or bad counts.
[[nodiscard]] Hardware build_hardware(const Catalog& catalog, const HardwareRequest& request);

/// Tensor-parallel engines (vLLM, SGLang) run on CUDA and ROCm GPUs: the hardware has one of them
/// (a generic --vram card counts), not only Apple's or none.
[[nodiscard]] bool has_tensor_parallel_gpus(const Catalog& catalog, const HardwareRequest& request);
/// The first of the request's GPUs without BF16 arithmetic (a V100), by name; empty when every
/// one has it (a generic --vram card does).
[[nodiscard]] std::string gpu_without_bf16(const Catalog& catalog, const HardwareRequest& request);
/// Why a tensor-parallel engine cannot run on these GPUs (none, or Apple's); unset when it can.
[[nodiscard]] std::optional<std::string> tensor_parallel_refusal(std::string_view engine_name, const Hardware& hw);

/// Every GPU's memory is also the system's and the GPUs have all of it (a DGX Spark): there is no
/// RAM to keep layers in, and none to give with --ram.
[[nodiscard]] bool ram_is_gpu_memory(const Hardware& hw);

/// The catalog's default desktop CPU, described ("the catalog's Generic desktop, ... (89.6 GB/s,
/// 0.9 TFLOPS FP32)"), when `hw` runs on it because `r` named no CPU nor its bandwidth: what
/// weights kept in system RAM then run on. Nothing otherwise (a Mac's unified memory included).
[[nodiscard]] std::optional<std::string> assumed_cpu(const Catalog& catalog, const HardwareRequest& r,
                                                     const Hardware& hw);

/// The GPU backend an engine runs on a device: "metal" (Apple), its vendor's stack ("rocm"), else "cuda".
[[nodiscard]] std::string_view gpu_backend(const Device& device);

/// A backend id as messages spell it ("cuda" -> "CUDA"); an unknown id as is.
[[nodiscard]] std::string_view gpu_backend_name(std::string_view id);

/// The GPU family that architecture factors are keyed by: "Ada Lovelace AD102" -> "ada", "CDNA 3 (gfx942)" -> "cdna3".
[[nodiscard]] std::string architecture_family(const std::string& description);

/// A device from a catalog GPU.
[[nodiscard]] Device device_from(const GpuSpec& gpu);

/// Parses "2xrtx3090,rtx4090" into (name, count) pairs. Throws InputError when malformed.
[[nodiscard]] std::vector<HardwareRequest::Gpus> parse_gpu_list(std::string_view text);

}  // namespace dsplan
