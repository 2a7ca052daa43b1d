#include "io/tsv.hpp"

namespace seqflow::io {

void split_tabs(std::string_view line, std::vector<std::string_view>& cells) {
  cells.clear();
  size_t start = 0;
  for (;;) {
    size_t tab = line.find('\t', start);
    if (tab == std::string_view::npos) {
      cells.push_back(line.substr(start));
      return;
    }
    cells.push_back(line.substr(start, tab - start));
    start = tab + 1;
  }
}

void append_tsv_escaped(std::string& out, std::string_view value) {
  size_t run = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    const char* esc;
    switch (value[i]) {
      case '\t': esc = "\\t"; break;
      case '\n': esc = "\\n"; break;
      case '\r': esc = "\\r"; break;
      case '\\': esc = "\\\\"; break;
      default: continue;
    }
    out.append(value.data() + run, i - run);
    out += esc;
    run = i + 1;
  }
  out.append(value.data() + run, value.size() - run);
}

std::string tsv_unescape(std::string_view cell) {
  std::string out;
  out.reserve(cell.size());
  for (size_t i = 0; i < cell.size(); ++i) {
    char c = cell[i];
    if (c != '\\' || i + 1 == cell.size()) {
      out += c;
      continue;
    }
    switch (cell[i + 1]) {
      case 't':
        out += '\t';
        ++i;
        break;
      case 'n':
        out += '\n';
        ++i;
        break;
      case 'r':
        out += '\r';
        ++i;
        break;
      case '\\':
        out += '\\';
        ++i;
        break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace seqflow::io
