// seqflow plugin catalog: the modules and components found on the plugin search path, as data, for
// programs that embed the engine (the Python package's seqflow.plugins() and seqflow.inspect()).
//
// Lifecycle: each call searches and loads modules as `seqflow plugins` / `seqflow inspect` do; modules
// stay loaded until the process exits. Threading: safe from any thread (the plugin host serialises).
// Ownership: the results are plain copies. Errors: describe_component() throws InvalidPipeline for an
// unknown name (with a "did you mean"); list_plugins() returns modules that fail to load in `failures`.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace seqflow {

struct ParamInfo {
  std::string name;
  std::string type;  // "int", "path list", "field table", ... as `seqflow inspect` prints them
  bool required = false;
  std::string default_toml;  // "" when required
  std::string doc;
  std::string choices;  // "a|b|c" or ""
};

struct FieldInfo {
  std::string access;  // "reads" or "writes"
  std::string name;    // the fixed name, or the default of the parameter naming it
  std::string param;   // the parameter naming the field, "" when fixed
  std::string type;    // "string", "tensor<f32>", "any", ...
  bool optional = false;
  std::string doc;
};

struct ComponentInfo {
  std::string name;  // "io.jsonl_write"
  std::string kind;  // "source", "transform", "sink" or "resource"
  std::string module, module_version, path;
  std::string doc, example;
  std::string concurrency;         // "unlimited", "serial" or N
  std::vector<std::string> flags;  // "thread-safe", "batch", "filters", "splits", "serial"
  std::vector<ParamInfo> params;
  std::vector<FieldInfo> fields;
};

struct ModuleInfo {
  std::string name, version, path, doc;
  std::vector<std::pair<std::string, std::string>> components;  // ("io.lines_read", "source"), resources too
};

std::vector<ModuleInfo> list_plugins(std::vector<std::string>* failures = nullptr);
ComponentInfo describe_component(const std::string& name);

}  // namespace seqflow
