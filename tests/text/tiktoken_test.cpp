// tiktoken rank files (fetched by fetch_tiktoken.sh into tests/text/.cache/tiktoken; the test skips
// when they are absent) against PyPI tiktoken 0.14's ids (make_tiktoken_fixtures.py): encode with
// allowed_special="all", encode_ordinary, decode; one text holds WTF-8 lone surrogates.
#include <catch2/catch.hpp>

#include <filesystem>

#include "text_test_util.hpp"

using namespace seqflow::text;

namespace {
std::string from_hex(const std::string& h) {
  std::string s;
  for (size_t i = 0; i + 1 < h.size(); i += 2) s += static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16));
  return s;
}
}  // namespace

TEST_CASE("tiktoken encodings give tiktoken's ids", "[text][tiktoken]") {
  const std::string cache = std::string(SEQFLOW_SOURCE_DIR) + "/tests/text/.cache/tiktoken/";
  if (!std::filesystem::exists(cache + "cl100k_base.tiktoken")) {
    WARN("SKIP: run tests/text/fetch_tiktoken.sh to fetch the rank files into " << cache);
    return;
  }
  for (const char* name : {"r50k_base", "p50k_base", "p50k_edit", "cl100k_base", "o200k_base"}) {
    INFO(name);
    LoadOptions o;
    o.encoding = name;
    const std::string file = std::string(name) == "p50k_edit" ? "p50k_base" : name;
    const auto tok = load_tokenizer(cache + file + ".tiktoken", o);
    const auto recs =
        text_test::read_jsonl(std::string(TEXT_FIXTURES) + "/tiktoken/" + name + ".expected.jsonl");
    REQUIRE(recs.size() > 100);
    size_t bad = 0;
    for (const auto& r : recs) {
      const std::string text = from_hex(r.at("wtf8"));
      Encoding all, ordinary;
      tok->encode(text, true, false, all);
      tok->encode(text, false, false, ordinary);
      const bool ok = all.ids == r.at("ids").get<std::vector<int32_t>>() &&
                      ordinary.ids == r.at("ordinary").get<std::vector<int32_t>>() &&
                      tok->decode(all.ids.data(), all.ids.size(), false) == r.at("decode").get<std::string>();
      if (!ok && ++bad <= 3) FAIL_CHECK("differs for " << r.at("wtf8").get<std::string>());
    }
    CHECK(bad == 0);
  }
}
