#include "byte_budget.hpp"

#include <algorithm>

namespace seqflow::engine {

void ByteBudget::init(uint64_t budget, size_t max_chunks, size_t min_chunks) {
  budget_ = budget;
  chunk_target_ = std::max<uint64_t>(1, budget / std::max<size_t>(1, max_chunks));
  max_withheld_ = max_chunks > min_chunks ? max_chunks - min_chunks : 0;
}

uint64_t ByteBudget::record_bytes(const sf_record* r) {
  uint64_t n = 0;
  for (const FieldValue& f : r->fields) {
    if (f.type == SF_FIELD_STRING || f.type == SF_FIELD_BYTES) n += static_cast<uint64_t>(f.i);
    else if (f.type == SF_FIELD_TENSOR && f.blob != nullptr) n += f.blob->nbytes;
  }
  return n;
}

void ByteBudget::admit(uint64_t bytes) {
  std::lock_guard lock(mu_);
  live_ += bytes;
  if (live_ > peak_.load(std::memory_order_relaxed)) peak_.store(live_, std::memory_order_relaxed);
}

size_t ByteBudget::release(uint64_t bytes) {
  std::lock_guard lock(mu_);
  live_ -= std::min(live_, bytes);
  if (live_ > budget_ && withheld_ < max_withheld_) {
    ++withheld_;
    return 0;
  }
  const size_t n = 1 + (live_ <= budget_ ? withheld_ : 0);
  if (live_ <= budget_) withheld_ = 0;
  return n;
}

}  // namespace seqflow::engine
