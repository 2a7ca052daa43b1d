// The graph runner: turns a validated PipelineSpec into a oneTBB flow graph and runs it.
//
// Records travel in chunks (a few dozen records per message) so that the per-record cost of the
// flow graph is amortised. Backpressure: the source feeds a limiter_node whose credits bound the
// chunks alive; a chunk's credit returns when every sink holding a copy of it is done, so no queue
// in the graph can grow past max_in_flight records. Order: chunks are numbered at the source and
// every order-sensitive node (serial stages, batchers, sinks) sits behind a sequencer_node, so the
// output is the same for any thread count. Failures never throw through the graph: they set the
// run's cancel flag, the source stops, and in-flight chunks drain through without being processed.
#include <seqflow/engine.hpp>

#include "arena_pool.hpp"
#include "byte_budget.hpp"
#include "caller_channels.hpp"
#include "create_error.hpp"
#include "interrupt.hpp"
#include "provenance.hpp"
#include "runtime.hpp"
#include "shard_plan.hpp"
#include "tsan_handoff.hpp"

#include <oneapi/tbb/concurrent_queue.h>
#include <oneapi/tbb/flow_graph.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/task_arena.h>
#include <sys/resource.h>

#include <unistd.h>
#include <csignal>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <thread>

namespace seqflow::engine {

namespace flow = tbb::flow;
using Clock = std::chrono::steady_clock;

namespace {

struct Ticket {
  std::atomic<int32_t> pending{1};
  uint64_t bytes = 0;  // payload bytes of the chunk's records as read (max_in_flight_bytes)
};

// Under max_in_flight_bytes a batching stage flushes a group after this many chunks, so that the credits
// ByteBudget never withholds are always enough for every batcher to flush.
constexpr size_t kBudgetBatchChunks = 4;

struct Chunk {
  uint64_t seq = 0;
  bool last = false;
  Ticket* ticket = nullptr;
  std::vector<sf_record*> records;
  std::vector<sf_record*> spare;  // retired records that travel with a recycled chunk back to the source
};

struct Group {
  std::vector<Chunk*> chunks;
};

using ForkCopies = std::shared_ptr<std::vector<Chunk*>>;
using Tagged = std::pair<size_t, Chunk*>;

double cpu_seconds_now() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

bool is_alive(const sf_record* r) { return r->state == RecordState::kAlive; }

// The chunk's records that a stage should see. A fresh vector per call, not a thread_local buffer: a
// plugin that runs TBB work inside its call lets this thread execute another node meanwhile.
std::vector<sf_record*> alive_records(const std::vector<sf_record*>& records) {
  std::vector<sf_record*> alive;
  alive.reserve(records.size());
  for (sf_record* r : records)
    if (is_alive(r)) alive.push_back(r);
  return alive;
}

}  // namespace

// Instances of one stage. Thread-safe components share one; others get one per concurrent call.
class InstancePool {
 public:
  InstancePool() = default;
  InstancePool(const InstancePool&) = delete;
  ~InstancePool() {
    for (void* p : all_) comp_->destroy(p);
  }
  void init(const sf_component* comp, const sf_create_args& args, bool shared) {
    comp_ = comp;
    args_ = args;
    shared_ = shared;
  }
  void* create() {
    std::lock_guard lock(mu_);
    sf_create_args a = args_;
    a.worker_index = static_cast<uint32_t>(all_.size());
    sf_error err{};
    err.struct_size = sizeof(err);
    void* p = nullptr;
    err.param[0] = 0;
    if (comp_->create(&a, &p, &err) != SF_OK || p == nullptr)
      throw CreateFailure(err.message[0] != 0 ? err.message : "create() failed without a message", err.param);
    all_.push_back(p);
    return p;
  }
  void* acquire() {
    if (shared_) return all_.front();
    void* p = nullptr;
    if (free_.try_pop(p)) {
      handoff_acquire(p);
      return p;
    }
    return create();
  }
  void release(void* p) {
    if (shared_) return;
    handoff_release(p);
    free_.push(p);
  }
  const std::vector<void*>& all() const { return all_; }

 private:
  const sf_component* comp_ = nullptr;
  sf_create_args args_{};
  bool shared_ = true;
  std::mutex mu_;
  std::vector<void*> all_;
  tbb::concurrent_queue<void*> free_;
};

struct StageRuntime {
  const StageSpec* spec = nullptr;
  const sf_component* comp = nullptr;
  size_t index = 0;
  StageCounters counters;
  InstancePool pool;
  bool splits = false;
  std::vector<size_t> successors;
  // Batching: the batcher's state is touched only by its serial node.
  int32_t length_slot = -1;
  uint32_t window = 0;
  std::vector<Chunk*> pending;
  size_t pending_records = 0;
  // Join: fields each input branch contributes, and chunks waiting for their partners.
  std::vector<std::vector<int32_t>> branch_slots;
  std::mutex join_mu;
  std::map<uint64_t, std::vector<Chunk*>> join_wait;
  // Last: the members above are the hot ones, laid out as before it existed.
  sf_create_context create_ctx;  // names the stage in create-time warnings
};

class Runner {
 public:
  Runner(const PipelineSpec& spec, const RunOptions& options) : spec_(spec), options_(options) {}
  ~Runner();
  RunResult run();

 private:
  /// Creates resources and stage instances (one per stage when `validating`). Throws ResourceError for a
  /// resource, StageCreateError for a stage that cannot be created.
  void prepare(bool validating = false);
  void* create_resource(const ResourceSpec& r);
  sf_create_args create_args(const OwnedValue& params, const std::string& name, sf_create_context* ctx);

 public:
  /// Creates and destroys every resource (loading weights, vocabularies).
  void check_resources();
  /// Creates every resource and one instance of every stage as run() would, reading no record: what
  /// `validate` does. Throws ResourceError ("FILE:LINE:COLUMN: error: ...") for the first that fails.
  void check_creation();

 private:
  void build(flow::graph& g);
  Chunk* produce(tbb::flow_control& fc);
  Chunk* transform(StageRuntime& st, Chunk* c);
  Group* transform_group(StageRuntime& st, Group* g);
  void consume(StageRuntime& st, Chunk* c);
  void call(StageRuntime& st, sf_record* const* recs, uint32_t n, std::vector<sf_record*>& emitted);
  void release(Chunk* c);
  Chunk* merge(StageRuntime& st, std::vector<Chunk*>& parts);
  sf_context context(StageRuntime& st, std::vector<sf_record*>* emitted);
  // A failure of a whole call; `order` places it among record failures (the earliest is reported).
  void fatal(StageRuntime& st, const std::string& reason, uint64_t order = UINT64_MAX);
  RunResult finish_run(double wall, double cpu0);
  /// Drops the records of `c` from index `from` on that belong to another shard.
  void keep_shard(Chunk* c, size_t from);
  void write_trace(RunResult& result);

  // --trace: one event per stage call, appended by the calling thread to its own list.
  struct TraceEvent {
    uint32_t stage;
    uint32_t records;
    int64_t start_ns;
    int64_t dur_ns;
  };
  static constexpr uint64_t kMaxTraceEvents = 2000000;  // about 200 MB of JSON
  void trace(const StageRuntime& st, Clock::time_point t0, Clock::time_point t1, size_t records);
  Clock::time_point trace_t0_;
  std::vector<std::vector<TraceEvent>> trace_events_;  // per arena slot (+1: outside the arena)
  std::atomic<uint64_t> trace_count_{0};
  std::FILE* trace_file_ = nullptr;  // the trace's temporary file, open for the whole run
  void write_error_log(RunResult& result);

  const PipelineSpec& spec_;
  RunOptions options_;
  RunState run_;
  sf_create_context create_ctx_;
  std::vector<std::unique_ptr<StageRuntime>> stages_;
  std::vector<std::unique_ptr<flow::graph_node>> nodes_;
  flow::limiter_node<Chunk*, long long>* limiter_ = nullptr;  // decrements by a count
  int threads_ = 1;
  uint32_t chunk_size_ = 32;
  uint32_t mif_ = 256;  // records in flight at most
  uint64_t next_seq_ = 0;
  uint64_t next_order_ = 0;
  bool source_done_ = false;
  std::vector<std::vector<flow::receiver<Chunk*>*>> join_tags_;
  // Sinks hand finished chunks back to the source with their records and payload buffers, so that
  // steady-state reading allocates nothing. Bounded by the chunks the limiter lets live.
  tbb::concurrent_queue<Chunk*> free_chunks_;
  void destroy(Chunk* c);
  uint32_t idle_reads_ = 0;
  ByteBudget bytes_;  // [pipeline] max_in_flight_bytes
};

void Runner::destroy(Chunk* c) {
  run_.count_live(-static_cast<int64_t>(c->records.size()));
  for (sf_record* r : c->records) run_.delete_record(r);
  for (sf_record* r : c->spare) delete r;  // retired: no longer counted as alive
  delete c;
}

Runner::~Runner() {
  if (run_.callers != nullptr) run_.callers->unbind();
  if (trace_file_ != nullptr) {  // the run stopped before its trace was written
    std::fclose(trace_file_);
    std::remove((options_.trace_path + ".tmp").c_str());
  }
  Chunk* c = nullptr;
  while (free_chunks_.try_pop(c)) destroy(c);
  stages_.clear();  // destroy stage instances (writers that did not finish discard their output)
  for (const ResourceInstance& r : run_.resources)
    if (r.object != nullptr) r.spec->type.type->destroy(r.object);
}

sf_context Runner::context(StageRuntime& st, std::vector<sf_record*>* emitted) {
  sf_context ctx;
  ctx.run = &run_;
  ctx.stage = &st;
  ctx.counters = &st.counters;
  ctx.stage_name = st.spec->name.c_str();
  ctx.plugin = st.spec->plugin.c_str();
  ctx.emitted = emitted;
  ctx.splits = st.splits;
  return ctx;
}

void Runner::fatal(StageRuntime& st, const std::string& reason, uint64_t order) {
  ErrorEntry e;
  e.order = order;
  e.stage = st.spec->name;
  e.plugin = st.spec->plugin;
  e.reason = reason;
  run_.report(std::move(e), true);
}

sf_create_args Runner::create_args(const OwnedValue& params, const std::string& name,
                                   sf_create_context* ctx) {
  sf_create_args a{};
  a.struct_size = sizeof(a);
  a.params = params.root();
  a.ctx = ctx;
  a.stage_name = name.c_str();
  a.pipeline_dir = spec_.dir.c_str();
  a.intra_op_threads = 1;
  a.shard_count = 1;
  a.shard_by = SF_SHARD_RECORD;
  return a;
}

void* Runner::create_resource(const ResourceSpec& r) {
  create_ctx_.owner = "resource '" + r.name + "' (" + r.plugin + ")";
  sf_create_args a = create_args(r.params, r.name, &create_ctx_);
  sf_error err{};
  err.struct_size = sizeof(err);
  void* obj = nullptr;
  if (r.type.type->create(&a, &obj, &err) != SF_OK || obj == nullptr) {
    const std::string message = err.message[0] != 0 ? err.message : "create() failed without a message";
    // Only the plugin's own answer moves a resource's error off its [resources.X] header: resource messages
    // name layers and tensors ("layers[1].kernel_size"), which the message heuristics would misread.
    const std::string blamed =
        blamed_parameter("", err.param, r.type.type->params, r.type.type->num_params, nullptr);
    throw ResourceError(create_failure_position(blamed, r.param_pos, r.pos).str() +
                        ": error: " + create_ctx_.owner + ": " + message);
  }
  return obj;
}

void Runner::check_resources() {
  create_ctx_.run = &run_;
  for (const ResourceSpec& r : spec_.resources) r.type.type->destroy(create_resource(r));
}

void Runner::check_creation() {
  const std::string why = check_source_shards(spec_, options_.shard_by, options_.shard_count);
  if (!why.empty()) throw ResourceError(why);
  try {
    prepare(true);
  } catch (const StageCreateError& e) {
    throw ResourceError(e.pos().str() + ": error: " + e.what());
  }
}

void Runner::prepare(bool validating) {
  threads_ = options_.threads >= 0 ? options_.threads : spec_.threads;
  if (threads_ <= 0) threads_ = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // Unless the file sets it, the bound grows with the threads so that each has records to work on.
  mif_ = effective_max_in_flight(spec_, threads_);
  // At least four chunks per thread in flight, so that no worker waits for one (a fixed eight chunks
  // left all but eight of sixteen threads idle); at most 64 records per chunk.
  chunk_size_ =
      std::clamp<uint32_t>(mif_ / std::max<uint32_t>(8, 4u * static_cast<uint32_t>(threads_)), 1, 64);

  run_.spec = &spec_;
  if (options_.callers) {
    run_.callers = options_.callers.get();
    run_.callers->bind(&run_);
  }
  run_.skipped.open(spec_.error_log);
  run_.num_slots = spec_.fields.size();
  for (size_t i = 0; i < spec_.fields.size(); ++i) run_.slots[spec_.fields[i].name] = static_cast<int32_t>(i);
  run_.id_slot = run_.slots.count("id") ? run_.slots["id"] : 0;

  create_ctx_.run = &run_;
  for (const ResourceSpec& r : spec_.resources)
    run_.resources.push_back(ResourceInstance{&r, create_resource(r)});

  for (size_t i = 0; i < spec_.stages.size(); ++i) {
    auto st = std::make_unique<StageRuntime>();
    const StageSpec& s = spec_.stages[i];
    st->spec = &s;
    st->comp = s.component.component;
    st->index = i;
    st->splits = (st->comp->flags & SF_FLAG_SPLITS) != 0;
    if (s.batch.size > 0) {
      if (st->splits)
        throw std::runtime_error("stage '" + s.name + "': batch is not supported for a splitting component");
      std::string lf = s.batch.length_field;
      if (s.batch.by_length && !lf.empty()) {
        auto it = run_.slots.find(lf);
        if (it == run_.slots.end())
          throw std::runtime_error("stage '" + s.name + "': unknown batch.length_field '" + lf + "'");
        st->length_slot = it->second;
      }
      // Groups span whole chunks; the larger the group, the fewer short batches at group ends (and the
      // better the length sorting), bounded by half the records allowed in flight.
      st->window = std::max(s.batch.size, std::min(s.batch.size * 8, mif_ / 2));
    }
    st->create_ctx.run = &run_;
    st->create_ctx.owner = "stage '" + s.name + "' (" + s.plugin + ")";
    st->create_ctx.stage = s.name;
    sf_create_args a = create_args(s.params, s.name, &st->create_ctx);
    if (st->comp->kind == SF_SOURCE && options_.shard_by != ShardBy::kRecord) {
      a.shard_index = options_.shard_index;
      a.shard_count = options_.shard_count;
      a.shard_by = options_.shard_by == ShardBy::kFile ? SF_SHARD_FILE : SF_SHARD_BYTES;
    }
    bool shared =
        (st->comp->flags & SF_FLAG_THREAD_SAFE) != 0 || s.concurrency == 1 || st->comp->kind != SF_TRANSFORM;
    st->pool.init(st->comp, a, shared);
    // Create up front what the run will use, so that bad parameters fail before any record moves.
    int want = shared || validating ? 1 : (s.concurrency == 0 ? threads_ : std::min(s.concurrency, threads_));
    std::vector<void*> made;
    for (int k = 0; k < want; ++k) {
      try {
        made.push_back(st->pool.create());
      } catch (const CreateFailure& e) {
        const std::string blamed =
            blamed_parameter(e.what(), e.param(), st->comp->params, st->comp->num_params, s.params.root());
        throw StageCreateError(create_failure_position(blamed, s.param_pos, s.pos),
                               st->create_ctx.owner + ": " + e.what());
      }
    }
    if (!shared)
      for (void* p : made) st->pool.release(p);
    stages_.push_back(std::move(st));
  }
  for (size_t i = 0; i < spec_.stages.size(); ++i)
    for (size_t in : spec_.stages[i].inputs) stages_[in]->successors.push_back(i);

  // Joins: each branch contributes the fields written by stages that only it contains.
  for (size_t i = 0; i < spec_.stages.size(); ++i) {
    const StageSpec& s = spec_.stages[i];
    if (s.inputs.size() < 2) continue;
    std::vector<std::set<size_t>> anc(s.inputs.size());
    for (size_t b = 0; b < s.inputs.size(); ++b) {
      std::vector<size_t> frontier{s.inputs[b]};
      while (!frontier.empty()) {
        size_t x = frontier.back();
        frontier.pop_back();
        if (!anc[b].insert(x).second) continue;
        for (size_t p : spec_.stages[x].inputs) frontier.push_back(p);
      }
    }
    for (size_t b = 0; b < s.inputs.size(); ++b) {
      std::set<int32_t> slots;
      for (size_t x : anc[b]) {
        bool common = true;
        for (size_t o = 0; o < s.inputs.size(); ++o) common = common && anc[o].count(x) > 0;
        if (common) continue;
        for (const FieldUse& w : spec_.stages[x].writes) slots.insert(run_.slots[w.name]);
      }
      stages_[i]->branch_slots.emplace_back(slots.begin(), slots.end());
    }
  }
}

void Runner::call(StageRuntime& st, sf_record* const* recs, uint32_t n, std::vector<sf_record*>& emitted) {
  sf_context ctx = context(st, &emitted);
  sf_error err;
  err.struct_size = sizeof(err);
  err.message[0] = 0;
  void* inst = nullptr;
  try {
    inst = st.pool.acquire();
  } catch (const std::exception& e) {
    fatal(st, e.what());
    return;
  }
  auto t0 = Clock::now();
  sf_status s = st.comp->process(inst, &ctx, recs, n, &err);
  auto t1 = Clock::now();
  st.pool.release(inst);
  trace(st, t0, t1, n);
  st.counters.busy_ns.fetch_add(static_cast<uint64_t>((t1 - t0).count()), std::memory_order_relaxed);
  st.counters.calls.fetch_add(1, std::memory_order_relaxed);
  if (s != SF_OK) {
    std::string msg = err.message[0] != 0 ? err.message : "process() failed without a message";
    for (uint32_t i = 0; i < n; ++i) PluginHost::host_table()->record_fail(&ctx, recs[i], msg.c_str());
  }
}

Chunk* Runner::produce(tbb::flow_control& fc) {
  if (source_done_) {
    fc.stop();
    return nullptr;
  }
  StageRuntime& st = *stages_[0];
  Chunk* c = nullptr;
  if (free_chunks_.try_pop(c)) handoff_acquire(c);
  else c = new Chunk();
  c->seq = next_seq_++;
  c->last = false;
  c->ticket = new Ticket();
  sf_context ctx = context(st, &c->records);
  ctx.source_order = &next_order_;
  ctx.spare = &c->spare;
  void* inst = st.pool.acquire();
  auto t0 = Clock::now();
  uint64_t chunk_bytes = 0;
  uint64_t per_record = 0;  // under a byte budget: the last record's bytes, to size the next request
  while (c->records.size() < chunk_size_) {
    if (run_.cancelled.load(std::memory_order_relaxed)) {
      source_done_ = true;
      break;
    }
    size_t before = c->records.size();
    sf_error err;
    err.struct_size = sizeof(err);
    err.message[0] = 0;
    uint32_t want = chunk_size_ - static_cast<uint32_t>(before);
    // Under a byte budget, one record first, then as many as the last one's size says fit the chunk.
    if (bytes_.enabled())
      want = per_record == 0
                 ? 1
                 : static_cast<uint32_t>(std::clamp<uint64_t>(
                       (bytes_.chunk_target() - std::min(chunk_bytes, bytes_.chunk_target())) / per_record, 1,
                       want));
    sf_status s = st.comp->read(inst, &ctx, want, &err);
    const bool got = c->records.size() > before;
    if (options_.shard_count > 1 && options_.shard_by == ShardBy::kRecord) keep_shard(c, before);
    if (bytes_.enabled()) {
      for (size_t i = before; i < c->records.size(); ++i) {
        per_record = std::max<uint64_t>(1, ByteBudget::record_bytes(c->records[i]));
        chunk_bytes += per_record;
      }
    }
    if (s == SF_END) {
      source_done_ = true;
      break;
    }
    if (s != SF_OK) {
      fatal(st, err.message[0] != 0 ? err.message : "read() failed without a message", next_order_);
      source_done_ = true;
      break;
    }
    if (!got) {
      // A source that keeps returning nothing would spin for ever.
      if (++idle_reads_ > 100000) {
        fatal(st, "the source returned no records and no end of input 100000 times in a row", next_order_);
        source_done_ = true;
      }
      break;
    }
    idle_reads_ = 0;
    if (bytes_.enabled() && chunk_bytes >= bytes_.chunk_target()) break;
  }
  if (bytes_.enabled()) {
    c->ticket->bytes = chunk_bytes;
    if (const size_t credits = bytes_.admit(chunk_bytes))
      limiter_->decrementer().try_put(static_cast<long long>(credits));
  }
  const auto t1 = Clock::now();
  trace(st, t0, t1, c->records.size());
  st.counters.busy_ns.fetch_add(static_cast<uint64_t>((t1 - t0).count()), std::memory_order_relaxed);
  st.counters.calls.fetch_add(1, std::memory_order_relaxed);
  st.counters.in.fetch_add(c->records.size(), std::memory_order_relaxed);
  st.counters.out.fetch_add(c->records.size(), std::memory_order_relaxed);
  run_.count_live(static_cast<int64_t>(c->records.size()));
  c->last = source_done_;
  return c;
}

void Runner::keep_shard(Chunk* c, size_t from) {
  size_t kept = from;
  for (size_t i = from; i < c->records.size(); ++i) {
    sf_record* r = c->records[i];
    if (r->order % options_.shard_count == options_.shard_index) {
      c->records[kept++] = r;
    } else {
      run_.retire_record(r);
      c->spare.push_back(r);
    }
  }
  c->records.resize(kept);
}

void Runner::trace(const StageRuntime& st, Clock::time_point t0, Clock::time_point t1, size_t records) {
  if (trace_events_.empty() || trace_count_.fetch_add(1, std::memory_order_relaxed) >= kMaxTraceEvents)
    return;
  const int slot = tbb::this_task_arena::current_thread_index() + 1;  // 0: a thread outside the arena
  if (slot < 0 || static_cast<size_t>(slot) >= trace_events_.size()) return;
  trace_events_[static_cast<size_t>(slot)].push_back(TraceEvent{static_cast<uint32_t>(st.index),
                                                                static_cast<uint32_t>(records),
                                                                (t0 - trace_t0_).count(), (t1 - t0).count()});
}

// Chrome's trace-event format (chrome://tracing, ui.perfetto.dev): a complete event ("ph": "X") per
// stage call on the thread that made it, times in microseconds from the start of the run.
void Runner::write_trace(RunResult& result) {
  const std::string tmp = options_.trace_path + ".tmp";
  std::FILE* f = trace_file_;
  trace_file_ = nullptr;
  auto quoted = [](const std::string& s) { return nlohmann::json(s).dump(); };
  std::fprintf(f, "{\"displayTimeUnit\": \"ms\", \"otherData\": {\"pipeline\": %s, \"threads\": %d",
               quoted(spec_.name).c_str(), threads_);
  const uint64_t total = trace_count_.load();
  if (total > kMaxTraceEvents)
    std::fprintf(f, ", \"events_dropped\": %llu", static_cast<unsigned long long>(total - kMaxTraceEvents));
  std::fprintf(f, "},\n\"traceEvents\": [\n");
  bool first = true;
  for (size_t slot = 0; slot < trace_events_.size(); ++slot) {
    if (trace_events_[slot].empty()) continue;
    std::fprintf(
        f, "%s{\"ph\": \"M\", \"name\": \"thread_name\", \"pid\": 1, \"tid\": %zu, \"args\": {\"name\": %s}}",
        first ? "" : ",\n", slot,
        quoted(slot == 0 ? std::string("outside the arena") : "worker " + std::to_string(slot - 1)).c_str());
    first = false;
    for (const TraceEvent& e : trace_events_[slot]) {
      const StageRuntime& st = *stages_[e.stage];
      std::fprintf(f,
                   ",\n{\"ph\": \"X\", \"name\": %s, \"cat\": %s, \"pid\": 1, \"tid\": %zu, \"ts\": %.3f, "
                   "\"dur\": %.3f, \"args\": {\"records\": %u}}",
                   quoted(st.spec->name).c_str(), quoted(st.spec->plugin).c_str(), slot,
                   static_cast<double>(e.start_ns) / 1e3, static_cast<double>(e.dur_ns) / 1e3, e.records);
    }
  }
  std::fprintf(f, "\n]}\n");
  const bool ok = std::ferror(f) == 0;
  if (std::fclose(f) != 0 || !ok || std::rename(tmp.c_str(), options_.trace_path.c_str()) != 0) {
    std::remove(tmp.c_str());
    if (result.ok) result.error = "cannot write the trace " + options_.trace_path;
    result.ok = false;
  }
}

Chunk* Runner::transform(StageRuntime& st, Chunk* c) {
  if (run_.cancelled.load(std::memory_order_relaxed)) return c;
  std::vector<sf_record*> alive = alive_records(c->records);
  if (alive.empty()) return c;
  st.counters.in.fetch_add(alive.size(), std::memory_order_relaxed);
  std::vector<sf_record*> emitted;
  call(st, alive.data(), static_cast<uint32_t>(alive.size()), emitted);
  if (st.splits) {
    run_.count_live(static_cast<int64_t>(emitted.size()) - static_cast<int64_t>(c->records.size()));
    for (sf_record* r : c->records) run_.delete_record(r);
    c->records = std::move(emitted);
    st.counters.out.fetch_add(c->records.size(), std::memory_order_relaxed);
    return c;
  }
  if (!emitted.empty()) {
    for (sf_record* r : emitted) run_.delete_record(r);
    fatal(st, "the component emitted new records but does not declare SF_FLAG_SPLITS");
    return c;
  }
  uint64_t out = 0;
  for (sf_record* r : alive) out += is_alive(r);
  st.counters.out.fetch_add(out, std::memory_order_relaxed);
  return c;
}

Group* Runner::transform_group(StageRuntime& st, Group* g) {
  if (run_.cancelled.load(std::memory_order_relaxed)) return g;
  std::vector<sf_record*> recs;
  for (Chunk* c : g->chunks)
    for (sf_record* r : c->records)
      if (is_alive(r)) recs.push_back(r);
  if (recs.empty()) return g;
  if (st.length_slot >= 0) {
    auto length = [&](const sf_record* r) -> int64_t {
      const FieldValue& f = r->fields[static_cast<size_t>(st.length_slot)];
      if (f.type == SF_FIELD_TENSOR) return f.blob->ndim > 0 ? f.blob->shape[0] : 1;
      if (f.type == SF_FIELD_STRING || f.type == SF_FIELD_BYTES) return f.i;
      return 0;
    };
    std::stable_sort(recs.begin(), recs.end(),
                     [&](const sf_record* a, const sf_record* b) { return length(a) < length(b); });
  }
  st.counters.in.fetch_add(recs.size(), std::memory_order_relaxed);
  std::vector<sf_record*> emitted;
  uint32_t size = st.spec->batch.size;
  for (size_t i = 0; i < recs.size(); i += size) {
    uint32_t n = static_cast<uint32_t>(std::min<size_t>(size, recs.size() - i));
    call(st, recs.data() + i, n, emitted);
  }
  for (sf_record* r : emitted) run_.delete_record(r);
  if (!emitted.empty()) fatal(st, "the component emitted new records but does not declare SF_FLAG_SPLITS");
  uint64_t out = 0;
  for (sf_record* r : recs) out += is_alive(r);
  st.counters.out.fetch_add(out, std::memory_order_relaxed);
  return g;
}

void Runner::consume(StageRuntime& st, Chunk* c) {
  if (!run_.cancelled.load(std::memory_order_relaxed)) {
    std::vector<sf_record*> alive = alive_records(c->records);
    if (!alive.empty()) {
      st.counters.in.fetch_add(alive.size(), std::memory_order_relaxed);
      std::vector<sf_record*> emitted;
      call(st, alive.data(), static_cast<uint32_t>(alive.size()), emitted);
      for (sf_record* r : emitted) run_.delete_record(r);
      uint64_t out = 0;
      for (sf_record* r : alive) out += is_alive(r);
      st.counters.out.fetch_add(out, std::memory_order_relaxed);
    }
  }
  release(c);
}

void Runner::release(Chunk* c) {
  run_.count_live(-static_cast<int64_t>(c->records.size()));
  for (sf_record* r : c->records) {
    run_.retire_record(r);
    c->spare.push_back(r);
  }
  c->records.clear();
  Ticket* t = c->ticket;
  c->ticket = nullptr;
  // Recycle before returning the credit, so the source finds the chunk when it may produce again.
  handoff_release(c);
  free_chunks_.push(c);
  if (t->pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    const size_t credits = bytes_.enabled() ? bytes_.release(t->bytes) : 1;
    delete t;
    if (credits > 0) limiter_->decrementer().try_put(static_cast<long long>(credits));
  }
}

Chunk* Runner::merge(StageRuntime& st, std::vector<Chunk*>& parts) {
  Chunk* base = parts[0];
  for (size_t b = 1; b < parts.size(); ++b) {
    Chunk* other = parts[b];
    if (other->records.size() != base->records.size()) {
      fatal(st, "branches delivered different record counts to a join");
    } else {
      for (size_t i = 0; i < base->records.size(); ++i) {
        sf_record* dst = base->records[i];
        const sf_record* src = other->records[i];
        for (int32_t slot : st.branch_slots[b])
          dst->fields[static_cast<size_t>(slot)] = src->fields[static_cast<size_t>(slot)];
        if (is_alive(dst) && !is_alive(src)) dst->state = src->state;
      }
    }
    other->ticket->pending.fetch_sub(1, std::memory_order_acq_rel);  // base still holds the ticket
    destroy(other);
  }
  return base;
}

void Runner::build(flow::graph& g) {
  auto own = [&](auto* node) {
    nodes_.emplace_back(node);
    return node;
  };
  // The input_node holds one produced chunk besides those the limiter admitted.
  size_t max_chunks = std::max<size_t>(1, mif_ / chunk_size_ - 1);
  size_t batchers = 0;
  for (const auto& st : stages_) batchers += st->spec->batch.size > 0;
  bytes_.init(spec_.max_in_flight_bytes, max_chunks, std::min(max_chunks, kBudgetBatchChunks * batchers + 2));

  auto* source = own(new flow::input_node<Chunk*>(g, [this](tbb::flow_control& fc) {
    Chunk* c = produce(fc);
    handoff_release(c);
    return c;
  }));
  limiter_ = own(new flow::limiter_node<Chunk*, long long>(g, max_chunks));
  // A negative decrement takes credits: those the byte budget hands out only as chunks are seen to fit.
  if (bytes_.initial_withheld() > 0)
    limiter_->decrementer().try_put(-static_cast<long long>(bytes_.initial_withheld()));
  flow::make_edge(*source, *limiter_);

  auto seq_of = [](Chunk* const& c) -> size_t {
    handoff_acquire(c);
    return c->seq;
  };
  std::vector<flow::sender<Chunk*>*> exits(stages_.size(), nullptr);
  std::vector<flow::receiver<Chunk*>*> entries(stages_.size(), nullptr);
  exits[0] = limiter_;
  join_tags_.assign(stages_.size(), {});

  for (size_t i = 1; i < stages_.size(); ++i) {
    StageRuntime& st = *stages_[i];
    const StageSpec& s = *st.spec;
    size_t conc = s.concurrency == 0 ? size_t{flow::unlimited} : static_cast<size_t>(s.concurrency);
    if (st.comp->kind == SF_SINK) {
      auto* seq = own(new flow::sequencer_node<Chunk*>(g, seq_of));
      auto* sink =
          own(new flow::function_node<Chunk*, flow::continue_msg>(g, flow::serial, [this, &st](Chunk* c) {
            handoff_acquire(c);
            handoff_acquire(&st);  // a serial node's calls may run on different threads
            consume(st, c);
            handoff_release(&st);
            return flow::continue_msg();
          }));
      flow::make_edge(*seq, *sink);
      entries[i] = seq;
    } else if (s.batch.size > 0) {
      using Batcher = flow::multifunction_node<Chunk*, std::tuple<Group*>>;
      using Unbatcher = flow::multifunction_node<Group*, std::tuple<Chunk*>>;
      auto* seq = own(new flow::sequencer_node<Chunk*>(g, seq_of));
      auto* batcher =
          own(new Batcher(g, flow::serial, [this, &st](Chunk* c, Batcher::output_ports_type& ports) {
            handoff_acquire(c);
            handoff_acquire(&st);
            for (sf_record* r : c->records) st.pending_records += is_alive(r);
            st.pending.push_back(c);
            if (st.pending_records >= st.window || c->last ||
                (bytes_.enabled() && st.pending.size() >= kBudgetBatchChunks)) {
              auto* grp = new Group{std::move(st.pending)};
              st.pending.clear();
              st.pending_records = 0;
              handoff_release(grp);
              handoff_release(&st);
              std::get<0>(ports).try_put(grp);
              return;
            }
            handoff_release(&st);
          }));
      auto* work = own(new flow::function_node<Group*, Group*>(
          g, conc, [this, &st](Group* grp) {
            handoff_acquire(grp);
            Group* out = transform_group(st, grp);
            handoff_release(out);
            return out;
          }));
      auto* unbatch =
          own(new Unbatcher(g, flow::unlimited, [](Group* grp, Unbatcher::output_ports_type& ports) {
            handoff_acquire(grp);
            for (Chunk* c : grp->chunks) {
              handoff_release(c);
              std::get<0>(ports).try_put(c);
            }
            delete grp;
          }));
      flow::make_edge(*seq, *batcher);
      flow::make_edge(flow::output_port<0>(*batcher), *work);
      flow::make_edge(*work, *unbatch);
      entries[i] = seq;
      exits[i] = &flow::output_port<0>(*unbatch);
    } else {
      bool ordered = conc == 1 || (st.comp->flags & SF_FLAG_SERIAL) != 0;
      auto* fn = own(new flow::function_node<Chunk*, Chunk*>(
          g, ordered ? size_t{flow::serial} : conc, [this, &st](Chunk* c) {
            handoff_acquire(c);
            handoff_acquire(&st);
            Chunk* out = transform(st, c);
            handoff_release(out);
            handoff_release(&st);
            return out;
          }));
      if (ordered) {
        auto* seq = own(new flow::sequencer_node<Chunk*>(g, seq_of));
        flow::make_edge(*seq, *fn);
        entries[i] = seq;
      } else {
        entries[i] = fn;
      }
      exits[i] = fn;
    }
    // Joins merge the chunk copies of every input branch before the stage sees them.
    if (s.inputs.size() > 1) {
      using Join = flow::multifunction_node<Tagged, std::tuple<Chunk*>>;
      size_t k = s.inputs.size();
      auto* join =
          own(new Join(g, flow::unlimited, [this, &st, k](const Tagged& t, Join::output_ports_type& ports) {
            handoff_acquire(t.second);
            std::vector<Chunk*> parts;
            {
              std::lock_guard lock(st.join_mu);
              std::vector<Chunk*>& slot = st.join_wait[t.second->seq];
              if (slot.empty()) slot.assign(k, nullptr);
              slot[t.first] = t.second;
              if (std::count(slot.begin(), slot.end(), nullptr) > 0) return;
              parts = std::move(slot);
              st.join_wait.erase(t.second->seq);
            }
            Chunk* merged = merge(st, parts);
            handoff_release(merged);
            std::get<0>(ports).try_put(merged);
          }));
      flow::make_edge(flow::output_port<0>(*join), *entries[i]);
      for (size_t b = 0; b < k; ++b) {
        auto* tag = own(new flow::function_node<Chunk*, Tagged>(g, flow::unlimited, [b](Chunk* c) {
          return Tagged{b, c};
        }));
        flow::make_edge(*tag, *join);
        join_tags_[i].push_back(tag);
      }
    }
  }

  // Edges. A stage with several successors hands each one its own copy of the chunk.
  for (size_t i = 0; i < stages_.size(); ++i) {
    StageRuntime& st = *stages_[i];
    std::vector<flow::receiver<Chunk*>*> targets;
    for (size_t succ : st.successors) {
      const std::vector<size_t>& ins = spec_.stages[succ].inputs;
      if (ins.size() > 1) {
        size_t b = static_cast<size_t>(std::find(ins.begin(), ins.end(), i) - ins.begin());
        targets.push_back(join_tags_[succ][b]);
      } else {
        targets.push_back(entries[succ]);
      }
    }
    if (targets.size() == 1) {
      flow::make_edge(*exits[i], *targets[0]);
    } else if (targets.size() > 1) {
      size_t k = targets.size();
      auto* fork = own(new flow::function_node<Chunk*, ForkCopies>(g, flow::unlimited, [this, k](Chunk* c) {
        handoff_acquire(c);
        auto copies = std::make_shared<std::vector<Chunk*>>(k, nullptr);
        (*copies)[0] = c;
        c->ticket->pending.fetch_add(static_cast<int32_t>(k - 1), std::memory_order_acq_rel);
        run_.count_live(static_cast<int64_t>((k - 1) * c->records.size()));
        for (size_t b = 1; b < k; ++b) {
          auto* copy = new Chunk();
          copy->seq = c->seq;
          copy->last = c->last;
          copy->ticket = c->ticket;
          copy->records.reserve(c->records.size());
          for (sf_record* r : c->records) {
            sf_record* x = run_.new_record(r);
            x->state = r->state;
            copy->records.push_back(x);
          }
          (*copies)[b] = copy;
        }
        for (Chunk* x : *copies) handoff_release(x);
        handoff_release(copies.get());
        return copies;
      }));
      flow::make_edge(*exits[i], *fork);
      for (size_t b = 0; b < k; ++b) {
        auto* pick = own(new flow::function_node<ForkCopies, Chunk*>(
            g, flow::unlimited, [b](const ForkCopies& v) {
              handoff_acquire(v.get());
              return (*v)[b];
            }));
        flow::make_edge(*fork, *pick);
        flow::make_edge(*pick, *targets[b]);
      }
    }
  }
  source->activate();
}

void Runner::write_error_log(RunResult& result) {
  const std::string why = run_.skipped.finish();
  if (!why.empty()) {
    result.ok = false;
    result.error = why;
  }
}

RunResult Runner::run() {
  RunResult result;
  auto t0 = Clock::now();
  double cpu0 = cpu_seconds_now();
  if (options_.shard_count == 0 || options_.shard_index >= options_.shard_count) {
    result.error = "shard " + std::to_string(options_.shard_index) + "/" +
                   std::to_string(options_.shard_count) +
                   " does not exist: the index is 0-based and below the count (shards 0/N .. N-1/N)";
    result.invalid = true;
    return result;
  }
  if (std::string why = check_source_shards(spec_, options_.shard_by, options_.shard_count); !why.empty()) {
    result.error = why;
    result.invalid = true;
    return result;
  }
  if (!options_.trace_path.empty()) {
    // Opened before anything runs, so that a trace that cannot be written stops the run, not its end.
    trace_file_ = std::fopen((options_.trace_path + ".tmp").c_str(), "wb");
    if (trace_file_ == nullptr) {
      result.error = "cannot write the trace '" + options_.trace_path + "': " + std::strerror(errno) +
                     "; check that its folder exists and is writable";
      result.invalid = true;
      return result;
    }
  }
  try {
    prepare();
  } catch (const ResourceError& e) {
    result.error = e.what();
    result.invalid = true;
    result.threads = threads_;
    return result;
  } catch (const StageCreateError& e) {
    result.error = e.what();
    result.error_at = e.pos().str();
    result.threads = threads_;
    return result;
  } catch (const std::exception& e) {
    result.error = e.what();
    result.threads = threads_;
    return result;
  }
  result.threads = threads_;

  std::atomic<bool> done{false};
  std::mutex progress_mu;
  std::condition_variable progress_cv;
  std::thread progress;
  if (options_.progress) {
    progress = std::thread([&] {
      std::unique_lock lock(progress_mu);
      while (!progress_cv.wait_for(lock, std::chrono::milliseconds(500), [&] { return done.load(); })) {
        double secs = std::chrono::duration<double>(Clock::now() - t0).count();
        uint64_t n = stages_[0]->counters.out.load();
        std::fprintf(stderr, "\rseqflow: %llu records read, %.0f records/s, %.1f s elapsed   ",
                     static_cast<unsigned long long>(n), secs > 0 ? static_cast<double>(n) / secs : 0.0,
                     secs);
        std::fflush(stderr);
      }
    });
  }

  // A source that waits for the embedding program gets a slot of its own: with a single thread, its wait
  // would otherwise hold the only worker while the records already read sit unprocessed.
  const int slots = threads_ + (run_.callers != nullptr && run_.callers->input_stage() == 0 ? 1 : 0);
  // An explicit thread count above the machine's cores is honoured (TBB caps its workers at the
  // core count otherwise): stages that wait (I/O, sleeps) gain from it.
  std::optional<tbb::global_control> oversubscribe;
  if (slots > static_cast<int>(tbb::info::default_concurrency()))
    oversubscribe.emplace(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(slots));
  if (!options_.trace_path.empty()) {
    trace_events_.resize(static_cast<size_t>(threads_) + 1);
    trace_t0_ = Clock::now();
  }
  InterruptScope interrupt(run_.cancelled);
  ArenaLease lease(slots);
  lease.arena().execute([&] {
    flow::graph g;
    build(g);
    g.wait_for_all();
    nodes_.clear();
  });

  if (progress.joinable()) {
    {
      std::lock_guard lock(progress_mu);
      done = true;
    }
    progress_cv.notify_all();
    progress.join();
    std::fprintf(stderr, "\n");
  }
  return finish_run(std::chrono::duration<double>(Clock::now() - t0).count(), cpu0);
}

RunResult Runner::finish_run(double wall, double cpu0) {
  RunResult result;
  result.threads = threads_;
  result.ok = run_.failures.empty();
  result.interrupted_by = interrupt_signal();
  if (result.interrupted_by != 0) {
    result.ok = false;
    result.error = std::string("interrupted by ") + (result.interrupted_by == SIGINT ? "SIGINT" : "SIGTERM") +
                   ": the run stopped and wrote no output (rerun it to produce them)";
  } else if (!result.ok) {
    auto first = std::min_element(
        run_.failures.begin(), run_.failures.end(),
        [](const auto& a, const auto& b) { return std::tie(a.order, a.seq) < std::tie(b.order, b.seq); });
    result.error = "stage '" + first->stage + "' (" + first->plugin + ")";
    result.error_stage = first->stage;
    result.error_plugin = first->plugin;
    result.error_record = first->record_id;
    result.error_reason = first->where.empty() ? first->reason : first->where + ": " + first->reason;
    if (!first->record_id.empty()) result.error += " record '" + first->record_id + "'";
    if (!first->where.empty()) result.error += " at " + first->where;
    result.error += ": " + first->reason;
  } else {
    // Commit: writers rename their temporary files only once every record got through.
    for (auto& st : stages_) {
      for (void* inst : st->pool.all()) {
        sf_context ctx = context(*st, nullptr);
        sf_error err;
        err.struct_size = sizeof(err);
        err.message[0] = 0;
        if (st->comp->finish != nullptr && st->comp->finish(inst, &ctx, &err) != SF_OK && result.ok) {
          result.ok = false;
          result.error = "stage '" + st->spec->name + "' (" + st->spec->plugin + "): " + err.message;
        }
      }
    }
  }
  write_error_log(result);
  if (!options_.trace_path.empty()) write_trace(result);
  for (auto& st : stages_) {
    StageSummary s;
    s.name = st->spec->name;
    s.plugin = st->spec->plugin;
    s.in = st->counters.in.load();
    s.out = st->counters.out.load();
    s.filtered = st->counters.filtered.load();
    s.skipped = st->counters.skipped.load();
    s.busy_seconds = static_cast<double>(st->counters.busy_ns.load()) * 1e-9;
    s.calls = st->counters.calls.load();
    result.stages.push_back(s);
  }
  result.peak_live_records = static_cast<uint64_t>(run_.peak_live_records.load());
  result.peak_live_bytes = bytes_.peak();
  result.max_in_flight_bytes = spec_.max_in_flight_bytes;
  result.max_in_flight = mif_;
  result.shard_index = options_.shard_index;
  result.shard_count = options_.shard_count;
  result.shard_by = options_.shard_by;
  result.wall_seconds = wall;
  result.cpu_seconds = cpu_seconds_now() - cpu0;
  if (result.ok && run_.live_records.load() != 0) {
    result.ok = false;
    result.error =
        "internal error: " + std::to_string(run_.live_records.load()) + " records were lost in the graph";
  }
  return result;
}

}  // namespace seqflow::engine

namespace seqflow {

namespace {

void print_summary(const RunResult& r) {
  std::fprintf(stderr, "%-16s %-20s %12s %12s %10s %10s %9s %12s\n", "stage", "plugin", "in", "out",
               "filtered", "skipped", "busy_s", "records/s");
  for (const StageSummary& s : r.stages) {
    double rate = s.busy_seconds > 0 ? static_cast<double>(s.in) / s.busy_seconds : 0;
    std::fprintf(stderr, "%-16s %-20s %12llu %12llu %10llu %10llu %9.3f %12.0f\n", s.name.c_str(),
                 s.plugin.c_str(), static_cast<unsigned long long>(s.in),
                 static_cast<unsigned long long>(s.out), static_cast<unsigned long long>(s.filtered),
                 static_cast<unsigned long long>(s.skipped), s.busy_seconds, rate);
  }
  std::fprintf(stderr, "%.3f s wall, %.3f s cpu, %d threads, peak %llu records in flight\n", r.wall_seconds,
               r.cpu_seconds, r.threads, static_cast<unsigned long long>(r.peak_live_records));
}

void write_stats(const std::string& path, const engine::PipelineSpec& spec, const RunResult& r,
                 const nlohmann::ordered_json& provenance) {
  nlohmann::ordered_json j;
  j["pipeline"] = spec.name;
  j["file"] = spec.file;
  j["ok"] = r.ok;
  if (!r.ok) j["error"] = r.error;
  j["threads"] = r.threads;
  j["max_in_flight"] = r.max_in_flight;
  if (r.shard_count > 1) j["shard"] = std::to_string(r.shard_index) + "/" + std::to_string(r.shard_count);
  if (r.shard_count > 1) j["shard_by"] = engine::shard_by_name(r.shard_by);
  j["peak_live_records"] = r.peak_live_records;
  if (r.max_in_flight_bytes > 0) {
    j["max_in_flight_bytes"] = r.max_in_flight_bytes;
    j["peak_live_bytes"] = r.peak_live_bytes;
  }
  j["bytes_read"] = r.bytes_read;
  j["wall_seconds"] = r.wall_seconds;
  j["cpu_seconds"] = r.cpu_seconds;
  nlohmann::ordered_json stages = nlohmann::ordered_json::array();
  for (const StageSummary& s : r.stages) {
    nlohmann::ordered_json x;
    x["name"] = s.name;
    x["plugin"] = s.plugin;
    x["in"] = s.in;
    x["out"] = s.out;
    x["filtered"] = s.filtered;
    x["skipped"] = s.skipped;
    x["busy_seconds"] = s.busy_seconds;
    x["calls"] = s.calls;
    stages.push_back(x);
  }
  j["stages"] = stages;
  j["provenance"] = provenance;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << j.dump(2) << '\n';
  if (!out) throw std::runtime_error("cannot write stats file " + path);
}

}  // namespace

Pipeline::Pipeline(std::unique_ptr<engine::PipelineSpec> spec) : spec_(std::move(spec)) {}
Pipeline::Pipeline(Pipeline&&) noexcept = default;
Pipeline& Pipeline::operator=(Pipeline&&) noexcept = default;
Pipeline::~Pipeline() = default;

Pipeline Pipeline::load(const std::string& path, const std::vector<std::string>& overrides) {
  return Pipeline(std::make_unique<engine::PipelineSpec>(engine::load_pipeline(path, overrides)));
}

RunResult Pipeline::run(const RunOptions& options) const {
  RunResult r;
  engine::RunClock clock;
  clock.start = std::chrono::system_clock::now();
  const uint64_t read_before = engine::process_read_bytes();
  {
    engine::Runner runner(*spec_, options);
    r = runner.run();
  }  // the runner's destructor removes uncommitted output before we report
  clock.end = std::chrono::system_clock::now();
  r.bytes_read = engine::process_read_bytes() - read_before;
  const nlohmann::ordered_json provenance = engine::make_provenance(*spec_, options, r, clock);
  r.provenance_json = provenance.dump();
  // Beside the outputs only when they exist, that is when the run succeeded.
  if (r.ok) {
    const std::string why = engine::write_provenance_files(*spec_, provenance, options.provenance_path);
    if (!why.empty()) {
      r.ok = false;
      r.error = why;
    }
  }
  if (options.print_summary && !r.stages.empty()) print_summary(r);
  if (!options.stats_path.empty()) write_stats(options.stats_path, *spec_, r, provenance);
  return r;
}

void Pipeline::check_resources() const {
  RunOptions options;
  engine::Runner runner(*spec_, options);
  runner.check_resources();
}

void Pipeline::check_creation() const { check_creation(RunOptions{}); }

void Pipeline::check_creation(const RunOptions& options) const {
  engine::Runner runner(*spec_, options);
  runner.check_creation();
}

std::vector<std::string> Pipeline::shard_output_overrides(uint32_t shard_index, uint32_t shard_count) const {
  return engine::shard_output_overrides(*spec_, shard_index, shard_count);
}

std::string Pipeline::graph(const std::string& format) const {
  const auto& stages = spec_->stages;
  std::string out;
  auto fields_of = [](const engine::StageSpec& s) {
    std::string f;
    for (const auto& w : s.writes) f += (f.empty() ? "" : ", ") + w.name;
    return f;
  };
  if (format == "mermaid") {
    out = "flowchart LR\n";
    for (const auto& s : stages) out += "  " + s.name + "[\"" + s.name + "<br/>" + s.plugin + "\"]\n";
    for (const auto& s : stages)
      for (size_t in : s.inputs) {
        std::string label = fields_of(stages[in]);
        out +=
            "  " + stages[in].name + (label.empty() ? " --> " : " -- \"" + label + "\" --> ") + s.name + "\n";
      }
    return out;
  }
  out = "digraph \"" + spec_->name + "\" {\n  rankdir=LR;\n  node [shape=box];\n";
  for (const auto& s : stages) out += "  \"" + s.name + "\" [label=\"" + s.name + "\\n" + s.plugin + "\"];\n";
  for (const auto& s : stages)
    for (size_t in : s.inputs)
      out +=
          "  \"" + stages[in].name + "\" -> \"" + s.name + "\" [label=\"" + fields_of(stages[in]) + "\"];\n";
  out += "}\n";
  return out;
}

}  // namespace seqflow
