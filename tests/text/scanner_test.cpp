// The hand-written split scanners against PCRE2 running the same pattern: every shared fixture text,
// the pathological texts, and 30,000 random strings over characters chosen to hit every alternative
// (contractions in both cases and with U+017F, CR/LF runs, U+0085, U+180E, NBSP, digits, marks,
// letters of several scripts, a Unicode 15 letter that PCRE2 10.42 does not know).
#include <catch2/catch.hpp>

#include <random>

#include "regex.hpp"
#include "scanners.hpp"
#include "text_test_util.hpp"

using namespace seqflow::text;

namespace {
const char* const kPatterns[] = {
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
    R"('(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s)",
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)",
    R"('(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s)",
};

std::vector<std::string> inputs() {
  std::vector<std::string> v;
  if (text_test::have_shared()) {
    for (const char* f : {"qwen3/fixture.jsonl", "albert-base-v2/fixture.jsonl"})
      for (const auto& r : text_test::read_jsonl(text_test::shared_tokenizers() + "/" + f))
        v.push_back(r.at("text"));
  }
  for (const auto& r : text_test::read_jsonl(std::string(TEXT_FIXTURES) + "/pathological.jsonl"))
    if (!r.at("text").is_null()) v.push_back(r.at("text"));
  v.push_back(std::string(100000, ' ') + "x");
  v.push_back(std::string(5000, '\n') + "  ");
  const char* alphabet[] = {"a",
                            "Z",
                            "'",
                            "s",
                            "S",
                            "t",
                            "l",
                            "L",
                            "r",
                            "e",
                            "v",
                            "m",
                            "D",
                            "1",
                            "9",
                            " ",
                            " ",
                            "\n",
                            "\r",
                            "\t",
                            ".",
                            ",",
                            "-",
                            "/",
                            "é",
                            "e\xCC\x81",
                            "中",
                            "ſ",
                            "\xC2\xA0",
                            "\xC2\x85",
                            "\xE1\xA0\x8E",
                            "😀",
                            "①",
                            "٣",
                            "ǅ",
                            "\xE2\x80\xA8",
                            "\xF0\xB1\x8D\x90" /* U+31350, Unicode 15 */};
  std::mt19937 rng(1234);
  for (int k = 0; k < 30000; ++k) {
    std::string s;
    const int n = 1 + static_cast<int>(rng() % 24);
    for (int i = 0; i < n; ++i) s += alphabet[rng() % std::size(alphabet)];
    v.push_back(s);
  }
  return v;
}
}  // namespace

TEST_CASE("split scanners equal PCRE2 on every input", "[text][scanner]") {
  const auto texts = inputs();
  for (const char* p : kPatterns) {
    const Scanner k = scanner_for(p);
    REQUIRE(k != Scanner::kNone);
    const Regex re(p);
    size_t bad = 0;
    std::vector<std::pair<size_t, size_t>> a, b;
    std::vector<std::pair<uint32_t, uint32_t>> raw;
    for (const auto& t : texts) {
      a.clear();
      b.clear();
      raw.clear();
      re.find_all(t, a);
      scan(k, t, 0, raw);
      for (auto [x, y] : raw) b.emplace_back(x, y);
      if (a != b && ++bad <= 3) FAIL_CHECK("pattern " << p << " differs on " << nlohmann::json(t).dump());
    }
    CHECK(bad == 0);
  }
}
