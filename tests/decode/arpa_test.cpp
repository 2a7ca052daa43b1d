// The ARPA reader and its back-off scores, against values computed by hand from the file's numbers.
#include "decode/arpa_lm.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using seqflow::decode::ArpaLm;
namespace fs = std::filesystem;

namespace {

std::string write_temp(const std::string& name, const std::string& text) {
  fs::path p = fs::temp_directory_path() / ("seqflow_decode_" + name);
  std::ofstream(p, std::ios::binary) << text;
  return p.string();
}

// A trigram model small enough to score by hand.
const char* const kArpa = R"(some header text a tool wrote

\data\
ngram 1=5
ngram 2=4
ngram 3=1

\1-grams:
-1.0	<s>	-0.5
-0.7	</s>
-0.6	a	-0.3
-0.9	b	-0.2
-1.2	<unk>

\2-grams:
-0.2	<s> a
-0.4	a b	-0.25
-0.3	b </s>
-0.35	b a

\3-grams:
-0.1	<s> a b

\end\
)";

double seq(const ArpaLm& lm, std::initializer_list<const char*> words, bool eos) {
  ArpaLm::State s = lm.begin_state(), n;
  double total = 0;
  for (const char* w : words) {
    total += lm.score(s, lm.word_id(w), n);
    s = n;
  }
  if (eos) total += lm.score(s, lm.eos(), n);
  return total;
}

}  // namespace

TEST_CASE("ARPA scores follow the back-off definition", "[arpa]") {
  ArpaLm lm = ArpaLm::load(write_temp("tri.arpa", kArpa));
  CHECK(lm.order() == 3);
  CHECK(lm.count(1) == 5);
  CHECK(lm.count(2) == 4);
  CHECK(lm.unk() >= 0);
  // Listed n-grams.
  CHECK(seq(lm, {"a"}, false) == Approx(-0.2));
  CHECK(seq(lm, {"a", "b"}, false) == Approx(-0.2 + -0.1));
  // P(</s> | a b) = bo(a b) + P(</s> | b) = -0.25 + -0.3.
  CHECK(seq(lm, {"a", "b"}, true) == Approx(-0.2 + -0.1 + -0.55));
  // P(b | <s>) = bo(<s>) + P(b) = -0.5 + -0.9; P(a | <s> b): "<s> b" is not listed (back-off 0), P(a | b)
  // = -0.35 listed; P(</s> | b a) = P(</s> | a) (no "b a" back-off) = bo(a) + P(</s>) = -0.3 + -0.7.
  CHECK(seq(lm, {"b", "a"}, true) == Approx(-1.4 + -0.35 + -1.0));
  // P(a | a b) = bo(a b) + P(a | b) = -0.25 + -0.35; P(a | b a) = bo(b a)=0 + P(a | a) = bo(a) + P(a).
  CHECK(seq(lm, {"a", "b", "a", "a"}, false) == Approx(-0.2 + -0.1 + -0.6 + (-0.3 + -0.6)));
  CHECK(lm.word_id("zebra") == -1);
}

TEST_CASE("a unigram model keeps no history", "[arpa]") {
  ArpaLm lm = ArpaLm::load(write_temp("uni.arpa",
                                      "\\data\\\nngram 1=3\n\n\\1-grams:\n-1 <s>\n-0.5 </s>\n"
                                      "-0.25 x\n\n\\end\\\n"));
  CHECK(seq(lm, {"x", "x"}, true) == Approx(-0.25 * 2 - 0.5));
}

TEST_CASE("malformed ARPA files are errors naming the file and line", "[arpa]") {
  auto fails = [](const std::string& text, const std::string& what) {
    const std::string path = write_temp("bad.arpa", text);
    CHECK_THROWS_WITH(ArpaLm::load(path), Catch::Contains(what));
  };
  const std::string head = "\\data\\\nngram 1=3\n\n\\1-grams:\n-1 <s>\n-0.5 </s>\n";
  fails("no data here\n", "no \\data\\ section");
  fails(head + "-0.25\n\n\\end\\\n", "bad.arpa:7: a 1-gram line needs a log10 probability, 1 word");
  fails(head + "abc x\n\n\\end\\\n", "bad.arpa:7: 'abc' is not a log10 probability");
  fails(head + "0.5 x\n\n\\end\\\n", "bad.arpa:7: '0.5' is not a log10 probability");
  fails(head + "-0.25 x\n", "ends without '\\end\\'");
  fails(head + "-0.25 x\n-0.1 y\n\n\\end\\\n", "bad.arpa:8: more 1-grams than the 3");
  fails(head + "\n\\end\\\n", "section has 2 entries but \\data\\ announced 3");
  fails(
      "\\data\\\nngram 1=2\nngram 2=1\n\n\\1-grams:\n-1 <s>\n-0.5 </s>\n\n\\2-grams:\n-0.1 <s> zz\n\\end\\\n",
      "bad.arpa:10: the word 'zz' is not among the 1-grams");
  fails("\\data\\\nngram 2=1\n", "bad.arpa:2: 'ngram 2=' out of order");
  fails("\\data\\\nngram one=1\n", "bad.arpa:2: expected 'ngram N=COUNT'");
  fails("\\data\\\nngram 1=1\n\n\\1-grams:\n-1 x\n\n\\end\\\n", "lack <s> or </s>");
  fails(head + "-0.25 x\n\n\\2-grams:\n\\end\\\n", "bad.arpa:9: expected '\\end\\', found '\\2-grams:'");
  CHECK_THROWS_WITH(ArpaLm::load("/nonexistent/lm.arpa"), Catch::Contains("cannot open"));
  // A count the file cannot hold is refused before the n-gram table is allocated (it used to allocate
  // and zero 32 bytes per announced n-gram: terabytes for this header).
  fails("\\data\\\nngram 1=3\nngram 2=99999999999\n\n\\1-grams:\n-1 <s>\n-0.5 </s>\n-1 a\n\\end\\\n",
        "bad.arpa: \\data\\ announces 99999999999 2-grams, more than a file of");
}
