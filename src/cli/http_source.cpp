// HttpSource and http_get_text: libcurl easy handles, redirects followed by hand (so the token
// never leaves its host), a byte budget per response, timeouts; the header cache.
#include "cli/http_source.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <curl/curl.h>
#include <dlfcn.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "dsplan/base/error.hpp"

namespace dsplan::cli {

namespace {

/// libcurl, opened on the first remote read: linking it pulls ~30 shared libraries into every
/// process start (about 35 ms of a 4 ms `estimate`), for a feature most runs never use.
struct CurlApi {
  decltype(&curl_global_init) global_init;
  decltype(&curl_easy_init) easy_init;
  decltype(&curl_easy_cleanup) easy_cleanup;
  decltype(&curl_easy_reset) easy_reset;
  decltype(&curl_easy_setopt) easy_setopt;
  decltype(&curl_easy_perform) easy_perform;
  decltype(&curl_easy_getinfo) easy_getinfo;
  decltype(&curl_easy_strerror) easy_strerror;
  decltype(&curl_slist_append) slist_append;
  decltype(&curl_slist_free_all) slist_free_all;
};

template <typename F>
void bind(void* lib, const char* name, F& f) {
  f = reinterpret_cast<F>(dlsym(lib, name));
  if (!f) throw InputError(std::string("remote files: libcurl lacks ") + name);
}

const CurlApi& curl_api() {
  static const CurlApi api = [] {
    void* lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!lib) throw InputError("remote files need libcurl (Debian package libcurl4): " + std::string(dlerror()));
    CurlApi a{};
    bind(lib, "curl_global_init", a.global_init);
    bind(lib, "curl_easy_init", a.easy_init);
    bind(lib, "curl_easy_cleanup", a.easy_cleanup);
    bind(lib, "curl_easy_reset", a.easy_reset);
    bind(lib, "curl_easy_setopt", a.easy_setopt);
    bind(lib, "curl_easy_perform", a.easy_perform);
    bind(lib, "curl_easy_getinfo", a.easy_getinfo);
    bind(lib, "curl_easy_strerror", a.easy_strerror);
    bind(lib, "curl_slist_append", a.slist_append);
    bind(lib, "curl_slist_free_all", a.slist_free_all);
    return a;
  }();
  return api;
}

}  // namespace

namespace {

constexpr std::uint64_t k_chunk = 1ULL << 20;       // bytes per range request
constexpr std::uint64_t k_slack = 64ULL << 10;      // a response may exceed its range by this much
constexpr int k_max_redirects = 5;
constexpr std::string_view k_cache_magic = "DSPLAN-HEADER-CACHE 1\n";

bool starts_with(const std::string& s, std::string_view p) { return s.compare(0, p.size(), p) == 0; }

/// "127.0.0.1:8080", "localhost", "[::1]:80": this machine.
bool is_loopback(const std::string& host) {
  const std::string name = host.front() == '[' ? host.substr(0, host.find(']') + 1) : host.substr(0, host.find(':'));
  return name == "127.0.0.1" || name == "localhost" || name == "[::1]";
}

struct Response {
  long status = 0;
  std::string body;
  std::string etag;
  std::optional<std::uint64_t> total;  ///< from Content-Range "bytes a-b/total"
  std::string final_url;
};

struct Transfer {
  std::string* body;
  std::uint64_t max;
  bool over = false;
  Response* response;
};

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t len = size * n;
  if (t->body->size() + len > t->max) {
    t->over = true;
    return 0;  // aborts the transfer: a server ignoring Range cannot make dsplan read the whole file
  }
  t->body->append(data, len);
  return len;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::string line(data, size * n);
  const auto colon = line.find(':');
  if (colon != std::string::npos) {
    const std::string key = lower(line.substr(0, colon));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(0, 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.pop_back();
    if (key == "etag" || (key == "x-linked-etag" && t->response->etag.empty())) t->response->etag = value;
    if (key == "content-range") {
      const auto slash = value.rfind('/');
      if (slash != std::string::npos && value.compare(slash + 1, std::string::npos, "*") != 0) {
        try {
          t->response->total = std::stoull(value.substr(slash + 1));
        } catch (const std::exception&) {
        }
      }
    }
  }
  return size * n;
}

void check_scheme(const std::string& url) {
  if (starts_with(url, "https://")) return;
  if (starts_with(url, "http://") && !url_host(url).empty() && is_loopback(url_host(url))) return;  // local test servers
  throw InputError(display_url(url) + ": only https:// URLs are read (plain http only from this machine)");
}

/// One GET with manual redirects. `range`: "a-b" or empty. The body is cut at `max_body`.
Response get(const std::string& start_url, const std::string& range, std::uint64_t max_body, const HttpOptions& o) {
  const CurlApi& api = curl_api();
  static const bool initialised = api.global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  if (!initialised) throw InputError("libcurl failed to initialise");
  std::unique_ptr<CURL, void (*)(CURL*)> h(api.easy_init(), api.easy_cleanup);
  if (!h) throw InputError("libcurl failed to initialise");
  std::string url = start_url;
  for (int hop = 0; hop <= k_max_redirects; ++hop) {
    check_scheme(url);
    Response r;
    Transfer t{&r.body, max_body, false, &r};
    api.easy_reset(h.get());
    api.easy_setopt(h.get(), CURLOPT_URL, url.c_str());
    api.easy_setopt(h.get(), CURLOPT_FOLLOWLOCATION, 0L);
    api.easy_setopt(h.get(), CURLOPT_SSL_VERIFYPEER, 1L);
    api.easy_setopt(h.get(), CURLOPT_SSL_VERIFYHOST, 2L);
    api.easy_setopt(h.get(), CURLOPT_NOSIGNAL, 1L);
    api.easy_setopt(h.get(), CURLOPT_CONNECTTIMEOUT, o.connect_timeout_s);
    api.easy_setopt(h.get(), CURLOPT_LOW_SPEED_LIMIT, 1L);
    api.easy_setopt(h.get(), CURLOPT_LOW_SPEED_TIME, o.stall_timeout_s);
    api.easy_setopt(h.get(), CURLOPT_TIMEOUT, o.total_timeout_s);
    api.easy_setopt(h.get(), CURLOPT_USERAGENT, "dsplan/" DSPLAN_VERSION);
    api.easy_setopt(h.get(), CURLOPT_WRITEFUNCTION, on_body);
    api.easy_setopt(h.get(), CURLOPT_WRITEDATA, &t);
    api.easy_setopt(h.get(), CURLOPT_HEADERFUNCTION, on_header);
    api.easy_setopt(h.get(), CURLOPT_HEADERDATA, &t);
    if (!range.empty()) api.easy_setopt(h.get(), CURLOPT_RANGE, range.c_str());
    std::unique_ptr<curl_slist, void (*)(curl_slist*)> headers(nullptr, api.slist_free_all);
    if (o.token && !o.token_host.empty() && lower(url_host(url)) == lower(o.token_host)) {
      const std::string auth = "Authorization: Bearer " + *o.token;
      headers.reset(api.slist_append(nullptr, auth.c_str()));
      api.easy_setopt(h.get(), CURLOPT_HTTPHEADER, headers.get());
    }
    const CURLcode rc = api.easy_perform(h.get());
    if (t.over)
      throw InputError(display_url(url) + ": the server sent more than " + std::to_string(max_body) + " bytes" +
                       (range.empty() ? std::string() : " for the range " + range + " (does it ignore Range?)"));
    if (rc == CURLE_OPERATION_TIMEDOUT)
      throw InputError(display_url(url) + ": timed out (no data for " + std::to_string(o.stall_timeout_s) +
                       " s, or over " + std::to_string(o.total_timeout_s) + " s in all)");
    if (rc != CURLE_OK) throw InputError(display_url(url) + ": " + api.easy_strerror(rc));
    api.easy_getinfo(h.get(), CURLINFO_RESPONSE_CODE, &r.status);
    if (r.status >= 300 && r.status < 400) {
      char* location = nullptr;
      api.easy_getinfo(h.get(), CURLINFO_REDIRECT_URL, &location);
      if (!location) throw InputError(display_url(url) + ": HTTP " + std::to_string(r.status) + " without a Location");
      url = location;
      continue;
    }
    r.final_url = url;
    return r;
  }
  throw InputError(display_url(start_url) + ": more than " + std::to_string(k_max_redirects) + " redirects");
}

void check_status(const Response& r, const std::string& url) {
  if (r.status == 200 || r.status == 206) return;
  std::string hint;
  if (r.status == 401 || r.status == 403) hint = " (a gated or private repository? set HF_TOKEN)";
  if (r.status == 404) hint = " (not found)";
  throw InputError(display_url(url) + ": HTTP " + std::to_string(r.status) + hint);
}

// ---- header cache -------------------------------------------------------------------------------

std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t h = 1469598103934665603ULL;
  for (const char c : bytes) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  return h;
}

std::string cache_path(const std::string& dir, const std::string& url) {
  char name[40];
  std::snprintf(name, sizeof name, "%016llx.hdr", static_cast<unsigned long long>(fnv1a(url)));
  return dir + "/" + name;
}

/// The cached prefix of `url` at `etag`, or nothing (absent, another URL or ETag, corrupt).
std::vector<std::uint8_t> cache_load(const std::string& dir, const std::string& url, const std::string& etag,
                                     std::uint64_t size) {
  std::ifstream in(cache_path(dir, url), std::ios::binary);
  if (!in) return {};
  std::ostringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  if (all.compare(0, k_cache_magic.size(), k_cache_magic) != 0) return {};
  const auto eol = all.find('\n', k_cache_magic.size());
  if (eol == std::string::npos) return {};
  const auto meta = nlohmann::json::parse(all.substr(k_cache_magic.size(), eol - k_cache_magic.size()), nullptr, false);
  if (!meta.is_object()) return {};
  const std::string_view data = std::string_view(all).substr(eol + 1);
  try {
    if (meta.at("url") != url || meta.at("etag") != etag || meta.at("size") != size ||
        meta.at("length") != data.size() || meta.at("fnv1a") != fnv1a(data) || data.size() > size)
      return {};
  } catch (const nlohmann::json::exception&) {
    return {};
  }
  return {data.begin(), data.end()};
}

void cache_store(const std::string& dir, const std::string& url, const std::string& etag, std::uint64_t size,
                 const std::vector<std::uint8_t>& data) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return;
  const std::string data_text(data.begin(), data.end());
  const nlohmann::json meta{{"url", url}, {"etag", etag}, {"size", size}, {"length", data.size()}, {"fnv1a", fnv1a(data_text)}};
  std::string tmp = cache_path(dir, url) + ".XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) return;
  const std::string out = std::string(k_cache_magic) + meta.dump() + "\n" + data_text;
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::write(fd, out.data() + done, out.size() - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  const bool ok = done == out.size() && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || std::rename(tmp.c_str(), cache_path(dir, url).c_str()) != 0) std::remove(tmp.c_str());
}

}  // namespace

std::string url_host(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return {};
  const auto start = scheme + 3;
  const auto end = url.find_first_of("/?#", start);
  std::string host = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (const auto at = host.rfind('@'); at != std::string::npos) host.erase(0, at + 1);
  return host;
}

std::string display_url(const std::string& url) { return url.substr(0, url.find('?')); }

std::optional<std::string> http_get_text(const std::string& url, const HttpOptions& options, std::uint64_t max_bytes) {
  const Response r = get(url, "", max_bytes, options);
  if (r.status == 404) return std::nullopt;
  check_status(r, url);
  return r.body;
}

HttpSource::HttpSource(std::string url, HttpOptions options)
    : m_url(std::move(url)), m_display(display_url(m_url)), m_options(std::move(options)) {
  const Response probe = get(m_url, "0-0", k_slack, m_options);
  ++m_requests;
  check_status(probe, m_url);
  if (probe.status == 206 && probe.total) {
    m_size = *probe.total;
  } else {
    throw InputError(m_display + ": the server does not answer range requests (HTTP " + std::to_string(probe.status) +
                     ", no Content-Range)");
  }
  m_etag = probe.etag;
  if (m_options.cache_dir && !m_etag.empty()) m_cached = cache_load(*m_options.cache_dir, m_url, m_etag, m_size);
}

const std::vector<std::uint8_t>& HttpSource::chunk(std::uint64_t index) const {
  if (const auto it = m_chunks.find(index); it != m_chunks.end()) return it->second;
  const std::uint64_t first = index * k_chunk;
  const std::uint64_t last = std::min(m_size, first + k_chunk) - 1;
  const std::string range = std::to_string(first) + "-" + std::to_string(last);
  const Response r = get(m_url, range, last - first + 1 + k_slack, m_options);
  ++m_requests;
  check_status(r, m_url);
  if (r.status != 206 || r.body.size() != last - first + 1)
    throw InputError(m_display + ": asked for bytes " + range + ", got " + std::to_string(r.body.size()) +
                     " bytes (HTTP " + std::to_string(r.status) + "); the file changed or the server ignores Range");
  if (!m_etag.empty() && !r.etag.empty() && r.etag != m_etag)
    throw InputError(m_display + ": the file changed while it was read (ETag " + r.etag + ")");
  return m_chunks.emplace(index, std::vector<std::uint8_t>(r.body.begin(), r.body.end())).first->second;
}

void HttpSource::read(std::uint64_t offset, std::span<std::uint8_t> out) const {
  std::size_t done = 0;
  while (done < out.size()) {
    const std::uint64_t at = offset + done;
    if (at < m_cached.size()) {
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(out.size() - done, m_cached.size() - at));
      std::copy_n(m_cached.begin() + static_cast<std::ptrdiff_t>(at), n, out.begin() + static_cast<std::ptrdiff_t>(done));
      done += n;
      continue;
    }
    if (at >= m_size) throw InputError(m_display + ": byte " + std::to_string(at) + ": past the end of the file");
    const auto& c = chunk(at / k_chunk);
    const std::uint64_t in_chunk = at % k_chunk;
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(out.size() - done, c.size() - in_chunk));
    std::copy_n(c.begin() + static_cast<std::ptrdiff_t>(in_chunk), n, out.begin() + static_cast<std::ptrdiff_t>(done));
    done += n;
  }
}

void HttpSource::store_in_cache() const {
  if (!m_options.cache_dir || m_etag.empty()) return;
  // The bytes from offset 0 on: the cached ones, then chunk after chunk while they follow on.
  std::vector<std::uint8_t> prefix = m_cached;
  for (std::uint64_t i = prefix.size() / k_chunk;; ++i) {
    const auto it = m_chunks.find(i);
    if (it == m_chunks.end() || i * k_chunk > prefix.size()) break;
    prefix.resize(static_cast<std::size_t>(i * k_chunk));
    prefix.insert(prefix.end(), it->second.begin(), it->second.end());
  }
  if (prefix.size() > m_cached.size()) cache_store(*m_options.cache_dir, m_url, m_etag, m_size, prefix);
}

}  // namespace dsplan::cli
