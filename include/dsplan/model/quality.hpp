// Quality: a model's score for a task from published benchmarks, and what a quant format costs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dsplan/catalog/catalog.hpp"

namespace dsplan {

/// A model's 0-100 score for a task (data/tasks.json), with the figures it came from.
struct TaskScore {
  double score = 0;
  std::vector<std::string> parts;  ///< "livecodebench 57.2", "codeforces_rating 1691 / 30 = 56.4"
};

/// nullopt when the model has no published figure for any of the task's metrics.
[[nodiscard]] std::optional<TaskScore> task_score(const Catalog& catalog, const ModelSpec& model,
                                                  const TaskSpec& task);

/// What storing a model in a format costs in quality: factor = exp(-KLD), the geometric-mean
/// share of its own next-token probability the quantized model keeps (docs/decisions.md).
struct QuantPenalty {
  double kld = 0;
  double factor = 1;
  bool native = false;  ///< the format the model was published in: no loss
  std::string basis;
  std::string source;
};

/// nullopt when the catalog has no quality figure for the format (a user-added format).
[[nodiscard]] std::optional<QuantPenalty> quant_penalty(const ModelSpec& model, const QuantFormat& quant);

/// R1 and its distills think before answering (a chain of thought in <think> tags); the V3 line
/// answers directly (V3.1 and later can do either).
[[nodiscard]] bool is_reasoning_model(const ModelSpec& model);

}  // namespace dsplan
