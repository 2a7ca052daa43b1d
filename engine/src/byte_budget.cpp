#include "byte_budget.hpp"

#include <algorithm>

namespace seqflow::engine {

void ByteBudget::init(uint64_t budget, size_t max_chunks, size_t min_chunks) {
  budget_ = budget;
  max_chunks_ = std::max<size_t>(1, max_chunks);
  min_chunks_ = std::clamp<size_t>(min_chunks, 1, max_chunks_);
  chunk_target_ = std::max<uint64_t>(1, budget / max_chunks_);
  max_withheld_ = budget > 0 ? max_chunks_ - min_chunks_ : 0;
  withheld_ = max_withheld_;
}

uint64_t ByteBudget::record_bytes(const sf_record* r) {
  uint64_t n = 0;
  for (const FieldValue& f : r->fields) {
    if (f.type == SF_FIELD_STRING || f.type == SF_FIELD_BYTES) n += static_cast<uint64_t>(f.i);
    else if (f.type == SF_FIELD_TENSOR && f.blob != nullptr) n += f.blob->nbytes;
  }
  return n;
}

size_t ByteBudget::wanted_withheld() const {
  if (live_ >= budget_) return max_withheld_;
  // Before the first chunk nothing says how large chunks are: only the free credits circulate.
  if (last_chunk_ == 0) return max_withheld_;
  const uint64_t more = (budget_ - live_) / last_chunk_;
  const uint64_t fit = std::min<uint64_t>(max_chunks_, in_flight_ + more);
  const size_t credits = std::max<size_t>(min_chunks_, static_cast<size_t>(fit));
  return max_chunks_ - credits;
}

size_t ByteBudget::admit(uint64_t bytes) {
  std::lock_guard lock(mu_);
  live_ += bytes;
  last_chunk_ = std::max<uint64_t>(1, bytes);
  ++in_flight_;
  if (live_ > peak_.load(std::memory_order_relaxed)) peak_.store(live_, std::memory_order_relaxed);
  const size_t want = wanted_withheld();
  if (withheld_ <= want) return 0;
  const size_t give = withheld_ - want;
  withheld_ = want;
  return give;
}

size_t ByteBudget::release(uint64_t bytes) {
  std::lock_guard lock(mu_);
  live_ -= std::min(live_, bytes);
  in_flight_ -= std::min<size_t>(in_flight_, 1);
  const size_t want = wanted_withheld();
  if (withheld_ < want) {
    ++withheld_;
    return 0;
  }
  const size_t give = 1 + (withheld_ - want);
  withheld_ = want;
  return give;
}

}  // namespace seqflow::engine
