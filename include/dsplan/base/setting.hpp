// The request settings the library's messages refer to ("give the system RAM", "a fixed GPU count").
// The library does not know how a front end spells them: a message names a setting with a marker,
// `%ram%`, and the front end words it — the CLI as its flag (`--ram`), `word_settings` by default
// as the setting's name. Reasons, notes and errors stay values the caller words.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "dsplan/base/names.hpp"

namespace dsplan {

// clang-format off
enum class Setting : std::uint8_t {
  gpu, gpus, vram, count, nodes, ram, cpu, sockets, threads, bandwidth, pcie, cloud,  // hardware
  quant, engine,                                                                     // what runs
  context, prompt, output, users, target_tps, sweep, tokens,                         // workload
  tp, pp, ep, dp_attention, gpu_layers, offload_experts, n_cpu_moe, tensor_split, kv_type, mla_cache,     // engine set-up
  ubatch,
  legacy_mla_gguf, imatrix,
  model_file, no_flash_attn, no_mmap, no_op_offload, mtp, build_date,
  gpu_memory_utilization, gpu_memory, gpu_usable,
  price, host_price, purchase_price, budget_usd, max_usd_per_mtok,                   // money
  tokens_per_day, kwh_price, pue, years, maintenance,
  rank, zero, fsdp_qlora, fused_loss, checkpointing, optimizer, precision, mfu,      // training
  seq, micro_batch, global_batch,
};
// clang-format on

/// Every setting with its name (the marker's text) and what it holds.
[[nodiscard]] std::span<const EnumName<Setting>> setting_names();

/// The marker a message carries for `s`: "%ram%".
[[nodiscard]] std::string setting_marker(Setting s);

/// `text` with each marker of a known setting replaced by spell(setting); any other text unchanged.
[[nodiscard]] std::string word_settings(std::string_view text, const std::function<std::string(Setting)>& spell);

/// `text` worded with the settings' own names ("ram", "gpu_layers"), for callers without a CLI.
[[nodiscard]] std::string word_settings(std::string_view text);

}  // namespace dsplan
