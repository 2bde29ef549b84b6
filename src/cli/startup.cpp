// reserve_heap: grow glibc's heap once by a few MiB and ask for huge pages on it, the effect of
// GLIBC_TUNABLES=glibc.malloc.hugetlb=1:glibc.malloc.top_pad=... set from inside the process.
#include "cli/startup.hpp"

#include <cstdint>
#include <cstdlib>  // first: defines __GLIBC__ for the test below

#if defined(__linux__) && defined(__GLIBC__)
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace dsplan::cli {

void reserve_heap(std::string_view command) {
  if (command != "recommend" && command != "train" && command != "compare" && command != "estimate") return;
#if defined(__linux__) && defined(__GLIBC__) && defined(MADV_HUGEPAGE)
  constexpr std::size_t k_reserve = std::size_t{8} << 20;       // recommend touches ~5 MiB of heap
  constexpr std::uintptr_t k_huge = std::uintptr_t{2} << 20;     // x86-64 and arm64 huge page size
  // Keep big blocks in the heap (not separate mappings) and the heap from shrinking: a run lasts
  // milliseconds, and every fresh mapping is faulted in page by page.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  const auto before = reinterpret_cast<std::uintptr_t>(sbrk(0));
  void* volatile probe = std::malloc(k_reserve);  // grows the heap by k_reserve, untouched
  std::free(probe);
  const auto after = reinterpret_cast<std::uintptr_t>(sbrk(0));
  const std::uintptr_t start = (before + k_huge - 1) & ~(k_huge - 1);
  if (after >= start + k_huge) (void)madvise(reinterpret_cast<void*>(start), (after - start) & ~(k_huge - 1), MADV_HUGEPAGE);
#endif
}

}  // namespace dsplan::cli
