// Provenance: what a run was, so that its outputs can be reproduced or audited a year later.
//
// What it is: make_provenance() gathers, for one finished run, the seqflow version and plugin ABI, the
// pipeline file (path, sha256) and its resolved form after --set (every parameter with its default
// applied and paths resolved), every plugin module the pipeline uses (path, version, negotiated ABI,
// sha256), every file a resource or a middle stage names by a path parameter (weights, vocabularies,
// LMs: path, size, sha256), the inputs of the source (the files its path parameters expand to: path,
// size, mtime, and sha256 for the first kCheapHashBytes of input, none in a shard split by file or
// bytes, all with --hash-inputs), the outputs (the sinks' path
// parameters), shard, threads, host, start and end times (UTC) and the record accounting per stage.
// write_provenance_files() writes it beside each output as "<output>.provenance.json" and wherever
// --provenance asks; --stats embeds the same object under "provenance".
// print_provenance() renders a provenance (or stats) file readably for `seqflow provenance FILE`.
//
// Threading: call after the run, from one thread. Ownership: plain JSON values.
// Errors: a file that cannot be hashed is recorded with "error" instead of "sha256" (the run already
// succeeded: provenance never fails it); write_provenance_files() returns the first write error;
// print_provenance() throws std::runtime_error naming the file and what is wrong.
#pragma once

#include <seqflow/engine.hpp>

#include "pipeline_spec.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace seqflow::engine {

/// Inputs up to this many bytes in all are hashed on every run (unsplit); the rest with --hash-inputs.
constexpr uint64_t kCheapHashBytes = uint64_t{16} << 20;

struct RunClock {
  std::chrono::system_clock::time_point start, end;
};

nlohmann::ordered_json make_provenance(const PipelineSpec& spec, const RunOptions& options,
                                       const RunResult& result, const RunClock& clock);

/// The lowercase hex SHA-256 of a file's bytes; throws std::runtime_error when it cannot be read.
std::string sha256_file(const std::string& path);
std::string sha256_text(const std::string& text);

/// Bytes the process has read with read(2) and friends so far (Linux /proc/self/io rchar; 0 elsewhere).
uint64_t process_read_bytes();

/// The sinks' output paths (their path-type parameters), in stage order.
std::vector<std::string> output_paths(const PipelineSpec& spec);

/// Writes `prov` to "<output>.provenance.json" for every output and to `extra_path` when not empty,
/// each through a temporary file and a rename. Returns "" or the first failure.
std::string write_provenance_files(const PipelineSpec& spec, const nlohmann::ordered_json& prov,
                                   const std::string& extra_path);

/// The readable form of a provenance file (or of a --stats file, which holds one).
std::string print_provenance(const std::string& path);

}  // namespace seqflow::engine
