// Execution state shared by the layers: the oneDNN engine, a per-thread workspace (stream, scratch
// buffers, primitives built for the shapes seen so far) and the activation tensor layers pass on.
//
// Lifecycle: a Workspace is made by each thread that runs a model (a stage instance, a step session)
// and reused for every batch: buffers only grow, primitives are built once per shape. Model weights
// live in the (shared, immutable) layers; a Workspace keeps reordered copies only when a primitive
// asks for a weight format other than the one the layer prepared.
// Threading: a Workspace is used by one thread at a time. bind() sets the calling thread's OpenMP
// thread count (an OpenMP ICV is per thread) so that each worker runs oneDNN with `threads` threads,
// never the whole machine's cores on top of the engine's own workers.
// Errors: dnnl::error from oneDNN propagates; callers turn it into their own message.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace seqflow::onednn {

/// The process-wide CPU engine.
const dnnl::engine& cpu_engine();

/// Activations of a batch: NTC is [batch, time, channels], TNC is [time, batch, channels]; both
/// dense. Steps t >= len[b] are padding: each layer gets them as zeros (Model::run zeroes them after
/// every layer, whatever the layer left there), so that what reads them sees finite values that a
/// record run alone would not change: attention's masked keys (a zero weight times a NaN is NaN),
/// int8's batch scale, convolution past a record's end.
enum class Layout { kNTC, kTNC };

/// Step counts that share primitives: oneDNN fixes a primitive's shapes when it makes one, so a
/// small model's batch (Model::batch_steps) and each record's attention run `n` steps rounded up to a
/// multiple of kStepGrain, and one primitive serves kStepGrain lengths.
constexpr int64_t kStepGrain = 8;
inline int64_t round_steps(int64_t n) { return (n + kStepGrain - 1) / kStepGrain * kStepGrain; }

struct Act {
  Layout layout = Layout::kNTC;
  int64_t B = 0, T = 0, C = 0;
  std::vector<int64_t> len;
  float* data = nullptr;
  int slot = 0;  // the workspace buffer that holds `data`
  float* row(int64_t b, int64_t t) const {
    return data + (layout == Layout::kNTC ? (b * T + t) : (t * B + b)) * C;
  }
  int64_t rows() const { return B * T; }
  bool all_full() const {
    for (int64_t l : len)
      if (l != T) return false;
    return true;
  }
  void zero_padding() const {
    for (int64_t b = 0; b < B; ++b)
      if (layout == Layout::kNTC && len[b] < T)
        std::memset(row(b, len[b]), 0, static_cast<size_t>((T - len[b]) * C) * sizeof(float));
      else
        for (int64_t t = len[b]; t < T; ++t)
          std::memset(row(b, t), 0, static_cast<size_t>(C) * sizeof(float));
  }
};

/// 64-byte aligned, grow-only float storage.
class Buffer {
 public:
  float* ensure(size_t floats);
  float* data() const { return data_.get(); }

 private:
  struct Free {
    void operator()(float* p) const;
  };
  std::unique_ptr<float, Free> data_;
  size_t cap_ = 0;
};

/// Buffer slots: activations alternate between kActA and kActB; layers use kTmp0.. for temporaries
/// and the decoder memory stays in kMemory for the whole batch.
enum BufferSlot : int {
  kActA = 0,
  kActB = 1,
  kTmp0 = 2,
  kTmp1,
  kTmp2,
  kTmp3,
  kTmp4,
  kTmp5,
  kMemory,
  kMemTmp,
  kKeep0,  // two per residual depth: a block's input, and its body's output while the shortcut runs
  kNumSlots = kKeep0 + 8
};

class Workspace {
 public:
  explicit Workspace(int threads = 1);
  ~Workspace();
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;

  int threads() const { return threads_; }
  /// Sets the calling thread's OpenMP thread count to threads().
  void bind() const;
  dnnl::stream& stream() { return stream_; }

  float* buf(int slot, size_t floats) { return bufs_[slot].ensure(floats); }
  /// A one-thread workspace owned by this one (i is 0 or 1), made on first use: for a layer that
  /// splits its own work across this workspace's threads, each part on its own workspace.
  Workspace& sub(int i);
  /// A new activation of `C` channels in the slot `x` does not use (kActA/kActB alternate).
  Act next(const Act& x, int64_t C, Layout layout);
  /// Converts `x` to `layout` (a transposing copy when it differs).
  void to_layout(Act& x, Layout layout);

  /// A primitive built for `key` on first use, with its scratchpad size.
  struct Prim {
    dnnl::primitive prim;
    dnnl::memory::desc weights;  // as the primitive wants them (empty when unused)
    dnnl::memory::desc weights2;
    dnnl::memory::desc weights3;
    dnnl::memory::desc bias;
    dnnl::memory::desc src, dst;  // where the primitive chose its activations' layout (conv2d)
    size_t scratch = 0;
    std::unordered_map<int, dnnl::memory> args;  // run()'s, kept between calls
  };
  Prim* find(const std::string& key);
  Prim& put(const std::string& key, Prim p);
  /// An argument of run(): a memory object, or a view of `data` as `desc`.
  struct Arg {
    int id;
    const dnnl::memory::desc* desc;
    const void* data;
    dnnl::memory object;
    Arg(int i, const dnnl::memory::desc& d, const void* p) : id(i), desc(&d), data(p) {}
    Arg(int i, dnnl::memory m) : id(i), desc(nullptr), data(nullptr), object(std::move(m)) {}
  };
  /// Executes `p` on `args` and its scratchpad. A view's memory object is made on p's first call and
  /// re-pointed on later ones: making one costs allocations that the calls of small layers (a few
  /// microseconds each) noticed. A view's desc must be the same at every call of `p`.
  void run(Prim& p, std::initializer_list<Arg> args);
  /// User-mode scratchpad memory of at least `bytes`.
  dnnl::memory scratchpad(size_t bytes);
  /// `prepared` itself when it already has `want`'s format, else a copy reordered to it (kept).
  dnnl::memory weights_as(const dnnl::memory& prepared, const dnnl::memory::desc& want);

 private:
  int threads_;
  dnnl::stream stream_;
  Buffer bufs_[kNumSlots];
  Buffer scratch_;
  std::unordered_map<std::string, Prim> prims_;
  struct Reordered {
    dnnl::memory source;  // held, so that no other weights can take its address while cached
    dnnl::memory::desc desc;
    dnnl::memory mem;
  };
  std::vector<Reordered> reordered_;
  std::unique_ptr<Workspace> subs_[2];
};

/// A primitive cache key: "kind:owner:v0:v1:...".
std::string prim_key(const char* kind, uint64_t owner, std::initializer_list<int64_t> values);

/// A process-unique id for the owner of cached primitives (0: none). A key by address would hand a
/// new layer the primitives of a destroyed one that had the same address (a model rebuilt on a
/// long-lived Workspace: wrong shapes or int8 scales, found by rnn_kernel_test).
uint64_t new_owner_id();

/// A memory object over user data.
inline dnnl::memory mem(const dnnl::memory::desc& d, const void* p) {
  return dnnl::memory(d, cpu_engine(), const_cast<void*>(p));
}
/// Attributes every layer uses: user-managed scratchpad (workspaces run concurrently).
dnnl::primitive_attr base_attr();

}  // namespace seqflow::onednn
