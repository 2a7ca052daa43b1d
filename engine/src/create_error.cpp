// Attribution of create() failures to parameters (see create_error.hpp). The message heuristics exist
// for plugins built before ABI 1.2, which cannot name the parameter; they only ever pick a parameter the
// component declares, so the worst case is the stage header, never a wrong file.
#include "create_error.hpp"

#include <cctype>
#include <string_view>
#include <vector>

namespace seqflow::engine {
namespace {

bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

// `message` starts with `name` as a whole word ("k = 13", "paths is empty", "unk_token 'x'").
bool starts_with_word(std::string_view message, std::string_view name) {
  return message.starts_with(name) && (message.size() == name.size() || !ident_char(message[name.size()]));
}

void strings_of(const sf_value& v, std::vector<std::string_view>& out) {
  if (v.kind == SF_VALUE_STRING && v.size > 1) out.emplace_back(v.s, v.size);
  if (v.kind == SF_VALUE_ARRAY)
    for (size_t i = 0; i < v.size; ++i) strings_of(v.items[i], out);
}

}  // namespace

std::string blamed_parameter(const std::string& message, const std::string& plugin_param,
                             const sf_param_decl* decls, uint32_t num_decls, const sf_value* params) {
  auto declared = [&](std::string_view name) {
    for (uint32_t i = 0; i < num_decls; ++i)
      if (decls[i].name != nullptr && name == decls[i].name) return true;
    return false;
  };
  if (!plugin_param.empty() && declared(plugin_param)) return plugin_param;
  std::string_view m = message;
  for (uint32_t i = 0; i < num_decls; ++i) {
    const std::string name = decls[i].name != nullptr ? decls[i].name : "";
    if (name.empty()) continue;
    if (m.starts_with("parameter '" + name + "'") || m.starts_with("`" + name + "`") ||
        starts_with_word(m, name))
      return name;
  }
  // The value quoted in the message: a path or pattern that does not exist or cannot be written.
  if (params != nullptr && params->kind == SF_VALUE_TABLE) {
    for (size_t i = 0; i < params->size; ++i) {
      if (!declared(params->keys[i])) continue;
      std::vector<std::string_view> values;
      strings_of(params->items[i], values);
      for (std::string_view v : values) {
        std::string quoted(1, '\'');
        quoted.append(v).push_back('\'');
        if (m.find(quoted) != std::string_view::npos) return params->keys[i];
      }
    }
  }
  return "";
}

SourcePos create_failure_position(const std::string& blamed,
                                  const std::map<std::string, SourcePos>& param_pos,
                                  const SourcePos& header) {
  auto it = param_pos.find(blamed);
  return it == param_pos.end() ? header : it->second;
}

}  // namespace seqflow::engine
