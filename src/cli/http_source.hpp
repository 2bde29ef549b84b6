// Remote model files over HTTP(S) with libcurl: ranged reads of headers only, each bounded in
// bytes and time; HF_TOKEN only for the Hugging Face host; a header cache keyed by URL + ETag.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dsplan/files/byte_source.hpp"

namespace dsplan::cli {

struct HttpOptions {
  std::optional<std::string> token;  ///< sent as "Authorization: Bearer" to token_host only, never after a redirect elsewhere
  std::string token_host;            ///< "huggingface.co" (host[:port] of HF_ENDPOINT)
  long connect_timeout_s = 15;
  long stall_timeout_s = 20;         ///< abort when under 1 byte/s for this long
  long total_timeout_s = 300;
  std::optional<std::string> cache_dir;  ///< where fetched headers are kept; none = no cache
};

/// "host[:port]" of an http(s) URL; empty when it is not one.
[[nodiscard]] std::string url_host(const std::string& url);

/// The URL without its query string (signed CDN URLs carry credentials there): for messages.
[[nodiscard]] std::string display_url(const std::string& url);

/// GETs a whole small resource (a listing, a config.json); more than `max_bytes` is an InputError.
/// nullopt on HTTP 404.
[[nodiscard]] std::optional<std::string> http_get_text(const std::string& url, const HttpOptions& options,
                                                       std::uint64_t max_bytes);

/// A remote file read by HTTP range requests in 1 MiB chunks (the chunks read are kept, so a
/// header parsed in many small reads costs a few requests). Size and ETag come from a first
/// 1-byte request; a cached header with the same URL and ETag serves the reads it covers.
class HttpSource final : public ByteSource {
 public:
  HttpSource(std::string url, HttpOptions options);
  [[nodiscard]] const std::string& name() const override { return m_display; }
  [[nodiscard]] std::uint64_t size() const override { return m_size; }
  void read(std::uint64_t offset, std::span<std::uint8_t> out) const override;
  /// Writes the bytes read from offset 0 on to the cache (best effort; atomic rename).
  void store_in_cache() const;
  [[nodiscard]] std::uint64_t requests() const { return m_requests; }

 private:
  const std::vector<std::uint8_t>& chunk(std::uint64_t index) const;

  std::string m_url;
  std::string m_display;
  HttpOptions m_options;
  std::uint64_t m_size = 0;
  std::string m_etag;
  std::vector<std::uint8_t> m_cached;  ///< from the cache: bytes [0, m_cached.size())
  mutable std::map<std::uint64_t, std::vector<std::uint8_t>> m_chunks;
  mutable std::uint64_t m_requests = 0;
};

}  // namespace dsplan::cli
