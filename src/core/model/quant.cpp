// Per-tensor storage types: container rules, the format's ordered rules (llama.cpp's
// llama_tensor_get_type as data), shape fallbacks, and exact bytes per tensor.
//
// Blocks repeat a few layouts, so each (layout, tensor) slot is resolved once: most get a type
// that no block position can change; only slots whose rules read the block index or a
// per-category counter (use_more_bits, first_eighth, ...) are evaluated block by block.
#include "dsplan/model/quant.hpp"

#include <algorithm>
#include <array>
#include <optional>

#include "core/model/tensor_tags.hpp"
#include "dsplan/base/error.hpp"
#include "dsplan/base/text.hpp"
#include "dsplan/files/file_weights.hpp"
#include "dsplan/scenario/scenario.hpp"

namespace dsplan {

using detail::LlamaCategory;

namespace {

constexpr std::size_t k_categories = static_cast<std::size_t>(LlamaCategory::count);

/// Model-level inputs of the rule conditions.
struct ModelFacts {
  std::int64_t n_layer = 0;
  std::uint64_t n_gqa = 1;
  std::uint64_t n_expert = 0;
  std::string_view model_type;
  bool imatrix = false;
};

bool layer_dependent(const RuleCondition& c) { return c.layer != LayerSelector::any || c.index_lt.has_value(); }

/// Conditions that do not depend on where the tensor sits.
bool holds_for_model(const RuleCondition& c, const ModelFacts& m, bool default_block_fits) {
  if (c.gqa_min && m.n_gqa < *c.gqa_min) return false;
  if (c.experts_min && m.n_expert < *c.experts_min) return false;
  if (c.experts_eq && m.n_expert != *c.experts_eq) return false;
  if (!c.model_type.empty() && c.model_type != m.model_type) return false;
  if (c.imatrix && *c.imatrix != m.imatrix) return false;
  if (c.default_block_fits && *c.default_block_fits != default_block_fits) return false;
  if (c.gqa_or_experts && *c.gqa_or_experts != (m.n_gqa >= 4 || m.n_expert >= 4)) return false;
  return true;
}

// llama.cpp use_more_bits(i, n): the first and last eighth of layers and every third between.
bool use_more_bits(std::int64_t i, std::int64_t n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

/// Position conditions. attn_v tensors use llama.cpp's i_attention_wv / n_attention_wv counters;
/// ffn tensors use the block index (or, with "index": "ordinal", the i_ffn_* counter) over n_layer.
bool holds_at(const RuleCondition& c, LlamaCategory category, std::int64_t block, std::int64_t ordinal,
              std::int64_t category_count, std::int64_t n_layer) {
  const bool attn_v = category == LlamaCategory::attn_v;
  const std::int64_t i = (attn_v || c.use_ordinal) ? ordinal : block;
  const std::int64_t n = attn_v ? category_count : n_layer;
  switch (c.layer) {
    case LayerSelector::any: break;
    case LayerSelector::more_bits: if (!use_more_bits(i, n)) return false; break;
    case LayerSelector::first_eighth: if (!(i < n / 8)) return false; break;
    case LayerSelector::first_sixteenth: if (!(i < n / 16)) return false; break;
    case LayerSelector::middle: if (!(i >= n / 8 && i < 7 * n / 8)) return false; break;
  }
  if (c.index_lt && !(i < static_cast<std::int64_t>(*c.index_lt))) return false;
  return true;
}

bool row_fits(const BlockType& b, const Tensor& t) { return !b.is_row_block() || t.cols % b.weights_per_block == 0; }

/// llama.cpp's incompatible-shape rule: a row the block does not divide gets a compatible type.
std::size_t apply_fallback(const Catalog& cat, const ContainerRules& rules, const Tensor& t, std::size_t type,
                           std::int64_t block, bool& fell_back) {
  if (row_fits(cat.block_types[type], t)) return type;
  fell_back = true;
  const auto it = rules.fallback_index.find(type);
  if (it != rules.fallback_index.end() && row_fits(cat.block_types[it->second], t)) return it->second;
  if (!rules.final_fallback.empty() && row_fits(cat.block_types[rules.final_fallback_index], t))
    return rules.final_fallback_index;
  throw InputError("tensor " + gguf_name(t, block) + " has rows of " + std::to_string(t.cols) + " weights, which '" +
                   cat.block_types[type].id + "' cannot store and no fallback fits");
}

/// A format whose default type the converter writes itself (--outtype) is the converter's file;
/// the others are a quantizer's output.
bool converter_output(const ContainerRules& container, const Catalog& cat, const QuantFormat& quant) {
  return contains(container.converter_outtypes, cat.block_types[quant.default_type_index].id);
}

/// A storage type a tensor gets (after fallback), with its bytes.
struct Choice {
  std::size_t type = 0;
  bool fell_back = false;
  Bytes bytes;
};

/// One tensor position (a model-level tensor, or a tensor of a block layout), resolved once.
struct Slot {
  const Tensor* tensor = nullptr;
  LlamaCategory category = LlamaCategory::other;
  std::size_t group = 0;                    ///< index into k_all_groups
  std::int64_t position = 0;                ///< among its layout's slots of its category that reach the rules
  bool reaches_rules = false;               ///< not kept as converted by a container rule
  bool dynamic = false;                     ///< type depends on the block index or a counter
  Choice fixed;                             ///< fixed slots: the type
  std::vector<const QuantRule*> candidates; ///< dynamic slots: rules that may apply, in order
  /// Dynamic slots: the choice per candidate (the format's default last), worked out at the first
  /// block that takes it (where a fallback that fails names that block, as block by block would).
  std::vector<std::optional<Choice>> choices;
};

struct Resolver {
  const Catalog& cat;
  const ContainerRules& container;
  const QuantFormat& quant;
  const ModelFacts& facts;
  bool tied;
  bool converter_output;  ///< a float format: the converter's file, no quantizer pass


  Slot resolve(const Tensor& t, bool mtp) const {
    Slot s;
    s.tensor = &t;
    s.category = detail::llama_category(t.role, tied);
    s.group = static_cast<std::size_t>(group_of(t.role));
    const TagMask tags = detail::tensor_tags(t, tied, mtp);
    for (const auto& r : container.unquantized)
      if ((r.mask & tags).any()) return fixed(std::move(s), r.type_index);
    if (converter_output)
      for (const auto& r : container.converter_types)
        if ((r.mask & tags).any()) return fixed(std::move(s), r.type_index);
    s.reaches_rules = true;
    const bool default_fits = row_fits(cat.block_types[quant.default_type_index], t);
    for (const auto& r : quant.rules) {
      if ((r.mask & tags).none() || !holds_for_model(r.when, facts, default_fits)) continue;
      s.candidates.push_back(&r);
      if (!layer_dependent(r.when)) break;  // an unconditional match ends the list
    }
    if (s.candidates.empty()) return fixed(std::move(s), quant.default_type_index);
    if (!layer_dependent(s.candidates.front()->when)) {
      // Read before the move: the order in which arguments are evaluated is unspecified (clang
      // moves `s` first, which left front() reading an empty vector: the fuzzers' finding).
      const std::size_t type = s.candidates.front()->type_index;
      return fixed(std::move(s), type);
    }
    s.dynamic = true;
    s.choices.resize(s.candidates.size() + 1);
    return s;
  }

  Slot fixed(Slot s, std::size_t type) const {
    s.candidates.clear();
    s.fixed = choice(s, type, -1);
    return s;
  }

  /// `type` for the slot's tensor at `block` (-1: model-level or any), after fallback.
  Choice choice(const Slot& s, std::size_t type, std::int64_t block) const {
    Choice c;
    c.type = s.reaches_rules ? apply_fallback(cat, container, *s.tensor, type, block, c.fell_back) : type;
    c.bytes = stored_bytes(cat.block_types[c.type], *s.tensor);
    return c;
  }

  /// The type of a dynamic slot at a position.
  const Choice& choice_at(Slot& s, std::int64_t block, std::int64_t ordinal, std::int64_t count) const {
    std::size_t pick = 0;
    while (pick < s.candidates.size() && layer_dependent(s.candidates[pick]->when) &&
           !holds_at(s.candidates[pick]->when, s.category, block, ordinal, count, facts.n_layer))
      ++pick;
    auto& c = s.choices[pick];
    if (!c)
      c = choice(s, pick < s.candidates.size() ? s.candidates[pick]->type_index : quant.default_type_index, block);
    return *c;
  }
};

/// Sums by storage type and by group, added to in bulk (a layout's fixed tensors x its blocks).
/// Only the types a file uses are kept (a handful of the catalog's ~170), so a quantization
/// neither allocates nor walks a slot per catalog type.
class Totals {
 public:
  Totals() { m_types.reserve(8); }  // formats use a few types: one allocation, not a growing vector

  void add(const Tensor& t, std::size_t type, Bytes bytes, std::uint64_t times, bool fell_back) {
    if (times == 0) return;
    const ParamCount params(checked_mul(t.elements(), times, "parameters"));
    const Bytes all = bytes * times;
    auto& u = find_or_add(m_types, type);
    u.tensors += times;
    u.params += params;
    u.bytes += all;
    auto& g = m_groups[static_cast<std::size_t>(group_of(t.role))];
    if (t.is_parameter()) g.params += params;  // a group's parameters sum to the model's (V4's tid2eid is a table)
    g.bytes += all;
    m_bytes += all;
    m_params += params;
    m_tensors += times;
    m_fallbacks += fell_back ? times : 0;
  }

  /// Writes the sums into `q`: everything counts toward the file; `mtp` totals go apart.
  void into(const Catalog& cat, QuantizedModel& q, const Totals& mtp) const {
    std::vector<TypeSums> types = m_types;
    for (const auto& m : mtp.m_types) {
      auto& u = find_or_add(types, m.type);
      u.tensors += m.tensors;
      u.params += m.params;
      u.bytes += m.bytes;
    }
    // By catalog index: the order a catalog format's types have always been listed in.
    std::sort(types.begin(), types.end(), [](const TypeSums& a, const TypeSums& b) { return a.type < b.type; });
    q.types.reserve(types.size());
    for (const auto& u : types) q.types.push_back({cat.block_types[u.type].id, u.tensors, u.params, u.bytes});
    q.groups.reserve(m_groups.size());
    for (std::size_t g = 0; g < m_groups.size(); ++g)
      q.groups.push_back({k_all_groups[g], m_groups[g].params, m_groups[g].bytes});
    q.total = m_bytes + mtp.m_bytes;
    q.mtp = mtp.m_bytes;
    q.params = m_params + mtp.m_params;
    q.tensor_count = m_tensors + mtp.m_tensors;
    q.fallbacks = m_fallbacks + mtp.m_fallbacks;
  }

 private:
  struct TypeSums {
    std::size_t type = 0;  ///< index into the catalog's block types
    std::uint64_t tensors = 0;
    ParamCount params;
    Bytes bytes;
  };
  struct GroupSums {
    ParamCount params;
    Bytes bytes;
  };

  static TypeSums& find_or_add(std::vector<TypeSums>& types, std::size_t type) {
    const auto it = std::find_if(types.begin(), types.end(), [&](const TypeSums& u) { return u.type == type; });
    if (it != types.end()) return *it;
    return types.emplace_back(TypeSums{type, 0, {}, {}});
  }

  std::vector<TypeSums> m_types;  ///< the types used, in order of first use
  std::array<GroupSums, k_group_count> m_groups{};
  Bytes m_bytes;
  ParamCount m_params;
  std::uint64_t m_tensors = 0;
  std::uint64_t m_fallbacks = 0;
};

std::uint64_t decimal_digits(std::uint64_t v) {
  std::uint64_t n = 1;
  while (v >= 10) {
    v /= 10;
    ++n;
  }
  return n;
}

Bytes tensor_info_bytes(const TensorInventory& inv, const FileLayout& layout) {
  std::uint64_t bytes = 0;
  if (layout.container == "gguf") {
    const auto info = [](const Tensor& t) {
      const std::uint64_t dims = t.is_vector ? 1 : (t.stack > 1 ? 3 : 2);
      return 8 + gguf_name_length(t, -1) + 4 + 8 * dims + 4 + 8;
    };
    for (const auto& t : inv.globals) bytes += info(t);
    std::vector<std::uint64_t> per_layout(inv.layouts.size(), 0);
    for (std::size_t l = 0; l < inv.layouts.size(); ++l)
      for (const auto& t : inv.layouts[l].tensors) per_layout[l] += info(t);
    for (std::size_t b = 0; b < inv.blocks.size(); ++b) {
      const auto& tensors = inv.layout_of(b).tensors;
      bytes += per_layout[inv.blocks[b]] + tensors.size() * (5 + decimal_digits(b));  // "blk." digits "."
    }
    return Bytes(bytes);
  }
  for (const auto& t : inv.globals) bytes += t.stack;
  for (std::size_t b = 0; b < inv.blocks.size(); ++b)
    for (const auto& t : inv.layout_of(b).tensors) bytes += t.stack;
  return Bytes(bytes * 116);
}

}  // namespace

std::string gguf_name(const Tensor& t, std::int64_t block) {
  std::string name = block >= 0 ? "blk." + std::to_string(block) + "." : "";
  name += role_name(t.role);
  if (name.ends_with(".bias")) return name;
  return name + (t.role == TensorRole::ffn_exp_probs_b ? ".bias" : ".weight");
}

std::uint64_t gguf_name_length(const Tensor& t, std::int64_t block) {
  std::uint64_t n = role_name(t.role).size();
  if (block >= 0) n += 5 + decimal_digits(static_cast<std::uint64_t>(block));  // "blk." digits "."
  if (role_name(t.role).ends_with(".bias")) return n;
  return n + (t.role == TensorRole::ffn_exp_probs_b ? 5 : 7);  // ".bias" / ".weight"
}

std::uint64_t skipped_file_blocks(const ModelArch& a, const FileLayout& layout) {
  return layout.container == "gguf" && a.traits.gguf_mtp_blocks ? a.mtp_layers : 0;
}

TensorInventory file_inventory(const TensorInventory& inv, const ModelArch& a, const FileLayout& layout) {
  if (layout.container != "gguf") return inv;
  TensorInventory out = inv;
  // convert_hf_to_gguf.py skips blocks >= num_hidden_layers (MTP), except where the arch keeps them.
  out.blocks.resize(inv.main_blocks + skipped_file_blocks(a, layout));
  if (!layout.legacy_mla_gguf) {
    for (auto& l : out.layouts) {
      if (std::none_of(l.tensors.begin(), l.tensors.end(),
                       [](const Tensor& t) { return t.role == TensorRole::attn_kv_b; }))
        continue;  // nothing to split: keep the layout as it is
      std::vector<Tensor> split;
      for (const auto& t : l.tensors) {
        if (t.role != TensorRole::attn_kv_b || layout.keeps_attn_kv_b) split.push_back(t);
        if (t.role != TensorRole::attn_kv_b) continue;
        split.push_back({TensorRole::attn_k_b, a.qk_nope_head_dim, a.kv_lora_rank, a.num_heads, false});
        split.push_back({TensorRole::attn_v_b, a.kv_lora_rank, a.v_head_dim, a.num_heads, false});
      }
      l.tensors = std::move(split);
    }
  }
  // convert_hf_to_gguf.py LlamaModel.generate_extra_tensors: rope_type llama3 -> rope_freqs.
  if (a.rope_type == "llama3") out.globals.push_back({TensorRole::rope_freqs, a.head_dim / 2, 1, 1, true});
  return out;
}

Bytes stored_bytes(const BlockType& b, const Tensor& t) {
  if (b.is_row_block()) {
    if (t.cols % b.weights_per_block != 0)  // only a catalog block size can cause this: input, not a bug
      throw InputError("block type '" + b.id + "' stores blocks of " + std::to_string(b.weights_per_block) +
                       " weights, which do not divide a row of " + std::to_string(t.cols) +
                       " (check its weights_per_block)");
    const std::uint64_t rows = t.rows * t.stack;
    const std::uint64_t blocks = checked_mul(rows, t.cols / b.weights_per_block, "tensor blocks");
    return Bytes(checked_add(checked_mul(blocks, b.bytes_per_block, "tensor bytes"),
                             checked_mul(rows, b.bytes_per_row, "row bytes"), "tensor bytes"));
  }
  const std::uint64_t payload_bits = checked_mul(t.elements(), b.element_bits, "tensor bits");
  std::uint64_t bytes = ceil_div(payload_bits, 8);
  if (b.scale_rows > 0) {
    const std::uint64_t per_row = b.scale_cols == 0 ? 1 : ceil_div(t.cols, b.scale_cols);
    const std::uint64_t tiles = checked_mul(ceil_div(t.rows, b.scale_rows) * per_row, t.stack, "scale tiles");
    bytes = checked_add(bytes, ceil_div(checked_mul(tiles, b.scale_bits, "scale bits"), 8), "tensor bytes");
    if (b.second_level_tiles > 0) bytes += ceil_div(ceil_div(tiles, b.second_level_tiles) * b.second_level_bits, 8);
  }
  bytes += ceil_div(t.cols * t.stack * b.per_input_column_bits, 8);
  bytes += b.per_tensor_bytes * t.stack;
  return Bytes(bytes);
}

Bytes QuantizedModel::without_mtp() const { return Bytes(total.count() - mtp.count()); }

double QuantizedModel::bits_per_weight() const {
  return params.count() == 0 ? 0.0 : 8.0 * static_cast<double>(total.count()) / static_cast<double>(params.count());
}

std::optional<bool> recipe_imatrix(const QuantFormat& quant, const FileLayout& layout) {
  if (!quant.imatrix_sensitive || quant.file || layout.container != "gguf") return std::nullopt;
  return layout.imatrix.value_or(quant.imatrix);
}

QuantizedModel quantize_model(const Catalog& cat, const ModelSpec& model, const QuantFormat& quant,
                              const FileLayout& layout, bool keep_tensors) {
  if (quant.file) return quantize_model(cat, model, quant, layout, TensorInventory{}, keep_tensors);
  return quantize_model(cat, model, quant, layout, build_inventory(model.arch), keep_tensors);
}

QuantizedModel quantize_model(const Catalog& cat, const ModelSpec& model, const QuantFormat& quant,
                              const FileLayout& layout, const TensorInventory& inventory, bool keep_tensors) {
  if (quant.file) {  // a --model-file: its tensors, not the rules
    if (quant.file->model_id != model.id)
      throw InputError("the model file " + quant.name + " is " + quant.file->model_id + ", not " + model.id);
    return quant.file->weights;
  }
  const auto container_it = cat.containers.find(layout.container);
  if (container_it == cat.containers.end())
    throw InputError("quant '" + quant.id + "' has no container '" + layout.container + "'");
  const ModelArch& a = model.arch;
  // The file's tensors: a GGUF conversion's, else the inventory as it is (not copied).
  std::optional<TensorInventory> converted;
  if (layout.container == "gguf") converted = file_inventory(inventory, a, layout);
  const TensorInventory& inv = converted ? *converted : inventory;
  // llama-quantize's n_layer is the file's block count (MTP blocks included, when written).
  const auto n_layer = static_cast<std::int64_t>(layout.container == "gguf" ? inv.blocks.size() : inv.main_blocks);
  const ModelFacts facts{n_layer, a.num_heads / a.num_kv_heads, a.n_routed_experts, model.llama_cpp_type,
                         layout.imatrix.value_or(quant.imatrix)};
  const Resolver resolver{cat,   container_it->second,  quant,
                          facts, a.tie_word_embeddings, converter_output(container_it->second, cat, quant)};

  std::vector<Slot> globals;
  globals.reserve(inv.globals.size());
  for (const auto& t : inv.globals) globals.push_back(resolver.resolve(t, false));
  // Resolve each layout the file uses once; a layout used only by MTP blocks carries the mtp tag.
  std::vector<std::vector<Slot>> layouts(inv.layouts.size());
  std::vector<bool> used(inv.layouts.size(), false);
  std::vector<bool> mtp_layout(inv.layouts.size(), false);
  for (std::size_t b = 0; b < inv.blocks.size(); ++b) {
    used[inv.blocks[b]] = true;
    if (inv.is_mtp_block(b)) mtp_layout[inv.blocks[b]] = true;
  }
  for (std::size_t l = 0; l < inv.layouts.size(); ++l)
    if (used[l]) {
      layouts[l].reserve(inv.layouts[l].tensors.size());
      for (const auto& t : inv.layouts[l].tensors) layouts[l].push_back(resolver.resolve(t, mtp_layout[l]));
    }

  // llama.cpp's per-category counters count the tensors that reach the rules, in file order:
  // per layout, each slot's position among same-category slots and the layout's totals.
  using Counts = std::array<std::int64_t, k_categories>;
  std::vector<Counts> layout_counts(inv.layouts.size(), Counts{});
  for (std::size_t l = 0; l < inv.layouts.size(); ++l)
    for (auto& s : layouts[l]) {
      auto& n = layout_counts[l][static_cast<std::size_t>(s.category)];
      s.position = n;
      n += s.reaches_rules ? 1 : 0;
    }
  Counts counter{};
  for (const auto& s : globals) counter[static_cast<std::size_t>(s.category)] += s.reaches_rules ? 1 : 0;
  Counts total = counter;
  for (const auto b : inv.blocks)
    for (std::size_t c = 0; c < k_categories; ++c) total[c] += layout_counts[b][c];

  QuantizedModel q;
  q.layout = layout;
  q.block_bytes.assign(inv.main_blocks, Bytes(0));
  q.block_group_bytes.assign(inv.main_blocks, {});
  Totals main;
  Totals mtp;
  for (const auto& s : globals) {
    const Choice& c = s.fixed;
    main.add(*s.tensor, c.type, c.bytes, 1, c.fell_back);
    q.globals += c.bytes;
    if (s.tensor->role == TensorRole::token_embd) q.embedding += c.bytes;
    if (keep_tensors) q.tensors.push_back({*s.tensor, -1, false, cat.block_types[c.type].id, c.bytes, c.fell_back});
  }
  // Fixed slots: once per layout, times the blocks that use it.
  const auto main_count = inv.blocks_per_layout(false);
  const auto mtp_count = inv.blocks_per_layout(true);
  std::vector<Bytes> fixed_bytes(inv.layouts.size());
  std::vector<std::array<Bytes, k_group_count>> fixed_groups(inv.layouts.size());
  for (std::size_t l = 0; l < inv.layouts.size(); ++l)
    for (const auto& s : layouts[l])
      if (!s.dynamic) {
        const Choice& c = s.fixed;
        main.add(*s.tensor, c.type, c.bytes, main_count[l], c.fell_back);
        mtp.add(*s.tensor, c.type, c.bytes, mtp_count[l], c.fell_back);
        fixed_bytes[l] += c.bytes;
        fixed_groups[l][s.group] += c.bytes;
      }
  // Dynamic slots (and, when asked, every tensor): block by block. A layout's fixed slots are
  // not visited there unless their tensors are listed (most slots are fixed).
  std::vector<std::vector<Slot*>> visited(inv.layouts.size());
  for (std::size_t l = 0; l < inv.layouts.size(); ++l)
    for (auto& s : layouts[l])
      if (s.dynamic || keep_tensors) visited[l].push_back(&s);
  for (std::size_t b = 0; b < inv.blocks.size(); ++b) {
    const auto l = inv.blocks[b];
    const bool is_mtp = inv.is_mtp_block(b);
    const auto block = static_cast<std::int64_t>(b);
    Bytes bytes = fixed_bytes[l];
    std::array<Bytes, k_group_count> groups = fixed_groups[l];
    for (Slot* s : visited[l]) {
      if (!s->dynamic) {
        const Choice& c = s->fixed;
        q.tensors.push_back({*s->tensor, block, is_mtp, cat.block_types[c.type].id, c.bytes, c.fell_back});
        continue;
      }
      const auto category = static_cast<std::size_t>(s->category);
      const Choice& c = resolver.choice_at(*s, block, counter[category] + s->position, total[category]);
      (is_mtp ? mtp : main).add(*s->tensor, c.type, c.bytes, 1, c.fell_back);
      bytes += c.bytes;
      groups[s->group] += c.bytes;
      if (keep_tensors)
        q.tensors.push_back({*s->tensor, block, is_mtp, cat.block_types[c.type].id, c.bytes, c.fell_back});
    }
    if (!is_mtp) {
      q.block_bytes[b] = bytes;
      q.block_group_bytes[b] = groups;
    }
    for (std::size_t c = 0; c < k_categories; ++c) counter[c] += layout_counts[l][c];
  }
  main.into(cat, q, mtp);
  q.tensor_info_bytes = tensor_info_bytes(inv, layout);
  return q;
}

void check_formats(const Catalog& cat) {
  for (const auto& model : cat.models)
    for (const auto& quant : cat.quants)
      for (const auto& container : quant.containers) {
        if (container == "gguf" && !model.arch.traits.gguf_presets())
          continue;  // GGUF sized from files only, or not at all
        if (!quant_holds_model(quant, model)) continue;
        try {
          (void)quantize_model(cat, model, quant, FileLayout{container, false, std::nullopt, false}, false);
        } catch (const InputError& e) {
          throw InputError("quant '" + quant.id + "' cannot store model '" + model.id + "' (" + container +
                           "): " + e.what());
        }
      }
}

}  // namespace dsplan
