// io.tsv_read and io.tsv_write: tab-separated tables, one record per row.
#pragma once

#include "common.hpp"
#include "io/json_fields.hpp"
#include "io/line_reader.hpp"
#include "io/output_file.hpp"
#include "passthrough_io.hpp"

#include <seqflow/sdk.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace seqflow::io {

class TsvRead : public Source<TsvRead> {
 public:
  static constexpr Info info{
      "tsv_read",
      "Reads tab-separated files (plain or gzip), one record per row; empty lines are skipped. With "
      "header = true the first line names the columns and each declared column is found by name (order and "
      "extra columns do not matter); with header = false there is no header line and the file's columns are "
      "the declared ones, in the order the pipeline file lists them. Cells are unescaped (\\t \\n \\r \\\\, "
      "as "
      "io.tsv_write writes them). Numbers must be the whole cell (no spaces); floats accept nan and inf. "
      "Errors name the file, line and column: wrong column count, unparsable number, declared column missing "
      "from the header. Under on_error = \"skip\" a bad row is logged and skipped. Columns that `columns` "
      "does not declare are ignored (`validate` and `run` warn which) unless passthrough = true, which "
      "carries every cell untouched, in header order, to io.tsv_write / io.jsonl_write.",
      R"([[stage]]
name = "read"
plugin = "io.tsv_read"
paths = ["data/labels.tsv"]
columns = { text = "string", label = "int", weight = "float" }
header = true
id_column = "id"
)",
      SF_FLAG_SERIAL | SF_FLAG_SHARDS_FILES | SF_FLAG_SHARDS_BYTES, 1};
  static constexpr sf_param_decl params[] = {
      Param::paths("paths", nullptr,
                   "Files to read: paths or glob patterns, relative to the pipeline file; each pattern's "
                   "matches in sorted order. A pattern that matches no file is an error. --shard-by bytes "
                   "needs plain files with an id column."),
      Param::field_table("columns", nullptr,
                         "Columns to read and their types: { name = \"string\" | \"int\" | \"float\" }. Each "
                         "becomes the record field of the same name."),
      Param::boolean(
          "header", "true",
          "true: the first line of each file names its columns. false: no header line; the columns are "
          "those of `columns`, in the order written in the pipeline file."),
      Param::string("id_column", "\"id\"",
                    "Column holding the record id (read as text; with header = false it must be declared in "
                    "`columns`). Files without it get ids \"<file name>:<line number>\"."),
      Param::boolean("passthrough", "false",
                     "true: carry every cell of each row (columns not declared included) exactly as "
                     "written, under its header name, to the writers, which write them back in header "
                     "order followed by the new fields."),
  };
  static constexpr sf_field_decl fields[] = {
      Field::writes(nullptr, "id", SF_FIELD_STRING, SF_DTYPE_ANY,
                    "From `id_column`, else \"<file name>:<line>\"."),
      Field::writes("columns", "text", SF_FIELD_ANY, SF_DTYPE_ANY, "One field per entry of `columns`."),
      Field::writes(nullptr, "_passthrough", SF_FIELD_BYTES, SF_DTYPE_ANY,
                    "With passthrough = true: the row's cells in order (seqflow/passthrough.hpp)."),
  };

  explicit TsvRead(CreateContext& ctx);
  bool read(Context& ctx, uint32_t max);

 private:
  struct Column {
    std::string name;
    FieldKind kind;
    Slot slot;
    size_t index = 0;  // cell index in the current file
  };
  void open_next();
  bool convert_row(Context& ctx, std::string_view line);
  void warn_ignored_columns(CreateContext& ctx);

  InputPlan input_;  // this shard's files or byte ranges
  size_t next_path_ = 0;
  std::unique_ptr<LineReader> reader_;
  std::string file_name_;
  std::vector<Column> columns_;
  bool header_;
  std::string id_column_;
  Slot id_slot_;
  size_t expected_cells_ = 0;
  std::ptrdiff_t id_index_ = -1;  // cell index of the id column in the current file, -1: none
  std::vector<std::string_view> cells_;
  std::vector<int64_t> ints_;
  std::vector<double> floats_;
  Slot passthrough_;                       // set when passthrough = true and a writer reads it
  std::vector<std::string> header_names_;  // the current file's column names, for passthrough
  PassthroughBuilder pass_;
};

class TsvWrite : public Sink<TsvWrite> {
 public:
  static constexpr Info info{
      "tsv_write",
      "Writes records as tab-separated rows, the fields in the order listed, after a header line of their "
      "names. In text a tab is written as \\t, a newline as \\n, a carriage return as \\r and a backslash as "
      "\\\\ (io.tsv_read turns them back). Ints and floats are written as the shortest text that reads back "
      "exactly (floats may be nan, inf, -inf); bytes as base64; a tensor field is an error (use "
      "io.jsonl_write or io.npy_write). A path ending in \".gz\" is gzip-compressed. The file appears only "
      "when the run succeeds. Records read with passthrough = true get their input columns back first, in "
      "their order (a column listed here with the record's current value, the others exactly as read), "
      "then the listed fields the input lacked; the first record sets the header, and every record must "
      "carry the same input columns.",
      R"([[stage]]
name = "write"
plugin = "io.tsv_write"
path = "out/scores.tsv"
fields = ["id", "label", "score"]
header = true
)",
      SF_FLAG_SERIAL, 1};
  static constexpr sf_param_decl params[] = {
      Param::path("path", nullptr,
                  "Output file, relative to the pipeline file; missing folders are created. \".gz\": gzip."),
      Param::fields("fields", nullptr, "Fields to write, one column each, in this order."),
      Param::boolean("header", "true", "Write a first line with the field names."),
  };
  static constexpr sf_field_decl fields[] = {
      Field::reads("fields", "id", SF_FIELD_ANY, SF_DTYPE_ANY,
                   "Every listed field: string, bytes, int or float."),
      Field::reads_optional(nullptr, "_passthrough", SF_FIELD_BYTES, SF_DTYPE_ANY,
                            "A reader's pass-through keys, when it has them."),
  };

  explicit TsvWrite(CreateContext& ctx);
  void process(Context& ctx, Record& r);
  void finish(Context& ctx);

 private:
  void append_value(Record& r, size_t field);
  void write_header(const std::vector<std::string>& names);
  // The first record fixes the columns: its pass-through keys, then the listed fields they lack.
  void plan_columns(const std::vector<passthrough::Entry>& entries);

  std::vector<std::string> names_;
  std::vector<Slot> slots_;
  OutputFile out_;
  std::string line_;
  bool header_ = true;
  bool planned_ = false;  // the header is written (or not wanted) and the columns fixed
  Slot passthrough_;
  std::vector<std::string> input_keys_;    // the pass-through keys of the first record, in order
  std::vector<std::ptrdiff_t> key_field_;  // per input key: the listed field written there, or -1
  std::vector<size_t> extra_fields_;       // listed fields after the input keys
  std::vector<passthrough::Entry> entries_;
};

}  // namespace seqflow::io
