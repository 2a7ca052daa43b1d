// Tokenizers of every model type and many component options, trained here with Hugging Face
// `tokenizers` 0.23.3 and `sentencepiece` 0.2.3 (make_hf_variants.py, make_spm_variants.py): every id,
// with and without special tokens, and every decode equals what those libraries gave.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

#include "text_test_util.hpp"

using namespace seqflow::text;

namespace {

void check_file(const std::string& model, const std::string& expected, bool hf) {
  const auto tok = load_tokenizer(model, {});
  const auto recs = text_test::read_jsonl(expected);
  REQUIRE(recs.size() > 100);
  size_t id_bad = 0, dec_bad = 0;
  for (const auto& r : recs) {
    std::vector<int32_t> ids;
    if (r.contains("text")) {
      const std::string text = r.at("text");
      const auto plain = text_test::encode(*tok, text, false);
      const auto special = text_test::encode(*tok, text, true);
      if (plain != r.at("ids").get<std::vector<int32_t>>() ||
          special != r.at("ids_special").get<std::vector<int32_t>>()) {
        if (++id_bad <= 3) FAIL_CHECK(model << ": ids differ for " << r.at("text").dump());
      }
      ids = r.at(hf ? "ids_special" : "ids").get<std::vector<int32_t>>();
    } else {
      ids = r.at("decode_ids").get<std::vector<int32_t>>();
    }
    for (int skip = 0; skip < (hf ? 2 : 1); ++skip) {
      const std::string want = r.at(skip ? "decode_skip" : "decode");
      if (tok->decode(ids.data(), ids.size(), skip != 0) != want) {
        if (++dec_bad <= 3)
          FAIL_CHECK(model << ": decode differs, want " << r.at(skip ? "decode_skip" : "decode").dump());
      }
    }
  }
  CHECK(id_bad == 0);
  CHECK(dec_bad == 0);
}

std::vector<std::string> stems(const std::string& dir, const std::string& ext) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string p = e.path().string();
    if (p.size() > ext.size() && p.compare(p.size() - ext.size(), ext.size(), ext) == 0 &&
        p.find(".expected") == std::string::npos)
      out.push_back(p.substr(0, p.size() - ext.size()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("tokenizer.json variants give Hugging Face's ids and decodes", "[text]") {
  const auto files = stems(std::string(TEXT_FIXTURES) + "/hf", ".json");
  REQUIRE(files.size() == 14);
  for (const auto& f : files) {
    INFO(f);
    check_file(f + ".json", f + ".expected.jsonl", true);
  }
}

TEST_CASE("SentencePiece .model variants give sentencepiece's ids and decodes", "[text]") {
  const auto files = stems(std::string(TEXT_FIXTURES) + "/spm", ".model");
  REQUIRE(files.size() == 3);
  for (const auto& f : files) {
    INFO(f);
    check_file(f + ".model", f + ".expected.jsonl", false);
  }
}

TEST_CASE("SentencePiece decodes invalid byte-piece runs a character at a time, as sentencepiece", "[text]") {
  // make_spm_byte_decodes.py: sentencepiece's own decodes of valid and invalid UTF-8 in byte pieces.
  for (const char* name : {"bpe_byte_fallback", "unigram_raw_whitespace"}) {
    const std::string base = std::string(TEXT_FIXTURES) + "/spm/" + name;
    const auto tok = load_tokenizer(base + ".model", {});
    const auto recs = text_test::read_jsonl(base + ".byte_decodes.jsonl");
    REQUIRE(recs.size() > 200);
    size_t bad = 0;
    for (const auto& r : recs) {
      const auto ids = r.at("decode_ids").get<std::vector<int32_t>>();
      const std::string want = r.at("decode");
      if (tok->decode(ids.data(), ids.size(), false) != want && ++bad <= 3)
        FAIL_CHECK(name << ": decode of " << r.at("decode_ids").dump() << " differs, want "
                        << r.at("decode").dump());
    }
    CHECK(bad == 0);
  }
}
