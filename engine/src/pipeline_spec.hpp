// PipelineSpec: a pipeline file parsed and validated against the plugins' declarations.
//
// Lifecycle: load_pipeline() parses the TOML file, applies --set overrides, loads the plugin modules
// it names, and checks everything before anything runs: unknown plugins, stages, keys (with "did you
// mean"), parameter types, required parameters, choices, field types along every edge, fields read
// that nothing upstream writes, cycles, duplicate names. The result is immutable.
// Errors: SpecError, whose what() is "FILE:LINE:COLUMN: error: MESSAGE" (with a hint where one helps).
// The CLI maps it to exit code 2.
#pragma once

#include <seqflow/embed.hpp>
#include "plugin_host.hpp"
#include "value_tree.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace seqflow::engine {

struct SourcePos {
  std::string file;  // the pipeline file, or "--set" for command-line overrides
  int line = 0;
  int column = 0;
  std::string str() const;  // "file:line:column"
};

class SpecError : public InvalidPipeline {
 public:
  SpecError(const SourcePos& pos, const std::string& message);
  const SourcePos& pos() const { return pos_; }
  const std::string& message() const { return message_; }

 private:
  SourcePos pos_;
  std::string message_;
};

struct FieldType {
  sf_field_type type = SF_FIELD_ANY;
  sf_dtype dtype = SF_DTYPE_ANY;  // tensors only
  std::string str() const;        // "string", "tensor<f32>", "tensor"
};

struct FieldUse {
  std::string name;
  FieldType type;
  bool optional = false;
};

struct BatchSpec {
  uint32_t size = 0;  // 0: no batching
  bool by_length = false;
  std::string length_field;  // field whose length groups records; default: the stage's `input`
};

struct StageSpec {
  std::string name;
  std::string plugin;  // "io.lines_read"
  ComponentRef component;
  std::vector<size_t> inputs;  // indices of predecessor stages (empty for the source)
  OwnedValue params;           // every declared parameter: given, or its default; paths resolved
  int32_t concurrency = 0;     // 0 unlimited, 1 serial, N
  BatchSpec batch;
  std::vector<FieldUse> reads;
  std::vector<FieldUse> writes;
  SourcePos pos;
  std::map<std::string, SourcePos> param_pos;  // the value of each parameter the user wrote
};

struct ResourceSpec {
  std::string name;  // the X of [resources.X]
  std::string plugin;
  ResourceTypeRef type;
  OwnedValue params;
  SourcePos pos;
  std::map<std::string, SourcePos> param_pos;  // the value of each parameter the user wrote
};

struct PipelineSpec {
  std::string file;                    // absolute path of the pipeline file (load_pipeline_text: its name)
  std::string text;                    // load_pipeline_text: the TOML itself (provenance hashes it)
  std::vector<std::string> overrides;  // the --set arguments applied, in order (for provenance)
  std::string dir;                     // its folder: relative paths resolve against it
  std::string name;
  std::string description;
  int threads = 0;               // 0: all cores
  uint32_t max_in_flight = 256;  // unless set: the engine uses max(256, 64 * threads)
  bool max_in_flight_set = false;
  uint64_t max_in_flight_bytes = 0;  // payload bytes alive at once; 0 = no bound
  bool skip_errors = false;          // on_error = "skip"
  std::string error_log;             // resolved path, "" = none (skipped records then go to stderr)
  std::vector<ResourceSpec> resources;
  std::vector<StageSpec> stages;  // in file order; validated acyclic, each stage after its inputs
  std::vector<FieldUse> fields;   // every field in the pipeline; slot = index here
};

/// `overrides` are "stage.key=value" or "pipeline.key=value"; the value is a TOML value, or a bare
/// string when it does not parse as one.
PipelineSpec load_pipeline(const std::string& path, const std::vector<std::string>& overrides);
/// The same for TOML held in a string (the embedding API): positions name `display_name`, relative paths
/// resolve against `base_dir` ("" = the current folder).
PipelineSpec load_pipeline_text(const std::string& text, const std::string& display_name,
                                const std::string& base_dir, const std::vector<std::string>& overrides);

/// A FIELD_TABLE type string ("string", "bytes", "int", "float", "tensor", "tensor:f32", ...; "tensor<f32>"
/// as FieldType::str() prints it is accepted too) -> FieldType; nullopt when it names no type.
std::optional<FieldType> parse_field_type(std::string_view text);

}  // namespace seqflow::engine
