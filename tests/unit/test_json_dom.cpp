// The catalog's JSON parser: RFC 8259 values, nlohmann's number and key semantics, errors with place.
#include <catch2/catch.hpp>

#include "core/catalog/json_dom.hpp"

using dsplan::detail::JsonDoc;
using dsplan::detail::JsonParseError;
using dsplan::detail::JsonType;

namespace {
std::string error_of(std::string_view text, dsplan::detail::JsonLimits limits = {}) {
  try {
    (void)JsonDoc::parse(text, limits);
  } catch (const JsonParseError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("objects: members sorted by key, a repeated key keeps its last value", "[json]") {
  const JsonDoc doc = JsonDoc::parse(R"({"b": 1, "a": [true, null], "b": "two"})");
  const auto& root = doc.value(doc.root());
  REQUIRE(root.type == JsonType::object);
  REQUIRE(root.count == 2);
  REQUIRE(doc.member(root, 0).key == "a");
  REQUIRE(doc.member(root, 1).key == "b");
  REQUIRE(doc.value(doc.find(root, "b")).text == "two");
  REQUIRE(doc.find(root, "c") == JsonDoc::npos);
  const auto& a = doc.value(doc.find(root, "a"));
  REQUIRE(a.count == 2);
  REQUIRE(doc.value(doc.item(a, 0)).type == JsonType::boolean);
  REQUIRE(doc.value(doc.item(a, 0)).boolean);
  REQUIRE(doc.value(doc.item(a, 1)).type == JsonType::null);
}

TEST_CASE("numbers: unsigned, negative, floating, out-of-range integers become doubles", "[json]") {
  const JsonDoc doc = JsonDoc::parse("[18446744073709551615, -3, 0.5, 18446744073709551616, 1e-999, -0]");
  const auto& a = doc.value(doc.root());
  const auto at = [&](std::uint32_t i) { return doc.value(doc.item(a, i)); };
  REQUIRE(at(0).type == JsonType::unsigned_integer);
  REQUIRE(at(0).unsigned_value == 18446744073709551615ULL);  // 2^64 - 1
  REQUIRE(at(1).type == JsonType::integer);
  REQUIRE(at(1).integer == -3);
  REQUIRE(at(2).floating == 0.5);
  REQUIRE(at(3).type == JsonType::floating);  // 2^64 does not fit in 64 bits
  REQUIRE(at(3).floating == 18446744073709551616.0);
  REQUIRE(at(4).floating == 0.0);  // underflow reads as 0, as strtod does
  REQUIRE(at(5).type == JsonType::integer);
  REQUIRE(error_of("[1e400]") == "number overflow parsing '1e400'");
  REQUIRE(error_of("[-1e400]") == "number overflow parsing '-1e400'");
}

TEST_CASE("strings: escapes and surrogate pairs decode to UTF-8, bad bytes are errors", "[json]") {
  const JsonDoc doc = JsonDoc::parse(R"(["a\"b\\c\u00e9\ud83d\ude00", "plain"])");
  const auto& a = doc.value(doc.root());
  REQUIRE(doc.value(doc.item(a, 0)).text == "a\"b\\c\xc3\xa9\xf0\x9f\x98\x80");  // é = C3 A9, U+1F600 = F0 9F 98 80
  REQUIRE(doc.value(doc.item(a, 1)).text == "plain");
  REQUIRE_THAT(error_of("[\"a\xff\"]"), Catch::Contains("ill-formed UTF-8"));
  REQUIRE_THAT(error_of("[\"\xed\xa0\x80\"]"), Catch::Contains("ill-formed UTF-8"));  // an encoded surrogate
  REQUIRE_THAT(error_of("[\"a\tb\"]"), Catch::Contains("control character U+0009"));
  REQUIRE_THAT(error_of(R"(["\ud83d"])"), Catch::Contains("high surrogate"));
  REQUIRE_THAT(error_of(R"(["\x"])"), Catch::Contains("invalid escape"));
}

TEST_CASE("syntax errors name line and column, limits hold", "[json]") {
  REQUIRE(error_of("{\"gpus\": [}").rfind("parse error at line 1, column 11: syntax error", 0) == 0);
  REQUIRE(error_of("{\n  \"a\": tru\n}").rfind("parse error at line 2, column 8:", 0) == 0);
  REQUIRE_THAT(error_of("[1] 2"), Catch::Contains("after the JSON value"));
  REQUIRE_THAT(error_of("[01]"), Catch::Contains("expected ',' or ']'"));
  REQUIRE_THAT(error_of("[[[1]]]", {2, 100}), Catch::Contains("nested deeper than 2 levels"));
  REQUIRE(error_of("[[1]]", {2, 100}).empty());
  REQUIRE_THAT(error_of("[1, 2, 3]", {8, 3}), Catch::Contains("more than 3 values"));
  REQUIRE_THAT(error_of(""), Catch::Contains("unexpected end of input"));
}

// Strings are scanned 8 bytes at a time; a quote, backslash, control character or non-ASCII byte
// at any offset of a word must still be seen (a missed quote would swallow the next value).
TEST_CASE("strings: special bytes at every offset of the 8-byte scan", "[json]") {
  for (std::size_t offset = 0; offset < 17; ++offset) {
    const std::string plain(offset, 'x');
    // The documents hold views into their texts, which must outlive them.
    const std::string list = "[\"" + plain + "\", \"after\"]";
    const JsonDoc quoted = JsonDoc::parse(list);
    const auto& a = quoted.value(quoted.root());
    REQUIRE(a.count == 2);
    REQUIRE(quoted.value(quoted.item(a, 0)).text == plain);
    REQUIRE(quoted.value(quoted.item(a, 1)).text == "after");

    const JsonDoc escaped = JsonDoc::parse("\"" + plain + "\\\"q\"");  // decoded: owned by the document
    REQUIRE(escaped.value(escaped.root()).text == plain + "\"q");

    const std::string accented = "\"" + plain + "\xC3\xA9" + "yz\"";
    const JsonDoc utf8 = JsonDoc::parse(accented);
    REQUIRE(utf8.value(utf8.root()).text == plain + "\xC3\xA9yz");

    REQUIRE(error_of("\"" + plain + "\x01" + "yz\"").find("control character U+0001") != std::string::npos);
    REQUIRE(error_of("\"" + plain + "\xFF" + "yz\"").find("ill-formed") != std::string::npos);
  }
}

// Catalog files ask for unique keys: the repeated member is named by its RFC 6901 pointer
// ("/" in a key written "~1", "~" written "~0"), not silently dropped.
TEST_CASE("objects: with unique_keys a repeated key is an error naming its pointer", "[json]") {
  dsplan::detail::JsonLimits unique;
  unique.unique_keys = true;
  const auto pointer_of = [&](std::string_view text) -> std::string {
    try {
      (void)JsonDoc::parse(text, unique);
    } catch (const dsplan::detail::JsonDuplicateKey& e) {
      REQUIRE(std::string(e.what()) == "duplicate key '" + e.key() + "'");
      return e.pointer();
    }
    return "no error";
  };
  REQUIRE(pointer_of(R"({"gpus": [], "models": [], "gpus": [1]})") == "/gpus");
  REQUIRE(pointer_of(R"({"gpus": [{"id": "a"}, {"id": "b", "name": "x", "name": "y"}]})") == "/gpus/1/name");
  REQUIRE(pointer_of(R"({"a/b": {"c~d": {"k": 1, "k": 2}}})") == "/a~1b/c~0d/k");
  REQUIRE(pointer_of(R"({"gpus": [{"id": "a"}], "models": {"id": "a"}})") == "no error");  // same key, other objects
  // Without it the last value wins, as before (config.json, as Python's json reads it).
  const auto doc = JsonDoc::parse(R"({"k": 1, "k": 2})");
  REQUIRE(doc.value(doc.find(doc.value(doc.root()), "k")).unsigned_value == 2);
}
