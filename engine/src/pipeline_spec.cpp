// Pipeline loader: TOML file -> --set overrides -> [pipeline], [plugins], [resources.X], [[stage]] ->
// graph checks -> field checks. Every error is a SpecError at the position of the offending TOML node
// (or "--set:N:1" for the N-th override) and, where a name is wrong, ends with "(did you mean 'x'?)".
#include "pipeline_spec.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <queue>
#include <sstream>
#include <tuple>

namespace fs = std::filesystem;

namespace seqflow::engine {

namespace {

constexpr const char* kDtypeNames[] = {"f32", "bf16", "f16", "i64", "i32", "u8", "i8"};
constexpr size_t kNumDtypes = sizeof(kDtypeNames) / sizeof(kDtypeNames[0]);

}  // namespace

std::string SourcePos::str() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

SpecError::SpecError(const SourcePos& pos, const std::string& message)
    : InvalidPipeline(pos.str() + ": error: " + message, pos.str()), pos_(pos), message_(message) {}

std::string FieldType::str() const {
  switch (type) {
    case SF_FIELD_STRING: return "string";
    case SF_FIELD_BYTES: return "bytes";
    case SF_FIELD_INT: return "int";
    case SF_FIELD_FLOAT: return "float";
    case SF_FIELD_TENSOR:
      if (static_cast<size_t>(dtype) < kNumDtypes) return std::string("tensor<") + kDtypeNames[dtype] + ">";
      return "tensor";
    default: return "any";
  }
}

std::optional<FieldType> parse_field_type(std::string_view text) {
  static const std::pair<std::string_view, sf_field_type> kScalars[] = {{"string", SF_FIELD_STRING},
                                                                        {"bytes", SF_FIELD_BYTES},
                                                                        {"int", SF_FIELD_INT},
                                                                        {"float", SF_FIELD_FLOAT},
                                                                        {"tensor", SF_FIELD_TENSOR}};
  for (const auto& [name, type] : kScalars)
    if (text == name) return FieldType{type, SF_DTYPE_ANY};
  std::string_view dtype;
  if (text.starts_with("tensor:")) {
    dtype = text.substr(7);
  } else if (text.starts_with("tensor<") && text.ends_with(">")) {
    dtype = text.substr(7, text.size() - 8);
  } else {
    return std::nullopt;
  }
  for (size_t i = 0; i < kNumDtypes; ++i)
    if (dtype == kDtypeNames[i]) return FieldType{SF_FIELD_TENSOR, static_cast<sf_dtype>(i)};
  return std::nullopt;
}

namespace {

constexpr const char* kSetFile = "--set";

const std::vector<std::string> kTopLevelKeys = {"pipeline", "plugins", "resources", "stage"};
const std::vector<std::string> kPipelineKeys = {
    "name", "description", "threads", "max_in_flight", "on_error", "error_log", "max_in_flight_bytes"};

// "512M", "2G", "65536" (K, M, G, T are powers of 1024); nullopt when it is not that.
std::optional<uint64_t> byte_size(const std::string& text) {
  size_t used = 0;
  unsigned long long n = 0;
  try {
    n = std::stoull(text, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  std::string unit = text.substr(used);
  if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b')) unit.pop_back();
  if (!unit.empty() && unit.back() == 'i') unit.pop_back();
  const std::string units = "KMGT";
  if (unit.empty()) return n;
  if (unit.size() != 1 || units.find(static_cast<char>(std::toupper(unit[0]))) == std::string::npos)
    return std::nullopt;
  const int shift = 10 * (1 + static_cast<int>(units.find(static_cast<char>(std::toupper(unit[0])))));
  if (n > (UINT64_MAX >> shift)) return std::nullopt;
  return static_cast<uint64_t>(n) << shift;
}
const std::vector<std::string> kStageKeys = {"name", "plugin", "after", "concurrency", "batch"};
const std::vector<std::string> kBatchKeys = {"size", "by_length", "length_field"};

std::string hint(const std::string& wanted, const std::vector<std::string>& candidates) {
  std::string guess = closest_name(wanted, candidates);
  return guess.empty() ? "" : " (did you mean '" + guess + "'?)";
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i == 0 ? "" : sep) + items[i];
  return out;
}

std::vector<std::string> field_type_names() {
  std::vector<std::string> names = {"string", "bytes", "int", "float", "tensor"};
  for (const char* d : kDtypeNames) names.push_back(std::string("tensor:") + d);
  return names;
}

std::string type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return "string";
    case toml::node_type::integer: return "integer";
    case toml::node_type::floating_point: return "float";
    case toml::node_type::boolean: return "boolean";
    case toml::node_type::array: return "array";
    case toml::node_type::table: return "table";
    case toml::node_type::date: return "date";
    case toml::node_type::time: return "time";
    case toml::node_type::date_time: return "date-time";
    default: return "nothing";
  }
}

// How a value the user wrote reads back in a message: strings quoted, numbers as written, else the type.
std::string shown(const toml::node& n) {
  if (const auto* s = n.as_string()) return "\"" + s->get() + "\"";
  if (const auto* i = n.as_integer()) return std::to_string(i->get());
  return type_name(n);
}

// `s` as a TOML basic string literal.
std::string toml_quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t end = s.find(sep, start);
    parts.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

bool valid_stage_name(const std::string& name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

const char* kind_name(sf_component_kind kind) {
  switch (kind) {
    case SF_SOURCE: return "source";
    case SF_SINK: return "sink";
    default: return "transform";
  }
}

bool compatible(const FieldType& written, const FieldType& read) {
  if (written.type == SF_FIELD_ANY || read.type == SF_FIELD_ANY) return true;
  if (written.type != read.type) return false;
  if (written.type != SF_FIELD_TENSOR) return true;
  return written.dtype == SF_DTYPE_ANY || read.dtype == SF_DTYPE_ANY || written.dtype == read.dtype;
}

struct Entry {
  std::string key;
  const toml::node* value;
  SourcePos key_pos;
};

// Where a resolved field name came from, for messages.
struct FieldSite {
  FieldUse use;
  SourcePos pos;
};

struct Owner {
  std::string desc;  // "stage 'read' (io.lines_read)", "resource 'model' (onednn.model)"
  SourcePos header;  // the [[stage]] / [resources.X] header
};

struct CheckedParams {
  OwnedValue tree;
  std::map<std::string, sf_value> values;          // every declared parameter, pointing into `tree`
  std::map<std::string, const toml::node*> given;  // the ones the user wrote, for positions
  std::map<std::string, SourcePos> pos;            // where each given value starts
};

struct StageDraft {
  StageSpec spec;
  const toml::table* table = nullptr;
  bool has_after = false;
  SourcePos after_pos;
  std::vector<std::pair<std::string, SourcePos>> after;
  std::vector<FieldSite> reads;
  std::vector<FieldSite> writes;
  bool check_length_field = false;
  SourcePos length_field_pos;
  sf_component_kind kind() const { return spec.component.component->kind; }
  uint32_t flags() const { return spec.component.component->flags; }
  std::string desc() const { return "'" + spec.name + "' (" + spec.plugin + ")"; }
};

class Loader {
 public:
  Loader(const std::string& path, const std::vector<std::string>& overrides)
      : file_(path), overrides_(overrides) {}
  // TOML held in a string: `display_name` stands for the file in positions, `base_dir` for its folder.
  Loader(const std::string& text, const std::string& display_name, const std::string& base_dir,
         const std::vector<std::string>& overrides)
      : file_(display_name), overrides_(overrides), text_(text), base_dir_(base_dir) {}

  PipelineSpec load() {
    if (text_) {
      spec_.file = file_;
      spec_.dir = fs::absolute(base_dir_.empty() ? fs::current_path() : fs::path(base_dir_))
                      .lexically_normal()
                      .string();
    } else {
      spec_.file = fs::absolute(file_).lexically_normal().string();
      spec_.dir = fs::path(spec_.file).parent_path().string();
    }
    parse_file();
    apply_overrides();
    check_top_level();
    load_pipeline_section();
    load_plugin_paths();
    load_resources();
    load_stages();
    build_graph();
    check_fields();
    return std::move(spec_);
  }

 private:
  // ---- positions ----

  SourcePos file_start() const { return {file_, 1, 1}; }

  // A node made from a default literal has no path, one moved in from --set has kSetFile.
  SourcePos at(const toml::source_region& r, const SourcePos& fallback) const {
    if (r.begin.line == 0 || !r.path) return fallback;
    if (*r.path == kSetFile) return {kSetFile, static_cast<int>(r.begin.line), 1};
    return {file_, static_cast<int>(r.begin.line), static_cast<int>(r.begin.column)};
  }
  SourcePos at(const toml::node& n, const SourcePos& fallback) const { return at(n.source(), fallback); }
  SourcePos at(const toml::node& n) const { return at(n.source(), file_start()); }

  static bool from_set(const toml::node& n) { return n.source().path && *n.source().path == kSetFile; }

  // The entries of a table in the order the user wrote them (file first, then --set by index).
  std::vector<Entry> entries(const toml::table& t) const {
    std::vector<Entry> out;
    for (auto&& [k, v] : t) out.push_back({std::string(k.str()), &v, at(k.source(), at(v))});
    auto order = [](const Entry& e) {
      return std::make_tuple(e.key_pos.file == kSetFile, e.key_pos.line, e.key_pos.column);
    };
    std::stable_sort(out.begin(), out.end(),
                     [&](const Entry& a, const Entry& b) { return order(a) < order(b); });
    return out;
  }

  // Relative paths from the file resolve against its folder; those typed after --set, against the cwd.
  std::string resolve_path(const std::string& p, const toml::node& n) const {
    if (p.empty() || fs::path(p).is_absolute()) return p;
    fs::path base = from_set(n) ? fs::current_path() : fs::path(spec_.dir);
    return (base / p).lexically_normal().string();
  }

  // ---- parsing and overrides ----

  void parse_file() {
    std::error_code ec;
    if (text_) {
      try {
        root_ = toml::parse(*text_, std::string_view(file_));
      } catch (const toml::parse_error& e) {
        throw SpecError({file_, std::max(1, static_cast<int>(e.source().begin.line)),
                         std::max(1, static_cast<int>(e.source().begin.column))},
                        std::string(e.description()));
      }
      return;
    }
    if (!fs::exists(file_, ec))
      throw SpecError(file_start(), "cannot read the pipeline file: it does not exist");
    if (fs::is_directory(file_, ec))
      throw SpecError(file_start(), "cannot read the pipeline file: it is a directory");
    try {
      root_ = toml::parse_file(file_);
    } catch (const toml::parse_error& e) {
      SourcePos pos{file_, static_cast<int>(e.source().begin.line),
                    static_cast<int>(e.source().begin.column)};
      if (pos.line == 0) {
        pos = file_start();
        throw SpecError(pos, "cannot read the pipeline file: " + std::string(e.description()));
      }
      throw SpecError(pos, std::string(e.description()));
    }
  }

  void apply_overrides() {
    for (size_t i = 0; i < overrides_.size(); ++i) apply_override(i);
  }

  toml::table& section(toml::table& parent, const std::string& key, const SourcePos& pos,
                       const std::string& what) {
    toml::node* n = parent.get(key);
    if (n == nullptr) {
      parent.insert_or_assign(key, toml::table{});
      n = parent.get(key);
    }
    if (!n->is_table())
      throw SpecError(pos, what + " must be a table to set keys in it, got " + type_name(*n));
    return *n->as_table();
  }

  void apply_override(size_t index) {
    const std::string& text = overrides_[index];
    const SourcePos pos{kSetFile, static_cast<int>(index + 1), 1};
    const size_t eq = text.find('=');
    if (eq == std::string::npos)
      throw SpecError(pos,
                      "'" + text + "' is not KEY=VALUE: write stage.key=value, e.g. read.paths=[\"in.txt\"]");
    const std::string target = text.substr(0, eq);
    std::vector<std::string> parts = split(target, '.');
    const bool empty_part =
        std::any_of(parts.begin(), parts.end(), [](const std::string& p) { return p.empty(); });
    const size_t min_parts = parts[0] == "resources" ? 3 : 2;
    if (empty_part || parts.size() < min_parts)
      throw SpecError(
          pos, "'" + target + "' names no setting: write stage.key, pipeline.key or resources.NAME.key");

    toml::table* dest = nullptr;
    size_t key_from = 1;
    if (parts[0] == "pipeline" || parts[0] == "plugins") {
      dest = &section(root_, parts[0], pos, "[" + parts[0] + "]");
    } else if (parts[0] == "resources") {
      toml::table& resources = section(root_, "resources", pos, "[resources]");
      toml::node* r = resources.get(parts[1]);
      if (r == nullptr || !r->is_table()) {
        std::vector<std::string> names;
        for (auto&& [k, v] : resources) names.push_back(std::string(k.str()));
        throw SpecError(
            pos, "--set '" + text + "': there is no [resources." + parts[1] + "]" + hint(parts[1], names));
      }
      dest = r->as_table();
      key_from = 2;
    } else {
      std::vector<std::string> names;
      if (toml::array* stages = root_["stage"].as_array()) {
        for (toml::node& s : *stages) {
          toml::table* t = s.as_table();
          const std::string* name = nullptr;
          if (t != nullptr && t->get("name") != nullptr && t->get("name")->is_string())
            name = &t->get("name")->as_string()->get();
          if (name == nullptr) continue;
          if (*name == parts[0] && dest == nullptr) dest = t;
          names.push_back(*name);
        }
      }
      if (dest == nullptr)
        throw SpecError(
            pos, "--set '" + text + "': there is no stage named '" + parts[0] + "'" + hint(parts[0], names));
    }
    for (size_t i = key_from; i + 1 < parts.size(); ++i)
      dest = &section(*dest, parts[i], pos, "'" + join({parts.begin(), parts.begin() + i + 1}, ".") + "'");
    toml::table parsed = parse_override_value(index, text.substr(eq + 1), pos, text);
    dest->insert_or_assign(parts.back(), std::move(*parsed.get("v")));
  }

  // The value as TOML (so 4 is an integer and [1, 2] an array), else as a plain string. The parse is
  // padded with newlines so that the node's line is the override's index: errors point at "--set:N:1".
  toml::table parse_override_value(size_t index, const std::string& value, const SourcePos& pos,
                                   const std::string& text) const {
    const std::string pad(index, '\n');
    try {
      toml::table t = toml::parse(pad + "v = " + value, std::string_view(kSetFile));
      if (t.size() == 1 && t.contains("v")) return t;
    } catch (const toml::parse_error&) {
      // Not a TOML value: a plain string, as a shell user would expect for paths and names.
    }
    try {
      return toml::parse(pad + "v = " + toml_quote(value), std::string_view(kSetFile));
    } catch (const toml::parse_error& e) {
      // Found by tests/fuzz (fuzz_pipeline_toml): bytes that are not UTF-8 make even the quoted string
      // invalid TOML, and toml++'s exception escaped the loader.
      throw SpecError(pos, "--set '" + text + "': the value cannot be a TOML string (" +
                               std::string(e.description()) + "); pipeline values must be UTF-8 text");
    }
  }

  // ---- sections ----

  void check_top_level() {
    for (const Entry& e : entries(root_)) {
      if (std::find(kTopLevelKeys.begin(), kTopLevelKeys.end(), e.key) == kTopLevelKeys.end())
        throw SpecError(e.key_pos, "unknown top-level key '" + e.key +
                                       "': a pipeline file has [pipeline], [plugins], "
                                       "[resources.NAME] and [[stage]]" +
                                       hint(e.key, kTopLevelKeys));
    }
  }

  const toml::table* optional_table(const std::string& key, const std::string& what) const {
    const toml::node* n = root_.get(key);
    if (n == nullptr) return nullptr;
    if (!n->is_table()) throw SpecError(at(*n), what + " must be a table, got " + type_name(*n));
    return n->as_table();
  }

  void load_pipeline_section() {
    const toml::table* t = optional_table("pipeline", "[pipeline]");
    if (t == nullptr) return;
    for (const Entry& e : entries(*t)) {
      const toml::node& v = *e.value;
      const SourcePos pos = at(v, e.key_pos);
      auto bad = [&](const std::string& expected) {
        return SpecError(pos, "[pipeline] " + e.key + " must be " + expected + ", got " + shown(v));
      };
      if (e.key == "name" || e.key == "description") {
        if (!v.is_string()) throw bad("a string");
        (e.key == "name" ? spec_.name : spec_.description) = v.as_string()->get();
      } else if (e.key == "threads") {
        if (!v.is_integer() || v.as_integer()->get() < 0 || v.as_integer()->get() > INT_MAX)
          throw bad("an integer >= 0 (0 = all cores)");
        spec_.threads = static_cast<int>(v.as_integer()->get());
      } else if (e.key == "max_in_flight") {
        if (!v.is_integer() || v.as_integer()->get() < 1 || v.as_integer()->get() > UINT32_MAX)
          throw bad("an integer >= 1");
        spec_.max_in_flight = static_cast<uint32_t>(v.as_integer()->get());
        spec_.max_in_flight_set = true;
      } else if (e.key == "max_in_flight_bytes") {
        std::optional<uint64_t> bytes;
        if (v.is_integer() && v.as_integer()->get() >= 0)
          bytes = static_cast<uint64_t>(v.as_integer()->get());
        if (v.is_string()) bytes = byte_size(v.as_string()->get());
        if (!bytes)
          throw bad("a byte count such as 268435456 or \"256M\" (K, M, G, T: powers of 1024; 0: no bound)");
        spec_.max_in_flight_bytes = *bytes;
      } else if (e.key == "on_error") {
        const std::vector<std::string> choices = {"fail", "skip"};
        if (!v.is_string()) throw bad("\"fail\" or \"skip\"");
        const std::string& s = v.as_string()->get();
        if (s != "fail" && s != "skip")
          throw SpecError(
              pos, "[pipeline] on_error must be \"fail\" or \"skip\", got \"" + s + "\"" + hint(s, choices));
        spec_.skip_errors = s == "skip";
      } else if (e.key == "error_log") {
        if (!v.is_string()) throw bad("a path (string)");
        spec_.error_log = resolve_path(v.as_string()->get(), v);
      } else {
        throw SpecError(e.key_pos, "unknown key '" + e.key + "' in [pipeline]" + hint(e.key, kPipelineKeys));
      }
    }
  }

  void load_plugin_paths() {
    const toml::table* t = optional_table("plugins", "[plugins]");
    if (t == nullptr) return;
    for (const Entry& e : entries(*t)) {
      if (e.key != "paths")
        throw SpecError(e.key_pos, "unknown key '" + e.key + "' in [plugins]" + hint(e.key, {"paths"}));
      for (const auto& [path, node] : string_list(*e.value, "[plugins] paths", "an array of folder paths"))
        PluginHost::instance().add_search_dir(resolve_path(path, *node));
    }
  }

  // A string or an array of strings, each with its node (for positions and path resolution).
  std::vector<std::pair<std::string, const toml::node*>> string_list(const toml::node& n,
                                                                     const std::string& what,
                                                                     const std::string& expected) const {
    std::vector<std::pair<std::string, const toml::node*>> out;
    if (n.is_string()) {
      out.emplace_back(n.as_string()->get(), &n);
      return out;
    }
    if (!n.is_array()) throw SpecError(at(n), what + " must be " + expected + ", got " + type_name(n));
    const toml::array& a = *n.as_array();
    for (size_t i = 0; i < a.size(); ++i) {
      if (!a[i].is_string())
        throw SpecError(at(a[i], at(n)), "element " + std::to_string(i + 1) + " of " + what +
                                             " must be a string, got " + type_name(a[i]));
      out.emplace_back(a[i].as_string()->get(), &a[i]);
    }
    return out;
  }

  // ---- plugin lookups ----

  const LoadedModule& find_module(const std::string& module, const SourcePos& pos, const std::string& who) {
    PluginHost& host = PluginHost::instance();
    try {
      return host.module(module);
    } catch (const PluginError& e) {
      // A module that exists but fails to load keeps the host's message; a misspelt one gets a hint.
      std::vector<std::string> known;
      bool present = false;
      for (const std::string& dir : host.search_dirs()) {
        std::error_code ec;
        for (const auto& f : fs::directory_iterator(dir, ec)) {
          const std::string name = f.path().filename().string();
          if (name.size() <= 11 || !name.starts_with("seqflow_") || !name.ends_with(".so")) continue;
          known.push_back(name.substr(8, name.size() - 11));
          present = present || known.back() == module;
        }
      }
      const std::string guess = closest_name(module, known);
      if (!present && !guess.empty())
        throw SpecError(pos, who + "unknown plugin module '" + module + "' (did you mean '" + guess + "'?)");
      throw SpecError(pos, who + e.what());
    }
  }

  std::pair<std::string, std::string> split_name(const std::string& full, const SourcePos& pos,
                                                 const std::string& who) const {
    try {
      return split_plugin_name(full);
    } catch (const PluginError& e) {
      throw SpecError(pos, who + e.what());
    }
  }

  ComponentRef find_component(const std::string& full, const SourcePos& pos, const std::string& who) {
    const auto [module, name] = split_name(full, pos, who);
    const LoadedModule& m = find_module(module, pos, who);
    std::vector<std::string> names;
    for (uint32_t i = 0; i < m.module->num_components; ++i) {
      const sf_component* c = m.module->components[i];
      if (name == c->name) return ComponentRef{&m, c, full};
      names.push_back(c->name);
    }
    for (uint32_t i = 0; i < m.module->num_resources; ++i) {
      if (name == m.module->resources[i]->name)
        throw SpecError(pos, who + "'" + full +
                                 "' is a resource type, not a stage component: declare it as "
                                 "[resources.NAME] and give NAME to the stages that use it");
    }
    const std::string guess = closest_name(name, names);
    if (!guess.empty())
      throw SpecError(pos, who + "module '" + module + "' has no component '" + name + "' (did you mean '" +
                               module + "." + guess + "'?)");
    throw SpecError(
        pos, who + "module '" + module + "' has no component '" + name + "'; it has: " + join(names, ", "));
  }

  ResourceTypeRef find_resource_type(const std::string& full, const SourcePos& pos, const std::string& who) {
    const auto [module, name] = split_name(full, pos, who);
    const LoadedModule& m = find_module(module, pos, who);
    std::vector<std::string> names;
    for (uint32_t i = 0; i < m.module->num_resources; ++i) {
      const sf_resource_type* r = m.module->resources[i];
      if (name == r->name) return ResourceTypeRef{&m, r, full};
      names.push_back(r->name);
    }
    for (uint32_t i = 0; i < m.module->num_components; ++i) {
      if (name == m.module->components[i]->name)
        throw SpecError(
            pos, who + "'" + full + "' is a stage component, not a resource type: use it in a [[stage]]");
    }
    const std::string guess = closest_name(name, names);
    if (!guess.empty())
      throw SpecError(pos, who + "module '" + module + "' has no resource type '" + name +
                               "' (did you mean '" + module + "." + guess + "'?)");
    throw SpecError(pos,
                    who + "module '" + module + "' has no resource type '" + name + "'" +
                        (names.empty() ? std::string("; it has none") : "; it has: " + join(names, ", ")));
  }

  // ---- parameters ----

  sf_value generic_value(const toml::node& n, const OwnedValue::Builder& b) const {
    switch (n.type()) {
      case toml::node_type::boolean: return b.boolean(n.as_boolean()->get());
      case toml::node_type::integer: return b.integer(n.as_integer()->get());
      case toml::node_type::floating_point: return b.real(n.as_floating_point()->get());
      case toml::node_type::string: return b.string(n.as_string()->get());
      case toml::node_type::array: {
        std::vector<sf_value> items;
        for (const toml::node& item : *n.as_array()) items.push_back(generic_value(item, b));
        return b.array(std::move(items));
      }
      case toml::node_type::table: {
        std::vector<std::string> keys;
        std::vector<sf_value> values;
        for (const Entry& e : entries(*n.as_table())) {
          keys.push_back(e.key);
          values.push_back(generic_value(*e.value, b));
        }
        return b.table(keys, std::move(values));
      }
      default: {
        // Dates and times have no sf_value kind: they reach plugins as their TOML text.
        std::ostringstream os;
        if (const auto* d = n.as_date()) os << d->get();
        if (const auto* t = n.as_time()) os << t->get();
        if (const auto* dt = n.as_date_time()) os << dt->get();
        return b.string(os.str());
      }
    }
  }

  // The text of a single-string parameter. A --set value that TOML read as a number or boolean is
  // taken as typed (--set read.output=2024 names the field "2024").
  std::optional<std::string> string_of(const toml::node& n) const {
    if (n.is_string()) return n.as_string()->get();
    if (from_set(n) && !n.is_array() && !n.is_table()) {
      const std::string& text = overrides_.at(static_cast<size_t>(n.source().begin.line) - 1);
      return text.substr(text.find('=') + 1);
    }
    return std::nullopt;
  }

  sf_value convert_param(const sf_param_decl& d, const toml::node& n, const Owner& o,
                         const OwnedValue::Builder& b) {
    const std::string pname = d.name;
    const std::string subject = "parameter '" + pname + "' of " + o.desc;
    const SourcePos pos = at(n, o.header);
    auto bad = [&](const std::string& expected) {
      return SpecError(pos, subject + " must be " + expected + ", got " + type_name(n));
    };
    auto strings = [&](const std::string& expected) {
      if (!n.is_array() && !string_of(n)) throw bad(expected);
      if (!n.is_array()) return std::vector<std::pair<std::string, const toml::node*>>{{*string_of(n), &n}};
      return string_list(n, subject, expected);
    };
    switch (d.type) {
      case SF_PARAM_BOOL:
        if (!n.is_boolean()) throw bad("a boolean");
        return b.boolean(n.as_boolean()->get());
      case SF_PARAM_INT:
        if (!n.is_integer()) throw bad("an integer");
        return b.integer(n.as_integer()->get());
      case SF_PARAM_FLOAT:
        if (n.is_integer()) return b.real(static_cast<double>(n.as_integer()->get()));
        if (!n.is_floating_point()) throw bad("a number");
        return b.real(n.as_floating_point()->get());
      case SF_PARAM_STRING: {
        std::optional<std::string> s = string_of(n);
        if (!s) throw bad("a string");
        if (d.choices != nullptr) {
          const std::vector<std::string> choices = split(d.choices, '|');
          if (std::find(choices.begin(), choices.end(), *s) == choices.end())
            throw SpecError(pos, subject + " must be one of \"" + join(choices, "\", \"") + "\", got \"" +
                                     *s + "\"" + hint(*s, choices));
        }
        return b.string(*s);
      }
      case SF_PARAM_PATH: {
        std::optional<std::string> s = string_of(n);
        if (!s) throw bad("a path (string)");
        return b.string(resolve_path(*s, n));
      }
      case SF_PARAM_FIELD: {
        std::optional<std::string> s = string_of(n);
        if (!s) throw bad("a field name (string)");
        return b.string(*s);
      }
      case SF_PARAM_STRING_LIST:
      case SF_PARAM_PATH_LIST:
      case SF_PARAM_FIELD_LIST: {
        const char* expected = d.type == SF_PARAM_PATH_LIST    ? "an array of paths"
                               : d.type == SF_PARAM_FIELD_LIST ? "an array of field names"
                                                               : "an array of strings";
        std::vector<sf_value> items;
        for (const auto& [s, node] : strings(expected)) {
          if (d.type == SF_PARAM_FIELD_LIST && s.empty())
            throw SpecError(at(*node, pos), subject + " lists an empty field name");
          items.push_back(b.string(d.type == SF_PARAM_PATH_LIST ? resolve_path(s, *node) : s));
        }
        return b.array(std::move(items));
      }
      case SF_PARAM_TABLE:
        if (!n.is_table()) throw bad("a table");
        return generic_value(n, b);
      case SF_PARAM_ARRAY:
        if (!n.is_array()) throw bad("an array");
        return generic_value(n, b);
      case SF_PARAM_RESOURCE: {
        std::optional<std::string> s = string_of(n);
        if (!s) throw bad("the name of a [resources.NAME] entry");
        check_resource(*s, d, subject, pos);
        return b.string(*s);
      }
      case SF_PARAM_FIELD_TABLE: {
        if (!n.is_table()) throw bad("a table of field = \"type\"");
        std::vector<std::string> keys;
        std::vector<sf_value> values;
        for (const Entry& e : entries(*n.as_table())) {
          const SourcePos vpos = at(*e.value, pos);
          if (!e.value->is_string())
            throw SpecError(vpos, "field '" + e.key + "' in " + subject +
                                      " must have a type string such as \"string\" "
                                      "or \"tensor:f32\", got " +
                                      type_name(*e.value));
          const std::string& type = e.value->as_string()->get();
          if (!parse_field_type(type))
            throw SpecError(
                vpos, "unknown type \"" + type + "\" for field '" + e.key + "' in " + subject +
                          ": use string, bytes, int, float, tensor or tensor:DTYPE (f32, bf16, f16, i64, "
                          "i32, u8, i8)" +
                          hint(type, field_type_names()));
          keys.push_back(e.key);
          values.push_back(b.string(type));
        }
        return b.table(keys, std::move(values));
      }
    }
    throw SpecError(o.header,
                    "plugin bug: " + subject + " has an unknown declared type " + std::to_string(d.type));
  }

  void check_resource(const std::string& name, const sf_param_decl& d, const std::string& subject,
                      const SourcePos& pos) const {
    std::vector<std::string> names;
    const ResourceSpec* found = nullptr;
    for (const ResourceSpec& r : spec_.resources) {
      names.push_back(r.name);
      if (r.name == name) found = &r;
    }
    if (found == nullptr)
      throw SpecError(pos, subject + " names resource '" + name + "', but there is no [resources." + name +
                               "]" + hint(name, names));
    if (d.interface == nullptr) return;
    std::vector<std::string> provided;
    for (uint32_t i = 0; i < found->type.type->num_interfaces; ++i) {
      provided.push_back(found->type.type->interfaces[i]);
      if (provided.back() == d.interface) return;
    }
    throw SpecError(pos, "resource '" + name + "' (" + found->plugin + ") does not provide interface '" +
                             d.interface + "' that " + subject + " needs; it provides " +
                             (provided.empty() ? std::string("none") : join(provided, ", ")));
  }

  CheckedParams check_params(const toml::table& t, const sf_param_decl* decls, uint32_t count, const Owner& o,
                             const std::vector<std::string>& reserved) {
    CheckedParams out;
    OwnedValue::Builder b = out.tree.builder();
    std::vector<std::string> names;
    for (uint32_t i = 0; i < count; ++i) {
      if (decls[i].name == nullptr)
        throw SpecError(o.header, "plugin bug: " + o.desc + " declares a nameless parameter");
      names.push_back(decls[i].name);
    }
    std::vector<std::string> candidates = names;
    candidates.insert(candidates.end(), reserved.begin(), reserved.end());

    for (const Entry& e : entries(t)) {
      if (std::find(reserved.begin(), reserved.end(), e.key) != reserved.end()) continue;
      auto it = std::find(names.begin(), names.end(), e.key);
      if (it == names.end())
        throw SpecError(e.key_pos, "unknown key '" + e.key + "' in " + o.desc + hint(e.key, candidates));
      const sf_param_decl& d = decls[it - names.begin()];
      out.values[e.key] = convert_param(d, *e.value, o, b);
      out.given[e.key] = e.value;
      out.pos[e.key] = at(*e.value, e.key_pos);
    }
    for (uint32_t i = 0; i < count; ++i) {
      const sf_param_decl& d = decls[i];
      if (out.values.count(d.name)) continue;
      if (d.required || d.default_toml == nullptr) {
        if (d.required) {
          const std::string doc = d.doc != nullptr && *d.doc ? std::string(": ") + d.doc : "";
          throw SpecError(o.header, o.desc + " is missing required parameter '" + d.name + "'" + doc);
        }
        out.values[d.name] = b.none();
        continue;
      }
      try {
        toml::table parsed = toml::parse("v = " + std::string(d.default_toml));
        out.values[d.name] = convert_param(d, *parsed.get("v"), o, b);
      } catch (const toml::parse_error& e) {
        throw SpecError(o.header, "plugin bug: the default of parameter '" + std::string(d.name) + "' of " +
                                      o.desc + " is not a TOML value: " + d.default_toml);
      } catch (const SpecError& e) {
        throw SpecError(o.header, "plugin bug: the default of parameter '" + std::string(d.name) + "' of " +
                                      o.desc + " (" + d.default_toml + ") is invalid: " + e.message());
      }
    }
    std::vector<sf_value> values;
    for (const std::string& name : names) values.push_back(out.values[name]);
    b.set_root(b.table(names, std::move(values)));
    return out;
  }

  // ---- resources ----

  void load_resources() {
    const toml::table* t = optional_table("resources", "[resources]");
    if (t == nullptr) return;
    // Types first, so that a resource parameter may name any other resource.
    std::vector<std::pair<const toml::table*, SourcePos>> tables;
    for (const Entry& e : entries(*t)) {
      if (!e.value->is_table())
        throw SpecError(at(*e.value, e.key_pos), "resources." + e.key + " must be a table ([resources." +
                                                     e.key + "] with plugin = \"module.type\"), got " +
                                                     type_name(*e.value));
      const toml::table& rt = *e.value->as_table();
      ResourceSpec r;
      r.name = e.key;
      r.pos = at(rt, e.key_pos);
      const std::string who = "resource '" + r.name + "': ";
      const toml::node* plugin = rt.get("plugin");
      if (plugin == nullptr)
        throw SpecError(r.pos, "resource '" + r.name + "' has no plugin: add plugin = \"module.type\"");
      if (!plugin->is_string())
        throw SpecError(at(*plugin),
                        "plugin of resource '" + r.name + "' must be a string, got " + type_name(*plugin));
      r.plugin = plugin->as_string()->get();
      r.type = find_resource_type(r.plugin, at(*plugin), who);
      spec_.resources.push_back(std::move(r));
      tables.emplace_back(&rt, spec_.resources.back().pos);
    }
    for (size_t i = 0; i < tables.size(); ++i) {
      ResourceSpec& r = spec_.resources[i];
      const Owner owner{"resource '" + r.name + "' (" + r.plugin + ")", r.pos};
      CheckedParams checked =
          check_params(*tables[i].first, r.type.type->params, r.type.type->num_params, owner, {"plugin"});
      r.params = std::move(checked.tree);
      r.param_pos = std::move(checked.pos);
    }
  }

  // ---- stages ----

  void load_stages() {
    const toml::node* st = root_.get("stage");
    if (st == nullptr || (st->is_array() && st->as_array()->empty()))
      throw SpecError(file_start(),
                      "the pipeline has no stages: add [[stage]] tables, the first one a reader such "
                      "as io.lines_read");
    if (!st->is_array_of_tables())
      throw SpecError(at(*st),
                      "'stage' must be an array of tables: write each stage as [[stage]] (two brackets)");
    std::map<std::string, int> first_line;
    for (const toml::node& n : *st->as_array()) {
      const toml::table& t = *n.as_table();
      StageDraft d;
      d.table = &t;
      d.spec.pos = at(t);
      const int number = static_cast<int>(drafts_.size()) + 1;

      const toml::node* name = t.get("name");
      if (name == nullptr)
        throw SpecError(d.spec.pos, "stage #" + std::to_string(number) + " has no name: add name = \"...\"");
      if (!name->is_string())
        throw SpecError(at(*name), "the name of stage #" + std::to_string(number) +
                                       " must be a string, got " + type_name(*name));
      d.spec.name = name->as_string()->get();
      if (!valid_stage_name(d.spec.name))
        throw SpecError(at(*name),
                        "stage name '" + d.spec.name + "' may contain only letters, digits, '_' and '-'");
      auto [it, inserted] = first_line.emplace(d.spec.name, d.spec.pos.line);
      if (!inserted)
        throw SpecError(at(*name), "duplicate stage name '" + d.spec.name + "' (the first is at line " +
                                       std::to_string(it->second) + "): stage names must be unique");

      const toml::node* plugin = t.get("plugin");
      if (plugin == nullptr)
        throw SpecError(d.spec.pos, "stage '" + d.spec.name +
                                        "' has no plugin: add plugin = \"module.component\" "
                                        "(`seqflow plugins` lists them)");
      if (!plugin->is_string())
        throw SpecError(at(*plugin),
                        "plugin of stage '" + d.spec.name + "' must be a string, got " + type_name(*plugin));
      d.spec.plugin = plugin->as_string()->get();
      d.spec.component = find_component(d.spec.plugin, at(*plugin), "stage '" + d.spec.name + "': ");

      const sf_component& c = *d.spec.component.component;
      const Owner owner{"stage " + d.desc(), d.spec.pos};
      CheckedParams params = check_params(t, c.params, c.num_params, owner, kStageKeys);
      load_after(d);
      load_concurrency(d);
      load_batch(d, params);
      resolve_fields(d, params, owner);
      d.spec.params = std::move(params.tree);
      d.spec.param_pos = std::move(params.pos);
      drafts_.push_back(std::move(d));
    }
  }

  void load_after(StageDraft& d) const {
    const toml::node* after = d.table->get("after");
    if (after == nullptr) return;
    d.has_after = true;
    d.after_pos = at(*after);
    for (const auto& [name, node] :
         string_list(*after, "'after' of stage '" + d.spec.name + "'", "an array of stage names"))
      d.after.emplace_back(name, at(*node, d.after_pos));
  }

  void load_concurrency(StageDraft& d) const {
    const sf_component& c = *d.spec.component.component;
    const bool serial_only = c.kind != SF_TRANSFORM || (c.flags & SF_FLAG_SERIAL) != 0;
    d.spec.concurrency = serial_only ? 1 : std::max<int32_t>(0, c.default_concurrency);
    const toml::node* n = d.table->get("concurrency");
    if (n == nullptr) return;
    const SourcePos pos = at(*n);
    const std::string subject = "concurrency of stage '" + d.spec.name + "'";
    int32_t value = -1;
    if (const auto* s = n->as_string()) {
      if (s->get() == "serial") value = 1;
      if (s->get() == "unlimited") value = 0;
    } else if (const auto* i = n->as_integer()) {
      if (i->get() >= 1) value = static_cast<int32_t>(std::min<int64_t>(i->get(), INT32_MAX));
    }
    if (value < 0)
      throw SpecError(pos, subject + " must be \"serial\", \"unlimited\" or an integer >= 1, got " +
                               shown(*n) +
                               (n->is_string() ? hint(n->as_string()->get(), {"serial", "unlimited"}) : ""));
    if (value != 1 && c.kind != SF_TRANSFORM)
      throw SpecError(pos, "stage " + d.desc() + " is a " + kind_name(c.kind) +
                               ": sources and sinks run serially, so "
                               "its concurrency must be \"serial\" (or left out)");
    if (value != 1 && (c.flags & SF_FLAG_SERIAL) != 0)
      throw SpecError(pos, "stage " + d.desc() +
                               " must see records one at a time and in order: its concurrency must "
                               "be \"serial\" (or left out)");
    d.spec.concurrency = value;
  }

  void load_batch(StageDraft& d, const CheckedParams& params) const {
    const toml::node* n = d.table->get("batch");
    if (n == nullptr) return;
    const sf_component& c = *d.spec.component.component;
    const SourcePos pos = at(*n);
    if (c.kind != SF_TRANSFORM)
      throw SpecError(pos, "batch is only for transforms, but stage " + d.desc() + " is a " +
                               kind_name(c.kind) + ": remove 'batch'");
    if ((c.flags & SF_FLAG_BATCH) == 0)
      throw SpecError(pos, "stage " + d.desc() +
                               " does not take batches (its component processes one record per "
                               "call): remove 'batch'");
    if (!n->is_table())
      throw SpecError(pos, "batch of stage '" + d.spec.name +
                               "' must be a table such as { size = 16, by_length = "
                               "true }, got " +
                               type_name(*n));
    const std::string subject = "batch of stage '" + d.spec.name + "'";
    bool has_size = false;
    for (const Entry& e : entries(*n->as_table())) {
      const toml::node& v = *e.value;
      const SourcePos vpos = at(v, e.key_pos);
      if (e.key == "size") {
        if (!v.is_integer() || v.as_integer()->get() < 1)
          throw SpecError(
              vpos, "batch.size of stage '" + d.spec.name + "' must be an integer >= 1, got " + shown(v));
        const int64_t size = v.as_integer()->get();
        const uint32_t limit = spec_.max_in_flight / 2;
        if (size > limit)
          throw SpecError(
              vpos, "batch.size " + std::to_string(size) + " of stage '" + d.spec.name +
                        "' is larger than "
                        "max_in_flight / 2 = " +
                        std::to_string(limit) + ": with at most " + std::to_string(spec_.max_in_flight) +
                        " records in flight a batch could not fill while "
                        "the pipeline keeps moving; lower batch.size or raise [pipeline] max_in_flight");
        d.spec.batch.size = static_cast<uint32_t>(size);
        has_size = true;
      } else if (e.key == "by_length") {
        if (!v.is_boolean())
          throw SpecError(
              vpos, "batch.by_length of stage '" + d.spec.name + "' must be a boolean, got " + type_name(v));
        d.spec.batch.by_length = v.as_boolean()->get();
      } else if (e.key == "length_field") {
        if (!v.is_string() || v.as_string()->get().empty())
          throw SpecError(vpos, "batch.length_field of stage '" + d.spec.name +
                                    "' must be a field name, got " + shown(v));
        d.spec.batch.length_field = v.as_string()->get();
        d.check_length_field = true;
        d.length_field_pos = vpos;
      } else {
        throw SpecError(e.key_pos, "unknown key '" + e.key + "' in " + subject +
                                       ": it takes size, by_length and "
                                       "length_field" +
                                       hint(e.key, kBatchKeys));
      }
    }
    if (!has_size) throw SpecError(pos, subject + " needs a size, e.g. batch = { size = 16 }");
    if (d.spec.batch.length_field.empty()) {
      auto input = params.values.find("input");
      if (input != params.values.end() && input->second.kind == SF_VALUE_STRING) {
        d.spec.batch.length_field = input->second.s;
        d.length_field_pos = pos;
      }
    }
    if (d.spec.batch.by_length) {
      if (d.spec.batch.length_field.empty())
        throw SpecError(pos, subject +
                                 " has by_length = true but no length_field, and the stage has no 'input' "
                                 "parameter to take it from: add length_field = \"FIELD\"");
      d.check_length_field = true;
    }
  }

  // Turns the component's field declarations into names and types, using the stage's parameter values.
  void resolve_fields(StageDraft& d, const CheckedParams& params, const Owner& owner) const {
    const sf_component& c = *d.spec.component.component;
    auto add = [&](const sf_field_decl& f, const std::string& name, FieldType type, const SourcePos& pos) {
      FieldSite site{FieldUse{name, type, f.access == SF_READ && f.optional != 0}, pos};
      (f.access == SF_READ ? d.reads : d.writes).push_back(site);
    };
    for (uint32_t i = 0; i < c.num_fields; ++i) {
      const sf_field_decl& f = c.fields[i];
      const FieldType declared{f.type, f.dtype};
      if (f.param == nullptr) {
        if (f.name == nullptr || *f.name == '\0')
          throw SpecError(owner.header,
                          "plugin bug: " + owner.desc + " declares a field with neither param nor name");
        add(f, f.name, declared, owner.header);
        continue;
      }
      const sf_param_decl* p = nullptr;
      for (uint32_t j = 0; j < c.num_params; ++j)
        if (std::string(c.params[j].name) == f.param) p = &c.params[j];
      if (p == nullptr ||
          (p->type != SF_PARAM_FIELD && p->type != SF_PARAM_FIELD_LIST && p->type != SF_PARAM_FIELD_TABLE))
        throw SpecError(owner.header, "plugin bug: " + owner.desc + " declares a field named by parameter '" +
                                          f.param +
                                          "', which is not a FIELD, FIELD_LIST or FIELD_TABLE parameter");
      const sf_value& v = params.values.at(f.param);
      auto given = params.given.find(f.param);
      const toml::node* node = given == params.given.end() ? nullptr : given->second;
      const SourcePos param_pos = node != nullptr ? at(*node, owner.header) : owner.header;
      if (p->type == SF_PARAM_FIELD) {
        // An empty field name switches an optional output or input off.
        if (v.kind == SF_VALUE_STRING && v.size > 0) add(f, v.s, declared, param_pos);
      } else if (p->type == SF_PARAM_FIELD_LIST) {
        const toml::array* a = node != nullptr ? node->as_array() : nullptr;
        for (size_t k = 0; v.kind == SF_VALUE_ARRAY && k < v.size; ++k)
          add(f, v.items[k].s, declared, a != nullptr && k < a->size() ? at((*a)[k], param_pos) : param_pos);
      } else {
        const toml::table* t = node != nullptr ? node->as_table() : nullptr;
        for (size_t k = 0; v.kind == SF_VALUE_TABLE && k < v.size; ++k) {
          const toml::node* entry = t != nullptr ? t->get(v.keys[k]) : nullptr;
          add(f, v.keys[k], *parse_field_type(v.items[k].s),
              entry != nullptr ? at(*entry, param_pos) : param_pos);
        }
      }
    }
    if (c.kind == SF_SOURCE) {
      const bool has_id = std::any_of(d.writes.begin(), d.writes.end(),
                                      [](const FieldSite& w) { return w.use.name == "id"; });
      if (!has_id)
        d.writes.insert(d.writes.begin(),
                        FieldSite{FieldUse{"id", {SF_FIELD_STRING, SF_DTYPE_ANY}}, owner.header});
    }
  }

  // ---- graph ----

  void build_graph() {
    const size_t n = drafts_.size();
    std::map<std::string, size_t> index;
    std::vector<std::string> names;
    for (size_t i = 0; i < n; ++i) {
      index[drafts_[i].spec.name] = i;
      names.push_back(drafts_[i].spec.name);
    }

    std::vector<std::vector<size_t>> inputs(n);
    for (size_t i = 0; i < n; ++i) {
      StageDraft& d = drafts_[i];
      if (i == 0 && d.kind() != SF_SOURCE)
        throw SpecError(d.spec.pos, "the first stage '" + d.spec.name +
                                        "' must be a source (a reader such as "
                                        "io.lines_read), but " +
                                        d.spec.plugin + " is a " + kind_name(d.kind()));
      if (i > 0 && d.kind() == SF_SOURCE)
        throw SpecError(d.spec.pos, "stage " + d.desc() +
                                        " is a second source, but a pipeline has exactly one: its "
                                        "first stage ('" +
                                        drafts_[0].spec.name +
                                        "'); read every input with that one "
                                        "reader (its paths take several files) or run two pipelines");
      if (d.kind() == SF_SOURCE && d.has_after)
        throw SpecError(d.after_pos, "stage " + d.desc() +
                                         " is the source and reads from no other stage: remove "
                                         "'after'");
      if (!d.has_after) {
        if (i > 0) {
          if (drafts_[i - 1].kind() == SF_SINK)
            throw SpecError(d.spec.pos,
                            "stage '" + d.spec.name + "' follows sink " + drafts_[i - 1].desc() +
                                ", which passes no records on: add after = [\"STAGE\"] to name its input");
          inputs[i].push_back(i - 1);
        }
        continue;
      }
      if (d.after.empty())
        throw SpecError(d.after_pos,
                        "'after' of stage '" + d.spec.name + "' is empty: name the stages it reads from");
      for (const auto& [name, pos] : d.after) {
        auto it = index.find(name);
        if (it == index.end())
          throw SpecError(pos, "stage '" + d.spec.name + "' runs after '" + name +
                                   "', but there is no stage named '" + name + "'" + hint(name, names));
        if (std::find(inputs[i].begin(), inputs[i].end(), it->second) != inputs[i].end())
          throw SpecError(pos, "'after' of stage '" + d.spec.name + "' names '" + name + "' twice");
        if (drafts_[it->second].kind() == SF_SINK)
          throw SpecError(pos, "stage '" + d.spec.name + "' runs after sink " + drafts_[it->second].desc() +
                                   ", which passes no records on");
        inputs[i].push_back(it->second);
      }
    }

    const std::vector<size_t> order = topological_order(inputs);

    std::vector<size_t> successors(n, 0);
    for (size_t i = 0; i < n; ++i)
      for (size_t j : inputs[i]) ++successors[j];
    for (size_t i = 0; i < n; ++i) {
      if (successors[i] == 0 && drafts_[i].kind() != SF_SINK)
        throw SpecError(drafts_[i].spec.pos,
                        "stage " + drafts_[i].desc() +
                            " has no successor, so its records would "
                            "go nowhere: end it with a writer (such as io.jsonl_write) or io.discard");
    }

    // Ancestors (by file index) of each stage, filled in topological order.
    std::vector<std::vector<bool>> ancestors(n, std::vector<bool>(n, false));
    for (size_t i : order)
      for (size_t j : inputs[i]) {
        ancestors[i][j] = true;
        for (size_t k = 0; k < n; ++k)
          if (ancestors[j][k]) ancestors[i][k] = true;
      }
    check_branches(inputs, ancestors, order);

    std::vector<size_t> position(n);
    for (size_t k = 0; k < n; ++k) position[order[k]] = k;
    std::vector<StageDraft> sorted;
    for (size_t k = 0; k < n; ++k) {
      StageDraft& d = drafts_[order[k]];
      for (size_t j : inputs[order[k]]) d.spec.inputs.push_back(position[j]);
      sorted.push_back(std::move(d));
    }
    drafts_ = std::move(sorted);
    ancestors_.assign(n, std::vector<bool>(n, false));
    for (size_t a = 0; a < n; ++a)
      for (size_t b = 0; b < n; ++b) ancestors_[position[a]][position[b]] = ancestors[a][b];
  }

  // Kahn's algorithm, always taking the earliest ready stage in the file, so that a file already in
  // order keeps its order. Stages left over lie on or behind a cycle, which is named.
  std::vector<size_t> topological_order(const std::vector<std::vector<size_t>>& inputs) const {
    const size_t n = inputs.size();
    std::vector<size_t> pending(n);
    std::vector<std::vector<size_t>> outputs(n);
    for (size_t i = 0; i < n; ++i) {
      pending[i] = inputs[i].size();
      for (size_t j : inputs[i]) outputs[j].push_back(i);
    }
    std::priority_queue<size_t, std::vector<size_t>, std::greater<>> ready;
    for (size_t i = 0; i < n; ++i)
      if (pending[i] == 0) ready.push(i);
    std::vector<size_t> order;
    while (!ready.empty()) {
      size_t i = ready.top();
      ready.pop();
      order.push_back(i);
      for (size_t k : outputs[i])
        if (--pending[k] == 0) ready.push(k);
    }
    if (order.size() == n) return order;

    // Walk back along unfinished inputs from the first stuck stage until a stage repeats.
    size_t start = 0;
    while (pending[start] == 0) ++start;
    std::vector<size_t> path;
    std::vector<bool> seen(n, false);
    size_t cur = start;
    while (!seen[cur]) {
      seen[cur] = true;
      path.push_back(cur);
      for (size_t j : inputs[cur])
        if (pending[j] > 0) {
          cur = j;
          break;
        }
    }
    std::vector<size_t> cycle(std::find(path.begin(), path.end(), cur), path.end());
    std::reverse(cycle.begin(), cycle.end());  // inputs were followed backwards
    const size_t first = *std::min_element(cycle.begin(), cycle.end());
    std::rotate(cycle.begin(), std::find(cycle.begin(), cycle.end(), first), cycle.end());
    std::string text;
    for (size_t i : cycle) text += drafts_[i].spec.name + " -> ";
    text += drafts_[first].spec.name;
    const StageDraft& at_stage = drafts_[first];
    throw SpecError(at_stage.has_after ? at_stage.after_pos : at_stage.spec.pos,
                    "stages form a cycle: " + text);
  }

  // A join merges its inputs' records by position: every stage on a branch between the fork and the
  // join must pass exactly one record on for each it receives.
  void check_branches(const std::vector<std::vector<size_t>>& inputs,
                      const std::vector<std::vector<bool>>& ancestors,
                      const std::vector<size_t>& order) const {
    const size_t n = inputs.size();
    for (size_t join : order) {
      if (inputs[join].size() < 2) continue;
      std::vector<bool> in_all(n, true), in_any(n, false);
      for (size_t input : inputs[join]) {
        for (size_t k = 0; k < n; ++k) {
          const bool reaches = k == input || ancestors[input][k];
          in_all[k] = in_all[k] && reaches;
          in_any[k] = in_any[k] || reaches;
        }
      }
      size_t fork = 0;
      for (size_t k : order)
        if (in_all[k]) fork = k;
      for (size_t k : order) {
        if (!in_any[k] || in_all[k]) continue;
        const uint32_t flags = drafts_[k].flags();
        if ((flags & (SF_FLAG_FILTERS | SF_FLAG_SPLITS)) == 0) continue;
        const char* what =
            (flags & SF_FLAG_FILTERS) != 0 ? "may drop records" : "may split a record into several";
        throw SpecError(
            drafts_[k].spec.pos,
            "stage " + drafts_[k].desc() + " " + what + ", but it lies on a branch between fork '" +
                drafts_[fork].spec.name + "' and join '" + drafts_[join].spec.name +
                "': the join merges "
                "its inputs' records by position, so every branch must keep exactly one record per input "
                "record; move '" +
                drafts_[k].spec.name + "' before '" + drafts_[fork].spec.name + "' or after '" +
                drafts_[join].spec.name + "'");
      }
    }
  }

  // ---- fields ----

  void check_fields() {
    const size_t n = drafts_.size();
    struct Writer {
      size_t stage;
      FieldType type;
    };
    std::map<std::string, std::vector<Writer>> writers;
    for (size_t i = 0; i < n; ++i) {
      for (const FieldSite& w : drafts_[i].writes) {
        std::vector<Writer>& ws = writers[w.use.name];
        for (const Writer& other : ws) {
          if (compatible(other.type, w.use.type) && compatible(w.use.type, other.type)) continue;
          throw SpecError(w.pos, "field '" + w.use.name + "' is written as " + other.type.str() +
                                     " by stage " + drafts_[other.stage].desc() + " and as " +
                                     w.use.type.str() + " by stage " + drafts_[i].desc() +
                                     ": a field has one type in a pipeline; write one of them "
                                     "under another name (its output parameter)");
        }
        ws.push_back({i, w.use.type});
      }
    }

    for (size_t i = 0; i < n; ++i) {
      const StageDraft& d = drafts_[i];
      for (const FieldSite& r : d.reads) check_read(i, r.use, r.pos, writers);
      if (d.check_length_field) {
        FieldUse use{d.spec.batch.length_field, {SF_FIELD_ANY, SF_DTYPE_ANY}};
        const FieldType written = check_read(i, use, d.length_field_pos, writers);
        if (written.type == SF_FIELD_INT || written.type == SF_FIELD_FLOAT)
          throw SpecError(d.length_field_pos,
                          "batch of stage '" + d.spec.name +
                              "' groups records by the length of "
                              "field '" +
                              use.name + "', but it is " + written.str() +
                              ", which has no "
                              "length: name a string, bytes or tensor field in length_field");
      }
    }

    // The field table: `id` first, then in stage order, each name once with its written type.
    std::vector<std::string> seen;
    auto add = [&](const FieldUse& u) {
      if (std::find(seen.begin(), seen.end(), u.name) != seen.end()) return;
      seen.push_back(u.name);
      FieldUse f{u.name, u.type, false};
      auto it = writers.find(u.name);
      if (it != writers.end()) {
        // Writers agree (checked above); keep the most specific of their types.
        f.type = it->second.front().type;
        for (const Writer& w : it->second) {
          const bool sharper = (f.type.type == SF_FIELD_ANY && w.type.type != SF_FIELD_ANY) ||
                               (f.type.type == SF_FIELD_TENSOR && f.type.dtype == SF_DTYPE_ANY &&
                                w.type.dtype != SF_DTYPE_ANY);
          if (sharper) f.type = w.type;
        }
      }
      spec_.fields.push_back(f);
    };
    add(FieldUse{"id", {SF_FIELD_STRING, SF_DTYPE_ANY}});
    for (StageDraft& d : drafts_) {
      for (const FieldSite& w : d.writes) add(w.use);
      for (const FieldSite& r : d.reads) add(r.use);
      for (const FieldSite& w : d.writes) d.spec.writes.push_back(w.use);
      for (const FieldSite& r : d.reads) d.spec.reads.push_back(r.use);
      spec_.stages.push_back(std::move(d.spec));
    }
  }

  // Checks that an upstream stage writes `use` with a compatible type; returns the written type.
  template <class Writers>
  FieldType check_read(size_t stage, const FieldUse& use, const SourcePos& pos,
                       const Writers& writers) const {
    const StageDraft& d = drafts_[stage];
    FieldType written{SF_FIELD_ANY, SF_DTYPE_ANY};
    bool found = false;
    auto it = writers.find(use.name);
    if (it != writers.end()) {
      for (const auto& w : it->second) {
        if (!ancestors_[stage][w.stage]) continue;
        found = true;
        if (!compatible(w.type, use.type))
          throw SpecError(pos, "type mismatch on " + drafts_[w.stage].spec.name + " -> " + d.spec.name +
                                   ": stage " + drafts_[w.stage].desc() + " writes field '" + use.name +
                                   "' as " + w.type.str() + ", but stage " + d.desc() + " reads it as " +
                                   use.type.str());
        if (w.type.type != SF_FIELD_ANY) written = w.type;
      }
    }
    if (found || use.optional) return written;

    std::vector<std::string> available, upstream;
    for (size_t k = 0; k < drafts_.size(); ++k) {
      if (!ancestors_[stage][k]) continue;
      std::vector<std::string> names;
      for (const FieldSite& w : drafts_[k].writes) {
        names.push_back(w.use.name);
        available.push_back(w.use.name);
      }
      upstream.push_back(drafts_[k].desc() +
                         (names.empty() ? " writes nothing" : " writes " + join(names, ", ")));
    }
    throw SpecError(pos, "stage " + d.desc() + " reads field '" + use.name +
                             "', but no stage before it writes it; " + "upstream: " + join(upstream, "; ") +
                             hint(use.name, available));
  }

  std::string file_;
  std::vector<std::string> overrides_;
  std::optional<std::string> text_;  // set: the TOML itself, not a path
  std::string base_dir_;
  toml::table root_;
  PipelineSpec spec_;
  std::vector<StageDraft> drafts_;
  std::vector<std::vector<bool>> ancestors_;  // [stage][other], topological indices
};

}  // namespace

PipelineSpec load_pipeline(const std::string& path, const std::vector<std::string>& overrides) {
  PipelineSpec spec = Loader(path, overrides).load();
  spec.overrides = overrides;
  return spec;
}

PipelineSpec load_pipeline_text(const std::string& text, const std::string& display_name,
                                const std::string& base_dir, const std::vector<std::string>& overrides) {
  PipelineSpec spec = Loader(text, display_name, base_dir, overrides).load();
  spec.overrides = overrides;
  spec.text = text;
  return spec;
}

}  // namespace seqflow::engine
