// seqflow embedding API: records exchanged with a running pipeline, for C++ programs and the Python package.
//
// What it is: a pipeline whose first stage is `embed.input` takes its records from the program
// (Stream::push), and one whose sink is `embed.output` hands its records to the program (Stream::pull).
// Both are ordinary components of the `embed` plugin module, loaded and validated like any other; the
// records between them go through the same graph, ordering and backpressure as a file's.
//
// Lifecycle: Pipeline::load() or Pipeline::load_string() -> Pipeline::stream() starts the run on a
// thread of its own -> push()* / close() and pull()* until it returns nothing -> finish() gives the run's
// summary. The Pipeline must outlive its Streams. Destroying a Stream that did not finish cancels it and
// waits for its run to stop.
// Threading: one thread may push while another pulls; push/try_push/close from one thread at a time,
// pull/try_pull from one thread at a time; cancel() from any thread. A single thread that both pushes
// and pulls uses try_push() and wait() (or push() only up to max_in_flight records ahead of its pulls).
// Backpressure: at most max_in_flight records wait to enter the graph and at most max_in_flight wait to
// be pulled, besides the records inside the graph (bounded by max_in_flight as in any run): push() blocks
// and try_push() answers false when the input side is full; the pipeline's sink blocks while the output
// side is full. Nothing buffers without bound.
// Ownership: an embed::Record owns its values. A Tensor shares its payload by reference count: pulled tensors
// are the engine's own buffers (no copy); a pushed Tensor made by Tensor::allocate() moves into the
// record without a copy; strings and bytes are copied into the engine's buffers.
// Errors: exceptions derived from seqflow::EngineError. InvalidPipeline: the file, an override or a
// stage's creation is wrong (the CLI's exit code 2, its message). PipelineError: the run failed (the CLI's
// exit code 1): stage(), plugin(), record() and reason(), what() the text the CLI prints after "error: ".
// RecordError: a pushed record does not match the fields `embed.input` declares (it was not queued;
// with try_push_many, the records before it were). A cancelled
// stream is no error: pull() returns nothing and finish() returns a result with cancelled = true.
#pragma once

#include <seqflow/plugin_abi.h>
#include <seqflow/engine.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace seqflow {

namespace engine {
class CallerChannels;
}

class EngineError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The pipeline (file, override, plugin, resource or stage creation) is invalid: nothing ran.
class InvalidPipeline : public EngineError {
 public:
  /// `message` as the CLI prints it ("FILE:LINE:COLUMN: error: ..."); `position` "FILE:LINE:COLUMN" or "".
  InvalidPipeline(const std::string& message, std::string position)
      : EngineError(message), position_(std::move(position)) {}
  const std::string& position() const { return position_; }

 private:
  std::string position_;
};

/// The run failed: the first failure by record order, as `seqflow run` reports it.
class PipelineError : public EngineError {
 public:
  PipelineError(const std::string& message, std::string stage, std::string plugin, std::string record,
                std::string reason)
      : EngineError(message),
        stage_(std::move(stage)),
        plugin_(std::move(plugin)),
        record_(std::move(record)),
        reason_(std::move(reason)) {}
  const std::string& stage() const { return stage_; }    // "" when no stage is to blame
  const std::string& plugin() const { return plugin_; }  // "io.jsonl_write"
  const std::string& record() const { return record_; }  // the record's id, "" when none
  const std::string& reason() const { return reason_; }

 private:
  std::string stage_, plugin_, record_, reason_;
};

/// A pushed record does not match what `embed.input` declares; the record was not pushed.
class RecordError : public EngineError {
 public:
  RecordError(const std::string& message, std::string field)
      : EngineError(message), field_(std::move(field)) {}
  const std::string& field() const { return field_; }  // the field concerned, "" for the whole record

 private:
  std::string field_;
};

// The program's records live in seqflow::embed: the SDK's seqflow::Record and seqflow::Tensor are views
// into the engine's records for plugins, these own their values.
namespace embed {

/// A tensor field: dtype, shape (up to SF_MAX_DIMS dims) and a contiguous row-major payload, shared by
/// reference count (copying a Tensor copies no data).
class Tensor {
 public:
  Tensor() = default;
  /// A tensor with an uninitialised payload to fill through mutable_data(). Throws std::invalid_argument
  /// for an unknown dtype, a negative size or more than SF_MAX_DIMS dims.
  static Tensor allocate(sf_dtype dtype, std::span<const int64_t> shape);
  Tensor(const Tensor& o);
  Tensor(Tensor&& o) noexcept;
  Tensor& operator=(const Tensor& o);
  Tensor& operator=(Tensor&& o) noexcept;
  ~Tensor();

  bool empty() const { return blob_ == nullptr; }
  sf_dtype dtype() const;
  std::span<const int64_t> shape() const;
  size_t nbytes() const;
  const void* data() const;
  /// Writable only while no other Tensor or record shares the payload (else std::logic_error).
  void* mutable_data();

 private:
  friend class engine::CallerChannels;
  explicit Tensor(void* blob) : blob_(blob) {}
  void* blob_ = nullptr;  // an engine::Blob, one reference owned
};

/// A bytes field (a string field holds text; both are byte strings).
struct Bytes {
  std::string data;
};

using Value = std::variant<std::string, Bytes, int64_t, double, Tensor>;

/// A record: named values, in the order they were set (a pulled record: the pipeline's field order).
class Record {
 public:
  Record() = default;
  Record& set(std::string name, Value value);
  /// The value of `name`, or nullptr.
  const Value* get(const std::string& name) const;
  const std::vector<std::pair<std::string, Value>>& fields() const { return fields_; }
  std::vector<std::pair<std::string, Value>>& fields() { return fields_; }

 private:
  std::vector<std::pair<std::string, Value>> fields_;
};

}  // namespace embed

class Stream {
 public:
  Stream(Stream&&) noexcept;
  Stream& operator=(Stream&&) noexcept;
  ~Stream();

  /// Whether the pipeline takes records from the program (`embed.input`) / hands them to it (`embed.output`).
  bool has_input() const;
  bool has_output() const;
  /// The bound the run uses: records waiting on each side at most.
  uint32_t max_in_flight() const;

  /// Queues `record`, blocking while max_in_flight records wait to enter the graph. Throws RecordError
  /// (nothing queued), PipelineError when the run failed meanwhile, std::logic_error after close() or
  /// without an `embed.input` stage. Returns false when the stream was cancelled (nothing queued).
  bool push(embed::Record record);
  /// The same without blocking: false when the input side is full or the stream was cancelled (`record`
  /// is left as it was).
  bool try_push(embed::Record& record);
  /// Whether the input side has room: with one thread pushing, a push() right after true does not block.
  bool has_room() const;
  /// How many records the input side takes now without waiting.
  size_t room() const;
  /// Queues the leading `records` that fit without waiting (moving from them) and returns how many: one
  /// lock and one wake-up for the batch. Throws RecordError for a record that does not match, once the
  /// ones before it are queued; 0 when cancelled.
  size_t try_push_many(std::span<embed::Record> records);
  /// No more records: the run finishes once the graph drains.
  void close();

  /// The next output record in order, blocking until there is one. nullopt once the run ended and every
  /// record was pulled (or it was cancelled). Throws PipelineError when the run failed (after the records
  /// that got out before the failure). std::logic_error without an `embed.output` stage.
  std::optional<embed::Record> pull();
  /// The same without blocking: nullopt also when no record is ready yet (see done()).
  std::optional<embed::Record> try_pull();
  /// Up to `max` output records that are ready now, in order (empty: none yet, or done()).
  std::vector<embed::Record> try_pull_many(size_t max);
  /// True once the run ended and no output record is left to pull.
  bool done() const;

  enum class Ready { kOutput, kInput, kDone, kTimeout };
  /// Blocks until an output record is ready (kOutput), the input side has room and `want_input`
  /// (kInput), the run ended with nothing left to pull (kDone) or `timeout` passed (kTimeout): lets one
  /// thread alternate try_push() and try_pull() without spinning.
  Ready wait(bool want_input, std::chrono::milliseconds timeout = std::chrono::milliseconds::max());

  /// Stops the run: queued input is dropped, no further record comes out, writers discard their output.
  void cancel();
  /// Closes the input if open, waits for the run to end (output not pulled is dropped) and returns its
  /// summary. Throws InvalidPipeline or PipelineError as the CLI would exit 2 or 1; a cancelled run
  /// returns with cancelled = true.
  RunResult finish();

 private:
  friend class Pipeline;
  struct State;
  explicit Stream(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

/// The exception `seqflow run` would turn `result` into (InvalidPipeline or PipelineError); nothing when ok.
void throw_if_failed(const RunResult& result);

/// Adds a folder searched for plugin modules before SEQFLOW_PLUGIN_PATH (a program whose built-in plugins
/// do not sit in lib/seqflow/plugins beside its executable, such as the Python package).
void add_plugin_dir(const std::string& dir);

}  // namespace seqflow
