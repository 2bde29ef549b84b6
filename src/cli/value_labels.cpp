// One table of option value labels: dsplan parses every value itself (units, 'auto', lists), so
// CLI11 sees strings and would label them all TEXT.
#include "cli/value_labels.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include <CLI/CLI.hpp>

#include "cli/parse_units.hpp"
#include "dsplan/recommend/recommend.hpp"
#include "dsplan/scenario/scenario.hpp"
#include "dsplan/training/training.hpp"

namespace dsplan::cli {

namespace {

using Label = std::pair<std::string_view, std::string_view>;

/// By the option's first long name (positionals by their name), sorted for the lookup; options
/// with enumerated values are labelled from option_choices instead.
constexpr auto k_labels = std::to_array<Label>({
    {"--bandwidth", "GB/s"},
    {"--batch", "N"},
    {"--budget-usd", "USD"},
    {"--context", "TOKENS|max"},
    {"--count", "N|auto"},
    {"--cpu", "CPU"},
    {"--engine", "ENGINE"},
    {"--ep", "N"},
    {"--global-batch", "N"},
    {"--gpu", "GPU"},
    {"--gpu-layers", "N"},
    {"--gpu-memory", "GiB"},
    {"--gpu-memory-utilization", "FRACTION"},
    {"--gpu-usable", "GiB"},
    {"--gpus", "GPU,...|N"},
    {"--headroom", "FRACTION"},
    {"--host-price", "USD"},
    {"--kv-type", "TYPE"},
    {"--kwh-price", "USD"},
    {"--latency-ms", "MS"},
    {"--link-bandwidth", "GB/s"},
    {"--maintenance", "FRACTION"},
    {"--max-gpus", "N"},
    {"--max-memory-fraction", "FRACTION"},
    {"--max-ttft-ms", "MS"},
    {"--max-usd-per-mtok", "USD"},
    {"--mfu", "FRACTION"},
    {"--micro-batch", "N"},
    {"--min-tps", "TOKENS/S"},
    {"--model", "MODEL"},
    {"--model-file", "FILE"},
    {"--models", "MODEL"},
    {"--n-cpu-moe", "N|auto"},
    {"--nodes", "N"},
    {"--output", "TOKENS"},
    {"--pcie", "GEN[xLANES]"},
    {"--pp", "N"},
    {"--price", "USD"},
    {"--prompt", "TOKENS"},
    {"--pue", "X"},
    {"--purchase-price", "USD"},
    {"--quant", "QUANT"},
    {"--quants", "QUANT"},
    {"--ram", "GiB"},
    {"--ram-bandwidth", "GB/s"},
    {"--rank", "N"},
    {"--seq", "TOKENS"},
    {"--sockets", "N"},
    {"--sweep", "context"},
    {"--target-tps", "TOKENS/S"},
    {"--task", "TASK"},
    {"--tensor-split", "A,B,..."},
    {"--threads", "N"},
    {"--tokens", "TOKENS"},
    {"--tokens-per-day", "TOKENS"},
    {"--tp", "N"},
    {"--ubatch", "N"},
    {"--users", "N"},
    {"--vram", "GiB"},
    {"--years", "YEARS"},
    {"--zero", "0-3"},
    {"model", "MODEL"},
    {"models", "MODEL"},
    {"path", "PATH"},
    {"shell", "bash|zsh|man"},
    {"what", "KIND"},
});

static_assert(std::is_sorted(k_labels.begin(), k_labels.end()));

}  // namespace

const std::vector<std::pair<std::string_view, std::string>>& option_choices() {
  static const std::vector<std::pair<std::string_view, std::string>> choices{
      {"--mla-cache", spellings<MlaCacheOverride>(k_mla_cache_overrides)},
      {"--method", spellings<TrainMethod>(k_train_methods)},
      {"--targets", spellings<LoraTargets>(k_lora_targets)},
      {"--checkpointing", spellings<Checkpointing>(k_checkpointings)},
      {"--optimizer", spellings<Optimizer>(k_optimizers)},
      {"--precision", spellings<ComputePrecision>(k_precisions)},
      {"--prefer", spellings<Preference>(k_preferences)},
      {"--budget-period", spellings<BudgetPeriod>(k_budget_periods)}};
  return choices;
}

std::string_view value_label(std::string_view name) {
  const auto it = std::lower_bound(k_labels.begin(), k_labels.end(), name,
                                   [](const Label& l, std::string_view n) { return l.first < n; });
  return it != k_labels.end() && it->first == name ? it->second : std::string_view();
}

void label_option_values(CLI::App& app) {
  for (CLI::Option* o : app.get_options()) {
    if (o->get_type_name() != "TEXT") continue;
    const std::string name = o->get_lnames().empty() ? o->get_name() : "--" + o->get_lnames().front();
    const auto& choices = option_choices();
    const auto choice = std::find_if(choices.begin(), choices.end(), [&](const auto& c) { return c.first == name; });
    std::string label(choice != choices.end() ? choice->second : value_label(name));
    std::replace(label.begin(), label.end(), ' ', '|');  // "full lora qlora" -> "full|lora|qlora"
    if (!label.empty()) o->type_name(label);
  }
  for (CLI::App* sub : app.get_subcommands({})) label_option_values(*sub);
}

}  // namespace dsplan::cli
