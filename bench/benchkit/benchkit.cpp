// Bench-only components (never installed): the cheapest possible source, pass-through, CPU-bound
// stage and sink, so that engine_bench measures the engine's own cost per record and per stage.
#include <seqflow/sdk.hpp>

#include <string>

namespace {

using seqflow::Context;
using seqflow::CreateContext;
using seqflow::Field;
using seqflow::Info;
using seqflow::Param;
using seqflow::Record;
using seqflow::Slot;

// Emits `count` records with id "<n>" and int field v = n.
class Source : public seqflow::Source<Source> {
 public:
  static constexpr Info info{
      "source", "Emits `count` records with id = n and int field v = n (n = 0, 1, ...).",
      "[[stage]]\nname = \"gen\"\nplugin = \"benchkit.source\"\ncount = 1000000", 0, 1};
  static constexpr sf_param_decl params[] = {Param::integer("count", nullptr, "how many records to emit")};
  static constexpr sf_field_decl fields[] = {Field::writes(nullptr, "v", SF_FIELD_INT)};
  explicit Source(CreateContext& c)
      : count_(c.param("count").as_int()), id_(c.field("id")), v_(c.field("v")) {
    if (count_ < 0) throw seqflow::Error("count must be >= 0, got " + std::to_string(count_));
  }
  bool read(Context& ctx, uint32_t max) {
    for (uint32_t k = 0; k < max && next_ < count_; ++k, ++next_) {
      Record r = ctx.emit();
      r.set_string(id_, std::to_string(next_));
      r.set_int(v_, next_);
    }
    return next_ < count_;
  }

 private:
  int64_t count_, next_ = 0;
  Slot id_, v_;
};

// Adds one to v: a real read and write through the host table, and nothing else.
class Pass : public seqflow::Transform<Pass> {
 public:
  static constexpr Info info{"pass", "Pass-through: v = v + 1. Thread-safe, unlimited concurrency.",
                             "[[stage]]\nname = \"pass\"\nplugin = \"benchkit.pass\"", SF_FLAG_THREAD_SAFE,
                             0};
  static constexpr sf_field_decl fields[] = {Field::reads(nullptr, "v", SF_FIELD_INT),
                                             Field::writes(nullptr, "v", SF_FIELD_INT)};
  explicit Pass(CreateContext& c) : v_(c.field("v")) {}
  void process(Context&, Record& r) { r.set_int(v_, r.integer(v_) + 1); }

 private:
  Slot v_;
};

// Fixed CPU work per record (`work` rounds of xorshift seeded by v), written back to v.
class Spin : public seqflow::Transform<Spin> {
 public:
  static constexpr Info info{
      "spin", "CPU-bound stage: `work` xorshift rounds per record, result written to v.",
      "[[stage]]\nname = \"spin\"\nplugin = \"benchkit.spin\"\nwork = 20000", SF_FLAG_THREAD_SAFE, 0};
  static constexpr sf_param_decl params[] = {
      Param::integer("work", "20000", "xorshift rounds per record (about 1 ns each)")};
  static constexpr sf_field_decl fields[] = {Field::reads(nullptr, "v", SF_FIELD_INT),
                                             Field::writes(nullptr, "v", SF_FIELD_INT)};
  explicit Spin(CreateContext& c) : work_(c.param("work").as_int()), v_(c.field("v")) {
    if (work_ < 0) throw seqflow::Error("work must be >= 0, got " + std::to_string(work_));
  }
  void process(Context&, Record& r) {
    uint64_t x = static_cast<uint64_t>(r.integer(v_)) | 1;
    // Each round depends on the previous one: the compiler cannot fold or vectorise the loop.
    for (int64_t i = 0; i < work_; ++i) x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    r.set_int(v_, static_cast<int64_t>(x & 0x7fffffff));
  }

 private:
  int64_t work_;
  Slot v_;
};

// Counts records; with `expect` >= 0 the run fails unless exactly that many arrived.
class Sink : public seqflow::Sink<Sink> {
 public:
  static constexpr Info info{"sink", "Counts the records it receives (reads v) and writes nothing.",
                             "[[stage]]\nname = \"count\"\nplugin = \"benchkit.sink\"\nexpect = 1000000", 0,
                             1};
  static constexpr sf_param_decl params[] = {
      Param::integer("expect", "-1", "fail the run unless exactly this many records arrive (-1: no check)")};
  static constexpr sf_field_decl fields[] = {Field::reads(nullptr, "v", SF_FIELD_INT)};
  explicit Sink(CreateContext& c) : expect_(c.param("expect").as_int()), v_(c.field("v")) {}
  void process(Context&, Record& r) {
    (void)r.integer(v_);  // a real field read, as any sink does
    ++count_;
  }
  void finish(Context&) {
    if (expect_ >= 0 && count_ != expect_)
      throw seqflow::Error("expected " + std::to_string(expect_) + " records, got " + std::to_string(count_));
  }

 private:
  int64_t expect_, count_ = 0;
  Slot v_;
};

}  // namespace

using Components = seqflow::ComponentList<Source, Pass, Spin, Sink>;
using Resources = seqflow::ResourceList<>;
SEQFLOW_MODULE("benchkit", "0.1.0", "Bench-only components for engine_bench", Components, Resources)
