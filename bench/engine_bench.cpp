// engine_bench: what the engine costs per record and per stage, next to a hand-written oneTBB graph,
// and how a CPU-bound stage scales from 1 to 2 threads. See bench/README.md for the method and results.
//
// Every engine benchmark runs a real pipeline file through seqflow::Pipeline with the bench-only
// benchkit plugin. Per-stage cost is the time of a pipeline with N pass stages minus that of the same
// pipeline without them (source -> sink), both run in the same iteration so that they see the same
// machine load, divided by N x records. CPU time is the process's (getrusage), so with 2 threads it
// includes both workers.
#include <seqflow/engine.hpp>

#include <benchmark/benchmark.h>
#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/flow_graph.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
namespace flow = tbb::flow;

// Sized so that one run of the largest configuration lasts a few tenths of a second on one core.
constexpr int64_t kPassRecords = 1'000'000;
constexpr int64_t kTbbRecords = 500'000;
constexpr int64_t kSpinRecords = 20'000;
constexpr int64_t kSpinWork = 10'000;
constexpr uint32_t kMaxInFlight = 4096;

struct Cost {
  double wall = 0;
  double cpu = 0;
  Cost& operator+=(const Cost& o) {
    wall += o.wall;
    cpu += o.cpu;
    return *this;
  }
};

double process_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

template <class F>
Cost measure(F&& f) {
  double c0 = process_cpu_seconds();
  auto t0 = std::chrono::steady_clock::now();
  f();
  return Cost{std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
              process_cpu_seconds() - c0};
}

const fs::path& work_dir() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("seqflow_bench_" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

// source -> `middle` x `copies` -> sink, written to a file and loaded once per distinct text.
const seqflow::Pipeline& pipeline(int64_t records, const std::string& middle, int copies) {
  static std::map<std::string, std::unique_ptr<seqflow::Pipeline>> cache;
  std::string toml =
      "[pipeline]\nname = \"bench\"\nmax_in_flight = " + std::to_string(kMaxInFlight) +
      "\n\n[[stage]]\nname = \"gen\"\nplugin = \"benchkit.source\"\ncount = " + std::to_string(records) +
      "\n";
  for (int k = 0; k < copies; ++k)
    toml += "\n[[stage]]\nname = \"s" + std::to_string(k) + "\"\n" + middle + "\n";
  toml +=
      "\n[[stage]]\nname = \"count\"\nplugin = \"benchkit.sink\"\nexpect = " + std::to_string(records) + "\n";
  auto it = cache.find(toml);
  if (it != cache.end()) return *it->second;
  fs::path file = work_dir() / ("pipeline_" + std::to_string(cache.size()) + ".toml");
  std::ofstream(file) << toml;
  auto p = std::make_unique<seqflow::Pipeline>(seqflow::Pipeline::load(file.string()));
  return *cache.emplace(toml, std::move(p)).first->second;
}

// Runs a pipeline; returns false (and tells the benchmark why) when the run failed.
bool run_pipeline(benchmark::State& state, const seqflow::Pipeline& p, int threads, Cost& cost) {
  seqflow::RunOptions options;
  options.threads = threads;
  options.print_summary = false;
  seqflow::RunResult r;
  cost += measure([&] { r = p.run(options); });
  if (!r.ok) state.SkipWithError(("pipeline failed: " + r.error).c_str());
  return r.ok;
}

// Sets the per-record and per-stage counters from the totals of N-stage runs and baseline runs.
void set_stage_counters(benchmark::State& state, const Cost& full, const Cost& base, int64_t records,
                        int stages) {
  double n = static_cast<double>(state.iterations()) * static_cast<double>(records);
  state.counters["ns_rec"] = full.wall / n * 1e9;
  state.counters["cpu_ns_rec"] = full.cpu / n * 1e9;
  state.counters["ns_rec_stage"] = (full.wall - base.wall) / n / stages * 1e9;
  state.counters["cpu_ns_rec_stage"] = (full.cpu - base.cpu) / n / stages * 1e9;
  state.counters["base_cpu_ns_rec"] = base.cpu / n * 1e9;  // source -> sink alone
}

// (a) Engine overhead: `stages` benchkit.pass stages between source and sink.
void BM_SeqflowPass(benchmark::State& state) {
  int stages = static_cast<int>(state.range(0));
  int threads = static_cast<int>(state.range(1));
  const seqflow::Pipeline& base = pipeline(kPassRecords, "", 0);
  const seqflow::Pipeline& full = pipeline(kPassRecords, "plugin = \"benchkit.pass\"", stages);
  Cost base_cost, full_cost;
  for (auto _ : state) {
    state.PauseTiming();
    bool ok = run_pipeline(state, base, threads, base_cost);
    state.ResumeTiming();
    if (!ok || !run_pipeline(state, full, threads, full_cost)) return;
  }
  set_stage_counters(state, full_cost, base_cost, kPassRecords, stages);
}

// (b) The same shape by hand: one heap-allocated record per message, a limiter bounding the records
// in flight, `stages` function_nodes (unlimited or serial) and a serial sink that frees the record
// and gives the limiter its credit back. No ordering, no chunking, no plugin calls.
struct Item {
  int64_t v = 0;
};

Cost run_tbb_graph(int stages, int threads, bool serial, int64_t records, int64_t& received) {
  received = 0;
  tbb::task_arena arena(threads);
  return measure([&] {
    arena.execute([&] {
      flow::graph g;
      int64_t next = 0;
      flow::input_node<Item*> source(g, [&](tbb::flow_control& fc) -> Item* {
        if (next == records) {
          fc.stop();
          return nullptr;
        }
        return new Item{next++};
      });
      flow::limiter_node<Item*> limiter(g, kMaxInFlight);
      std::vector<std::unique_ptr<flow::function_node<Item*, Item*>>> nodes;
      flow::function_node<Item*, flow::continue_msg> sink(g, flow::serial, [&](Item* item) {
        received += item->v >= 0;
        delete item;
        return flow::continue_msg();
      });
      flow::make_edge(source, limiter);
      flow::sender<Item*>* prev = &limiter;
      for (int k = 0; k < stages; ++k) {
        nodes.push_back(std::make_unique<flow::function_node<Item*, Item*>>(
            g, serial ? size_t{flow::serial} : size_t{flow::unlimited}, [](Item* item) {
              item->v += 1;
              return item;
            }));
        flow::make_edge(*prev, *nodes.back());
        prev = nodes.back().get();
      }
      flow::make_edge(*prev, sink);
      flow::make_edge(sink, limiter.decrementer());
      source.activate();
      g.wait_for_all();
    });
  });
}

template <bool kSerial>
void BM_TbbGraph(benchmark::State& state) {
  int stages = static_cast<int>(state.range(0));
  int threads = static_cast<int>(state.range(1));
  Cost base_cost, full_cost;
  int64_t received = 0;
  for (auto _ : state) {
    state.PauseTiming();
    base_cost += run_tbb_graph(0, threads, kSerial, kTbbRecords, received);
    state.ResumeTiming();
    full_cost += run_tbb_graph(stages, threads, kSerial, kTbbRecords, received);
    if (received != kTbbRecords) {
      state.SkipWithError("the hand-written graph lost records");
      return;
    }
  }
  set_stage_counters(state, full_cost, base_cost, kTbbRecords, stages);
}

// (c) A CPU-bound stage (benchkit.spin) on 1 and 2 threads: wall time (the benchmark's time) and the
// process's CPU time (cpu_s), both per run.
void BM_SeqflowSpin(benchmark::State& state) {
  int threads = static_cast<int>(state.range(0));
  const seqflow::Pipeline& p =
      pipeline(kSpinRecords, "plugin = \"benchkit.spin\"\nwork = " + std::to_string(kSpinWork), 1);
  Cost cost;
  for (auto _ : state)
    if (!run_pipeline(state, p, threads, cost)) return;
  double runs = static_cast<double>(state.iterations());
  state.counters["wall_s"] = cost.wall / runs;
  state.counters["cpu_s"] = cost.cpu / runs;
  state.counters["us_rec"] = cost.wall / runs / static_cast<double>(kSpinRecords) * 1e6;
}

// The same work as benchkit.spin, without the engine: tbb::parallel_for over the records. Its speed-up
// from 1 to 2 threads is what the machine allows at the moment (another process on a core caps it).
// noinline: one record per call, as a stage sees them; inlined into the loop it ran 2x faster here
// (GCC overlaps consecutive records), which benchkit.spin cannot do.
[[gnu::noinline]] int64_t spin(int64_t v, int64_t work) {
  uint64_t x = static_cast<uint64_t>(v) | 1;
  for (int64_t i = 0; i < work; ++i) x ^= x << 13, x ^= x >> 7, x ^= x << 17;
  return static_cast<int64_t>(x & 0x7fffffff);
}

void BM_ReferenceSpin(benchmark::State& state) {
  int threads = static_cast<int>(state.range(0));
  std::vector<int64_t> out(kSpinRecords);
  tbb::task_arena arena(threads);
  Cost cost;
  for (auto _ : state) {
    cost += measure([&] {
      arena.execute([&] {
        tbb::parallel_for(tbb::blocked_range<int64_t>(0, kSpinRecords, 64),
                          [&](const tbb::blocked_range<int64_t>& r) {
                            for (int64_t i = r.begin(); i < r.end(); ++i)
                              out[static_cast<size_t>(i)] = spin(i, kSpinWork);
                          });
      });
    });
    benchmark::DoNotOptimize(out.data());
  }
  double runs = static_cast<double>(state.iterations());
  state.counters["wall_s"] = cost.wall / runs;
  state.counters["cpu_s"] = cost.cpu / runs;
  state.counters["us_rec"] = cost.wall / runs / static_cast<double>(kSpinRecords) * 1e6;
}

BENCHMARK(BM_SeqflowPass)
    ->ArgsProduct({{1, 5, 10}, {1, 2}})
    ->ArgNames({"stages", "threads"})
    ->UseRealTime()
    ->MeasureProcessCPUTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TbbGraph<false>)
    ->Name("BM_TbbGraphUnlimited")
    ->ArgsProduct({{1, 5, 10}, {1, 2}})
    ->ArgNames({"stages", "threads"})
    ->UseRealTime()
    ->MeasureProcessCPUTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TbbGraph<true>)
    ->Name("BM_TbbGraphSerial")
    ->ArgsProduct({{1, 5, 10}, {1, 2}})
    ->ArgNames({"stages", "threads"})
    ->UseRealTime()
    ->MeasureProcessCPUTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SeqflowSpin)
    ->Arg(1)
    ->Arg(2)
    ->ArgName("threads")
    ->UseRealTime()
    ->MeasureProcessCPUTime()
    ->Unit(benchmark::kMillisecond);

BENCHMARK(BM_ReferenceSpin)
    ->Arg(1)
    ->Arg(2)
    ->ArgName("threads")
    ->UseRealTime()
    ->MeasureProcessCPUTime()
    ->Unit(benchmark::kMillisecond);

std::string load_average() {
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) != 3) return "unknown";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.2f %.2f %.2f", load[0], load[1], load[2]);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  // The benchkit plugin lives in the build tree's bench_plugins/; an explicit setting wins.
  setenv("SEQFLOW_PLUGIN_PATH", SEQFLOW_BENCH_PLUGIN_DIR, 0);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("load_average_at_start", load_average());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::error_code ignored;
  fs::remove_all(work_dir(), ignored);
  return 0;
}
