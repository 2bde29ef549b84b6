// Private: a JSON value with its file and JSON pointer, so every schema error names both.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/catalog/json_dom.hpp"

namespace dsplan::detail {

class JsonNode {
 public:
  /// The root of a parsed document; members and elements are reached with at/find/elements.
  JsonNode(const JsonDoc& doc, const std::string& origin) : m_doc(&doc), m_index(doc.root()), m_origin(&origin) {}

  [[nodiscard]] const std::string& origin() const { return *m_origin; }
  /// JSON pointer of this value ("/models/3/config"), found from the root when asked: only error
  /// messages need it, and building it for every access was a third of the catalog's load time.
  [[nodiscard]] std::string pointer() const;

  /// Required member (throws when absent or null).
  [[nodiscard]] JsonNode at(std::string_view key) const;
  /// Optional member: nullopt when absent or null.
  [[nodiscard]] std::optional<JsonNode> find(std::string_view key) const;
  [[nodiscard]] bool has(std::string_view key) const { return find(key).has_value(); }
  /// Elements of an array (throws when not an array).
  [[nodiscard]] std::vector<JsonNode> elements() const;
  /// (key, value) members of an object (throws when not an object).
  [[nodiscard]] std::vector<std::pair<std::string, JsonNode>> members() const;

  [[nodiscard]] std::uint64_t u64() const;       ///< non-negative integer
  [[nodiscard]] std::uint64_t positive() const;  ///< integer >= 1
  [[nodiscard]] double number() const;           ///< finite number
  [[nodiscard]] double non_negative() const;     ///< finite number >= 0
  /// Integer / number within [min, max]: a catalog figure outside the physical range of its kind
  /// is a typo, and would overflow or divide by ~0 in the estimators (fuzzing found both).
  [[nodiscard]] std::uint64_t u64_in(std::uint64_t min, std::uint64_t max) const;
  [[nodiscard]] double number_in(double min, double max) const;
  [[nodiscard]] std::string str() const;         ///< non-empty string
  [[nodiscard]] bool is_string() const { return is(JsonType::string); }  ///< for members of either kind
  [[nodiscard]] bool boolean() const;
  [[nodiscard]] std::vector<std::string> strings() const;  ///< array of non-empty strings
  /// `source` fields: a string or an array of strings, never empty.
  [[nodiscard]] std::vector<std::string> sources() const;

  // Shorthands for members.
  [[nodiscard]] std::uint64_t u64(std::string_view key) const { return at(key).u64(); }
  [[nodiscard]] std::uint64_t u64_or(std::string_view key, std::uint64_t fallback) const;
  [[nodiscard]] std::uint64_t positive(std::string_view key) const { return at(key).positive(); }
  [[nodiscard]] std::uint64_t u64_in(std::string_view key, std::uint64_t min, std::uint64_t max) const {
    return at(key).u64_in(min, max);
  }
  [[nodiscard]] std::uint64_t u64_in_or(std::string_view key, std::uint64_t fallback, std::uint64_t min,
                                        std::uint64_t max) const;
  [[nodiscard]] double number_in(std::string_view key, double min, double max) const {
    return at(key).number_in(min, max);
  }
  [[nodiscard]] double number_in_or(std::string_view key, double fallback, double min, double max) const;
  [[nodiscard]] double number_or(std::string_view key, double fallback) const;
  [[nodiscard]] std::string str(std::string_view key) const { return at(key).str(); }
  [[nodiscard]] std::string str_or(std::string_view key, std::string fallback) const;
  [[nodiscard]] bool bool_or(std::string_view key, bool fallback) const;
  [[nodiscard]] std::vector<std::string> strings_or_empty(std::string_view key) const;

  /// Reject members not in `known` (typos in a user's catalog must not pass silently).
  void check_keys(std::initializer_list<std::string_view> known) const;
  void expect_object() const;

  [[noreturn]] void fail(const std::string& problem) const;

 private:
  JsonNode(const JsonNode& parent, std::uint32_t index) : m_doc(parent.m_doc), m_index(index), m_origin(parent.m_origin) {}
  [[nodiscard]] const JsonValue& value() const { return m_doc->value(m_index); }
  [[nodiscard]] bool is(JsonType t) const { return value().type == t; }
  [[nodiscard]] std::string describe() const;  ///< short rendering of the value for messages

  const JsonDoc* m_doc;
  std::uint32_t m_index;
  const std::string* m_origin;
};

}  // namespace dsplan::detail
