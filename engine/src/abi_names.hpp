// The words the CLI (`seqflow inspect`, `seqflow plugins`) and the catalog (seqflow/catalog.hpp) print
// for the plugin ABI's component kinds and parameter types, kept in one place so they cannot diverge.
// Pure functions; no errors (an unknown value is "?").
#pragma once

#include <seqflow/plugin_abi.h>

namespace seqflow::engine {

const char* kind_name(sf_component_kind k);
const char* param_type_name(sf_param_type t);

}  // namespace seqflow::engine
