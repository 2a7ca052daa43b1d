// Fuzz target: the plugin loader's checks of a module's ABI tables (check_module), which run before the
// host calls the module's init or reads any declaration.
//
// The input describes a module descriptor field by field: magic, ABI version, struct sizes, which
// names, tables and functions are missing, component kinds, parameter types and field accesses, and
// how many components, resource types, parameters, fields and interfaces it declares. The tables the
// descriptor points to are real (a plugin's own pointers cannot be checked, only their absence), so
// every wrong value a plugin built against another or a broken SDK could hand over is reachable. A
// descriptor that passes is then walked the way the engine walks it (names, parameter and field
// declarations). Checked properties: check_module either throws PluginError or accepts a descriptor
// whose every table the engine reads is present.
#include "fuzz_util.hpp"
#include "plugin_host.hpp"

#include <cstring>
#include <deque>
#include <string>
#include <vector>

namespace {

sf_status fake_create(const sf_create_args*, void**, sf_error*) { return SF_OK; }
void fake_destroy(void*) {}
sf_status fake_read(void*, sf_context*, uint32_t, sf_error*) { return SF_END; }
sf_status fake_process(void*, sf_context*, sf_record* const*, uint32_t, sf_error*) { return SF_OK; }
sf_status fake_init(const sf_host*, sf_error*) { return SF_OK; }
sf_status fake_interface(void*, const char*, uint32_t, sf_interface*) { return SF_ERR_UNSUPPORTED; }

class Builder {
 public:
  explicit Builder(seqflow::fuzz::Cursor& in) : in_(in) {}

  uint32_t u32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t{in_.byte()} << (8 * i);
    return v;
  }
  // Mostly the right value, sometimes a wrong one.
  uint32_t usually(uint32_t right) { return in_.byte() < 224 ? right : u32(); }
  const char* name() {
    uint8_t b = in_.byte();
    if (b < 16) return nullptr;
    if (b < 200) return "fz";
    strings_.emplace_back(in_.part(std::string_view("\0", 1)));
    return strings_.back().c_str();
  }
  template <class T>
  T* table(std::deque<std::vector<T>>& store, uint32_t n) {
    store.emplace_back(n);
    if (in_.byte() < 8) return nullptr;  // declared but not given
    return store.back().data();
  }
  uint32_t count(uint32_t max) { return in_.byte() % (max + 1); }
  // Stores any 32-bit value in a C enum field, as a foreign plugin's bytes would (a static_cast to an
  // enum of a value outside its range would itself be undefined behaviour).
  template <class E>
  void put(E& field, uint32_t v) {
    static_assert(sizeof(E) == sizeof(uint32_t));
    std::memcpy(&field, &v, sizeof v);
  }

  void params(uint32_t& n, const sf_param_decl*& out) {
    n = count(3);
    sf_param_decl* p = table(params_, n);
    out = p;
    for (uint32_t i = 0; p != nullptr && i < n; ++i) {
      p[i].struct_size = usually(sizeof(sf_param_decl));
      p[i].name = name();
      put(p[i].type, usually(in_.byte() % 13));
      p[i].required = in_.byte() & 1;
      p[i].default_toml = in_.byte() < 128 ? nullptr : "1";
      p[i].doc = name();
      p[i].choices = in_.byte() < 200 ? nullptr : "a|b";
      p[i].interface = name();
    }
  }

  const sf_module* module() {
    m_.magic = usually(SF_ABI_MAGIC);
    m_.abi_major = usually(SF_ABI_MAJOR);
    m_.abi_minor = usually(SF_ABI_MINOR);
    m_.struct_size = usually(sizeof(sf_module));
    m_.name = name();
    m_.version = name();
    m_.doc = name();
    m_.init = in_.byte() < 16 ? nullptr : fake_init;
    m_.num_components = count(3);
    const sf_component** comps = table(component_ptrs_, m_.num_components);
    m_.components = comps;
    for (uint32_t i = 0; comps != nullptr && i < m_.num_components; ++i) {
      sf_component& c = components_.emplace_back();
      comps[i] = in_.byte() < 8 ? nullptr : &c;
      c.struct_size = usually(sizeof(sf_component));
      c.name = name();
      c.doc = name();
      c.example = name();
      put(c.kind, usually(in_.byte() % 3));
      c.flags = usually(0);
      c.default_concurrency = static_cast<int32_t>(usually(0));
      params(c.num_params, c.params);
      c.num_fields = count(3);
      sf_field_decl* f = table(fields_, c.num_fields);
      c.fields = f;
      for (uint32_t k = 0; f != nullptr && k < c.num_fields; ++k) {
        f[k].struct_size = usually(sizeof(sf_field_decl));
        f[k].param = in_.byte() < 128 ? nullptr : name();
        f[k].name = name();
        put(f[k].access, usually(1 + in_.byte() % 2));
        put(f[k].type, usually(in_.byte() % 5));
        put(f[k].dtype, usually(SF_DTYPE_ANY));
        f[k].optional = in_.byte() & 1;
        f[k].doc = name();
      }
      const uint8_t fns = in_.byte();
      c.create = fns & 1 ? nullptr : fake_create;
      c.destroy = fns & 2 ? nullptr : fake_destroy;
      c.read = fns & 4 ? nullptr : fake_read;
      c.process = fns & 8 ? nullptr : fake_process;
      c.finish = nullptr;
    }
    m_.num_resources = count(2);
    const sf_resource_type** res = table(resource_ptrs_, m_.num_resources);
    m_.resources = res;
    for (uint32_t i = 0; res != nullptr && i < m_.num_resources; ++i) {
      sf_resource_type& r = resources_.emplace_back();
      res[i] = in_.byte() < 8 ? nullptr : &r;
      r.struct_size = usually(sizeof(sf_resource_type));
      r.name = name();
      r.doc = name();
      r.example = name();
      params(r.num_params, r.params);
      r.num_interfaces = count(2);
      const char** ifaces = table(interfaces_, r.num_interfaces);
      r.interfaces = ifaces;
      for (uint32_t k = 0; ifaces != nullptr && k < r.num_interfaces; ++k) ifaces[k] = name();
      r.create = in_.byte() < 16 ? nullptr : fake_create;
      r.destroy = fake_destroy;
      r.get_interface = fake_interface;
    }
    return in_.byte() < 4 ? nullptr : &m_;
  }

 private:
  seqflow::fuzz::Cursor& in_;
  sf_module m_{};
  std::deque<std::string> strings_;
  std::deque<sf_component> components_;
  std::deque<sf_resource_type> resources_;
  std::deque<std::vector<const sf_component*>> component_ptrs_;
  std::deque<std::vector<const sf_resource_type*>> resource_ptrs_;
  std::deque<std::vector<sf_param_decl>> params_;
  std::deque<std::vector<sf_field_decl>> fields_;
  std::deque<std::vector<const char*>> interfaces_;
};

// What the engine reads of an accepted descriptor (pipeline_spec.cpp, cli.cpp): a missing table or
// name here is a crash there.
size_t walk(const sf_module* m) {
  size_t n = std::strlen(m->name);
  auto walk_params = [&](uint32_t count, const sf_param_decl* p) {
    for (uint32_t i = 0; i < count; ++i) n += std::strlen(p[i].name);
  };
  for (uint32_t i = 0; i < m->num_components; ++i) {
    const sf_component* c = m->components[i];
    n += std::strlen(c->name);
    walk_params(c->num_params, c->params);
    for (uint32_t k = 0; k < c->num_fields; ++k)
      n += std::strlen(c->fields[k].param != nullptr ? c->fields[k].param : c->fields[k].name);
  }
  for (uint32_t i = 0; i < m->num_resources; ++i) {
    const sf_resource_type* r = m->resources[i];
    n += std::strlen(r->name);
    walk_params(r->num_params, r->params);
    for (uint32_t k = 0; k < r->num_interfaces; ++k) n += std::strlen(r->interfaces[k]);
  }
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  seqflow::fuzz::Cursor in(data, size);
  Builder b(in);
  const sf_module* m = b.module();
  try {
    seqflow::engine::check_module("seqflow_fz.so", m, "fz");
  } catch (const seqflow::engine::PluginError& e) {
    if (std::string_view(e.what()).find("seqflow_fz.so") == std::string_view::npos) __builtin_trap();
    return 0;
  }
  (void)walk(m);
  return 0;
}
