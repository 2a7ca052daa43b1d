// The embedding API (seqflow/embed.hpp): tensors and records on the program's side, and a Stream that runs
// a pipeline on a thread of its own while the program pushes and pulls records through CallerChannels.
#include <seqflow/embed.hpp>

#include "caller_channels.hpp"
#include "pipeline_spec.hpp"
#include "plugin_host.hpp"
#include "record.hpp"
#include "runtime.hpp"

#include <thread>

namespace seqflow {

using embed::Record;
using embed::Tensor;
using embed::Value;
using engine::Blob;

namespace {
size_t dtype_size(sf_dtype d) {
  switch (d) {
    case SF_DTYPE_F32:
    case SF_DTYPE_I32: return 4;
    case SF_DTYPE_BF16:
    case SF_DTYPE_F16: return 2;
    case SF_DTYPE_I64: return 8;
    case SF_DTYPE_U8:
    case SF_DTYPE_I8: return 1;
    default: return 0;
  }
}
}  // namespace

// ---- Tensor ----

Tensor Tensor::allocate(sf_dtype dtype, std::span<const int64_t> shape) {
  const size_t elem = dtype_size(dtype);
  if (elem == 0)
    throw std::invalid_argument("unknown tensor dtype " + std::to_string(static_cast<int>(dtype)));
  if (shape.size() > SF_MAX_DIMS)
    throw std::invalid_argument("a tensor has at most " + std::to_string(SF_MAX_DIMS) + " dimensions, got " +
                                std::to_string(shape.size()));
  size_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) throw std::invalid_argument("a tensor dimension is negative: " + std::to_string(d));
    n *= static_cast<size_t>(d);
  }
  Blob* b = Blob::make(n * elem);
  b->dtype = dtype;
  b->ndim = static_cast<uint32_t>(shape.size());
  for (size_t i = 0; i < shape.size(); ++i) b->shape[i] = shape[i];
  return Tensor(b);
}

Tensor::Tensor(const Tensor& o) : blob_(o.blob_) { Blob::retain(static_cast<Blob*>(blob_)); }
Tensor::Tensor(Tensor&& o) noexcept : blob_(o.blob_) { o.blob_ = nullptr; }
Tensor& Tensor::operator=(const Tensor& o) {
  if (this != &o) {
    Blob::retain(static_cast<Blob*>(o.blob_));
    Blob::release(static_cast<Blob*>(blob_));
    blob_ = o.blob_;
  }
  return *this;
}
Tensor& Tensor::operator=(Tensor&& o) noexcept {
  if (this != &o) {
    Blob::release(static_cast<Blob*>(blob_));
    blob_ = o.blob_;
    o.blob_ = nullptr;
  }
  return *this;
}
Tensor::~Tensor() { Blob::release(static_cast<Blob*>(blob_)); }

sf_dtype Tensor::dtype() const { return blob_ ? static_cast<Blob*>(blob_)->dtype : SF_DTYPE_ANY; }
std::span<const int64_t> Tensor::shape() const {
  if (blob_ == nullptr) return {};
  const Blob* b = static_cast<const Blob*>(blob_);
  return {b->shape, b->ndim};
}
size_t Tensor::nbytes() const { return blob_ ? static_cast<Blob*>(blob_)->nbytes : 0; }
const void* Tensor::data() const { return blob_ ? static_cast<Blob*>(blob_)->data() : nullptr; }
void* Tensor::mutable_data() {
  Blob* b = static_cast<Blob*>(blob_);
  if (b == nullptr) throw std::logic_error("mutable_data() of an empty Tensor");
  if (b->refs.load(std::memory_order_acquire) != 1)
    throw std::logic_error("mutable_data() of a Tensor whose payload is shared (copy it first)");
  return b->data();
}

// ---- Record ----

Record& Record::set(std::string name, Value value) {
  for (auto& [n, v] : fields_)
    if (n == name) {
      v = std::move(value);
      return *this;
    }
  fields_.emplace_back(std::move(name), std::move(value));
  return *this;
}

const Value* Record::get(const std::string& name) const {
  for (const auto& [n, v] : fields_)
    if (n == name) return &v;
  return nullptr;
}

// ---- errors ----

void throw_if_failed(const RunResult& r) {
  if (r.ok || r.cancelled) return;
  if (r.invalid) throw InvalidPipeline(r.error, "");
  // A stage that could not be created: the CLI prints "FILE:LINE:COLUMN: error: ..." (and exits 1 when it
  // happens at run time, because the same check passes `validate` only when its inputs exist then).
  if (!r.error_at.empty()) throw InvalidPipeline(r.error_at + ": error: " + r.error, r.error_at);
  throw PipelineError(r.error, r.error_stage, r.error_plugin, r.error_record,
                      r.error_reason.empty() ? r.error : r.error_reason);
}

void add_plugin_dir(const std::string& dir) { engine::PluginHost::instance().add_search_dir(dir); }

// ---- Stream ----

struct Stream::State {
  const Pipeline* pipeline = nullptr;
  RunOptions options;
  std::shared_ptr<engine::CallerChannels> channels;
  std::thread thread;
  bool finished = false;
};

Stream::Stream(std::unique_ptr<State> state) : state_(std::move(state)) {}
Stream::Stream(Stream&&) noexcept = default;
Stream& Stream::operator=(Stream&& o) noexcept {
  if (this != &o) {
    if (state_ && state_->thread.joinable()) {
      state_->channels->cancel();
      state_->thread.join();
    }
    state_ = std::move(o.state_);
  }
  return *this;
}
Stream::~Stream() {
  if (state_ && state_->thread.joinable()) {
    state_->channels->cancel();
    state_->thread.join();
  }
}

bool Stream::has_input() const { return state_->channels->input_stage() >= 0; }
bool Stream::has_output() const { return state_->channels->output_stage() >= 0; }
uint32_t Stream::max_in_flight() const { return state_->channels->capacity(); }

bool Stream::push(Record record) {
  return state_->channels->push(record, true) == engine::CallerChannels::PushResult::kQueued;
}
bool Stream::try_push(Record& record) {
  return state_->channels->push(record, false) == engine::CallerChannels::PushResult::kQueued;
}
bool Stream::has_room() const { return state_->channels->has_room(); }
size_t Stream::room() const { return state_->channels->room(); }
size_t Stream::try_push_many(std::span<Record> records) { return state_->channels->push_many(records); }
std::vector<Record> Stream::try_pull_many(size_t max) { return state_->channels->pull_many(max); }
void Stream::close() { state_->channels->close(); }
std::optional<Record> Stream::pull() { return state_->channels->pull(true); }
std::optional<Record> Stream::try_pull() { return state_->channels->pull(false); }
bool Stream::done() const { return state_->channels->done(); }
Stream::Ready Stream::wait(bool want_input, std::chrono::milliseconds timeout) {
  return state_->channels->wait(want_input, timeout);
}
void Stream::cancel() { state_->channels->cancel(); }

RunResult Stream::finish() {
  if (!state_->finished) {
    state_->channels->close();
    // Output nobody will pull must not hold the sink: drain it here.
    if (has_output())
      while (true) {
        try {
          if (!state_->channels->pull(true)) break;
        } catch (const EngineError&) {
          break;
        }
      }
    state_->thread.join();
    state_->finished = true;
  }
  const RunResult& r = *state_->channels->result();
  throw_if_failed(r);
  return r;
}

Stream Pipeline::stream(RunOptions options) const {
  const uint32_t capacity = engine::effective_max_in_flight(*spec_, options.threads);
  auto channels = std::make_shared<engine::CallerChannels>(*spec_, capacity);
  if (channels->input_stage() < 0 && channels->output_stage() < 0)
    throw std::logic_error("pipeline '" + spec_->name +
                           "' has neither an embed.input nor an embed.output stage: run() it instead");
  auto state = std::make_unique<Stream::State>();
  state->pipeline = this;
  options.callers = channels;
  options.print_summary = false;  // the program has finish()'s result; stderr is not the stream's
  state->options = std::move(options);
  state->channels = channels;
  Stream::State* s = state.get();
  s->thread = std::thread([s] {
    RunResult r;
    try {
      r = s->pipeline->run(s->options);
    } catch (const std::exception& e) {
      r.ok = false;
      r.error = e.what();
    }
    s->channels->run_ended(std::move(r));
  });
  return Stream(std::move(state));
}

void Pipeline::check_stream_creation() const {
  RunOptions options;
  options.callers = std::make_shared<engine::CallerChannels>(*spec_, 1);
  check_creation(options);
}

Pipeline Pipeline::load_string(const std::string& toml, const std::vector<std::string>& overrides,
                               const std::string& base_dir, const std::string& display_name) {
  return Pipeline(std::make_unique<engine::PipelineSpec>(
      engine::load_pipeline_text(toml, display_name, base_dir, overrides)));
}

}  // namespace seqflow
