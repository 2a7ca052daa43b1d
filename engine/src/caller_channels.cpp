// The queues between an embedding program and its run's embed.input / embed.output stages.
#include "caller_channels.hpp"

#include <seqflow/caller.h>

#include "plugin_host.hpp"
#include "runtime.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <thread>

namespace seqflow::engine {

namespace {

// A waiting stage also wakes this often to notice a run cancelled elsewhere (a failure in another stage
// sets RunState::cancelled without knowing about the channels).
constexpr auto kPoll = std::chrono::milliseconds(20);

const char* type_word(const Value& v) {
  switch (v.index()) {
    case 0: return "a string";
    case 1: return "bytes";
    case 2: return "an int";
    case 3: return "a float";
    default: return "a tensor";
  }
}

sf_field_type type_of(const Value& v) {
  switch (v.index()) {
    case 0: return SF_FIELD_STRING;
    case 1: return SF_FIELD_BYTES;
    case 2: return SF_FIELD_INT;
    case 3: return SF_FIELD_FLOAT;
    default: return SF_FIELD_TENSOR;
  }
}

std::string dtype_word(sf_dtype d) {
  std::string s = FieldType{SF_FIELD_TENSOR, d}.str();  // "tensor<i64>"
  return s.substr(7, s.size() - 8);
}

std::string describe(const FieldType& t) {
  switch (t.type) {
    case SF_FIELD_STRING: return "a string";
    case SF_FIELD_BYTES: return "bytes";
    case SF_FIELD_INT: return "an int";
    case SF_FIELD_FLOAT: return "a float";
    case SF_FIELD_TENSOR: return t.dtype != SF_DTYPE_ANY ? t.str() : "a tensor";
    default: return "any type";
  }
}

}  // namespace

uint32_t effective_max_in_flight(const PipelineSpec& spec, int threads) {
  int t = threads >= 0 ? threads : spec.threads;
  if (t <= 0) t = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return spec.max_in_flight_set ? std::max<uint32_t>(1, spec.max_in_flight)
                                : std::max<uint32_t>(spec.max_in_flight, 64u * static_cast<uint32_t>(t));
}

CallerChannels::CallerChannels(const PipelineSpec& spec, uint32_t capacity)
    : spec_(spec), capacity_(std::max<uint32_t>(1, capacity)) {
  for (size_t i = 0; i < spec.fields.size(); ++i) slot_names_.push_back(spec.fields[i].name);
  for (size_t i = 0; i < spec.stages.size(); ++i) {
    const StageSpec& s = spec.stages[i];
    if (s.plugin == "embed.input") {
      input_ = static_cast<int>(i);
      declared_ = s.writes;
    } else if (s.plugin == "embed.output") {
      if (output_ >= 0)
        throw InvalidPipeline("stages '" + spec.stages[static_cast<size_t>(output_)].name + "' and '" +
                                  s.name +
                                  "' are both embed.output: a stream hands its records to one; write the "
                                  "others to files",
                              s.pos.str());
      output_ = static_cast<int>(i);
      for (const FieldUse& f : s.reads) {
        auto it = std::find(slot_names_.begin(), slot_names_.end(), f.name);
        output_slots_.push_back(static_cast<int32_t>(it - slot_names_.begin()));
      }
    }
  }
}

bool CallerChannels::attached(const std::string& stage) const {
  auto is = [&](int i) { return i >= 0 && spec_.stages[static_cast<size_t>(i)].name == stage; };
  return is(input_) || is(output_);
}

std::vector<std::pair<int32_t, Value>> CallerChannels::convert(Record& record) const {
  const std::string& stage = spec_.stages[static_cast<size_t>(input_)].name;
  const std::string where = "record " + std::to_string(pushed_ + 1) + " pushed to stage '" + stage + "'";
  std::vector<std::pair<int32_t, Value>> values;
  for (auto& [name, value] : record.fields()) {
    // clang 14 cannot capture a structured binding.
    auto decl = std::find_if(declared_.begin(), declared_.end(),
                             [&key = name](const FieldUse& f) { return f.name == key; });
    if (decl == declared_.end()) {
      std::vector<std::string> names;
      for (const FieldUse& f : declared_) names.push_back(f.name);
      const std::string near = closest_name(name, names);
      std::string list;
      for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
      throw RecordError(where + ": field '" + name + "' is not declared in the stage's `fields` (" + list +
                            ")" + (near.empty() ? "; add it there" : "; did you mean '" + near + "'?"),
                        name);
    }
    const FieldType& want = decl->type;
    const sf_field_type got = type_of(value);
    if (want.type != SF_FIELD_ANY && want.type != got)
      throw RecordError(where + ": field '" + name + "' is " + type_word(value) + ", the stage declares it " +
                            describe(want),
                        name);
    if (got == SF_FIELD_TENSOR) {
      const Tensor& t = std::get<Tensor>(value);
      if (t.empty())
        throw RecordError(where + ": field '" + name + "' is an empty Tensor (no payload)", name);
      if (want.dtype != SF_DTYPE_ANY && want.dtype != t.dtype())
        throw RecordError(where + ": field '" + name + "' is a tensor of dtype " + dtype_word(t.dtype()) +
                              ", the stage declares " + want.str() + ": convert it before pushing",
                          name);
    }
    auto slot = std::find(slot_names_.begin(), slot_names_.end(), name);
    values.emplace_back(static_cast<int32_t>(slot - slot_names_.begin()), std::move(value));
  }
  for (const FieldUse& f : declared_) {
    if (f.name == "id") continue;  // optional: records without one are named by their position
    bool present = std::any_of(values.begin(), values.end(), [&](const auto& v) {
      return slot_names_[static_cast<size_t>(v.first)] == f.name;
    });
    if (!present)
      throw RecordError(
          where + ": field '" + f.name + "' is missing (the stage declares it " + describe(f.type) + ")",
          f.name);
  }
  return values;
}

bool CallerChannels::run_cancelled() const {
  return run_ != nullptr && run_->cancelled.load(std::memory_order_relaxed);
}

void CallerChannels::throw_failure() const { throw_if_failed(*result_); }

CallerChannels::PushResult CallerChannels::push(Record& record, bool block) {
  std::unique_lock lock(mu_);
  if (input_ < 0) throw std::logic_error("this pipeline has no embed.input stage: nothing can be pushed");
  if (closed_) throw std::logic_error("push after close(): the stream's input is already closed");
  if (cancelled_) return PushResult::kCancelled;
  if (result_) {
    throw_failure();
    throw std::logic_error("push after the run ended");
  }
  // Checked before waiting, so that a bad record is reported at once, whatever the queue holds; a full
  // queue under try_push leaves the record untouched.
  const bool full = in_.size() >= capacity_;
  if (full && !block) return PushResult::kFull;
  std::vector<std::pair<int32_t, Value>> values = convert(record);
  while (in_.size() >= capacity_ && !cancelled_ && !result_) cv_.wait(lock);
  if (cancelled_) return PushResult::kCancelled;
  if (result_) {
    throw_failure();
    throw std::logic_error("push after the run ended");
  }
  in_.push_back(Pending{++pushed_, std::move(values)});
  record = Record();
  cv_.notify_all();
  return PushResult::kQueued;
}

size_t CallerChannels::push_many(std::span<Record> records) {
  std::unique_lock lock(mu_);
  if (input_ < 0) throw std::logic_error("this pipeline has no embed.input stage: nothing can be pushed");
  if (closed_) throw std::logic_error("push after close(): the stream's input is already closed");
  if (cancelled_) return 0;
  if (result_) {
    throw_failure();
    throw std::logic_error("push after the run ended");
  }
  size_t n = 0;
  try {
    for (; n < records.size() && in_.size() < capacity_; ++n) {
      std::vector<std::pair<int32_t, Value>> values = convert(records[n]);
      in_.push_back(Pending{++pushed_, std::move(values)});
      records[n] = Record();
    }
  } catch (...) {
    cv_.notify_all();  // the records before the bad one are queued
    throw;
  }
  // One wake-up for the whole batch: the source then reads them as one chunk.
  if (n > 0) cv_.notify_all();
  return n;
}

bool CallerChannels::has_room() const {
  std::lock_guard lock(mu_);
  return in_.size() < capacity_;
}

size_t CallerChannels::room() const {
  std::lock_guard lock(mu_);
  return in_.size() < capacity_ ? capacity_ - in_.size() : 0;
}

std::vector<Record> CallerChannels::pull_many(size_t max) {
  std::vector<Record> got;
  std::unique_lock lock(mu_);
  if (output_ < 0) throw std::logic_error("this pipeline has no embed.output stage: nothing can be pulled");
  if (out_.empty()) {
    if (result_ && !cancelled_) throw_failure();
    return got;
  }
  while (!out_.empty() && got.size() < max) {
    got.push_back(std::move(out_.front()));
    out_.pop_front();
  }
  cv_.notify_all();
  return got;
}

void CallerChannels::close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  cv_.notify_all();
}

std::optional<Record> CallerChannels::pull(bool block) {
  std::unique_lock lock(mu_);
  if (output_ < 0) throw std::logic_error("this pipeline has no embed.output stage: nothing can be pulled");
  while (out_.empty()) {
    if (cancelled_) return std::nullopt;
    if (result_) {
      throw_failure();
      return std::nullopt;
    }
    if (!block) return std::nullopt;
    cv_.wait(lock);
  }
  Record r = std::move(out_.front());
  out_.pop_front();
  cv_.notify_all();
  return r;
}

bool CallerChannels::done() const {
  std::lock_guard lock(mu_);
  return (result_.has_value() && out_.empty()) || cancelled_;
}

Stream::Ready CallerChannels::wait(bool want_input, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  auto ready = [&] {
    return !out_.empty() || cancelled_ || result_.has_value() || (want_input && in_.size() < capacity_);
  };
  if (timeout == std::chrono::milliseconds::max()) cv_.wait(lock, ready);
  else if (!cv_.wait_for(lock, timeout, ready)) return Stream::Ready::kTimeout;
  if (!out_.empty()) return Stream::Ready::kOutput;
  if (cancelled_ || result_) return Stream::Ready::kDone;
  return Stream::Ready::kInput;
}

void CallerChannels::cancel() {
  std::lock_guard lock(mu_);
  if (cancelled_ || result_) return;
  cancelled_ = true;
  in_.clear();
  out_.clear();
  if (run_ != nullptr) {
    // A failure, so that no writer commits a partial output and the run stops reading.
    ErrorEntry e;
    e.order = UINT64_MAX;
    e.stage = spec_.stages[static_cast<size_t>(input_ >= 0 ? input_ : output_)].name;
    e.plugin = input_ >= 0 ? "embed.input" : "embed.output";
    e.reason = "cancelled by the program";
    run_->report(std::move(e), true);
  }
  cv_.notify_all();
}

void CallerChannels::run_ended(RunResult result) {
  std::lock_guard lock(mu_);
  result.cancelled = cancelled_;
  result_ = std::move(result);
  cv_.notify_all();
}

void CallerChannels::bind(RunState* run) {
  std::lock_guard lock(mu_);
  run_ = run;
  if (cancelled_) {
    ErrorEntry e;
    e.order = UINT64_MAX;
    e.stage = spec_.stages[static_cast<size_t>(input_ >= 0 ? input_ : output_)].name;
    e.plugin = input_ >= 0 ? "embed.input" : "embed.output";
    e.reason = "cancelled by the program";
    run->report(std::move(e), true);
  }
}

void CallerChannels::unbind() {
  std::lock_guard lock(mu_);
  run_ = nullptr;
}

sf_status CallerChannels::read(sf_context* ctx, uint32_t max_records, bool wait, uint32_t* emitted,
                               sf_error* err) {
  std::vector<Pending> taken;
  {
    std::unique_lock lock(mu_);
    if (input_ < 0 || spec_.stages[static_cast<size_t>(input_)].name != ctx->stage_name) {
      std::snprintf(err->message, sizeof(err->message), "no program feeds stage '%s'", ctx->stage_name);
      return SF_ERR_INVALID;
    }
    while (wait && in_.empty() && !closed_ && !cancelled_ && !run_cancelled()) cv_.wait_for(lock, kPoll);
    if (cancelled_ || run_cancelled()) return SF_END;
    while (!in_.empty() && taken.size() < max_records) {
      taken.push_back(std::move(in_.front()));
      in_.pop_front();
    }
    if (taken.empty() && closed_) return SF_END;
    if (!taken.empty()) cv_.notify_all();
  }
  const sf_host* host = PluginHost::host_table();
  *emitted = static_cast<uint32_t>(taken.size());
  for (Pending& p : taken) {
    sf_record* r = host->emit(ctx, nullptr);
    for (auto& [slot, value] : p.values) {
      switch (value.index()) {
        case 0: {
          const std::string& s = std::get<std::string>(value);
          host->set_string(r, slot, s.data(), s.size());
          break;
        }
        case 1: {
          const std::string& s = std::get<Bytes>(value).data;
          host->set_bytes(r, slot, s.data(), s.size());
          break;
        }
        case 2: host->set_int(r, slot, std::get<int64_t>(value)); break;
        case 3: host->set_float(r, slot, std::get<double>(value)); break;
        default: {
          // The payload moves into the record: no copy.
          Tensor& t = std::get<Tensor>(value);
          FieldValue& f = r->fields[static_cast<size_t>(slot)];
          f.reset();
          f.blob = static_cast<Blob*>(t.blob_);
          t.blob_ = nullptr;
          f.type = SF_FIELD_TENSOR;
          f.i = static_cast<int64_t>(f.blob->nbytes);
        }
      }
    }
  }
  return SF_OK;
}

sf_status CallerChannels::write(sf_context* ctx, sf_record* const* records, uint32_t count, sf_error* err) {
  if (output_ < 0 || spec_.stages[static_cast<size_t>(output_)].name != ctx->stage_name) {
    std::snprintf(err->message, sizeof(err->message), "no program drains stage '%s'", ctx->stage_name);
    return SF_ERR_INVALID;
  }
  for (uint32_t k = 0; k < count; ++k) {
    const sf_record* r = records[k];
    Record out;
    auto add = [&](size_t slot) {
      const FieldValue& f = r->fields[slot];
      switch (f.type) {
        case SF_FIELD_STRING:
          out.set(slot_names_[slot], std::string(f.blob->data(), static_cast<size_t>(f.i)));
          break;
        case SF_FIELD_BYTES:
          out.set(slot_names_[slot], Bytes{std::string(f.blob->data(), static_cast<size_t>(f.i))});
          break;
        case SF_FIELD_INT: out.set(slot_names_[slot], f.i); break;
        case SF_FIELD_FLOAT: out.set(slot_names_[slot], f.f); break;
        case SF_FIELD_TENSOR:
          Blob::retain(f.blob);  // shared with the pulled record, not copied
          out.set(slot_names_[slot], Tensor(f.blob));
          break;
        default: break;
      }
    };
    if (output_slots_.empty()) {
      for (size_t s = 0; s < r->fields.size(); ++s) add(s);
    } else {
      for (int32_t s : output_slots_) add(static_cast<size_t>(s));
    }
    std::unique_lock lock(mu_);
    while (out_.size() >= capacity_ && !cancelled_ && !run_cancelled()) {
      cv_.notify_all();  // what is queued can be pulled meanwhile
      cv_.wait_for(lock, kPoll);
    }
    if (cancelled_ || run_cancelled()) return SF_OK;  // the run is stopping: nobody will pull
    out_.push_back(std::move(out));
  }
  // One wake-up per call (a chunk of records), not per record.
  std::lock_guard lock(mu_);
  cv_.notify_all();
  return SF_OK;
}

namespace {

sf_status vt_read(void* object, sf_context* ctx, uint32_t max_records, int32_t wait, uint32_t* emitted,
                  sf_error* err) {
  *emitted = 0;
  return static_cast<CallerChannels*>(object)->read(ctx, max_records, wait != 0, emitted, err);
}

sf_status vt_write(void* object, sf_context* ctx, sf_record* const* records, uint32_t count, sf_error* err) {
  return static_cast<CallerChannels*>(object)->write(ctx, records, count, err);
}

const sf_caller_vtable kVtable{sizeof(sf_caller_vtable), vt_read, vt_write};

}  // namespace

sf_status caller_interface(sf_create_context* ctx, const char* interface, uint32_t min_version,
                           sf_interface* out, void** object, sf_error* err) {
  if (std::strcmp(interface, SF_CALLER_INTERFACE) != 0 || min_version > SF_CALLER_VERSION) {
    std::snprintf(err->message, sizeof(err->message),
                  "resource '%s' provides interface '%s' version %u, not '%s' version %u", SF_CALLER_RESOURCE,
                  SF_CALLER_INTERFACE, SF_CALLER_VERSION, interface, min_version);
    return SF_ERR_UNSUPPORTED;
  }
  CallerChannels* c = ctx->run != nullptr ? ctx->run->callers : nullptr;
  if (c == nullptr || !c->attached(ctx->stage)) {
    std::snprintf(err->message, sizeof(err->message),
                  "this stage exchanges records with the program that embeds seqflow (Pipeline.stream() in "
                  "Python, seqflow::Stream in C++); `seqflow run` cannot feed or drain it: use a file reader "
                  "or writer (io.jsonl_read, io.jsonl_write) instead");
    return SF_ERR_INVALID;
  }
  out->name = SF_CALLER_INTERFACE;
  out->version = SF_CALLER_VERSION;
  out->vtable = &kVtable;
  *object = c;
  return SF_OK;
}

}  // namespace seqflow::engine
