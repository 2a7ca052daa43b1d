#include "read_report.hpp"

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <tuple>

namespace seqflow::decode {

namespace {

std::vector<std::string> load_labels(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open the labels file; check the `labels` path", SF_ERR_IO);
  std::vector<std::string> labels;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line.find('\t') != std::string::npos)
      throw Error(path + ":" + std::to_string(n) + ": a label must be non-empty text without tabs (it is a "
                  "TSV column); write one class name per line");
    labels.push_back(line);
  }
  if (labels.empty()) throw Error(path + ": the labels file is empty; write one class name per line");
  return labels;
}

ParamError param_error(const char* param, const std::string& message) { return ParamError(param, message); }

}  // namespace

ReadReport::ReadReport(CreateContext& ctx)
    : unknown_label_(ctx.param("unknown_label").as_string()),
      group_name_(ctx.param("group").as_string()),
      ids_name_(ctx.param("ids").as_string()),
      probs_name_(ctx.param("probs").as_string()),
      weight_name_(ctx.param("weight").as_string()),
      group_(ctx.field(group_name_)),
      ids_(ctx.field(ids_name_)),
      probs_(ctx.field(probs_name_)),
      weight_(weight_name_.empty() ? Slot{} : ctx.field(weight_name_)) {
  const double threshold = ctx.param("threshold").as_float();
  if (!(threshold >= 0.0 && threshold <= 1.0))
    throw param_error("threshold", "decode.read_report: threshold = " + std::to_string(threshold) +
                                       " is not a probability; give a value in [0, 1]");
  const int64_t digits = ctx.param("precision").as_int();
  if (digits < 0 || digits > 17)
    throw param_error("precision", "decode.read_report: precision = " + std::to_string(digits) +
                                       " must be 0 to 17 decimals");
  digits_ = static_cast<int>(digits);
  if (unknown_label_.empty() || unknown_label_.find_first_of("\t\n\r") != std::string::npos)
    throw param_error("unknown_label", "decode.read_report: unknown_label must be non-empty text without tabs "
                                       "or line breaks");
  Aggregate how;
  try {
    how = parse_aggregate(ctx.param("aggregate").as_string());
  } catch (const std::exception& e) {
    throw param_error("aggregate", std::string("decode.read_report: ") + e.what());
  }
  std::filesystem::path labels(ctx.param("labels").as_string());
  if (labels.is_relative()) labels = std::filesystem::path(ctx.pipeline_dir()) / labels;
  labels_ = load_labels(labels.string());
  for (const std::string& l : labels_)
    if (l == unknown_label_ || l == "total")
      throw param_error("labels", "decode.read_report: the class '" + l +
                                      "' clashes with the summary's own lines (unknown_label, total); rename it");
  agg_.emplace(static_cast<int64_t>(labels_.size()), how, threshold);
  out_ = std::make_unique<AtomicFile>(ctx.param("path").as_string());
  out_->write("id\tlabel\tprobability\twindows\n");
  const std::string summary = ctx.param("summary").as_string();
  if (!summary.empty()) summary_ = std::make_unique<AtomicFile>(summary);
}

void ReadReport::write_read() {
  const ReadCall call = agg_->finish_read();
  line_ = current_;
  line_ += '\t';
  line_ += call.class_id < 0 ? unknown_label_ : labels_[static_cast<size_t>(call.class_id)];
  line_ += '\t';
  line_ += format_probability(call.probability, digits_);
  line_ += '\t';
  line_ += std::to_string(call.windows);
  line_ += '\n';
  out_->write(line_);
}

void ReadReport::process(Context&, Record& r) {
  if (!r.has(group_)) throw Error("field '" + group_name_ + "' is missing: it names the read of each window");
  const std::string_view group = r.string(group_);
  if (group.find_first_of("\t\n\r") != std::string_view::npos)
    throw Error("read id '" + std::string(group) + "' holds a tab or line break, which a TSV cannot hold");
  for (const auto& [slot, name, dtype] : {std::tuple{ids_, &ids_name_, SF_DTYPE_I32},
                                          std::tuple{probs_, &probs_name_, SF_DTYPE_F32}}) {
    if (!r.has(slot) || r.type(slot) != SF_FIELD_TENSOR || r.tensor(slot).dtype() != dtype ||
        r.tensor(slot).ndim() != 1)
      throw Error("field '" + *name + "' must be a 1-d " + (dtype == SF_DTYPE_I32 ? "i32" : "f32") +
                  " tensor, as decode.classify writes it");
  }
  const Tensor ids = r.tensor(ids_);
  const Tensor probs = r.tensor(probs_);
  if (ids.dim(0) != probs.dim(0))
    throw Error("fields '" + ids_name_ + "' and '" + probs_name_ + "' differ in length (" +
                std::to_string(ids.dim(0)) + " vs " + std::to_string(probs.dim(0)) + ")");
  double weight = 1.0;
  if (weight_) {
    if (!r.has(weight_)) throw Error("field '" + weight_name_ + "' (the window's weight) is missing");
    const sf_field_type t = r.type(weight_);
    if (t == SF_FIELD_STRING || t == SF_FIELD_BYTES)
      weight = static_cast<double>(r.string(weight_).size());
    else if (t == SF_FIELD_TENSOR && r.tensor(weight_).ndim() >= 1)
      weight = static_cast<double>(r.tensor(weight_).dim(0));
    else
      throw Error("field '" + weight_name_ + "' must be a string or a tensor: its length weights the window");
  }
  if (!agg_->empty() && group != current_) write_read();
  if (agg_->empty()) current_.assign(group);
  try {
    agg_->add_window(ids.data<int32_t>().data(), probs.data<float>().data(), ids.dim(0), weight);
  } catch (const std::invalid_argument& e) {
    throw Error("read '" + current_ + "': " + e.what() +
                " (labels: " + std::to_string(labels_.size()) + " classes)");
  }
}

void ReadReport::finish(Context&) {
  if (!agg_->empty()) write_read();
  out_->commit();
  if (summary_) {
    summary_->write(format_summary(labels_, unknown_label_, agg_->counts()));
    summary_->commit();
  }
}

}  // namespace seqflow::decode
