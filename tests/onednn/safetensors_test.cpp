// The safetensors reader against well-formed, truncated and hostile files built byte by byte here.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "onednn/safetensors.hpp"

using seqflow::onednn::SafetensorsFile;
using seqflow::onednn::StDtype;
using seqflow::onednn::WeightsError;

namespace {

std::string le64(uint64_t n) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>(n >> (8 * i) & 0xff);
  return s;
}

std::string file(const std::string& header, const std::string& data) {
  return le64(header.size()) + header + data;
}

std::string floats(std::initializer_list<float> v) {
  std::string s(v.size() * 4, '\0');
  std::memcpy(s.data(), v.begin(), s.size());
  return s;
}

void expect_error(const std::string& bytes, const std::string& fragment) {
  CHECK_THROWS_AS(SafetensorsFile::from_bytes(bytes, "w.safetensors"), WeightsError);
  CHECK_THROWS_WITH(SafetensorsFile::from_bytes(bytes, "w.safetensors"),
                    Catch::Matchers::StartsWith("w.safetensors: ") && Catch::Matchers::Contains(fragment));
}

}  // namespace

TEST_CASE("a well-formed file is read with names, shapes and values", "[onednn][safetensors]") {
  // F32 [2, 2] = 1 2 3 4; F16 [3] = 1.0, -2.0, 0.5 (0x3c00, 0xc000, 0x3800); BF16 [2] = 1.0, -3.0.
  std::string f16("\x00\x3c\x00\xc0\x00\x38", 6);
  std::string bf16("\x80\x3f\x40\xc0", 4);
  std::string header = R"({"a.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},)"
                       R"("b":{"dtype":"F16","shape":[3],"data_offsets":[16,22]},)"
                       R"("c":{"dtype":"BF16","shape":[2],"data_offsets":[22,26]},)"
                       R"("__metadata__":{"format":"pt"}})";
  auto st = SafetensorsFile::from_bytes(file(header, floats({1, 2, 3, 4}) + f16 + bf16), "w.safetensors");
  REQUIRE(st->tensors().size() == 3);
  CHECK(st->metadata().at("format") == "pt");
  const auto* a = st->find("a.weight");
  REQUIRE(a != nullptr);
  CHECK(a->shape == std::vector<int64_t>{2, 2});
  CHECK(st->to_f32(*a) == std::vector<float>{1, 2, 3, 4});
  CHECK(st->to_f32(*st->find("b")) == std::vector<float>{1.0f, -2.0f, 0.5f});
  CHECK(st->to_f32(*st->find("c")) == std::vector<float>{1.0f, -3.0f});
  CHECK(st->find("missing") == nullptr);
}

TEST_CASE("f16 subnormals, infinities and a zero-size tensor convert exactly", "[onednn][safetensors]") {
  // 0x0001 = 2^-24 (smallest subnormal), 0x7c00 = +inf, 0x8000 = -0.
  std::string f16("\x01\x00\x00\x7c\x00\x80", 6);
  std::string header =
      R"({"s":{"dtype":"F16","shape":[3],"data_offsets":[0,6]},"e":{"dtype":"F32","shape":[0,4],"data_offsets":[6,6]}})";
  auto st = SafetensorsFile::from_bytes(file(header, f16), "w.safetensors");
  std::vector<float> v = st->to_f32(*st->find("s"));
  CHECK(v[0] == std::ldexp(1.0f, -24));
  CHECK(std::isinf(v[1]));
  CHECK((v[2] == 0.0f && std::signbit(v[2])));
  CHECK(st->to_f32(*st->find("e")).empty());
}

TEST_CASE("truncated and hostile files are clear errors, never out-of-bounds reads",
          "[onednn][safetensors]") {
  const std::string ok_header = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  expect_error("", "shorter than the 8-byte header length");
  expect_error(std::string("\x10\x00\x00", 3), "shorter than the 8-byte header length");
  expect_error(le64(1000) + "{}", "runs past the end of the file");
  expect_error(le64(uint64_t{1} << 62) + "{}", "exceeds the format's 100 MB limit");
  expect_error(le64(0xffffffffffffffffull) + "{}", "exceeds the format's 100 MB limit");
  expect_error(file("{\"w\":", ""), "header is not valid JSON");
  expect_error(file("[1,2]", ""), "header is not a JSON object");
  // Found by tests/fuzz (fuzz_safetensors): nlohmann-json's out_of_range escaped the reader.
  expect_error(file(R"({"w":{"dtype":"F32","shape":[1e400],"data_offsets":[0,4]}})", floats({1})),
               "header is not valid JSON: [json.exception.out_of_range.406] number overflow");
  // Data cut short: the header promises 8 bytes, the file has 4.
  expect_error(file(ok_header, floats({1})), "end past the data section (4 bytes): the file is truncated");
  expect_error(file(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", floats({1, 2})),
               "holds 8 bytes, but F32 [3] needs 12");
  expect_error(file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", floats({1, 2})),
               "has begin after end");
  expect_error(file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}})", floats({1, 2})),
               "data_offsets are not non-negative integers");
  expect_error(
      file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,18446744073709551615]}})", floats({1, 2})),
      "data_offsets are not non-negative integers");
  expect_error(file(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}})", floats({1, 2})),
               "not a non-negative integer");
  // numel * 4 overflows 64 bits: must be refused before any multiplication wraps around.
  expect_error(
      file(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", floats({1, 2})),
      "byte size overflows");
  expect_error(file(R"({"w":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}})", floats({1, 2})),
               "unknown dtype 'Q4'");
  expect_error(file(R"({"w":{"shape":[2],"data_offsets":[0,8]}})", floats({1, 2})), "missing string 'dtype'");
  expect_error(file(R"({"w":{"dtype":"F32","data_offsets":[0,8]}})", floats({1, 2})),
               "missing array 'shape'");
  expect_error(file(R"({"w":{"dtype":"F32","shape":[2]}})", floats({1, 2})), "missing 'data_offsets'");
  expect_error(file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", floats({1, 2})),
               "missing 'data_offsets'");
  expect_error(file(R"({"w":3})", ""), "entry is not a JSON object");
  expect_error(file(R"({"__metadata__":{"a":1}})", ""), "__metadata__ value 'a' is not a string");
  expect_error(
      file(R"({"w":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,2],"data_offsets":[0,8]}})", floats({1, 2})),
      "more than 8 dims");
  // Two entries sharing bytes would alias weights.
  expect_error(
      file(
          R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
          floats({1, 2})),
      "overlap in the data section");
}

TEST_CASE("integer tensors are listed but refused as weights", "[onednn][safetensors]") {
  std::string header = R"({"steps":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})";
  auto st = SafetensorsFile::from_bytes(file(header, std::string(8, '\0')), "w.safetensors");
  REQUIRE(st->find("steps") != nullptr);
  CHECK(st->find("steps")->dtype == StDtype::kI64);
  CHECK_THROWS_WITH(st->to_f32(*st->find("steps")), Catch::Contains("tensor 'steps' has dtype I64"));
}

TEST_CASE("every whole-byte dtype of the format opens; only float weights are read",
          "[onednn][safetensors]") {
  // A file with F8 scales or U32 counters beside its weights (newer safetensors writers) opens, and
  // each entry's size is checked with its own item size: U64 [2] needs 16 bytes, F8_E4M3 [3] 3.
  std::string header = R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                       R"("n":{"dtype":"U64","shape":[2],"data_offsets":[4,20]},)"
                       R"("u":{"dtype":"U32","shape":[1],"data_offsets":[20,24]},)"
                       R"("h":{"dtype":"U16","shape":[1],"data_offsets":[24,26]},)"
                       R"("q":{"dtype":"F8_E4M3","shape":[3],"data_offsets":[26,29]},)"
                       R"("r":{"dtype":"F8_E5M2","shape":[1],"data_offsets":[29,30]},)"
                       R"("e":{"dtype":"F8_E8M0","shape":[1],"data_offsets":[30,31]}})";
  auto st =
      SafetensorsFile::from_bytes(file(header, floats({2.5f}) + std::string(27, '\0')), "w.safetensors");
  CHECK(st->to_f32(*st->find("w")) == std::vector<float>{2.5f});
  CHECK(st->find("q")->dtype == StDtype::kF8E4M3);
  CHECK_THROWS_WITH(st->to_f32(*st->find("q")), Catch::Contains("tensor 'q' has dtype F8_E4M3"));
  CHECK_THROWS_WITH(st->to_f32(*st->find("n")), Catch::Contains("tensor 'n' has dtype U64"));
  std::string short_u64 = R"({"n":{"dtype":"U64","shape":[2],"data_offsets":[0,8]}})";
  expect_error(file(short_u64, std::string(8, '\0')), "holds 8 bytes, but U64 [2] needs 16");
}

TEST_CASE("files are memory-mapped from disk; missing files and folders are errors",
          "[onednn][safetensors]") {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / "seqflow_onednn_st_test";
  fs::create_directories(dir);
  fs::path p = dir / "w.safetensors";
  {
    std::ofstream o(p, std::ios::binary);
    o << file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", floats({5, 6}));
  }
  auto st = SafetensorsFile::open(p.string());
  CHECK(st->to_f32(*st->find("w")) == std::vector<float>{5, 6});
  CHECK_THROWS_WITH(SafetensorsFile::open((dir / "nope.safetensors").string()),
                    Catch::Contains("nope.safetensors: cannot open weights file"));
  CHECK_THROWS_WITH(SafetensorsFile::open(dir.string()), Catch::Contains("not a regular file"));
  { std::ofstream o(p, std::ios::binary | std::ios::trunc); }
  CHECK_THROWS_WITH(SafetensorsFile::open(p.string()), Catch::Contains("file is 0 bytes"));
  fs::remove_all(dir);
}
