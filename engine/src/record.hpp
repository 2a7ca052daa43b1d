// Engine-side record storage: what the opaque ABI types sf_record and sf_context are.
//
// A record is a fixed array of field slots (one per field name in the pipeline, resolved when the
// graph is built). String, bytes and tensor payloads live in reference-counted, 64-byte aligned blobs,
// so copying a record (fan-out, split) copies pointers, not data.
// Threading: a record is touched by one stage call at a time; blob reference counts are atomic.
// Ownership: records belong to the chunk that carries them; the sink stage deletes them.
#pragma once

#include <seqflow/plugin_abi.h>

#include <oneapi/tbb/scalable_allocator.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <utility>
#include <vector>

namespace seqflow::engine {

/// Reference-counted payload; data() is 64-byte aligned (SIMD and oneDNN friendly).
struct Blob {
  static constexpr size_t kHeader = 128;
  std::atomic<int32_t> refs{1};
  size_t nbytes = 0;
  size_t capacity = 0;
  sf_dtype dtype = SF_DTYPE_U8;
  uint32_t ndim = 0;
  int64_t shape[SF_MAX_DIMS] = {};

  char* data() { return reinterpret_cast<char*>(this) + kHeader; }
  static Blob* make(size_t nbytes) {
    size_t total = (kHeader + nbytes + 63) / 64 * 64;
    // tbbmalloc: records are allocated by one worker and freed by another (glibc malloc serialises that).
    void* p = scalable_aligned_malloc(total, 64);
    if (p == nullptr) throw std::bad_alloc();
    Blob* b = new (p) Blob();
    b->nbytes = nbytes;
    b->capacity = total - kHeader;
    return b;
  }
  static void retain(Blob* b) {
    if (b != nullptr) b->refs.fetch_add(1, std::memory_order_relaxed);
  }
  static void release(Blob* b) {
    if (b != nullptr && b->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      b->~Blob();
      scalable_aligned_free(b);
    }
  }
};
static_assert(sizeof(Blob) <= Blob::kHeader);

// A field slot. An absent field (type SF_FIELD_ANY) may still hold a spare blob that only it owns:
// recycled records keep their payload buffers so that the next record written into them allocates
// nothing (see host_api.cpp set_blob). A string's length and a spare's capacity live here, not in the
// blob's header, so that writing a recycled record and reading a string touch only the slot and the
// bytes: with two threads the blob header would otherwise be one more cache line moved between cores.
struct FieldValue {
  sf_field_type type = SF_FIELD_ANY;  // SF_FIELD_ANY: absent
  uint32_t room = 0;                  // absent with a spare blob: its capacity (capped), else 0
  int64_t i = 0;                      // SF_FIELD_INT: the value; SF_FIELD_STRING/BYTES: the byte count
  double f = 0;
  Blob* blob = nullptr;

  FieldValue() = default;
  FieldValue(const FieldValue& o)
      : type(o.type), i(o.i), f(o.f), blob(o.type == SF_FIELD_ANY ? nullptr : o.blob) {
    Blob::retain(blob);
  }
  FieldValue& operator=(const FieldValue& o) {
    if (this != &o) {
      Blob* keep = o.type == SF_FIELD_ANY ? nullptr : o.blob;
      Blob::retain(keep);
      Blob::release(blob);
      type = o.type;
      room = 0;
      i = o.i;
      f = o.f;
      blob = keep;
    }
    return *this;
  }
  /// Absent again, keeping the blob as a spare when no other record shares it.
  void recycle() {
    if (type != SF_FIELD_ANY && blob != nullptr) {
      if (blob->refs.load(std::memory_order_acquire) == 1) {
        room = static_cast<uint32_t>(std::min<size_t>(blob->capacity, UINT32_MAX));
      } else {
        Blob::release(blob);
        blob = nullptr;
        room = 0;
      }
    }
    type = SF_FIELD_ANY;
  }
  ~FieldValue() { Blob::release(blob); }
  void reset() {
    Blob::release(blob);
    blob = nullptr;
    room = 0;
    type = SF_FIELD_ANY;
  }
};

enum class RecordState : uint8_t { kAlive, kDropped, kFailed };

}  // namespace seqflow::engine

struct sf_record {
  explicit sf_record(size_t slots) : fields(slots) {}
  static void* operator new(size_t n) { return scalable_malloc(n); }
  static void operator delete(void* p) { scalable_free(p); }
  std::vector<seqflow::engine::FieldValue, tbb::scalable_allocator<seqflow::engine::FieldValue>> fields;
  uint64_t order = 0;  // position of the source record it descends from (error log ordering)
  seqflow::engine::RecordState state = seqflow::engine::RecordState::kAlive;
};
