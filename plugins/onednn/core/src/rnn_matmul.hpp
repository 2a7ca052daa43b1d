// The matmul kernel of the recurrent layers: one direction of one LSTM, GRU or Elman RNN layer run as
// oneDNN matrix products instead of oneDNN's RNN primitive.
//
// Why: Debian's oneDNN 2.6 runs its f32 RNN primitive at batch sizes below 32 on a reference driver
// with plain weights (about 97 GFLOP/s on one core here), while a matmul with pre-packed weights runs
// the same per-step product at 130-165 GFLOP/s where the weights fit L2 (bench/onednn/onednn_limits).
// So the input projection of a block of time steps is one large inner product, and each step adds
// h_{t-1} W_hh^T to it in a matmul whose post-ops apply the gates' sigmoid; the rest of the cell is a
// short loop and a oneDNN tanh.
//
// Lifecycle: built once per (layer, direction) from PyTorch's weights, then immutable and shared;
// per-call buffers and primitives live in the Workspace. Threading: run() may be called concurrently
// with distinct Workspaces. Errors: dnnl::error propagates.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <vector>

#include "onednn/layers.hpp"

namespace seqflow::onednn {

enum class RnnCell { kLstm, kGru, kRnnTanh, kRnnRelu };

/// Thrown by a pipelined layer when the layer below it failed (whose own error is the one to report).
struct PipeFailed : std::exception {};

class MatmulDirection {
 public:
  /// PyTorch's tensors for this direction: weight_ih [G*H, in], weight_hh [G*H, H], biases [G*H] (zeros
  /// when the layer has none), gates in PyTorch's order (LSTM i, f, g, o; GRU r, z, n).
  /// `int8`: the input projection and the step product run on int8 (not for kRnnRelu, whose h is
  /// unbounded); the cell's element-wise math stays f32.
  MatmulDirection(RnnCell cell, int64_t in, int64_t H, const std::vector<float>& wih,
                  const std::vector<float>& whh, const std::vector<float>& bih, const std::vector<float>& bhh,
                  bool int8 = false);

  /// Runs over `x` (TNC, steps past each record's length zeroed) and writes h_t of record b to
  /// y + (t * B + b) * ld_y. `reverse` runs right to left, each record starting from a zero state at
  /// its own last step, so that padding never reaches a real step.
  void run(Workspace& ws, const Act& x, float* y, int64_t ld_y, bool reverse) const {
    run(ws, x, y, ld_y, reverse, nullptr);
  }

  /// Layers of a unidirectional stack running side by side on threads, each a block of steps behind
  /// the layer below: a layer reads steps of x only once `ready` says the layer below wrote them, and
  /// publishes its own progress in `done`. `failed` (set by whichever layer throws) ends the waits.
  /// Layers on oneDNN's RNN primitive use the same pipe.
  struct Pipe {
    const std::atomic<int64_t>* ready;  // steps of x written (null: all)
    std::atomic<int64_t>* done;         // steps of y written
    std::atomic<bool>* failed;
    /// Returns once `ready` covers `steps`; throws PipeFailed if another layer failed meanwhile.
    void wait(int64_t steps) const;
  };
  /// Forward direction only; needs pipeline_blocks().
  void run(Workspace& ws, const Act& x, float* y, int64_t ld_y, const Pipe& pipe) const {
    run(ws, x, y, ld_y, false, &pipe);
  }
  /// Projects the input in blocks of about 16k gate values (at least 8 steps) rather than 1M, so that
  /// a pipelined layer above can start early; set for every run of a layer that may be pipelined,
  /// since the blocks decide int8's dynamic scales and the outputs must not depend on the threads.
  /// A run without a Pipe still projects up to 1M gate values (several blocks) before stepping.
  void pipeline_blocks() { pipeline_blocks_ = true; }

 private:
  void run(Workspace& ws, const Act& x, float* y, int64_t ld_y, bool reverse, const Pipe* pipe) const;
  dnnl::matmul::primitive_desc step_pd(int64_t B) const;
  Workspace::Prim step_prim(Workspace& ws, int64_t B) const;
  static Workspace::Prim eltwise_prim(Workspace& ws, dnnl::algorithm alg, int64_t n);

  RnnCell cell_;
  int64_t G_, H_;
  bool int8_;
  bool pipeline_blocks_ = false;
  uint64_t owner_ = new_owner_id();  // its primitives' cache key
  Dense in_;               // x W_ih^T + b for every step of a block (LSTM's g columns scaled by 2, see .cpp)
  dnnl::memory wh_;        // W_hh^T [H, N], packed (LSTM's g columns scaled by 2); int8: s8
  dnnl::memory wh_plain_;  // int8: W_hh^T quantized, plain
  std::vector<float> out_scales_;  // int8: per output channel, 1 / (127 * weight scale)
  std::vector<float> b_hn_;        // GRU: b_hn, added inside r * (W_hn h + b_hn)
};

}  // namespace seqflow::onednn
