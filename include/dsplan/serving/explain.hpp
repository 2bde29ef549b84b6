// Derivation: ordered (figure, formula with inputs, source) lines, filled only when asked.
#pragma once

#include <string>
#include <vector>

namespace dsplan {

struct DerivationLine {
  std::string figure;   ///< what is explained, e.g. "KV cache"
  std::string formula;  ///< the formula with its inputs substituted
  std::string source;   ///< where the formula or constant comes from
};

/// How a result was obtained, in order. Estimators append to it only when the caller asks,
/// so the default path does no string work (ninja's -d explain idea).
using Derivation = std::vector<DerivationLine>;

}  // namespace dsplan
