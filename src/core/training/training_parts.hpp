// Private: the parts of the training estimate shared by its files — the model's facts
// (training_model.cpp), memory per GPU (training_memory.cpp), FLOPs, time and cost
// (training_flops.cpp); training.cpp validates the request and searches GPU counts.
#pragma once

#include <cstdint>
#include <vector>

#include "dsplan/catalog/catalog.hpp"
#include "dsplan/model/tensors.hpp"
#include "dsplan/training/training.hpp"

namespace dsplan::training_detail {

/// A quantity split into routed experts and everything else (expert parallelism splits only
/// the former): parameters, or model-state bytes.
struct Split {
  double routed = 0;
  double other = 0;
};

/// Bytes saved for backward per token in one block, nothing recomputed; `scores` is the part that
/// attention without flash attention adds (the s x s probabilities) and selective recompute drops.
struct LayerActivation {
  std::uint64_t saved = 0;
  std::uint64_t scores = 0;
};

struct Shape {
  std::uint64_t dp = 1, tp = 1, pp = 1, ep = 1;
  std::uint64_t in_flight = 1;  ///< micro-batches the first pipeline stage holds (1F1B: up to pp)
};

struct ModelFacts {
  const ModelSpec* spec = nullptr;
  TensorInventory inv;
  Split trainable;           ///< parameters with gradients and optimizer states
  std::uint64_t lora_active = 0;
  Split frozen;              ///< LoRA/QLoRA base weight bytes
  Split block_params;
  double largest_global_params = 0;  ///< the embedding or the output head, whichever is larger
  std::vector<LayerActivation> layers;
};

// ---- the model (training_model.cpp) ----
Checkpointing default_checkpointing(TrainMethod m);
/// Inventory, trainable and frozen parameters, per-block activations of the request's model.
ModelFacts model_facts(const Catalog& catalog, const TrainRequest& r);
/// LoRA parameters of the targets: routed experts apart; `active` counts experts at k / E.
Split lora_split(const TensorInventory& inv, const ModelArch& arch, std::uint64_t rank, LoraTargets targets,
                 bool active);

// ---- memory per GPU (training_memory.cpp) ----
/// Optimizer bytes per trained parameter, times two (ZeRO's K).
std::uint64_t optimizer_bytes_x2(Optimizer o);
std::vector<LayerActivation> layer_activations(const ModelArch& a, std::uint64_t seq);
TrainMemory memory_for(const ModelFacts& f, const TrainRequest& r, Checkpointing ckpt, const Shape& s,
                       TrainPerToken& per_token);

// ---- FLOPs, time and cost (training_flops.cpp) ----
/// GPUs per node: --gpus-per-node, else the GPU's catalog value.
std::uint64_t node_size(const Catalog& catalog, const TrainRequest& r);
double matmul_params(const TensorInventory& inv, const ModelArch& a);
void flops_for(const ModelFacts& f, const TrainRequest& r, Checkpointing ckpt, TrainPerToken& t);
void add_time_and_cost(const Catalog& catalog, const TrainRequest& r, TrainResult& out);
/// 1F1B pipeline schedule: each step runs m + p - 1 stage slots of work for m micro-batches, so
/// p - 1 of them idle every stage (Narayanan et al., arXiv 2104.04473, section 2.2.1).
double pipeline_bubble(std::uint64_t stages, std::uint64_t micro_batches);

}  // namespace dsplan::training_detail
