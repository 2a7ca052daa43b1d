// Fuzz target: io.tsv_read's rows, from the file through typed cells.
//
// The input after one option byte is a file (plain, or gzip when it starts with gzip's magic), read by
// io's LineReader with a chunk size and line limit that the option byte picks, so that lines cross
// chunk boundaries at every offset. Each line is split into cells (split_tabs), every cell unescaped
// and parsed as an int and a float, as io.tsv_read does for declared columns. Checked properties: the
// cells cover the line; escaping a cell's text and unescaping it gives it back; a parsed number that
// the writers format reads back to itself; a reader error names the file.
#include "fuzz_util.hpp"
#include "io/line_reader.hpp"
#include "io/text_format.hpp"
#include "io/tsv.hpp"

#include <seqflow/sdk.hpp>

#include <cmath>
#include <string>
#include <vector>

using namespace seqflow::io;

namespace {

void check_line(std::string_view line, std::vector<std::string_view>& cells) {
  split_tabs(line, cells);
  size_t total = cells.size() - 1;  // the tabs between the cells
  for (std::string_view cell : cells) {
    total += cell.size();
    if (cell.find('\t') != std::string_view::npos) __builtin_trap();
    std::string text = tsv_unescape(cell);
    std::string escaped;
    append_tsv_escaped(escaped, text);
    if (tsv_unescape(escaped) != text) __builtin_trap();
    int64_t i = 0;
    if (parse_int(cell, i)) {
      std::string back;
      append_int(back, i);
      int64_t again = 0;
      if (!parse_int(back, again) || again != i) __builtin_trap();
    }
    double d = 0;
    if (parse_double(cell, d)) {
      std::string back;
      append_double(back, d);
      double again = 0;
      if (!parse_double(back, again)) __builtin_trap();
      if (again != d && !(std::isnan(again) && std::isnan(d))) __builtin_trap();
    }
  }
  if (total != line.size()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  seqflow::fuzz::Cursor in(data, size);
  const uint8_t option = in.byte();
  const size_t chunk = size_t{1} + (option & 0x3f);
  const size_t max_line = option & 0x40 ? 64 : LineReader::kDefaultMaxLine;
  const std::string path = seqflow::fuzz::write_file("input.tsv", in.rest());
  std::vector<std::string_view> cells;
  try {
    LineReader reader(path, chunk, max_line);
    std::string_view line;
    while (reader.next(line)) check_line(line, cells);
  } catch (const seqflow::Error& e) {
    if (std::string_view(e.what()).find(path) == std::string_view::npos) __builtin_trap();
  }
  return 0;
}
