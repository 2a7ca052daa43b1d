// The plugin catalog as data (seqflow/catalog.hpp), from the modules' own declarations.
#include <seqflow/catalog.hpp>

#include <seqflow/sdk.hpp>

#include "abi_names.hpp"
#include "plugin_host.hpp"

namespace seqflow {

namespace {

using engine::kind_name;
using engine::param_type_name;

std::string field_type_name(sf_field_type t, sf_dtype d) {
  switch (t) {
    case SF_FIELD_STRING: return "string";
    case SF_FIELD_BYTES: return "bytes";
    case SF_FIELD_INT: return "int";
    case SF_FIELD_FLOAT: return "float";
    case SF_FIELD_TENSOR: return d == SF_DTYPE_ANY ? "tensor" : std::string("tensor<") + dtype_name(d) + ">";
    default: return "any";
  }
}

std::string text(const char* s) { return s != nullptr ? s : ""; }

std::vector<ParamInfo> params_of(uint32_t n, const sf_param_decl* params) {
  std::vector<ParamInfo> out;
  for (uint32_t i = 0; i < n; ++i) {
    const sf_param_decl& p = params[i];
    out.push_back(ParamInfo{text(p.name), param_type_name(p.type), p.required != 0,
                            p.required != 0 ? "" : text(p.default_toml), text(p.doc), text(p.choices)});
  }
  return out;
}

}  // namespace

std::vector<ModuleInfo> list_plugins(std::vector<std::string>* failures) {
  std::vector<std::string> ignored;
  std::vector<ModuleInfo> out;
  for (const engine::LoadedModule* m :
       engine::PluginHost::instance().discover(failures ? failures : &ignored)) {
    ModuleInfo info{m->name, text(m->module->version), m->path, text(m->module->doc), {}};
    for (uint32_t i = 0; i < m->module->num_components; ++i) {
      const sf_component* c = m->module->components[i];
      info.components.emplace_back(m->name + "." + c->name, kind_name(c->kind));
    }
    for (uint32_t i = 0; i < m->module->num_resources; ++i)
      info.components.emplace_back(m->name + "." + m->module->resources[i]->name, "resource");
    out.push_back(std::move(info));
  }
  return out;
}

ComponentInfo describe_component(const std::string& name) {
  engine::PluginHost& host = engine::PluginHost::instance();
  auto [mod, comp] = engine::split_plugin_name(name);
  const engine::LoadedModule& m = host.module(mod);
  ComponentInfo info;
  info.name = name;
  info.module = m.name;
  info.module_version = text(m.module->version);
  info.path = m.path;
  for (uint32_t i = 0; i < m.module->num_resources; ++i) {
    const sf_resource_type* r = m.module->resources[i];
    if (comp != r->name) continue;
    info.kind = "resource";
    info.doc = text(r->doc);
    info.example = text(r->example);
    info.params = params_of(r->num_params, r->params);
    return info;
  }
  const sf_component* c = host.component(name).component;
  info.kind = kind_name(c->kind);
  info.doc = text(c->doc);
  info.example = text(c->example);
  info.concurrency = c->default_concurrency == 0   ? "unlimited"
                     : c->default_concurrency == 1 ? "serial"
                                                   : std::to_string(c->default_concurrency);
  const std::pair<uint32_t, const char*> flags[] = {{SF_FLAG_THREAD_SAFE, "thread-safe"},
                                                    {SF_FLAG_BATCH, "batch"},
                                                    {SF_FLAG_FILTERS, "filters"},
                                                    {SF_FLAG_SPLITS, "splits"},
                                                    {SF_FLAG_SERIAL, "serial"}};
  for (const auto& [bit, word] : flags)
    if ((c->flags & bit) != 0) info.flags.push_back(word);
  info.params = params_of(c->num_params, c->params);
  for (uint32_t i = 0; i < c->num_fields; ++i) {
    const sf_field_decl& f = c->fields[i];
    info.fields.push_back(FieldInfo{f.access == SF_READ ? "reads" : "writes", text(f.name), text(f.param),
                                    field_type_name(f.type, f.dtype), f.optional != 0, text(f.doc)});
  }
  return info;
}

}  // namespace seqflow
