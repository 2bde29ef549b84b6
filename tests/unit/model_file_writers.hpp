// Test support: tiny GGUF and safetensors writers that build files in memory (and on disk for
// the CLI tests), plus a sparse byte source that serves a header followed by zeros.
#pragma once

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dsplan/byte_source.hpp"

namespace dsplan::test {

using ByteVec = std::vector<std::uint8_t>;

inline void put_u32(ByteVec& b, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
inline void put_u64(ByteVec& b, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
inline void put_str(ByteVec& b, const std::string& s) {
  put_u64(b, s.size());
  b.insert(b.end(), s.begin(), s.end());
}

// ggml type ids (ggml.h enum ggml_type) and their block sizes (ggml-common.h), for expected values.
enum GgmlId : std::uint32_t { F32 = 0, F16 = 1, Q4_0 = 2, Q8_0 = 8, Q4_K = 12, Q6_K = 14, BF16 = 30 };

/// Writes GGUF v3: the header, key-values, tensor infos, padding to the alignment, then each
/// tensor's data (zeros) at aligned offsets. Sizes use ggml's block sizes, given per tensor.
class GgufWriter {
 public:
  void kv_u32(const std::string& key, std::uint32_t v) { kv(key, 4), put_u32(m_kv, v); }
  void kv_u64(const std::string& key, std::uint64_t v) { kv(key, 10), put_u64(m_kv, v); }
  void kv_u16(const std::string& key, std::uint16_t v) {
    kv(key, 2);
    m_kv.push_back(static_cast<std::uint8_t>(v));
    m_kv.push_back(static_cast<std::uint8_t>(v >> 8));
  }
  void kv_i32(const std::string& key, std::int32_t v) { kv(key, 5), put_u32(m_kv, static_cast<std::uint32_t>(v)); }
  void kv_f32(const std::string& key, float v) {
    kv(key, 6);
    std::uint32_t bits = 0;
    std::memcpy(&bits, &v, 4);
    put_u32(m_kv, bits);
  }
  void kv_bool(const std::string& key, bool v) { kv(key, 7), m_kv.push_back(v ? 1 : 0); }
  void kv_str(const std::string& key, const std::string& v) { kv(key, 8), put_str(m_kv, v); }
  void kv_str_array(const std::string& key, const std::vector<std::string>& v) {
    kv(key, 9);
    put_u32(m_kv, 8);
    put_u64(m_kv, v.size());
    for (const auto& s : v) put_str(m_kv, s);
  }
  void kv_i32_array(const std::string& key, const std::vector<std::int32_t>& v) {
    kv(key, 9);
    put_u32(m_kv, 5);
    put_u64(m_kv, v.size());
    for (auto x : v) put_u32(m_kv, static_cast<std::uint32_t>(x));
  }
  /// A tensor of `bytes` bytes (computed by the caller from ggml's block size, by hand).
  void tensor(const std::string& name, std::vector<std::uint64_t> ne, std::uint32_t type, std::uint64_t bytes) {
    m_tensors.push_back({name, std::move(ne), type, bytes});
  }
  [[nodiscard]] std::size_t tensors() const { return m_tensors.size(); }

  /// The file's bytes up to the data section (header_only) or whole, and its full size.
  struct Output {
    ByteVec bytes;
    std::uint64_t full_size = 0;
  };
  [[nodiscard]] Output build(bool header_only = false, std::uint64_t alignment = 32) const {
    ByteVec b = {'G', 'G', 'U', 'F'};
    put_u32(b, 3);
    put_u64(b, m_tensors.size());
    put_u64(b, m_kv_count);
    b.insert(b.end(), m_kv.begin(), m_kv.end());
    std::uint64_t offset = 0;
    for (const auto& t : m_tensors) {
      put_str(b, t.name);
      put_u32(b, static_cast<std::uint32_t>(t.ne.size()));
      for (auto n : t.ne) put_u64(b, n);
      put_u32(b, t.type);
      put_u64(b, offset);
      offset += (t.bytes + alignment - 1) / alignment * alignment;
    }
    while (b.size() % alignment != 0) b.push_back(0);
    Output out;
    out.full_size = b.size() + offset;
    if (!header_only) b.resize(out.full_size, 0);
    out.bytes = std::move(b);
    return out;
  }

 private:
  struct T {
    std::string name;
    std::vector<std::uint64_t> ne;
    std::uint32_t type;
    std::uint64_t bytes;
  };
  void kv(const std::string& key, std::uint32_t type) {
    ++m_kv_count;
    put_str(m_kv, key);
    put_u32(m_kv, type);
  }
  ByteVec m_kv;
  std::uint64_t m_kv_count = 0;
  std::vector<T> m_tensors;
};

/// Writes a safetensors file: u64 header length, JSON header, data (zeros), tensors packed in
/// the order given.
class SafetensorsWriter {
 public:
  void tensor(const std::string& name, const std::string& dtype, std::vector<std::uint64_t> shape, std::uint64_t bytes) {
    m_header[name] = {{"dtype", dtype}, {"shape", shape}, {"data_offsets", {m_offset, m_offset + bytes}}};
    m_offset += bytes;
  }
  void metadata(const std::string& k, const std::string& v) { m_header["__metadata__"][k] = v; }
  [[nodiscard]] ByteVec build() const {
    const std::string h = m_header.dump();
    ByteVec b;
    put_u64(b, h.size());
    b.insert(b.end(), h.begin(), h.end());
    b.resize(b.size() + m_offset, 0);
    return b;
  }

 private:
  nlohmann::json m_header = nlohmann::json::object();
  std::uint64_t m_offset = 0;
};

/// A header in memory followed by zeros up to `size` (a 671B file without 671 GB of RAM).
class SparseSource final : public ByteSource {
 public:
  SparseSource(std::string name, ByteVec head, std::uint64_t size)
      : m_name(std::move(name)), m_head(std::move(head)), m_size(size) {}
  [[nodiscard]] const std::string& name() const override { return m_name; }
  [[nodiscard]] std::uint64_t size() const override { return m_size; }
  void read(std::uint64_t offset, std::span<std::uint8_t> out) const override {
    for (std::size_t i = 0; i < out.size(); ++i)
      out[i] = offset + i < m_head.size() ? m_head[static_cast<std::size_t>(offset + i)] : 0;
  }

 private:
  std::string m_name;
  ByteVec m_head;
  std::uint64_t m_size;
};

inline void write_file(const std::filesystem::path& path, const ByteVec& bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

/// A fresh directory under the system temp directory for one test.
inline std::filesystem::path temp_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("dsplan-test-" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace dsplan::test
