// Differential fuzzing of the catalog JSON parser (src/core/catalog/json_dom) against nlohmann::json: random
// byte edits of seed files; both must accept or reject alike and agree on every value. Build and run:
//   g++ -std=c++20 -O1 -g -fsanitize=address,undefined -DFMT_HEADER_ONLY=1 -Isrc scripts/json_dom_differential.cpp \
//       src/core/catalog/json_dom.cpp -o /tmp/json_diff && /tmp/json_diff 200000 tests/fuzz/corpus/catalog/* tests/fuzz/corpus/hf_config/*
// (seeds over 20 KB are skipped: the deep-nesting repros differ by design, json_dom stops at 64 levels).
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <nlohmann/json.hpp>
#include "core/catalog/json_dom.hpp"
using namespace dsplan::detail;
bool same(const JsonDoc& d, std::uint32_t i, const nlohmann::json& j);
bool same(const JsonDoc& d, std::uint32_t i, const nlohmann::json& j) {
  const JsonValue& v = d.value(i);
  switch (v.type) {
    case JsonType::null: return j.is_null();
    case JsonType::boolean: return j.is_boolean() && j.get<bool>() == v.boolean;
    case JsonType::unsigned_integer: return j.is_number_unsigned() && j.get<std::uint64_t>() == v.unsigned_value;
    case JsonType::integer: return j.is_number_integer() && j.get<std::int64_t>() == v.integer;
    case JsonType::floating: return j.is_number_float() && j.get<double>() == v.floating;
    case JsonType::string: return j.is_string() && j.get<std::string>() == v.text;
    case JsonType::array:
      if (!j.is_array() || j.size() != v.count) return false;
      for (std::uint32_t k = 0; k < v.count; ++k) if (!same(d, d.item(v, k), j[k])) return false;
      return true;
    case JsonType::object: {
      if (!j.is_object() || j.size() != v.count) return false;
      std::uint32_t k = 0;
      for (auto it = j.begin(); it != j.end(); ++it, ++k)
        if (d.member(v, k).key != it.key() || !same(d, d.member(v, k).value, it.value())) return false;
      return true;
    }
  }
  return false;
}
int main(int argc, char** argv) {
  std::vector<std::string> seeds;
  for (int a = 2; a < argc; ++a) { std::ifstream f(argv[a], std::ios::binary); std::stringstream ss; ss << f.rdbuf(); if (ss.str().size() < 20000) seeds.push_back(ss.str()); }
  std::mt19937_64 rng(42);
  const long iters = std::stol(argv[1]);
  long accepted = 0, rejected = 0, mismatches = 0;
  const std::string alphabet = "{}[]\",:0123456789.eE+-tfnul \\/\n\t\x01\xc3\xa9\xed\xa0\x80\xf0\x9f\x98\x80\xff";
  for (long it = 0; it < iters; ++it) {
    std::string t = seeds[rng() % seeds.size()];
    const int edits = 1 + rng() % 4;
    for (int e = 0; e < edits && !t.empty(); ++e) {
      const std::size_t pos = rng() % t.size();
      switch (rng() % 4) {
        case 0: t[pos] = alphabet[rng() % alphabet.size()]; break;
        case 1: t.insert(pos, 1, alphabet[rng() % alphabet.size()]); break;
        case 2: t.erase(pos, 1 + rng() % 8); break;
        case 3: t.insert(pos, t.substr(rng() % t.size(), rng() % 32)); break;
      }
    }
    bool ok_n = true, ok_d = true; nlohmann::json j; JsonDoc d;
    try { j = nlohmann::json::parse(t); } catch (const std::exception&) { ok_n = false; }
    try { d = JsonDoc::parse(t, {64, 4000000}); } catch (const JsonParseError&) { ok_d = false; }
    if (ok_n != ok_d || (ok_n && !same(d, d.root(), j))) {
      if (++mismatches <= 5) { std::ofstream("mismatch_" + std::to_string(mismatches) + ".json", std::ios::binary) << t; std::cout << "mismatch " << mismatches << " nlohmann " << ok_n << " dom " << ok_d << "\n"; }
    }
    (ok_d ? accepted : rejected)++;
  }
  std::cout << iters << " inputs: " << accepted << " accepted, " << rejected << " rejected, " << mismatches << " mismatches\n";
}
