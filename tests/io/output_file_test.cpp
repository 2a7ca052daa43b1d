#include "io/output_file.hpp"
#include "io/line_reader.hpp"
#include "temp_dir.hpp"

#include <seqflow/atomic_file.hpp>

#include <catch2/catch.hpp>

#include <filesystem>

#include <zlib.h>

using namespace seqflow::io;
using seqflow::io::test::read_file;
using seqflow::io::test::TempDir;

namespace {

// Decompresses with zlib's own gzip reader (an independent decoder).
std::string gunzip(const std::string& path) {
  gzFile g = gzopen(path.c_str(), "rb");
  REQUIRE(g != nullptr);
  std::string out;
  char buf[4096];
  int n;
  while ((n = gzread(g, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  REQUIRE(n == 0);
  gzclose(g);
  return out;
}

}  // namespace

TEST_CASE("AtomicFile publishes only on commit") {
  TempDir dir;
  std::string target = dir.file("out.txt");
  {
    seqflow::AtomicFile f(target);
    f.write("hello ");
    f.write(std::string_view("world"));
    CHECK_FALSE(std::filesystem::exists(target));
    CHECK(std::filesystem::exists(f.temp_path()));
    CHECK(std::filesystem::path(f.temp_path()).parent_path() == dir.path());
    f.commit();
    CHECK(f.committed());
  }
  CHECK(read_file(target) == "hello world");
  CHECK(dir.names() == std::vector<std::string>{"out.txt"});
}

TEST_CASE("AtomicFile without commit leaves nothing, and an old file untouched") {
  TempDir dir;
  std::string target = dir.write("keep.txt", "old contents");
  {
    seqflow::AtomicFile f(target);
    f.write("partial");
  }
  CHECK(read_file(target) == "old contents");
  CHECK(dir.names() == std::vector<std::string>{"keep.txt"});
  {
    seqflow::AtomicFile f(target);
    f.write("new");
    f.discard();
    CHECK_THROWS_WITH(f.commit(), "cannot commit '" + target + "': it was discarded");
  }
  CHECK(read_file(target) == "old contents");
}

TEST_CASE("AtomicFile replaces an existing file, creates folders, and moves") {
  TempDir dir;
  std::string target = dir.file("a/b/c.bin");
  std::vector<seqflow::AtomicFile> files;
  files.emplace_back(target);
  files.back().write("x", 1);
  files.back().close();
  files.emplace_back(dir.file("a/d.bin"));  // may reallocate: moved files keep their temporaries
  files.back().close();
  for (auto& f : files) f.commit();
  CHECK(read_file(target) == "x");
  CHECK(read_file(dir.file("a/d.bin")).empty());

  seqflow::AtomicFile again(target);
  again.write("y");
  again.commit();
  CHECK(read_file(target) == "y");
  CHECK(std::filesystem::directory_iterator(dir.file("a/b"))->path().filename() == "c.bin");
}

TEST_CASE("AtomicFile errors name the path") {
  TempDir dir;
  std::filesystem::create_directories(dir.file("folder"));
  CHECK_THROWS_WITH(seqflow::AtomicFile(dir.file("folder")), Catch::Contains("a folder of that name exists"));
  dir.write("plain", "");
  CHECK_THROWS_WITH(seqflow::AtomicFile(dir.file("plain/x.txt")), Catch::StartsWith("cannot create folder"));
}

TEST_CASE("OutputFile writes plain or gzip text") {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 100000; ++i) text += "row " + std::to_string(i) + "\n";  // several deflate chunks

  std::string plain = dir.file("out.txt");
  {
    OutputFile f(plain, has_gzip_suffix(plain));
    f.write(text.substr(0, 10));
    f.write(text.substr(10));
    f.commit();
  }
  CHECK(read_file(plain) == text);

  std::string gz = dir.file("out.txt.gz");
  {
    OutputFile f(gz, has_gzip_suffix(gz));
    for (size_t i = 0; i < text.size(); i += 1000) f.write(text.substr(i, 1000));
    f.commit();
  }
  std::string bytes = read_file(gz);
  REQUIRE(bytes.size() > 2);
  CHECK(static_cast<unsigned char>(bytes[0]) == 0x1f);
  CHECK(static_cast<unsigned char>(bytes[1]) == 0x8b);
  CHECK(bytes.size() < text.size() / 3);
  CHECK(gunzip(gz) == text);

  std::string empty_gz = dir.file("empty.gz");
  {
    OutputFile f(empty_gz, true);
    f.commit();
  }
  CHECK(gunzip(empty_gz).empty());

  {
    OutputFile f(dir.file("never.gz"), true);
    f.write(text);
  }
  CHECK_FALSE(std::filesystem::exists(dir.file("never.gz")));
  CHECK(dir.names().size() == 3);
}

TEST_CASE("gzip suffix detection") {
  CHECK(has_gzip_suffix("a.jsonl.gz"));
  CHECK(has_gzip_suffix("/x/y.gz"));
  CHECK_FALSE(has_gzip_suffix(".gz"));
  CHECK_FALSE(has_gzip_suffix("a.gzip"));
  CHECK_FALSE(has_gzip_suffix("a.txt"));
}
