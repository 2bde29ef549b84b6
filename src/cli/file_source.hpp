// Files on disk as ByteSources (pread, no whole-file reads), and bounded text-file reads.
#pragma once

#include <cstdint>
#include <string>

#include "dsplan/files/byte_source.hpp"

namespace dsplan::cli {

/// An open file read with pread at the offsets asked for. Throws InputError when it cannot
/// be opened or is not a regular file.
class FileSource final : public ByteSource {
 public:
  explicit FileSource(std::string path);
  ~FileSource() override;
  [[nodiscard]] const std::string& name() const override { return m_path; }
  [[nodiscard]] std::uint64_t size() const override { return m_size; }
  void read(std::uint64_t offset, std::span<std::uint8_t> out) const override;

 private:
  std::string m_path;
  int m_fd = -1;
  std::uint64_t m_size = 0;
};

/// The whole of a small text file (config.json, a shard index); more than `max_bytes` is an
/// InputError naming the file.
[[nodiscard]] std::string read_text_file(const std::string& path, std::uint64_t max_bytes);

}  // namespace dsplan::cli
