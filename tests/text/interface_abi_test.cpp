// seqflow.text.tokenizer v1 as another module sees it: load seqflow_text.so, create a text.tokenizer
// resource through the C ABI, ask for the interface and use every function, including the
// buffer-too-small protocol. Uses a hand-written WordLevel tokenizer.json (ids worked by hand).
#include <seqflow/plugin_abi.h>
#include <seqflow/text_tokenizer.h>
#include <catch2/catch.hpp>

#include <dlfcn.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

sf_value str(const char* s) {
  sf_value v{};
  v.kind = SF_VALUE_STRING;
  v.s = s;
  v.size = std::strlen(s);
  return v;
}

const char* const kTok =
    R"({"added_tokens": [{"id": 0, "content": "[CLS]", "special": true, "normalized": false},
 {"id": 1, "content": "[SEP]", "special": true, "normalized": false}],
 "normalizer": {"type": "Lowercase"}, "pre_tokenizer": {"type": "Whitespace"},
 "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 1], "cls": ["[CLS]", 0]},
 "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
 "model": {"type": "WordLevel", "unk_token": "[UNK]",
  "vocab": {"[CLS]": 0, "[SEP]": 1, "[UNK]": 2, "hello": 3, "world": 4, "!": 5}}})";

}  // namespace

TEST_CASE("seqflow.text.tokenizer v1 through the module's C ABI", "[text][abi]") {
  const std::string so = std::string(SEQFLOW_BINARY_DIR) + "/lib/seqflow/plugins/seqflow_text.so";
  void* handle = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
  REQUIRE(handle != nullptr);
  auto entry = reinterpret_cast<sf_entry_fn>(dlsym(handle, SF_ENTRY_SYMBOL));
  REQUIRE(entry != nullptr);
  const sf_module* m = entry(SF_ABI_MAJOR, SF_ABI_MINOR);
  static sf_host host{};
  host.struct_size = sizeof(host);
  host.abi_major = SF_ABI_MAJOR;
  host.abi_minor = SF_ABI_MINOR;
  sf_error err{};
  REQUIRE(m->init(&host, &err) == SF_OK);
  const sf_resource_type* rt = nullptr;
  for (uint32_t i = 0; i < m->num_resources; ++i)
    if (std::string(m->resources[i]->name) == "tokenizer") rt = m->resources[i];
  REQUIRE(rt != nullptr);

  const auto path = (std::filesystem::temp_directory_path() / "seqflow_text_abi_tok.json").string();
  std::ofstream(path) << kTok;
  const char* keys[] = {"path", "encoding", "pattern", "special_tokens", "lowercase"};
  sf_value empty_table{};
  empty_table.kind = SF_VALUE_TABLE;
  sf_value lower{};
  lower.kind = SF_VALUE_BOOL;
  lower.i = 1;
  sf_value items[] = {str(path.c_str()), str(""), str(""), empty_table, lower};
  sf_value params{};
  params.kind = SF_VALUE_TABLE;
  params.keys = keys;
  params.items = items;
  params.size = 5;
  sf_create_args args{};
  args.struct_size = sizeof(args);
  args.params = &params;
  args.stage_name = "tok";
  args.pipeline_dir = ".";
  void* object = nullptr;
  REQUIRE(rt->create(&args, &object, &err) == SF_OK);

  sf_interface iface{};
  iface.struct_size = sizeof(iface);
  CHECK(rt->get_interface(object, SF_TEXT_TOKENIZER_INTERFACE, 2, &iface) == SF_ERR_UNSUPPORTED);
  REQUIRE(rt->get_interface(object, SF_TEXT_TOKENIZER_INTERFACE, 1, &iface) == SF_OK);
  const auto* t = static_cast<const sf_text_tokenizer_v1*>(iface.vtable);
  REQUIRE(t->struct_size >= sizeof(sf_text_tokenizer_v1));

  CHECK(t->vocab_size(object) == 6);
  const char* data = nullptr;
  size_t size = 0;
  REQUIRE(t->piece(object, 3, &data, &size) == 1);
  CHECK(std::string(data, size) == "hello");
  CHECK(t->piece(object, 6, &data, &size) == 0);
  CHECK(data == nullptr);
  CHECK(t->is_special(object, 0) == 1);
  CHECK(t->is_special(object, 3) == 0);
  CHECK(t->piece_to_id(object, "world", 5) == 4);
  CHECK(t->piece_to_id(object, "nope", 4) == -1);

  // "Hello world!" -> [CLS] hello world ! [SEP] = 0 3 4 5 1; a 2-id buffer is too small.
  int32_t ids[8];
  size_t count = 0;
  CHECK(t->encode(object, "Hello world!", 12, 1, ids, 2, &count, &err) == SF_ERR_INVALID);
  CHECK(count == 5);
  REQUIRE(t->encode(object, "Hello world!", 12, 1, ids, 8, &count, &err) == SF_OK);
  CHECK(std::vector<int32_t>(ids, ids + count) == std::vector<int32_t>{0, 3, 4, 5, 1});
  REQUIRE(t->encode(object, "Hello world!", 12, 0, ids, 8, &count, &err) == SF_OK);
  CHECK(count == 3);
  CHECK(t->encode(object, "\xFF", 1, 0, ids, 8, &count, &err) == SF_ERR_INVALID);
  CHECK(std::string(err.message).find("not valid UTF-8") != std::string::npos);

  // WordPiece decoder with cleanup: "hello world!" (" !" joins); skip_special drops [CLS]/[SEP].
  const int32_t in[] = {0, 3, 4, 5, 1};
  char out[64];
  size_t n = 0;
  CHECK(t->decode(object, in, 5, 1, out, 4, &n, &err) == SF_ERR_INVALID);
  CHECK(n == 12);
  REQUIRE(t->decode(object, in, 5, 1, out, sizeof(out), &n, &err) == SF_OK);
  CHECK(std::string(out, n) == "hello world!");
  REQUIRE(t->decode(object, in, 5, 0, out, sizeof(out), &n, &err) == SF_OK);
  CHECK(std::string(out, n) == "[CLS] hello world! [SEP]");
  const int32_t bad[] = {3, 77};
  CHECK(t->decode(object, bad, 2, 0, out, sizeof(out), &n, &err) == SF_ERR_INVALID);
  CHECK(std::string(err.message).find("id 77 at position 1") != std::string::npos);
  rt->destroy(object);
}
