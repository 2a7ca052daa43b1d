#include "io/text_format.hpp"
#include "io/tsv.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using namespace seqflow::io;

namespace {
std::string fmt_double(double v) {
  std::string s;
  append_double(s, v);
  return s;
}
std::string fmt_float(float v) {
  std::string s;
  append_float32(s, v);
  return s;
}
}  // namespace

TEST_CASE("floats are written as the shortest text that reads back, keeping a decimal point") {
  CHECK(fmt_double(1.0) == "1.0");
  CHECK(fmt_double(-3.0) == "-3.0");
  CHECK(fmt_double(0.1) == "0.1");
  CHECK(fmt_double(2.5) == "2.5");
  CHECK(fmt_double(1e20) == "1e+20");
  CHECK(fmt_double(-0.0) == "-0.0");
  CHECK(fmt_double(std::numeric_limits<double>::infinity()) == "inf");
  CHECK(fmt_double(-std::numeric_limits<double>::infinity()) == "-inf");
  CHECK(fmt_double(std::nan("")) == "nan");
  // 0.1f is 0.100000001490116...: binary32's shortest text is still "0.1", binary64's is not.
  CHECK(fmt_float(0.1f) == "0.1");
  CHECK(fmt_double(static_cast<double>(0.1f)) == "0.10000000149011612");
  CHECK(fmt_float(16777216.0f) == "16777216.0");
}

TEST_CASE("ints are written in decimal") {
  std::string s;
  append_int(s, std::numeric_limits<int64_t>::min());
  s += ' ';
  append_int(s, 42);
  CHECK(s == "-9223372036854775808 42");
}

TEST_CASE("number parsing takes the whole text and nothing else") {
  int64_t i = 0;
  CHECK(parse_int("42", i));
  CHECK(i == 42);
  CHECK(parse_int("+7", i));
  CHECK(i == 7);
  CHECK(parse_int("-9223372036854775808", i));
  CHECK(i == std::numeric_limits<int64_t>::min());
  CHECK_FALSE(parse_int("9223372036854775808", i));
  CHECK_FALSE(parse_int("", i));
  CHECK_FALSE(parse_int("+", i));
  CHECK_FALSE(parse_int("+-5", i));
  CHECK_FALSE(parse_int("12a", i));
  CHECK_FALSE(parse_int(" 12", i));
  CHECK_FALSE(parse_int("1.0", i));

  double d = 0;
  CHECK(parse_double("2.5", d));
  CHECK(d == 2.5);
  CHECK(parse_double("+1e3", d));
  CHECK(d == 1000.0);
  CHECK(parse_double("-inf", d));
  CHECK(std::isinf(d));
  CHECK(d < 0);
  CHECK(parse_double("nan", d));
  CHECK(std::isnan(d));
  CHECK_FALSE(parse_double("1.5 ", d));
  CHECK_FALSE(parse_double("abc", d));
  CHECK_FALSE(parse_double("", d));
  CHECK_FALSE(parse_double("1e999", d));
}

TEST_CASE("TSV cells split at tabs and escape tabs, newlines, CRs and backslashes") {
  std::vector<std::string_view> cells;
  split_tabs("a\t\tb", cells);
  REQUIRE(cells.size() == 3);
  CHECK(cells[0] == "a");
  CHECK(cells[1] == "");
  CHECK(cells[2] == "b");
  split_tabs("", cells);
  CHECK(cells.size() == 1);

  std::string out;
  append_tsv_escaped(out, "x\ty\nz\\w\r");
  CHECK(out == "x\\ty\\nz\\\\w\\r");
  CHECK(tsv_unescape(out) == "x\ty\nz\\w\r");
  // Unknown pairs and a trailing backslash stay as they are.
  CHECK(tsv_unescape("a\\qb\\") == "a\\qb\\");
  CHECK(tsv_unescape("\\\\t") == "\\t");
}
