// JsonlLineParser: one line of JSON Lines -> the typed fields that io.jsonl_read declares.
//
// What it is: the conversion behind io.jsonl_read, in two paths that give the same fields.
//  - Fast path (parse_fast): simdjson's DOM parser, kept across lines, parses a padded copy of the line;
//    values are checked and converted straight from its tape (tensors are written into the caller's
//    buffer), with no allocation once the buffers have grown to the longest line.
//  - Checked path (parse_checked): nlohmann-json, the reference: every rule and every error message.
//  parse() tries the fast path and, on ANY simdjson error or type/range problem, parses the line again
//  with the checked path, which either accepts it (e.g. integers beyond 64 bits, which it reads as
//  floats, or bytes after a NUL, which it ignores) or says what is wrong. The fast path accepts a line
//  only when the checked path would accept it with the same values (tests/io/jsonl_line_test.cpp).
//  Duplicate keys: in both paths the LAST occurrence of a key wins (as in nlohmann-json, Python's json
//  and JavaScript's JSON.parse).
//
// Lifecycle: construct with the columns and the id key, parse() each line, read the values until the
// next parse.
// Threading: one thread at a time per object.
// Ownership: views returned (id, text) point into the parser and are valid until the next parse.
// Memory: simdjson's buffers hold about 15 bytes per byte of the longest line given to the fast path;
// lines longer than kFastLineLimit always take the checked path, which bounds that to about 250 MB.
// Errors: parse() and parse_checked() return false and set error() (and error_byte() for JSON syntax
// errors); the message names the field and the problem but not the file or line (the caller adds
// them). Only allocation failures throw.
#pragma once

#include "io/json_fields.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace seqflow::io {

struct JsonlColumn {
  std::string name;  // the JSON key, and the record field it becomes
  FieldKind kind;
};

class JsonlLineParser {
 public:
  static constexpr size_t kFastLineLimit = size_t{16} << 20;

  JsonlLineParser(std::vector<JsonlColumn> columns, std::string id_field);
  ~JsonlLineParser();
  JsonlLineParser(const JsonlLineParser&) = delete;
  JsonlLineParser& operator=(const JsonlLineParser&) = delete;

  /// The fast path, then the checked path when the fast one does not accept the line.
  bool parse(std::string_view line);
  /// simdjson only; false (with no message) for anything it does not accept.
  bool parse_fast(std::string_view line);
  /// nlohmann-json only: the reference behaviour.
  bool parse_checked(std::string_view line);

  /// Which path produced the current values (for tests and statistics).
  bool used_fast_path() const;

  // After a successful parse, until the next one. `column` indexes the constructor's columns.
  /// False when the line has no id key (the caller makes one up).
  bool has_id() const;
  /// A string id as it is, an integer id as its decimal text.
  std::string_view id() const;
  /// A string column's text; a bytes column's decoded bytes.
  std::string_view text(size_t column) const;
  int64_t integer(size_t column) const;
  double real(size_t column) const;
  std::span<const int64_t> shape(size_t column) const;
  /// Writes a tensor column's elements, row-major, into `dst`: product(shape) elements of its dtype.
  void fill_tensor(size_t column, void* dst) const;

  // After a failed parse.
  const std::string& error() const;
  /// For invalid JSON: nlohmann-json's byte position of the error (1-based); empty otherwise.
  std::optional<size_t> error_byte() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace seqflow::io
