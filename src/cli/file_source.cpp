// FileSource: POSIX open/fstat/pread; read_text_file with a size limit.
#include "cli/file_source.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dsplan/base/error.hpp"

namespace dsplan::cli {

FileSource::FileSource(std::string path) : m_path(std::move(path)) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer before the check
  // below could refuse it; on a regular file the flag changes nothing.
  m_fd = ::open(m_path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (m_fd < 0) throw InputError(m_path + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(m_fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(m_fd);
    throw InputError(m_path + ": not a regular file");
  }
  m_size = static_cast<std::uint64_t>(st.st_size);
}

FileSource::~FileSource() {
  if (m_fd >= 0) ::close(m_fd);
}

void FileSource::read(std::uint64_t offset, std::span<std::uint8_t> out) const {
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::pread(m_fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw InputError(m_path + ": byte " + std::to_string(offset + done) + ": read failed" +
                       (n < 0 ? std::string(": ") + std::strerror(errno) : std::string(" (file shrank?)")));
    done += static_cast<std::size_t>(n);
  }
}

std::string read_text_file(const std::string& path, std::uint64_t max_bytes) {
  const FileSource file(path);
  if (file.size() > max_bytes)
    throw InputError(path + ": " + std::to_string(file.size()) + " bytes, more than the limit of " +
                     std::to_string(max_bytes) + " for this kind of file");
  std::string text(static_cast<std::size_t>(file.size()), '\0');
  file.read(0, {reinterpret_cast<std::uint8_t*>(text.data()), text.size()});
  return text;
}

}  // namespace dsplan::cli
