#include "onednn/exec.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>

namespace seqflow::onednn {

const dnnl::engine& cpu_engine() {
  static const dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

dnnl::primitive_attr base_attr() {
  dnnl::primitive_attr a;
  a.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return a;
}

uint64_t new_owner_id() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

std::string prim_key(const char* kind, uint64_t owner, std::initializer_list<int64_t> values) {
  std::string k(kind);
  k += ':';
  k += std::to_string(owner);
  for (int64_t v : values) {
    k += ':';
    k += std::to_string(v);
  }
  return k;
}

void Buffer::Free::operator()(float* p) const { std::free(p); }

float* Buffer::ensure(size_t floats) {
  if (floats <= cap_ && data_) return data_.get();
  size_t want = std::max<size_t>(floats + floats / 4, 16);
  size_t bytes = (want * sizeof(float) + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, bytes);
  if (p == nullptr) throw std::bad_alloc();
  data_.reset(static_cast<float*>(p));
  cap_ = bytes / sizeof(float);
  return data_.get();
}

// Capped at OMP_THREAD_LIMIT: oneDNN splits some work for the thread count it was made with, and a
// team smaller than that count would skip the rest of the work.
Workspace::Workspace(int threads) : threads_(std::clamp(threads, 1, std::max(1, omp_get_thread_limit()))) {
  bind();
  stream_ = dnnl::stream(cpu_engine());
}

Workspace::~Workspace() = default;

void Workspace::bind() const {
  omp_set_dynamic(0);  // teams of exactly threads_ (OMP_DYNAMIC could shrink them, as above)
  omp_set_num_threads(threads_);
}

Workspace& Workspace::sub(int i) {
  if (!subs_[i]) {
    subs_[i] = std::make_unique<Workspace>(1);
    bind();  // the sub-workspace's constructor bound the calling thread to one thread
  }
  return *subs_[i];
}

Act Workspace::next(const Act& x, int64_t C, Layout layout) {
  Act y;
  y.layout = layout;
  y.B = x.B;
  y.T = x.T;
  y.C = C;
  y.len = x.len;
  y.slot = x.slot == kActA ? kActB : kActA;
  y.data = buf(y.slot, static_cast<size_t>(y.B * y.T * C));
  return y;
}

void Workspace::to_layout(Act& x, Layout layout) {
  if (x.layout == layout) return;
  Act y = next(x, x.C, layout);
  const size_t row_bytes = static_cast<size_t>(x.C) * sizeof(float);
#pragma omp parallel for collapse(2) if (x.B * x.T * x.C > 65536)
  for (int64_t b = 0; b < x.B; ++b)
    for (int64_t t = 0; t < x.T; ++t) std::memcpy(y.row(b, t), x.row(b, t), row_bytes);
  x = std::move(y);
}

Workspace::Prim* Workspace::find(const std::string& key) {
  auto it = prims_.find(key);
  return it == prims_.end() ? nullptr : &it->second;
}

Workspace::Prim& Workspace::put(const std::string& key, Prim p) {
  // Length grouping makes many shapes; a bounded cache keeps a long run's memory flat (oneDNN's own
  // primitive cache still makes rebuilding cheap).
  if (prims_.size() >= 512) prims_.clear();
  return prims_[key] = std::move(p);
}

void Workspace::run(Prim& p, std::initializer_list<Arg> args) {
  for (const Arg& a : args) {
    if (a.desc == nullptr) {
      p.args[a.id] = a.object;
      continue;
    }
    auto it = p.args.find(a.id);
    if (it == p.args.end()) p.args.emplace(a.id, mem(*a.desc, a.data));
    else it->second.set_data_handle(const_cast<void*>(a.data));
  }
  float* scratch = scratch_.ensure(p.scratch / sizeof(float) + 1);
  auto it = p.args.find(DNNL_ARG_SCRATCHPAD);
  if (it == p.args.end())
    p.args.emplace(
        DNNL_ARG_SCRATCHPAD,
        mem({{static_cast<int64_t>(p.scratch)}, dnnl::memory::data_type::u8, dnnl::memory::format_tag::a},
            scratch));
  else it->second.set_data_handle(scratch);
  p.prim.execute(stream_, p.args);
}

dnnl::memory Workspace::scratchpad(size_t bytes) {
  float* p = scratch_.ensure(bytes / sizeof(float) + 1);
  return dnnl::memory(
      {{static_cast<int64_t>(bytes)}, dnnl::memory::data_type::u8, dnnl::memory::format_tag::a}, cpu_engine(),
      p);
}

dnnl::memory Workspace::weights_as(const dnnl::memory& prepared, const dnnl::memory::desc& want) {
  if (prepared.get_desc() == want) return prepared;
  for (const Reordered& r : reordered_)
    if (r.source.get() == prepared.get() && r.desc == want) return r.mem;
  dnnl::memory m(want, cpu_engine());
  dnnl::reorder(prepared, m).execute(stream_, const_cast<dnnl::memory&>(prepared), m);
  stream_.wait();
  reordered_.push_back({prepared, want, m});
  return m;
}

}  // namespace seqflow::onednn
