// Conformance on ../shared/data/tokenizers (see its PROVENANCE.md): every id of every fixture record
// equals the reference library's (tokenizers-rs 0.22 for qwen3 and bert, sentencepiece 0.1.97 for
// albert), and decode(ids) == text on exactly as many records as PROVENANCE.md states.
#include <catch2/catch.hpp>

#include "text_test_util.hpp"

using namespace seqflow::text;

namespace {

struct Case {
  const char* file;
  const char* fixture;
  size_t round_trips;  // PROVENANCE.md: exact decode round trips on non-special records
};

void check(const Case& c) {
  if (!text_test::have_shared()) {
    WARN("SKIP: " << text_test::shared_tokenizers() << " is absent");
    return;
  }
  const std::string dir = text_test::shared_tokenizers() + "/";
  const auto tok = load_tokenizer(dir + c.file, {});
  const auto recs = text_test::read_jsonl(dir + c.fixture);
  REQUIRE(recs.size() > 2000);
  size_t mismatches = 0, round_trips = 0, plain = 0;
  for (const auto& r : recs) {
    const std::string text = r.at("text");
    const bool add = r.value("add_special_tokens", false) || r.value("add_bos_eos", false);
    std::vector<int32_t> want;
    for (int64_t id : r.at("ids")) {
      // sentencepiece's Python encode(add_bos=True, add_eos=True) appends bos_id() and eos_id() even
      // when they are -1 (this model has neither): -1 is "no such token", so it is not an id.
      if (id >= 0) want.push_back(static_cast<int32_t>(id));
    }
    const auto got = text_test::encode(*tok, text, add);
    if (got != want) {
      ++mismatches;
      if (mismatches <= 5) {
        INFO("text " << nlohmann::json(text).dump());
        CHECK(got == want);
      }
    }
    if (!add) {
      ++plain;
      round_trips += tok->decode(want.data(), want.size(), false) == text;
    }
  }
  CHECK(mismatches == 0);
  CHECK(plain == 2048);
  CHECK(round_trips == c.round_trips);
}

}  // namespace

TEST_CASE("qwen3 byte-level BPE: every fixture id and the 2045 round trips", "[text][shared]") {
  check({"qwen3/tokenizer.json", "qwen3/fixture.jsonl", 2045});
}

TEST_CASE("bert-base-uncased tokenizer.json: every fixture id and the 218 round trips", "[text][shared]") {
  check({"bert-base-uncased/tokenizer.json", "bert-base-uncased/fixture.jsonl", 218});
}

TEST_CASE("bert-base-uncased vocab.txt gives the same ids as its tokenizer.json", "[text][shared]") {
  check({"bert-base-uncased/vocab.txt", "bert-base-uncased/fixture.jsonl", 218});
}

TEST_CASE("albert-base-v2 SentencePiece Unigram: every fixture id and the 749 round trips",
          "[text][shared]") {
  if (!text_test::have_shared()) return;
  const std::string dir = text_test::shared_tokenizers() + "/";
  const auto tok = load_tokenizer(dir + "albert-base-v2/spiece.model", {});
  const auto recs = text_test::read_jsonl(dir + "albert-base-v2/fixture.jsonl");
  REQUIRE(recs.size() == 4096);
  size_t mismatches = 0, round_trips = 0;
  for (const auto& r : recs) {
    std::vector<int32_t> want;
    for (int64_t id : r.at("ids"))
      if (id >= 0) want.push_back(static_cast<int32_t>(id));  // see check(): -1 is sentencepiece's "none"
    const std::string text = r.at("text");
    mismatches += text_test::encode(*tok, text, r.value("add_bos_eos", false)) != want;
    if (!r.value("add_bos_eos", false)) round_trips += tok->decode(want.data(), want.size(), false) == text;
  }
  CHECK(mismatches == 0);
  CHECK(round_trips == 749);
}

TEST_CASE("hand checks from PROVENANCE.md", "[text][shared]") {
  if (!text_test::have_shared()) return;
  const std::string dir = text_test::shared_tokenizers() + "/";
  const auto qwen = load_tokenizer(dir + "qwen3/tokenizer.json", {});
  CHECK(text_test::encode(*qwen, "Hello, world!", true) == std::vector<int32_t>{9707, 11, 1879, 0});
  CHECK(text_test::encode(*qwen, "a<|endoftext|>b", false) == std::vector<int32_t>{64, 151643, 65});
  const auto bert = load_tokenizer(dir + "bert-base-uncased/vocab.txt", {});
  CHECK(text_test::encode(*bert, "i like strawberries", false) ==
        std::vector<int32_t>{1045, 2066, 13137, 20968});
  CHECK(text_test::encode(*bert, "John Johanson's house", true) ==
        std::vector<int32_t>{101, 2198, 13093, 3385, 1005, 1055, 2160, 102});
  // allowed_special = none: the special-token string is text.
  Encoding e;
  qwen->encode("a<|endoftext|>b", false, false, e);
  CHECK(e.ids.size() > 3);
  CHECK(std::find(e.ids.begin(), e.ids.end(), 151643) == e.ids.end());
  // Offsets: byte spans into the input.
  Encoding o;
  qwen->encode("Hello, world!", true, true, o);
  REQUIRE(o.offsets.size() == 4);
  CHECK(o.offsets[2].begin == 6);
  CHECK(o.offsets[2].end == 12);
}
