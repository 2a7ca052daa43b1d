#include "io/json_fields.hpp"

#include <seqflow/half.hpp>
#include <seqflow/sdk.hpp>

#include <nlohmann/json.hpp>

#include <catch2/catch.hpp>

#include <cstring>
#include <limits>

using namespace seqflow::io;
using nlohmann::json;

namespace {

template <class T>
std::vector<T> fill(const json& v, sf_dtype dtype) {
  std::vector<int64_t> shape = check_json_tensor(v, dtype);
  size_t n = 1;
  for (int64_t d : shape) n *= static_cast<size_t>(d);
  std::vector<T> out(n);
  fill_json_tensor(v, dtype, out.data());
  return out;
}

std::string tensor_text(sf_dtype dtype, std::vector<int64_t> shape, const void* data) {
  std::string s;
  append_json_tensor(s, dtype, shape, data);
  return s;
}

std::string json_string(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

}  // namespace

TEST_CASE("field kinds are parsed from their pipeline spelling") {
  CHECK(parse_field_kind("string").type == SF_FIELD_STRING);
  CHECK(parse_field_kind("bytes").type == SF_FIELD_BYTES);
  CHECK(parse_field_kind("int").type == SF_FIELD_INT);
  CHECK(parse_field_kind("float").type == SF_FIELD_FLOAT);
  FieldKind k = parse_field_kind("tensor:bf16");
  CHECK(k.type == SF_FIELD_TENSOR);
  CHECK(k.dtype == SF_DTYPE_BF16);
  CHECK(field_kind_name(parse_field_kind("tensor:i8")) == "tensor:i8");
  CHECK_THROWS_WITH(parse_field_kind("tensor"),
                    Catch::Contains("needs a dtype") && Catch::Contains("tensor:f32"));
  CHECK_THROWS_WITH(parse_field_kind("tensor:f64"), Catch::Contains("unknown tensor dtype in 'tensor:f64'"));
  CHECK_THROWS_WITH(parse_field_kind("text"), Catch::Contains("unknown field type 'text'"));
}

TEST_CASE("nested arrays become row-major tensors with their shape") {
  json v = json::parse("[[1, 2, 3], [4, 5.5, -6]]");
  CHECK(check_json_tensor(v, SF_DTYPE_F32) == std::vector<int64_t>{2, 3});
  CHECK(fill<float>(v, SF_DTYPE_F32) == std::vector<float>{1, 2, 3, 4, 5.5f, -6});

  json ints = json::parse("[[[1], [2]], [[3], [-4]]]");
  CHECK(check_json_tensor(ints, SF_DTYPE_I64) == std::vector<int64_t>{2, 2, 1});
  CHECK(fill<int64_t>(ints, SF_DTYPE_I64) == std::vector<int64_t>{1, 2, 3, -4});
  CHECK(fill<int32_t>(ints, SF_DTYPE_I32) == std::vector<int32_t>{1, 2, 3, -4});
  CHECK(fill<int8_t>(json::parse("[-128, 127]"), SF_DTYPE_I8) == std::vector<int8_t>{-128, 127});
  CHECK(fill<uint8_t>(json::parse("[0, 255]"), SF_DTYPE_U8) == std::vector<uint8_t>{0, 255});
  CHECK(fill<int64_t>(json::parse("[9223372036854775807]"), SF_DTYPE_I64) ==
        std::vector<int64_t>{std::numeric_limits<int64_t>::max()});

  // Half types are stored as their bit patterns.
  CHECK(fill<uint16_t>(json::parse("[1, 0.5, -2]"), SF_DTYPE_F16) ==
        std::vector<uint16_t>{0x3c00, 0x3800, 0xc000});
  CHECK(fill<uint16_t>(json::parse("[1, -0.5]"), SF_DTYPE_BF16) == std::vector<uint16_t>{0x3f80, 0xbf00});

  // Edge shapes: a bare number is rank 0, empty arrays have zero-sized dimensions.
  CHECK(check_json_tensor(json::parse("7"), SF_DTYPE_I32).empty());
  CHECK(fill<int32_t>(json::parse("7"), SF_DTYPE_I32) == std::vector<int32_t>{7});
  CHECK(check_json_tensor(json::parse("[]"), SF_DTYPE_F32) == std::vector<int64_t>{0});
  CHECK(check_json_tensor(json::parse("[[], []]"), SF_DTYPE_F32) == std::vector<int64_t>{2, 0});
}

TEST_CASE("bad tensors are errors that point at the element") {
  CHECK_THROWS_WITH(check_json_tensor(json::parse("[[1, 2], [3]]"), SF_DTYPE_F32),
                    "ragged array: element [1] has 1 elements, expected 2 like the first one at its level");
  CHECK_THROWS_WITH(check_json_tensor(json::parse("[[1, 2], 3]"), SF_DTYPE_F32),
                    "ragged array: element [1] is integer, expected an array of 2 elements");
  CHECK_THROWS_WITH(check_json_tensor(json::parse("[1, [2]]"), SF_DTYPE_F32),
                    "ragged array: element [1] is an array where a number was expected");
  CHECK_THROWS_WITH(check_json_tensor(json::parse("[[1, \"x\"]]"), SF_DTYPE_F32),
                    "element [0][1] is string, expected a number");
  CHECK_THROWS_WITH(check_json_tensor(json::parse("[true]"), SF_DTYPE_I32),
                    "element [0] is boolean, expected a number");
  CHECK_THROWS_WITH(check_json_tensor(json::parse("[1, 2.5]"), SF_DTYPE_I32),
                    "element [1] = 2.5 is not an integer (dtype i32)");
  CHECK_THROWS_WITH(check_json_tensor(json::parse("[256]"), SF_DTYPE_U8),
                    "element [0] = 256 is out of range for u8");
  CHECK_THROWS_WITH(check_json_tensor(json::parse("[-1]"), SF_DTYPE_U8),
                    "element [0] = -1 is out of range for u8");
  CHECK_THROWS_WITH(check_json_tensor(json::parse("[-129]"), SF_DTYPE_I8),
                    "element [0] = -129 is out of range for i8");
  CHECK_THROWS_WITH(check_json_tensor(json::parse("[2147483648]"), SF_DTYPE_I32),
                    "element [0] = 2147483648 is out of range for i32");
  CHECK_THROWS_WITH(check_json_tensor(json::parse("[9223372036854775808]"), SF_DTYPE_I64),
                    "element [0] = 9223372036854775808 is out of range for i64");
  CHECK_THROWS_WITH(check_json_tensor(json::parse("[65520]"), SF_DTYPE_F16),
                    "element [0] = 65520 is out of range for f16");
  CHECK_NOTHROW(check_json_tensor(json::parse("[65519]"), SF_DTYPE_F16));
  CHECK_THROWS_WITH(check_json_tensor(json::parse("[1e39]"), SF_DTYPE_F32),
                    Catch::Contains("out of range for f32"));
  CHECK_THROWS_WITH(check_json_tensor(json::parse("\"abc\""), SF_DTYPE_F32),
                    "the value is string, expected a number");
  CHECK_THROWS_WITH(check_json_tensor(json::parse("[[[[[[[[[1]]]]]]]]]"), SF_DTYPE_F32),
                    Catch::Contains("nested deeper than 8 levels"));
  CHECK_NOTHROW(check_json_tensor(json::parse("[[[[[[[[1]]]]]]]]"), SF_DTYPE_F32));
}

TEST_CASE("tensors are written as nested arrays") {
  float f[] = {1.0f, 2.5f, -0.0f, 1e-7f, 0.1f, 3.0f};
  CHECK(tensor_text(SF_DTYPE_F32, {2, 3}, f) == "[[1.0,2.5,-0.0],[1e-07,0.1,3.0]]");
  CHECK(tensor_text(SF_DTYPE_F32, {6}, f) == "[1.0,2.5,-0.0,1e-07,0.1,3.0]");
  CHECK(tensor_text(SF_DTYPE_F32, {}, f) == "1.0");
  CHECK(tensor_text(SF_DTYPE_F32, {2, 0}, f) == "[[],[]]");
  int64_t l[] = {std::numeric_limits<int64_t>::min(), 5};
  CHECK(tensor_text(SF_DTYPE_I64, {1, 2}, l) == "[[-9223372036854775808,5]]");
  int32_t i[] = {-1, 2};
  CHECK(tensor_text(SF_DTYPE_I32, {2}, i) == "[-1,2]");
  uint8_t u[] = {0, 200};
  CHECK(tensor_text(SF_DTYPE_U8, {2}, u) == "[0,200]");
  int8_t s[] = {-128, 127};
  CHECK(tensor_text(SF_DTYPE_I8, {2}, s) == "[-128,127]");
  uint16_t h[] = {0x3c00, 0x3555};
  CHECK(tensor_text(SF_DTYPE_F16, {2}, h) == "[1.0,0.33325195]");
  uint16_t b[] = {0x3f80, 0x4049};
  CHECK(tensor_text(SF_DTYPE_BF16, {2}, b) == "[1.0,3.140625]");

  float bad[] = {1.0f, std::numeric_limits<float>::quiet_NaN()};
  CHECK_THROWS_WITH(tensor_text(SF_DTYPE_F32, {2}, bad),
                    "tensor element 1 is NaN, which JSON cannot represent");
  float inf[] = {-std::numeric_limits<float>::infinity()};
  CHECK_THROWS_WITH(tensor_text(SF_DTYPE_F32, {1}, inf),
                    "tensor element 0 is infinite, which JSON cannot represent");
}

TEST_CASE("written tensors parse back to the same values") {
  float f[] = {0.1f, 1.0f / 3.0f, 123456.79f, -7.5e-20f};
  json v = json::parse(tensor_text(SF_DTYPE_F32, {2, 2}, f));
  CHECK(fill<float>(v, SF_DTYPE_F32) == std::vector<float>(std::begin(f), std::end(f)));
}

TEST_CASE("strings are escaped JSON and must be valid UTF-8") {
  CHECK(json_string("plain") == "\"plain\"");
  CHECK(json_string("a\"b\\c\n\t\r\b\f\x01\x1f") == "\"a\\\"b\\\\c\\n\\t\\r\\b\\f\\u0001\\u001f\"");
  CHECK(json_string("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") ==
        "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
  CHECK(json_string(std::string("nul\0in", 6)) == "\"nul\\u0000in\"");
  CHECK_THROWS_WITH(json_string("ab\xff"), Catch::StartsWith("text is not valid UTF-8 at byte 2"));
  CHECK_THROWS_WITH(json_string("\xc0\xaf"),
                    Catch::StartsWith("text is not valid UTF-8 at byte 0"));  // overlong
  CHECK_THROWS_WITH(json_string("x\xed\xa0\x80"),
                    Catch::StartsWith("text is not valid UTF-8 at byte 1"));  // surrogate
  CHECK_THROWS_WITH(json_string("\xf4\x90\x80\x80"),
                    Catch::StartsWith("text is not valid UTF-8"));                           // > U+10FFFF
  CHECK_THROWS_WITH(json_string("\xe2\x82"), Catch::StartsWith("text is not valid UTF-8"));  // cut short
  // The output is what a JSON parser reads back.
  std::string tricky = "tab\there \"q\" \\ \x02 \xc3\xa9";
  CHECK(json::parse(json_string(tricky)).get<std::string>() == tricky);
}

TEST_CASE("numbers that JSON cannot hold are errors") {
  std::string s;
  append_json_double(s, 0.25);
  CHECK(s == "0.25");
  CHECK_THROWS_WITH(append_json_double(s, std::numeric_limits<double>::infinity()),
                    "value is infinite, which JSON cannot represent");
}

TEST_CASE("base64 follows RFC 4648 (test vectors of section 10)") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode("foob") == "Zm9vYg==");
  CHECK(base64_encode("fooba") == "Zm9vYmE=");
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
  CHECK(base64_encode(std::string("\xff\xfe\x00", 3)) == "//4A");
  CHECK(base64_decode("Zm9vYmE=") == "fooba");
  CHECK(base64_decode("Zg==") == "f");
  CHECK(base64_decode("//4A") == std::string("\xff\xfe\x00", 3));
  CHECK(base64_decode("") == "");
  CHECK_THROWS_WITH(base64_decode("Zm9"), "invalid base64: length 3 is not a multiple of 4");
  CHECK_THROWS_WITH(base64_decode("Zm=v"), "invalid base64: character 3 is not in the base64 alphabet");
  CHECK_THROWS_WITH(base64_decode("Z!9v"), "invalid base64: character 2 is not in the base64 alphabet");
  CHECK_THROWS_WITH(base64_decode("Zg==Zg=="), "invalid base64: character 3 is not in the base64 alphabet");
}

TEST_CASE("JSON type names are the words errors use") {
  CHECK(std::string(json_type_name(json::parse("1"))) == "integer");
  CHECK(std::string(json_type_name(json::parse("-1"))) == "integer");
  CHECK(std::string(json_type_name(json::parse("1.5"))) == "float");
  CHECK(std::string(json_type_name(json::parse("\"s\""))) == "string");
  CHECK(std::string(json_type_name(json::parse("null"))) == "null");
  CHECK(std::string(json_type_name(json::parse("false"))) == "boolean");
  CHECK(std::string(json_type_name(json::parse("[]"))) == "array");
  CHECK(std::string(json_type_name(json::parse("{}"))) == "object");
}
