#include "plugin_host.hpp"

#include "elf_check.hpp"

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace seqflow::engine {

namespace {

constexpr const char* kPrefix = "seqflow_";
constexpr const char* kSuffix = ".so";

// The smallest struct sizes this host accepts: those of ABI 1.0.
constexpr size_t kMinModuleSize = offsetof(sf_module, init) + sizeof(void*);
constexpr size_t kMinComponentSize = offsetof(sf_component, finish) + sizeof(void*);
constexpr size_t kMinResourceSize = offsetof(sf_resource_type, get_interface) + sizeof(void*);

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string module_name_of(const fs::path& file) {
  std::string f = file.filename().string();
  if (f.rfind(kPrefix, 0) != 0 || f.size() <= std::strlen(kPrefix) + std::strlen(kSuffix) ||
      f.compare(f.size() - std::strlen(kSuffix), std::string::npos, kSuffix) != 0)
    return "";
  return f.substr(std::strlen(kPrefix), f.size() - std::strlen(kPrefix) - std::strlen(kSuffix));
}

// A C enum field as the plugin stored it. A plugin built elsewhere may store any 32-bit value, and
// loading one outside the enumerators as the enum type is undefined behaviour in C++ (UBSan's enum
// check, found by fuzz_plugin_descriptor): read the bytes instead.
template <class E>
uint32_t raw_enum(const E& e) {
  static_assert(sizeof(E) == sizeof(uint32_t));
  uint32_t v;
  std::memcpy(&v, &e, sizeof v);
  return v;
}

// The declarations the engine reads when it validates a pipeline or prints `seqflow inspect`: a
// missing name or table would crash the host far from the plugin that caused it.
void check_params(const std::string& path, const char* owner, uint32_t n, const sf_param_decl* params) {
  if (n > 0 && params == nullptr)
    throw PluginError("plugin " + path + ": '" + owner + "' declares " + std::to_string(n) +
                      " parameters but no table of them");
  for (uint32_t i = 0; i < n; ++i) {
    const sf_param_decl& p = params[i];
    if (p.name == nullptr || raw_enum(p.type) > SF_PARAM_FIELD_TABLE)
      throw PluginError("plugin " + path + ": '" + owner + "' declares a malformed parameter (number " +
                        std::to_string(i + 1) + ": no name or an unknown type)");
  }
}

void check_component(const std::string& path, const sf_component* c) {
  if (c == nullptr || c->struct_size < kMinComponentSize || c->name == nullptr || c->create == nullptr ||
      c->destroy == nullptr)
    throw PluginError("plugin " + path + " declares a malformed component (missing name or functions)");
  const uint32_t kind = raw_enum(c->kind);
  if (kind != SF_SOURCE && kind != SF_TRANSFORM && kind != SF_SINK)
    throw PluginError("plugin " + path + ": component '" + c->name + "' has an unknown kind " +
                      std::to_string(kind));
  if (c->kind == SF_SOURCE && c->read == nullptr)
    throw PluginError("plugin " + path + ": source component '" + c->name + "' has no read function");
  if (c->kind != SF_SOURCE && c->process == nullptr)
    throw PluginError("plugin " + path + ": component '" + c->name + "' has no process function");
  check_params(path, c->name, c->num_params, c->params);
  if (c->num_fields > 0 && c->fields == nullptr)
    throw PluginError("plugin " + path + ": component '" + c->name + "' declares " +
                      std::to_string(c->num_fields) + " fields but no table of them");
  for (uint32_t i = 0; i < c->num_fields; ++i) {
    const sf_field_decl& f = c->fields[i];
    if ((f.param == nullptr && f.name == nullptr) || (raw_enum(f.access) != SF_READ && raw_enum(f.access) != SF_WRITE))
      throw PluginError("plugin " + path + ": component '" + c->name +
                        "' declares a malformed field (number " + std::to_string(i + 1) +
                        ": no name or parameter, or an access neither read nor write)");
  }
}

}  // namespace

std::pair<std::string, std::string> split_plugin_name(const std::string& full_name) {
  size_t dot = full_name.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == full_name.size() ||
      full_name.find('.', dot + 1) != std::string::npos)
    throw PluginError("'" + full_name +
                      "' is not a plugin name: write it as module.component (e.g. io.lines_read)");
  return {full_name.substr(0, dot), full_name.substr(dot + 1)};
}

std::string closest_name(const std::string& wanted, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::max<size_t>(2, wanted.size() / 3) + 1;
  for (const std::string& c : candidates) {
    size_t d = edit_distance(wanted, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

PluginHost& PluginHost::instance() {
  static PluginHost* host = new PluginHost();  // never destroyed: modules outlive everything
  return *host;
}

PluginHost::PluginHost() = default;

void PluginHost::add_search_dir(const std::string& dir) {
  std::lock_guard lock(mu_);
  if (std::find(extra_dirs_.begin(), extra_dirs_.end(), dir) == extra_dirs_.end()) extra_dirs_.push_back(dir);
}

std::vector<std::string> PluginHost::search_dirs() const {
  std::vector<std::string> dirs;
  {
    std::lock_guard lock(mu_);
    dirs = extra_dirs_;
  }
  if (const char* env = std::getenv("SEQFLOW_PLUGIN_PATH")) {
    std::stringstream ss(env);
    std::string item;
    while (std::getline(ss, item, ':'))
      if (!item.empty()) dirs.push_back(item);
  }
  // bin/seqflow -> lib/seqflow/plugins, the same in the build tree and the install tree.
  fs::path exe = boost::dll::program_location().string();
  dirs.push_back((exe.parent_path().parent_path() / "lib" / "seqflow" / "plugins").string());
  return dirs;
}

const LoadedModule& PluginHost::module(const std::string& name) {
  {
    std::lock_guard lock(mu_);
    auto it = by_name_.find(name);
    if (it != by_name_.end()) return *it->second;
  }
  std::vector<std::string> dirs = search_dirs();
  std::string file = kPrefix + name + kSuffix;
  for (const std::string& d : dirs) {
    fs::path p = fs::path(d) / file;
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) {
      std::lock_guard lock(mu_);
      return load_locked(p.string(), name);
    }
  }
  std::vector<std::string> known;
  for (const std::string& d : dirs) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(d, ec)) {
      std::string m = module_name_of(e.path());
      if (!m.empty()) known.push_back(m);
    }
  }
  std::string msg = "plugin module '" + name + "' not found: no " + file + " in";
  for (const std::string& d : dirs) msg += " " + d;
  std::string guess = closest_name(name, known);
  if (!guess.empty()) msg += " (did you mean '" + guess + "'?)";
  else msg += "; add its folder to [plugins].paths or SEQFLOW_PLUGIN_PATH";
  throw PluginError(msg);
}

void check_module(const std::string& path, const sf_module* m, const std::string& expected_name) {
  if (m == nullptr) throw PluginError("plugin " + path + " refused to load: its entry returned no module");
  if (m->magic != SF_ABI_MAGIC)
    throw PluginError("plugin " + path +
                      " is not a seqflow plugin: bad magic number in its module descriptor");
  if (m->abi_major != SF_ABI_MAJOR)
    throw PluginError("plugin " + path + " was built for seqflow plugin ABI " + std::to_string(m->abi_major) +
                      "." + std::to_string(m->abi_minor) + ", this seqflow speaks ABI " +
                      std::to_string(SF_ABI_MAJOR) + ".x: rebuild the plugin against this seqflow's SDK");
  if (m->struct_size < kMinModuleSize || m->name == nullptr || m->init == nullptr)
    throw PluginError("plugin " + path + " has a truncated module descriptor (struct_size " +
                      std::to_string(m->struct_size) + ")");
  if (!expected_name.empty() && expected_name != m->name)
    throw PluginError("plugin " + path + " calls itself '" + m->name + "' but its file name says '" +
                      expected_name + "': rename the file to seqflow_" + m->name + ".so");
  if ((m->num_components > 0 && m->components == nullptr) ||
      (m->num_resources > 0 && m->resources == nullptr))
    throw PluginError("plugin " + path + " declares " + std::to_string(m->num_components) +
                      " components and " + std::to_string(m->num_resources) +
                      " resource types but gives no table of them: rebuild it against this seqflow's SDK");
  for (uint32_t i = 0; i < m->num_components; ++i) check_component(path, m->components[i]);
  for (uint32_t i = 0; i < m->num_resources; ++i) {
    const sf_resource_type* r = m->resources[i];
    if (r == nullptr || r->struct_size < kMinResourceSize || r->name == nullptr || r->create == nullptr ||
        (r->num_interfaces > 0 && r->interfaces == nullptr))
      throw PluginError("plugin " + path + " declares a malformed resource type");
    for (uint32_t k = 0; k < r->num_interfaces; ++k)
      if (r->interfaces[k] == nullptr)
        throw PluginError("plugin " + path + ": resource type '" + r->name + "' has an unnamed interface");
    check_params(path, r->name, r->num_params, r->params);
  }
}

const LoadedModule& PluginHost::load_file(const std::string& path) {
  std::lock_guard lock(mu_);
  return load_locked(path, module_name_of(path));
}

const LoadedModule& PluginHost::load_locked(const std::string& path, const std::string& expected_name) {
  std::string canonical = fs::weakly_canonical(path).string();
  auto it = by_path_.find(canonical);
  if (it != by_path_.end()) return *it->second;

  {
    // dlopen's own error for a file that is not a library is an unhelpful "Bad file descriptor", and a
    // library cut short crashes the process with SIGBUS inside dlopen: check the headers first.
    std::ifstream in(canonical, std::ios::binary);
    std::error_code size_ec;
    const uint64_t size = fs::file_size(canonical, size_ec);
    std::string head(64, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<size_t>(in.gcount()));
    const uint64_t want = elf_head_bytes(head);
    if (want > head.size() && in) {
      head.resize(static_cast<size_t>(want));
      in.read(head.data() + 64, static_cast<std::streamsize>(want - 64));
      head.resize(64 + static_cast<size_t>(in.gcount()));
    }
    const std::string problem = size_ec ? "it cannot be read: " + size_ec.message() : elf_problem(head, size);
    if (problem == "no ELF header")
      throw PluginError("cannot load plugin " + path + ": it is not a shared library (no ELF header); " +
                        "remove it from the plugin folder or rebuild it with seqflow_add_plugin");
    if (!problem.empty())
      throw PluginError("cannot load plugin " + path + ": " + problem +
                        "; rebuild it with seqflow_add_plugin (or copy it again), or remove it from the "
                        "plugin folder");
  }
  // Never deleted, even for a file that turns out not to be a plugin: its static initialisers have
  // run, and a module is never unloaded while the process runs. Kept in a list that is never destroyed
  // either, so that leak checkers (LeakSanitizer in scripts/sanitize.sh) see it as still in use.
  static auto* loaded_libraries = new std::vector<std::unique_ptr<boost::dll::shared_library>>();
  auto owned = std::make_unique<boost::dll::shared_library>();
  boost::system::error_code ec;
  owned->load(canonical, boost::dll::load_mode::rtld_lazy | boost::dll::load_mode::rtld_local, ec);
  if (ec) {
    throw PluginError("cannot load plugin " + path + ": " + ec.message() +
                      " (is it a shared library built for this machine?)");
  }
  boost::dll::shared_library* lib = loaded_libraries->emplace_back(std::move(owned)).get();
  if (!lib->has(SF_ENTRY_SYMBOL)) {
    throw PluginError("plugin " + path +
                      " is not a seqflow plugin: it does not export " SF_ENTRY_SYMBOL
                      " (build it with seqflow_add_plugin from the seqflow SDK)");
  }
  auto entry = lib->get<const sf_module*(uint32_t, uint32_t)>(SF_ENTRY_SYMBOL);
  const sf_module* m = entry(SF_ABI_MAJOR, SF_ABI_MINOR);
  check_module(path, m, expected_name);
  sf_error err{};
  err.struct_size = sizeof(err);
  if (m->init(host_table(), &err) != SF_OK)
    throw PluginError("plugin " + path + " failed to initialise: " + err.message);

  auto loaded = std::make_unique<LoadedModule>();
  loaded->path = path;
  loaded->name = m->name;
  loaded->module = m;
  loaded->abi_minor = std::min<uint32_t>(m->abi_minor, SF_ABI_MINOR);
  const LoadedModule& ref = *loaded;
  by_name_[ref.name] = &ref;
  by_path_[canonical] = std::move(loaded);
  return ref;
}

std::vector<const LoadedModule*> PluginHost::discover(std::vector<std::string>* failures) {
  std::vector<const LoadedModule*> out;
  std::vector<std::string> seen;
  for (const std::string& d : search_dirs()) {
    std::error_code ec;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(d, ec))
      if (!module_name_of(e.path()).empty()) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) {
      std::string name = module_name_of(f);
      if (std::find(seen.begin(), seen.end(), name) != seen.end()) continue;  // first on the path wins
      seen.push_back(name);
      try {
        std::lock_guard lock(mu_);
        out.push_back(&load_locked(f.string(), name));
      } catch (const PluginError& e) {
        if (failures != nullptr) failures->push_back(e.what());
      }
    }
  }
  return out;
}

ComponentRef PluginHost::component(const std::string& full_name) {
  auto [mod, comp] = split_plugin_name(full_name);
  const LoadedModule& m = module(mod);
  std::vector<std::string> names;
  for (uint32_t i = 0; i < m.module->num_components; ++i) {
    const sf_component* c = m.module->components[i];
    if (comp == c->name) return ComponentRef{&m, c, full_name};
    names.push_back(mod + "." + c->name);
  }
  std::string msg = "module '" + mod + "' (" + m.path + ") has no component '" + comp + "'";
  std::string guess = closest_name(full_name, names);
  if (!guess.empty()) msg += " (did you mean '" + guess + "'?)";
  throw PluginError(msg);
}

ResourceTypeRef PluginHost::resource_type(const std::string& full_name) {
  auto [mod, name] = split_plugin_name(full_name);
  const LoadedModule& m = module(mod);
  std::vector<std::string> names;
  for (uint32_t i = 0; i < m.module->num_resources; ++i) {
    const sf_resource_type* r = m.module->resources[i];
    if (name == r->name) return ResourceTypeRef{&m, r, full_name};
    names.push_back(mod + "." + r->name);
  }
  std::string msg = "module '" + mod + "' (" + m.path + ") has no resource type '" + name + "'";
  std::string guess = closest_name(full_name, names);
  if (!guess.empty()) msg += " (did you mean '" + guess + "'?)";
  throw PluginError(msg);
}

}  // namespace seqflow::engine
