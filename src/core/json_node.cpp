// Private: typed access to catalog JSON with precise errors (file, JSON pointer, expectation).
#include "json_node.hpp"

#include <cmath>

#include <fmt/format.h>

#include "dsplan/error.hpp"
#include "dsplan/text.hpp"

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
  // Depth-first search from the root for this value's address, with an explicit stack (a user's
  // file may nest deeply). Each frame holds a container and the pointer text that reaches it.
  std::vector<std::pair<const nlohmann::json*, std::string>> stack{{m_root, ""}};
  while (!stack.empty()) {
    auto [node, path] = std::move(stack.back());
    stack.pop_back();
    if (node == m_value) return path;
    if (node->is_object()) {
      for (auto it = node->begin(); it != node->end(); ++it)
        stack.emplace_back(&it.value(), path + "/" + escape_pointer_token(it.key()));
    } else if (node->is_array()) {
      for (std::size_t i = 0; i < node->size(); ++i) stack.emplace_back(&(*node)[i], path + "/" + std::to_string(i));
    }
  }
  return "";
}

void JsonNode::fail(const std::string& problem) const { throw CatalogError(*m_origin, pointer(), problem); }

std::string JsonNode::describe() const {
  // Containers are named, never dumped: dumping recurses once per nesting level (a deep file
  // overflowed the stack) and could be megabytes long.
  if (m_value->is_array()) return "an array";
  if (m_value->is_object()) return "an object";
  std::string text = m_value->is_string() ? m_value->get_ref<const std::string&>() : m_value->dump();
  if (m_value->is_string()) {
    if (text.size() > 40) text = text.substr(0, 37) + "...";
    return "\"" + text + "\"";
  }
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return text;
}

void JsonNode::expect_object() const {
  if (!m_value->is_object()) fail("expected an object, got " + describe());
}

std::optional<JsonNode> JsonNode::find(std::string_view key) const {
  expect_object();
  const auto it = m_value->find(std::string(key));
  if (it == m_value->end() || it->is_null()) return std::nullopt;
  return JsonNode(*this, *it);
}

JsonNode JsonNode::at(std::string_view key) const {
  if (auto node = find(key)) return *node;
  fail("missing required field '" + std::string(key) + "'");
}

std::vector<JsonNode> JsonNode::elements() const {
  if (!m_value->is_array()) fail("expected an array, got " + describe());
  std::vector<JsonNode> out;
  out.reserve(m_value->size());
  for (std::size_t i = 0; i < m_value->size(); ++i)
    out.push_back(JsonNode(*this, (*m_value)[i]));
  return out;
}

std::vector<std::pair<std::string, JsonNode>> JsonNode::members() const {
  expect_object();
  std::vector<std::pair<std::string, JsonNode>> out;
  for (auto it = m_value->begin(); it != m_value->end(); ++it)
    out.emplace_back(it.key(), JsonNode(*this, it.value()));
  return out;
}

std::uint64_t JsonNode::u64() const {
  if (m_value->is_number_unsigned()) return m_value->get<std::uint64_t>();
  if (m_value->is_number_integer() && m_value->get<std::int64_t>() >= 0)
    return static_cast<std::uint64_t>(m_value->get<std::int64_t>());
  fail("expected a non-negative integer, got " + describe());
}

std::uint64_t JsonNode::positive() const {
  const std::uint64_t v = u64();
  if (v == 0) fail("expected an integer >= 1, got 0");
  return v;
}

double JsonNode::number() const {
  if (!m_value->is_number()) fail("expected a number, got " + describe());
  const double v = m_value->get<double>();
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
  if (!m_value->is_string()) fail("expected a string, got " + describe());
  std::string v = m_value->get<std::string>();
  if (v.empty()) fail("expected a non-empty string");
  return v;
}

bool JsonNode::boolean() const {
  if (!m_value->is_boolean()) fail("expected true or false, got " + describe());
  return m_value->get<bool>();
}

std::vector<std::string> JsonNode::strings() const {
  std::vector<std::string> out;
  for (const auto& e : elements()) out.push_back(e.str());
  return out;
}

std::vector<std::string> JsonNode::sources() const {
  if (m_value->is_string()) return {str()};
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
  for (auto it = m_value->begin(); it != m_value->end(); ++it) {
    bool ok = false;
    for (auto k : known) ok = ok || k == it.key();
    if (ok) continue;
    std::vector<std::string> candidates(known.begin(), known.end());
    const auto close = closest_names(it.key(), candidates, 1);
    fail("unknown field '" + it.key() + "'" + (close.empty() ? "" : " (did you mean '" + close[0] + "'?)"));
  }
}

}  // namespace dsplan::detail
