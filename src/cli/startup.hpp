// Process start-up tuning for a short-lived CLI.
#pragma once

namespace dsplan::cli {

/// Backs the heap a run grows into with transparent huge pages where the kernel offers them
/// (docs/performance.md: on a virtual machine, one page fault per 4 KiB of heap was most of a
/// recommend run). Harmless where huge pages are off or unsupported.
void reserve_heap();

}  // namespace dsplan::cli
