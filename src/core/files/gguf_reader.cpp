// GGUF reader. Format: ggml/src/gguf.cpp and docs/gguf.md of llama.cpp (header: magic "GGUF",
// u32 version, i64 tensor count, i64 key-value count; strings: u64 length + bytes; tensor info:
// name, u32 n_dims, i64 ne[n_dims], i32 type, u64 offset; data aligned to general.alignment).
#include "dsplan/files/gguf_reader.hpp"

#include <cstring>
#include <unordered_set>

#include "dsplan/base/error.hpp"

namespace dsplan {

namespace {

// ggml.h enum ggml_type, llama.cpp @004eaba804a34aa1a397b61d6d5274171c5e4cba
// (ggml/include/ggml.h); names as ggml_type_name() prints them (ggml.c type_traits).
// Ids 4, 5 (Q4_2, Q4_3) and 31-33, 36-38 (repacked Q4_0/IQ4_NL) were removed from GGUF.
constexpr std::string_view k_ggml_types[] = {
    "f32",  "f16",  "q4_0", "q4_1", "", "", "q5_0", "q5_1", "q8_0",    "q8_1",   "q2_K",   "q3_K", "q4_K", "q5_K",
    "q6_K", "q8_K", "iq2_xxs", "iq2_xs", "iq3_xxs", "iq1_s", "iq4_nl", "iq3_s", "iq2_s", "iq4_xs", "i8", "i16",
    "i32",  "i64",  "f64",  "iq1_m", "bf16", "", "", "", "tq1_0", "tq2_0", "", "", "", "mxfp4",
};

// ik_llama.cpp's own storage types: ids of its ggml/include/ggml.h and names as its type_traits
// print them (ggml/src/ggml.c), both @8337e4cd. Left out: the activation formats its kernels
// convert to (Q8_0_X4 97 ... Q8_KR8 150, Q8_K_R16 397), which llama-quantize does not write.
struct IdName {
  std::uint32_t id;
  std::string_view name;
};
constexpr IdName k_ik_llama_types[] = {
    {133, "q6_0"},     {134, "iq1_bn"},    {135, "iq2_bn"},     {137, "iq2_k"},     {138, "iq3_k"},
    {139, "iq4_k"},    {140, "iq5_k"},     {141, "iq6_k"},      {144, "iq4_ks"},    {145, "iq2_ks"},
    {146, "iq4_kss"},  {151, "q8_KV"},     {152, "iq5_ks"},     {153, "iq2_kt"},    {154, "iq3_kt"},
    {155, "iq4_kt"},   {156, "iq3_ks"},    {157, "iq2_kl"},     {158, "iq1_kt"},    {202, "q4_0_r8"},
    {206, "q5_0_r4"},  {208, "q8_0_r8"},   {210, "q2_k_r4"},    {211, "q3_k_r4"},   {212, "q4_k_r4"},
    {213, "q5_k_r4"},  {214, "q6_k_r4"},   {216, "iq2_xxs_r4"}, {217, "iq2_xs_r4"}, {218, "iq3_xxs_r4"},
    {219, "iq1_s_r4"}, {220, "iq4_nl_r4"}, {221, "iq3_s_r4"},   {222, "iq2_s_r4"},  {223, "iq4_xs_r8"},
    {229, "iq1_m_r4"}, {230, "bf16_r16"},  {233, "q6_0_r4"},    {335, "iq2_bn_r4"}, {337, "iq2_k_r4"},
    {338, "iq3_k_r4"}, {339, "iq4_k_r4"},  {340, "iq5_k_r4"},   {344, "iq4_ks_r4"}, {352, "iq5_ks_r4"},
    {353, "mxfp4_r8"}, {398, "q8_KV_r8"},  {399, "q8_k_r8"},
};

constexpr std::uint32_t k_gguf_version_min = 2;  // v1 (u32 counts) is no longer loaded by llama.cpp
constexpr std::uint32_t k_gguf_version_max = 3;

std::uint64_t scalar_size(GgufValueType t) {
  switch (t) {
    case GgufValueType::u8: case GgufValueType::i8: case GgufValueType::boolean: return 1;
    case GgufValueType::u16: case GgufValueType::i16: return 2;
    case GgufValueType::u32: case GgufValueType::i32: case GgufValueType::f32: return 4;
    case GgufValueType::u64: case GgufValueType::i64: case GgufValueType::f64: return 8;
    case GgufValueType::string: case GgufValueType::array: return 0;
  }
  return 0;
}

bool is_integer(GgufValueType t) {
  return t != GgufValueType::boolean && t != GgufValueType::f32 && t != GgufValueType::f64 && scalar_size(t) > 0;
}

class GgufParser {
 public:
  GgufParser(const ByteSource& source, const Catalog& catalog) : m_in(source), m_catalog(catalog) {}

  GgufFile parse() {
    GgufFile f;
    f.name = m_in.source().name();
    f.file_bytes = Bytes(m_in.source().size());
    const std::string magic = m_in.bytes(4, 4, "the magic");
    if (magic != "GGUF") m_in.fail(0, "not a GGUF file (magic is not \"GGUF\")");
    f.version = m_in.u32("the version");
    if (f.version < k_gguf_version_min || f.version > k_gguf_version_max) {
      // llama.cpp's --bigendian conversion writes every number byte-swapped: version 3 reads 0x03000000.
      const std::uint32_t swapped =
          ((f.version & 0xffu) << 24) | ((f.version & 0xff00u) << 8) | ((f.version >> 8) & 0xff00u) | (f.version >> 24);
      if (swapped >= k_gguf_version_min && swapped <= k_gguf_version_max)
        m_in.fail(4, "a big-endian GGUF (version " + std::to_string(swapped) +
                         " byte-swapped), for big-endian machines; dsplan reads little-endian GGUF, as x86 and ARM "
                         "llama.cpp builds load");
      m_in.fail(4, "GGUF version " + std::to_string(f.version) + " is not supported (2 or 3)");
    }
    const std::uint64_t n_tensors = m_in.u64("the tensor count");
    if (n_tensors > k_gguf_max_tensors)
      m_in.fail(8, "tensor count " + std::to_string(n_tensors) + " exceeds the limit of " + std::to_string(k_gguf_max_tensors));
    const std::uint64_t n_kv = m_in.u64("the key-value count");
    if (n_kv > k_gguf_max_kvs)
      m_in.fail(16, "key-value count " + std::to_string(n_kv) + " exceeds the limit of " + std::to_string(k_gguf_max_kvs));
    // Every entry takes at least 8 + 4 bytes, every tensor info at least 8 + 4 + 8 + 4 + 8: a
    // count the file cannot hold is rejected before anything is reserved.
    if (n_kv > m_in.remaining() / 12 || n_tensors > m_in.remaining() / 32)
      m_in.fail(8, "the counts (" + std::to_string(n_tensors) + " tensors, " + std::to_string(n_kv) +
                       " key-values) do not fit in the file's " + std::to_string(m_in.source().size()) +
                       " bytes (truncated?)");

    f.kvs.reserve(n_kv);
    std::unordered_set<std::string> keys;
    for (std::uint64_t i = 0; i < n_kv; ++i) {
      const std::uint64_t at = m_in.pos();
      GgufKv kv = read_kv();
      if (!keys.insert(kv.key).second) m_in.fail(at, "duplicate key '" + kv.key + "'");
      f.kvs.push_back(std::move(kv));
    }
    if (const GgufKv* a = f.find("general.alignment")) {
      const auto v = a->as_u64();
      if (a->type != GgufValueType::u32 || !v || *v == 0 || (*v & (*v - 1)) != 0)
        fail_key(*a, "expected a u32 power of two");
      f.alignment = *v;
    }

    f.tensors.reserve(n_tensors);
    std::unordered_set<std::string> names;
    for (std::uint64_t i = 0; i < n_tensors; ++i) {
      const std::uint64_t at = m_in.pos();
      GgufTensor t = read_tensor_info(f.alignment);
      if (!names.insert(t.name).second) m_in.fail(at, "duplicate tensor name '" + t.name + "'");
      f.tensors.push_back(std::move(t));
    }
    f.data_offset = round_up(m_in.pos(), f.alignment, "GGUF data offset");
    std::uint64_t expected = 0;  // llama.cpp's gguf_init: tensors follow one another, each padded to the alignment
    for (const auto& t : f.tensors) {
      if (t.offset != expected)
        throw InputError(
            f.name + ": tensor '" + t.name + "' is at data offset " + std::to_string(t.offset) + ", not " +
            std::to_string(expected) +
            " where the tensor before it ends (tensors overlap or leave gaps; llama.cpp refuses the file)");
      expected = round_up(checked_add(t.offset, t.bytes.count(), "tensor end"), f.alignment, "tensor end");
      const std::uint64_t end = checked_add(checked_add(f.data_offset, t.offset, "tensor offset"), t.bytes.count(), "tensor end");
      if (end > m_in.source().size())
        throw InputError(f.name + ": tensor '" + t.name + "': data [" + std::to_string(f.data_offset + t.offset) + ", " +
                         std::to_string(end) + ") runs past the end of the file (" +
                         std::to_string(m_in.source().size()) + " bytes; truncated?)");
      f.tensor_bytes += t.bytes;
    }
    return f;
  }

 private:
  [[noreturn]] void fail_key(const GgufKv& kv, const std::string& problem) const {
    throw InputError(m_in.source().name() + ": key '" + kv.key + "': " + problem);
  }

  std::string read_string(std::uint64_t max, std::string_view what) {
    const std::uint64_t at = m_in.pos();
    const std::uint64_t n = m_in.u64(what);
    if (n > max)
      m_in.fail(at, std::string(what) + " is " + std::to_string(n) + " bytes, more than the limit of " + std::to_string(max));
    return m_in.bytes(n, max, what);
  }

  /// A string value: kept up to k_gguf_kept_string_bytes, the rest skipped.
  std::string read_value_string(std::string_view what) {
    const std::uint64_t at = m_in.pos();
    const std::uint64_t n = m_in.u64(what);
    if (n > k_gguf_max_string_bytes)
      m_in.fail(at, std::string(what) + " length " + std::to_string(n) + " exceeds the limit of " +
                        std::to_string(k_gguf_max_string_bytes));
    const std::uint64_t keep = std::min(n, k_gguf_kept_string_bytes);
    std::string s = m_in.bytes(keep, keep, what);
    m_in.skip(n - keep, what);
    return s;
  }

  GgufValueType read_type(std::string_view what) {
    const std::uint64_t at = m_in.pos();
    const std::uint32_t t = m_in.u32(what);
    if (t > static_cast<std::uint32_t>(GgufValueType::f64)) m_in.fail(at, "unknown value type " + std::to_string(t));
    return static_cast<GgufValueType>(t);
  }

  void read_scalar(GgufKv& kv, GgufValueType t) {
    switch (t) {
      case GgufValueType::u8: kv.integer = m_in.u8("a u8 value"); break;
      case GgufValueType::i8: kv.integer = static_cast<std::int8_t>(m_in.u8("an i8 value")); break;
      case GgufValueType::boolean: {
        kv.integer = m_in.u8("a bool value") != 0 ? 1 : 0;  // gguf.cpp reads an int8, nonzero = true
        break;
      }
      case GgufValueType::u16: kv.integer = m_in.u16("a u16 value"); break;
      case GgufValueType::i16: kv.integer = static_cast<std::int16_t>(m_in.u16("an i16 value")); break;
      case GgufValueType::u32: kv.integer = m_in.u32("a u32 value"); break;
      case GgufValueType::i32: kv.integer = static_cast<std::int32_t>(m_in.u32("an i32 value")); break;
      case GgufValueType::u64: {
        const std::uint64_t v = m_in.u64("a u64 value");
        if (v <= static_cast<std::uint64_t>(INT64_MAX)) kv.integer = static_cast<std::int64_t>(v);
        break;
      }
      case GgufValueType::i64: kv.integer = static_cast<std::int64_t>(m_in.u64("an i64 value")); break;
      case GgufValueType::f32: {
        const std::uint32_t bits = m_in.u32("an f32 value");
        float x = 0;
        static_assert(sizeof x == sizeof bits);
        std::memcpy(&x, &bits, sizeof x);
        kv.real = static_cast<double>(x);
        break;
      }
      case GgufValueType::f64: {
        const std::uint64_t bits = m_in.u64("an f64 value");
        double x = 0;
        std::memcpy(&x, &bits, sizeof x);
        kv.real = x;
        break;
      }
      case GgufValueType::string: kv.text = read_value_string("a string value"); break;
      case GgufValueType::array: throw InternalError("read_scalar on an array");
    }
  }

  GgufKv read_kv() {
    GgufKv kv;
    const std::uint64_t key_at = m_in.pos();
    kv.key = read_string(k_gguf_max_key_bytes, "a key");
    if (kv.key.empty()) m_in.fail(key_at, "empty key");
    kv.type = read_type("the value type of key '" + kv.key + "'");
    if (kv.type != GgufValueType::array) {
      read_scalar(kv, kv.type);
      return kv;
    }
    const std::uint64_t at = m_in.pos();
    kv.array_type = read_type("the element type of key '" + kv.key + "'");
    if (kv.array_type == GgufValueType::array) m_in.fail(at, "key '" + kv.key + "': arrays of arrays are not allowed");
    kv.array_length = m_in.u64("the array length of key '" + kv.key + "'");
    const std::uint64_t min_bytes = kv.array_type == GgufValueType::string ? 8 : scalar_size(kv.array_type);
    if (kv.array_length > m_in.remaining() / min_bytes)
      m_in.fail(at + 4, "key '" + kv.key + "': array of " + std::to_string(kv.array_length) +
                            " elements does not fit in the rest of the file (truncated?)");
    if (kv.array_type == GgufValueType::string) {
      // Built once: a tokenizer's arrays hold ~260,000 strings, and a message per element was
      // most of inspect's time.
      const std::string element = "a string in key '" + kv.key + "'";
      for (std::uint64_t i = 0; i < kv.array_length; ++i) {
        const std::uint64_t s_at = m_in.pos();
        const std::uint64_t n = m_in.u64(element);
        if (n > k_gguf_max_string_bytes)
          m_in.fail(s_at, "key '" + kv.key + "': string length " + std::to_string(n) + " exceeds the limit");
        m_in.skip(n, element);
      }
    } else if (is_integer(kv.array_type) && kv.array_length <= k_gguf_kept_array_values) {
      for (std::uint64_t i = 0; i < kv.array_length; ++i) {
        GgufKv element;
        read_scalar(element, kv.array_type);
        kv.integers.push_back(element.integer.value_or(-1));
      }
    } else {
      m_in.skip(kv.array_length * min_bytes, "the array of key '" + kv.key + "'");  // fits: checked above
    }
    return kv;
  }

  GgufTensor read_tensor_info(std::uint64_t alignment) {
    GgufTensor t;
    const std::uint64_t at = m_in.pos();
    t.name = read_string(k_gguf_max_name_bytes, "a tensor name");
    if (t.name.empty()) m_in.fail(at, "empty tensor name");
    const std::string where = "tensor '" + t.name + "': ";
    const std::uint64_t dims_at = m_in.pos();
    t.n_dims = m_in.u32("the dimension count");
    if (t.n_dims < 1 || t.n_dims > 4)
      m_in.fail(dims_at, where + std::to_string(t.n_dims) + " dimensions (expected 1 to 4)");
    t.elements = 1;
    for (std::uint32_t d = 0; d < t.n_dims; ++d) {
      const std::uint64_t ne_at = m_in.pos();
      const std::uint64_t ne = m_in.u64("a dimension");
      if (ne > static_cast<std::uint64_t>(INT64_MAX)) m_in.fail(ne_at, where + "negative dimension");
      t.ne[d] = ne;
      if (__builtin_mul_overflow(t.elements, ne, &t.elements) || t.elements > static_cast<std::uint64_t>(INT64_MAX))
        m_in.fail(ne_at, where + "element count overflows 63 bits");
    }
    const std::uint64_t type_at = m_in.pos();
    t.type_id = m_in.u32("the tensor type");
    const auto name = ggml_type_name(t.type_id);
    if (!name) m_in.fail(type_at, where + "unknown ggml type id " + std::to_string(t.type_id));
    t.type = std::string(*name);
    const BlockType* bt = m_catalog.find_block_type(t.type);
    if (!bt || !bt->is_row_block())
      m_in.fail(type_at, where + "ggml type " + t.type + " (id " + std::to_string(t.type_id) +
                             ") has no block size in the catalog (data/quants.json block_types)");
    if (t.ne[0] % bt->weights_per_block != 0)
      m_in.fail(dims_at, where + "row length " + std::to_string(t.ne[0]) + " is not a multiple of the " + t.type +
                             " block of " + std::to_string(bt->weights_per_block));
    const std::uint64_t off_at = m_in.pos();
    t.offset = m_in.u64("the tensor offset");
    if (t.offset % alignment != 0)
      m_in.fail(off_at, where + "offset " + std::to_string(t.offset) + " is not a multiple of the alignment " +
                            std::to_string(alignment));
    // ggml_nbytes: rows x ggml_row_size, the blocks of a row plus its row bytes (ik_llama.cpp).
    std::uint64_t bytes = 0;
    std::uint64_t row_bytes = 0;
    if (__builtin_mul_overflow(t.elements / bt->weights_per_block, bt->bytes_per_block, &bytes) ||
        __builtin_mul_overflow(t.ne[0] == 0 ? 0 : t.elements / t.ne[0], bt->bytes_per_row, &row_bytes) ||
        __builtin_add_overflow(bytes, row_bytes, &bytes))
      m_in.fail(dims_at, where + "byte size overflows 64 bits");
    t.bytes = Bytes(bytes);
    return t;
  }

  ByteReader m_in;
  const Catalog& m_catalog;
};

}  // namespace

std::optional<std::string_view> ggml_type_name(std::uint32_t type_id) {
  if (type_id < std::size(k_ggml_types)) {
    if (k_ggml_types[type_id].empty()) return std::nullopt;
    return k_ggml_types[type_id];
  }
  for (const auto& t : k_ik_llama_types)
    if (t.id == type_id) return t.name;
  return std::nullopt;
}

std::optional<std::uint64_t> GgufKv::as_u64() const {
  if (integer && *integer >= 0) return static_cast<std::uint64_t>(*integer);
  return std::nullopt;
}

const GgufKv* GgufFile::find(std::string_view key) const {
  for (const auto& kv : kvs)
    if (kv.key == key) return &kv;
  return nullptr;
}

std::optional<std::uint64_t> GgufFile::u64(std::string_view key) const {
  const GgufKv* kv = find(key);
  if (!kv || kv->type == GgufValueType::array) return std::nullopt;
  return kv->as_u64();
}

std::optional<std::vector<std::uint64_t>> GgufFile::u64_array(std::string_view key) const {
  const GgufKv* kv = find(key);
  if (!kv || kv->type != GgufValueType::array || kv->integers.size() != kv->array_length) return std::nullopt;
  std::vector<std::uint64_t> out;
  for (const auto v : kv->integers) {
    if (v < 0) return std::nullopt;
    out.push_back(static_cast<std::uint64_t>(v));
  }
  return out;
}

std::string GgufFile::str(std::string_view key) const {
  const GgufKv* kv = find(key);
  return kv && kv->type == GgufValueType::string ? kv->text : std::string();
}

GgufFile read_gguf(const ByteSource& source, const Catalog& catalog) { return GgufParser(source, catalog).parse(); }

}  // namespace dsplan
