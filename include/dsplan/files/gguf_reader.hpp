// GGUF reader: header, metadata key-values and tensor infos of one GGUF file (tensor data is never read).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dsplan/files/byte_source.hpp"
#include "dsplan/catalog/catalog.hpp"
#include "dsplan/base/units.hpp"

namespace dsplan {

/// A ggml tensor type id (ggml.h enum ggml_type) and its llama.cpp name ("q4_K").
/// Returns nullopt for ids ggml does not define (or no longer loads from GGUF).
[[nodiscard]] std::optional<std::string_view> ggml_type_name(std::uint32_t type_id);

/// Value types of GGUF metadata (gguf.h enum gguf_type).
enum class GgufValueType : std::uint32_t {
  u8 = 0, i8 = 1, u16 = 2, i16 = 3, u32 = 4, i32 = 5, f32 = 6, boolean = 7, string = 8, array = 9,
  u64 = 10, i64 = 11, f64 = 12,
};

/// One metadata entry. Scalars keep their value; arrays keep their element type and length, and
/// the values of integer arrays up to k_gguf_kept_array_values long (DeepSeek-V4's per-layer
/// compress ratios; a 129,280-token vocabulary is skipped, not stored); strings longer than
/// k_gguf_kept_string_bytes are kept truncated.
struct GgufKv {
  std::string key;
  GgufValueType type = GgufValueType::u8;
  GgufValueType array_type = GgufValueType::u8;  ///< when type == array
  std::uint64_t array_length = 0;                ///< when type == array
  std::optional<std::int64_t> integer;           ///< integer and bool scalars (u64 above 2^63-1: nullopt)
  std::optional<double> real;                    ///< f32, f64
  std::string text;                              ///< string scalars
  std::vector<std::int64_t> integers;            ///< short integer arrays (u64 above 2^63-1: -1)

  /// The value as a non-negative integer, if it is one.
  [[nodiscard]] std::optional<std::uint64_t> as_u64() const;
};

inline constexpr std::uint64_t k_gguf_kept_string_bytes = 4096;
inline constexpr std::uint64_t k_gguf_kept_array_values = 4096;

struct GgufTensor {
  std::string name;
  std::uint32_t n_dims = 0;
  std::array<std::uint64_t, 4> ne{1, 1, 1, 1};  ///< ne[0] is the contiguous (row) dimension
  std::uint32_t type_id = 0;
  std::string type;        ///< llama.cpp type name, e.g. "q4_K"
  std::uint64_t offset = 0;  ///< from the start of the data section
  std::uint64_t elements = 0;
  Bytes bytes;
};

struct GgufFile {
  std::string name;
  std::uint32_t version = 0;
  std::vector<GgufKv> kvs;
  std::vector<GgufTensor> tensors;
  std::uint64_t alignment = 32;
  std::uint64_t data_offset = 0;  ///< where tensor data starts
  Bytes tensor_bytes;             ///< sum of the tensors' bytes
  Bytes file_bytes;

  [[nodiscard]] const GgufKv* find(std::string_view key) const;
  [[nodiscard]] std::optional<std::uint64_t> u64(std::string_view key) const;
  [[nodiscard]] std::string str(std::string_view key) const;  ///< "" when absent or not a string
  /// A kept integer array whose values are all non-negative; nullopt otherwise.
  [[nodiscard]] std::optional<std::vector<std::uint64_t>> u64_array(std::string_view key) const;
};

/// Limits on what a file may declare; anything beyond them is an InputError, so a hostile file
/// cannot make the reader allocate or loop without bound.
inline constexpr std::uint64_t k_gguf_max_tensors = 1'000'000;
inline constexpr std::uint64_t k_gguf_max_kvs = 1'000'000;
inline constexpr std::uint64_t k_gguf_max_key_bytes = 65'535;
inline constexpr std::uint64_t k_gguf_max_string_bytes = 256ULL * 1024 * 1024;
inline constexpr std::uint64_t k_gguf_max_name_bytes = 63;  ///< GGML_MAX_NAME 64, with the NUL

/// Reads a GGUF file's header, metadata and tensor infos, seeking past tensor data. Tensor
/// sizes use the catalog's block types (data/quants.json). Every count, length and offset is
/// bounded and overflow-checked; errors are InputError naming the file, byte offset or key.
[[nodiscard]] GgufFile read_gguf(const ByteSource& source, const Catalog& catalog);

}  // namespace dsplan
