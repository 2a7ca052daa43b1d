// load_pipeline(): what a valid file turns into, and the exact error (position and message) for each
// rule. The components are the test-only `spectest` module's (tests/engine/spec_plugin.cpp); positions
// and messages below were worked out from the TOML text and the rules, line by line.
#include <catch2/catch.hpp>

#include "pipeline_spec.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace seqflow::engine;

namespace {

class Fixture {
 public:
  Fixture() {
    static int counter = 0;
    dir_ = fs::temp_directory_path() /
           ("seqflow_spec_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    PluginHost::instance().add_search_dir(SEQFLOW_SPEC_PLUGIN_DIR);
  }
  ~Fixture() { fs::remove_all(dir_); }
  Fixture(const Fixture&) = delete;
  Fixture& operator=(const Fixture&) = delete;

  std::string dir() const { return dir_.string(); }
  std::string file() const { return (dir_ / "p.toml").string(); }

  PipelineSpec load(const std::string& toml, const std::vector<std::string>& overrides = {}) const {
    std::ofstream(file(), std::ios::binary) << toml;
    return load_pipeline(file(), overrides);
  }

  // The SpecError's what(), with the temporary file's path shortened to "p.toml".
  std::string error(const std::string& toml, const std::vector<std::string>& overrides = {}) const {
    try {
      load(toml, overrides);
    } catch (const SpecError& e) {
      std::string what = e.what();
      if (what.rfind(file(), 0) == 0) what = "p.toml" + what.substr(file().size());
      return what;
    }
    return "(no error)";
  }

 private:
  fs::path dir_;
};

const sf_value& param(const StageSpec& s, const std::string& name) {
  const sf_value* root = s.params.root();
  REQUIRE(root->kind == SF_VALUE_TABLE);
  for (size_t i = 0; i < root->size; ++i)
    if (name == root->keys[i]) return root->items[i];
  FAIL("no parameter " << name);
  return *root;
}

std::vector<std::string> keys_of(const sf_value& v) {
  std::vector<std::string> out;
  for (size_t i = 0; i < v.size; ++i) out.push_back(v.keys[i]);
  return out;
}

std::vector<std::string> strings_of(const sf_value& v) {
  std::vector<std::string> out;
  for (size_t i = 0; i < v.size; ++i) out.push_back(v.items[i].s);
  return out;
}

std::vector<std::string> names_of(const std::vector<FieldUse>& fields) {
  std::vector<std::string> out;
  for (const FieldUse& f : fields) out.push_back(f.name + ":" + f.type.str() + (f.optional ? "?" : ""));
  return out;
}

// A minimal valid pipeline around one middle stage (lines 1-3 source, 5.. the middle, sink last).
std::string around(const std::string& middle) {
  return "[[stage]]\nname = \"read\"\nplugin = \"spectest.source\"\n\n" + middle +
         "\n[[stage]]\nname = \"write\"\nplugin = \"spectest.write\"\npath = \"out.tsv\"\n";
}

}  // namespace

TEST_CASE("SourcePos, SpecError and FieldType render as documented", "[spec]") {
  SourcePos pos{"a/p.toml", 12, 9};
  CHECK(pos.str() == "a/p.toml:12:9");
  SpecError e(pos, "unknown key 'x'");
  CHECK(std::string(e.what()) == "a/p.toml:12:9: error: unknown key 'x'");
  CHECK(e.message() == "unknown key 'x'");
  CHECK(e.pos().line == 12);

  CHECK(FieldType{SF_FIELD_STRING, SF_DTYPE_ANY}.str() == "string");
  CHECK(FieldType{SF_FIELD_TENSOR, SF_DTYPE_ANY}.str() == "tensor");
  CHECK(FieldType{SF_FIELD_TENSOR, SF_DTYPE_BF16}.str() == "tensor<bf16>");
  CHECK(FieldType{SF_FIELD_ANY, SF_DTYPE_ANY}.str() == "any");
}

TEST_CASE("field type strings parse to types; unknown ones do not", "[spec]") {
  auto parsed = [](const char* text) { return parse_field_type(text).value().str(); };
  CHECK(parsed("string") == "string");
  CHECK(parsed("bytes") == "bytes");
  CHECK(parsed("int") == "int");
  CHECK(parsed("float") == "float");
  CHECK(parsed("tensor") == "tensor");
  CHECK(parsed("tensor:f32") == "tensor<f32>");
  CHECK(parsed("tensor:i8") == "tensor<i8>");
  CHECK(parsed("tensor<u8>") == "tensor<u8>");
  CHECK(parse_field_type("tensor:f32")->dtype == SF_DTYPE_F32);
  CHECK(parse_field_type("tensor:i64")->dtype == SF_DTYPE_I64);
  CHECK_FALSE(parse_field_type("str"));
  CHECK_FALSE(parse_field_type("tensor:f64"));
  CHECK_FALSE(parse_field_type("tensor:"));
  CHECK_FALSE(parse_field_type("tensor<f32"));
  CHECK_FALSE(parse_field_type(""));
  CHECK_FALSE(parse_field_type("Int"));
}

TEST_CASE("a valid pipeline becomes a complete spec", "[spec]") {
  Fixture f;
  PipelineSpec p = f.load(R"([pipeline]
name = "demo"
threads = 3
max_in_flight = 64
on_error = "skip"
error_log = "logs/errors.jsonl"

[resources.words]
plugin = "spectest.vocab"
file = "vocab.txt"

[[stage]]
name = "read"
plugin = "spectest.source"

[[stage]]
name = "enc"
plugin = "spectest.encode"
batch = { size = 8, by_length = true }

[[stage]]
name = "p"
plugin = "spectest.params"
after = ["read"]
level = 2
ratio = 2
files = ["a.txt", "/abs/b.txt"]
options = { z = 1, a = "x" }

[[stage]]
name = "look"
plugin = "spectest.lookup"
after = ["enc", "p"]
vocab = "words"

[[stage]]
name = "write"
plugin = "spectest.write"
path = "out/x.tsv"
fields = ["id", "text", "ids"]
)");
  CHECK(p.file == f.file());
  CHECK(p.dir == f.dir());
  CHECK(p.name == "demo");
  CHECK(p.threads == 3);
  CHECK(p.max_in_flight == 64);
  CHECK(p.skip_errors);
  CHECK(p.error_log == f.dir() + "/logs/errors.jsonl");

  REQUIRE(p.resources.size() == 1);
  CHECK(p.resources[0].name == "words");
  CHECK(p.resources[0].type.full_name == "spectest.vocab");
  CHECK(std::string(p.resources[0].params.root()->items[0].s) == f.dir() + "/vocab.txt");
  CHECK(p.resources[0].pos.line == 8);

  REQUIRE(p.stages.size() == 5);
  std::vector<std::string> names;
  for (const StageSpec& s : p.stages) names.push_back(s.name);
  CHECK(names == std::vector<std::string>{"read", "enc", "p", "look", "write"});
  CHECK(p.stages[0].inputs.empty());
  CHECK(p.stages[1].inputs == std::vector<size_t>{0});
  CHECK(p.stages[2].inputs == std::vector<size_t>{0});
  CHECK(p.stages[3].inputs == std::vector<size_t>{1, 2});
  CHECK(p.stages[4].inputs == std::vector<size_t>{3});
  CHECK(p.stages[3].pos.line == 30);
  CHECK(p.stages[3].pos.column == 1);
  CHECK(p.stages[1].component.component->kind == SF_TRANSFORM);

  // Sources and sinks are serial; the others take their component's default.
  CHECK(p.stages[0].concurrency == 1);
  CHECK(p.stages[1].concurrency == 0);
  CHECK(p.stages[4].concurrency == 1);

  CHECK(p.stages[1].batch.size == 8);
  CHECK(p.stages[1].batch.by_length);
  CHECK(p.stages[1].batch.length_field == "text");  // the stage's input
  CHECK(p.stages[2].batch.size == 0);

  // Every declared parameter, in declaration order, defaults applied and paths resolved.
  const StageSpec& ps = p.stages[2];
  CHECK(keys_of(*ps.params.root()) == std::vector<std::string>{"level", "flag", "count", "ratio", "mode",
                                                               "label", "file", "names", "files", "options",
                                                               "layers", "note"});
  CHECK(param(ps, "level").kind == SF_VALUE_INT);
  CHECK(param(ps, "level").i == 2);
  CHECK(param(ps, "flag").kind == SF_VALUE_BOOL);
  CHECK(param(ps, "flag").i == 0);
  CHECK(param(ps, "count").i == 3);
  CHECK(param(ps, "ratio").kind == SF_VALUE_FLOAT);  // an integer literal for a float parameter
  CHECK(param(ps, "ratio").f == 2.0);
  CHECK(std::string(param(ps, "mode").s) == "fast");
  CHECK(param(ps, "label").size == 0);
  CHECK(std::string(param(ps, "file").s) == f.dir() + "/data/x.txt");
  CHECK(strings_of(param(ps, "names")) == std::vector<std::string>{"a"});
  CHECK(strings_of(param(ps, "files")) == std::vector<std::string>{f.dir() + "/a.txt", "/abs/b.txt"});
  CHECK(keys_of(param(ps, "options")) == std::vector<std::string>{"z", "a"});  // as written
  CHECK(param(ps, "options").items[0].i == 1);
  CHECK(std::string(param(ps, "options").items[1].s) == "x");
  CHECK(param(ps, "layers").kind == SF_VALUE_ARRAY);
  CHECK(param(ps, "layers").size == 0);
  CHECK(param(ps, "note").kind == SF_VALUE_NONE);
  CHECK(std::string(param(p.stages[4], "path").s) == f.dir() + "/out/x.tsv");
  CHECK(std::string(param(p.stages[3], "vocab").s) == "words");

  // Fields: the source's implicit id, then in stage order; the optional read is listed too.
  CHECK(names_of(p.fields) ==
        std::vector<std::string>{"id:string", "text:string", "ids:tensor<i32>", "hint:string"});
  CHECK(names_of(p.stages[0].writes) == std::vector<std::string>{"id:string", "text:string"});
  CHECK(names_of(p.stages[1].reads) == std::vector<std::string>{"text:string"});
  CHECK(names_of(p.stages[1].writes) == std::vector<std::string>{"ids:tensor<i32>"});
  CHECK(names_of(p.stages[3].reads) == std::vector<std::string>{"text:any", "hint:string?"});
  CHECK(names_of(p.stages[4].reads) == std::vector<std::string>{"id:any", "text:any", "ids:any"});
}

TEST_CASE("stages are stored in a topological order that keeps the file order where it can", "[spec]") {
  Fixture f;
  PipelineSpec p = f.load(R"([[stage]]
name = "read"
plugin = "spectest.source"

[[stage]]
name = "write"
plugin = "spectest.write"
path = "o"
after = ["enc"]

[[stage]]
name = "enc"
plugin = "spectest.encode"
after = ["read"]
)");
  REQUIRE(p.stages.size() == 3);
  CHECK(p.stages[0].name == "read");
  CHECK(p.stages[1].name == "enc");
  CHECK(p.stages[2].name == "write");
  CHECK(p.stages[2].inputs == std::vector<size_t>{1});
}

TEST_CASE("field tables, field lists and empty field names resolve to fields", "[spec]") {
  Fixture f;
  PipelineSpec p = f.load(R"([[stage]]
name = "read"
plugin = "spectest.table_source"
fields = { text = "string", n = "int", ids = "tensor:f32", raw = "bytes" }

[[stage]]
name = "emb"
plugin = "spectest.embed"
score = "s"

[[stage]]
name = "write"
plugin = "spectest.write"
path = "o"
fields = ["s", "n"]
)");
  CHECK(names_of(p.stages[0].writes) ==
        std::vector<std::string>{"id:string", "text:string", "n:int", "ids:tensor<f32>", "raw:bytes"});
  CHECK(names_of(p.stages[1].writes) == std::vector<std::string>{"emb:tensor<f32>", "s:float"});
  CHECK(names_of(p.fields) == std::vector<std::string>{"id:string", "text:string", "n:int", "ids:tensor<f32>",
                                                       "raw:bytes", "emb:tensor<f32>", "s:float"});
  // The FIELD_TABLE reaches the plugin as written, type strings included.
  const sf_value& table = param(p.stages[0], "fields");
  CHECK(keys_of(table) == std::vector<std::string>{"text", "n", "ids", "raw"});
  CHECK(std::string(table.items[2].s) == "tensor:f32");

  // The default score = "" writes nothing.
  PipelineSpec q = f.load(R"([[stage]]
name = "read"
plugin = "spectest.table_source"
fields = { ids = "tensor" }

[[stage]]
name = "emb"
plugin = "spectest.embed"

[[stage]]
name = "write"
plugin = "spectest.write"
path = "o"
)");
  CHECK(names_of(q.stages[1].writes) == std::vector<std::string>{"emb:tensor<f32>"});
}

TEST_CASE("TOML syntax errors and unreadable files", "[spec]") {
  Fixture f;
  CHECK(f.error("[pipeline]\nname = \"x\n").rfind("p.toml:2:10: error: ", 0) == 0);
  CHECK(f.error("[pipeline]\nname = 1\nname = 2\n").rfind("p.toml:3:", 0) == 0);
  CHECK(f.error("[[stage]]\nname = \"a\"\nplugin = \"x.y\" z\n").rfind("p.toml:3:", 0) == 0);
  std::string missing = f.dir() + "/none.toml";
  try {
    load_pipeline(missing, {});
    FAIL("no error");
  } catch (const SpecError& e) {
    CHECK(std::string(e.what()) == missing + ":1:1: error: cannot read the pipeline file: it does not exist");
  }
}

TEST_CASE("sections and their keys", "[spec]") {
  Fixture f;
  const std::string stages = around("");
  CHECK(f.error("[pipelin]\nname = \"x\"\n" + stages) ==
        "p.toml:1:2: error: unknown top-level key 'pipelin': a pipeline file has [pipeline], [plugins], "
        "[resources.NAME] and [[stage]] (did you mean 'pipeline'?)");
  CHECK(f.error("[pipeline]\nthread = 2\n" + stages) ==
        "p.toml:2:1: error: unknown key 'thread' in [pipeline] (did you mean 'threads'?)");
  CHECK(f.error("[pipeline]\nthreads = -1\n" + stages) ==
        "p.toml:2:11: error: [pipeline] threads must be an integer >= 0 (0 = all cores), got -1");
  CHECK(f.error("[pipeline]\nmax_in_flight = \"many\"\n" + stages) ==
        "p.toml:2:17: error: [pipeline] max_in_flight must be an integer >= 1, got \"many\"");
  CHECK(f.error("[pipeline]\non_error = \"skp\"\n" + stages) ==
        "p.toml:2:12: error: [pipeline] on_error must be \"fail\" or \"skip\", got \"skp\" (did you mean "
        "'skip'?)");
  CHECK(f.error("pipeline = 3\n" + stages) == "p.toml:1:12: error: [pipeline] must be a table, got integer");
  CHECK(f.error("[plugins]\npath = [\"x\"]\n" + stages) ==
        "p.toml:2:1: error: unknown key 'path' in [plugins] (did you mean 'paths'?)");
  CHECK(f.error("[plugins]\npaths = [\"x\", 2]\n" + stages) ==
        "p.toml:2:15: error: element 2 of [plugins] paths must be a string, got integer");
  CHECK(f.error("") ==
        "p.toml:1:1: error: the pipeline has no stages: add [[stage]] tables, the first one a "
        "reader such as io.lines_read");
  CHECK(
      f.error("[stage]\nname = \"a\"\n") ==
      "p.toml:1:1: error: 'stage' must be an array of tables: write each stage as [[stage]] (two brackets)");
}

TEST_CASE("[plugins] paths are resolved against the pipeline's folder and searched", "[spec]") {
  Fixture f;
  f.load("[plugins]\npaths = [\"my_plugins\", \"/opt/p\"]\n" + around(""));
  std::vector<std::string> dirs = PluginHost::instance().search_dirs();
  CHECK(std::find(dirs.begin(), dirs.end(), f.dir() + "/my_plugins") != dirs.end());
  CHECK(std::find(dirs.begin(), dirs.end(), "/opt/p") != dirs.end());
}

TEST_CASE("stage names and plugins", "[spec]") {
  Fixture f;
  CHECK(f.error("[[stage]]\nplugin = \"spectest.source\"\n") ==
        "p.toml:1:1: error: stage #1 has no name: add name = \"...\"");
  CHECK(f.error("[[stage]]\nname = \"a b\"\n") ==
        "p.toml:2:8: error: stage name 'a b' may contain only letters, digits, '_' and '-'");
  CHECK(f.error("[[stage]]\nname = \"a\"\n") ==
        "p.toml:1:1: error: stage 'a' has no plugin: add plugin = \"module.component\" (`seqflow plugins` "
        "lists them)");
  CHECK(f.error("[[stage]]\nname = \"a\"\nplugin = \"spectest\"\n") ==
        "p.toml:3:10: error: stage 'a': 'spectest' is not a plugin name: write it as module.component (e.g. "
        "io.lines_read)");
  CHECK(f.error("[[stage]]\nname = \"read\"\nplugin = \"spectst.source\"\n") ==
        "p.toml:3:10: error: stage 'read': unknown plugin module 'spectst' (did you mean 'spectest'?)");
  CHECK(f.error("[[stage]]\nname = \"read\"\nplugin = \"spectest.sorce\"\n") ==
        "p.toml:3:10: error: stage 'read': module 'spectest' has no component 'sorce' (did you mean "
        "'spectest.source'?)");
  CHECK(f.error("[[stage]]\nname = \"read\"\nplugin = \"spectest.vocab\"\n") ==
        "p.toml:3:10: error: stage 'read': 'spectest.vocab' is a resource type, not a stage component: "
        "declare it "
        "as [resources.NAME] and give NAME to the stages that use it");
  CHECK(
      f.error(around("[[stage]]\nname = \"read\"\nplugin = \"spectest.encode\"\n")) ==
      "p.toml:6:8: error: duplicate stage name 'read' (the first is at line 1): stage names must be unique");
}

TEST_CASE("parameters are checked against the component's declarations", "[spec]") {
  Fixture f;
  // Lines 5-7 hold the middle stage's header, name and plugin; its parameters start at line 8.
  const std::string head = "[[stage]]\nname = \"p\"\nplugin = \"spectest.params\"\n";
  CHECK(f.error(around(head + "level = 1\nmdoe = \"fast\"\n")) ==
        "p.toml:9:1: error: unknown key 'mdoe' in stage 'p' (spectest.params) (did you mean 'mode'?)");
  CHECK(f.error(around(head + "level = 1\naftr = [\"read\"]\n")) ==
        "p.toml:9:1: error: unknown key 'aftr' in stage 'p' (spectest.params) (did you mean 'after'?)");
  CHECK(f.error(around(head + "level = \"high\"\n")) ==
        "p.toml:8:9: error: parameter 'level' of stage 'p' (spectest.params) must be an integer, got string");
  CHECK(f.error(around(head + "level = 1.5\n")) ==
        "p.toml:8:9: error: parameter 'level' of stage 'p' (spectest.params) must be an integer, got float");
  CHECK(f.error(around(head + "level = 1\nflag = 1\n")) ==
        "p.toml:9:8: error: parameter 'flag' of stage 'p' (spectest.params) must be a boolean, got integer");
  CHECK(f.error(around(head + "level = 1\nratio = \"x\"\n")) ==
        "p.toml:9:9: error: parameter 'ratio' of stage 'p' (spectest.params) must be a number, got string");
  CHECK(
      f.error(around(head + "level = 1\nmode = \"slwo\"\n")) ==
      "p.toml:9:8: error: parameter 'mode' of stage 'p' (spectest.params) must be one of \"fast\", \"slow\", "
      "\"exact\", got \"slwo\" (did you mean 'slow'?)");
  CHECK(f.error(around(head + "level = 1\nnames = [\"a\", 3]\n")) ==
        "p.toml:9:15: error: element 2 of parameter 'names' of stage 'p' (spectest.params) must be a string, "
        "got "
        "integer");
  CHECK(f.error(around(head + "level = 1\nfiles = 3\n")) ==
        "p.toml:9:9: error: parameter 'files' of stage 'p' (spectest.params) must be an array of paths, got "
        "integer");
  CHECK(f.error(around(head + "level = 1\noptions = [1]\n")) ==
        "p.toml:9:11: error: parameter 'options' of stage 'p' (spectest.params) must be a table, got array");
  CHECK(f.error(around(head + "level = 1\nlayers = { a = 1 }\n")) ==
        "p.toml:9:10: error: parameter 'layers' of stage 'p' (spectest.params) must be an array, got table");
  CHECK(f.error(around(head)) ==
        "p.toml:5:1: error: stage 'p' (spectest.params) is missing required parameter 'level': a required "
        "integer");
  CHECK(f.error(around("[[stage]]\nname = \"b\"\nplugin = \"spectest.bad_default\"\n")) ==
        "p.toml:5:1: error: plugin bug: the default of parameter 'n' of stage 'b' (spectest.bad_default) "
        "(\"many\") is invalid: parameter 'n' of stage 'b' (spectest.bad_default) must be an integer, got "
        "string");

  // A single string is accepted where a list is expected.
  PipelineSpec p = f.load(around(head + "level = 1\nfiles = \"one.txt\"\n"));
  CHECK(strings_of(param(p.stages[1], "files")) == std::vector<std::string>{f.dir() + "/one.txt"});
}

TEST_CASE("field tables reject unknown types", "[spec]") {
  Fixture f;
  const std::string tail = "\n[[stage]]\nname = \"w\"\nplugin = \"spectest.write\"\npath = \"o\"\n";
  CHECK(
      f.error(
          "[[stage]]\nname = \"read\"\nplugin = \"spectest.table_source\"\nfields = { text = \"strng\" }\n" +
          tail) ==
      "p.toml:4:19: error: unknown type \"strng\" for field 'text' in parameter 'fields' of stage 'read' "
      "(spectest.table_source): use string, bytes, int, float, tensor or tensor:DTYPE (f32, bf16, f16, i64, "
      "i32, "
      "u8, i8) (did you mean 'string'?)");
  CHECK(f.error("[[stage]]\nname = \"read\"\nplugin = \"spectest.table_source\"\nfields = { n = 3 }\n" +
                tail) ==
        "p.toml:4:16: error: field 'n' in parameter 'fields' of stage 'read' (spectest.table_source) must "
        "have a "
        "type string such as \"string\" or \"tensor:f32\", got integer");
  CHECK(
      f.error("[[stage]]\nname = \"read\"\nplugin = \"spectest.table_source\"\nfields = [\"a\"]\n" + tail) ==
      "p.toml:4:10: error: parameter 'fields' of stage 'read' (spectest.table_source) must be a table of "
      "field = "
      "\"type\", got array");
}

TEST_CASE("resources: types, parameters and the interfaces stages ask for", "[spec]") {
  Fixture f;
  const std::string look = "[[stage]]\nname = \"look\"\nplugin = \"spectest.lookup\"\n";
  CHECK(f.error("[resources.vocab]\nplugin = \"spectest.vocab\"\nfile = \"v\"\n" +
                around(look + "vocab = \"w\"\n")) ==
        "p.toml:11:9: error: parameter 'vocab' of stage 'look' (spectest.lookup) names resource 'w', but "
        "there is no "
        "[resources.w]");
  CHECK(f.error("[resources.words]\nplugin = \"spectest.vocab\"\nfile = \"v\"\n" +
                around(look + "vocab = \"word\"\n")) ==
        "p.toml:11:9: error: parameter 'vocab' of stage 'look' (spectest.lookup) names resource 'word', but "
        "there is "
        "no [resources.word] (did you mean 'words'?)");
  CHECK(f.error("[resources.o]\nplugin = \"spectest.other\"\n" + around(look + "vocab = \"o\"\n")) ==
        "p.toml:10:9: error: resource 'o' (spectest.other) does not provide interface 'spectest.vocab' that "
        "parameter 'vocab' of stage 'look' (spectest.lookup) needs; it provides spectest.other");
  CHECK(f.error("[resources.v]\nplugin = \"spectest.vocab\"\n" + around("")) ==
        "p.toml:1:1: error: resource 'v' (spectest.vocab) is missing required parameter 'file': vocabulary "
        "file");
  CHECK(f.error("[resources.v]\nplugin = \"spectest.vocab\"\nfile = \"a\"\nfiles = \"b\"\n" + around("")) ==
        "p.toml:4:1: error: unknown key 'files' in resource 'v' (spectest.vocab) (did you mean 'file'?)");
  CHECK(f.error("[resources.v]\nplugin = \"spectest.vocb\"\n" + around("")) ==
        "p.toml:2:10: error: resource 'v': module 'spectest' has no resource type 'vocb' (did you mean "
        "'spectest.vocab'?)");
  CHECK(f.error("[resources.v]\nplugin = \"spectest.encode\"\n" + around("")) ==
        "p.toml:2:10: error: resource 'v': 'spectest.encode' is a stage component, not a resource type: use "
        "it in a "
        "[[stage]]");
  CHECK(f.error("[resources.v]\nfile = \"a\"\n" + around("")) ==
        "p.toml:1:1: error: resource 'v' has no plugin: add plugin = \"module.type\"");
  CHECK(f.error("[resources]\nv = 1\n" + around("")) ==
        "p.toml:2:5: error: resources.v must be a table ([resources.v] with plugin = \"module.type\"), got "
        "integer");
}

TEST_CASE("concurrency", "[spec]") {
  Fixture f;
  const std::string enc = "[[stage]]\nname = \"enc\"\nplugin = \"spectest.encode\"\n";
  CHECK(f.load(around(enc + "concurrency = 4\n")).stages[1].concurrency == 4);
  CHECK(f.load(around(enc + "concurrency = \"serial\"\n")).stages[1].concurrency == 1);
  CHECK(f.load(around(enc + "concurrency = \"unlimited\"\n")).stages[1].concurrency == 0);
  CHECK(f.error(around(enc + "concurrency = \"seral\"\n")) ==
        "p.toml:8:15: error: concurrency of stage 'enc' must be \"serial\", \"unlimited\" or an integer >= "
        "1, got "
        "\"seral\" (did you mean 'serial'?)");
  CHECK(f.error(around(enc + "concurrency = 0\n")) ==
        "p.toml:8:15: error: concurrency of stage 'enc' must be \"serial\", \"unlimited\" or an integer >= "
        "1, got 0");
  CHECK(f.error("[[stage]]\nname = \"read\"\nplugin = \"spectest.source\"\nconcurrency = 2\n") ==
        "p.toml:4:15: error: stage 'read' (spectest.source) is a source: sources and sinks run serially, so "
        "its "
        "concurrency must be \"serial\" (or left out)");
  CHECK(f.error(around(
            "[[stage]]\nname = \"o\"\nplugin = \"spectest.ordered\"\nconcurrency = \"unlimited\"\n")) ==
        "p.toml:8:15: error: stage 'o' (spectest.ordered) must see records one at a time and in order: its "
        "concurrency must be \"serial\" (or left out)");
}

TEST_CASE("embed's default concurrency is its component's", "[spec]") {
  Fixture f;
  PipelineSpec p = f.load(R"([[stage]]
name = "read"
plugin = "spectest.table_source"
fields = { ids = "tensor:f32" }

[[stage]]
name = "e"
plugin = "spectest.embed"

[[stage]]
name = "write"
plugin = "spectest.write"
path = "o"
)");
  CHECK(p.stages[1].concurrency == 4);
}

TEST_CASE("batch", "[spec]") {
  Fixture f;
  const std::string enc = "[[stage]]\nname = \"enc\"\nplugin = \"spectest.encode\"\n";
  PipelineSpec p = f.load(around(enc + "batch = { size = 4, length_field = \"text\" }\n"));
  CHECK(p.stages[1].batch.size == 4);
  CHECK_FALSE(p.stages[1].batch.by_length);
  CHECK(p.stages[1].batch.length_field == "text");

  CHECK(f.error("[pipeline]\nmax_in_flight = 16\n\n" + around(enc + "batch = { size = 9 }\n")) ==
        "p.toml:11:18: error: batch.size 9 of stage 'enc' is larger than max_in_flight / 2 = 8: with at most "
        "16 "
        "records in flight a batch could not fill while the pipeline keeps moving; lower batch.size or raise "
        "[pipeline] max_in_flight");
  CHECK(f.load("[pipeline]\nmax_in_flight = 16\n\n" + around(enc + "batch = { size = 8 }\n"))
            .stages[1]
            .batch.size == 8);
  CHECK(
      f.error("[[stage]]\nname = \"read\"\nplugin = \"spectest.source\"\n\n[[stage]]\nname = \"w\"\nplugin = "
              "\"spectest.write\"\npath = \"o\"\nbatch = { size = 2 }\n") ==
      "p.toml:9:9: error: batch is only for transforms, but stage 'w' (spectest.write) is a sink: remove "
      "'batch'");
  CHECK(f.error(around("[[stage]]\nname = \"e\"\nplugin = \"spectest.embed\"\nbatch = { size = 2 }\n")) ==
        "p.toml:8:9: error: stage 'e' (spectest.embed) does not take batches (its component processes one "
        "record per "
        "call): remove 'batch'");
  CHECK(f.error(around(enc + "batch = 4\n")) ==
        "p.toml:8:9: error: batch of stage 'enc' must be a table such as { size = 16, by_length = true }, "
        "got integer");
  CHECK(f.error(around(enc + "batch = { sise = 4 }\n")) ==
        "p.toml:8:11: error: unknown key 'sise' in batch of stage 'enc': it takes size, by_length and "
        "length_field "
        "(did you mean 'size'?)");
  CHECK(f.error(around(enc + "batch = { by_length = true }\n")) ==
        "p.toml:8:9: error: batch of stage 'enc' needs a size, e.g. batch = { size = 16 }");
  CHECK(f.error(around(enc + "batch = { size = 0 }\n")) ==
        "p.toml:8:18: error: batch.size of stage 'enc' must be an integer >= 1, got 0");
  CHECK(
      f.error(
          around("[[stage]]\nname = \"k\"\nplugin = \"spectest.pack\"\nbatch = { size = 2, by_length = true "
                 "}\n")) ==
      "p.toml:8:9: error: batch of stage 'k' has by_length = true but no length_field, and the stage has no "
      "'input' parameter to take it from: add length_field = \"FIELD\"");
  CHECK(f.error(around(enc + "batch = { size = 2, by_length = true, length_field = \"txt\" }\n")) ==
        "p.toml:8:54: error: stage 'enc' (spectest.encode) reads field 'txt', but no stage before it writes "
        "it; "
        "upstream: 'read' (spectest.source) writes id, text (did you mean 'text'?)");
  CHECK(f.error(around("[[stage]]\nname = \"n\"\nplugin = \"spectest.int_writer\"\n\n" + enc +
                       "batch = { size = 2, by_length = true, length_field = \"n\" }\n")) ==
        "p.toml:12:54: error: batch of stage 'enc' groups records by the length of field 'n', but it is int, "
        "which "
        "has no length: name a string, bytes or tensor field in length_field");
}

TEST_CASE("graph rules", "[spec]") {
  Fixture f;
  const std::string read = "[[stage]]\nname = \"read\"\nplugin = \"spectest.source\"\n";
  const std::string write = "[[stage]]\nname = \"write\"\nplugin = \"spectest.write\"\npath = \"o\"\n";

  CHECK(f.error("[[stage]]\nname = \"enc\"\nplugin = \"spectest.encode\"\n\n" + write) ==
        "p.toml:1:1: error: the first stage 'enc' must be a source (a reader such as io.lines_read), but "
        "spectest.encode is a transform");
  CHECK(
      f.error(read + "\n[[stage]]\nname = \"again\"\nplugin = \"spectest.source\"\n\n" + write) ==
      "p.toml:5:1: error: stage 'again' (spectest.source) is a second source, but a pipeline has exactly "
      "one: its "
      "first stage ('read'); read every input with that one reader (its paths take several files) or run two "
      "pipelines");
  CHECK(
      f.error(read + "after = [\"write\"]\n\n" + write) ==
      "p.toml:4:9: error: stage 'read' (spectest.source) is the source and reads from no other stage: remove "
      "'after'");
  CHECK(f.error(read + "\n" + write + "\n[[stage]]\nname = \"enc\"\nplugin = \"spectest.encode\"\n") ==
        "p.toml:10:1: error: stage 'enc' follows sink 'write' (spectest.write), which passes no records on: "
        "add after "
        "= [\"STAGE\"] to name its input");
  CHECK(
      f.error(read + "\n" + write +
              "\n[[stage]]\nname = \"w2\"\nplugin = \"spectest.write\"\npath = \"o\"\nafter = "
              "[\"write\"]\n") ==
      "p.toml:14:10: error: stage 'w2' runs after sink 'write' (spectest.write), which passes no records on");
  CHECK(f.error(read + "\n[[stage]]\nname = \"enc\"\nplugin = \"spectest.encode\"\n") ==
        "p.toml:5:1: error: stage 'enc' (spectest.encode) has no successor, so its records would go nowhere: "
        "end it "
        "with a writer (such as io.jsonl_write) or io.discard");
  CHECK(f.error(read + "\n[[stage]]\nname = \"enc\"\nplugin = \"spectest.encode\"\n\n" + write +
                "after = [\"read\"]\n") ==
        "p.toml:5:1: error: stage 'enc' (spectest.encode) has no successor, so its records would go nowhere: "
        "end it "
        "with a writer (such as io.jsonl_write) or io.discard");
  CHECK(
      f.error(read + "\n" + write + "after = [\"raed\"]\n") ==
      "p.toml:9:10: error: stage 'write' runs after 'raed', but there is no stage named 'raed' (did you mean "
      "'read'?)");
  CHECK(f.error(read + "\n" + write + "after = [\"read\", \"read\"]\n") ==
        "p.toml:9:18: error: 'after' of stage 'write' names 'read' twice");
  CHECK(f.error(read + "\n" + write + "after = []\n") ==
        "p.toml:9:9: error: 'after' of stage 'write' is empty: name the stages it reads from");
  CHECK(f.error(read + "\n" + write + "after = [1]\n") ==
        "p.toml:9:10: error: element 1 of 'after' of stage 'write' must be a string, got integer");
}

TEST_CASE("cycles are named", "[spec]") {
  Fixture f;
  CHECK(f.error(R"([[stage]]
name = "read"
plugin = "spectest.source"

[[stage]]
name = "a"
plugin = "spectest.filter"
after = ["c"]

[[stage]]
name = "b"
plugin = "spectest.filter"

[[stage]]
name = "c"
plugin = "spectest.filter"

[[stage]]
name = "write"
plugin = "spectest.write"
path = "o"
after = ["c", "read"]
)") == "p.toml:8:9: error: stages form a cycle: a -> b -> c -> a");
  CHECK(f.error(R"([[stage]]
name = "read"
plugin = "spectest.source"

[[stage]]
name = "a"
plugin = "spectest.filter"
after = ["a"]

[[stage]]
name = "write"
plugin = "spectest.write"
path = "o"
)") == "p.toml:8:9: error: stages form a cycle: a -> a");
}

TEST_CASE("no filter or split between a fork and its join", "[spec]") {
  Fixture f;
  auto dag = [](const std::string& left, const std::string& right) {
    return R"([[stage]]
name = "read"
plugin = "spectest.source"

[[stage]]
name = "left"
plugin = "spectest.)" +
           left + R"("

[[stage]]
name = "right"
plugin = "spectest.)" +
           right + R"("
after = ["read"]

[[stage]]
name = "join"
plugin = "spectest.encode"
after = ["left", "right"]

[[stage]]
name = "write"
plugin = "spectest.write"
path = "o"
)";
  };
  PipelineSpec ok = f.load(dag("ordered", "encode"));
  CHECK(ok.stages[3].inputs == std::vector<size_t>{1, 2});
  CHECK(f.error(dag("filter", "encode")) ==
        "p.toml:5:1: error: stage 'left' (spectest.filter) may drop records, but it lies on a branch between "
        "fork "
        "'read' and join 'join': the join merges its inputs' records by position, so every branch must keep "
        "exactly "
        "one record per input record; move 'left' before 'read' or after 'join'");
  CHECK(f.error(dag("encode", "split")) ==
        "p.toml:9:1: error: stage 'right' (spectest.split) may split a record into several, but it lies on a "
        "branch "
        "between fork 'read' and join 'join': the join merges its inputs' records by position, so every "
        "branch must "
        "keep exactly one record per input record; move 'right' before 'read' or after 'join'");

  // Before the fork and after the join, filters are fine; the fork is the latest common ancestor.
  PipelineSpec p = f.load(R"([[stage]]
name = "read"
plugin = "spectest.source"

[[stage]]
name = "drop"
plugin = "spectest.filter"

[[stage]]
name = "a"
plugin = "spectest.encode"

[[stage]]
name = "b"
plugin = "spectest.ordered"
after = ["drop"]

[[stage]]
name = "join"
plugin = "spectest.split"
after = ["a", "b"]

[[stage]]
name = "write"
plugin = "spectest.write"
path = "o"
)");
  CHECK(p.stages.size() == 6);
  // A join whose inputs are a stage and that stage's own ancestor: the stage in between is on a branch.
  CHECK(f.error(R"([[stage]]
name = "read"
plugin = "spectest.source"

[[stage]]
name = "drop"
plugin = "spectest.filter"

[[stage]]
name = "join"
plugin = "spectest.encode"
after = ["drop", "read"]

[[stage]]
name = "write"
plugin = "spectest.write"
path = "o"
)") == "p.toml:5:1: error: stage 'drop' (spectest.filter) may drop records, but it lies on a branch between "
       "fork "
       "'read' and join 'join': the join merges its inputs' records by position, so every branch must keep "
       "exactly "
       "one record per input record; move 'drop' before 'read' or after 'join'");
}

TEST_CASE("fields read must be written upstream with a compatible type", "[spec]") {
  Fixture f;
  CHECK(f.error(R"([[stage]]
name = "read"
plugin = "spectest.source"

[[stage]]
name = "write"
plugin = "spectest.write"
path = "o"
fields = ["id", "txet"]
)") == "p.toml:9:17: error: stage 'write' (spectest.write) reads field 'txet', but no stage before it writes "
       "it; "
       "upstream: 'read' (spectest.source) writes id, text (did you mean 'text'?)");

  // Written, but on another branch: not upstream of the reader.
  CHECK(
      f.error(R"([[stage]]
name = "read"
plugin = "spectest.source"

[[stage]]
name = "enc"
plugin = "spectest.encode"

[[stage]]
name = "w1"
plugin = "spectest.write"
path = "o"

[[stage]]
name = "w2"
plugin = "spectest.write"
path = "o"
after = ["read"]
fields = ["ids"]
)") ==
      "p.toml:19:11: error: stage 'w2' (spectest.write) reads field 'ids', but no stage before it writes it; "
      "upstream: 'read' (spectest.source) writes id, text (did you mean 'id'?)");

  CHECK(f.error(R"([[stage]]
name = "read"
plugin = "spectest.source"

[[stage]]
name = "enc"
plugin = "spectest.encode"

[[stage]]
name = "emb"
plugin = "spectest.embed"

[[stage]]
name = "write"
plugin = "spectest.write"
path = "o"
)") == "p.toml:9:1: error: type mismatch on enc -> emb: stage 'enc' (spectest.encode) writes field 'ids' as "
       "tensor<i32>, but stage 'emb' (spectest.embed) reads it as tensor<f32>");

  // A field declared as a plain tensor matches any dtype.
  CHECK(f.load(R"([[stage]]
name = "read"
plugin = "spectest.table_source"
fields = { ids = "tensor" }

[[stage]]
name = "emb"
plugin = "spectest.embed"

[[stage]]
name = "write"
plugin = "spectest.write"
path = "o"
)")
            .stages.size() == 3);

  CHECK(f.error(R"([[stage]]
name = "read"
plugin = "spectest.source"

[[stage]]
name = "n"
plugin = "spectest.int_writer"
output = "text"

[[stage]]
name = "write"
plugin = "spectest.write"
path = "o"
)") == "p.toml:8:10: error: field 'text' is written as string by stage 'read' (spectest.source) and as int "
       "by stage "
       "'n' (spectest.int_writer): a field has one type in a pipeline; write one of them under another name "
       "(its "
       "output parameter)");

  // Writers of one field on two branches that agree are fine, and the join sees it.
  CHECK(f.load(R"([[stage]]
name = "read"
plugin = "spectest.source"

[[stage]]
name = "a"
plugin = "spectest.int_writer"

[[stage]]
name = "b"
plugin = "spectest.int_writer"
after = ["read"]

[[stage]]
name = "write"
plugin = "spectest.write"
path = "o"
after = ["a", "b"]
fields = ["n"]
)")
            .fields.size() == 3);
}

TEST_CASE("--set overrides apply before validation", "[spec]") {
  Fixture f;
  const std::string enc = "[[stage]]\nname = \"enc\"\nplugin = \"spectest.encode\"\n";
  PipelineSpec p = f.load(
      around(enc), {"pipeline.max_in_flight=32", "enc.batch.size=3", "enc.output=7",
                    "write.path=/tmp/x y.tsv", "pipeline.name=\"quoted\"", "write.fields=[\"id\", \"7\"]"});
  CHECK(p.max_in_flight == 32);
  CHECK(p.name == "quoted");
  CHECK(p.stages[1].batch.size == 3);
  CHECK(std::string(param(p.stages[1], "output").s) == "7");  // a number typed for a field name
  CHECK(std::string(param(p.stages[2], "path").s) == "/tmp/x y.tsv");
  CHECK(names_of(p.stages[1].writes) == std::vector<std::string>{"7:tensor<i32>"});

  // Relative paths typed on the command line are relative to the current directory.
  PipelineSpec q = f.load(around(""), {"write.path=rel/o.tsv"});
  CHECK(std::string(param(q.stages[1], "path").s) == (fs::current_path() / "rel/o.tsv").string());

  f.load("[resources.v]\nplugin = \"spectest.vocab\"\nfile = \"a\"\n" + around(""), {"resources.v.file=b"});

  CHECK(f.error(around(enc), {"pipeline.threads=2", "encc.output=x"}) ==
        "--set:2:1: error: --set 'encc.output=x': there is no stage named 'encc' (did you mean 'enc'?)");
  CHECK(
      f.error(around(enc), {"enc.output"}) ==
      "--set:1:1: error: 'enc.output' is not KEY=VALUE: write stage.key=value, e.g. read.paths=[\"in.txt\"]");
  CHECK(f.error(around(enc), {"enc=3"}) ==
        "--set:1:1: error: 'enc' names no setting: write stage.key, pipeline.key or resources.NAME.key");
  CHECK(f.error(around(enc), {"resources.v=3"}) ==
        "--set:1:1: error: 'resources.v' names no setting: write stage.key, pipeline.key or "
        "resources.NAME.key");
  CHECK(f.error(around(enc), {"resources.v.file=3"}) ==
        "--set:1:1: error: --set 'resources.v.file=3': there is no "
        "[resources.v]");
  CHECK(f.error(around(enc), {"enc.outptu=x"}) ==
        "--set:1:1: error: unknown key 'outptu' in stage 'enc' (spectest.encode) (did you mean 'output'?)");
  CHECK(f.error(around(enc), {"pipeline.threads=1", "enc.batch=[1]"}) ==
        "--set:2:1: error: batch of stage 'enc' must be a table such as { size = 16, by_length = true }, got "
        "array");
  CHECK(f.error(around(enc), {"pipeline.threads=x"}) ==
        "--set:1:1: error: [pipeline] threads must be an integer >= 0 (0 = all cores), got \"x\"");
  CHECK(f.error(around(enc), {"read.name.x=1"}) ==
        "--set:1:1: error: 'read.name' must be a table to set keys in it, got string");
  // Found by tests/fuzz (fuzz_pipeline_toml): a value that is not UTF-8 let toml++'s parse_error escape.
  CHECK_THAT(f.error(around(enc), {"pipeline.threads=1", "write.path={o\xc2t}/out"}),
             Catch::StartsWith("--set:2:1: error: --set 'write.path={o\xc2t}/out': the value cannot be a "
                               "TOML string (") &&
                 Catch::EndsWith("); pipeline values must be UTF-8 text"));
}

TEST_CASE("the io plugin's declarations resolve to typed fields", "[spec][io]") {
  Fixture f;
  PipelineSpec p = f.load(R"([[stage]]
name = "read"
plugin = "io.jsonl_read"
paths = ["in/*.jsonl"]
fields = { text = "string", label = "int", emb = "tensor:f32" }

[[stage]]
name = "write"
plugin = "io.jsonl_write"
path = "out.jsonl"
fields = ["id", "label", "emb"]
)");
  // _passthrough: the manifest pass-through field (seqflow/passthrough.hpp), optional for the writer.
  CHECK(names_of(p.fields) == std::vector<std::string>{"id:string", "text:string", "label:int",
                                                       "emb:tensor<f32>", "_passthrough:bytes"});
  CHECK(names_of(p.stages[1].reads) ==
        std::vector<std::string>{"id:any", "label:any", "emb:any", "_passthrough:bytes?"});
  CHECK(strings_of(param(p.stages[0], "paths")) == std::vector<std::string>{f.dir() + "/in/*.jsonl"});
  CHECK(std::string(param(p.stages[1], "path").s) == f.dir() + "/out.jsonl");

  CHECK(f.error(R"([[stage]]
name = "read"
plugin = "io.lines_read"
paths = ["a.txt"]

[[stage]]
name = "write"
plugin = "io.jsonl_write"
path = "out.jsonl"
fields = ["id", "txt"]
)") == "p.toml:10:17: error: stage 'write' (io.jsonl_write) reads field 'txt', but no stage before it writes "
       "it; "
       "upstream: 'read' (io.lines_read) writes id, text (did you mean 'text'?)");
}

TEST_CASE("less common mistakes", "[spec]") {
  Fixture f;
  try {
    load_pipeline(f.dir(), {});
    FAIL("no error");
  } catch (const SpecError& e) {
    CHECK(std::string(e.what()) == f.dir() + ":1:1: error: cannot read the pipeline file: it is a directory");
  }
  CHECK(f.error("[[stage]]\nname = 3\n") ==
        "p.toml:2:8: error: the name of stage #1 must be a string, got integer");
  CHECK(f.error("[[stage]]\nname = \"a\"\nplugin = 3\n") ==
        "p.toml:3:10: error: plugin of stage 'a' must be a string, got integer");
  CHECK(f.error("[resources.v]\nplugin = 3\n" + around("")) ==
        "p.toml:2:10: error: plugin of resource 'v' must be a string, got integer");
  CHECK(f.error("plugins = 3\n" + around("")) ==
        "p.toml:1:11: error: [plugins] must be a table, got integer");
  CHECK(f.error("resources = 3\n" + around("")) ==
        "p.toml:1:13: error: [resources] must be a table, got integer");
  CHECK(
      f.error(around("") + "fields = [\"id\", \"\"]\n") ==
      "p.toml:10:17: error: parameter 'fields' of stage 'write' (spectest.write) lists an empty field name");
  CHECK(f.error("[[stage]]\nname = \"a\"\nplugin = \"spectest.zzzzzzzz\"\n") ==
        "p.toml:3:10: error: stage 'a': module 'spectest' has no component 'zzzzzzzz'; it has: source, "
        "table_source, params, encode, pack, embed, lookup, filter, split, ordered, int_writer, write, "
        "bad_default, "
        "bad_field");
  CHECK(f.error("[resources.v]\nplugin = \"spectest.zzzzzzzz\"\n" + around("")) ==
        "p.toml:2:10: error: resource 'v': module 'spectest' has no resource type 'zzzzzzzz'; it has: vocab, "
        "other");
  const std::string missing = f.error("[[stage]]\nname = \"a\"\nplugin = \"qqqqqqqq.x\"\n");
  CHECK(missing.rfind(
            "p.toml:3:10: error: stage 'a': plugin module 'qqqqqqqq' not found: no seqflow_qqqqqqqq.so in ",
            0) == 0);
  CHECK(missing.find(SEQFLOW_SPEC_PLUGIN_DIR) != std::string::npos);
  CHECK(f.error(around("[[stage]]\nname = \"b\"\nplugin = \"spectest.bad_field\"\n")) ==
        "p.toml:5:1: error: plugin bug: stage 'b' (spectest.bad_field) declares a field named by parameter "
        "'missing', "
        "which is not a FIELD, FIELD_LIST or FIELD_TABLE parameter");

  // Dates and times in free-form tables reach the plugin as their TOML text.
  PipelineSpec p = f.load(around(
      "[[stage]]\nname = \"p\"\nplugin = \"spectest.params\"\nlevel = 1\noptions = { day = 2024-01-02 }\n"));
  CHECK(std::string(param(p.stages[1], "options").items[0].s) == "2024-01-02");
}
