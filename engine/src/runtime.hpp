// Run-time state shared by the graph runner and the host function table (host_api.cpp).
//
// RunState lives for one run. StageRuntime holds one stage's counters and instance pool. sf_context
// is built on the stack for each plugin call; sf_create_context for each create call.
// Threading: counters are atomics; the error list and log are guarded by a mutex.
#pragma once

#include "pipeline_spec.hpp"
#include "record.hpp"
#include "skip_log.hpp"

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace seqflow::engine {

struct StageCounters {
  std::atomic<uint64_t> in{0}, out{0}, filtered{0}, skipped{0}, busy_ns{0}, calls{0};
};

class CallerChannels;

struct ResourceInstance {
  const ResourceSpec* spec = nullptr;
  void* object = nullptr;
};

struct RunState {
  const PipelineSpec* spec = nullptr;
  size_t num_slots = 0;
  int32_t id_slot = 0;
  std::atomic<bool> cancelled{false};
  std::atomic<int64_t> live_records{0};
  std::atomic<int64_t> peak_live_records{0};

  std::mutex mu;    // guards the members below
  SkipLog skipped;  // entries under on_error = "skip", spilled to disk beyond SkipLog::kRunEntries
  std::vector<ErrorEntry> failures;
  uint64_t error_seq = 0;

  std::set<std::string> create_warnings;  // shown once each, however many instances say them

  std::map<std::string, int32_t> slots;
  std::vector<ResourceInstance> resources;
  CallerChannels* callers = nullptr;  // the embedding program's queues (RunOptions::callers), or none

  // Records are counted as alive in bulk, a chunk at a time, by the runner (count_live): one shared
  // counter updated per record from two cores cost more than the records themselves.
  sf_record* new_record(const sf_record* copy_from);
  /// A recycled record (fields absent) becomes alive again.
  sf_record* reuse_record(sf_record* r);
  /// Clears a record for reuse, keeping buffers only it holds.
  void retire_record(sf_record* r);
  void count_live(int64_t delta);
  void delete_record(sf_record* r);
  std::string record_id(const sf_record* r) const;
  /// Records a failure (fail policy: cancels the run) or a skip (skip policy).
  void report(ErrorEntry entry, bool fatal);
};

struct StageRuntime;

/// A resource (weights, vocabulary) that cannot be created: the pipeline is invalid (exit code 2).
class ResourceError : public InvalidPipeline {
 public:
  explicit ResourceError(const std::string& message) : InvalidPipeline(message, "") {}
};

}  // namespace seqflow::engine

struct sf_context {
  seqflow::engine::RunState* run = nullptr;
  seqflow::engine::StageRuntime* stage = nullptr;
  seqflow::engine::StageCounters* counters = nullptr;
  const char* stage_name = "";
  const char* plugin = "";
  std::vector<sf_record*>* emitted = nullptr;
  std::vector<sf_record*>* spare = nullptr;  // sources: recycled records to emit into
  bool splits = false;      // a splitting stage consumes its inputs: dropping one is not filtering
  uint64_t next_order = 0;  // sources: position given to the next emitted record
  uint64_t* source_order = nullptr;
};

struct sf_create_context {
  seqflow::engine::RunState* run = nullptr;
  std::string owner;  // "stage 'x' (module.component)" or "resource 'y' (module.type)", for warnings
  std::string stage;  // the stage's name ("" for a resource): which caller channel it may use
};

namespace seqflow::engine {
const sf_host* make_host_table();
}
