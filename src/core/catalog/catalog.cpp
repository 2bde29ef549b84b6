// Catalog lookups: by id, alias or display name, case-insensitive; errors carry suggestions.
#include "dsplan/catalog/catalog.hpp"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <map>
#include <string>

#include "dsplan/base/error.hpp"
#include "dsplan/base/text.hpp"

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

/// The loose form of a name: lower case, only letters, digits, dots and colons, vendor words
/// dropped, "GB" after a digit read as "G". "RTX 4090" and "NVIDIA GeForce RTX 4090" both become
/// "rtx4090", "h100-80gb" becomes "h10080g" (the alias h100-80g), "Q4-K-M" becomes "q4km".
std::string loose(std::string_view name) {
  static constexpr std::string_view k_vendor_words[] = {"nvidia", "geforce", "amd"};
  std::string out;
  std::string word;
  const auto flush = [&] {
    if (std::find(std::begin(k_vendor_words), std::end(k_vendor_words), word) == std::end(k_vendor_words)) out += word;
    word.clear();
  };
  for (const char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '.' || c == ':') word += static_cast<char>(std::tolower(byte));
    else flush();
  }
  flush();
  for (std::size_t i = 1; i + 1 < out.size(); ++i)
    if (std::isdigit(static_cast<unsigned char>(out[i - 1])) && out[i] == 'g' && out[i + 1] == 'b') out.erase(i + 1, 1);
  return out;
}

template <typename T>
bool has_loose_name(const T& item, std::string_view key) {
  if (loose(item.id) == key || loose(item.name) == key) return true;
  for (const auto& alias : item.aliases)
    if (loose(alias) == key) return true;
  return false;
}

/// Exact (case-insensitive) id, name or alias first; then the loose form, when it names one entry only.
template <typename T>
const T* find_in(const std::vector<T>& items, std::string_view name) {
  // Ids from the catalog itself (the search looks GPUs and CPUs up thousands of times) match
  // exactly; names are unique across entries, so no other entry can claim this one first.
  for (const auto& item : items)
    if (item.id == name) return &item;
  for (const auto& item : items)
    if (has_name(item, name)) return &item;
  const std::string key = loose(name);
  if (key.empty()) return nullptr;
  const T* found = nullptr;
  for (const auto& item : items) {
    if (!has_loose_name(item, key)) continue;
    if (found) return nullptr;  // ambiguous: let the caller list the candidates
    found = &item;
  }
  return found;
}

template <typename T>
[[noreturn]] void unknown(const std::vector<T>& items, std::string_view kind, std::string_view name,
                          std::string_view list_hint) {
  std::vector<std::string> candidates;
  std::map<std::string, std::string> id_of;  // one spelling per entry: the closest of its id and aliases
  for (const auto& item : items) {
    candidates.push_back(item.id);
    id_of[item.id] = item.id;
    for (const auto& alias : item.aliases) {
      candidates.push_back(alias);
      id_of.emplace(alias, item.id);
    }
  }
  std::string message = "unknown " + std::string(kind) + " '" + std::string(name) + "'";
  std::vector<std::string> close, entries;
  for (const auto& c : closest_names(name, candidates, candidates.size()))
    if (const auto& id = id_of.at(c);
        std::find(entries.begin(), entries.end(), id) == entries.end() && close.size() < 4) {
      entries.push_back(id);
      close.push_back(c);
    }
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

const UnmodelledFile* Catalog::find_unmodelled_file(std::string_view model_id, std::string_view name) const {
  const std::string wanted = to_lower(name);
  for (const auto& f : unmodelled_files) {
    if (!model_id.empty() && f.model != model_id) continue;
    const std::string file = to_lower(f.file);
    if (wanted == file || "ud-" + wanted == file) return &f;
  }
  return nullptr;
}

std::string unmodelled_file_error(const UnmodelledFile& f) {
  return "unsloth's " + f.file + " of " + f.model +
         " follows a per-tensor recipe that was never published, so dsplan has no format for it (" +
         (f.published_size.empty() ? "no size was published" : "published: " + f.published_size) +
         "); size the file exactly from its header: %model_file% hf:" + f.hf + " (range requests read a few MB)";
}
const EngineSpec* Catalog::find_engine(std::string_view name) const { return find_in(engines, name); }
namespace {
/// A lookup in data a model-only load skipped would answer "unknown" when the truth is "not loaded".
void require_hardware_data(const Catalog& c) {
  if (!c.has_hardware_data) throw InternalError("catalog loaded for model data only, but hardware data was used");
}
}  // namespace

const GpuSpec* Catalog::find_gpu(std::string_view name) const {
  require_hardware_data(*this);
  return find_in(gpus, name);
}
const GpuSpec* Catalog::gpu_by_id(std::string_view id) const {
  require_hardware_data(*this);
  for (const auto& g : gpus)
    if (g.id == id) return &g;
  return nullptr;
}

const CloudPrice* Catalog::cheapest_cloud_price(std::string_view gpu) const {
  require_hardware_data(*this);
  const CloudPrice* best = nullptr;
  for (const auto& p : cloud_prices)
    if (p.gpu == gpu && p.usd_per_gpu_hour > 0 && (!best || p.usd_per_gpu_hour < best->usd_per_gpu_hour)) best = &p;
  return best;
}
CloudPriceMatch Catalog::cloud_price_for(std::string_view gpu, CloudShape shape) const {
  const CloudPrice* best = nullptr;
  for (const auto& p : cloud_prices) {
    const bool fits = p.max_gpus_per_instance >= shape.gpus_per_instance && (p.multi_node || !shape.multi_node);
    if (p.gpu == gpu && p.usd_per_gpu_hour > 0 && fits && (!best || p.usd_per_gpu_hour < best->usd_per_gpu_hour))
      best = &p;
  }
  if (best) return {best, true};
  // No offering rents the shape: the nearest, the one whose instances hold the most of the GPUs
  // asked for (then the cheapest), not a one-GPU marketplace listing for a multi-node job.
  const auto covers = [&](const CloudPrice& p) { return std::min(p.max_gpus_per_instance, shape.gpus_per_instance); };
  for (const auto& p : cloud_prices)
    if (p.gpu == gpu && p.usd_per_gpu_hour > 0 &&
        (!best || covers(p) > covers(*best) ||
         (covers(p) == covers(*best) && p.usd_per_gpu_hour < best->usd_per_gpu_hour)))
      best = &p;
  return {best, false};
}
const CpuSpec* Catalog::find_cpu(std::string_view name) const {
  require_hardware_data(*this);
  return find_in(cpus, name);
}
const TaskSpec* Catalog::find_task(std::string_view name) const {
  require_hardware_data(*this);
  return find_in(tasks, name);
}
const BlockType* Catalog::find_block_type(std::string_view id) const {
  for (const auto& b : block_types)
    if (b.id == id) return &b;
  return nullptr;
}

const SpeedBand* Catalog::find_speed_band(std::string_view id) const {
  require_hardware_data(*this);
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
  if (const auto* f = find_unmodelled_file("", name)) {
    std::vector<std::string> of;
    for (const auto& other : unmodelled_files)
      if (to_lower(other.file) == to_lower(f->file)) of.push_back(other.model);
    if (of.size() == 1) throw InputError(unmodelled_file_error(*f));
    throw InputError("unsloth's " + f->file + " files (of " + join(of) +
                     ") follow per-tensor recipes that were never published, so dsplan has no format for them; "
                     "size one exactly from its header, e.g. %model_file% hf:" +
                     f->hf + " ('dsplan list quants' lists them)");
  }
  // "1.58bit", "2-bit": formats are named by type, not by their bits per weight.
  const bool by_bits = to_lower(name).find("bit") != std::string::npos;
  unknown(quants, "quant", name,
          by_bits ? "formats are named by type, not bits (Unsloth's '1.58-bit' DeepSeek-R1 is ud-iq1_s; "
                    "'2-bit' is iq2_xxs, iq2_m or q2_k); 'dsplan list quants' shows all"
                  : "'dsplan list quants' shows all");
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

const HostPrice* HostPrices::find(const std::vector<HostPrice>& list, std::string_view key) const {
  for (const auto& p : list)
    if (p.key == key) return &p;
  return nullptr;
}

}  // namespace dsplan
