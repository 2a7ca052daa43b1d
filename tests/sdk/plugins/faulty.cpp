// seqflow_faulty: components that fail on purpose, written with the SDK like any plugin, to check that
// every kind of failure reaches the engine as an error (never a crash) and follows on_error.
//
//   faulty.ctor_throws  its constructor throws std::runtime_error: the stage cannot be created.
//   faulty.boom         process() throws std::runtime_error for records whose text contains "boom".
//   faulty.throw_int    process() throws an int (not a std::exception) for the same records.
//   faulty.param_error  warns at create time (ABI 1.2 create_warn) and, when level > 0, throws
//                       seqflow::ParamError("level", ...) with a message that does not name the parameter,
//                       so only the ABI's sf_error.param can place the error at `level`.
//
// The SDK's boundary catches all three: a constructor failure fails the create call with the message,
// a per-record exception fails only that record ("an exception not derived from std::exception" when it is
// not a std::exception).
#include <seqflow/sdk.hpp>

#include <stdexcept>
#include <string>
#include <string_view>

namespace {

constexpr const char* kTextDoc = "String field to look at.";

class CtorThrows : public seqflow::Transform<CtorThrows> {
 public:
  static constexpr seqflow::Info info{"ctor_throws", "Fails to construct, always.",
                                      "[[stage]]\nname = \"bad\"\nplugin = \"faulty.ctor_throws\"\n"};
  explicit CtorThrows(seqflow::CreateContext&) {
    throw std::runtime_error("faulty.ctor_throws refuses to start (test plugin)");
  }
  void process(seqflow::Context&, seqflow::Record&) {}
};

class ParamErr : public seqflow::Transform<ParamErr> {
 public:
  static constexpr seqflow::Info info{
      "param_error", "Warns when created; refuses to start when level > 0.",
      "[[stage]]\nname = \"bad\"\nplugin = \"faulty.param_error\"\nlevel = 1\n"};
  static constexpr sf_param_decl params[] = {
      seqflow::Param::integer("level", "0", "0: start; more: refuse, blaming this parameter.")};
  explicit ParamErr(seqflow::CreateContext& ctx) {
    ctx.warn("a create-time warning from the test plugin");
    if (ctx.param("level").as_int() > 0) throw seqflow::ParamError("level", "refused by the test plugin");
  }
  void process(seqflow::Context&, seqflow::Record&) {}
};

class Boom : public seqflow::Transform<Boom> {
 public:
  static constexpr seqflow::Info info{
      "boom", "Throws std::runtime_error for records whose text contains \"boom\".",
      "[[stage]]\nname = \"boom\"\nplugin = \"faulty.boom\"\n", SF_FLAG_THREAD_SAFE};
  static constexpr sf_param_decl params[] = {seqflow::Param::field("input", "\"text\"", kTextDoc)};
  static constexpr sf_field_decl fields[] = {seqflow::Field::reads("input", "text", SF_FIELD_STRING)};

  explicit Boom(seqflow::CreateContext& ctx) : input_(ctx.field_param("input")) {}
  void process(seqflow::Context&, seqflow::Record& record) {
    std::string_view text = record.string(input_);
    if (text.find("boom") != std::string_view::npos) {
      throw std::runtime_error("record text '" + std::string(text) + "' contains boom");
    }
  }

 private:
  seqflow::Slot input_;
};

class ThrowInt : public seqflow::Transform<ThrowInt> {
 public:
  static constexpr seqflow::Info info{"throw_int", "Throws an int for records whose text contains \"boom\".",
                                      "[[stage]]\nname = \"boom\"\nplugin = \"faulty.throw_int\"\n",
                                      SF_FLAG_THREAD_SAFE};
  static constexpr sf_param_decl params[] = {seqflow::Param::field("input", "\"text\"", kTextDoc)};
  static constexpr sf_field_decl fields[] = {seqflow::Field::reads("input", "text", SF_FIELD_STRING)};

  explicit ThrowInt(seqflow::CreateContext& ctx) : input_(ctx.field_param("input")) {}
  void process(seqflow::Context&, seqflow::Record& record) {
    if (record.string(input_).find("boom") != std::string_view::npos) throw 42;
  }

 private:
  seqflow::Slot input_;
};

}  // namespace

using Components = seqflow::ComponentList<CtorThrows, ParamErr, Boom, ThrowInt>;
using Resources = seqflow::ResourceList<>;
SEQFLOW_MODULE("faulty", "0.1.0", "Test plugin whose components fail on purpose.", Components, Resources)
