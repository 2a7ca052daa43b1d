// ByteBudget: [pipeline] max_in_flight_bytes, a bound on the payload bytes of the records alive at once,
// next to max_in_flight's bound on their number, so that 50-base reads can queue deep while 5-megabase
// genomes or hour-long recordings cannot exhaust memory.
//
// How: the source measures each record's payload (strings, bytes, tensors, as read) and stops filling a
// chunk at budget / chunks bytes (one record at least). Of the limiter's credits, only `min_chunks` are
// free at the start; the others are withheld and handed out as the chunks seen say they fit: the chunks
// in flight plus as many more of the last chunk's size as the bytes left under the budget hold. A
// released chunk's credit is withheld again while they do not fit, so the source waits, without
// blocking a thread, until enough has drained. The `min_chunks` credits always circulate (and a
// batching stage flushes a group after min_chunks/batchers chunks), so the graph can always make
// progress: the peak is the budget plus at most min_chunks chunks of records larger than their share.
// Threading: admit() from the source's serial node, release() from any sink thread (a mutex).
#pragma once

#include "record.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>

namespace seqflow::engine {

class ByteBudget {
 public:
  /// `budget` 0 disables it. `max_chunks`: the limiter's credits; `min_chunks`: credits never withheld.
  void init(uint64_t budget, size_t max_chunks, size_t min_chunks);
  bool enabled() const { return budget_ > 0; }
  uint64_t budget() const { return budget_; }
  /// The payload bytes of one record.
  static uint64_t record_bytes(const sf_record* r);
  /// Bytes after which the source closes a chunk.
  uint64_t chunk_target() const { return chunk_target_; }
  /// Credits the limiter must count as taken before the run starts.
  size_t initial_withheld() const { return max_withheld_; }
  /// A chunk holding `bytes` leaves the source: the withheld credits to hand back now.
  size_t admit(uint64_t bytes);
  /// A chunk holding `bytes` was released: the limiter credits to return now.
  size_t release(uint64_t bytes);
  uint64_t peak() const { return peak_.load(std::memory_order_relaxed); }

 private:
  size_t wanted_withheld() const;  // under mu_

  uint64_t budget_ = 0;
  uint64_t chunk_target_ = 0;
  size_t max_chunks_ = 0;
  size_t min_chunks_ = 0;
  size_t max_withheld_ = 0;
  std::mutex mu_;
  uint64_t live_ = 0;        // guarded by mu_, as are the three below
  uint64_t last_chunk_ = 0;  // bytes of the last chunk admitted: the estimate of the next one's
  size_t in_flight_ = 0;     // chunks admitted and not released
  size_t withheld_ = 0;
  std::atomic<uint64_t> peak_{0};
};

}  // namespace seqflow::engine
