// io.discard: a sink that drops every record.
#pragma once

#include <seqflow/sdk.hpp>

namespace seqflow::io {

class Discard : public Sink<Discard> {
 public:
  static constexpr Info info{
      "discard",
      "Drops every record it receives and reads none of its fields: an end for a pipeline run only for its "
      "side effects or for timing. The run summary counts the records it consumed.",
      R"([[stage]]
name = "sink"
plugin = "io.discard"
)",
      SF_FLAG_THREAD_SAFE, 0};

  explicit Discard(CreateContext&) {}
  void process(Context&, Record&) {}
};

}  // namespace seqflow::io
