// The embed module: embed.input (a source fed by the program that embeds seqflow) and embed.output (a sink
// that hands records to it). Both only move records across through the host's caller interface
// (seqflow/caller.h), looked up with sf_host.resource at create time. Written against the C ABI directly:
// the C++ SDK's CreateContext looks resources up by parameter, and the caller's is no parameter.
#include <seqflow/caller.h>
#include <seqflow/plugin_abi.h>

#include <cstdio>
#include <new>

namespace {

const sf_host* g_host = nullptr;

struct Instance {
  const sf_caller_vtable* caller = nullptr;
  void* object = nullptr;
  bool emitted_last = false;
};

sf_status create(const sf_create_args* args, void** instance, sf_error* err) {
  sf_interface iface{};
  iface.struct_size = sizeof(iface);
  void* object = nullptr;
  const sf_status s = g_host->resource(args->ctx, SF_CALLER_RESOURCE, SF_CALLER_INTERFACE, SF_CALLER_VERSION,
                                       &iface, &object, err);
  if (s != SF_OK) return s;
  auto* inst = new (std::nothrow) Instance{static_cast<const sf_caller_vtable*>(iface.vtable), object, false};
  if (inst == nullptr) {
    std::snprintf(err->message, sizeof(err->message), "out of memory");
    return SF_ERR_INTERNAL;
  }
  *instance = inst;
  return SF_OK;
}

void destroy(void* instance) { delete static_cast<Instance*>(instance); }

// Waits for the program only when the previous call emitted nothing: a call that finds the queue empty
// after emitting ends the engine's chunk, so that records pushed one at a time come out without waiting
// for a full chunk.
sf_status read(void* instance, sf_context* ctx, uint32_t max_records, sf_error* err) {
  auto* inst = static_cast<Instance*>(instance);
  uint32_t emitted = 0;
  const sf_status s =
      inst->caller->read(inst->object, ctx, max_records, inst->emitted_last ? 0 : 1, &emitted, err);
  inst->emitted_last = emitted > 0;
  return s;
}

sf_status write(void* instance, sf_context* ctx, sf_record* const* records, uint32_t count, sf_error* err) {
  auto* inst = static_cast<Instance*>(instance);
  return inst->caller->write(inst->object, ctx, records, count, err);
}

sf_status finish(void*, sf_context*, sf_error*) { return SF_OK; }

const sf_param_decl kInputParams[] = {
    {sizeof(sf_param_decl), "fields", SF_PARAM_FIELD_TABLE, 1, nullptr,
     "Fields of a pushed record and their types: { name = \"string\" | \"bytes\" | \"int\" | \"float\" | "
     "\"tensor\" | \"tensor:<dtype>\" }.",
     nullptr, nullptr},
};
const sf_field_decl kInputFields[] = {
    {sizeof(sf_field_decl), nullptr, "id", SF_WRITE, SF_FIELD_STRING, SF_DTYPE_ANY, 0,
     "The pushed record's id, when it has one."},
    {sizeof(sf_field_decl), "fields", "", SF_WRITE, SF_FIELD_ANY, SF_DTYPE_ANY, 0,
     "One field per entry of `fields`."},
};
const sf_param_decl kOutputParams[] = {
    {sizeof(sf_param_decl), "fields", SF_PARAM_FIELD_LIST, 0, "[]",
     "Fields to hand over; [] hands over every field the record has.", nullptr, nullptr},
};
const sf_field_decl kOutputFields[] = {
    {sizeof(sf_field_decl), "fields", "", SF_READ, SF_FIELD_ANY, SF_DTYPE_ANY, 0,
     "Each field listed in `fields`."},
};

sf_component make_input() {
  sf_component c{};
  c.struct_size = sizeof(c);
  c.name = "input";
  c.doc =
      "Records pushed by the program that embeds seqflow (Stream::push in C++, Pipeline.stream() in Python), "
      "in push order. `fields` declares each field a pushed record carries and its type; `id` (a string) is "
      "optional and records without one are named by their position. A pushed record with a field missing, "
      "undeclared or of another type is refused at the push. Pushing blocks while max_in_flight records wait "
      "to enter the pipeline. `seqflow run` cannot feed this stage.";
  c.example =
      "[[stage]]\nname = \"in\"\nplugin = \"embed.input\"\nfields = { text = \"string\", audio = "
      "\"tensor:f32\" }\n";
  c.kind = SF_SOURCE;
  c.flags = SF_FLAG_SERIAL;
  c.default_concurrency = 1;
  c.num_params = 1;
  c.params = kInputParams;
  c.num_fields = 2;
  c.fields = kInputFields;
  c.create = create;
  c.destroy = destroy;
  c.read = read;
  c.finish = finish;
  return c;
}

sf_component make_output() {
  sf_component c{};
  c.struct_size = sizeof(c);
  c.name = "output";
  c.doc =
      "Hands every record to the program that embeds seqflow (Stream::pull in C++, Pipeline.stream() in "
      "Python), in order. `fields` lists the fields handed over; empty (the default) hands over every field "
      "the record has. Tensors are shared with the program, not copied. The stage waits while max_in_flight "
      "records wait to be pulled. `seqflow run` cannot drain this stage.";
  c.example = "[[stage]]\nname = \"out\"\nplugin = \"embed.output\"\nfields = [\"id\", \"fbank\"]\n";
  c.kind = SF_SINK;
  c.flags = 0;
  c.default_concurrency = 1;
  c.num_params = 1;
  c.params = kOutputParams;
  c.num_fields = 1;
  c.fields = kOutputFields;
  c.create = create;
  c.destroy = destroy;
  c.process = write;
  c.finish = finish;
  return c;
}

const sf_component kInput = make_input();
const sf_component kOutput = make_output();
const sf_component* const kComponents[] = {&kInput, &kOutput};

sf_status init(const sf_host* host, sf_error* err) {
  if (host == nullptr || host->abi_major != SF_ABI_MAJOR) {
    std::snprintf(err->message, sizeof(err->message), "host ABI major version differs from the plugin's");
    return SF_ERR_UNSUPPORTED;
  }
  g_host = host;
  return SF_OK;
}

const sf_module kModule = {SF_ABI_MAGIC,
                           SF_ABI_MAJOR,
                           SF_ABI_MINOR,
                           sizeof(sf_module),
                           "embed",
                           "0.1.0",
                           "Records exchanged with the program that embeds seqflow",
                           2,
                           kComponents,
                           0,
                           nullptr,
                           init};

}  // namespace

extern "C" __attribute__((visibility("default"))) const sf_module* seqflow_plugin_entry(uint32_t, uint32_t) {
  return &kModule;
}
