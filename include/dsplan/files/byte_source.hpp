// Byte sources for the file readers: random access with a known size (a file, or memory for tests
// and fuzzers), and a buffered, bounds-checked little-endian reader over one.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dsplan {

/// Random-access bytes of known size. The core never opens files: the CLI passes a file-backed
/// source (src/cli/file_source.hpp), tests and fuzzers a MemorySource.
class ByteSource {
 public:
  ByteSource() = default;
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;
  virtual ~ByteSource() = default;
  /// Name used in error messages (the path).
  [[nodiscard]] virtual const std::string& name() const = 0;
  [[nodiscard]] virtual std::uint64_t size() const = 0;
  /// Fills `out` with the bytes at [offset, offset + out.size()). Callers stay within size();
  /// a source that cannot deliver them (I/O error, file shrank) throws InputError.
  virtual void read(std::uint64_t offset, std::span<std::uint8_t> out) const = 0;
};

/// Bytes held in memory (not owned).
class MemorySource final : public ByteSource {
 public:
  MemorySource(std::string name, std::span<const std::uint8_t> data) : m_name(std::move(name)), m_data(data) {}
  [[nodiscard]] const std::string& name() const override { return m_name; }
  [[nodiscard]] std::uint64_t size() const override { return m_data.size(); }
  void read(std::uint64_t offset, std::span<std::uint8_t> out) const override;

 private:
  std::string m_name;
  std::span<const std::uint8_t> m_data;
};

/// Sequential little-endian reader with a 64 KiB buffer. Every read is checked against the
/// source's size; a short source throws InputError "<name>: byte <offset>: <what>".
class ByteReader {
 public:
  explicit ByteReader(const ByteSource& source, std::uint64_t offset = 0);

  [[nodiscard]] std::uint64_t pos() const { return m_pos; }
  [[nodiscard]] std::uint64_t remaining() const { return m_source->size() - m_pos; }
  [[nodiscard]] const ByteSource& source() const { return *m_source; }

  std::uint8_t u8(std::string_view what);
  std::uint16_t u16(std::string_view what);
  std::uint32_t u32(std::string_view what);
  std::uint64_t u64(std::string_view what);
  /// `n` bytes into a string; n must not exceed `max` (checked before anything is allocated).
  std::string bytes(std::uint64_t n, std::uint64_t max, std::string_view what);
  /// Moves past `n` bytes without reading them.
  void skip(std::uint64_t n, std::string_view what);

  /// Throws InputError naming the source, the byte offset `at` and the problem.
  [[noreturn]] void fail(std::uint64_t at, const std::string& problem) const;

 private:
  void need(std::uint64_t n, std::string_view what) const;
  void copy(std::uint8_t* out, std::uint64_t n);
  /// GGUF and safetensors store integers little-endian.
  template <typename T>
  T little_endian(std::string_view what);

  const ByteSource* m_source;
  std::uint64_t m_pos;
  std::vector<std::uint8_t> m_buffer;
  std::uint64_t m_buffer_start = 0;  ///< source offset of m_buffer[0]
};

}  // namespace dsplan
