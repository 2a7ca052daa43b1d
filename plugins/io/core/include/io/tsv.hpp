// Tab-separated text: splitting, and the escapes io.tsv_write uses so that any value fits in a cell.
//
// Escapes: a tab is written as \t, a newline as \n, a carriage return as \r and a backslash as \\;
// unescaping turns those four back and keeps any other backslash pair as it is. Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace seqflow::io {

/// Splits `line` at every tab into `cells` (views into `line`); an empty line is one empty cell.
void split_tabs(std::string_view line, std::vector<std::string_view>& cells);
void append_tsv_escaped(std::string& out, std::string_view value);
std::string tsv_unescape(std::string_view cell);

}  // namespace seqflow::io
