// Process start-up tuning for a short-lived CLI.
#pragma once

#include <string_view>

namespace dsplan::cli {

/// For the commands that grow a large heap (recommend, train, compare, estimate), backs it with
/// transparent huge pages where the kernel offers them (docs/performance.md: on a virtual
/// machine, one page fault per 4 KiB of heap was a third of a recommend run). Harmless where
/// huge pages are off or unsupported; the small commands skip it (a huge page costs them more
/// than the faults it saves).
void reserve_heap(std::string_view command);

}  // namespace dsplan::cli
