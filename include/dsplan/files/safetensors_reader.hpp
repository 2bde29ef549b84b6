// safetensors reader: the 8-byte header length, the JSON header (dtypes, shapes, data offsets) and
// the shard index (model.safetensors.index.json); tensor data is never read.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dsplan/files/byte_source.hpp"
#include "dsplan/base/units.hpp"

namespace dsplan {

struct SafetensorsTensor {
  std::string name;
  std::string dtype;                 ///< "BF16", "F8_E4M3", ...
  std::vector<std::uint64_t> shape;  ///< row-major, outermost first
  std::uint64_t elements = 0;
  Bytes bytes;
};

struct SafetensorsFile {
  std::string name;
  std::uint64_t header_bytes = 0;  ///< length of the JSON header
  std::vector<SafetensorsTensor> tensors;
  std::map<std::string, std::string> metadata;  ///< __metadata__ (string values)
  Bytes tensor_bytes;
  Bytes file_bytes;
};

/// The shard index: which file holds each tensor.
struct SafetensorsIndex {
  std::map<std::string, std::string> weight_map;  ///< tensor name -> shard file name
  std::vector<std::string> files;                 ///< shard file names, sorted, unique
  std::optional<std::uint64_t> total_size;        ///< metadata.total_size, when given
};

inline constexpr std::uint64_t k_safetensors_max_header_bytes = 100ULL * 1000 * 1000;  ///< 100 MB
inline constexpr std::uint64_t k_safetensors_max_dims = 8;

/// Bytes per element of a safetensors dtype (safetensors src/tensor.rs Dtype::bitsize / 8);
/// 0 for an unknown dtype.
[[nodiscard]] std::uint64_t safetensors_dtype_bytes(std::string_view dtype);

/// Reads one .safetensors file's header. Every length, shape and offset is bounded and
/// checked: tensors must lie inside the data section; errors are InputError naming the file
/// and the byte offset or tensor.
[[nodiscard]] SafetensorsFile read_safetensors(const ByteSource& source);

/// Parses model.safetensors.index.json text. Shard names must be plain file names (no '/').
[[nodiscard]] SafetensorsIndex parse_safetensors_index(const std::string& origin, const std::string& text);

}  // namespace dsplan
