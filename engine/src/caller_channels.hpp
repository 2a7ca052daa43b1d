// CallerChannels: the bounded queues between a program that embeds seqflow and the `embed.input` /
// `embed.output` stages of its run (host side of sf_host.caller_read / caller_write).
//
// Lifecycle: made by Pipeline::stream() for one run; the runner binds its RunState when it prepares the
// run and unbinds it before the RunState goes; the stream thread calls run_ended() with the result.
// Threading: every member is safe to call from any thread (one mutex, one condition variable). The
// engine side blocks only inside caller_read (no input yet) and caller_write (output side full).
// Ownership: queued records own their values; a tensor's payload moves into the engine's record on read
// and is shared (reference counted) with the pulled Record on write.
// Errors: push() throws RecordError for a record that does not match the input stage's declaration.
#pragma once

#include <seqflow/embed.hpp>

#include "pipeline_spec.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace seqflow::engine {

using embed::Bytes;
using embed::Record;
using embed::Tensor;
using embed::Value;

struct RunState;

class CallerChannels {
 public:
  CallerChannels(const PipelineSpec& spec, uint32_t capacity);

  int input_stage() const { return input_; }  // index in spec.stages, -1 when none
  int output_stage() const { return output_; }
  uint32_t capacity() const { return capacity_; }
  /// Whether this program feeds or drains the stage named `stage`.
  bool attached(const std::string& stage) const;

  // ---- the program's side ----
  enum class PushResult { kQueued, kFull, kCancelled };
  /// Checks and queues `record` (moved from only when queued). Throws RecordError, PipelineError (the run
  /// failed), std::logic_error (closed, or no input stage).
  PushResult push(Record& record, bool block);
  /// Checks and queues the leading records that fit without waiting; returns how many. A record that does
  /// not match throws RecordError after the ones before it were queued.
  size_t push_many(std::span<Record> records);
  void close();
  bool has_room() const;
  size_t room() const;
  /// Up to `max` output records that are ready (none: see done()); throws as pull() does.
  std::vector<Record> pull_many(size_t max);
  /// The next output record; nullopt when none is ready (block = false) or none will come.
  std::optional<Record> pull(bool block);
  bool done() const;
  Stream::Ready wait(bool want_input, std::chrono::milliseconds timeout);
  void cancel();
  /// The run is over: wakes every waiter; pull() then throws for a failed run once the queue is empty.
  void run_ended(RunResult result);
  const std::optional<RunResult>& result() const { return result_; }

  // ---- the engine's side ----
  void bind(RunState* run);
  void unbind();
  sf_status read(sf_context* ctx, uint32_t max_records, bool wait, uint32_t* emitted, sf_error* err);
  sf_status write(sf_context* ctx, sf_record* const* records, uint32_t count, sf_error* err);

 private:
  struct Pending {
    uint64_t position = 0;                          // 1-based push count, for messages
    std::vector<std::pair<int32_t, Value>> values;  // by slot
  };
  std::vector<std::pair<int32_t, Value>> convert(Record& record) const;
  bool run_cancelled() const;  // with mu_ held
  void throw_failure() const;  // with mu_ held, the run over and failed

  const PipelineSpec& spec_;
  int input_ = -1, output_ = -1;
  uint32_t capacity_;
  std::vector<FieldUse> declared_;     // what embed.input declares it writes (id first)
  std::vector<int32_t> output_slots_;  // the fields embed.output hands over; empty: all
  std::vector<std::string> slot_names_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> in_;
  std::deque<Record> out_;
  uint64_t pushed_ = 0;
  bool closed_ = false;
  bool cancelled_ = false;
  RunState* run_ = nullptr;
  std::optional<RunResult> result_;
};

/// sf_host.resource's answer for the reserved name SF_CALLER_RESOURCE (seqflow/caller.h): the channels of
/// the program attached to the stage being created, or an error saying that no program is.
sf_status caller_interface(sf_create_context* ctx, const char* interface, uint32_t min_version,
                           sf_interface* out, void** object, sf_error* err);

/// The records in flight a run of `spec` allows with `threads` (-1: the pipeline's), as the runner computes
/// it.
uint32_t effective_max_in_flight(const PipelineSpec& spec, int threads);

}  // namespace seqflow::engine
