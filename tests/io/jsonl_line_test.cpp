// JsonlLineParser: the simdjson fast path must give exactly the fields of the nlohmann-json checked path,
// and must hand every line it does not accept to the checked path, which keeps today's messages.
#include "io/jsonl_line.hpp"

#include <seqflow/sdk.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace seqflow::io;

namespace {

// Everything a line turns into, with floats as bit patterns so that -0.0 and 0.0 differ.
struct Fields {
  bool has_id = false;
  std::string id;
  std::vector<std::string> text;
  std::vector<int64_t> integer;
  std::vector<uint64_t> real_bits;
  std::vector<std::vector<int64_t>> shape;
  std::vector<std::string> tensor;  // raw element bytes
  bool operator==(const Fields&) const = default;
};

Fields fields_of(const JsonlLineParser& p, const std::vector<JsonlColumn>& cols) {
  Fields f;
  f.has_id = p.has_id();
  if (f.has_id) f.id = std::string(p.id());
  for (size_t c = 0; c < cols.size(); ++c) {
    switch (cols[c].kind.type) {
      case SF_FIELD_STRING:
      case SF_FIELD_BYTES: f.text.emplace_back(p.text(c)); break;
      case SF_FIELD_INT: f.integer.push_back(p.integer(c)); break;
      case SF_FIELD_FLOAT: f.real_bits.push_back(std::bit_cast<uint64_t>(p.real(c))); break;
      default: {
        std::span<const int64_t> shape = p.shape(c);
        size_t n = seqflow::dtype_size(cols[c].kind.dtype);
        for (int64_t d : shape) n *= static_cast<size_t>(d);
        // Poisoned so that an element the fill skips shows up as a difference.
        std::string bytes(n, '\xa5');
        p.fill_tensor(c, bytes.data());
        f.shape.emplace_back(shape.begin(), shape.end());
        f.tensor.push_back(std::move(bytes));
      }
    }
  }
  return f;
}

std::vector<JsonlColumn> columns(std::initializer_list<std::pair<const char*, const char*>> spec) {
  std::vector<JsonlColumn> cols;
  for (auto [name, kind] : spec) cols.push_back({name, parse_field_kind(kind)});
  return cols;
}

// Both paths accept `line`; returns their (equal) fields.
Fields both_paths(const std::vector<JsonlColumn>& cols, const std::string& line) {
  JsonlLineParser p(cols, "id");
  INFO("line: " << line);
  REQUIRE(p.parse_fast(line));
  REQUIRE(p.used_fast_path());
  Fields fast = fields_of(p, cols);
  REQUIRE(p.parse_checked(line));
  REQUIRE_FALSE(p.used_fast_path());
  Fields checked = fields_of(p, cols);
  CHECK(fast == checked);
  return checked;
}

// The fast path declines `line`; parse() then gives the checked path's answer.
void only_checked(const std::vector<JsonlColumn>& cols, const std::string& line) {
  JsonlLineParser p(cols, "id");
  INFO("line: " << line);
  CHECK_FALSE(p.parse_fast(line));
  JsonlLineParser reference(cols, "id");
  bool ok = reference.parse_checked(line);
  CHECK(p.parse(line) == ok);
  CHECK_FALSE(p.used_fast_path());
  if (ok) {
    CHECK(fields_of(p, cols) == fields_of(reference, cols));
  } else {
    CHECK(p.error() == reference.error());
    CHECK(p.error_byte() == reference.error_byte());
  }
}

template <class T>
std::string bytes_of(std::initializer_list<T> values) {
  std::string s(values.size() * sizeof(T), '\0');
  std::memcpy(s.data(), std::data(values), s.size());
  return s;
}

}  // namespace

TEST_CASE("strings: escapes, unicode escapes and surrogate pairs decode alike") {
  auto cols = columns({{"s", "string"}});
  CHECK(both_paths(cols, R"({"s": "plain"})").text[0] == "plain");
  CHECK(both_paths(cols, R"({"s": "caf\u00e9 \u20ac"})").text[0] == "caf\xc3\xa9 \xe2\x82\xac");
  CHECK(both_paths(cols, R"({"s": "\ud83d\ude00!"})").text[0] == "\xf0\x9f\x98\x80!");
  CHECK(both_paths(cols, R"({"s": "\uD834\uDD1E"})").text[0] == "\xf0\x9d\x84\x9e");  // upper-case hex
  CHECK(both_paths(cols, R"({"s": "a\"b\\c\/d\b\f\n\r\t"})").text[0] == "a\"b\\c/d\b\f\n\r\t");
  CHECK(both_paths(cols, R"({"s": "nul\u0000in"})").text[0] == std::string("nul\0in", 6));
  CHECK(both_paths(cols, "{\"s\": \"raw \xe2\x82\xac \xf0\x9f\x98\x80\"}").text[0] ==
        "raw \xe2\x82\xac \xf0\x9f\x98\x80");
  CHECK(both_paths(cols, R"({"s": ""})").text[0].empty());
  // An escaped key is the same key.
  CHECK(both_paths(cols, R"({"\u0073": "by escape"})").text[0] == "by escape");
}

TEST_CASE("strings both paths refuse: lone surrogates, bad UTF-8, raw control characters") {
  auto cols = columns({{"s", "string"}});
  only_checked(cols, R"({"s": "\ud800"})");
  only_checked(cols, R"({"s": "\udc00"})");
  only_checked(cols, R"({"s": "\ud800\u0041"})");
  only_checked(cols, "{\"s\": \"\xff\"}");
  only_checked(cols, "{\"s\": \"\xed\xa0\x80\"}");  // a surrogate encoded in UTF-8
  only_checked(cols, "{\"s\": \"\xc0\xaf\"}");      // overlong
  only_checked(cols, "{\"s\": \"tab\there\"}");
  JsonlLineParser p(cols, "id");
  CHECK_FALSE(p.parse(R"({"s": "\udc00"})"));
  CHECK(p.error() ==
        "invalid JSON: syntax error while parsing value - invalid string: surrogate U+DC00..U+DFFF must "
        "follow U+D800..U+DBFF; last read: '\"\\udc00'");
  CHECK(p.error_byte() == 13);
}

TEST_CASE("integers: the int64 range, -0, and what lies beyond") {
  auto cols = columns({{"i", "int"}});
  CHECK(both_paths(cols, R"({"i": 9223372036854775807})").integer[0] == std::numeric_limits<int64_t>::max());
  CHECK(both_paths(cols, R"({"i": -9223372036854775808})").integer[0] == std::numeric_limits<int64_t>::min());
  CHECK(both_paths(cols, R"({"i": -0})").integer[0] == 0);
  CHECK(both_paths(cols, R"({"i": 0})").integer[0] == 0);
  only_checked(cols, R"({"i": 9223372036854775808})");
  only_checked(cols, R"({"i": 18446744073709551616})");
  only_checked(cols, R"({"i": 1.0})");
  only_checked(cols, R"({"i": 1e2})");
  JsonlLineParser p(cols, "id");
  CHECK_FALSE(p.parse(R"({"i": 9223372036854775808})"));
  CHECK(p.error() == "field 'i': integer 9223372036854775808 is out of range for int (64-bit signed)");
  CHECK_FALSE(p.error_byte());
  CHECK_FALSE(p.parse(R"({"i": 2.5})"));
  CHECK(p.error() == "field 'i': expected an integer (int), got float");
}

TEST_CASE("floats: signed zeros, extremes, subnormals and long mantissas read alike") {
  auto cols = columns({{"f", "float"}});
  auto real = [&](const char* text) {
    return std::bit_cast<double>(both_paths(cols, std::string(R"({"f": )") + text + "}").real_bits[0]);
  };
  CHECK(std::signbit(real("-0.0")));
  CHECK(real("-0.0") == 0.0);
  CHECK_FALSE(std::signbit(real("-0")));  // an integer: nlohmann-json reads -0 as the integer 0
  CHECK(real("1e308") == 1e308);
  CHECK(real("1.7976931348623157e308") == std::numeric_limits<double>::max());
  CHECK(real("2.2250738585072014e-308") == std::numeric_limits<double>::min());
  CHECK(real("4.9e-324") == std::numeric_limits<double>::denorm_min());
  CHECK(real("1e-400") == 0.0);
  CHECK(real("0.1") == 0.1);
  CHECK(real("1E23") == 1e23);
  CHECK(real("3.14159265358979323846264338327950288419716939937510") == 3.141592653589793);
  CHECK(real("9007199254740993") == 9007199254740992.0);  // an integer, rounded to even as a double
  CHECK(real("18446744073709551615") == 18446744073709551615.0);
  CHECK(real("-9223372036854775808") == -9223372036854775808.0);
  // Integers past 64 bits: nlohmann-json reads them as floats, simdjson refuses them.
  only_checked(cols, R"({"f": 123456789012345678901234567890})");
  JsonlLineParser p(cols, "id");
  REQUIRE(p.parse(R"({"f": 123456789012345678901234567890})"));
  CHECK(p.real(0) == 1.2345678901234568e29);
}

TEST_CASE("tensors: nesting, empty arrays, rank 0 and every dtype") {
  auto f32 = columns({{"t", "tensor:f32"}});
  Fields f = both_paths(f32, R"({"t": [[1, 2.5, -3], [4e0, -0.0, 1e-7]]})");
  CHECK(f.shape[0] == std::vector<int64_t>{2, 3});
  CHECK(f.tensor[0] == bytes_of<float>({1.0f, 2.5f, -3.0f, 4.0f, -0.0f, 1e-7f}));
  f = both_paths(f32, R"({"t": []})");
  CHECK(f.shape[0] == std::vector<int64_t>{0});
  f = both_paths(f32, R"({"t": [[], []]})");
  CHECK(f.shape[0] == std::vector<int64_t>{2, 0});
  f = both_paths(f32, R"({"t": 7})");
  CHECK(f.shape[0].empty());
  CHECK(f.tensor[0] == bytes_of<float>({7.0f}));
  f = both_paths(f32, R"({"t": [[[[[[[[0.5]]]]]]]]})");
  CHECK(f.shape[0] == std::vector<int64_t>(8, 1));
  // 0.1 goes through double on both paths (double rounding, as before).
  f = both_paths(f32, R"({"t": [0.1, 16777217, 3.4028234663852886e38]})");
  CHECK(f.tensor[0] == bytes_of<float>({static_cast<float>(0.1), 16777216.0f, 3.4028234663852886e38f}));

  f = both_paths(columns({{"t", "tensor:i64"}}), R"({"t": [[-9223372036854775808], [9223372036854775807]]})");
  CHECK(f.tensor[0] ==
        bytes_of<int64_t>({std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}));
  f = both_paths(columns({{"t", "tensor:i32"}}), R"({"t": [-2147483648, 2147483647, -0]})");
  CHECK(f.tensor[0] == bytes_of<int32_t>({std::numeric_limits<int32_t>::min(), 2147483647, 0}));
  f = both_paths(columns({{"t", "tensor:u8"}}), R"({"t": [0, 255]})");
  CHECK(f.tensor[0] == bytes_of<uint8_t>({0, 255}));
  f = both_paths(columns({{"t", "tensor:i8"}}), R"({"t": [[-128, 127]]})");
  CHECK(f.tensor[0] == bytes_of<int8_t>({-128, 127}));
  f = both_paths(columns({{"t", "tensor:f16"}}), R"({"t": [1, 0.5, -2, 65519]})");
  CHECK(f.tensor[0] == bytes_of<uint16_t>({0x3c00, 0x3800, 0xc000, 0x7bff}));
  f = both_paths(columns({{"t", "tensor:bf16"}}), R"({"t": [1, -0.5]})");
  CHECK(f.tensor[0] == bytes_of<uint16_t>({0x3f80, 0xbf00}));
}

TEST_CASE("tensors the fast path declines keep the checked path's messages") {
  auto f32 = columns({{"t", "tensor:f32"}});
  auto i8 = columns({{"t", "tensor:i8"}});
  for (const char* line :
       {R"({"t": [[1, 2], [3]]})", R"({"t": [[1, 2], 3]})", R"({"t": [1, [2]]})", R"({"t": [[1, "x"]]})",
        R"({"t": [true]})", R"({"t": [null]})", R"({"t": [{}]})", R"({"t": [[[[[[[[[1]]]]]]]]]})",
        R"({"t": [1e39]})", R"({"t": "abc"})", R"({"t": [[], [1]]})", R"({"t": [123456789012345678901234]})"})
    only_checked(f32, line);
  for (const char* line : {R"({"t": [1.0]})", R"({"t": [128]})", R"({"t": [-129]})",
                           R"({"t": [9223372036854775808]})", R"({"t": [1, 2.5]})"})
    only_checked(i8, line);
  only_checked(columns({{"t", "tensor:f16"}}), R"({"t": [65520]})");

  JsonlLineParser p(f32, "id");
  CHECK_FALSE(p.parse(R"({"t": [[1, 2], [3]]})"));
  CHECK(p.error() ==
        "field 't': ragged array: element [1] has 1 elements, expected 2 like the first one at its level");
  CHECK_FALSE(p.parse(R"({"t": {"a": 1}})"));
  CHECK(p.error() == "field 't': expected an array of numbers (tensor:f32), got object");
}

TEST_CASE("bytes: base64 decodes alike, bad base64 keeps its message") {
  auto cols = columns({{"b", "bytes"}});
  CHECK(both_paths(cols, R"({"b": "Zm9vYmE="})").text[0] == "fooba");
  CHECK(both_paths(cols, R"({"b": "//4A"})").text[0] == std::string("\xff\xfe\x00", 3));
  CHECK(both_paths(cols, R"({"b": ""})").text[0].empty());
  CHECK(both_paths(cols, R"({"b": "Zm9\/"})").text[0] == "fo\x7f");  // an escaped '/' is still '/'
  only_checked(cols, R"({"b": "Zm9"})");
  only_checked(cols, R"({"b": 12})");
  JsonlLineParser p(cols, "id");
  CHECK_FALSE(p.parse(R"({"b": "Z!9v"})"));
  CHECK(p.error() == "field 'b': invalid base64: character 2 is not in the base64 alphabet");
}

TEST_CASE("ids: strings, integers as decimal text, absent, and wrong types") {
  auto cols = columns({{"s", "string"}});
  Fields f = both_paths(cols, R"({"id": "r1", "s": "x"})");
  CHECK(f.has_id);
  CHECK(f.id == "r1");
  CHECK(both_paths(cols, R"({"id": 42, "s": "x"})").id == "42");
  CHECK(both_paths(cols, R"({"id": -7, "s": "x"})").id == "-7");
  CHECK(both_paths(cols, R"({"id": -0, "s": "x"})").id == "0");
  CHECK(both_paths(cols, R"({"id": 18446744073709551615, "s": "x"})").id == "18446744073709551615");
  CHECK_FALSE(both_paths(cols, R"({"s": "x"})").has_id);
  only_checked(cols, R"({"id": 1.5, "s": "x"})");
  only_checked(cols, R"({"id": null, "s": "x"})");
  JsonlLineParser p(cols, "id");
  CHECK_FALSE(p.parse(R"({"id": [1], "s": "x"})"));
  CHECK(p.error() == "id key 'id' is array, expected a string or an integer");
  // The id key may also be a column.
  JsonlLineParser shared(columns({{"label", "int"}}), "label");
  REQUIRE(shared.parse_fast(R"({"label": 3})"));
  CHECK(shared.id() == "3");
  CHECK(shared.integer(0) == 3);
}

TEST_CASE("duplicate keys: the last occurrence wins on both paths") {
  auto cols = columns({{"s", "string"}, {"t", "tensor:i32"}});
  Fields f =
      both_paths(cols, R"({"s": "first", "t": [1], "s": "second", "t": [[2, 3]], "id": "a", "id": 9})");
  CHECK(f.text[0] == "second");
  CHECK(f.shape[0] == std::vector<int64_t>{1, 2});
  CHECK(f.tensor[0] == bytes_of<int32_t>({2, 3}));
  CHECK(f.id == "9");
  // An earlier bad value is replaced by a later good one, and the other way round.
  CHECK(both_paths(cols, R"({"s": 1, "t": [1], "s": "ok"})").text[0] == "ok");
  only_checked(cols, R"({"s": "ok", "t": [1], "s": 1})");
}

TEST_CASE("whole lines: other keys are ignored, whitespace allowed, all kinds together") {
  auto cols = columns({{"s", "string"}, {"b", "bytes"}, {"i", "int"}, {"f", "float"}, {"t", "tensor:bf16"}});
  Fields f = both_paths(cols,
                        " \t{ \"x\": {\"nested\": [1, {\"s\": 2}]}, \"s\" : \"txt\", \"b\": \"AQI=\", "
                        "\"i\": -5, \"f\": 2, \"t\": [[1.5]], \"n\": null, \"q\": [true, false] }\r ");
  CHECK(f.text == std::vector<std::string>{"txt", "\x01\x02"});
  CHECK(f.integer == std::vector<int64_t>{-5});
  CHECK(f.real_bits == std::vector<uint64_t>{std::bit_cast<uint64_t>(2.0)});
  CHECK(f.tensor[0] == bytes_of<uint16_t>({0x3fc0}));
}

TEST_CASE("whole lines the fast path declines: syntax, non-objects, missing keys, nlohmann's leniencies") {
  auto cols = columns({{"s", "string"}});
  for (const char* line : {R"({"s": "x",})", R"({"s": "x"} x)", R"({"s": "x"}{})", R"(["s"])", R"("s")",
                           R"({"s": tru})", R"({"s": -})", R"({"t": "x"})", R"({"s": 01})", "{\"s\": \"x\""})
    only_checked(cols, line);
  // nlohmann-json skips a UTF-8 byte order mark and stops at a NUL byte; simdjson refuses both.
  only_checked(cols, "\xef\xbb\xbf{\"s\": \"bom\"}");
  only_checked(cols, std::string("{\"s\": \"nul\"}\0 trailing", 22));
  JsonlLineParser p(cols, "id");
  REQUIRE(p.parse(std::string("{\"s\": \"nul\"}\0 trailing", 22)));
  CHECK(p.text(0) == "nul");

  CHECK_FALSE(p.parse(R"({"s": "x",})"));
  CHECK(p.error() ==
        "invalid JSON: syntax error while parsing object key - unexpected '}'; expected string literal");
  CHECK(p.error_byte() == 11);
  // nlohmann-json reports a number beyond the double range apart from syntax errors, without a position.
  only_checked(cols, R"({"s": "x", "n": 1e400})");
  CHECK_FALSE(p.parse(R"({"s": "x", "n": -1.8e308})"));
  CHECK(p.error() == "invalid JSON: number overflow parsing '-1.8e308'");
  CHECK_FALSE(p.error_byte());
  CHECK_FALSE(p.parse("[1]"));
  CHECK(p.error() == "the line is a JSON array, expected an object");
  CHECK_FALSE(p.error_byte());
  CHECK_FALSE(p.parse(R"({"t": 1})"));
  CHECK(p.error() == "field 's' is missing");
}

TEST_CASE("one parser across lines: growing buffers, then short lines again") {
  auto cols = columns({{"t", "tensor:i32"}, {"s", "string"}});
  JsonlLineParser p(cols, "id");
  for (int round = 0; round < 3; ++round) {
    for (size_t n : {size_t{1}, size_t{3000}, size_t{200000}, size_t{2}}) {
      std::string line = R"({"s": "n)" + std::to_string(n) + R"(", "t": [)";
      for (size_t k = 0; k < n; ++k)
        line += (k ? "," : "") + std::to_string(static_cast<int>(k % 1000) - 500);
      line += "]}";
      REQUIRE(p.parse(line));
      CHECK(p.used_fast_path());
      CHECK(p.text(1) == "n" + std::to_string(n));
      REQUIRE(p.shape(0).size() == 1);
      REQUIRE(p.shape(0)[0] == static_cast<int64_t>(n));
      std::vector<int32_t> data(n);
      p.fill_tensor(0, data.data());
      bool all = true;
      for (size_t k = 0; k < n; ++k) all = all && data[k] == static_cast<int32_t>(k % 1000) - 500;
      CHECK(all);
    }
    // A bad line in between leaves nothing behind.
    CHECK_FALSE(p.parse(R"({"s": 1, "t": []})"));
  }
}

TEST_CASE("lines over the fast path's limit take the checked path with the same result") {
  auto cols = columns({{"s", "string"}});
  std::string big(JsonlLineParser::kFastLineLimit, 'a');
  std::string line = "{\"s\": \"" + big + "\"}";
  JsonlLineParser p(cols, "id");
  CHECK_FALSE(p.parse_fast(line));
  REQUIRE(p.parse(line));
  CHECK_FALSE(p.used_fast_path());
  CHECK(p.text(0) == big);
}

TEST_CASE("random lines: whatever the fast path accepts, the checked path accepts alike") {
  std::mt19937_64 rng(20240611);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  // In range for every dtype, for some, for none; then text that is not a JSON number at all.
  std::vector<std::string> numbers;
  std::istringstream words(
      "0 -0 1 -1 0.5 -0.0 1e3 1E-3 2.5e+2 1.5 0.30000000000000004 4.9e-324 1e-400 "
      "127 128 -128 255 256 65519 65520 3.4e38 1e39 9223372036854775807 9223372036854775808 "
      "-9223372036854775808 18446744073709551615 18446744073709551616 123456789012345678901234567890 "
      "01 1. .5 - +1 1e nan");
  for (std::string w; words >> w;) numbers.push_back(w);
  const char* strings[] = {R"("")",       R"("a")",    R"("\u00e9")",  R"("\ud83d\ude00")",
                           R"("\ud800")", R"("\n\t")", "\"\xc3\xa9\"", "\"\xff\"",
                           R"("Zm9v")",   R"("Zg==")", R"("Z!==")",    R"("abc)"};
  auto number = [&] { return numbers[pick(numbers.size())]; };
  // Mostly rectangular arrays of numbers, sometimes ragged, mixed or nested further.
  std::function<std::string(int)> value;
  auto array = [&](int depth) {
    size_t n = pick(4);
    bool nested = pick(2) == 0;
    size_t inner = pick(3);
    std::string s = "[";
    for (size_t i = 0; i < n; ++i) {
      if (i) s += ", ";
      if (nested) {
        s += "[";
        size_t m = pick(8) == 0 ? pick(3) : inner;
        for (size_t j = 0; j < m; ++j) s += (j ? "," : "") + number();
        s += "]";
      } else {
        s += pick(10) == 0 ? value(depth + 1) : number();
      }
    }
    return s + "]";
  };
  value = [&](int depth) -> std::string {
    switch (pick(depth > 3 ? 4 : 6)) {
      case 0:
      case 1: return number();
      case 2: return strings[pick(std::size(strings))];
      case 3: {
        const char* atoms[] = {"true", "false", "null", "{}", "{\"k\": 1}"};
        return atoms[pick(std::size(atoms))];
      }
      default: return array(depth);
    }
  };
  // A value of the column's kind most of the time, so that many lines pass.
  auto value_for = [&](FieldKind kind) -> std::string {
    if (pick(5) == 0) return value(0);
    switch (kind.type) {
      case SF_FIELD_STRING:
      case SF_FIELD_BYTES: return strings[pick(std::size(strings))];
      case SF_FIELD_INT:
      case SF_FIELD_FLOAT: return number();
      default: return pick(4) == 0 ? number() : array(0);
    }
  };
  std::vector<std::vector<JsonlColumn>> schemas = {
      columns({{"a", "string"}, {"b", "int"}}),
      columns({{"a", "float"}, {"b", "bytes"}}),
      columns({{"a", "tensor:f32"}, {"b", "tensor:i8"}}),
      columns({{"a", "tensor:u8"}, {"b", "tensor:f16"}}),
      columns({{"a", "tensor:i64"}, {"b", "tensor:bf16"}}),
      columns({{"a", "int"}, {"b", "tensor:i32"}}),
  };
  const char* keys[] = {"a", "b", "id", "c", "\\u0061"};
  size_t fast = 0, lines = 0;
  for (int round = 0; round < 20000; ++round) {
    const auto& cols = schemas[pick(schemas.size())];
    std::vector<std::string> members;
    for (const JsonlColumn& col : cols)
      if (pick(10) != 0) members.push_back("\"" + col.name + "\": " + value_for(col.kind));
    for (size_t k = pick(3); k > 0; --k)
      members.push_back("\"" + std::string(keys[pick(std::size(keys))]) + "\": " + value(0));
    std::shuffle(members.begin(), members.end(), rng);
    std::string line = "{";
    for (size_t k = 0; k < members.size(); ++k) line += (k ? ", " : "") + members[k];
    line += pick(30) == 0 ? ",}" : "}";
    JsonlLineParser p(cols, "id");
    JsonlLineParser reference(cols, "id");
    INFO("line: " << line);
    bool ok = reference.parse_checked(line);
    if (p.parse_fast(line)) {
      ++fast;
      REQUIRE(ok);
      CHECK(fields_of(p, cols) == fields_of(reference, cols));
    }
    ++lines;
  }
  // The generator must exercise the fast path, not only its refusals.
  CHECK(fast > lines / 20);
}

TEST_CASE("an empty or blank line as the first a parser sees is refused, not a write through no buffer") {
  // Found by tests/fuzz (fuzz_jsonl): the fast path's buffer was allocated only for lines longer than
  // the (zero) capacity, so an empty first line was copied and padded through a null pointer.
  auto cols = columns({{"s", "string"}});
  for (const std::string line : {"", " ", "\t"}) {
    only_checked(cols, line);
    JsonlLineParser p(cols, "id");
    CHECK_FALSE(p.parse(line));
    CHECK_THAT(p.error(), Catch::StartsWith("invalid JSON"));
  }
}
