// Private: typed access to catalog JSON with precise errors (file, JSON pointer, expectation).
#include "core/catalog/json_node.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "dsplan/base/error.hpp"
#include "dsplan/base/text.hpp"

namespace dsplan::detail {

namespace {
std::string escape_pointer_token(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}
/// Shortest round-trip text of a number: 0.001, 1e+06.
std::string format_plain(double v) { return fmt::format("{}", v); }
}  // namespace

std::string JsonNode::pointer() const {
  // Depth-first search from the root for this value's index, with an explicit stack (a user's
  // file may nest deeply). Each frame holds a value and the pointer text that reaches it.
  std::vector<std::pair<std::uint32_t, std::string>> stack{{m_doc->root(), ""}};
  while (!stack.empty()) {
    auto [index, path] = std::move(stack.back());
    stack.pop_back();
    if (index == m_index) return path;
    const JsonValue& v = m_doc->value(index);
    for (std::uint32_t i = 0; i < v.count; ++i) {
      if (v.type == JsonType::object) {
        const JsonMember& m = m_doc->member(v, i);
        stack.emplace_back(m.value, path + "/" + escape_pointer_token(m.key));
      } else if (v.type == JsonType::array) {
        stack.emplace_back(m_doc->item(v, i), path + "/" + std::to_string(i));
      }
    }
  }
  return "";
}

void JsonNode::fail(const std::string& problem) const { throw CatalogError(*m_origin, pointer(), problem); }

std::string JsonNode::describe() const {
  // Containers are named, never dumped (a dump could be megabytes long).
  const JsonValue& v = value();
  std::string text;
  switch (v.type) {
    case JsonType::array: return "an array";
    case JsonType::object: return "an object";
    case JsonType::null: return "null";
    case JsonType::boolean: return v.boolean ? "true" : "false";
    case JsonType::string: {
      text = std::string(v.text);
      if (text.size() > 40) text = text.substr(0, 37) + "...";
      return "\"" + text + "\"";
    }
    case JsonType::integer: text = std::to_string(v.integer); break;
    case JsonType::unsigned_integer: text = std::to_string(v.unsigned_value); break;
    case JsonType::floating: text = format_plain(v.floating); break;
  }
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return text;
}

void JsonNode::expect_object() const {
  if (!is(JsonType::object)) fail("expected an object, got " + describe());
}

std::optional<JsonNode> JsonNode::find(std::string_view key) const {
  expect_object();
  const std::uint32_t index = m_doc->find(value(), key);
  if (index == JsonDoc::npos || m_doc->value(index).type == JsonType::null) return std::nullopt;
  return JsonNode(*this, index);
}

JsonNode JsonNode::at(std::string_view key) const {
  if (auto node = find(key)) return *node;
  fail("missing required field '" + std::string(key) + "'");
}

std::vector<JsonNode> JsonNode::elements() const {
  if (!is(JsonType::array)) fail("expected an array, got " + describe());
  const JsonValue& v = value();
  std::vector<JsonNode> out;
  out.reserve(v.count);
  for (std::uint32_t i = 0; i < v.count; ++i) out.push_back(JsonNode(*this, m_doc->item(v, i)));
  return out;
}

std::vector<std::pair<std::string, JsonNode>> JsonNode::members() const {
  expect_object();
  const JsonValue& v = value();
  std::vector<std::pair<std::string, JsonNode>> out;
  out.reserve(v.count);
  for (std::uint32_t i = 0; i < v.count; ++i) {
    const JsonMember& m = m_doc->member(v, i);
    out.emplace_back(std::string(m.key), JsonNode(*this, m.value));
  }
  return out;
}

std::uint64_t JsonNode::u64() const {
  if (is(JsonType::unsigned_integer)) return value().unsigned_value;
  if (is(JsonType::integer) && value().integer >= 0) return static_cast<std::uint64_t>(value().integer);  // "-0"
  // 1e12 is a whole number to a reader, a floating-point token to JSON: say how to write it.
  if (is(JsonType::floating) && value().floating >= 0 && value().floating < 1e19 &&
      value().floating == std::floor(value().floating))
    fail(fmt::format("expected a non-negative integer written in digits, got {} (write {:.0f})", value().text,
                     value().floating));
  fail("expected a non-negative integer, got " + describe());
}

std::uint64_t JsonNode::positive() const {
  const std::uint64_t v = u64();
  if (v == 0) fail("expected an integer >= 1, got 0");
  return v;
}

double JsonNode::number() const {
  const JsonValue& j = value();
  if (j.type != JsonType::integer && j.type != JsonType::unsigned_integer && j.type != JsonType::floating)
    fail("expected a number, got " + describe());
  const double v = j.type == JsonType::integer            ? static_cast<double>(j.integer)
                   : j.type == JsonType::unsigned_integer ? static_cast<double>(j.unsigned_value)
                                                          : j.floating;
  if (!std::isfinite(v)) fail("expected a finite number");
  return v;
}

double JsonNode::non_negative() const {
  const double v = number();
  if (v < 0) fail("expected a number >= 0, got " + describe());
  return v;
}

std::uint64_t JsonNode::u64_in(std::uint64_t min, std::uint64_t max) const {
  const std::uint64_t v = u64();
  if (v < min || v > max)
    fail("expected an integer from " + std::to_string(min) + " to " + std::to_string(max) + ", got " + describe());
  return v;
}

double JsonNode::number_in(double min, double max) const {
  const double v = number();
  if (v < min || v > max) fail("expected a number from " + format_plain(min) + " to " + format_plain(max) + ", got " + describe());
  return v;
}

std::string JsonNode::str() const {
  if (!is(JsonType::string)) fail("expected a string, got " + describe());
  std::string v(value().text);
  if (v.empty()) fail("expected a non-empty string");
  return v;
}

bool JsonNode::boolean() const {
  if (!is(JsonType::boolean)) fail("expected true or false, got " + describe());
  return value().boolean;
}

std::vector<std::string> JsonNode::strings() const {
  std::vector<std::string> out;
  for (const auto& e : elements()) out.push_back(e.str());
  return out;
}

std::vector<std::string> JsonNode::sources() const {
  if (is(JsonType::string)) return {str()};
  auto out = strings();
  if (out.empty()) fail("expected at least one source");
  return out;
}

std::uint64_t JsonNode::u64_or(std::string_view key, std::uint64_t fallback) const {
  const auto node = find(key);
  return node ? node->u64() : fallback;
}
std::uint64_t JsonNode::u64_in_or(std::string_view key, std::uint64_t fallback, std::uint64_t min,
                                  std::uint64_t max) const {
  const auto node = find(key);
  return node ? node->u64_in(min, max) : fallback;
}
double JsonNode::number_in_or(std::string_view key, double fallback, double min, double max) const {
  const auto node = find(key);
  return node ? node->number_in(min, max) : fallback;
}
double JsonNode::number_or(std::string_view key, double fallback) const {
  const auto node = find(key);
  return node ? node->number() : fallback;
}
std::string JsonNode::str_or(std::string_view key, std::string fallback) const {
  const auto node = find(key);
  return node ? node->str() : fallback;
}
bool JsonNode::bool_or(std::string_view key, bool fallback) const {
  const auto node = find(key);
  return node ? node->boolean() : fallback;
}
std::vector<std::string> JsonNode::strings_or_empty(std::string_view key) const {
  const auto node = find(key);
  return node ? node->strings() : std::vector<std::string>{};
}

void JsonNode::check_keys(std::initializer_list<std::string_view> known) const {
  expect_object();
  const JsonValue& v = value();
  for (std::uint32_t i = 0; i < v.count; ++i) {
    const std::string_view key = m_doc->member(v, i).key;
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    const std::vector<std::string> candidates(known.begin(), known.end());
    const auto close = closest_names(std::string(key), candidates, 1);
    fail("unknown field '" + std::string(key) + "'" + (close.empty() ? "" : " (did you mean '" + close[0] + "'?)"));
  }
}

}  // namespace dsplan::detail
