// seqflow engine API: load a pipeline file and run it, for the CLI and for programs embedding seqflow.
//
// Lifecycle: Pipeline::load() parses and validates (loading the plugin modules it names); run() builds
// a oneTBB flow graph, creates resources and stage instances, streams every record through, commits
// the writers and returns a summary. A Pipeline may be run more than once; each run is independent.
// Threading: run() blocks the calling thread and uses its own task arena of `threads` workers.
// Ownership: the Pipeline owns its validated spec; modules stay loaded until the process exits.
// Errors: load() throws seqflow::engine::SpecError (invalid file: position + message) or
// seqflow::engine::PluginError; run() never throws for pipeline failures: it returns ok = false with
// the stage, record and reason in `error`.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace seqflow {

namespace engine {
struct PipelineSpec;
class CallerChannels;
}

class Stream;

/// How `--shard I/N` splits the input: by record position (every shard reads everything), by whole
/// files (balanced by size) or by byte ranges; the last two need a source that can read a shard alone.
enum class ShardBy { kRecord, kFile, kBytes };

struct RunOptions {
  int threads = -1;                     // -1: the pipeline's [pipeline].threads; 0: all cores
  bool progress = false;                // a progress line on stderr
  std::string stats_path;               // write the per-stage summary as JSON here ("" = don't)
  bool print_summary = true;            // the per-stage table on stderr at the end
  std::string trace_path;               // write every stage call as Chrome trace events here ("" = don't)
  uint32_t shard_index = 0;             // run shard shard_index of shard_count (0-based): by record, the
  uint32_t shard_count = 1;             //   source records whose position % shard_count == shard_index
  ShardBy shard_by = ShardBy::kRecord;  // kFile / kBytes: the source reads only its part
  std::string provenance_path;  // also write the provenance record here ("" = only beside the outputs)
  bool hash_inputs = false;     // sha256 of every input file in the provenance, not only small ones
  // The program feeding `embed.input` / draining `embed.output` (set by Pipeline::stream; null: none, and
  // such stages fail to create).
  std::shared_ptr<engine::CallerChannels> callers;
};

struct StageSummary {
  std::string name;
  std::string plugin;
  uint64_t in = 0;        // records that reached the stage (emitted, for a source)
  uint64_t out = 0;       // records it passed on (written, for a sink)
  uint64_t filtered = 0;  // dropped on purpose
  uint64_t skipped = 0;   // failed under on_error = "skip", or bad input a reader skipped
  double busy_seconds = 0;
  uint64_t calls = 0;
};

struct RunResult {
  bool ok = false;
  bool invalid = false;    // the failure is the pipeline's (a resource could not be created): exit code 2
  int interrupted_by = 0;  // SIGINT / SIGTERM when a signal cancelled the run (the CLI exits 128 + it)
  bool cancelled = false;  // the embedding program cancelled its Stream (seqflow/embed.hpp)
  std::string error;       // first failure: "stage 'x' (plugin) record 'id': reason"
  std::string error_at;    // "FILE:LINE:COLUMN" of the parameter when a stage could not be created, else ""
  // A failure while running, in parts (the embedding API's PipelineError): stage, its plugin, the record's
  // id ("" when no record is to blame) and the reason.
  std::string error_stage, error_plugin, error_record, error_reason;
  std::vector<StageSummary> stages;
  uint64_t peak_live_records = 0;    // most records alive at once
  uint32_t max_in_flight = 0;        // the bound the run used ([pipeline] max_in_flight or the default)
  uint64_t max_in_flight_bytes = 0;  // [pipeline] max_in_flight_bytes (0: none)
  uint64_t peak_live_bytes = 0;      // most payload bytes alive at once, as read (with a byte bound)
  uint32_t shard_index = 0, shard_count = 1;
  ShardBy shard_by = ShardBy::kRecord;
  double wall_seconds = 0;
  double cpu_seconds = 0;
  int threads = 0;
  std::string provenance_json;  // the run's provenance record (JSON text), also in --stats
  uint64_t bytes_read = 0;      // bytes the process read during the run (Linux rchar), 0 when unknown
};

class Pipeline {
 public:
  /// Parses, applies `overrides` ("stage.key=value"), loads plugins and validates. Throws SpecError.
  static Pipeline load(const std::string& path, const std::vector<std::string>& overrides = {});
  /// The same for pipeline TOML held in a string: relative paths resolve against `base_dir` (default: the
  /// current folder) and errors name `display_name` ("<string>") as the file.
  static Pipeline load_string(const std::string& toml, const std::vector<std::string>& overrides = {},
                              const std::string& base_dir = "", const std::string& display_name = "<string>");
  Pipeline(Pipeline&&) noexcept;
  Pipeline& operator=(Pipeline&&) noexcept;
  ~Pipeline();

  RunResult run(const RunOptions& options = {}) const;
  /// Creates and destroys every [resources.X] entry, so that bad weights or vocabularies are reported
  /// before a run. Throws engine::ResourceError ("FILE:LINE:COLUMN: error: resource 'x' (...): why").
  void check_resources() const;
  /// Creates every resource and one instance of every stage as run() would (parameter ranges, input
  /// patterns that match, output folders that can be written), reading no record, then destroys them.
  /// Throws engine::ResourceError ("FILE:LINE:COLUMN: error: stage 'x' (...): why") at the parameter
  /// concerned. `seqflow validate` uses it.
  void check_creation() const;
  /// The same for the shard `options` names (the source is created with its shard, so a source that
  /// cannot split its input that way is reported). Throws engine::ResourceError.
  void check_creation(const RunOptions& options) const;
  /// The "--set" overrides that put shard I of N into each output's and the error log's name
  /// ("out/x.jsonl" -> "out/x.shard-3-of-7.jsonl"); load again with them appended.
  /// Starts a run whose `embed.input` / `embed.output` stages exchange records with the caller
  /// (seqflow/embed.hpp); it prints no summary. Throws std::logic_error when the pipeline has neither.
  Stream stream(RunOptions options = {}) const;
  /// check_creation() with the caller attached, as stream() would create the stages. Throws
  /// engine::ResourceError.
  void check_stream_creation() const;
  std::vector<std::string> shard_output_overrides(uint32_t shard_index, uint32_t shard_count) const;
  const engine::PipelineSpec& spec() const { return *spec_; }
  /// The graph in Graphviz DOT or Mermaid.
  std::string graph(const std::string& format) const;

 private:
  explicit Pipeline(std::unique_ptr<engine::PipelineSpec> spec);
  std::unique_ptr<engine::PipelineSpec> spec_;
};

}  // namespace seqflow
