// The `seqflow` command line: run | validate | plugins | inspect | graph.
// Exit codes: 0 success, 1 the pipeline failed at run time, 2 the pipeline or command line is invalid.
#include <seqflow/engine.hpp>

#include <seqflow/sdk.hpp>
#include "interrupt.hpp"
#include "merge.hpp"
#include "pipeline_spec.hpp"
#include "abi_names.hpp"
#include "plugin_host.hpp"
#include "provenance.hpp"
#include "runtime.hpp"

#include <unistd.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <string>

namespace {

using seqflow::engine::PluginError;
using seqflow::engine::PluginHost;
using seqflow::engine::SpecError;

using seqflow::engine::kind_name;
using seqflow::engine::param_type_name;

std::string concurrency_text(int32_t c) {
  if (c == 0) return "unlimited";
  if (c == 1) return "serial";
  return std::to_string(c);
}

void print_params(uint32_t n, const sf_param_decl* params) {
  std::printf("parameters:\n");
  if (n == 0) std::printf("  (none)\n");
  for (uint32_t i = 0; i < n; ++i) {
    const sf_param_decl& p = params[i];
    // An optional parameter may have no default (the component checks whether it was given).
    std::string def = p.required                 ? "required"
                      : p.default_toml != nullptr ? std::string("default ") + p.default_toml
                                                  : "optional, no default";
    std::printf("  %-16s %-12s %s\n", p.name, param_type_name(p.type), def.c_str());
    if (p.doc != nullptr && p.doc[0] != 0) std::printf("      %s\n", p.doc);
    if (p.choices != nullptr) std::printf("      one of: %s\n", p.choices);
    if (p.interface != nullptr) std::printf("      interface: %s\n", p.interface);
  }
}

void print_fields(const sf_component* c) {
  std::printf("fields:\n");
  bool declares_id = false;
  for (uint32_t i = 0; i < c->num_fields; ++i)
    declares_id =
        declares_id || (c->fields[i].param == nullptr && std::string_view(c->fields[i].name) == "id");
  if (c->kind == SF_SOURCE && !declares_id)
    std::printf("  writes id                             string       record id (every source)\n");
  for (uint32_t i = 0; i < c->num_fields; ++i) {
    const sf_field_decl& f = c->fields[i];
    std::string type;
    switch (f.type) {
      case SF_FIELD_STRING: type = "string"; break;
      case SF_FIELD_BYTES: type = "bytes"; break;
      case SF_FIELD_INT: type = "int"; break;
      case SF_FIELD_FLOAT: type = "float"; break;
      case SF_FIELD_TENSOR:
        type =
            f.dtype == SF_DTYPE_ANY ? "tensor" : std::string("tensor<") + seqflow::dtype_name(f.dtype) + ">";
        break;
      default: type = "any"; break;
    }
    std::string name = f.param != nullptr ? std::string("<") + f.param + ">" : f.name;
    if (f.param != nullptr && f.name != nullptr && f.name[0] != 0)
      name += " (default " + std::string(f.name) + ")";
    std::printf("  %-6s %-30s %-12s%s %s\n", f.access == SF_READ ? "reads" : "writes", name.c_str(),
                type.c_str(), f.optional ? " optional" : "", f.doc != nullptr ? f.doc : "");
  }
}

int cmd_inspect(const std::string& name) {
  PluginHost& host = PluginHost::instance();
  auto [mod, comp] = seqflow::engine::split_plugin_name(name);
  const auto& m = host.module(mod);
  for (uint32_t i = 0; i < m.module->num_resources; ++i) {
    const sf_resource_type* r = m.module->resources[i];
    if (comp != r->name) continue;
    std::printf("%s (resource type)\n  module %s %s, %s\n\n%s\n\n", name.c_str(), m.name.c_str(),
                m.module->version, m.path.c_str(), r->doc != nullptr ? r->doc : "");
    print_params(r->num_params, r->params);
    std::printf("interfaces:\n");
    for (uint32_t k = 0; k < r->num_interfaces; ++k) std::printf("  %s\n", r->interfaces[k]);
    if (r->example != nullptr) std::printf("example:\n%s\n", r->example);
    return 0;
  }
  auto ref = host.component(name);
  const sf_component* c = ref.component;
  std::printf("%s (%s, concurrency %s%s%s%s)\n  module %s %s, %s\n\n%s\n\n", name.c_str(), kind_name(c->kind),
              concurrency_text(c->default_concurrency).c_str(),
              (c->flags & SF_FLAG_THREAD_SAFE) ? ", thread-safe" : "",
              (c->flags & SF_FLAG_FILTERS) ? ", filters" : "", (c->flags & SF_FLAG_SPLITS) ? ", splits" : "",
              m.name.c_str(), m.module->version, m.path.c_str(), c->doc != nullptr ? c->doc : "");
  print_params(c->num_params, c->params);
  print_fields(c);
  std::printf("engine keys: name, plugin, after, concurrency%s\n", c->kind == SF_TRANSFORM ? ", batch" : "");
  if (c->example != nullptr) std::printf("example:\n%s\n", c->example);
  return 0;
}

int cmd_plugins() {
  std::vector<std::string> failures;
  auto modules = PluginHost::instance().discover(&failures);
  for (const auto* m : modules) {
    std::printf("%s %s  %s\n", m->name.c_str(), m->module->version, m->path.c_str());
    for (uint32_t i = 0; i < m->module->num_components; ++i) {
      const sf_component* c = m->module->components[i];
      std::string doc = c->doc != nullptr ? c->doc : "";
      doc = doc.substr(0, doc.find('\n'));
      std::printf("  %-24s %-9s %s\n", (m->name + "." + c->name).c_str(), kind_name(c->kind), doc.c_str());
    }
    for (uint32_t i = 0; i < m->module->num_resources; ++i) {
      const sf_resource_type* r = m->module->resources[i];
      std::string doc = r->doc != nullptr ? r->doc : "";
      doc = doc.substr(0, doc.find('\n'));
      std::printf("  %-24s %-9s %s\n", (m->name + "." + r->name).c_str(), "resource", doc.c_str());
    }
  }
  for (const std::string& f : failures) std::fprintf(stderr, "warning: %s\n", f.c_str());
  return 0;
}

// "I/N" -> index and count; an error message (empty when fine).
std::string parse_shard(const std::string& v, uint32_t& index, uint32_t& count) {
  unsigned long long i = 0, n = 0;
  char tail = 0;
  if (std::sscanf(v.c_str(), "%llu/%llu%c", &i, &n, &tail) != 2 || v.find_first_of("+-") != std::string::npos)
    return "expected I/N, two whole numbers such as 0/4, got '" + v + "'";
  if (n == 0 || n > UINT32_MAX) return "the shard count N must be between 1 and 4294967295, got '" + v + "'";
  if (i >= n)
    return "the shard index is 0-based and must be below N (0/" + std::to_string(n) + " .. " +
           std::to_string(n - 1) + "/" + std::to_string(n) + "), got '" + v + "'";
  index = static_cast<uint32_t>(i);
  count = static_cast<uint32_t>(n);
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"seqflow: declarative sequence-modeling pipelines"};
  app.require_subcommand(1);
  std::string pipeline;
  std::vector<std::string> sets;

  auto* run = app.add_subcommand("run", "Run a pipeline");
  run->add_option("pipeline", pipeline, "Pipeline file (TOML)")->required();
  run->add_option("--set", sets, "Override a parameter: stage.key=value (repeatable)");
  int threads = -1;
  run->add_option("--threads", threads, "Worker threads (0 = all cores; default: the pipeline's)")
      ->check(CLI::NonNegativeNumber);
  bool progress = false, no_progress = false;
  run->add_flag("--progress", progress, "Show a progress line (default: on when stderr is a terminal)");
  run->add_flag("--no-progress", no_progress, "Never show a progress line");
  std::string stats;
  run->add_option("--stats", stats, "Write the per-stage summary as JSON to this file");
  std::string trace;
  run->add_option(
      "--trace", trace,
      "Write every stage call (thread, start, duration, records) as Chrome trace-event JSON to this "
      "file: open it in ui.perfetto.dev or chrome://tracing");
  uint32_t shard_index = 0, shard_count = 1;
  std::string shard_by = "record";
  bool keep_names = false;
  // The same shard options for run and validate: validate creates the source with its shard.
  auto shard_options = [&](CLI::App* sub) {
    sub->add_option_function<std::string>(
           "--shard",
           [&](const std::string& v) {
             const std::string why = parse_shard(v, shard_index, shard_count);
             if (!why.empty()) throw CLI::ValidationError("--shard", why);
           },
           "I/N: run shard I of N (0-based); shards 0/N .. N-1/N together cover every record once")
        ->type_name("I/N");
    sub->add_option("--shard-by", shard_by,
                    "record: records at positions I, I+N, ... (every shard reads all input); file: whole "
                    "input files, balanced by size; bytes: byte ranges of the inputs, resynchronised on a "
                    "record (plain or BGZF files)")
        ->check(CLI::IsMember({"record", "file", "bytes"}));
    sub->add_flag("--no-shard-names", keep_names,
                  "Keep the output names as written (by default each shard writes OUTPUT.shard-I-of-N.EXT)");
  };
  shard_options(run);

  std::string provenance_out;
  run->add_option("--provenance", provenance_out,
                  "Also write the run's provenance record (JSON) to this file; it is always written beside "
                  "each output as OUTPUT.provenance.json and into --stats");
  bool hash_inputs = false;
  run->add_flag("--hash-inputs", hash_inputs,
                "Record the sha256 of every input file in the provenance (by default only of files up to "
                "16 MiB)");

  auto* validate = app.add_subcommand("validate", "Check a pipeline without running it");
  validate->add_option("pipeline", pipeline, "Pipeline file (TOML)")->required();
  validate->add_option("--set", sets, "Override a parameter: stage.key=value (repeatable)");
  shard_options(validate);

  app.add_subcommand("plugins", "List the plugin modules and components found");

  std::string merge_output;
  std::vector<std::string> merge_inputs;
  auto* merge = app.add_subcommand(
      "merge", "Combine the outputs of a run's shards into what a single run would have written");
  merge
      ->add_option("output", merge_output,
                   "The output as one run names it (its shards are OUTPUT.shard-I-of-N.EXT), or a --stats "
                   "file to write")
      ->required();
  merge->add_option("shards", merge_inputs, "The shard files in order (default: found by OUTPUT's name)");

  std::string provenance_file;
  auto* provenance =
      app.add_subcommand("provenance", "Print a provenance record (or a --stats file) readably");
  provenance->add_option("file", provenance_file, "OUTPUT.provenance.json or a --stats JSON file")
      ->required();

  std::string component;
  auto* inspect = app.add_subcommand("inspect", "Show a component's parameters, fields and example");
  inspect->add_option("component", component, "module.component, e.g. io.lines_read")->required();

  std::string format = "dot";
  auto* graph = app.add_subcommand("graph", "Print the pipeline graph");
  graph->add_option("pipeline", pipeline, "Pipeline file (TOML)")->required();
  graph->add_option("--format", format, "dot or mermaid")->check(CLI::IsMember({"dot", "mermaid"}));
  graph->add_option("--set", sets, "Override a parameter: stage.key=value (repeatable)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  try {
    if (app.got_subcommand("plugins")) return cmd_plugins();
    if (app.got_subcommand("inspect")) return cmd_inspect(component);
    // Before the pipeline loads, so that a signal during loading or creation also cancels cleanly.
    if (app.got_subcommand("run")) seqflow::engine::install_interrupt_handlers();
    if (app.got_subcommand("merge")) {
      try {
        std::printf("%s\n", seqflow::engine::merge_shards(merge_output, merge_inputs).c_str());
        return 0;
      } catch (const seqflow::engine::MergeError& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return e.invalid() ? 2 : 1;
      }
    }
    if (app.got_subcommand("provenance")) {
      try {
        std::fputs(seqflow::engine::print_provenance(provenance_file).c_str(), stdout);
        return 0;
      } catch (const std::runtime_error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 2;
      }
    }
    seqflow::Pipeline p = seqflow::Pipeline::load(pipeline, sets);
    if (shard_count > 1 && !keep_names && !app.got_subcommand("graph")) {
      std::vector<std::string> with_names = sets;
      for (std::string& s : p.shard_output_overrides(shard_index, shard_count))
        with_names.push_back(std::move(s));
      p = seqflow::Pipeline::load(pipeline, with_names);
    }
    seqflow::RunOptions options;
    options.shard_index = shard_index;
    options.shard_count = shard_count;
    options.shard_by = shard_by == "file"    ? seqflow::ShardBy::kFile
                       : shard_by == "bytes" ? seqflow::ShardBy::kBytes
                                             : seqflow::ShardBy::kRecord;
    if (app.got_subcommand("validate")) {
      p.check_creation(options);
      std::printf("%s: ok (%zu stages)\n", pipeline.c_str(), p.spec().stages.size());
      return 0;
    }
    if (app.got_subcommand("graph")) {
      std::fputs(p.graph(format).c_str(), stdout);
      return 0;
    }
    options.threads = threads;
    options.progress = no_progress ? false : (progress || isatty(STDERR_FILENO) != 0);
    options.stats_path = stats;
    options.trace_path = trace;
    options.provenance_path = provenance_out;
    options.hash_inputs = hash_inputs;
    seqflow::RunResult r = p.run(options);
    if (r.interrupted_by != 0) {
      std::fprintf(stderr, "error: %s\n", r.error.c_str());
      return 128 + r.interrupted_by;
    }
    if (!r.ok) {
      if (r.invalid) {
        std::fprintf(stderr, "%s\n", r.error.c_str());
        return 2;
      }
      if (!r.error_at.empty()) std::fprintf(stderr, "%s: ", r.error_at.c_str());
      std::fprintf(stderr, "error: %s\n", r.error.c_str());
      return 1;
    }
    return 0;
  } catch (const SpecError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  } catch (const seqflow::engine::ResourceError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  } catch (const PluginError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
