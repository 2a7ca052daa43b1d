#include "io/glob.hpp"
#include "temp_dir.hpp"

#include <seqflow/sdk.hpp>

#include <catch2/catch.hpp>

#include <filesystem>

using namespace seqflow::io;
using seqflow::io::test::TempDir;

TEST_CASE("glob patterns expand to sorted files, folders left out") {
  TempDir dir;
  dir.write("b.txt", "");
  dir.write("a.txt", "");
  dir.write("c.dat", "");
  dir.write("B.txt", "");
  std::filesystem::create_directories(dir.file("sub.txt"));
  std::string d = dir.path().string() + "/";

  CHECK(expand_paths({d + "*.txt"}) == std::vector<std::string>{d + "B.txt", d + "a.txt", d + "b.txt"});
  CHECK(expand_paths({d + "*"}) ==
        std::vector<std::string>{d + "B.txt", d + "a.txt", d + "b.txt", d + "c.dat"});
  CHECK(expand_paths({d + "[ab].txt"}) == std::vector<std::string>{d + "a.txt", d + "b.txt"});
  CHECK(expand_paths({d + "{c.dat,a.txt}"}) == std::vector<std::string>{d + "a.txt", d + "c.dat"});
  CHECK(expand_paths({d + "?.dat", d + "a.txt"}) == std::vector<std::string>{d + "c.dat", d + "a.txt"});
}

TEST_CASE("patterns keep their order and a file matched twice is listed once") {
  TempDir dir;
  dir.write("x1", "");
  dir.write("x2", "");
  std::string d = dir.path().string() + "/";
  CHECK(expand_paths({d + "x2", d + "x*"}) == std::vector<std::string>{d + "x2", d + "x1"});
}

TEST_CASE("a pattern matching nothing is an error naming it") {
  TempDir dir;
  dir.write("a.txt", "");
  std::filesystem::create_directories(dir.file("only_a_folder"));
  std::string d = dir.path().string() + "/";
  CHECK_THROWS_WITH(expand_paths({d + "a.txt", d + "*.jsonl"}),
                    "no file matches the pattern '" + d + "*.jsonl' (check the folder and the wildcard)");
  CHECK_THROWS_WITH(expand_paths({d + "missing.txt"}),
                    "file '" + d + "missing.txt' does not exist or is a folder");
  CHECK_THROWS_WITH(expand_paths({d + "only_a_folder"}),
                    "file '" + d + "only_a_folder' does not exist or is a folder");
  CHECK_THROWS_WITH(expand_paths({d + "nope/*.txt"}), Catch::StartsWith("no file matches the pattern"));
  CHECK_THROWS_WITH(expand_paths({}), Catch::StartsWith("`paths` is empty"));
}
