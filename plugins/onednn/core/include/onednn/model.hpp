// Model: a list of PyTorch-compatible layers applied in order to a batch of sequences, on oneDNN.
//
// What it is: built once from layer configurations and a safetensors file (every expected parameter
// checked for presence and shape), then run on batches of variable-length sequences (each record's
// output equals running it alone) or one step at a time for autoregressive decoding (StepSession).
// Inputs are [T, F] f32 features, or [T] token ids when the first layer is an embedding; outputs are
// [T', C] f32 (T' = T unless a convolution changes the length).
// Lifecycle: Model is immutable after build() and shared; each thread uses its own Workspace, which
// keeps buffers and primitives between calls. A StepSession holds one decoding batch's state.
// Threading: run() and StepSession methods may be called concurrently with distinct Workspaces /
// sessions. Each call binds the calling thread's OpenMP thread count to the workspace's.
// Errors: WeightsError at build (layer, parameter, shapes); std::runtime_error at run time naming the
// record index and what is wrong (wrong feature size, token out of range, too short for a kernel).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "onednn/exec.hpp"
#include "onednn/layer_config.hpp"
#include "onednn/layers.hpp"
#include "onednn/safetensors.hpp"

namespace seqflow::onednn {

/// One input sequence: features [length, dim] row-major, or token ids [length].
struct SeqInput {
  const float* features = nullptr;
  const int32_t* tokens32 = nullptr;
  const int64_t* tokens64 = nullptr;
  int64_t length = 0;
  int64_t dim = 0;  // features per step (features only)
};

/// The outputs of one run(): valid until the workspace runs again.
class BatchOutput {
 public:
  int64_t dim() const { return act_.C; }
  size_t size() const { return lengths_.size(); }
  int64_t length(size_t i) const { return lengths_[i]; }
  /// Copies record i's [length(i), dim()] rows to `dst`.
  void copy(size_t i, float* dst) const;

 private:
  friend class Model;
  Act act_;
  std::vector<int64_t> lengths_;
  std::vector<int64_t> index_;  // record -> batch row (-1: empty record)
};

class StepSession;

class Model {
 public:
  static std::shared_ptr<const Model> build(const std::vector<LayerConfig>& layers,
                                            const SafetensorsFile& weights, const ModelOptions& options = {});
  ~Model();

  bool takes_tokens() const;
  /// Features per input step (0 for token models, or when no layer fixes it).
  int64_t input_dim() const { return input_dim_; }
  /// Features per output step (-1: same as the input's).
  int64_t output_dim() const { return output_dim_; }
  bool needs_memory() const { return memory_dim_ > 0; }
  int64_t memory_dim() const { return memory_dim_; }
  /// Output length for an input of `length` steps.
  int64_t output_length(int64_t length) const;
  /// "" when the model can run one step at a time, else the reason.
  const std::string& step_unsupported() const { return step_unsupported_; }
  /// "" when `in` (and `memory`, for models with decoder layers) can run, else why not; run() checks
  /// the same and throws, so a caller that wants per-record errors checks first.
  std::string check(const SeqInput& in, const SeqInput* memory) const;
  /// One line per layer.
  std::string summary() const;

  /// Runs a batch; `memory` is empty or holds one [Tm, memory_dim] sequence per input.
  /// `names` (optional) label records in error messages.
  BatchOutput run(Workspace& ws, std::span<const SeqInput> inputs, std::span<const SeqInput> memory = {},
                  std::span<const std::string> names = {}) const;

  /// Starts autoregressive decoding of `batch` rows (memory: one sequence per row, or empty).
  std::unique_ptr<StepSession> begin(int threads, int64_t batch, std::span<const SeqInput> memory = {}) const;

 private:
  friend class StepSession;
  Model() = default;
  /// The batch of `in`'s records `rows` at `slot`, `steps` long or as long as its longest record.
  Act gather(Workspace& ws, std::span<const SeqInput> in, const std::vector<size_t>& rows, int slot,
             int64_t dim, bool tokens, std::span<const std::string> names, const char* what,
             int64_t steps = 0) const;
  /// The steps of a batch of `in`'s records `rows`: its longest record's, rounded up by round_steps()
  /// for a small model. oneDNN fixes the shapes of a primitive when it makes one (0.05-0.2
  /// ms each here), and the engine's length grouping gives nearly every batch another longest record:
  /// on a small model that making cost more than the batch's own work (bench/onednn/README.md,
  /// --new-lengths). A padded batch is what any batch of unequal records is to the layers, so its
  /// records' outputs are theirs alone; where a batch's work is over kPadBelowFlops the making is
  /// small beside it, and the padding is left out.
  int64_t batch_steps(std::span<const SeqInput> in, const std::vector<size_t>& rows) const;
  static constexpr double kPadBelowFlops = 4e9;

  std::vector<std::unique_ptr<Layer>> layers_;
  int64_t input_dim_ = 0, output_dim_ = -1, memory_dim_ = 0;
  int64_t weight_floats_ = 0;  // parameter values read at build
  std::string step_unsupported_;
};

/// Autoregressive decoding state: per-layer caches for `batch()` rows.
class StepSession {
 public:
  ~StepSession();
  int64_t batch() const { return batch_; }
  int64_t position() const { return pos_; }
  /// One step: `tokens` [batch] (token models) or `features` [batch, input_dim]; writes [batch, out_dim].
  void step_tokens(const int64_t* tokens, float* out);
  void step_features(const float* features, float* out);
  /// Row i continues old row rows[i] (beam search); rows.size() becomes the new batch size.
  void reorder(std::span<const uint32_t> rows);

 private:
  friend class Model;
  StepSession(const Model& m, int threads) : model_(m), ws_(threads) {}
  void run(Act& x, float* out);

  const Model& model_;
  Workspace ws_;
  int64_t batch_ = 0, pos_ = 0;
  std::vector<std::unique_ptr<LayerState>> states_;
};

}  // namespace seqflow::onednn
