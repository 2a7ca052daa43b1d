// json_members (the scanner behind passthrough = true) against nlohmann-json, an independent parser: on
// every line, the keys come out in the line's order and each value's text parses to the value nlohmann
// finds under that key, while keeping its exact spelling. Plus the pass-through field's encoding.
#include <catch2/catch.hpp>

#include "io/json_members.hpp"

#include <seqflow/passthrough.hpp>

#include <nlohmann/json.hpp>

#include <functional>
#include <random>

using seqflow::io::json_members;
using seqflow::io::JsonMember;

namespace {

void check_against_nlohmann(const std::string& line) {
  INFO(line);
  std::vector<JsonMember> members;
  REQUIRE(json_members(line, members));
  const nlohmann::ordered_json ref = nlohmann::ordered_json::parse(line);
  REQUIRE(members.size() == ref.size());
  size_t i = 0;
  for (const auto& [key, value] : ref.items()) {
    CHECK(members[i].key == key);
    CHECK(nlohmann::ordered_json::parse(members[i].value) == value);
    ++i;
  }
}

}  // namespace

TEST_CASE("json_members agrees with nlohmann on tricky lines", "[io][passthrough]") {
  for (const std::string line : {
           R"({})",
           R"(  { }  )",
           R"({"a":1})",
           R"({"a" : 1.50 , "b":"x,y}z" ,"c" :[1,[2,{"d":"]"}]],"e":{"f":{}}, "g":null,"h":true})",
           R"({"esc\"aped":"q\\\"","uni\u00e9":"\u20ac","slash\/":"a\/b"})",
           R"({"neg":-0.0,"exp":1E+3,"big":123456789012345678901234567890})",
           "{\"ws\":\t\"tab before\" ,\r\n\"n\":[ ]}",
       })
    check_against_nlohmann(line);
}

TEST_CASE("json_members keeps each value's exact text", "[io][passthrough]") {
  std::vector<JsonMember> m;
  REQUIRE(json_members(R"({"d": 1.50 ,"s":"caf\u00e9","a":[ 1, 2 ]})", m));
  REQUIRE(m.size() == 3);
  CHECK(m[0].value == "1.50");
  CHECK(m[1].value == R"("caf\u00e9")");
  CHECK(m[2].value == "[ 1, 2 ]");
}

TEST_CASE("json_members on random nested objects", "[io][passthrough]") {
  std::mt19937 rng(7);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const std::vector<std::string> atoms = {"0",          "-1.25e-3",      "true", "null", R"("")",
                                          R"("a\"}]")", R"("\u00e9\n")", "[]",   "{}"};
  std::function<std::string(int)> value = [&](int depth) -> std::string {
    const int kind = depth > 3 ? 0 : pick(3);
    if (kind == 0) return atoms[static_cast<size_t>(pick(static_cast<int>(atoms.size())))];
    std::string s = kind == 1 ? "[" : "{";
    const int n = pick(4);
    for (int i = 0; i < n; ++i) {
      if (i > 0) s += pick(2) ? ", " : ",";
      if (kind == 2) s += "\"k" + std::to_string(i) + "\" : ";
      s += value(depth + 1);
    }
    return s + (kind == 1 ? "]" : "}");
  };
  for (int t = 0; t < 300; ++t) {
    std::string line = "{";
    const int n = 1 + pick(6);
    for (int i = 0; i < n; ++i) line += (i ? " ,\"key" : "\"key") + std::to_string(i) + "\": " + value(0);
    check_against_nlohmann(line + "}");
  }
}

TEST_CASE("json_members refuses what is not one object", "[io][passthrough]") {
  std::vector<JsonMember> m;
  CHECK_FALSE(json_members("[1, 2]", m));
  CHECK_FALSE(json_members(R"({"a":1)", m));
  CHECK_FALSE(json_members(R"({"a" 1})", m));
  CHECK_FALSE(json_members(R"({"a":"unterminated})", m));
  CHECK_FALSE(json_members("", m));
}

TEST_CASE("the pass-through field decodes what was encoded, and refuses other bytes", "[io][passthrough]") {
  namespace pt = seqflow::passthrough;
  pt::Encoder e;
  e.add(pt::Kind::kJson, "duration", "1.50");
  e.add(pt::Kind::kTsvCell, "", std::string("a\0b", 3));
  pt::Decoder d(e.encoded());
  pt::Entry x;
  REQUIRE(d.next(x));
  CHECK((x.kind == pt::Kind::kJson && x.key == "duration" && x.value == "1.50"));
  REQUIRE(d.next(x));
  CHECK((x.kind == pt::Kind::kTsvCell && x.key.empty() && x.value == std::string("a\0b", 3)));
  CHECK_FALSE(d.next(x));
  const std::string junk("\x07\0\0\0\0\0\0\0\0", 9);
  pt::Decoder bad_kind(junk);
  CHECK_THROWS_WITH(bad_kind.next(x), Catch::Contains("does not hold pass-through keys"));
  const std::string truncated = e.encoded().substr(0, 7);
  pt::Decoder short_one(truncated);
  CHECK_THROWS_WITH(short_one.next(x), Catch::Contains("does not hold pass-through keys"));
}
