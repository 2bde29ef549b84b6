// Setting markers in messages, and their wording.
#include "dsplan/base/setting.hpp"

#include <array>

namespace dsplan {
namespace {

constexpr std::array<EnumName<Setting>, 64> k_settings{{
    {Setting::gpu, "gpu", "the GPU model (one kind)"},
    {Setting::gpus, "gpus", "a list of GPUs, possibly mixed"},
    {Setting::vram, "vram", "a generic GPU by its memory"},
    {Setting::count, "count", "how many GPUs, or auto"},
    {Setting::nodes, "nodes", "how many machines the GPUs span"},
    {Setting::ram, "ram", "system RAM"},
    {Setting::cpu, "cpu", "the host CPU"},
    {Setting::sockets, "sockets", "CPU sockets (NUMA nodes) of the host"},
    {Setting::threads, "threads", "CPU threads the engine computes with (llama.cpp -t)"},
    {Setting::bandwidth, "bandwidth", "a generic GPU's memory bandwidth"},
    {Setting::pcie, "pcie", "the PCIe link each GPU has to the host (generation and lanes)"},
    {Setting::cloud, "cloud", "rent the GPUs instead of using your own"},
    {Setting::quant, "quant", "the weight format (a quant or the native dtype)"},
    {Setting::engine, "engine", "the inference engine"},
    {Setting::context, "context", "the context length, or max"},
    {Setting::prompt, "prompt", "prompt tokens per request"},
    {Setting::output, "output", "generated tokens per request"},
    {Setting::users, "users", "concurrent users"},
    {Setting::target_tps, "target_tps", "tokens per second each user needs"},
    {Setting::sweep, "sweep", "a sweep over a setting"},
    {Setting::tokens, "tokens", "training tokens"},
    {Setting::tp, "tp", "tensor-parallel size"},
    {Setting::pp, "pp", "pipeline-parallel size"},
    {Setting::ep, "ep", "expert-parallel size"},
    {Setting::dp_attention, "dp_attention", "data-parallel attention over the tensor-parallel ranks"},
    {Setting::gpu_layers, "gpu_layers", "blocks on the GPUs (llama.cpp -ngl)"},
    {Setting::offload_experts, "offload_experts", "routed experts in system RAM"},
    {Setting::n_cpu_moe, "n_cpu_moe",
     "blocks, from the first, whose routed experts stay in system RAM (llama.cpp --n-cpu-moe)"},
    {Setting::tensor_split, "tensor_split", "each GPU's share of the layers on GPUs (llama.cpp -ts)"},
    {Setting::kv_type, "kv_type", "the KV cache's element type"},
    {Setting::mla_cache, "mla_cache", "the MLA cache layout"},
    {Setting::ubatch, "ubatch", "tokens per forward pass (llama.cpp -ub)"},
    {Setting::legacy_mla_gguf, "legacy_mla_gguf", "a GGUF with the legacy attn_kv_b tensor"},
    {Setting::imatrix, "imatrix", "whether the GGUF was quantized with an importance matrix"},
    {Setting::model_file, "model_file", "a model file whose exact tensors replace the quant format"},
    {Setting::no_flash_attn, "no_flash_attn", "flash attention off"},
    {Setting::no_mmap, "no_mmap", "the weights read into pinned memory instead of mapped (llama.cpp --no-mmap)"},
    {Setting::no_op_offload, "no_op_offload",
     "the prompt's work on weights kept in RAM computed by the CPU, not copied to the GPU (llama.cpp --no-op-offload)"},
    {Setting::mtp, "mtp", "MTP draft tokens per step"},
    {Setting::build_date, "build_date", "the engine build the speeds describe"},
    {Setting::gpu_memory_utilization, "gpu_memory_utilization", "the share of each GPU a serving engine takes"},
    {Setting::gpu_memory, "gpu_memory", "each named card's memory (a Mac's installed memory)"},
    {Setting::gpu_usable, "gpu_usable",
     "what of each named card's memory its runtime may use (a Mac's GPU wired limit, Strix Halo's GTT)"},
    {Setting::price, "price", "USD per GPU-hour"},
    {Setting::host_price, "host_price", "the host's purchase price"},
    {Setting::purchase_price, "purchase_price", "a GPU's purchase price"},
    {Setting::budget_usd, "budget_usd", "a monthly budget"},
    {Setting::max_usd_per_mtok, "max_usd_per_mtok", "a cost limit per million tokens"},
    {Setting::tokens_per_day, "tokens_per_day", "output tokens a day (demand)"},
    {Setting::kwh_price, "kwh_price", "electricity, USD per kWh"},
    {Setting::pue, "pue", "power usage effectiveness"},
    {Setting::years, "years", "amortization horizon"},
    {Setting::maintenance, "maintenance", "maintenance per year, a share of the purchase"},
    {Setting::rank, "rank", "the LoRA rank"},
    {Setting::zero, "zero", "the ZeRO stage"},
    {Setting::fsdp_qlora, "fsdp_qlora", "4-bit weights stored in bf16 containers (FSDP-QLoRA)"},
    {Setting::fused_loss, "fused_loss", "a fused cross-entropy loss"},
    {Setting::checkpointing, "checkpointing", "activation checkpointing"},
    {Setting::optimizer, "optimizer", "the optimizer"},
    {Setting::precision, "precision", "the training precision"},
    {Setting::mfu, "mfu", "the model FLOPs utilization"},
    {Setting::seq, "seq", "the training sequence length"},
    {Setting::micro_batch, "micro_batch", "the micro-batch size"},
    {Setting::global_batch, "global_batch", "the global batch size"},
}};

}  // namespace

std::span<const EnumName<Setting>> setting_names() { return k_settings; }

std::string setting_marker(Setting s) {
  std::string marker = "%";
  marker.append(name_in<Setting>(k_settings, s));
  marker += '%';
  return marker;
}

std::string word_settings(std::string_view text, const std::function<std::string(Setting)>& spell) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t open = text.find('%', i);
    if (open == std::string_view::npos) break;
    const std::size_t close = text.find('%', open + 1);
    if (close == std::string_view::npos) break;
    const auto setting = parse_name<Setting>(k_settings, text.substr(open + 1, close - open - 1));
    if (!setting) {  // a percent sign of the text ("90% of it"): keep it, look again from there
      out.append(text.substr(i, open + 1 - i));
      i = open + 1;
      continue;
    }
    out.append(text.substr(i, open - i));
    out += spell(*setting);
    i = close + 1;
  }
  out.append(text.substr(i));
  return out;
}

std::string word_settings(std::string_view text) {
  return word_settings(text, [](Setting s) { return std::string(name_in<Setting>(k_settings, s)); });
}

}  // namespace dsplan
