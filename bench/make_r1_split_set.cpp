// Writes DeepSeek-R1 as a 3-part GGUF split set of sparse files (headers with the tokenizer, then
// holes up to the published sizes' scale) for bench/inspect_latency.sh: `dsplan inspect` reads the
// headers of a 1,086-tensor set, which must take < 50 ms and < 30 MB whatever the files' size.
// Usage: make_r1_split_set DIR
#include <filesystem>
#include <fstream>
#include <iostream>

#include "model_file_writers.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_r1_split_set DIR\n";
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  for (const auto& part : dsplan::test::r1_split_set(3, true)) {
    // The header ends well before 64 MiB; the rest of the file is a hole (no disk used).
    const std::uint64_t head = std::min<std::uint64_t>(part.size(), 64ULL << 20);
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(head));
    part.read(0, bytes);
    const auto path = dir / part.name();
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                static_cast<std::streamsize>(bytes.size()));
    std::filesystem::resize_file(path, part.size());
    std::cout << path.string() << '\n';
  }
  return 0;
}
