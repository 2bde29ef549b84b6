// Private: a read-only JSON document for the catalog and config.json, parsed in one pass into flat
// arrays. nlohmann's DOM (a std::map and a heap string per value) made parsing the 318 KB embedded
// catalog most of a process's start-up; this one allocates a few vectors per document.
#pragma once

#include <cstdint>
#include <deque>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace dsplan::detail {

/// A syntax error or a broken limit; what() is "parse error at line L, column C: ..." or
/// "number overflow parsing '1e400'" (nlohmann's wording, which messages and tests keep).
class JsonParseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A key given twice in one object, where JsonLimits::unique_keys asks for an error: `pointer` is
/// the JSON pointer of the repeated member ("/gpus"), `key` the key.
class JsonDuplicateKey : public JsonParseError {
 public:
  JsonDuplicateKey(std::string pointer, std::string key)
      : JsonParseError("duplicate key '" + key + "'"), m_pointer(std::move(pointer)), m_key(std::move(key)) {}
  [[nodiscard]] const std::string& pointer() const { return m_pointer; }
  [[nodiscard]] const std::string& key() const { return m_key; }

 private:
  std::string m_pointer;
  std::string m_key;
};

enum class JsonType : std::uint8_t { null, boolean, integer, unsigned_integer, floating, string, array, object };

struct JsonValue {
  std::string_view text;           ///< string: the decoded value; numbers: the token as written
  union {
    std::int64_t integer = 0;      ///< JsonType::integer (negative values only, as nlohmann)
    std::uint64_t unsigned_value;  ///< JsonType::unsigned_integer
    double floating;               ///< JsonType::floating
    bool boolean;                  ///< JsonType::boolean
  };
  std::uint32_t first = 0;         ///< array: index into items; object: index into members
  std::uint32_t count = 0;         ///< elements or members
  JsonType type = JsonType::null;
};

struct JsonMember {
  std::string_view key;
  std::uint32_t value = 0;
};

struct JsonLimits {
  int max_depth = 64;                      ///< containers nested deeper are an error
  std::uint64_t max_values = 4'000'000;
  /// A repeated key in an object is a JsonDuplicateKey (catalog files: the earlier value would be
  /// dropped unseen), rather than the last value winning (config.json, as Python's json reads it).
  bool unique_keys = false;
};

/// A parsed document. Strings without escapes are views into the parsed text, which must outlive
/// the document. Object members are sorted by key, a repeated key keeping its last value (as a
/// std::map-based DOM does) unless JsonLimits::unique_keys, so iteration order and lookups match
/// what the catalog had before.
class JsonDoc {
 public:
  [[nodiscard]] static JsonDoc parse(std::string_view text, JsonLimits limits = {});
  /// Parses into this document, reusing its buffers (the catalog's files, one after another).
  void reparse(std::string_view text, JsonLimits limits = {});

  [[nodiscard]] std::uint32_t root() const { return 0; }
  [[nodiscard]] const JsonValue& value(std::uint32_t index) const { return m_values[index]; }
  /// Element i of an array value.
  [[nodiscard]] std::uint32_t item(const JsonValue& array, std::uint32_t i) const { return m_items[array.first + i]; }
  [[nodiscard]] const JsonMember& member(const JsonValue& object, std::uint32_t i) const {
    return m_members[object.first + i];
  }
  /// Member value index by key; nullptr-like UINT32_MAX when absent.
  [[nodiscard]] std::uint32_t find(const JsonValue& object, std::string_view key) const;

  static constexpr std::uint32_t npos = UINT32_MAX;

 private:
  friend class JsonParser;
  std::vector<JsonValue> m_values;
  std::vector<std::uint32_t> m_items;
  std::vector<JsonMember> m_members;
  std::deque<std::string> m_decoded;  ///< strings that had escapes (stable addresses)
};

}  // namespace dsplan::detail
