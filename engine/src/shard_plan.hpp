// Shard plans: what `--shard I/N --shard-by record|file|bytes` changes before a run starts.
//
// What it is: the checks and renames that make N shard processes safe to run side by side: the source
// must be able to read a shard alone (SF_FLAG_SHARDS_FILES / SF_FLAG_SHARDS_BYTES), and each shard's
// outputs (the sinks' path parameters and [pipeline].error_log) carry the shard in their names,
// "out/x.jsonl" -> "out/x.shard-03-of-07.jsonl", so that shards never write the same file and
// `seqflow merge` finds them. Pure functions over a loaded spec.
// Errors: check_source_shards() returns a message ("" when fine); the CLI reports it as an invalid
// pipeline (exit 2).
#pragma once

#include <seqflow/engine.hpp>

#include "pipeline_spec.hpp"

#include <string>
#include <vector>

namespace seqflow::engine {

/// "" when the pipeline's source can be split `by` into `count` shards, else why not and what to do.
std::string check_source_shards(const PipelineSpec& spec, ShardBy by, uint32_t count);

/// "out/x.jsonl.gz", 3, 7 -> "out/x.shard-03-of-07.jsonl.gz": the shard goes before the first dot of the
/// file name (a folder name gets it at its end); the index is zero-padded to the width of N - 1.
std::string shard_file_name(const std::string& path, uint32_t index, uint32_t count);

/// "--set" overrides that give each sink's path parameters and the error log the shard's names.
std::vector<std::string> shard_output_overrides(const PipelineSpec& spec, uint32_t index, uint32_t count);

const char* shard_by_name(ShardBy by);

}  // namespace seqflow::engine
