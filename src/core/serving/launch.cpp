// Launch commands per engine. GGUF files: the model's gguf_repo (catalog), which llama.cpp's -hf
// and Ollama's hf.co/ prefix download by quant name; where no public repository holds the layout
// dsplan sizes, a placeholder names the conversion to make. Flags as of llama.cpp b6000+ (tools/
// server README: -c, -np, -fa on|off, -ngl, -ts, -ot, -ctk/-ctv; tools/llama-bench README: -p, -n,
// -ngl, -fa 0|1, -ts a/b, -ot, -ctk/-ctv), vLLM 0.10 (`vllm serve` engine args, `vllm bench serve`),
// SGLang 0.5 (server arguments, sglang.bench_serving) and Ollama 0.12 (OLLAMA_CONTEXT_LENGTH,
// OLLAMA_NUM_PARALLEL, OLLAMA_KV_CACHE_TYPE, the num_ctx/num_gpu options of /api/generate).
#include "dsplan/serving/launch.hpp"

#include "dsplan/base/text.hpp"

#include <algorithm>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "dsplan/base/error.hpp"
#include "dsplan/files/file_weights.hpp"
#include "dsplan/model/attention.hpp"

namespace dsplan {

namespace {

/// The tag a GGUF repository files the format under: its name up to the first space or comma
/// ("UD-IQ1_S (unsloth dynamic 1.58-bit)" -> "UD-IQ1_S"; "Q4_K_M" stays).
std::string file_tag(const QuantFormat& q) { return q.name.substr(0, q.name.find_first_of(" ,")); }

/// The repository holding the format's files: its publisher's for this model, else the model's.
const std::string& gguf_repo(const LaunchSpec& s) {
  const auto it = s.quant->gguf_repos.find(s.model->id);
  return it != s.quant->gguf_repos.end() ? it->second : s.model->gguf_repo;
}

/// The file to download (repo:tag), or a placeholder naming the conversion when no repository has it.
std::string gguf_ref(const LaunchSpec& s) {
  if (gguf_repo(s).empty() && !s.model->model_file.empty())  // a user's GGUF, in another format
    return fmt::format("<{} .gguf made from {} with llama.cpp's llama-quantize --allow-requantize>", file_tag(*s.quant),
                       s.model->model_file);
  if (gguf_repo(s).empty())
    return fmt::format("<{} .gguf made from {} with llama.cpp's convert_hf_to_gguf.py and llama-quantize>",
                       file_tag(*s.quant), s.model->hf_repo);
  return fmt::format("{}:{}", gguf_repo(s), file_tag(*s.quant));
}

/// The local file llama-bench reads.
std::string gguf_file(const LaunchSpec& s) {
  if (gguf_repo(s).empty()) return gguf_ref(s);
  return fmt::format("<{} .gguf of {}>", file_tag(*s.quant), gguf_repo(s));
}

bool is_url(const std::string& s) { return s.rfind("https://", 0) == 0 || s.rfind("http://", 0) == 0; }

/// llama.cpp's model argument: a --model-file's first part (-m path, -mu URL), else the -hf reference.
std::string llama_model(const LaunchSpec& s) {
  if (!s.quant->file) return (gguf_repo(s).empty() ? "-m " : "-hf ") + gguf_ref(s);
  const std::string& f = s.quant->file->files.front();
  return (is_url(f) ? "-mu " : "-m ") + shell_word(f);
}

std::string joined(const std::vector<std::uint64_t>& v, char separator) {
  std::string out;
  for (const auto x : v) {
    if (!out.empty()) out += separator;
    out += std::to_string(x);
  }
  return out;
}

}  // namespace

std::uint64_t llama_gpu_layers(const LaunchSpec& s) {
  // With routed experts in RAM and every layer on the GPUs, -ngl 999 says "all" (-ot or
  // --n-cpu-moe then keeps the experts in RAM).
  if (s.strategy == LayoutStrategy::expert_offload && s.gpu_layers >= s.layers + 1) return k_llama_all_layers;
  // -ngl N takes the last N slots, output layer first (PR #18148), then the file's last blocks:
  // a skipped MTP block there takes a slot before the main blocks do.
  return s.gpu_layers >= 2 ? s.gpu_layers + s.skipped_file_blocks : s.gpu_layers;
}

namespace {

/// -ngl, -ts and -ot: the layout, shared by llama-server and llama-bench (which splits with '/').
std::string llama_layout_flags(const LaunchSpec& s, char split_separator) {
  const std::string split = s.tensor_split.size() > 1 ? " -ts " + joined(s.tensor_split, split_separator) : "";
  if (s.strategy == LayoutStrategy::expert_offload) {  // all routed experts in RAM, or the first N blocks'
    const std::uint64_t ngl = llama_gpu_layers(s);
    return s.experts_in_ram_blocks < s.layers
               ? fmt::format(" -ngl {}{} --n-cpu-moe {}", ngl, split, s.experts_in_ram_blocks)
               : fmt::format(" -ngl {}{} -ot \".ffn_.*_exps.=CPU\"", ngl, split);
  }
  if (s.gpus == 0) return " -ngl 0";
  return fmt::format(" -ngl {}{}", llama_gpu_layers(s), split);
}

std::string llama_runtime_flags(const LaunchSpec& s) {
  std::string flags = s.settings.kv_type.empty()
                          ? std::string()
                          : fmt::format(" -ctk {} -ctv {}", s.settings.kv_type, s.settings.kv_type);
  if (s.settings.threads > 0) flags += fmt::format(" -t {}", s.settings.threads);
  // llama.cpp caps the micro-batch at the batch (n_ubatch = min(n_batch, n_ubatch) in llama_context;
  // n_batch defaults to 2048 in common/common.h), so a larger one raises both.
  constexpr std::uint64_t k_llama_default_batch = 2048;
  if (s.settings.ubatch > k_llama_default_batch) flags += fmt::format(" -b {}", s.settings.ubatch);
  if (s.settings.ubatch > 0) flags += fmt::format(" -ub {}", s.settings.ubatch);
  return flags;
}

/// llama-server and llama-bench lines: llama.cpp and its fork differ in how a file is named and in
/// the flags the fork takes.
LaunchCommand llama_server(const LaunchSpec& s, const std::string& model, const std::string& engine_flags) {
  LaunchCommand c;
  // -c is the whole cache; -np splits it into one slot per sequence.
  const EngineSpec& e = *s.engine;
  c.command = fmt::format("llama-server {} -c {} -np {} -fa {}{}{}{}{}{}", model, s.context * s.sequences, s.sequences,
                          s.settings.flash_attention ? "on" : "off", engine_flags, llama_runtime_flags(s),
                          llama_layout_flags(s, ','), s.settings.mmap ? "" : " --no-mmap",
                          s.settings.op_offload ? "" : " " + e.op_offload_off_server_flag);
  const std::string bench_model =
      s.quant->file && !is_url(s.quant->file->files.front()) ? shell_word(s.quant->file->files.front()) : gguf_file(s);
  if (s.sequences > 1) {
    // llama-bench times one stream; llama-batched-bench runs -npl sequences side by side and takes
    // the server's flags (common's), as it shares their cache of -c cells.
    c.verify = fmt::format("llama-batched-bench -m {} -c {} -npp {} -ntg {} -npl {} -fa {}{}{}{}{}{}", bench_model,
                           s.context * s.sequences, s.prompt_tokens, s.output_tokens, s.sequences,
                           s.settings.flash_attention ? "on" : "off", engine_flags, llama_runtime_flags(s),
                           llama_layout_flags(s, ','), s.settings.mmap ? "" : " --no-mmap",
                           s.settings.op_offload ? "" : " " + e.op_offload_off_server_flag);
    return c;
  }
  c.verify =
      fmt::format("llama-bench -m {} -p {} -n {} -fa {}{}{}{}{}{}", bench_model, s.prompt_tokens, s.output_tokens,
                  s.settings.flash_attention ? 1 : 0, engine_flags, llama_runtime_flags(s), llama_layout_flags(s, '/'),
                  s.settings.mmap ? "" : " -mmp 0", s.settings.op_offload ? "" : " " + e.op_offload_off_bench_flag);
  return c;
}

LaunchCommand llama_cpp(const LaunchSpec& s) { return llama_server(s, llama_model(s), ""); }

LaunchCommand ik_llama_cpp(const LaunchSpec& s) {
  // The fork has no -hf repo:tag download (only -hfr/-hff), so the file is named. -mla 3 (its
  // default since PR #943) is the latent cache dsplan sizes; -fa takes a value since PR #944.
  std::string model = "-m " + gguf_file(s);
  if (s.quant->file) model = llama_model(s);
  return llama_server(s, model, attention_of(s.model->arch).latent_cache ? " -mla 3" : "");
}

/// The model as the engine's registry names it (Ollama's `deepseek-r1:671b`), where the registry
/// serves this format under a tag (its default format: data/engines.json registry_quant_default);
/// else "hf.co/<repo>:<QUANT>", which Ollama pulls from Hugging Face (one-file GGUFs only).
std::string ollama_model(const LaunchSpec& s) {
  if (s.engine->registry_quant_default && s.quant->id == s.engine->default_quant_gguf)
    for (const auto& alias : s.model->aliases)
      if (alias.find(':') != std::string::npos) return alias;
  return "hf.co/" + gguf_ref(s);
}

/// Hugging Face stores files of up to 50 GB (huggingface.co/docs/hub/storage-limits), so publishers
/// split larger GGUFs (llama-gguf-split),
/// and Ollama pulls a one-file GGUF only: a larger one is downloaded, merged and imported.
constexpr std::uint64_t k_hub_file_limit = 50'000'000'000;

/// The commands that make a split GGUF an Ollama model named after the dsplan model.
std::string ollama_import_split(const LaunchSpec& s) {
  const std::string tag = file_tag(*s.quant);
  return fmt::format(
      "huggingface-cli download {} --include '*{}*' --local-dir {} && llama-gguf-split --merge "
      "<the first part, {}/...-00001-of-N.gguf> {}-{}.gguf && printf 'FROM ./{}-{}.gguf\\n' > Modelfile && "
      "ollama create {} -f Modelfile",
      gguf_repo(s), tag, s.model->id, s.model->id, s.model->id, tag, s.model->id, tag, s.model->id);
}

/// Ollama's settings are the server's environment (`ollama run` is a client of `ollama serve`), and
/// a quantized cache needs flash attention on (Ollama's FAQ), so the line starts the server with them.
std::string ollama_server(const LaunchSpec& s) {
  std::string env = fmt::format("{}OLLAMA_CONTEXT_LENGTH={} OLLAMA_NUM_PARALLEL={}",
                                s.device_env.empty() ? "" : s.device_env + " ", s.context, s.sequences);
  if (s.settings.flash_attention) env += " OLLAMA_FLASH_ATTENTION=1";
  if (!s.settings.kv_type.empty()) env += fmt::format(" OLLAMA_KV_CACHE_TYPE={}", s.settings.kv_type);
  return env + " ollama serve & sleep 5; ";
}

LaunchCommand ollama(const LaunchSpec& s) {
  LaunchCommand c;
  const std::string server = ollama_server(s);
  const bool local = s.quant->file && !is_url(s.quant->file->files.front());
  if (local || gguf_repo(s).empty()) {  // a local GGUF, or one to convert: import it (Modelfile FROM)
    c.command =
        fmt::format("{}printf 'FROM %s\\n' {} > Modelfile && ollama create {} -f Modelfile && ollama run {}", server,
                    shell_word(local ? s.quant->file->files.front() : gguf_ref(s)), s.model->id, s.model->id);
    c.verify = fmt::format("ollama run {} --verbose \"<a prompt of about {} tokens>\"   # prints the eval rate", s.model->id,
                           s.prompt_tokens);
    return c;
  }
  const bool partial = s.strategy != LayoutStrategy::expert_offload && s.gpus > 0 && s.gpu_layers < s.layers + 1;
  std::string model = ollama_model(s);
  std::string import;
  if (model.rfind("hf.co/", 0) == 0 && s.file_bytes > k_hub_file_limit) {
    import = ollama_import_split(s);
    model = s.model->id;
  }
  if (partial || s.gpus == 0) {
    // Layers per GPU are an option of the request (num_gpu), not of the server.
    c.command = fmt::format(
        "{}{}curl http://localhost:11434/api/generate -d '{{\"model\": \"{}\", \"options\": {{\"num_ctx\": {}, "
        "\"num_gpu\": {}}}}}'",
        server, import.empty() ? "ollama pull " + model + " && " : import + " && ", model, s.context,
        s.gpus == 0 ? 0 : s.gpu_layers);
  } else {
    c.command = fmt::format("{}{}ollama run {}", server, import.empty() ? "" : import + " && ", model);
  }
  c.verify = fmt::format("ollama run {} --verbose \"<a prompt of about {} tokens>\"   # prints the eval rate", model,
                         s.prompt_tokens);
  return c;
}

/// The checkpoint a safetensors engine loads: the published one, or a conversion to find.
std::string checkpoint(const LaunchSpec& s, std::string& flags) {
  if (s.quant->file) {  // the directory (or URL) holding the --model-file's shards
    const std::string& f = s.quant->file->files.front();
    return f.find('/') == std::string::npos ? std::string(".") : shell_word(f.substr(0, f.rfind('/')));
  }
  if (s.model->hf_repo.empty())  // a model known from its GGUF file alone
    return fmt::format("<{} safetensors checkpoint of {}>", s.quant->name, s.model->name);
  const std::string& q = s.quant->id;
  if (q == s.model->native_quant || q == "bf16" || q == "fp16") return s.model->hf_repo;
  if (q == "fp8") {  // vLLM and SGLang quantize BF16 weights to FP8 when loading
    flags += " --quantization fp8";
    return s.model->hf_repo;
  }
  return fmt::format("<{} checkpoint of {}>", s.quant->name, s.model->hf_repo);
}

bool fp8_cache(const LaunchSpec& s) { return s.settings.kv_type.rfind("fp8", 0) == 0; }

LaunchCommand vllm(const LaunchSpec& s) {
  std::string flags;
  const std::string model = checkpoint(s, flags);
  LaunchCommand c;
  // Data-parallel attention: one engine core per GPU, the routed experts in one expert-parallel group.
  const std::string ranks =
      s.attention_data_parallel > 1
          ? fmt::format("--tensor-parallel-size 1 --data-parallel-size {} --enable-expert-parallel",
                        s.attention_data_parallel)
          : fmt::format("--tensor-parallel-size {}", s.tensor_parallel);
  // Each data-parallel engine core schedules its own sequences.
  c.command = fmt::format("vllm serve {} {} --max-model-len {} --max-num-seqs {}{}", model, ranks, s.context,
                          ceil_div(s.sequences, s.attention_data_parallel), flags);
  if (s.pipeline_parallel > 1) c.command += fmt::format(" --pipeline-parallel-size {}", s.pipeline_parallel);
  // vLLM spans nodes with a Ray cluster: a replica's TP/PP workers through the distributed executor,
  // data-parallel engine cores through the data-parallel backend (ParallelConfig.data_parallel_backend).
  if (s.settings.nodes > 1)
    c.command += s.attention_data_parallel > 1 ? " --data-parallel-backend ray" : " --distributed-executor-backend ray";
  if (s.settings.speculative_tokens > 0)  // "mtp": vLLM's MTP method for every model with the module (V3 and V4)
    c.command += fmt::format(" --speculative-config '{{\"method\": \"mtp\", \"num_speculative_tokens\": {}}}'",
                             s.settings.speculative_tokens);
  if (s.settings.gpu_memory_utilization)
    c.command += fmt::format(" --gpu-memory-utilization {:.2f}", *s.settings.gpu_memory_utilization);
  if (fp8_cache(s)) c.command += " --kv-cache-dtype fp8";
  if (s.settings.half_precision) c.command += " --dtype half";
  if (s.settings.ubatch > 0) c.command += fmt::format(" --max-num-batched-tokens {}", s.settings.ubatch);
  if (s.settings.nodes > 1)
    c.command =
        fmt::format("ray start --head (first node); ray start --address=<first node>:6379 (the other {}); then: {}",
                    s.settings.nodes - 1, c.command);
  if (s.prompt_tokens > 0)
    // --ignore-eos: every request generates the planned output length, not until its first EOS.
    c.verify = fmt::format(
        "vllm bench serve --model {} --dataset-name random --random-input-len {} --random-output-len {} "
        "--ignore-eos --num-prompts {} --max-concurrency {}",
        model, s.prompt_tokens, s.output_tokens, std::max<std::uint64_t>(s.sequences * 4, 8), s.sequences);
  return c;
}

LaunchCommand sglang(const LaunchSpec& s) {
  std::string flags;
  const std::string model = checkpoint(s, flags);
  LaunchCommand c;
  c.command = fmt::format(
      "python3 -m sglang.launch_server --model-path {} --tp {} --context-length {} --max-running-requests {} "
      "--trust-remote-code{}",
      model, s.tensor_parallel, s.context,
      // Under DP attention SGLang splits the requests evenly over the ranks and rounds a total
      // that does not divide down (server_args.py), so give a multiple of the ranks.
      ceil_div(s.sequences, s.attention_data_parallel) * s.attention_data_parallel, flags);
  if (s.attention_data_parallel > 1)
    c.command += fmt::format(" --dp {} --enable-dp-attention", s.attention_data_parallel);
  if (s.settings.gpu_memory_utilization)
    c.command += fmt::format(" --mem-fraction-static {:.2f}", *s.settings.gpu_memory_utilization);
  if (fp8_cache(s)) c.command += " --kv-cache-dtype fp8_e4m3";
  if (s.settings.half_precision) c.command += " --dtype half";
  if (s.settings.ubatch > 0) c.command += fmt::format(" --chunked-prefill-size {}", s.settings.ubatch);
  if (s.pipeline_parallel > 1) c.command += fmt::format(" --pp-size {}", s.pipeline_parallel);
  if (s.settings.nodes > 1)
    c.command += fmt::format(" --nnodes {} --node-rank <0..{}> --dist-init-addr <first node:port>", s.settings.nodes,
                             s.settings.nodes - 1);
  // DeepSeek's MTP module as the draft (NEXTN weights), one chain of N tokens.
  if (s.settings.speculative_tokens > 0)
    c.command += fmt::format(
        " --speculative-algorithm EAGLE --speculative-num-steps {} --speculative-eagle-topk 1 "
        "--speculative-num-draft-tokens {}",
        s.settings.speculative_tokens, s.settings.speculative_tokens + 1);
  if (s.prompt_tokens > 0)
    // --random-range-ratio 1: bench_serving draws lengths from [ratio x len, len], ratio 0 by default.
    c.verify = fmt::format(
        "python3 -m sglang.bench_serving --backend sglang --dataset-name random --random-input-len {} "
        "--random-output-len {} --random-range-ratio 1 --num-prompts {} --max-concurrency {}",
        s.prompt_tokens, s.output_tokens, std::max<std::uint64_t>(s.sequences * 4, 8), s.sequences);
  return c;
}

LaunchCommand transformers(const LaunchSpec& s) {
  std::string flags;
  const std::string model = checkpoint(s, flags);
  return {fmt::format("python3 -c \"from transformers import AutoModelForCausalLM; "
                      "AutoModelForCausalLM.from_pretrained('{}', torch_dtype='{}', device_map='auto')\"",
                      model, s.settings.half_precision ? "float16" : "auto"),
          "", ""};
}

/// The files, the engine and the layout's shape, which every launch spec starts from.
LaunchSpec placed_spec(const ModelSpec* model, const QuantFormat* quant, const EngineSpec* engine, const Layout& l,
                       std::uint64_t blocks) {
  LaunchSpec s;
  s.model = model;
  s.quant = quant;
  s.engine = engine;
  s.strategy = l.strategy;
  s.gpu_layers = l.gpu_layers;
  s.experts_in_ram_blocks = l.experts_in_ram_blocks;
  s.layers = blocks;
  s.skipped_file_blocks =
      skipped_file_blocks(model->arch, FileLayout{"gguf", false, std::nullopt});  // llama.cpp commands only
  s.tensor_parallel = l.tensor_parallel;
  s.pipeline_parallel = l.pipeline_parallel;
  s.attention_data_parallel = l.attention_data_parallel;
  // Slots (blocks, and the output layer) per GPU: as -ts shares they place each slot where the
  // layout put it, whatever split produced it.
  const bool split = l.strategy == LayoutStrategy::layer_split || l.strategy == LayoutStrategy::expert_offload;
  if (split && l.gpus.size() > 1)
    for (const auto& g : l.gpus)  // a skipped file block sits next to the output layer
      s.tensor_split.push_back(g.layers + (g.output_head ? 1 + s.skipped_file_blocks : 0));
  return s;
}

}  // namespace

LaunchCommand launch(const LaunchSpec& s) {
  using Launcher = LaunchCommand (*)(const LaunchSpec&);
  struct Entry {
    std::string_view id;
    Launcher launcher;
    bool server_env;  ///< settings go on a server the command starts (Ollama), device_env too
  };
  static constexpr Entry k_launchers[] = {{"llama.cpp", llama_cpp, false}, {"ik_llama.cpp", ik_llama_cpp, false},
                                          {"ollama", ollama, true},        {"vllm", vllm, false},
                                          {"sglang", sglang, false},       {"transformers", transformers, false}};
  std::string known;
  for (const auto& [id, launcher, server_env] : k_launchers) {
    if (id != s.engine->id) {
      known += (known.empty() ? "" : ", ") + std::string(id);
      continue;
    }
    LaunchCommand c = launcher(s);
    if (!s.device_env.empty() && !server_env) {
      if (!c.command.empty()) c.command = s.device_env + " " + c.command;
      if (!c.verify.empty()) c.verify = s.device_env + " " + c.verify;
    }
    return c;
  }
  return {"", "", "dsplan writes no launch command for engine '" + s.engine->id + "'; it does for " + known};
}

namespace {
/// The spec of a placed layout with the settings its scenario ran with.
LaunchSpec settled_spec(const ModelSpec* model, const QuantFormat* quant, const EngineSpec* engine, const Layout& l,
                        std::uint64_t blocks, const LaunchSettings& set) {
  LaunchSpec s = placed_spec(model, quant, engine, l, blocks);
  s.settings = set;
  return s;
}
}  // namespace

LaunchSpec launch_spec(const PlanResult& p) {
  if (!p.layout) throw InternalError("launch_spec: the plan has no layout");
  const Layout& l = *p.layout;
  LaunchSpec s = settled_spec(p.scenario.model, p.scenario.quant, p.scenario.engine, l,
                              p.memory.weights.block_bytes.size(), p.launch);
  s.gpus = l.strategy == LayoutStrategy::cpu_only ? 0 : l.gpus.size();
  s.context = p.scenario.context;
  s.sequences = p.scenario.batch;
  // --users: each replica of the capacity plan serves that many sequences at once.
  if (p.capacity && p.capacity->sequences_per_replica > 0) s.sequences = p.capacity->sequences_per_replica;
  s.file_bytes = p.memory.download.count();
  if (p.throughput_request) {
    s.prompt_tokens = p.throughput_request->prompt_tokens;
    s.output_tokens = p.throughput_request->output_tokens;
  }
  return s;
}

std::vector<std::uint64_t> devices_of_part(const HardwareRequest& own, const HardwareRequest& part) {
  std::vector<std::uint64_t> out;
  std::uint64_t first = 0;  // the device number of the kind's first GPU
  for (const auto& g : own.gpus) {
    if (std::any_of(part.gpus.begin(), part.gpus.end(), [&](const auto& p) { return p.name == g.name; }))
      for (std::uint64_t i = 0; i < g.count; ++i) out.push_back(first + i);
    first += g.count;
  }
  return out.size() == first ? std::vector<std::uint64_t>{} : out;  // every GPU: nothing to select
}

LaunchCommand launch_command(const Candidate& c, std::uint64_t context, std::uint64_t users,
                             const HardwareRequest* own) {
  if (!c.evaluation) throw InternalError("launch_command: the candidate was not placed");
  const Evaluation& e = *c.evaluation;
  LaunchSpec s = settled_spec(c.model, c.quant, c.engine, e.layout, e.blocks, e.launch);
  if (own && c.placed_on && c.gpus > 0)
    if (const auto devices = devices_of_part(*own, *c.placed_on); !devices.empty())
      s.device_env = fmt::format("CUDA_DEVICE_ORDER=PCI_BUS_ID CUDA_VISIBLE_DEVICES={}", fmt::join(devices, ","));
  s.gpus = c.gpus;  // every GPU of the hardware it was placed on, the count recommend reports
  s.context = context;
  s.sequences = users;
  s.settings.op_offload = c.op_offload;  // recommend times the prompt both ways and runs the faster
  for (const auto& g : e.layout.gpus) s.file_bytes += g.weights.count();  // the weights it loads
  s.file_bytes += e.layout.cpu.weights.count();
  return launch(s);
}

}  // namespace dsplan
