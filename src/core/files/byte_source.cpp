// MemorySource and the buffered, bounds-checked ByteReader.
#include "dsplan/files/byte_source.hpp"

#include <algorithm>
#include <cstring>

#include "dsplan/base/error.hpp"

namespace dsplan {

namespace {
constexpr std::size_t k_buffer_bytes = 64 * 1024;
}

void MemorySource::read(std::uint64_t offset, std::span<std::uint8_t> out) const {
  if (offset > m_data.size() || out.size() > m_data.size() - offset)
    throw InternalError(m_name + ": read past the end of a memory source");
  std::copy_n(m_data.begin() + static_cast<std::ptrdiff_t>(offset), out.size(), out.begin());
}

ByteReader::ByteReader(const ByteSource& source, std::uint64_t offset) : m_source(&source), m_pos(offset) {
  if (offset > source.size()) fail(offset, "offset past the end of the file (" + std::to_string(source.size()) + " bytes)");
}

void ByteReader::fail(std::uint64_t at, const std::string& problem) const {
  throw InputError(m_source->name() + ": byte " + std::to_string(at) + ": " + problem);
}

void ByteReader::need(std::uint64_t n, std::string_view what) const {
  if (n > remaining())
    fail(m_pos, std::string(what) + " needs " + std::to_string(n) + " bytes but the file ends after " +
                    std::to_string(remaining()) + " (truncated?)");
}

void ByteReader::copy(std::uint8_t* out, std::uint64_t n) {
  while (n > 0) {
    const std::uint64_t end = m_buffer_start + m_buffer.size();
    if (m_pos >= m_buffer_start && m_pos < end) {
      const std::uint64_t take = std::min(n, end - m_pos);
      std::memcpy(out, m_buffer.data() + (m_pos - m_buffer_start), take);
      out += take;
      m_pos += take;
      n -= take;
      continue;
    }
    if (n >= k_buffer_bytes) {  // large reads go straight to the caller's memory
      m_source->read(m_pos, {out, n});
      m_pos += n;
      return;
    }
    const std::uint64_t fill = std::min<std::uint64_t>(k_buffer_bytes, remaining());
    m_buffer.resize(fill);
    m_buffer_start = m_pos;
    m_source->read(m_pos, m_buffer);
  }
}

std::uint8_t ByteReader::u8(std::string_view what) {
  need(1, what);
  std::uint8_t b = 0;
  copy(&b, 1);
  return b;
}

template <typename T>
T ByteReader::little_endian(std::string_view what) {
  need(sizeof(T), what);
  std::uint8_t b[sizeof(T)];
  copy(b, sizeof(T));
  std::uint64_t v = 0;
  for (std::size_t i = sizeof(T); i-- > 0;) v = (v << 8) | b[i];
  return static_cast<T>(v);
}

std::uint16_t ByteReader::u16(std::string_view what) { return little_endian<std::uint16_t>(what); }
std::uint32_t ByteReader::u32(std::string_view what) { return little_endian<std::uint32_t>(what); }
std::uint64_t ByteReader::u64(std::string_view what) { return little_endian<std::uint64_t>(what); }

std::string ByteReader::bytes(std::uint64_t n, std::uint64_t max, std::string_view what) {
  if (n > max) fail(m_pos, std::string(what) + " is " + std::to_string(n) + " bytes, more than the limit of " + std::to_string(max));
  need(n, what);
  std::string s(static_cast<std::size_t>(n), '\0');
  copy(reinterpret_cast<std::uint8_t*>(s.data()), n);
  return s;
}

void ByteReader::skip(std::uint64_t n, std::string_view what) {
  need(n, what);
  m_pos += n;
}

}  // namespace dsplan
