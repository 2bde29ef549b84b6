// Remote model files: hf: references to URLs (the Hub's file list for prefixes), headers read
// through HttpSource, summaries by the core readers.
#include "cli/remote_files.hpp"

#include <algorithm>
#include <deque>

#include <nlohmann/json.hpp>

#include "cli/http_source.hpp"
#include "cli/model_files.hpp"
#include "dsplan/base/error.hpp"
#include "dsplan/files/gguf_reader.hpp"
#include "dsplan/files/hf_config.hpp"
#include "dsplan/files/safetensors_reader.hpp"

namespace dsplan::cli {

namespace {

constexpr std::uint64_t k_max_listing_bytes = 32ULL << 20;
constexpr std::uint64_t k_max_config_bytes = 16ULL << 20;
constexpr std::size_t k_max_remote_files = 1000;

bool starts_with(const std::string& s, std::string_view p) { return s.compare(0, p.size(), p) == 0; }
bool ends_with(const std::string& s, std::string_view p) {
  return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
}

std::string endpoint(const Env& env) {
  std::string e = env.hf_endpoint.value_or("https://huggingface.co");
  while (!e.empty() && e.back() == '/') e.pop_back();
  return e;
}

HttpOptions options(const Env& env) {
  HttpOptions o;
  o.token = env.hf_token;
  o.token_host = url_host(endpoint(env));
  o.cache_dir = env.cache_dir;
  if (env.http_timeout_s) o.stall_timeout_s = o.connect_timeout_s = *env.http_timeout_s;
  return o;
}

/// Files of the repository whose path starts with `prefix`: a GGUF split set (or one GGUF), else
/// the safetensors shards.
std::vector<std::string> files_with_prefix(const std::string& repo, const std::string& prefix, const Env& env) {
  const std::string url = endpoint(env) + "/api/models/" + repo;
  const auto text = http_get_text(url, options(env), k_max_listing_bytes);
  if (!text) throw InputError("hf:" + repo + ": no such repository (" + display_url(url) + ": HTTP 404)");
  const auto j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object() || !j.contains("siblings") || !j["siblings"].is_array())
    throw InputError(display_url(url) + ": not a Hugging Face model listing (no siblings array)");
  std::vector<std::string> gguf, safetensors;
  for (const auto& s : j["siblings"]) {
    if (!s.is_object() || !s.contains("rfilename") || !s["rfilename"].is_string()) continue;
    const std::string name = s["rfilename"].get<std::string>();
    if (!starts_with(name, prefix)) continue;
    if (ends_with(name, ".gguf")) gguf.push_back(name);
    if (ends_with(name, ".safetensors")) safetensors.push_back(name);
  }
  std::sort(gguf.begin(), gguf.end());
  std::sort(safetensors.begin(), safetensors.end());
  if (!gguf.empty()) {
    if (const auto parts = split_part_names(gguf.front())) return *parts;
    if (gguf.size() == 1) return gguf;
    throw InputError("hf:" + repo + "/" + prefix + ": " + std::to_string(gguf.size()) +
                     " GGUF files start with it (" + gguf.front() + ", " + gguf[1] + " ...); name one");
  }
  if (!safetensors.empty()) return safetensors;
  throw InputError("hf:" + repo + "/" + prefix + ": no .gguf or .safetensors file in the repository starts with it");
}

std::string parent_url(const std::string& url) { return url.substr(0, url.rfind('/')); }

}  // namespace

bool is_remote_reference(const std::string& ref) {
  return starts_with(ref, "https://") || starts_with(ref, "http://") || starts_with(ref, "hf:");
}

std::vector<std::string> remote_file_urls(const std::string& ref, const Env& env) {
  std::vector<std::string> urls;
  if (!starts_with(ref, "hf:")) {
    const std::string path = display_url(ref);
    if (const auto parts = split_part_names(path); parts && path == ref) return *parts;
    return {ref};
  }
  const std::string rest = ref.substr(3);
  const auto first = rest.find('/');
  const auto second = first == std::string::npos ? std::string::npos : rest.find('/', first + 1);
  if (first == 0 || first == std::string::npos || second == first + 1)
    throw InputError(ref + ": expected hf:OWNER/REPO/FILE-OR-PREFIX");
  const std::string repo = rest.substr(0, second);
  const std::string path = second == std::string::npos ? std::string() : rest.substr(second + 1);
  if (path.find("..") != std::string::npos || repo.find_first_of("?#%") != std::string::npos)
    throw InputError(ref + ": not a repository path");
  std::vector<std::string> files;
  if (ends_with(path, ".gguf")) files = split_part_names(path).value_or(std::vector<std::string>{path});
  else if (ends_with(path, ".safetensors")) files = {path};
  else files = files_with_prefix(repo, path, env);
  if (files.size() > k_max_remote_files) throw InputError(ref + ": more than 1,000 files");
  for (const auto& f : files) urls.push_back(endpoint(env) + "/" + repo + "/resolve/main/" + f);
  return urls;
}

ModelFileInfo inspect_remote(const std::string& ref, const Catalog& catalog, const Env& env) {
  if (!env.network) throw InputError(ref + ": remote files are not read here (network disabled)");
  const std::vector<std::string> urls = remote_file_urls(ref, env);
  const HttpOptions o = options(env);
  std::deque<HttpSource> sources;  // HttpSource is neither copyable nor movable
  for (const auto& u : urls) sources.emplace_back(u, o);
  ModelFileInfo info;
  if (ends_with(display_url(urls.front()), ".safetensors")) {
    std::vector<SafetensorsFile> shards;
    for (const auto& s : sources) shards.push_back(read_safetensors(s));
    std::optional<ModelArch> config;
    const std::string config_url = parent_url(urls.front()) + "/config.json";
    if (const auto text = http_get_text(config_url, o, k_max_config_bytes))
      config = parse_hf_config(display_url(config_url), *text, catalog);
    info = inspect_safetensors(shards, std::nullopt, config, ref, catalog);
  } else {
    std::vector<GgufFile> parts;
    for (const auto& s : sources) parts.push_back(read_gguf(s, catalog));
    info = inspect_gguf(parts, catalog);
  }
  for (const auto& s : sources) s.store_in_cache();
  return info;
}

}  // namespace dsplan::cli
