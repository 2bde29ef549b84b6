// Launch commands per engine. GGUF files: Unsloth publishes GGUF conversions of every DeepSeek
// checkpoint in the catalog as unsloth/<checkpoint name>-GGUF on Hugging Face; llama.cpp's -hf
// and Ollama's hf.co/ prefix download them by quant name.
#include "dsplan/launch.hpp"

#include <fmt/format.h>

#include "dsplan/file_weights.hpp"

namespace dsplan {

namespace {

std::string repo_name(const ModelSpec& m) {
  const auto slash = m.hf_repo.find('/');
  return slash == std::string::npos ? m.hf_repo : m.hf_repo.substr(slash + 1);
}

std::string gguf_ref(const Candidate& c) { return fmt::format("unsloth/{}-GGUF:{}", repo_name(*c.model), c.quant->name); }

bool is_url(const std::string& s) { return s.rfind("https://", 0) == 0 || s.rfind("http://", 0) == 0; }

/// llama.cpp's model argument: a --model-file's first part (-m path, -mu URL), else the -hf reference.
std::string llama_model(const Candidate& c) {
  if (!c.quant->file) return "-hf " + gguf_ref(c);
  const std::string& f = c.quant->file->files.front();
  return (is_url(f) ? "-mu " : "-m ") + f;
}

std::string llama_cpp(const Candidate& c, std::uint64_t context, std::uint64_t users) {
  // -c is the whole cache; -np splits it into one slot per user.
  std::string cmd = fmt::format("llama-server {} -c {} -np {} -fa on", llama_model(c), context * users, users);
  if (c.strategy == LayoutStrategy::expert_offload) cmd += " -ngl 999 -ot \".ffn_.*_exps.=CPU\"";
  else if (c.gpus > 0) cmd += fmt::format(" -ngl {}", c.gpu_layers);
  else cmd += " -ngl 0";
  return cmd;
}

std::string ollama(const Candidate& c, std::uint64_t context, std::uint64_t users) {
  if (c.quant->file && !is_url(c.quant->file->files.front()))  // a local GGUF: import it (Modelfile FROM)
    return fmt::format("printf 'FROM {}\\n' > Modelfile && ollama create {} -f Modelfile && OLLAMA_CONTEXT_LENGTH={} "
                       "OLLAMA_NUM_PARALLEL={} ollama run {}",
                       c.quant->file->files.front(), c.model->id, context, users, c.model->id);
  return fmt::format("OLLAMA_CONTEXT_LENGTH={} OLLAMA_NUM_PARALLEL={} ollama run hf.co/{}", context, users, gguf_ref(c));
}

/// The checkpoint a safetensors engine loads: the published one, or a conversion to find.
std::string checkpoint(const Candidate& c, std::string& flags) {
  if (c.quant->file) {  // the directory (or URL) holding the --model-file's shards
    const std::string& f = c.quant->file->files.front();
    return f.find('/') == std::string::npos ? std::string(".") : f.substr(0, f.rfind('/'));
  }
  const std::string& q = c.quant->id;
  if (q == c.model->native_quant || q == "bf16" || q == "fp16") return c.model->hf_repo;
  if (q == "fp8") {  // vLLM and SGLang quantize BF16 weights to FP8 when loading
    flags += " --quantization fp8";
    return c.model->hf_repo;
  }
  return fmt::format("<{} checkpoint of {}>", c.quant->name, c.model->hf_repo);
}

std::string vllm(const Candidate& c, std::uint64_t context, std::uint64_t users) {
  std::string flags;
  const std::string model = checkpoint(c, flags);
  std::string cmd = fmt::format("vllm serve {} --tensor-parallel-size {} --max-model-len {} --max-num-seqs {}{}", model,
                                c.tensor_parallel, context, users, flags);
  if (c.pipeline_parallel > 1) cmd += fmt::format(" --pipeline-parallel-size {}", c.pipeline_parallel);
  return cmd;
}

std::string sglang(const Candidate& c, std::uint64_t context, std::uint64_t users) {
  std::string flags;
  const std::string model = checkpoint(c, flags);
  std::string cmd = fmt::format(
      "python3 -m sglang.launch_server --model-path {} --tp {} --context-length {} --max-running-requests {} "
      "--trust-remote-code{}",
      model, c.tensor_parallel, context, users, flags);
  // One pipeline stage per node, as dsplan places it.
  if (c.pipeline_parallel > 1)
    cmd += fmt::format(" --pp-size {} --nnodes {} --node-rank <0..{}> --dist-init-addr <first node:port>",
                       c.pipeline_parallel, c.pipeline_parallel, c.pipeline_parallel - 1);
  return cmd;
}

std::string transformers(const Candidate& c) {
  std::string flags;
  const std::string model = checkpoint(c, flags);
  return fmt::format(
      "python3 -c \"from transformers import AutoModelForCausalLM; "
      "AutoModelForCausalLM.from_pretrained('{}', torch_dtype='auto', device_map='auto')\"",
      model);
}

}  // namespace

std::string launch_command(const Candidate& c, std::uint64_t context, std::uint64_t users) {
  const std::string& e = c.engine->id;
  if (e == "llama.cpp") return llama_cpp(c, context, users);
  if (e == "ollama") return ollama(c, context, users);
  if (e == "vllm") return vllm(c, context, users);
  if (e == "sglang") return sglang(c, context, users);
  return transformers(c);
}

}  // namespace dsplan
