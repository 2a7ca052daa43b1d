#include "io/line_reader.hpp"
#include "temp_dir.hpp"

#include <seqflow/sdk.hpp>

#include <catch2/catch.hpp>

#include <zlib.h>

using namespace seqflow::io;
using seqflow::io::test::TempDir;

namespace {

std::vector<std::string> all_lines(const std::string& path, size_t chunk = LineReader::kDefaultChunk) {
  LineReader r(path, chunk);
  std::vector<std::string> out;
  std::string_view line;
  while (r.next(line)) {
    out.emplace_back(line);
    REQUIRE(r.line_number() == out.size());
  }
  return out;
}

// gzip bytes of `text` made with zlib's own gzip writer (an independent encoder).
std::string gzip_with_zlib(const TempDir& dir, const std::string& text) {
  std::string p = dir.file("tmp_for_gzip.gz");
  gzFile g = gzopen(p.c_str(), "wb");
  REQUIRE(g != nullptr);
  REQUIRE(gzwrite(g, text.data(), static_cast<unsigned>(text.size())) == static_cast<int>(text.size()));
  REQUIRE(gzclose(g) == Z_OK);
  std::string bytes = seqflow::io::test::read_file(p);
  std::filesystem::remove(p);
  return bytes;
}

}  // namespace

TEST_CASE("plain text: LF and CRLF endings, empty lines, a last line without newline") {
  TempDir dir;
  std::string p = dir.write("a.txt", "first\r\nsecond\n\nthird\r\n\r\nlast");
  std::vector<std::string> want{"first", "second", "", "third", "", "last"};
  CHECK(all_lines(p) == want);
  CHECK(all_lines(p, 64) == want);
  LineReader r(p);
  CHECK_FALSE(r.is_gzip());
}

TEST_CASE("an empty file has no lines; a lone newline is one empty line") {
  TempDir dir;
  CHECK(all_lines(dir.write("empty.txt", "")).empty());
  CHECK(all_lines(dir.write("nl.txt", "\n")) == std::vector<std::string>{""});
}

TEST_CASE("lines longer than the chunk grow the buffer and come back whole") {
  TempDir dir;
  std::string longline(1000, 'x');
  longline[500] = '\r';  // a CR inside a line stays
  std::string text = "a\n" + longline + "\n" + std::string(130, 'y') + "\r\nz";
  std::string p = dir.write("long.txt", text);
  std::vector<std::string> want{"a", longline, std::string(130, 'y'), "z"};
  CHECK(all_lines(p, 64) == want);
  CHECK(all_lines(p, 100) == want);
}

TEST_CASE("gzip is detected by its magic bytes, whatever the file name") {
  TempDir dir;
  std::string text;
  std::vector<std::string> want;
  for (int i = 0; i < 5000; ++i) {
    want.push_back("line " + std::to_string(i) + std::string(static_cast<size_t>(i % 37), '.'));
    text += want.back() + (i % 3 == 0 ? "\r\n" : "\n");
  }
  std::string gz = gzip_with_zlib(dir, text);
  std::string p = dir.write("looks_plain.txt", gz);
  CHECK(all_lines(p) == want);
  CHECK(all_lines(p, 64) == want);
  LineReader r(p);
  CHECK(r.is_gzip());

  // And a plain file named .gz is read as plain text.
  std::string q = dir.write("not_really.gz", "one\ntwo\n");
  CHECK(all_lines(q) == std::vector<std::string>{"one", "two"});
}

TEST_CASE("concatenated gzip members are read one after the other") {
  TempDir dir;
  std::string p = dir.write("multi.gz", gzip_with_zlib(dir, "a\nb") + gzip_with_zlib(dir, "c\nd\n"));
  // The first member ends without a newline: its last line joins the next member's first, as `zcat` shows.
  CHECK(all_lines(p) == std::vector<std::string>{"a", "bc", "d"});
  CHECK(all_lines(p, 64) == std::vector<std::string>{"a", "bc", "d"});
  // bgzip ends files with an empty member; empty members anywhere add nothing.
  std::string q = dir.write("bgzf_like.gz", gzip_with_zlib(dir, "x\n") + gzip_with_zlib(dir, "") +
                                                gzip_with_zlib(dir, "y\n") + gzip_with_zlib(dir, ""));
  CHECK(all_lines(q) == std::vector<std::string>{"x", "y"});
}

TEST_CASE("truncated and corrupt gzip data are errors naming the file") {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "some text to compress " + std::to_string(i) + "\n";
  std::string gz = gzip_with_zlib(dir, text);

  std::string cut = dir.write("cut.gz", gz.substr(0, gz.size() / 2));
  CHECK_THROWS_WITH(all_lines(cut), Catch::Contains(cut) && Catch::Contains("gzip data is truncated"));

  std::string bad = gz;
  bad[3] = '\xff';  // reserved FLG bits set: zlib rejects the header
  std::string corrupt = dir.write("corrupt.gz", bad);
  CHECK_THROWS_WITH(all_lines(corrupt),
                    Catch::Contains(corrupt) && Catch::Contains("corrupt gzip data at compressed byte"));

  std::string trailing = dir.write("trailing.gz", gz + "garbage!");
  CHECK_THROWS_WITH(all_lines(trailing),
                    Catch::Contains("corrupt gzip data") && Catch::Contains("not a gzip member"));

  std::string wrong_crc = gz;
  wrong_crc[gz.size() - 8] = static_cast<char>(~wrong_crc[gz.size() - 8]);  // the member's CRC-32
  std::string crc = dir.write("crc.gz", wrong_crc);
  CHECK_THROWS_WITH(all_lines(crc), Catch::Contains("CRC-32 or length check failed"));
  CHECK_THROWS_WITH(all_lines(crc, 64), Catch::Contains("CRC-32 or length check failed"));

  // A second member whose header is cut after two bytes.
  std::string short_header = dir.write("short.gz", gz + gz.substr(0, 2));
  CHECK_THROWS_WITH(all_lines(short_header), Catch::Contains("cut short in its header"));
}

TEST_CASE("a line longer than the limit is an error, not a memory hog") {
  TempDir dir;
  std::string p = dir.write("binary.dat", "ok\n" + std::string(300, 'x') + "\nnext\n");
  LineReader r(p, 64, 100);
  std::string_view line;
  REQUIRE(r.next(line));
  CHECK(line == "ok");
  CHECK_THROWS_WITH(r.next(line), p + ":2: line is longer than 100 bytes (is this a text file?)");
  // Lines up to the limit are fine.
  std::string q = dir.write("fine.txt", std::string(100, 'y') + "\n");
  LineReader ok(q, 64, 100);
  REQUIRE(ok.next(line));
  CHECK(line.size() == 100);
}

TEST_CASE("a missing file is an error naming it") {
  TempDir dir;
  std::string p = dir.file("nope.txt");
  CHECK_THROWS_WITH(LineReader(p), Catch::Contains("cannot open '" + p + "'"));
}
