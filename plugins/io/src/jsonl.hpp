// io.jsonl_read and io.jsonl_write: one JSON object per line.
#pragma once

#include "io/json_fields.hpp"
#include "io/jsonl_line.hpp"
#include "io/line_reader.hpp"
#include "io/output_file.hpp"

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
      "listed in `fields`; other keys are ignored, a key given twice counts with its last value, and blank "
      "lines are skipped. Types: string (a JSON string), "
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
      SF_FLAG_SERIAL, 1};
  static constexpr sf_param_decl params[] = {
      Param::paths("paths", nullptr,
                   "Files to read: paths or glob patterns, relative to the pipeline file; each pattern's "
                   "matches in sorted order. A pattern that matches no file is an error."),
      Param::field_table(
          "fields", "{ text = \"string\" }",
          "Keys to read and their types: { name = \"string\" | \"bytes\" | \"int\" | \"float\" | "
          "\"tensor:<dtype>\" }. Each becomes the record field of the same name."),
      Param::string("id_field", "\"id\"",
                    "JSON key holding the record id (a string or an integer). Lines without it get "
                    "\"<file name>:<line number>\"."),
  };
  static constexpr sf_field_decl fields[] = {
      Field::writes(nullptr, "id", SF_FIELD_STRING, SF_DTYPE_ANY,
                    "From `id_field`, else \"<file name>:<line>\"."),
      Field::writes("fields", "text", SF_FIELD_ANY, SF_DTYPE_ANY, "One field per entry of `fields`."),
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

  std::vector<std::string> paths_;
  size_t next_path_ = 0;
  std::unique_ptr<LineReader> reader_;
  std::string file_name_;
  std::vector<Column> columns_;
  std::string id_field_;
  Slot id_slot_;
  std::unique_ptr<JsonlLineParser> parser_;  // columns_ in the same order
  std::string default_id_;                   // "<file name>:<line>", reused between lines
};

class JsonlWrite : public Sink<JsonlWrite> {
 public:
  static constexpr Info info{
      "jsonl_write",
      "Writes each record as one compact JSON object per line: `id` first when listed, then the other "
      "fields in the order listed. Strings become JSON strings (they must be valid UTF-8), ints and floats "
      "numbers (shortest text that reads back exactly; NaN and infinity are errors), bytes base64 strings, "
      "tensors nested arrays (f16/bf16 as their float values). A path ending in \".gz\" is gzip-compressed. "
      "The file appears only when the run succeeds.",
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
  std::vector<Column> columns_;
  OutputFile out_;
  std::string line_;
};

}  // namespace seqflow::io
