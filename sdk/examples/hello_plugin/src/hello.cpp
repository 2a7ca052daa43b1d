// The "hello" module: a minimal third-party seqflow plugin written against the C++ SDK.
//
//   hello.upper       transform: ASCII upper-cases a string field (in place by default).
//   hello.min_length  filter: drops records whose string field is shorter than `min` bytes.
//
// Both keep nothing but field slots and a number, so one instance may serve every worker
// (SF_FLAG_THREAD_SAFE). A bad parameter throws seqflow::Error from the constructor; the SDK turns it
// into a create failure that the engine reports with the stage name.
#include <seqflow/sdk.hpp>

#include <string>

namespace {

class Upper : public seqflow::Transform<Upper> {
 public:
  static constexpr seqflow::Info info{
      "upper", "Upper-cases the ASCII letters of a string field; other bytes are copied unchanged.",
      "[[stage]]\nname = \"shout\"\nplugin = \"hello.upper\"\ninput = \"text\"\noutput = \"text\"\n",
      SF_FLAG_THREAD_SAFE};
  static constexpr sf_param_decl params[] = {
      seqflow::Param::field("input", "\"text\"", "String field to read."),
      seqflow::Param::field("output", "\"text\"", "String field to write; may equal `input`."),
  };
  static constexpr sf_field_decl fields[] = {
      seqflow::Field::reads("input", "text", SF_FIELD_STRING, SF_DTYPE_ANY, "text to upper-case"),
      seqflow::Field::writes("output", "text", SF_FIELD_STRING, SF_DTYPE_ANY, "the upper-cased text"),
  };

  explicit Upper(seqflow::CreateContext& ctx)
      : input_(ctx.field_param("input")), output_(ctx.field_param("output")) {}

  void process(seqflow::Context&, seqflow::Record& record) {
    std::string text(record.string(input_));
    for (char& c : text) {
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    record.set_string(output_, text);
  }

 private:
  seqflow::Slot input_;
  seqflow::Slot output_;
};

class MinLength : public seqflow::Transform<MinLength> {
 public:
  static constexpr seqflow::Info info{
      "min_length", "Drops records whose string field is shorter than `min` bytes; the rest pass unchanged.",
      "[[stage]]\nname = \"long_enough\"\nplugin = \"hello.min_length\"\ninput = \"text\"\nmin = 3\n",
      SF_FLAG_THREAD_SAFE | SF_FLAG_FILTERS};
  static constexpr sf_param_decl params[] = {
      seqflow::Param::field("input", "\"text\"", "String field whose length is tested."),
      seqflow::Param::integer("min", "1", "Shortest length kept, in bytes; 0 keeps every record."),
  };
  static constexpr sf_field_decl fields[] = {
      seqflow::Field::reads("input", "text", SF_FIELD_STRING, SF_DTYPE_ANY, "text whose length is tested"),
  };

  explicit MinLength(seqflow::CreateContext& ctx) : input_(ctx.field_param("input")) {
    const int64_t min = ctx.param("min").as_int();
    if (min < 0) {
      throw seqflow::Error("stage '" + ctx.stage_name() + "': min = " + std::to_string(min) +
                           " is negative; set min to 0 or more");
    }
    min_ = static_cast<size_t>(min);
  }

  void process(seqflow::Context& ctx, seqflow::Record& record) {
    if (record.string(input_).size() < min_) ctx.drop(record);
  }

 private:
  seqflow::Slot input_;
  size_t min_ = 0;
};

}  // namespace

// Aliases, not the template-ids themselves: a macro argument must not contain a bare comma.
using Components = seqflow::ComponentList<Upper, MinLength>;
using Resources = seqflow::ResourceList<>;
SEQFLOW_MODULE("hello", "0.1.0", "Example third-party module: upper-casing and a length filter.", Components,
               Resources)
