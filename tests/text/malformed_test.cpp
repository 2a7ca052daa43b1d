// Malformed tokenizer files: each is an error naming the file and the place (hand-written inputs).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "text_test_util.hpp"

using namespace seqflow::text;

namespace {
std::string write_tmp(const std::string& name, const std::string& content) {
  const auto dir = std::filesystem::temp_directory_path() / "seqflow_text_test";
  std::filesystem::create_directories(dir);
  const auto p = (dir / name).string();
  std::ofstream(p, std::ios::binary) << content;
  return p;
}
std::string load_error(const std::string& name, const std::string& content, const LoadOptions& o = {}) {
  const std::string p = write_tmp(name, content);
  try {
    load_tokenizer(p, o);
  } catch (const TokenizerError& e) {
    return e.what();
  }
  return "no error";
}
const char* const kBpe =
    R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}})";
}  // namespace

TEST_CASE("malformed tokenizer.json", "[text]") {
  std::string e = load_error("t1.json", std::string(kBpe).substr(0, 40));
  CHECK(e.find("t1.json: not valid JSON (parse error at line 1, column 41") != std::string::npos);
  e = load_error("t2.json",
                 R"({"normalizer": {"type": "Nope"}, "model": {"type": "WordLevel", "vocab": {}}})");
  CHECK(e.find("t2.json: normalizer: unsupported normalizer type \"Nope\"") != std::string::npos);
  e = load_error("t3.json", R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a c"]}})");
  CHECK(e.find("t3.json: model.merges[0]: token \"c\" is not in the vocabulary") != std::string::npos);
  e = load_error("t4.json", R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b"]}})");
  CHECK(e.find("merge 0 (\"a\" + \"b\") gives \"ab\", which is not in the vocabulary") != std::string::npos);
  e = load_error(
      "t5.json",
      R"({"pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(a"}, "behavior": "Isolated"}, )"
      R"("model": {"type": "WordLevel", "vocab": {"a": 0}}})");
  CHECK(e.find("t5.json: pre_tokenizer: invalid regex at offset 2") != std::string::npos);
  e = load_error("t6.json", R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [], "dropout": 0.1}})");
  CHECK(e.find("model.dropout: BPE dropout") != std::string::npos);
  e = load_error("t7.json", R"({"model": {"type": "Mystery"}})");
  CHECK(e.find("model.type: unsupported model type \"Mystery\"") != std::string::npos);
  // A number too large for a double: nlohmann's out_of_range, not a parse_error, used to escape.
  e = load_error("t8.json", R"({"model": {"type": "WordLevel", "vocab": {"a": 1e400}}})");
  CHECK(e.find("t8.json: not valid JSON ([json.exception.out_of_range.406] number overflow") !=
        std::string::npos);
}

TEST_CASE("malformed tiktoken, SentencePiece and vocab.txt files", "[text]") {
  LoadOptions cl;
  cl.encoding = "cl100k_base";
  std::string e = load_error("r.tiktoken", "YQ== 0\nYg== 1\n!!!! 2\n", cl);
  CHECK(e.find("r.tiktoken:3: \"!!!!\" is not valid base64") != std::string::npos);
  e = load_error("r2.tiktoken", "YQ== 0\nYg== 1x\n", cl);
  CHECK(e.find("r2.tiktoken:2:") != std::string::npos);
  e = load_error("r3.tiktoken", "YQ== 0\n");
  CHECK(e.find("needs `encoding`") != std::string::npos);
  // A ModelProto whose first piece claims 100 bytes but the file ends after 3.
  e = load_error("m.model", std::string("\x0A\x64\x0A\x01", 4));
  CHECK(e.find("m.model: not a valid SentencePiece model (protobuf does not parse at byte 2") !=
        std::string::npos);
  e = load_error("v.txt", "[PAD]\nhello\n");
  CHECK(e.find("v.txt: a BERT vocab.txt needs an [UNK] line") != std::string::npos);
}

TEST_CASE("a tiny BPE with byte fallback and an ignore_merges word, computed by hand", "[text]") {
  // vocab: a b ab abc <0x63>; merges a+b. "abc" is a whole entry (ignore_merges); "ac" -> a <0x63>.
  const std::string p = write_tmp(
      "tiny.json",
      R"({"model": {"type": "BPE", "byte_fallback": true, "ignore_merges": true, "unk_token": null,)"
      R"( "vocab": {"a": 0, "b": 1, "ab": 2, "abc": 3, "<0x63>": 4}, "merges": [["a", "b"]]},)"
      R"( "pre_tokenizer": {"type": "WhitespaceSplit"}, "decoder": {"type": "Sequence", "decoders": [)"
      R"({"type": "ByteFallback"}, {"type": "Fuse"}]}})");
  const auto t = load_tokenizer(p, {});
  CHECK(text_test::encode(*t, "abc ac abab", false) == std::vector<int32_t>{3, 0, 4, 2, 2});
  const std::vector<int32_t> ids{0, 4};
  CHECK(t->decode(ids.data(), ids.size(), false) == "ac");
}
