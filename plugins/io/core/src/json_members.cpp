#include "io/json_members.hpp"

#include <nlohmann/json.hpp>

namespace seqflow::io {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

void skip_space(std::string_view s, size_t& i) {
  while (i < s.size() && is_space(s[i])) ++i;
}

// s[i] is '"': moves i past the closing quote.
bool skip_string(std::string_view s, size_t& i) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      ++i;
      return true;
    }
  }
  return false;
}

// Moves i past one value: a string, a nested array/object, or a scalar (number, true, false, null).
bool skip_value(std::string_view s, size_t& i) {
  if (i >= s.size()) return false;
  if (s[i] == '"') return skip_string(s, i);
  if (s[i] == '[' || s[i] == '{') {
    int depth = 0;
    while (i < s.size()) {
      const char c = s[i];
      if (c == '"') {
        if (!skip_string(s, i)) return false;
        continue;
      }
      if (c == '[' || c == '{') ++depth;
      if (c == ']' || c == '}') --depth;
      ++i;
      if (depth == 0) return true;
    }
    return false;
  }
  while (i < s.size() && s[i] != ',' && s[i] != '}' && !is_space(s[i])) ++i;
  return true;
}

}  // namespace

bool json_members(std::string_view line, std::vector<JsonMember>& out) {
  out.clear();
  size_t i = 0;
  skip_space(line, i);
  if (i >= line.size() || line[i] != '{') return false;
  ++i;
  skip_space(line, i);
  if (i < line.size() && line[i] == '}') return true;
  while (i < line.size()) {
    skip_space(line, i);
    if (i >= line.size() || line[i] != '"') return false;
    const size_t key_begin = i;
    if (!skip_string(line, i)) return false;
    std::string_view quoted = line.substr(key_begin, i - key_begin);
    JsonMember m;
    if (quoted.find('\\') == std::string_view::npos) {
      m.key.assign(quoted.substr(1, quoted.size() - 2));
    } else {
      const nlohmann::json decoded = nlohmann::json::parse(quoted, nullptr, false);
      if (!decoded.is_string()) return false;
      m.key = decoded.get<std::string>();
    }
    skip_space(line, i);
    if (i >= line.size() || line[i] != ':') return false;
    ++i;
    skip_space(line, i);
    const size_t value_begin = i;
    if (!skip_value(line, i)) return false;
    m.value = line.substr(value_begin, i - value_begin);
    out.push_back(std::move(m));
    skip_space(line, i);
    if (i < line.size() && line[i] == ',') {
      ++i;
      continue;
    }
    return i < line.size() && line[i] == '}';
  }
  return false;
}

}  // namespace seqflow::io
