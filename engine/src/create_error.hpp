// Where a failed create() belongs in the pipeline file, so that `validate` and `run` report a stage or
// resource that cannot start at the line and column of the parameter concerned.
//
// What it is: CreateFailure (what InstancePool and the resource loader throw when a plugin's create()
// fails: its message and, from ABI 1.2, the parameter it names) and locate_create_failure(), which picks
// the parameter and its position. Pure functions over the validated spec.
// Threading: none shared; call from any thread.
// Errors: nothing here fails; an unattributable failure is placed at the stage's [[stage]] header.
#pragma once

#include "pipeline_spec.hpp"

#include <map>
#include <stdexcept>
#include <string>

namespace seqflow::engine {

/// A plugin's create() returned an error.
class CreateFailure : public std::runtime_error {
 public:
  CreateFailure(const std::string& message, std::string param)
      : std::runtime_error(message), param_(std::move(param)) {}
  const std::string& param() const { return param_; }

 private:
  std::string param_;
};

/// A stage that cannot be created: what() is "stage 'x' (module.component): why", pos() where it belongs.
class StageCreateError : public std::runtime_error {
 public:
  StageCreateError(SourcePos pos, const std::string& message)
      : std::runtime_error(message), pos_(std::move(pos)) {}
  const SourcePos& pos() const { return pos_; }

 private:
  SourcePos pos_;
};

/// The parameter a create() failure concerns: the plugin's own answer (sf_error.param) when it gave one,
/// else the declared parameter that the message names first ("k = 13 ...", "parameter 'fields': ...",
/// "paths is empty"), else the one whose value the message quotes ('data/*.fa'); "" when none fits.
std::string blamed_parameter(const std::string& message, const std::string& plugin_param,
                             const sf_param_decl* decls, uint32_t num_decls, const sf_value* params);

/// The position to report: the blamed parameter's value when the user wrote it, else `header`.
SourcePos create_failure_position(const std::string& blamed,
                                  const std::map<std::string, SourcePos>& param_pos, const SourcePos& header);

}  // namespace seqflow::engine
