// A StepModel over the seqflow.onednn.step C interface.
//
// Lifecycle: one session at a time, from begin() to end() (the destructor ends an open one).
// Threading: used by one thread (the stage instance's). Ownership: borrows the resource's model and
// vtable; owns its session. Errors: a failed call throws seqflow::Error with the interface's message.
#pragma once

#include "decode/generate.hpp"

#include <seqflow/onednn_step.h>
#include <seqflow/sdk.hpp>

namespace seqflow::decode {

class OnednnStepModel : public StepModel {
 public:
  OnednnStepModel(const void* model, const sf_onednn_step_v1* vtable, int64_t vocab, uint32_t threads)
      : model_(model), v_(vtable), vocab_(vocab), threads_(threads) {}
  ~OnednnStepModel() override { end(); }
  int64_t vocab() const override { return vocab_; }
  void begin(uint32_t rows, const std::vector<sf_tensor_view>& memory) override {
    end();
    rows_ = rows;
    check(v_->begin(model_, rows, memory.empty() ? nullptr : memory.data(), threads_, &session_, &err_));
  }
  void step(const std::vector<int64_t>& tokens, std::vector<float>& logits) override {
    logits.resize(tokens.size() * static_cast<size_t>(vocab_));
    check(v_->step(session_, tokens.data(), nullptr, logits.data(), &err_));
  }
  void reorder(const std::vector<uint32_t>& rows) override {
    check(v_->reorder(session_, rows.data(), static_cast<uint32_t>(rows.size()), &err_));
  }
  void end() override {
    if (session_ != nullptr) v_->end(session_);
    session_ = nullptr;
  }

 private:
  void check(sf_status s) {
    if (s != SF_OK) throw Error(std::string("the model's step interface failed: ") + err_.message, s);
  }
  const void* model_;
  const sf_onednn_step_v1* v_;
  int64_t vocab_;
  uint32_t threads_;
  uint32_t rows_ = 0;
  sf_onednn_session* session_ = nullptr;
  sf_error err_{sizeof(sf_error), {}};
};

}  // namespace seqflow::decode
