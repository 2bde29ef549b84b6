// safetensors reader. Format (github.com/huggingface/safetensors, README "Format"): u64 little-endian
// header length N, N bytes of JSON {"name": {"dtype", "shape", "data_offsets": [begin, end]}, ...,
// "__metadata__": {string: string}}, then the data section; offsets are relative to its start.
#include "dsplan/files/safetensors_reader.hpp"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "dsplan/base/error.hpp"
#include "core/catalog/json_bounded.hpp"

namespace dsplan {

namespace {

struct DtypeSize {
  std::string_view name;
  std::uint64_t bytes;
};

// safetensors safetensors/src/tensor.rs enum Dtype (byte-sized types; F4/F6 pack sub-byte values).
constexpr DtypeSize k_dtypes[] = {
    {"BOOL", 1}, {"U8", 1}, {"I8", 1}, {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"F8_E8M0", 1}, {"I16", 2}, {"U16", 2},
    {"F16", 2},  {"BF16", 2}, {"I32", 4}, {"U32", 4},  {"F32", 4},     {"F64", 8},     {"I64", 8},  {"U64", 8},
};

std::uint64_t json_u64(const nlohmann::json& v, const std::string& where) {
  if (!v.is_number_unsigned()) throw InputError(where + ": expected a non-negative integer");
  return v.get<std::uint64_t>();
}

SafetensorsTensor parse_entry(const std::string& name, const nlohmann::json& e, const std::string& origin,
                              std::uint64_t data_bytes, std::pair<std::uint64_t, std::uint64_t>& range) {
  const std::string where = origin + ": tensor '" + name + "'";
  if (!e.is_object()) throw InputError(where + ": expected an object");
  for (const auto& [key, _] : e.items())
    if (key != "dtype" && key != "shape" && key != "data_offsets") throw InputError(where + ": unknown field '" + key + "'");
  SafetensorsTensor t;
  t.name = name;
  const auto dtype = e.find("dtype");
  if (dtype == e.end() || !dtype->is_string()) throw InputError(where + ": 'dtype' must be a string");
  t.dtype = dtype->get<std::string>();
  const std::uint64_t size = safetensors_dtype_bytes(t.dtype);
  if (size == 0) throw InputError(where + ": unsupported dtype '" + t.dtype.substr(0, 32) + "'");
  const auto shape = e.find("shape");
  if (shape == e.end() || !shape->is_array()) throw InputError(where + ": 'shape' must be an array");
  if (shape->size() > k_safetensors_max_dims)
    throw InputError(where + ": " + std::to_string(shape->size()) + " dimensions (at most " +
                     std::to_string(k_safetensors_max_dims) + ")");
  t.elements = 1;
  for (const auto& d : *shape) {
    const std::uint64_t n = json_u64(d, where + ": shape");
    t.shape.push_back(n);
    if (__builtin_mul_overflow(t.elements, n, &t.elements)) throw InputError(where + ": element count overflows 64 bits");
  }
  std::uint64_t bytes = 0;
  if (__builtin_mul_overflow(t.elements, size, &bytes)) throw InputError(where + ": byte size overflows 64 bits");
  t.bytes = Bytes(bytes);
  const auto offsets = e.find("data_offsets");
  if (offsets == e.end() || !offsets->is_array() || offsets->size() != 2)
    throw InputError(where + ": 'data_offsets' must be [begin, end]");
  range = {json_u64((*offsets)[0], where + ": data_offsets"), json_u64((*offsets)[1], where + ": data_offsets")};
  if (range.first > range.second)
    throw InputError(where + ": data_offsets [" + std::to_string(range.first) + ", " + std::to_string(range.second) +
                     "] end before they begin");
  if (range.second > data_bytes)
    throw InputError(where + ": data_offsets [" + std::to_string(range.first) + ", " + std::to_string(range.second) +
                     ") lie outside the data section of " + std::to_string(data_bytes) + " bytes (truncated?)");
  if (range.second - range.first != bytes)
    throw InputError(where + ": data_offsets span " + std::to_string(range.second - range.first) + " bytes but " +
                     t.dtype + " x " + std::to_string(t.elements) + " elements is " + std::to_string(bytes));
  return t;
}

}  // namespace

std::uint64_t safetensors_dtype_bytes(std::string_view dtype) {
  for (const auto& d : k_dtypes)
    if (d.name == dtype) return d.bytes;
  return 0;
}

SafetensorsFile read_safetensors(const ByteSource& source) {
  SafetensorsFile f;
  f.name = source.name();
  f.file_bytes = Bytes(source.size());
  ByteReader in(source);
  f.header_bytes = in.u64("the header length");
  if (f.header_bytes > k_safetensors_max_header_bytes)
    in.fail(0, "header length " + std::to_string(f.header_bytes) + " exceeds the limit of " +
                   std::to_string(k_safetensors_max_header_bytes) + " bytes");
  const std::string header = in.bytes(f.header_bytes, k_safetensors_max_header_bytes, "the JSON header");
  const std::uint64_t data_bytes = in.remaining();
  const nlohmann::json doc = detail::parse_bounded(header, f.name + ": header", 4);
  if (!doc.is_object()) throw InputError(f.name + ": header: expected a JSON object");
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
  for (const auto& [name, entry] : doc.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) throw InputError(f.name + ": __metadata__: expected an object");
      for (const auto& [k, v] : entry.items())
        if (v.is_string()) f.metadata[k] = v.get<std::string>();
      continue;
    }
    std::pair<std::uint64_t, std::uint64_t> range;
    f.tensors.push_back(parse_entry(name, entry, f.name, data_bytes, range));
    f.tensor_bytes += f.tensors.back().bytes;
    if (range.second > range.first) ranges.push_back(range);
  }
  std::sort(ranges.begin(), ranges.end());
  for (std::size_t i = 1; i < ranges.size(); ++i)
    if (ranges[i].first < ranges[i - 1].second)
      throw InputError(f.name + ": tensors overlap at data offset " + std::to_string(ranges[i].first));
  return f;
}

SafetensorsIndex parse_safetensors_index(const std::string& origin, const std::string& text) {
  const nlohmann::json doc = detail::parse_bounded(text, origin, 3);
  if (!doc.is_object()) throw InputError(origin + ": expected a JSON object");
  SafetensorsIndex idx;
  const auto map = doc.find("weight_map");
  if (map == doc.end() || !map->is_object()) throw InputError(origin + ": /weight_map: expected an object");
  std::set<std::string> files;
  for (const auto& [tensor, file] : map->items()) {
    if (!file.is_string()) throw InputError(origin + ": /weight_map/" + tensor + ": expected a file name");
    const std::string name = file.get<std::string>();
    if (name.empty() || name.find('/') != std::string::npos || name.find('\\') != std::string::npos || name == "." ||
        name == "..")
      throw InputError(origin + ": /weight_map/" + tensor + ": '" + name.substr(0, 64) + "' is not a plain file name");
    idx.weight_map[tensor] = name;
    files.insert(name);
  }
  idx.files.assign(files.begin(), files.end());
  if (doc.contains("metadata") && doc.at("metadata").is_object() && doc.at("metadata").contains("total_size")) {
    const auto& total = doc.at("metadata").at("total_size");
    if (total.is_number_unsigned()) idx.total_size = total.get<std::uint64_t>();
  }
  return idx;
}

}  // namespace dsplan
