// Shared command-line options: parsing text flags into the library's request structs.
#include "cli/options.hpp"

#include "cli/context.hpp"

#include <algorithm>
#include <bit>
#include <chrono>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "cli/parse_units.hpp"
#include "dsplan/base/build_date.hpp"
#include "dsplan/base/error.hpp"
#include "dsplan/base/text.hpp"
#include "dsplan/model/kv_cache.hpp"
#include "dsplan/serving/context_search.hpp"

namespace dsplan::cli {

namespace {

/// A GPU's memory: a size of at least 64 MiB, below which no GPU exists and a usable share
/// would round to nothing.
Bytes gpu_memory_size(const std::string& text, std::string_view flag) {
  return parse_size(text, flag, Bytes(64ULL << 20), "64 MiB", "no GPU has less");
}

/// GGML_MAX_N_THREADS (ggml/include/ggml.h): llama.cpp refuses more.
constexpr std::uint64_t k_max_threads = 512;

MlaCacheOverride parse_mla_cache(const std::string& v) {
  if (v.empty()) return MlaCacheOverride::engine;
  return parse_choice<MlaCacheOverride>(k_mla_cache_overrides, v, "--mla-cache");
}

bool parse_on_off(const std::string& v, const char* flag) {
  const std::string l = to_lower(v);
  if (l == "on" || l == "yes" || l == "true" || l == "1") return true;
  if (l == "off" || l == "no" || l == "false" || l == "0") return false;
  throw InputError(fmt::format("{}: '{}' is not on or off", flag, v));
}

std::optional<std::uint64_t> bandwidth(const std::string& text, const char* flag) {
  const auto gbs = optional_number(text, flag, 0.001, 1e6);
  if (!gbs) return std::nullopt;
  return static_cast<std::uint64_t>(*gbs * 1e9);
}

/// --pcie GEN or GENxLANES: "4", "4x8", "3x16".
std::optional<HardwareRequest::PcieLink> pcie_link(const std::string& text) {
  if (text.empty()) return std::nullopt;
  const auto bad = [&] {
    return InputError("--pcie: '" + text +
                      "' is not GEN or GENxLANES (PCIe generation 1-6, lanes 1, 2, 4, 8 or 16), e.g. 4x8");
  };
  const std::size_t x = text.find_first_of("xX");
  const auto digits = [](const std::string& t) {
    return !t.empty() && t.size() <= 2 && std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  const std::string gen = text.substr(0, x), lanes = x == std::string::npos ? "" : text.substr(x + 1);
  if (!digits(gen) || (x != std::string::npos && !digits(lanes))) throw bad();
  HardwareRequest::PcieLink link{std::stoull(gen), lanes.empty() ? 0 : std::stoull(lanes)};
  const bool lanes_ok = lanes.empty() || (std::has_single_bit(link.lanes) && link.lanes <= 16);
  if (link.gen < 1 || link.gen > 6 || !lanes_ok) throw bad();
  return link;
}

/// --build-date after today names a build nobody has (the library checks the format and the
/// oldest build; only the CLI reads the clock).
std::string checked_not_future(const std::string& text) {
  const auto date = parse_build_date(text);
  if (!date) return text;  // the library names the malformed date
  const auto today =
      std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now())};
  const std::string now = fmt::format("{:04}-{:02}-{:02}", static_cast<int>(today.year()),
                                      static_cast<unsigned>(today.month()), static_cast<unsigned>(today.day()));
  if (*date > now) throw InputError("--build-date: " + text + " is after today (" + now + "); give the build's date");
  return text;
}

Scenario to_scenario(const EstimateOptions& o) {
  Scenario s;
  s.model = o.model;
  s.quant = o.quant;
  s.engine = o.engine;
  // --context max: a placeholder here; find_max_context searches for the value.
  s.context = asks_context_max(o.context) || o.context.empty() ? k_default_context
                                                               : parse_tokens(o.context, "--context", 1, k_max_context);
  s.context_is_default = o.context.empty();
  s.batch = o.batch.empty() ? 1 : parse_integer(o.batch, "--batch", 1, k_max_batch);
  s.kv_type = o.kv_type;
  s.legacy_mla_gguf = o.legacy_mla_gguf;
  if (!o.imatrix.empty()) s.imatrix = parse_on_off(o.imatrix, "--imatrix");
  s.build_date = checked_not_future(o.build_date);
  s.speculative_tokens = o.mtp.empty() ? 0 : parse_integer(o.mtp, "--mtp", 0, 8);
  if (!o.ubatch.empty()) s.ubatch = parse_integer(o.ubatch, "--ubatch", 1, 1'048'576);
  if (o.no_flash_attn) s.flash_attention = false;
  s.no_mmap = o.no_mmap;
  s.no_op_offload = o.no_op_offload;
  s.mla_cache = parse_mla_cache(o.mla_cache);
  return s;
}

/// "4" (a count) rather than "2xrtx3090,rtx4090" (a list).
bool is_count(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::vector<std::string> split_commas(const std::vector<std::string>& values, std::string_view flag) {
  std::vector<std::string> out;
  for (const auto& v : values) {
    std::size_t start = 0;
    for (std::size_t comma;; start = comma + 1) {
      comma = v.find(',', start);
      const std::size_t end = comma == std::string::npos ? v.size() : comma;
      if (end == start) throw InputError(fmt::format("{}: empty item in '{}'", flag, v));
      out.push_back(v.substr(start, end - start));
      if (comma == std::string::npos) break;
    }
  }
  return out;
}

std::optional<double> optional_number(const std::string& text, const char* flag, double min, double max) {
  if (text.empty()) return std::nullopt;
  return parse_number(text, flag, min, max);
}

std::optional<std::uint64_t> optional_integer(const std::string& text, const char* flag, std::uint64_t min,
                                              std::uint64_t max) {
  if (text.empty()) return std::nullopt;
  return parse_integer(text, flag, min, max);
}

std::optional<HardwareRequest> to_hardware(const HardwareOptions& o, bool& count_auto) {
  if (o.detect) {
    if (!o.detected) throw InternalError("--detect was not resolved before the hardware was built");
    HardwareRequest h = *o.detected;
    if (!o.ram.empty()) h.ram = parse_size(o.ram, "--ram");
    if (!o.cpu.empty()) h.cpu = o.cpu;
    h.threads = optional_integer(o.threads, "--threads", 1, k_max_threads);
    h.sockets = optional_integer(o.sockets, "--sockets", 1, k_max_sockets);
    h.bandwidth = bandwidth(o.bandwidth, "--bandwidth");
    h.ram_bandwidth = bandwidth(o.ram_bandwidth, "--ram-bandwidth");
    h.nodes = optional_integer(o.nodes, "--nodes", 1, k_max_nodes).value_or(1);
    h.link_bandwidth = bandwidth(o.link_bandwidth, "--link-bandwidth");
    if (!o.pcie.empty()) h.pcie = pcie_link(o.pcie);  // else the link nvidia-smi reported
    if (!o.gpu_memory.empty()) throw InputError("--gpu-memory: --detect reads each GPU's memory; drop one of them");
    if (!o.gpu_usable.empty())
      throw InputError(
          "--gpu-usable: --detect reads what each GPU may use (free memory, a Mac's wired limit); drop one of them");
    return h;
  }
  if (o.use_free) throw InputError("--use-free goes with --detect");
  const bool any = !o.gpu.empty() || !o.gpus.empty() || !o.vram.empty() || !o.ram.empty() || !o.cpu.empty() ||
                   !o.ram_bandwidth.empty();
  if (!any) {
    if (!o.count.empty()) throw InputError("--count needs --gpu NAME");
    // Parsed first so a bad value is named as such; then refused, since without hardware it does nothing.
    for (const auto& [text, flag] : {std::pair{&o.bandwidth, "--bandwidth"}, std::pair{&o.link_bandwidth, "--link-bandwidth"}}) {
      if (text->empty()) continue;
      (void)bandwidth(*text, flag);
      throw InputError(std::string(flag) + " goes with GPUs (--gpu, --gpus or --vram)");
    }
    if (!o.pcie.empty()) {
      (void)pcie_link(o.pcie);
      throw InputError("--pcie goes with GPUs (--gpu, --gpus or --vram)");
    }
    for (const auto& [text, flag] :
         {std::pair{&o.gpu_memory, "--gpu-memory"}, std::pair{&o.gpu_usable, "--gpu-usable"}}) {
      if (text->empty()) continue;
      (void)parse_size(*text, flag);
      throw InputError(std::string(flag) + " goes with --gpu or --gpus (the cards whose memory it sets)");
    }
    if (!o.nodes.empty()) {
      (void)optional_integer(o.nodes, "--nodes", 1, k_max_nodes);
      throw InputError("--nodes goes with GPUs (--gpu or --gpus)");
    }
    for (const auto& [text, flag, max] : {std::tuple{&o.threads, "--threads", k_max_threads},
                                          std::tuple{&o.sockets, "--sockets", k_max_sockets}}) {
      if (text->empty()) continue;
      (void)optional_integer(*text, flag, 1, max);
      throw InputError(std::string(flag) + " goes with hardware to run on (--cpu, --ram, --gpu, --gpus or --vram)");
    }
    return std::nullopt;
  }
  HardwareRequest h;
  const bool gpus_is_count = is_count(o.gpus);
  if (!o.count.empty() && gpus_is_count) throw InputError("give the count once: --count N or --gpus N");
  std::string count_text = gpus_is_count ? o.gpus : o.count;
  if (!o.gpu.empty() && !o.gpus.empty() && !gpus_is_count)
    throw InputError("use --gpu NAME --count N or --gpus LIST, not both");
  std::uint64_t count = 1;
  if (count_text == "auto") count_auto = true;
  else if (!count_text.empty()) count = parse_integer(count_text, gpus_is_count ? "--gpus" : "--count", 1, k_max_gpus_per_node);
  if (!o.gpu.empty()) {
    h.gpus.push_back({o.gpu, count});
  } else if (!o.vram.empty()) {
    if (count_auto) throw InputError("--count auto goes with --gpu NAME, not --vram");
    h.vram_count = count;
  } else if (!count_text.empty()) {
    throw InputError(std::string(gpus_is_count ? "--gpus " + o.gpus + " (a count)" : "--count") +
                     " goes with --gpu NAME or --vram SIZE (a list names its cards: --gpus 2xrtx3090,rtx4090)");
  }
  if (!o.gpus.empty() && !gpus_is_count) h.gpus = parse_gpu_list(o.gpus);
  if (!o.vram.empty()) h.vram = gpu_memory_size(o.vram, "--vram");
  if (!o.gpu_memory.empty()) {
    const Bytes size = gpu_memory_size(o.gpu_memory, "--gpu-memory");
    if (h.gpus.empty())
      throw InputError(h.vram ? "--gpu-memory sets the memory of --gpu or --gpus cards; --vram gives its own size"
                              : "--gpu-memory sets the memory of --gpu or --gpus cards, and none is given");
    for (auto& g : h.gpus) g.installed = size;
  }
  if (!o.gpu_usable.empty()) {
    const Bytes size = gpu_memory_size(o.gpu_usable, "--gpu-usable");
    if (h.gpus.empty())
      throw InputError(h.vram
                           ? "--gpu-usable sets what --gpu or --gpus cards may use of their memory; --vram gives "
                             "its own size"
                           : "--gpu-usable sets what --gpu or --gpus cards may use of their memory, and none is given");
    for (auto& g : h.gpus) g.usable = size;
  }
  h.bandwidth = bandwidth(o.bandwidth, "--bandwidth");
  if (!o.ram.empty()) h.ram = parse_size(o.ram, "--ram");
  h.cpu = o.cpu;
  h.threads = optional_integer(o.threads, "--threads", 1, k_max_threads);
  h.sockets = optional_integer(o.sockets, "--sockets", 1, k_max_sockets);
  h.ram_bandwidth = bandwidth(o.ram_bandwidth, "--ram-bandwidth");
  h.nodes = optional_integer(o.nodes, "--nodes", 1, k_max_nodes).value_or(1);
  h.link_bandwidth = bandwidth(o.link_bandwidth, "--link-bandwidth");
  h.pcie = pcie_link(o.pcie);
  return h;
}

CostRequest to_cost_request(const EstimateOptions& o) {
  CostRequest c;
  c.usd_per_gpu_hour = optional_number(o.price, "--price", 0, 1e6);
  c.purchase_usd_per_gpu = optional_number(o.purchase_price, "--purchase-price", 0, 1e9);
  c.host_usd_per_node = optional_number(o.host_price, "--host-price", 0, 1e9);
  if (!o.tokens_per_day.empty()) c.tokens_per_day = parse_amount(o.tokens_per_day, "--tokens-per-day", 1, 1e18);
  c.electricity_usd_per_kwh = optional_number(o.kwh_price, "--kwh-price", 0, 100);
  c.pue = optional_number(o.pue, "--pue", 1, 5);
  c.years = optional_number(o.years, "--years", 0.1, 50);
  c.maintenance_fraction_per_year = optional_number(o.maintenance, "--maintenance", 0, 1);
  return c;
}

/// --tensor-split "3,1,1" (llama-server) or "3/1/1" (llama-bench): one share per GPU.
std::vector<double> tensor_split_shares(const std::string& text) {
  std::vector<double> shares;
  if (text.empty()) return shares;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find_first_of(",/", start);
    shares.push_back(
        parse_number(text.substr(start, end == std::string::npos ? end : end - start), "--tensor-split", 0, 1e9));
    if (end == std::string::npos) return shares;
    start = end + 1;
  }
}

PlanRequest to_plan_request(const EstimateOptions& o, bool explain) {
  PlanRequest r;
  r.scenario = to_scenario(o);
  r.hardware = to_hardware(o.hw, r.count_auto);
  // Where dsplan chooses the split: --headroom's share of each GPU free, else llama.cpp's own
  // fitting's 1 GiB (LayoutRequest::fit_margin).
  if (const auto share = optional_number(o.headroom, "--headroom", 0, 0.9))
    r.layout.headroom = *share;
  else
    r.layout.fit_margin = k_llama_fit_margin;
  r.layout.gpu_layers = optional_integer(o.gpu_layers, "--gpu-layers", 0, 100'000);
  r.layout.offload_experts = o.offload_experts;
  r.layout.n_cpu_moe_auto = o.n_cpu_moe == "auto";
  if (!r.layout.n_cpu_moe_auto) r.layout.n_cpu_moe = optional_integer(o.n_cpu_moe, "--n-cpu-moe", 0, 100'000);
  r.layout.tensor_split = tensor_split_shares(o.tensor_split);
  r.scenario.layer_split_options =
      !o.gpu_layers.empty() || o.offload_experts || !o.n_cpu_moe.empty() || !o.tensor_split.empty();
  r.layout.tensor_parallel = optional_integer(o.tp, "--tp", 1, 4096);
  r.layout.pipeline_parallel = optional_integer(o.pp, "--pp", 1, 4096);
  r.layout.dp_attention = o.dp_attention;
  if (o.dp_attention && r.hardware && !r.count_auto) {
    std::uint64_t gpus = r.hardware->vram ? r.hardware->vram_count : 0;
    for (const auto& g : r.hardware->gpus) gpus += g.count;
    // A flag that would do nothing: one rank has nobody to split the users with.
    if (gpus * r.hardware->nodes == 1)
      throw InputError("--dp-attention splits the users over several GPUs; this plan has one (give --count N)");
  }
  r.layout.gpu_memory_utilization = optional_number(o.gpu_memory_utilization, "--gpu-memory-utilization", 0.01, 1.0);
  if (!o.prompt.empty()) r.prompt_tokens = parse_tokens(o.prompt, "--prompt", 1, k_max_context);
  if (!o.output.empty()) r.output_tokens = parse_tokens(o.output, "--output", 1, k_max_context);
  r.cost = to_cost_request(o);
  r.users = optional_integer(o.users, "--users", 1, 100'000'000);
  r.target_tokens_per_s = optional_number(o.target_tps, "--target-tps", 0.001, k_max_tokens_per_s_limit);
  if (r.target_tokens_per_s && !r.users) throw InputError("--target-tps goes with --users N");
  // --users finds the sequences per replica: a batch given beside it would be planned and then not launched.
  if (r.users && !o.batch.empty())
    throw InputError("--users plans the sequences per replica itself; give --users or --batch, not both");
  r.explain = explain;
  return r;
}

PlanResult plan_from_options(const Catalog& catalog, const EstimateOptions& o, bool explain) {
  const bool context_max = asks_context_max(o.context);
  if (!context_max) return run_plan(catalog, to_plan_request(o, explain));
  if (!o.users.empty()) throw InputError("--users plans a batch at one context; give --context N, not max");
  ContextSearchRequest r;
  r.base = to_plan_request(o, explain);
  r.kv_auto = o.kv_type == "auto";
  if (r.kv_auto) r.base.scenario.kv_type.clear();
  r.headroom = o.headroom.empty() ? k_default_headroom : r.base.layout.headroom;
  return find_max_context(catalog, r);
}

void add_hardware_options(CLI::App* sub, HardwareOptions& o) {
  sub->add_option("--gpu", o.gpu, "GPU from the catalog ('dsplan list gpus'), with --count")->group("Hardware");
  sub->add_option("--count", o.count, "How many --gpu per node, or 'auto' for the smallest count that fits")
      ->group("Hardware");
  sub->add_option("--gpus", o.gpus, "Mixed GPUs per node (2xrtx3090,rtx4090), or a count of --vram/--gpu cards")
      ->group("Hardware");
  sub->add_option(
         "--vram", o.vram,
         "A generic card of this size (24 = 24 GiB; 24GB = 24e9 B), modelled on the slowest catalog card of that size")
      ->group("Hardware");
  sub->add_option("--bandwidth", o.bandwidth, "GPU memory bandwidth in GB/s (overrides the catalog)")->group("Hardware");
  sub->add_option("--gpu-memory", o.gpu_memory,
                  "Each --gpu/--gpus card's memory, replacing the catalog's (64 = 64 GiB): a Mac's unified memory "
                  "(--gpu m4-max --gpu-memory 64), or a card's other memory size")
      ->group("Hardware");
  sub->add_option("--gpu-usable", o.gpu_usable,
                  "What of each --gpu/--gpus card's memory the GPU may use where the system sets a limit, replacing "
                  "the catalog's share: a Mac's wired limit (sudo sysctl iogpu.wired_limit_mb), a Ryzen AI Max's GTT "
                  "on Linux (amdgpu.gttsize): --gpu strix-halo --gpu-usable 124")
      ->group("Hardware");
  sub->add_option("--ram", o.ram, "System RAM (512 = 512 GiB) for layers or experts kept on the CPU")->group("Hardware");
  sub->add_option("--cpu", o.cpu, "CPU from the catalog ('dsplan list cpus'); default: a two-channel DDR5 desktop")
      ->group("Hardware");
  sub->add_option("--sockets", o.sockets,
                  "CPU sockets of --cpu's kind (a dual-socket server: 2); each adds memory channels and cores")
      ->group("Hardware");
  sub->add_option("--threads", o.threads,
                  "CPU threads for layers or experts in system RAM (llama.cpp -t); default: the CPU's physical "
                  "(performance) cores, as llama.cpp chooses")
      ->group("Hardware");
  sub->add_option("--ram-bandwidth", o.ram_bandwidth, "System memory bandwidth in GB/s, all sockets (overrides --cpu)")
      ->group("Hardware");
  sub->add_flag("--detect", o.detect,
                "Use this machine's GPUs, RAM and CPU (nvidia-smi, rocm-smi, macOS sysctl, /proc; see 'dsplan detect')")
      ->group("Hardware");
  sub->add_flag("--use-free", o.use_free, "With --detect: plan on free GPU memory and available RAM, not the totals")
      ->group("Hardware");
  sub->add_option("--nodes", o.nodes, "Nodes, each with the GPUs above (default 1)")->group("Hardware");
  sub->add_option("--link-bandwidth", o.link_bandwidth, "GPU-to-GPU bandwidth in GB/s per direction (NVLink/PCIe)")
      ->group("Hardware");
  sub->add_option("--pcie", o.pcie,
                  "The PCIe link the slots give the GPUs, GEN or GENxLANES (e.g. 4x8; a card runs at the lower of "
                  "this and its own); sets how fast llama.cpp streams weights in RAM to the GPU")
      ->group("Hardware");
}

namespace {

void add_layout_options(CLI::App* sub, EstimateOptions& o) {
  sub->add_option("--gpu-layers,--ngl", o.gpu_layers,
                  "llama.cpp -ngl: blocks on GPUs (blocks + 1 includes the output layer); default: as many as fit")
      ->group("Layout");
  sub->add_flag("--offload-experts", o.offload_experts,
                "Keep routed experts in system RAM, the rest on GPUs (llama.cpp -ot exps=CPU)")
      ->group("Layout");
  sub->add_option("--n-cpu-moe", o.n_cpu_moe,
                  "llama.cpp --n-cpu-moe: keep the routed experts of the first N blocks in system RAM, the rest on "
                  "GPUs; auto: the fewest N that lets every block sit on the GPUs")
      ->group("Layout");
  sub->add_option("--tensor-split,--ts", o.tensor_split,
                  "llama.cpp -ts: each GPU's share of the layers on GPUs, in --gpus order (3,1); default: in "
                  "proportion to free memory")
      ->group("Layout");
  sub->add_option("--tp", o.tp, "vLLM/SGLang tensor-parallel size (default: GPUs per node)")->group("Layout");
  sub->add_option("--pp", o.pp, "vLLM/SGLang pipeline-parallel size (default: nodes)")->group("Layout");
  sub->add_flag("--dp-attention", o.dp_attention,
                "Data-parallel attention over the TP ranks (SGLang --enable-dp-attention, vLLM --data-parallel-size): "
                "each GPU holds the whole attention and caches only its own sequences, so MLA models hold tp times "
                "as many")
      ->group("Layout");
  sub->add_option("--gpu-memory-utilization", o.gpu_memory_utilization,
                  "Fraction of each GPU vLLM/SGLang may claim (default 0.9 / 0.88)")
      ->group("Layout");
}

void add_scenario_options(CLI::App* sub, EstimateOptions& o, bool quant) {
  sub->add_option("--model-file", o.model_file,
                  "Size this file: a .gguf (a split set from any part), .safetensors, a checkpoint directory, an "
                  "https:// URL or hf:OWNER/REPO/FILE; its exact tensors replace --quant");
  if (quant)
    sub->add_option("-q,--quant", o.quant, "Quant format (default: the model's native dtype; see 'dsplan list quants')");
  sub->add_option(
      "-e,--engine", o.engine,
      "llama.cpp, ik_llama.cpp, ollama, vllm, sglang, transformers (default: the first engine that loads the quant)");
  sub->add_option("-c,--context", o.context,
                  "Tokens per sequence: 4096, 32k, 128k, or 'max' for the largest that fits (default 4096, or the "
                  "model's window when shorter)");
  sub->add_option("-b,--batch", o.batch, "Sequences in flight at once, each with --context tokens (default 1)");
  sub->add_option("--kv-type,--cache-type", o.kv_type,
                  "KV cache type: f16, bf16, q8_0, q4_0, fp8 (default: the engine's); with --context max, 'auto' "
                  "also tries the engine's smaller types for the most context");
  sub->add_option("--ubatch", o.ubatch, "Tokens per forward pass (llama.cpp -ub; vLLM max_num_batched_tokens)");
  sub->add_flag("--legacy-mla-gguf", o.legacy_mla_gguf,
                "DeepSeek-V3/R1 GGUF converted before April 2025 (attn_kv_b whole): llama.cpp caches expanded K/V");
  sub->add_option("--imatrix", o.imatrix,
                  "on/off: the GGUF was quantized with an importance matrix (changes Q4_0, Q5_0, IQ4_XS, IQ4_NL, "
                  "IQ3_XXS files; default: off where llama-quantize makes the format without one)")
      ->type_name("on|off");
  sub->add_flag("--no-flash-attn", o.no_flash_attn, "Attention without flash attention (llama.cpp -fa off)");
  sub->add_flag("--no-mmap", o.no_mmap,
                "llama.cpp --no-mmap: weights kept in RAM are read into pinned memory, which the GPU copies from "
                "about twice as fast in prompt processing (default: mapped, as llama.cpp)");
  sub->add_flag("--no-op-offload", o.no_op_offload,
                "llama.cpp --no-op-offload: the CPU computes the prompt's work on weights kept in RAM instead of "
                "copying them to the GPU for each micro-batch (default: copied from 32 tokens, as llama.cpp)");
  sub->add_option("--build-date", o.build_date,
                  "Speeds of an older engine build (YYYY-MM or YYYY-MM-DD; llama.cpp, Ollama); default: current builds")
      ->type_name("DATE");
  sub->add_option("--mtp", o.mtp,
                  "Speculative decoding with the model's MTP module, N draft tokens per step (vLLM, SGLang; "
                  "DeepSeek-V3/R1, V3.2 and V4)")
      ->type_name("N");
  sub->add_option("--mla-cache", o.mla_cache,
                  "DeepSeek MLA cache layout: engine (default), latent, latent+v (llama.cpp builds Apr 2025 - Jan 2026), "
                  "expanded");
}

}  // namespace

bool asks_context_max(const std::string& text) { return to_lower(text) == "max"; }

void warn_if_cost_flags_unused(const EstimateOptions& o, std::string_view subject, Context& ctx) {
  const bool given = !o.kwh_price.empty() || !o.pue.empty() || !o.years.empty() || !o.maintenance.empty() ||
                     !o.purchase_price.empty() || !o.host_price.empty() || !o.tokens_per_day.empty();
  if (given)
    ctx.warnings.push_back(fmt::format(
        "the cost flags change nothing here: {} no price on this hardware (a %vram% card has none); give %gpu% NAME "
        "for a catalog card's price, or %purchase_price% USD per GPU",
        subject));
}

void add_cost_flags(CLI::App* sub, EstimateOptions& o) {
  sub->add_option("--price", o.price, "Cloud price in USD per GPU-hour (default: the catalog's cheapest)")->group("Cost");
  sub->add_option("--purchase-price", o.purchase_price, "Purchase price in USD per GPU (default: the catalog's)")
      ->group("Cost");
  sub->add_option("--host-price", o.host_price,
                  "Host price in USD per node: CPU, RAM, disks, board, chassis, PSU (default: the catalog's parts)")
      ->group("Cost");
  sub->add_option("--tokens-per-day", o.tokens_per_day, "Output tokens per day for monthly costs (default: 24 h of use)")
      ->group("Cost");
  sub->add_option("--kwh-price", o.kwh_price, "Electricity in USD per kWh (default 0.16, US 2023)")->group("Cost");
  sub->add_option("--pue", o.pue, "Power usage effectiveness (default 1.0 desk-side, 1.56 with HBM data-center GPUs)")
      ->group("Cost");
  sub->add_option("--years", o.years, "Amortization and TCO horizon in years (default 5)")->group("Cost");
  sub->add_option("--maintenance", o.maintenance, "Maintenance per year as a fraction of the purchase (default 0.10)")
      ->group("Cost");
}

void add_estimate_options(CLI::App* sub, EstimateOptions& o, EstimateOptionSet set) {
  add_scenario_options(sub, o, set.quant);
  add_hardware_options(sub, o.hw);
  add_layout_options(sub, o);
  sub->add_option("--prompt", o.prompt, "Prompt tokens for prefill and time to first token (default: context / 2)")
      ->group("Throughput");
  sub->add_option("--output", o.output, "Generated tokens per request (default: the rest of the context)")
      ->group("Throughput");
  sub->add_option("--headroom", o.headroom,
                  "Share of each GPU left free where dsplan chooses the split (layers on GPUs with --ram, --n-cpu-moe "
                  "auto) and, with --context max, on every device; 0-0.9 (default 0.05)")
      ->group("Layout");
  if (set.cost) add_cost_flags(sub, o);
  if (!set.capacity) return;
  sub->add_option("--users", o.users, "Concurrent users to serve: how many replicas and GPUs")->group("Capacity");
  sub->add_option("--target-tps", o.target_tps, "Tokens per second each user needs (with --users)")->group("Capacity");
}


}  // namespace dsplan::cli
