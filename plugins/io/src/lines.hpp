// io.lines_read and io.lines_write: text files, one record per line.
#pragma once

#include "io/line_reader.hpp"
#include "io/output_file.hpp"

#include <seqflow/sdk.hpp>

#include <memory>
#include <string>
#include <vector>

namespace seqflow::io {

class LinesRead : public Source<LinesRead> {
 public:
  static constexpr Info info{
      "lines_read",
      "Reads text files line by line, one record per line, in file order. Files may be plain or gzip "
      "(recognised by their content, not their name); CRLF line endings lose the CR. Streams in bounded "
      "memory. Sets `id` to \"<file name>:<line number>\".",
      R"([[stage]]
name = "read"
plugin = "io.lines_read"
paths = ["data/*.txt", "more/corpus.txt.gz"]
output = "text"
skip_empty = true
)",
      SF_FLAG_SERIAL | SF_FLAG_SHARDS_FILES, 1};
  static constexpr sf_param_decl params[] = {
      Param::paths("paths", nullptr,
                   "Files to read: paths or glob patterns (* ? [..] {a,b}), relative to the pipeline file. "
                   "Each pattern's matches are read in sorted order, patterns in the order given; a pattern "
                   "that matches no file is an error."),
      Param::field("output", "\"text\"", "Field that receives the line (without its line ending)."),
      Param::boolean("skip_empty", "false", "Skip empty lines (line numbers still count them)."),
  };
  static constexpr sf_field_decl fields[] = {
      Field::writes(nullptr, "id", SF_FIELD_STRING, SF_DTYPE_ANY, "\"<file name>:<line number>\""),
      Field::writes("output", "text", SF_FIELD_STRING, SF_DTYPE_ANY, "The line's text."),
  };

  explicit LinesRead(CreateContext& ctx);
  bool read(Context& ctx, uint32_t max);

 private:
  std::vector<std::string> paths_;
  size_t next_path_ = 0;
  std::unique_ptr<LineReader> reader_;
  std::string id_prefix_;  // "<file name>:"
  std::string id_;
  bool skip_empty_;
  Slot id_slot_, out_slot_;
};

class LinesWrite : public Sink<LinesWrite> {
 public:
  static constexpr Info info{
      "lines_write",
      "Writes one field of each record as one line of a text file, in record order. A path ending in "
      "\".gz\" is gzip-compressed. The file appears only when the run succeeds (written under a temporary "
      "name, renamed at the end). A value containing a newline, or ending in a carriage return that a "
      "reader would drop, fails its record.",
      R"([[stage]]
name = "write"
plugin = "io.lines_write"
path = "out/lines.txt.gz"
input = "text"
)",
      SF_FLAG_SERIAL, 1};
  static constexpr sf_param_decl params[] = {
      Param::path("path", nullptr,
                  "Output file, relative to the pipeline file; missing folders are created. \".gz\": gzip."),
      Param::field("input", "\"text\"", "Field written as the line (string or bytes)."),
  };
  static constexpr sf_field_decl fields[] = {
      Field::reads("input", "text", SF_FIELD_STRING, SF_DTYPE_ANY, "The line's text."),
  };

  explicit LinesWrite(CreateContext& ctx);
  void process(Context& ctx, Record& r);
  void finish(Context& ctx);

 private:
  std::string input_name_;
  Slot in_slot_;
  OutputFile out_;
};

}  // namespace seqflow::io
