// seqflow_wrongname: a valid module whose sf_module.name ("other") differs from its file name, as after
// renaming a .so by hand. The host must refuse it: the name in a pipeline's `plugin = "wrongname.x"`
// would otherwise resolve to a module that calls itself something else.
#include <seqflow/sdk.hpp>

namespace {
class Identity : public seqflow::Transform<Identity> {
 public:
  static constexpr seqflow::Info info{"identity", "Passes records through unchanged.",
                                      "[[stage]]\nname = \"same\"\nplugin = \"other.identity\"\n",
                                      SF_FLAG_THREAD_SAFE};
  explicit Identity(seqflow::CreateContext&) {}
  void process(seqflow::Context&, seqflow::Record&) {}
};
}  // namespace

using Components = seqflow::ComponentList<Identity>;
using Resources = seqflow::ResourceList<>;
SEQFLOW_MODULE("other", "0.1.0", "Test plugin whose name does not match its file.", Components, Resources)
