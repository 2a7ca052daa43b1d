// io.tsv_read and io.tsv_write: tab-separated tables, one record per row.
#pragma once

#include "io/json_fields.hpp"
#include "io/line_reader.hpp"
#include "io/output_file.hpp"

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
      "from the header. Under on_error = \"skip\" a bad row is logged and skipped.",
      R"([[stage]]
name = "read"
plugin = "io.tsv_read"
paths = ["data/labels.tsv"]
columns = { text = "string", label = "int", weight = "float" }
header = true
id_column = "id"
)",
      SF_FLAG_SERIAL, 1};
  static constexpr sf_param_decl params[] = {
      Param::paths("paths", nullptr,
                   "Files to read: paths or glob patterns, relative to the pipeline file; each pattern's "
                   "matches in sorted order. A pattern that matches no file is an error."),
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
  };
  static constexpr sf_field_decl fields[] = {
      Field::writes(nullptr, "id", SF_FIELD_STRING, SF_DTYPE_ANY,
                    "From `id_column`, else \"<file name>:<line>\"."),
      Field::writes("columns", "text", SF_FIELD_ANY, SF_DTYPE_ANY, "One field per entry of `columns`."),
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

  std::vector<std::string> paths_;
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
      "when the run succeeds.",
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
  };

  explicit TsvWrite(CreateContext& ctx);
  void process(Context& ctx, Record& r);
  void finish(Context& ctx);

 private:
  std::vector<std::string> names_;
  std::vector<Slot> slots_;
  OutputFile out_;
  std::string line_;
};

}  // namespace seqflow::io
