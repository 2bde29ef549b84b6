// Catalog lookups: by id, alias or display name, case-insensitive; errors carry suggestions.
#include "dsplan/catalog.hpp"

#include <cctype>
#include <string>

#include "dsplan/error.hpp"
#include "dsplan/text.hpp"

namespace dsplan {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto x = static_cast<unsigned char>(a[i]);
    const auto y = static_cast<unsigned char>(b[i]);
    if (std::tolower(x) != std::tolower(y)) return false;
  }
  return true;
}

template <typename T>
bool has_name(const T& item, std::string_view name) {
  if (iequals(item.id, name) || iequals(item.name, name)) return true;
  for (const auto& alias : item.aliases)
    if (iequals(alias, name)) return true;
  return false;
}

template <typename T>
const T* find_in(const std::vector<T>& items, std::string_view name) {
  for (const auto& item : items)
    if (has_name(item, name)) return &item;
  return nullptr;
}

template <typename T>
[[noreturn]] void unknown(const std::vector<T>& items, std::string_view kind, std::string_view name,
                          std::string_view list_hint) {
  std::vector<std::string> candidates;
  for (const auto& item : items) {
    candidates.push_back(item.id);
    for (const auto& alias : item.aliases) candidates.push_back(alias);
  }
  std::string message = "unknown " + std::string(kind) + " '" + std::string(name) + "'";
  const auto close = closest_names(name, candidates);
  if (!close.empty()) {
    message += " (did you mean: ";
    for (std::size_t i = 0; i < close.size(); ++i) message += (i ? ", " : "") + close[i];
    message += "?)";
  }
  message += "; " + std::string(list_hint);
  throw InputError(message);
}

}  // namespace

std::string EngineSpec::source(const std::string& topic) const {
  const auto it = sources.find(topic);
  if (it != sources.end()) return it->second;
  std::string all;
  for (const auto& [key, text] : sources) all += (all.empty() ? "" : "; ") + text;
  return all;
}

const ModelSpec* Catalog::find_model(std::string_view name) const {
  if (const auto* m = find_in(models, name)) return m;
  for (const auto& m : models)  // "deepseek-ai/DeepSeek-R1" works too
    if (iequals(m.hf_repo, name)) return &m;
  return nullptr;
}
const QuantFormat* Catalog::find_quant(std::string_view name) const { return find_in(quants, name); }
const EngineSpec* Catalog::find_engine(std::string_view name) const { return find_in(engines, name); }
const GpuSpec* Catalog::find_gpu(std::string_view name) const { return find_in(gpus, name); }

const CloudPrice* Catalog::cheapest_cloud_price(std::string_view gpu) const {
  const CloudPrice* best = nullptr;
  for (const auto& p : cloud_prices)
    if (p.gpu == gpu && p.usd_per_gpu_hour > 0 && (!best || p.usd_per_gpu_hour < best->usd_per_gpu_hour)) best = &p;
  return best;
}
const CpuSpec* Catalog::find_cpu(std::string_view name) const { return find_in(cpus, name); }
const TaskSpec* Catalog::find_task(std::string_view name) const { return find_in(tasks, name); }
const BlockType* Catalog::find_block_type(std::string_view id) const {
  for (const auto& b : block_types)
    if (b.id == id) return &b;
  return nullptr;
}

const SpeedBand* Catalog::find_speed_band(std::string_view id) const {
  for (const auto& b : speed_bands)
    if (b.id == id) return &b;
  return nullptr;
}

std::optional<std::size_t> Catalog::block_type_index(std::string_view id) const {
  for (std::size_t i = 0; i < block_types.size(); ++i)
    if (block_types[i].id == id) return i;
  return std::nullopt;
}

const ModelSpec& Catalog::require_model(std::string_view name) const {
  if (const auto* m = find_model(name)) return *m;
  unknown(models, "model", name, "'dsplan list models' shows all");
}
const QuantFormat& Catalog::require_quant(std::string_view name) const {
  if (const auto* q = find_quant(name)) return *q;
  unknown(quants, "quant", name, "'dsplan list quants' shows all");
}
const EngineSpec& Catalog::require_engine(std::string_view name) const {
  if (const auto* e = find_engine(name)) return *e;
  unknown(engines, "engine", name, "'dsplan list engines' shows all");
}
const GpuSpec& Catalog::require_gpu(std::string_view name) const {
  if (const auto* g = find_gpu(name)) return *g;
  unknown(gpus, "GPU", name, "'dsplan list gpus' shows all");
}
const CpuSpec& Catalog::require_cpu(std::string_view name) const {
  if (const auto* c = find_cpu(name)) return *c;
  unknown(cpus, "CPU", name, "'dsplan list cpus' shows all");
}
const TaskSpec& Catalog::require_task(std::string_view name) const {
  if (const auto* t = find_task(name)) return *t;
  unknown(tasks, "task", name, "'dsplan list tasks' shows all");
}
const BlockType& Catalog::require_block_type(std::string_view id) const {
  if (const auto* b = find_block_type(id)) return *b;
  throw InternalError("block type '" + std::string(id) + "' missing after catalog validation");
}

}  // namespace dsplan
