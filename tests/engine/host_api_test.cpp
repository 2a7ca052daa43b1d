// The host function table as a plugin sees it: field access, type checks, slot bounds, emit/drop/fail.
#include <catch2/catch.hpp>

#include "plugin_host.hpp"
#include "runtime.hpp"
#include "value_tree.hpp"

#include <cstddef>
#include <cstring>

using namespace seqflow::engine;

namespace {

struct Fixture {
  PipelineSpec spec;
  RunState run;
  StageCounters counters;
  std::vector<sf_record*> emitted;
  sf_context ctx;
  const sf_host* h = PluginHost::host_table();

  Fixture() {
    spec.fields = {FieldUse{"id", {SF_FIELD_STRING, SF_DTYPE_ANY}, false},
                   FieldUse{"x", {SF_FIELD_ANY, SF_DTYPE_ANY}, false}};
    run.spec = &spec;
    run.num_slots = 2;
    run.id_slot = 0;
    ctx.run = &run;
    ctx.counters = &counters;
    ctx.stage_name = "s";
    ctx.plugin = "m.c";
    ctx.emitted = &emitted;
  }
  ~Fixture() {
    for (sf_record* r : emitted) run.delete_record(r);
  }
};

}  // namespace

TEST_CASE("fields keep their type and refuse reads of another type") {
  Fixture f;
  sf_record* r = f.h->emit(&f.ctx, nullptr);
  CHECK(f.h->has(r, 1) == 0);
  f.h->set_int(r, 1, -7);
  int64_t i = 0;
  double d = 0;
  const char* s = nullptr;
  size_t n = 0;
  CHECK(f.h->get_int(r, 1, &i) == 1);
  CHECK(i == -7);
  CHECK(f.h->get_float(r, 1, &d) == 0);
  CHECK(f.h->get_string(r, 1, &s, &n) == 0);
  f.h->set_string(r, 1, "hello", 5);
  REQUIRE(f.h->get_string(r, 1, &s, &n) == 1);
  CHECK(std::string(s, n) == "hello");
  CHECK(f.h->type_of(r, 1) == SF_FIELD_STRING);
  f.h->clear(r, 1);
  CHECK(f.h->has(r, 1) == 0);
}

TEST_CASE("slots out of range read as missing and writes to them are ignored") {
  Fixture f;
  sf_record* r = f.h->emit(&f.ctx, nullptr);
  int64_t i = 0;
  f.h->set_int(r, 2, 1);
  f.h->set_int(r, -1, 1);
  CHECK(f.h->get_int(r, 2, &i) == 0);
  CHECK(f.h->has(r, 99) == 0);
  CHECK(f.h->set_tensor(r, 5, SF_DTYPE_F32, 1, std::array<int64_t, 1>{3}.data()) == nullptr);
}

TEST_CASE("tensors are allocated aligned with their shape and byte size") {
  Fixture f;
  sf_record* r = f.h->emit(&f.ctx, nullptr);
  int64_t shape[2] = {3, 5};
  auto* p = static_cast<float*>(f.h->set_tensor(r, 1, SF_DTYPE_F32, 2, shape));
  REQUIRE(p != nullptr);
  CHECK(reinterpret_cast<uintptr_t>(p) % 64 == 0);
  for (int k = 0; k < 15; ++k) p[k] = static_cast<float>(k);
  sf_tensor_view v{};
  REQUIRE(f.h->get_tensor(r, 1, &v) == 1);
  CHECK(v.dtype == SF_DTYPE_F32);
  CHECK(v.ndim == 2);
  CHECK(v.shape[0] == 3);
  CHECK(v.shape[1] == 5);
  CHECK(v.nbytes == 60);
  CHECK(static_cast<const float*>(v.data)[14] == 14.0f);
  int64_t bad[1] = {-1};
  CHECK(f.h->set_tensor(r, 1, SF_DTYPE_F32, 1, bad) == nullptr);
  CHECK(f.h->set_tensor(r, 1, SF_DTYPE_ANY, 1, shape) == nullptr);
}

TEST_CASE("an emitted copy shares payloads but not later writes") {
  Fixture f;
  sf_record* a = f.h->emit(&f.ctx, nullptr);
  f.h->set_string(a, 0, "r1", 2);
  f.h->set_string(a, 1, "payload", 7);
  sf_record* b = f.h->emit(&f.ctx, a);
  const char* s = nullptr;
  size_t n = 0;
  REQUIRE(f.h->get_string(b, 1, &s, &n) == 1);
  CHECK(std::string(s, n) == "payload");
  f.h->set_string(b, 1, "other", 5);
  REQUIRE(f.h->get_string(a, 1, &s, &n) == 1);
  CHECK(std::string(s, n) == "payload");
  f.run.count_live(2);
  f.run.count_live(-1);
  CHECK(f.run.live_records.load() == 1);
  CHECK(f.run.peak_live_records.load() == 2);
}

TEST_CASE("drop counts a filtered record once; fail under skip logs it with the record id") {
  Fixture f;
  f.spec.skip_errors = true;
  sf_record* a = f.h->emit(&f.ctx, nullptr);
  f.h->set_string(a, 0, "read7", 5);
  f.h->record_drop(&f.ctx, a);
  f.h->record_drop(&f.ctx, a);
  CHECK(f.counters.filtered.load() == 1);
  sf_record* b = f.h->emit(&f.ctx, nullptr);
  f.h->set_string(b, 0, "read8", 5);
  f.h->record_fail(&f.ctx, b, "bad base 'Z'");
  CHECK(f.counters.skipped.load() == 1);
  REQUIRE(f.run.skipped.count() == 1);
  CHECK(f.run.skipped.held()[0].record_id == "read8");
  CHECK(f.run.skipped.held()[0].reason == "bad base 'Z'");
  CHECK(f.run.failures.empty());
  CHECK_FALSE(f.run.cancelled.load());
}

TEST_CASE("fail under the fail policy cancels the run") {
  Fixture f;
  sf_record* a = f.h->emit(&f.ctx, nullptr);
  f.h->record_fail(&f.ctx, a, "boom");
  CHECK(f.run.cancelled.load());
  REQUIRE(f.run.failures.size() == 1);
  CHECK(f.run.failures[0].record_id == "#1");  // no id set: its position
}

TEST_CASE("field_is_read (ABI 1.1): declared reads, batch length fields and id count, nothing else") {
  Fixture f;
  f.spec.stages.resize(3);
  StageSpec& source = f.spec.stages[0];
  StageSpec& model = f.spec.stages[1];
  StageSpec& sink = f.spec.stages[2];
  source.writes = {FieldUse{"seq", {SF_FIELD_STRING, SF_DTYPE_ANY}, false},
                   FieldUse{"qual", {SF_FIELD_STRING, SF_DTYPE_ANY}, false},
                   FieldUse{"feats", {SF_FIELD_TENSOR, SF_DTYPE_ANY}, false}};
  model.reads = {FieldUse{"seq", {SF_FIELD_STRING, SF_DTYPE_ANY}, false}};
  model.batch.size = 4;
  model.batch.by_length = true;
  model.batch.length_field = "feats";
  sink.reads = {FieldUse{"score", {SF_FIELD_FLOAT, SF_DTYPE_ANY}, true}};
  sf_create_context cc;
  cc.run = &f.run;
  REQUIRE(f.h->struct_size >= offsetof(sf_host, field_is_read) + sizeof(f.h->field_is_read));
  CHECK(f.h->field_is_read(&cc, "seq") == 1);
  CHECK(f.h->field_is_read(&cc, "feats") == 1);  // the engine reads it to group batches
  CHECK(f.h->field_is_read(&cc, "score") == 1);  // an optional read still counts
  CHECK(f.h->field_is_read(&cc, "id") == 1);
  CHECK(f.h->field_is_read(&cc, "qual") == 0);
  f.spec.stages[1].batch.by_length = false;
  CHECK(f.h->field_is_read(&cc, "feats") == 0);
}

TEST_CASE("closest_name suggests near misses only") {
  CHECK(closest_name("pahts", {"paths", "output", "skip_empty"}) == "paths");
  CHECK(closest_name("lines_raed", {"lines_read", "lines_write"}) == "lines_read");
  CHECK(closest_name("zzzzzz", {"paths", "output"}).empty());
}

TEST_CASE("split_plugin_name wants exactly module.component") {
  CHECK(split_plugin_name("io.lines_read") == std::pair<std::string, std::string>{"io", "lines_read"});
  CHECK_THROWS_WITH(split_plugin_name("io"), Catch::Contains("module.component"));
  CHECK_THROWS_AS(split_plugin_name("a.b.c"), PluginError);
  CHECK_THROWS_AS(split_plugin_name(".x"), PluginError);
}

TEST_CASE("value trees keep strings, arrays and tables addressable") {
  OwnedValue v;
  auto b = v.builder();
  std::vector<sf_value> items{b.integer(1), b.string("two")};
  b.set_root(b.table({"list", "flag"}, {b.array(items), b.boolean(true)}));
  const sf_value* root = v.root();
  REQUIRE(root->kind == SF_VALUE_TABLE);
  REQUIRE(root->size == 2);
  CHECK(std::string(root->keys[0]) == "list");
  CHECK(root->items[0].items[1].kind == SF_VALUE_STRING);
  CHECK(std::string(root->items[0].items[1].s) == "two");
  CHECK(root->items[1].i == 1);
  OwnedValue moved = std::move(v);
  CHECK(std::string(moved.root()->items[0].items[1].s) == "two");
}
