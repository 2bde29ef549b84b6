// Task scores from the catalog's benchmark figures and quant penalties from measured KL divergence.
#include "dsplan/model/quality.hpp"

#include <cmath>

#include <algorithm>

#include <fmt/format.h>


namespace dsplan {

namespace {

struct MetricValue {
  double value = 0;
  std::string text;
};

std::optional<MetricValue> metric_value(const ModelSpec& model, const TaskMetric& metric) {
  for (const auto& key : metric.keys) {
    const auto it = model.benchmarks.scores.find(key);
    if (it == model.benchmarks.scores.end()) continue;
    if (metric.divide_by == 1) return MetricValue{it->second, fmt::format("{} {:g}", key, it->second)};
    // A rating put on the 0-100 range of pass rates (Codeforces / 30) tops out at 100: a rating
    // past the scale's top (3000) is not a pass rate above 100 %.
    const double v = std::min(it->second / metric.divide_by, 100.0);
    return MetricValue{
        v, fmt::format("{} {:g} / {:g} = {:.1f}{}", key, it->second, metric.divide_by, it->second / metric.divide_by,
                       v < it->second / metric.divide_by ? ", 100 at most" : "")};
  }
  return std::nullopt;
}

std::optional<TaskScore> metric_score(const ModelSpec& model, const TaskSpec& task) {
  double sum = 0, weights = 0;
  TaskScore out;
  for (const auto& m : task.metrics)
    if (const auto v = metric_value(model, m)) {
      sum += m.weight * v->value;
      weights += m.weight;
      out.parts.push_back(v->text);
    }
  if (weights <= 0) return std::nullopt;
  out.score = sum / weights;
  return out;
}

}  // namespace

std::optional<TaskScore> task_score(const Catalog& catalog, const ModelSpec& model, const TaskSpec& task) {
  if (task.blend_of.empty()) return metric_score(model, task);
  TaskScore out;
  double sum = 0;
  for (const auto& id : task.blend_of) {
    const auto part = metric_score(model, catalog.require_task(id));
    if (!part) return std::nullopt;  // a blend needs every part, or models would be scored on different bases
    sum += part->score;
    out.parts.push_back(fmt::format("{} {:.1f}", id, part->score));
  }
  out.score = sum / static_cast<double>(task.blend_of.size());
  return out;
}

std::optional<QuantPenalty> quant_penalty(const ModelSpec& model, const QuantFormat& quant) {
  QuantPenalty p;
  if (quant.id == model.native_quant) {
    p.native = true;
    p.basis = "native";
    p.source = "the format " + model.name + " is published in";
    return p;
  }
  if (!quant.quality) return std::nullopt;
  p.kld = quant.quality->kld;
  p.factor = std::exp(-p.kld);
  p.basis = quant.quality->basis;
  p.source = quant.quality->source;
  return p;
}

bool is_reasoning_model(const ModelSpec& model) { return model.reasoning; }

}  // namespace dsplan
