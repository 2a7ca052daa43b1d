// PluginHost: finds, loads and describes plugin modules.
//
// Lifecycle: one per process (PluginHost::instance()). Modules are loaded on first use with
// Boost.DLL and are never unloaded: their code may still be referenced by a resource, an instance or
// a static destructor until the process exits.
// Threading: load/find calls are serialised by an internal mutex; the returned metadata is immutable.
// Errors: every failure throws PluginError whose message names the plugin file and what to do.
#pragma once

#include <seqflow/embed.hpp>
#include <seqflow/plugin_abi.h>

#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace seqflow::engine {

// An InvalidPipeline (seqflow/embed.hpp) for programs that embed the engine: `seqflow` exits 2 on it.
class PluginError : public InvalidPipeline {
 public:
  explicit PluginError(const std::string& message) : InvalidPipeline(message, "") {}
};

struct LoadedModule {
  std::string path;  // file it was loaded from
  std::string name;  // module name, e.g. "io"
  const sf_module* module = nullptr;
  uint32_t abi_minor = 0;  // negotiated: min(host, plugin)
};

struct ComponentRef {
  const LoadedModule* module = nullptr;
  const sf_component* component = nullptr;
  std::string full_name;  // "io.lines_read"
};

struct ResourceTypeRef {
  const LoadedModule* module = nullptr;
  const sf_resource_type* type = nullptr;
  std::string full_name;
};

class PluginHost {
 public:
  static PluginHost& instance();

  /// Directories searched, in order: added ones (pipeline [plugins].paths), SEQFLOW_PLUGIN_PATH,
  /// then the built-in plugin folder next to the executable (build and install trees alike).
  void add_search_dir(const std::string& dir);
  std::vector<std::string> search_dirs() const;

  /// Loads `seqflow_<name>.so` from the search path (first match). Throws PluginError.
  const LoadedModule& module(const std::string& name);
  /// Loads a plugin from an explicit file.
  const LoadedModule& load_file(const std::string& path);
  /// Every module file found on the search path, loaded. Failures are returned, not thrown.
  std::vector<const LoadedModule*> discover(std::vector<std::string>* failures);

  /// "module.component" -> component; throws PluginError with a "did you mean" suggestion.
  ComponentRef component(const std::string& full_name);
  ResourceTypeRef resource_type(const std::string& full_name);

  /// The host function table handed to every module.
  static const sf_host* host_table();

 private:
  PluginHost();
  const LoadedModule& load_locked(const std::string& path, const std::string& expected_name);

  mutable std::mutex mu_;
  std::vector<std::string> extra_dirs_;
  std::map<std::string, std::unique_ptr<LoadedModule>> by_path_;
  std::map<std::string, const LoadedModule*> by_name_;
};

/// Checks a module descriptor as the loader does before it calls `init`: magic, ABI version, struct
/// sizes, the name against `expected_name` (unless empty), and every table the engine reads later
/// (components, resource types, their parameters, fields and interfaces). Throws PluginError.
void check_module(const std::string& path, const sf_module* m, const std::string& expected_name);

/// Splits "io.lines_read" into ("io", "lines_read"); throws PluginError when malformed.
std::pair<std::string, std::string> split_plugin_name(const std::string& full_name);

/// Closest candidate by edit distance, or "" when none is close enough.
std::string closest_name(const std::string& wanted, const std::vector<std::string>& candidates);

}  // namespace seqflow::engine
