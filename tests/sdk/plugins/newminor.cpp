// seqflow_newminor: a valid plugin as a newer SDK (ABI 1.7) would build it. The minor version is
// negotiated, so the host must load it and use it, reading only the fields it knows: the module and the
// component are larger than the host's structs (fields appended by minor 7, per the ABI's rule) and
// their `struct_size` says so.
//
//   newminor.suffix  transform: appends `suffix` to a string field.
//
// The components are written with the SDK; only the entry point is by hand, to build the larger structs.
#include <seqflow/sdk.hpp>

#include <string>

namespace {

constexpr uint32_t kNewerMinor = 7;

class Suffix : public seqflow::Transform<Suffix> {
 public:
  static constexpr seqflow::Info info{
      "suffix", "Appends `suffix` to a string field.",
      "[[stage]]\nname = \"tag\"\nplugin = \"newminor.suffix\"\nsuffix = \"!\"\n", SF_FLAG_THREAD_SAFE};
  static constexpr sf_param_decl params[] = {
      seqflow::Param::field("input", "\"text\"", "String field to read."),
      seqflow::Param::field("output", "\"text\"", "String field to write."),
      seqflow::Param::string("suffix", "\"!\"", "Text appended."),
  };
  static constexpr sf_field_decl fields[] = {
      seqflow::Field::reads("input", "text", SF_FIELD_STRING),
      seqflow::Field::writes("output", "text", SF_FIELD_STRING),
  };

  explicit Suffix(seqflow::CreateContext& ctx)
      : input_(ctx.field_param("input")),
        output_(ctx.field_param("output")),
        suffix_(ctx.param("suffix").as_string()) {}
  void process(seqflow::Context&, seqflow::Record& record) {
    record.set_string(output_, std::string(record.string(input_)) + suffix_);
  }

 private:
  seqflow::Slot input_;
  seqflow::Slot output_;
  std::string suffix_;
};

using Components = seqflow::ComponentList<Suffix>;
using Resources = seqflow::ResourceList<>;

// What minor 7 might have appended. The values are deliberately not null so that a host reading past
// its own struct size would misbehave visibly rather than by luck.
const char kFutureData[] = "fields of ABI 1.7 that a 1.0 host must not read";

struct ComponentV17 {
  sf_component base;
  const void* appended_hook;
  uint64_t appended_flags;
};

struct ModuleV17 {
  sf_module base;
  const void* appended_table;
  uint32_t appended_count;
};

const ComponentV17 kSuffix = [] {
  ComponentV17 c{Suffix::kind_descriptor(), kFutureData, ~uint64_t{0}};
  c.base.struct_size = sizeof(ComponentV17);
  return c;
}();
const sf_component* const kComponents[] = {&kSuffix.base};

}  // namespace

extern "C" __attribute__((visibility("default"))) const sf_module* seqflow_plugin_entry(uint32_t, uint32_t) {
  static const ModuleV17 module = [] {
    // Start from the SDK's module (its init stores the host table the components use).
    ModuleV17 m{*seqflow::detail::make_module<Components, Resources>(
                    "newminor", "0.1.0", "Test plugin built as if by a newer SDK (ABI 1.7)."),
                kFutureData, 0xFFFFFFFFu};
    m.base.abi_minor = kNewerMinor;
    m.base.struct_size = sizeof(ModuleV17);
    m.base.num_components = 1;
    m.base.components = kComponents;
    return m;
  }();
  return &module.base;
}
