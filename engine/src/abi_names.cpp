#include "abi_names.hpp"

namespace seqflow::engine {

const char* kind_name(sf_component_kind k) {
  switch (k) {
    case SF_SOURCE: return "source";
    case SF_SINK: return "sink";
    default: return "transform";
  }
}

const char* param_type_name(sf_param_type t) {
  switch (t) {
    case SF_PARAM_BOOL: return "bool";
    case SF_PARAM_INT: return "int";
    case SF_PARAM_FLOAT: return "float";
    case SF_PARAM_STRING: return "string";
    case SF_PARAM_PATH: return "path";
    case SF_PARAM_STRING_LIST: return "string list";
    case SF_PARAM_PATH_LIST: return "path list";
    case SF_PARAM_TABLE: return "table";
    case SF_PARAM_ARRAY: return "array";
    case SF_PARAM_RESOURCE: return "resource";
    case SF_PARAM_FIELD: return "field";
    case SF_PARAM_FIELD_LIST: return "field list";
    case SF_PARAM_FIELD_TABLE: return "field table";
  }
  return "?";
}

}  // namespace seqflow::engine
