// One-pass recursive-descent JSON parser into JsonDoc's flat arrays (RFC 8259, UTF-8 checked).
#include "core/catalog/json_dom.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

namespace dsplan::detail {

std::uint32_t JsonDoc::find(const JsonValue& object, std::string_view key) const {
  const auto begin = m_members.begin() + object.first;
  const auto end = begin + object.count;
  const auto it = std::lower_bound(begin, end, key, [](const JsonMember& m, std::string_view k) { return m.key < k; });
  return it != end && it->key == key ? it->value : npos;
}

class JsonParser {
 public:
  JsonParser(std::string_view text, JsonLimits limits, JsonDoc& doc) : m_text(text), m_limits(limits), m_doc(doc) {}

  void run() {
    skip_space();
    parse_value(0);
    skip_space();
    if (m_pos != m_text.size()) fail("syntax error: unexpected content after the JSON value");
  }

 private:
  [[noreturn]] void fail(std::string_view what) const {
    // Line and column of the character that stopped the parser, 1-based (nlohmann counts alike).
    std::size_t line = 1, column = 0;
    const std::size_t end = std::min(m_pos + 1, m_text.size());
    for (std::size_t i = 0; i < end; ++i) {
      if (m_text[i] == '\n') {
        ++line;
        column = 0;
      } else {
        ++column;
      }
    }
    throw JsonParseError(fmt::format("parse error at line {}, column {}: {}", line, column, what));
  }

  void skip_space() {
    while (m_pos < m_text.size() &&
           (m_text[m_pos] == ' ' || m_text[m_pos] == '\n' || m_text[m_pos] == '\r' || m_text[m_pos] == '\t'))
      ++m_pos;
  }

  [[nodiscard]] char peek() const { return m_pos < m_text.size() ? m_text[m_pos] : '\0'; }

  void expect(char c, std::string_view context) {
    skip_space();
    if (peek() != c) fail(fmt::format("syntax error while parsing {}: expected '{}'", context, c));
    ++m_pos;
  }

  std::uint32_t new_value(JsonType type) {
    if (++m_count > m_limits.max_values)
      fail(fmt::format("more than {} values", m_limits.max_values));
    m_doc.m_values.push_back(JsonValue{});
    m_doc.m_values.back().type = type;
    return static_cast<std::uint32_t>(m_doc.m_values.size() - 1);
  }

  void parse_value(int depth) {
    if (m_pos >= m_text.size()) fail("syntax error while parsing value: unexpected end of input");
    switch (m_text[m_pos]) {
      case '{': return parse_object(depth);
      case '[': return parse_array(depth);
      case '"': {
        const std::uint32_t v = new_value(JsonType::string);
        m_doc.m_values[v].text = parse_string();
        return;
      }
      case 't': return parse_literal("true", JsonType::boolean, true);
      case 'f': return parse_literal("false", JsonType::boolean, false);
      case 'n': return parse_literal("null", JsonType::null, false);
      default: return parse_number();
    }
  }

  void enter(int depth) {
    if (depth >= m_limits.max_depth) fail(fmt::format("nested deeper than {} levels", m_limits.max_depth));
  }

  /// The comma-separated elements of a container (its opening bracket read) up to `close`.
  template <typename Element>
  void parse_elements(char close, std::string_view what, Element element) {
    skip_space();
    if (peek() == close) {
      ++m_pos;
      return;
    }
    while (true) {
      skip_space();
      element();
      skip_space();
      if (peek() == close) {
        ++m_pos;
        return;
      }
      if (peek() != ',') fail(fmt::format("syntax error while parsing {}: expected ',' or '{}'", what, close));
      ++m_pos;
    }
  }

  /// Stable sort by key. Catalog objects have a handful of members, where an insertion sort beats
  /// std::stable_sort (which allocates a buffer per call).
  template <typename It>
  static void sort_members(It begin, It end) {
    const auto less = [](const JsonMember& a, const JsonMember& b) { return a.key < b.key; };
    if (end - begin > 32) return std::stable_sort(begin, end, less);
    for (auto it = begin; it != end; ++it) {
      const JsonMember m = *it;
      auto hole = it;
      for (; hole != begin && less(m, *std::prev(hole)); --hole) *hole = *std::prev(hole);
      *hole = m;
    }
  }

  /// One step of the path to the value being parsed, for the pointer of a duplicate key.
  struct PathStep {
    std::string_view key;     ///< object member
    std::uint32_t index = 0;  ///< array element, where key is empty and is_index
    bool is_index = false;
  };

  /// RFC 6901 pointer of the path so far, then `key`: "~" as "~0", "/" as "~1".
  [[nodiscard]] std::string pointer_to(std::string_view key) const {
    std::string out;
    const auto append = [&](std::string_view k) {
      out += '/';
      for (char c : k) out += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
    };
    for (const auto& step : m_path) step.is_index ? append(std::to_string(step.index)) : append(step.key);
    append(key);
    return out;
  }

  void parse_object(int depth) {
    enter(depth);
    const std::uint32_t v = new_value(JsonType::object);
    ++m_pos;  // '{'
    const std::size_t mark = m_member_stack.size();
    parse_elements('}', "object", [&] {
      if (peek() != '"') fail("syntax error while parsing object key: expected a string");
      const std::string_view key = parse_string();
      expect(':', "object separator");
      skip_space();
      m_member_stack.push_back({key, static_cast<std::uint32_t>(m_doc.m_values.size())});
      if (m_limits.unique_keys) m_path.push_back({key, 0, false});
      parse_value(depth + 1);
      if (m_limits.unique_keys) m_path.pop_back();
    });
    // Sorted by key, a repeated key keeping its last value (stable sort, then keep the last of each run).
    const auto begin = m_member_stack.begin() + static_cast<std::ptrdiff_t>(mark);
    sort_members(begin, m_member_stack.end());
    JsonValue& object = m_doc.m_values[v];
    object.first = static_cast<std::uint32_t>(m_doc.m_members.size());
    for (auto it = begin; it != m_member_stack.end(); ++it) {
      if (std::next(it) != m_member_stack.end() && std::next(it)->key == it->key) {
        if (m_limits.unique_keys) throw JsonDuplicateKey(pointer_to(it->key), std::string(it->key));
        continue;
      }
      m_doc.m_members.push_back(*it);
    }
    object.count = static_cast<std::uint32_t>(m_doc.m_members.size() - object.first);
    m_member_stack.resize(mark);
  }

  void parse_array(int depth) {
    enter(depth);
    const std::uint32_t v = new_value(JsonType::array);
    ++m_pos;  // '['
    const std::size_t mark = m_item_stack.size();
    std::uint32_t index = 0;
    parse_elements(']', "array", [&] {
      m_item_stack.push_back(static_cast<std::uint32_t>(m_doc.m_values.size()));
      if (m_limits.unique_keys) m_path.push_back({{}, index++, true});
      parse_value(depth + 1);
      if (m_limits.unique_keys) m_path.pop_back();
    });
    JsonValue& array = m_doc.m_values[v];
    array.first = static_cast<std::uint32_t>(m_doc.m_items.size());
    array.count = static_cast<std::uint32_t>(m_item_stack.size() - mark);
    m_doc.m_items.insert(m_doc.m_items.end(), m_item_stack.begin() + static_cast<std::ptrdiff_t>(mark),
                         m_item_stack.end());
    m_item_stack.resize(mark);
  }

  void parse_literal(std::string_view word, JsonType type, bool value) {
    if (m_text.substr(m_pos, word.size()) != word) fail("syntax error while parsing value: invalid literal");
    const std::uint32_t v = new_value(type);
    m_doc.m_values[v].boolean = value;
    m_pos += word.size();
  }

  void parse_number() {
    const std::size_t start = m_pos;
    bool integral = true;
    if (peek() == '-') ++m_pos;
    const auto digits = [&] {
      const std::size_t from = m_pos;
      while (m_pos < m_text.size() && m_text[m_pos] >= '0' && m_text[m_pos] <= '9') ++m_pos;
      return m_pos - from;
    };
    if (peek() == '0') {
      ++m_pos;
    } else if (digits() == 0) {
      fail("syntax error while parsing value: invalid literal");
    }
    if (peek() == '.') {
      integral = false;
      ++m_pos;
      if (digits() == 0) fail("syntax error while parsing value: invalid number; expected a digit after '.'");
    }
    if (peek() == 'e' || peek() == 'E') {
      integral = false;
      ++m_pos;
      if (peek() == '+' || peek() == '-') ++m_pos;
      if (digits() == 0) fail("syntax error while parsing value: invalid number; expected a digit in the exponent");
    }
    const std::string_view token = m_text.substr(start, m_pos - start);
    const std::uint32_t v = new_value(JsonType::floating);
    JsonValue& out = m_doc.m_values[v];
    out.text = token;
    const char* first = token.data();
    const char* last = token.data() + token.size();
    // Integers as nlohmann reads them: non-negative -> unsigned, negative -> signed, either
    // falling back to a double when out of range.
    if (integral && token[0] != '-') {
      if (std::from_chars(first, last, out.unsigned_value).ec == std::errc()) {
        out.type = JsonType::unsigned_integer;
        return;
      }
    } else if (integral) {
      if (std::from_chars(first, last, out.integer).ec == std::errc()) {
        out.type = JsonType::integer;
        return;
      }
    }
    const auto result = std::from_chars(first, last, out.floating);
    if (result.ec == std::errc::result_out_of_range) {
      // Tiny magnitudes underflow to 0 like strtod; only an overflow is an error.
      if (!looks_like_underflow(token)) throw JsonParseError(fmt::format("number overflow parsing '{}'", token));
      out.floating = 0;
    } else if (result.ec != std::errc() || !std::isfinite(out.floating)) {
      throw JsonParseError(fmt::format("number overflow parsing '{}'", token));
    }
  }

  /// Whether an out-of-range number is too small (1e-999) rather than too large (1e999).
  static bool looks_like_underflow(std::string_view token) {
    const auto e = token.find_first_of("eE");
    return e != std::string_view::npos && e + 1 < token.size() && token[e + 1] == '-';
  }

  std::string_view parse_string() {
    ++m_pos;  // opening quote
    const std::size_t start = m_pos;
    // Fast path: no escapes -> a view into the text (after the UTF-8 check).
    skip_plain_ascii();
    while (m_pos < m_text.size()) {
      const auto c = static_cast<unsigned char>(m_text[m_pos]);
      if (c == '"' || c == '\\') break;
      if (c >= 0x20 && c < 0x80) ++m_pos;  // printable ASCII, the common case
      else check_char();
    }
    if (peek() == '"') {
      ++m_pos;
      return m_text.substr(start, m_pos - 1 - start);
    }
    std::string decoded(m_text.substr(start, m_pos - start));
    while (true) {
      if (m_pos >= m_text.size()) fail("syntax error while parsing string: missing closing quote");
      const char c = m_text[m_pos];
      if (c == '"') {
        ++m_pos;
        break;
      }
      if (c == '\\') {
        decode_escape(decoded);
        continue;
      }
      const std::size_t from = m_pos;
      check_char();
      decoded.append(m_text.substr(from, m_pos - from));
    }
    m_doc.m_decoded.push_back(std::move(decoded));
    return m_doc.m_decoded.back();
  }

  /// Skips 8 bytes at a time while none of them is a quote, a backslash, a control character or
  /// non-ASCII (the bytes the per-character loop must look at); strings are most of the catalog.
  void skip_plain_ascii() {
    constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    const auto has_byte_below = [&](std::uint64_t w, std::uint64_t n) { return (w - ones * n) & ~w & highs; };
    while (m_pos + 8 <= m_text.size()) {
      std::uint64_t w = 0;
      std::memcpy(&w, m_text.data() + m_pos, 8);
      const std::uint64_t special = (w & highs) | has_byte_below(w, 0x20) | has_byte_below(w ^ (ones * '"'), 1) |
                                    has_byte_below(w ^ (ones * '\\'), 1);
      if (special != 0) return;
      m_pos += 8;
    }
  }

  /// Advances over one UTF-8 character of a string, rejecting control characters and ill-formed bytes.
  void check_char() {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(m_text[i]); };
    const unsigned char c = byte(m_pos);
    if (c < 0x20) fail(fmt::format("syntax error while parsing string: control character U+{:04X} must be escaped", c));
    if (c < 0x80) {
      ++m_pos;
      return;
    }
    // RFC 3629 well-formed sequences: lead byte, then the allowed range of the second byte.
    std::size_t length = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) length = 2;
    else if (c == 0xE0) length = 3, lo = 0xA0;
    else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) length = 3;
    else if (c == 0xED) length = 3, hi = 0x9F;
    else if (c == 0xF0) length = 4, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) length = 4;
    else if (c == 0xF4) length = 4, hi = 0x8F;
    else fail("syntax error while parsing string: ill-formed UTF-8 byte");
    if (m_pos + length > m_text.size()) fail("syntax error while parsing string: ill-formed UTF-8 byte");
    for (std::size_t i = 1; i < length; ++i) {
      const unsigned char b = byte(m_pos + i);
      const unsigned char min = i == 1 ? lo : 0x80, max = i == 1 ? hi : 0xBF;
      if (b < min || b > max) {
        m_pos += i;
        fail("syntax error while parsing string: ill-formed UTF-8 byte");
      }
    }
    m_pos += length;
  }

  void decode_escape(std::string& out) {
    ++m_pos;  // backslash
    if (m_pos >= m_text.size()) fail("syntax error while parsing string: unfinished escape");
    const char c = m_text[m_pos++];
    switch (c) {
      case '"': out += '"'; return;
      case '\\': out += '\\'; return;
      case '/': out += '/'; return;
      case 'b': out += '\b'; return;
      case 'f': out += '\f'; return;
      case 'n': out += '\n'; return;
      case 'r': out += '\r'; return;
      case 't': out += '\t'; return;
      case 'u': return append_utf8(out, code_point());
      default: --m_pos; fail("syntax error while parsing string: invalid escape");
    }
  }

  /// The code point of a \uXXXX escape (the \u already read), joining a surrogate pair.
  std::uint32_t code_point() {
    const std::uint32_t first = hex4();
    if (first >= 0xDC00 && first <= 0xDFFF) fail("syntax error while parsing string: unpaired low surrogate");
    if (first < 0xD800 || first > 0xDBFF) return first;
    if (m_text.substr(m_pos, 2) != "\\u") fail("syntax error while parsing string: high surrogate without a low one");
    m_pos += 2;
    const std::uint32_t second = hex4();
    if (second < 0xDC00 || second > 0xDFFF) fail("syntax error while parsing string: high surrogate without a low one");
    return 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
  }

  std::uint32_t hex4() {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i, ++m_pos) {
      const char c = peek();
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<std::uint32_t>(c - 'A' + 10);
      else fail("syntax error while parsing string: '\\u' must be followed by 4 hex digits");
    }
    return v;
  }

  static void append_utf8(std::string& out, std::uint32_t cp) {
    const auto put = [&](std::uint32_t b) { out += static_cast<char>(b); };
    if (cp < 0x80) {
      put(cp);
    } else if (cp < 0x800) {
      put(0xC0 | (cp >> 6));
      put(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      put(0xE0 | (cp >> 12));
      put(0x80 | ((cp >> 6) & 0x3F));
      put(0x80 | (cp & 0x3F));
    } else {
      put(0xF0 | (cp >> 18));
      put(0x80 | ((cp >> 12) & 0x3F));
      put(0x80 | ((cp >> 6) & 0x3F));
      put(0x80 | (cp & 0x3F));
    }
  }

  std::string_view m_text;
  JsonLimits m_limits;
  JsonDoc& m_doc;
  std::size_t m_pos = 0;
  std::uint64_t m_count = 0;
  std::vector<JsonMember> m_member_stack;
  std::vector<std::uint32_t> m_item_stack;
  std::vector<PathStep> m_path;  ///< only with JsonLimits::unique_keys
};

JsonDoc JsonDoc::parse(std::string_view text, JsonLimits limits) {
  JsonDoc doc;
  doc.reparse(text, limits);
  return doc;
}

void JsonDoc::reparse(std::string_view text, JsonLimits limits) {
  m_values.clear();
  m_items.clear();
  m_members.clear();
  m_decoded.clear();
  m_values.reserve(text.size() / 12 + 1);  // the catalog has ~1 value per 12 bytes: one allocation
  // A byte-order mark (Windows editors write one) is not JSON; RFC 8259 8.1 lets a reader skip it.
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  JsonParser(text, limits, *this).run();
}

}  // namespace dsplan::detail
