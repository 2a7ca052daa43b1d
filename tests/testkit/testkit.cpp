// Test-only components that exercise the engine through the SDK, exactly as a real plugin would.
#include <seqflow/sdk.hpp>

#include <atomic>
#include <cstdint>
#include <chrono>
#include <string>
#include <thread>

namespace {

using seqflow::Context;
using seqflow::CreateContext;
using seqflow::Field;
using seqflow::Info;
using seqflow::Param;
using seqflow::Record;
using seqflow::Slot;

// Emits `count` records: id = prefix + n, field n = 0, 1, 2, ...
class Count : public seqflow::Source<Count> {
 public:
  static constexpr Info info{"count", "Emits `count` records with id <id_prefix><n> and int field n.",
                             "[[stage]]\nname = \"gen\"\nplugin = \"testkit.count\"\ncount = 10", 0, 1};
  static constexpr sf_param_decl params[] = {
      Param::integer("count", nullptr, "how many records"),
      Param::string("id_prefix", "\"r\"", "prefix of each id"),
  };
  static constexpr sf_field_decl fields[] = {Field::writes(nullptr, "n", SF_FIELD_INT)};
  explicit Count(CreateContext& c)
      : count_(c.param("count").as_int()),
        prefix_(c.param("id_prefix").as_string()),
        id_(c.field("id")),
        n_(c.field("n")) {
    if (count_ < 0) throw seqflow::Error("count must be >= 0");
  }
  bool read(Context& ctx, uint32_t max) {
    for (uint32_t k = 0; k < max && next_ < count_; ++k, ++next_) {
      Record r = ctx.emit();
      r.set_string(id_, prefix_ + std::to_string(next_));
      r.set_int(n_, next_);
    }
    return next_ < count_;
  }

 private:
  int64_t count_, next_ = 0;
  std::string prefix_;
  Slot id_, n_;
};

// CPU work whose cost varies a lot from record to record (so threads finish out of order).
class Work : public seqflow::Transform<Work> {
 public:
  static constexpr Info info{"work", "Writes `output` = a hash of n after an n-dependent amount of CPU work.",
                             "[[stage]]\nname = \"work\"\nplugin = \"testkit.work\"\nscale = 100",
                             SF_FLAG_THREAD_SAFE, 0};
  static constexpr sf_param_decl params[] = {
      Param::integer("scale", "100", "work units per record are (n * 2654435761 mod 97) * scale"),
      Param::field("output", "\"h\"", "field written"),
  };
  static constexpr sf_field_decl fields[] = {Field::reads(nullptr, "n", SF_FIELD_INT),
                                             Field::writes("output", "h", SF_FIELD_INT)};
  explicit Work(CreateContext& c)
      : scale_(c.param("scale").as_int()), n_(c.field("n")), out_(c.field_param("output")) {}
  void process(Context&, Record& r) {
    uint64_t n = static_cast<uint64_t>(r.integer(n_));
    uint64_t x = n + 1, iters = (n * 2654435761u % 97) * static_cast<uint64_t>(scale_);
    for (uint64_t i = 0; i < iters; ++i) x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    r.set_int(out_, static_cast<int64_t>(x & 0x7fffffff));
  }

 private:
  int64_t scale_;
  Slot n_, out_;
};

// Fails records with n % every == every - 1 (a std exception) and, with `crash_type`, a non-std one.
class Fail : public seqflow::Transform<Fail> {
 public:
  static constexpr Info info{"fail", "Throws for every `every`-th record.",
                             "[[stage]]\nname = \"fail\"\nplugin = \"testkit.fail\"\nevery = 10", 0, 0};
  static constexpr sf_param_decl params[] = {
      Param::integer("every", nullptr, "fail records with n % every == every - 1"),
      Param::boolean("non_std", "false", "throw an int instead of a std::exception"),
  };
  static constexpr sf_field_decl fields[] = {Field::reads(nullptr, "n", SF_FIELD_INT)};
  explicit Fail(CreateContext& c)
      : every_(c.param("every").as_int()), non_std_(c.param("non_std").as_bool()), n_(c.field("n")) {
    if (every_ <= 0) throw seqflow::Error("every must be >= 1");
  }
  void process(Context&, Record& r) {
    int64_t n = r.integer(n_);
    if (n % every_ == every_ - 1) {
      if (non_std_) throw 42;
      throw seqflow::Error("n = " + std::to_string(n) + " is unlucky");
    }
  }

 private:
  int64_t every_;
  bool non_std_;
  Slot n_;
};

class Filter : public seqflow::Transform<Filter> {
 public:
  static constexpr Info info{"filter", "Drops records with n % every == 0.",
                             "[[stage]]\nname = \"filter\"\nplugin = \"testkit.filter\"\nevery = 10",
                             SF_FLAG_THREAD_SAFE | SF_FLAG_FILTERS, 0};
  static constexpr sf_param_decl params[] = {
      Param::integer("every", nullptr, "drop records with n % every == 0")};
  static constexpr sf_field_decl fields[] = {Field::reads(nullptr, "n", SF_FIELD_INT)};
  explicit Filter(CreateContext& c) : every_(c.param("every").as_int()), n_(c.field("n")) {
    if (every_ <= 0) throw seqflow::Error("every must be >= 1");
  }
  void process(Context& ctx, Record& r) {
    if (r.integer(n_) % every_ == 0) ctx.drop(r);
  }

 private:
  int64_t every_;
  Slot n_;
};

class Split : public seqflow::Transform<Split> {
 public:
  static constexpr Info info{"split",
                             "Replaces each record by `copies` records with int field part = 0, 1, ...",
                             "[[stage]]\nname = \"split\"\nplugin = \"testkit.split\"\ncopies = 3",
                             SF_FLAG_THREAD_SAFE | SF_FLAG_SPLITS, 0};
  static constexpr sf_param_decl params[] = {
      Param::integer("copies", nullptr, "records made from each input")};
  static constexpr sf_field_decl fields[] = {Field::writes(nullptr, "part", SF_FIELD_INT)};
  explicit Split(CreateContext& c) : copies_(c.param("copies").as_int()), part_(c.field("part")) {}
  void process(Context& ctx, Record& r) {
    for (int64_t k = 0; k < copies_; ++k) ctx.emit(&r).set_int(part_, k);
    ctx.drop(r);
  }

 private:
  int64_t copies_;
  Slot part_;
};

// Records the size of the batch each record was processed in.
class BatchProbe : public seqflow::Transform<BatchProbe> {
 public:
  static constexpr Info info{
      "batch_probe", "Writes batch_size = the number of records in its batch call.",
      "[[stage]]\nname = \"probe\"\nplugin = \"testkit.batch_probe\"\nbatch = { size = 8 }",
      SF_FLAG_THREAD_SAFE, 0};
  static constexpr sf_field_decl fields[] = {Field::writes(nullptr, "batch_size", SF_FIELD_INT)};
  explicit BatchProbe(CreateContext& c) : out_(c.field("batch_size")) {}
  void process_batch(Context&, std::span<Record> batch) {
    for (Record& r : batch) r.set_int(out_, static_cast<int64_t>(batch.size()));
  }

 private:
  Slot out_;
};

// A constructor that fails: the error must name the stage and stop the run before any record moves.
class BadCreate : public seqflow::Transform<BadCreate> {
 public:
  static constexpr Info info{"bad_create", "Its constructor always throws.",
                             "[[stage]]\nname = \"bad\"\nplugin = \"testkit.bad_create\"", 0, 0};
  explicit BadCreate(CreateContext&) { throw seqflow::Error("cannot open the frobnicator"); }
  void process(Context&, Record&) {}
};

// A sink that fails any record whose n is not larger than the previous one (order check).
class Ordered : public seqflow::Sink<Ordered> {
 public:
  static constexpr Info info{"ordered", "Fails records that arrive out of order of n; writes nothing.",
                             "[[stage]]\nname = \"check\"\nplugin = \"testkit.ordered\"", 0, 1};
  static constexpr sf_field_decl fields[] = {Field::reads(nullptr, "n", SF_FIELD_INT)};
  explicit Ordered(CreateContext& c) : n_(c.field("n")) {}
  void process(Context&, Record& r) {
    int64_t n = r.integer(n_);
    if (n <= last_) throw seqflow::Error("n = " + std::to_string(n) + " after " + std::to_string(last_));
    last_ = n;
  }

 private:
  int64_t last_ = -1;
  Slot n_;
};

// Sleeps per record and writes how many calls of it were running when the record's call started: how
// many threads the engine keeps busy on a stage whose work waits rather than computes.
class Nap : public seqflow::Transform<Nap> {
 public:
  static constexpr Info info{
      "nap", "Sleeps `us` microseconds per record; writes `busy` = calls running at once.",
      "[[stage]]\nname = \"nap\"\nplugin = \"testkit.nap\"\nus = 1000", SF_FLAG_THREAD_SAFE, 0};
  static constexpr sf_param_decl params[] = {Param::integer("us", "1000", "sleep per record, microseconds")};
  static constexpr sf_field_decl fields[] = {Field::writes(nullptr, "busy", SF_FIELD_INT)};
  explicit Nap(CreateContext& c) : us_(c.param("us").as_int()), busy_(c.field("busy")) {}
  void process(Context&, Record& r) {
    const int64_t now = running_.fetch_add(1) + 1;
    std::this_thread::sleep_for(std::chrono::microseconds(us_));
    running_.fetch_sub(1);
    r.set_int(busy_, now);
  }

 private:
  static inline std::atomic<int64_t> running_{0};
  int64_t us_;
  Slot busy_;
};

// Stress: per record, a pseudo-random sleep and a pseudo-random failure or drop, both decided by
// chaos_draw(seed, n) so that a test can compute which records fail without the engine's help.
// draw % 1000 < fail_per_mille: the record fails; else draw % 1000 < fail + drop: it is dropped.
inline uint64_t chaos_draw(int64_t seed, int64_t n) {
  uint64_t x = static_cast<uint64_t>(n) * 0x9E3779B97F4A7C15ull;
  x ^= static_cast<uint64_t>(seed) * 0xBF58476D1CE4E5B9ull;
  x ^= x >> 31;
  x *= 0x94D049BB133111EBull;
  return x ^ (x >> 29);
}

class Chaos : public seqflow::Transform<Chaos> {
 public:
  static constexpr Info info{
      "chaos", "Sleeps 0..max_us microseconds per record, fails or drops some (seeded, per n).",
      "[[stage]]\nname = \"chaos\"\nplugin = \"testkit.chaos\"\nfail_per_mille = 50",
      SF_FLAG_THREAD_SAFE | SF_FLAG_FILTERS, 0};
  static constexpr sf_param_decl params[] = {
      Param::integer("seed", "1", "seed of the draws"),
      Param::integer("max_us", "200", "longest sleep per record, microseconds"),
      Param::integer("fail_per_mille", "0", "records that fail, per thousand"),
      Param::integer("drop_per_mille", "0", "records dropped, per thousand"),
  };
  static constexpr sf_field_decl fields[] = {Field::reads(nullptr, "n", SF_FIELD_INT)};
  explicit Chaos(CreateContext& c)
      : seed_(c.param("seed").as_int()),
        max_us_(c.param("max_us").as_int()),
        fail_(c.param("fail_per_mille").as_int()),
        drop_(c.param("drop_per_mille").as_int()),
        n_(c.field("n")) {
    if (max_us_ < 0 || fail_ < 0 || drop_ < 0 || fail_ + drop_ > 1000)
      throw seqflow::Error("max_us, fail_per_mille and drop_per_mille must be >= 0, fail + drop <= 1000");
  }
  void process(Context& ctx, Record& r) {
    const int64_t n = r.integer(n_);
    const uint64_t draw = chaos_draw(seed_, n);
    if (max_us_ > 0) std::this_thread::sleep_for(std::chrono::microseconds((draw >> 20) % (max_us_ + 1)));
    const int64_t bucket = static_cast<int64_t>(draw % 1000);
    if (bucket < fail_) throw seqflow::Error("n = " + std::to_string(n) + " drew a failure");
    if (bucket < fail_ + drop_) ctx.drop(r);
  }

 private:
  int64_t seed_, max_us_, fail_, drop_;
  Slot n_;
};

}  // namespace

using Components =
    seqflow::ComponentList<Count, Work, Fail, Filter, Split, BatchProbe, BadCreate, Ordered, Nap, Chaos>;
using Resources = seqflow::ResourceList<>;
SEQFLOW_MODULE("testkit", "0.1.0", "Test-only components for engine tests", Components, Resources)
