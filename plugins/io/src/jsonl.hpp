// io.jsonl_read and io.jsonl_write: one JSON object per line.
#pragma once

#include "common.hpp"
#include "io/json_fields.hpp"
#include "io/jsonl_line.hpp"
#include "io/line_reader.hpp"
#include "io/output_file.hpp"
#include "passthrough_io.hpp"

#include <seqflow/sdk.hpp>

#include <memory>
#include <string>
#include <vector>

namespace seqflow::io {

class JsonlRead : public Source<JsonlRead> {
 public:
  static constexpr Info info{
      "jsonl_read",
      "Reads JSON Lines files (plain or gzip): one JSON object per line becomes one record with the fields "
      "listed in `fields`; a key given twice counts with its last value, and blank lines are skipped. Other "
      "keys are ignored (`validate` and `run` warn which, from the first line) unless passthrough = true, "
      "which carries them untouched, in their order, to io.jsonl_write / io.tsv_write. Types: string (a JSON "
      "string), "
      "bytes (a base64 string), int (a JSON integer), float (any JSON number), tensor:<dtype> (nested arrays "
      "of numbers, rectangular, up to 8 levels; dtypes f32 bf16 f16 i64 i32 u8 i8). A line that is not valid "
      "JSON, not an object, lacks a field or has a value of the wrong type is an error naming the file, line "
      "and field; under on_error = \"skip\" the line is logged and skipped instead.",
      R"([[stage]]
name = "read"
plugin = "io.jsonl_read"
paths = ["data/train-*.jsonl.gz"]
fields = { text = "string", label = "int", feats = "tensor:f32" }
id_field = "id"
)",
      SF_FLAG_SERIAL | SF_FLAG_SHARDS_FILES | SF_FLAG_SHARDS_BYTES, 1};
  static constexpr sf_param_decl params[] = {
      Param::paths("paths", nullptr,
                   "Files to read: paths or glob patterns, relative to the pipeline file; each pattern's "
                   "matches in sorted order. A pattern that matches no file is an error. --shard-by bytes "
                   "needs plain files whose lines all hold the id key."),
      Param::field_table(
          "fields", "{ text = \"string\" }",
          "Keys to read and their types: { name = \"string\" | \"bytes\" | \"int\" | \"float\" | "
          "\"tensor:<dtype>\" }. Each becomes the record field of the same name."),
      Param::string("id_field", "\"id\"",
                    "JSON key holding the record id (a string or an integer). Lines without it get "
                    "\"<file name>:<line number>\"."),
      Param::boolean("passthrough", "false",
                     "true: carry every key that `fields` does not declare (the id key too), with its value "
                     "exactly as written, to the writers, which write each line's keys back in their "
                     "original order followed by the new fields (manifest in, manifest plus predictions "
                     "out). A key given twice keeps its first position and last value."),
  };
  static constexpr sf_field_decl fields[] = {
      Field::writes(nullptr, "id", SF_FIELD_STRING, SF_DTYPE_ANY,
                    "From `id_field`, else \"<file name>:<line>\"."),
      Field::writes("fields", "text", SF_FIELD_ANY, SF_DTYPE_ANY, "One field per entry of `fields`."),
      Field::writes(nullptr, "_passthrough", SF_FIELD_BYTES, SF_DTYPE_ANY,
                    "With passthrough = true: the line's keys in order (seqflow/passthrough.hpp)."),
  };

  explicit JsonlRead(CreateContext& ctx);
  bool read(Context& ctx, uint32_t max);

 private:
  struct Column {
    std::string name;
    FieldKind kind;
    Slot slot;
  };
  // Parses and checks one line; emits its record, or reports it and returns false.
  bool convert_line(Context& ctx, std::string_view line);
  void warn_ignored_keys(CreateContext& ctx) const;

  InputPlan input_;  // this shard's files or byte ranges
  size_t next_path_ = 0;
  std::unique_ptr<LineReader> reader_;
  std::string file_name_;
  std::vector<Column> columns_;
  std::string id_field_;
  Slot id_slot_;
  std::unique_ptr<JsonlLineParser> parser_;  // columns_ in the same order
  std::string default_id_;                   // "<file name>:<line>", reused between lines
  Slot passthrough_;                         // set when passthrough = true and a writer reads it
  std::vector<JsonMember> members_;
  PassthroughBuilder pass_;
};

class JsonlWrite : public Sink<JsonlWrite> {
 public:
  static constexpr Info info{
      "jsonl_write",
      "Writes each record as one compact JSON object per line: `id` first when listed, then the other "
      "fields in the order listed. Strings become JSON strings (they must be valid UTF-8), ints and floats "
      "numbers (shortest text that reads back exactly; NaN and infinity are errors), bytes base64 strings, "
      "tensors nested arrays (f16/bf16 as their float values). A path ending in \".gz\" is gzip-compressed. "
      "The file appears only when the run succeeds. A record read with passthrough = true gets its input "
      "line's keys back in their original order (a key the reader declared, or one listed here, with the "
      "record's current value; the others exactly as read), then the listed fields the line lacked.",
      R"([[stage]]
name = "write"
plugin = "io.jsonl_write"
path = "out/transcripts.jsonl"
fields = ["id", "text", "score"]
)",
      SF_FLAG_SERIAL, 1};
  static constexpr sf_param_decl params[] = {
      Param::path("path", nullptr,
                  "Output file, relative to the pipeline file; missing folders are created. \".gz\": gzip."),
      Param::fields("fields", "[\"id\"]", "Fields to write, in this order (`id` always first when listed)."),
  };
  static constexpr sf_field_decl fields[] = {
      Field::reads("fields", "id", SF_FIELD_ANY, SF_DTYPE_ANY, "Every listed field, of any type."),
      Field::reads_optional(nullptr, "_passthrough", SF_FIELD_BYTES, SF_DTYPE_ANY,
                            "A reader's pass-through keys, when it has them."),
  };

  explicit JsonlWrite(CreateContext& ctx);
  void process(Context& ctx, Record& r);
  void finish(Context& ctx);

 private:
  struct Column {
    std::string name;
    std::string key;  // the JSON-escaped name followed by ':'
    Slot slot;
  };
  // A record with pass-through keys: those keys in order, then the listed fields they did not name.
  void write_with_passthrough(Record& r);
  void append_value(Record& r, const Column& col);

  std::vector<Column> columns_;
  OutputFile out_;
  std::string line_;
  Slot passthrough_;
  std::vector<bool> written_;  // per column, for write_with_passthrough
};

}  // namespace seqflow::io
