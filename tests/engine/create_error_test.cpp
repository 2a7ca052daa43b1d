// Which parameter a failed create() is blamed on (engine/src/create_error.cpp): the plugin's own answer
// first, then the parameter the message starts with, then the one whose value it quotes, never an
// undeclared name; and `seqflow validate` creating every stage without writing or reading anything.
#include <catch2/catch.hpp>

#include "create_error.hpp"
#include "support/test_files.hpp"
#include "value_tree.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace seqflow::engine;
namespace fs = std::filesystem;

namespace {

const sf_param_decl kDecls[] = {
    {sizeof(sf_param_decl), "k", SF_PARAM_INT, 0, "6", "", nullptr, nullptr},
    {sizeof(sf_param_decl), "paths", SF_PARAM_PATH_LIST, 1, nullptr, "", nullptr, nullptr},
    {sizeof(sf_param_decl), "path", SF_PARAM_PATH, 1, nullptr, "", nullptr, nullptr},
    {sizeof(sf_param_decl), "stride", SF_PARAM_INT, 0, "1", "", nullptr, nullptr},
};

struct Params {
  OwnedValue tree;
  Params() {
    OwnedValue::Builder b = tree.builder();
    b.set_root(b.table({"k", "paths", "path", "stride"},
                       {b.integer(13), b.array({b.string("/d/a.fa"), b.string("/d/x*.fa")}),
                        b.string("/out/o.jsonl"), b.integer(1)}));
  }
};

std::string blame(const std::string& message, const std::string& plugin_param = "") {
  static Params p;
  return blamed_parameter(message, plugin_param, kDecls, 4, p.tree.root());
}

}  // namespace

TEST_CASE("create failures are blamed on the parameter concerned", "[engine][validate]") {
  CHECK(blame("anything at all", "stride") == "stride");           // ABI 1.2: the plugin says
  CHECK(blame("k = 13 is out of range", "no_such_param") == "k");  // an undeclared answer is ignored
  CHECK(blame("k = 13 is out of range") == "k");
  CHECK(blame("parameter 'stride': must be 1 or more") == "stride");
  CHECK(blame("paths is empty; name at least one file") == "paths");
  CHECK(blame("the pattern '/d/x*.fa' matches no file") == "paths");  // a list element quoted
  CHECK(blame("cannot create folder '/out' for '/out/o.jsonl': Not a directory") == "path");
  // "kmer" starts with "k" but is another word; nothing else fits: the stage header is used.
  CHECK(blame("kmer table too large").empty());
  CHECK(blame("something unrelated").empty());
}

TEST_CASE("the position is the blamed value's, else the header", "[engine][validate]") {
  const SourcePos header{"p.toml", 4, 1};
  const std::map<std::string, SourcePos> given{{"k", {"p.toml", 7, 5}}};
  CHECK(create_failure_position("k", given, header).str() == "p.toml:7:5");
  CHECK(create_failure_position("stride", given, header).str() == "p.toml:4:1");  // a default value
  CHECK(create_failure_position("", given, header).str() == "p.toml:4:1");
}

TEST_CASE("validate creates the writer but leaves no file behind and reads no record", "[engine][validate]") {
  const fs::path dir = fs::temp_directory_path() / ("seqflow_validate_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "out");
  // A line that is not JSON: `run` would fail on it; `validate` must not read it.
  std::ofstream(dir / "in.jsonl") << "not json\n";
  std::ofstream(dir / "pipeline.toml") << "[pipeline]\nname = \"v\"\n[[stage]]\nname = \"read\"\n"
                                          "plugin = \"io.jsonl_read\"\npaths = [\"in.jsonl\"]\n"
                                          "[[stage]]\nname = \"write\"\nplugin = \"io.jsonl_write\"\n"
                                          "path = \"out/o.jsonl\"\nfields = [\"id\", \"text\"]\n";
  auto cli = [&](const std::string& command) {
    const std::string cmd = std::string(SEQFLOW_BIN) + " " + command + " '" +
                            (dir / "pipeline.toml").string() + "' > /dev/null 2> '" +
                            (dir / "err.txt").string() + "'";
    const int rc = std::system(cmd.c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  };
  CHECK(cli("validate") == 0);
  CHECK(fs::is_empty(dir / "out"));      // the writer's temporary was created and removed
  CHECK(cli("run --no-progress") == 1);  // while run does read the bad line
  CHECK(seqflow::test::read_file(dir / "err.txt").find("in.jsonl:1") != std::string::npos);
  CHECK(fs::is_empty(dir / "out"));
  fs::remove_all(dir);
}
