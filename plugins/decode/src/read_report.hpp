// decode.read_report: window classifications -> one call per read (TSV) and a per-class summary.
#pragma once

#include "decode/read_report.hpp"

#include <seqflow/atomic_file.hpp>
#include <seqflow/sdk.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace seqflow::decode {

class ReadReport : public Sink<ReadReport> {
 public:
  static constexpr Info info{
      "read_report",
      "Turns per-window classifications (decode.classify with top_k = the number of classes) into one call "
      "per read and a summary of the run. Consecutive records with the same `group` value (dna.window's "
      "source_id) are the windows of one read; the read's probability vector is the mean of its windows' "
      "vectors, each weighted by the length of its `weight` field (its bases) when given, and its label the "
      "most probable class (aggregate = \"mean\"), or the class most (weighted) windows chose, with its "
      "mean probability (aggregate = \"vote\"). A read below `threshold` is `unknown_label`. Writes `path`: "
      "id, label, probability (`precision` decimals), windows; and `summary`: reads and percent per class, "
      "the unknown line and the total. Files appear only when the run succeeds.",
      R"([[stage]]
name = "report"
plugin = "decode.read_report"
labels = "labels.txt"
path = "out/reads.tsv"
summary = "out/summary.tsv"
group = "source_id"
weight = "seq"
threshold = 0.9
)",
      SF_FLAG_SERIAL, 1};
  static constexpr sf_param_decl params[] = {
      Param::path("path", nullptr, "Per-read TSV: id, label, probability, windows (header line first)."),
      Param::path("summary", "\"\"",
                  "Summary TSV: label, reads, percent for every class, the unknown reads and the total; "
                  "\"\": none."),
      // A string, not a path: the engine takes a sink's path parameters for its outputs (provenance is
      // written beside them), and this file is an input. Relative names are resolved here, as paths are.
      Param::string("labels", nullptr,
                    "File of class names, one per line (line i names class i), as decode.classify's; "
                    "relative to the pipeline file."),
      Param::field("group", "\"source_id\"",
                   "String field naming the read a window belongs to (dna.window's source_id); \"id\" when "
                   "reads are not cut into windows."),
      Param::field("ids", "\"top_ids\"", "Tensor field (i32 [C]) of decode.classify's class ids."),
      Param::field("probs", "\"top_probs\"", "Tensor field (f32 [C]) of their probabilities."),
      Param::field("weight", "\"\"",
                   "Field whose length weights a window (a string: its bytes, e.g. the window's bases; a "
                   "tensor: its first dimension); \"\": every window counts once."),
      Param::string("aggregate", "\"mean\"", "mean: mean probability vector; vote: most windows' class.",
                    "mean|vote"),
      Param::real("threshold", "0.0",
                  "A read whose probability is below this is called unknown_label (0 calls every read)."),
      Param::string("unknown_label", "\"unknown\"", "Label of reads below the threshold."),
      Param::integer("precision", "4", "Decimals of the probability column (0 to 17)."),
  };
  static constexpr sf_field_decl fields[] = {
      Field::reads("group", "source_id", SF_FIELD_STRING, SF_DTYPE_ANY, "the read's id"),
      Field::reads("ids", "top_ids", SF_FIELD_TENSOR, SF_DTYPE_I32, "class ids of the window"),
      Field::reads("probs", "top_probs", SF_FIELD_TENSOR, SF_DTYPE_F32, "their probabilities"),
      Field::reads_optional("weight", "", SF_FIELD_ANY, SF_DTYPE_ANY, "the window's weight by length"),
  };

  explicit ReadReport(CreateContext& ctx);
  void process(Context& ctx, Record& r);
  void finish(Context& ctx);

 private:
  void write_read();

  std::vector<std::string> labels_;
  std::string unknown_label_;
  std::string group_name_, ids_name_, probs_name_, weight_name_;
  Slot group_, ids_, probs_, weight_;
  int digits_;
  std::optional<ReadAggregator> agg_;
  std::string current_;  // the read whose windows are being added
  std::unique_ptr<AtomicFile> out_, summary_;
  std::string line_;
};

}  // namespace seqflow::decode
