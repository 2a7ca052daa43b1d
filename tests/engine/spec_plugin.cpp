// The "spectest" module: a test-only plugin whose components declare one of everything the pipeline
// loader checks (every parameter type, choices, required parameters, resources with interfaces, typed
// fields, batch/filter/split/serial flags) so that pipeline_spec_test can exercise each rule without
// depending on the real plugins. Nothing here is ever run: only the declarations matter.
#include <seqflow/sdk.hpp>

#include <span>
#include <string_view>

namespace {

using seqflow::Field;
using seqflow::Info;
using seqflow::Param;

class Source : public seqflow::Source<Source> {
 public:
  static constexpr Info info{"source", "Writes string field `output`.", "", 0, 1};
  static constexpr sf_param_decl params[] = {Param::field("output", "\"text\"", "string field written")};
  static constexpr sf_field_decl fields[] = {Field::writes("output", "text", SF_FIELD_STRING)};
  explicit Source(seqflow::CreateContext&) {}
  bool read(seqflow::Context&, uint32_t) { return false; }
};

class TableSource : public seqflow::Source<TableSource> {
 public:
  static constexpr Info info{"table_source", "Writes the fields of the `fields` table.", "", 0, 1};
  static constexpr sf_param_decl params[] = {
      Param::field_table("fields", "{ text = \"string\" }", "fields written, with their types")};
  static constexpr sf_field_decl fields[] = {Field::writes("fields", nullptr, SF_FIELD_ANY)};
  explicit TableSource(seqflow::CreateContext&) {}
  bool read(seqflow::Context&, uint32_t) { return false; }
};

class Params : public seqflow::Transform<Params> {
 public:
  static constexpr Info info{"params", "Declares one parameter of each type.", "", 0, 0};
  static constexpr sf_param_decl params[] = {
      Param::integer("level", nullptr, "a required integer"),
      Param::boolean("flag", "false", "a boolean"),
      Param::integer("count", "3", "an integer"),
      Param::real("ratio", "0.5", "a number"),
      Param::string("mode", "\"fast\"", "how to go", "fast|slow|exact"),
      Param::string("label", "\"\"", "free text"),
      Param::path("file", "\"data/x.txt\"", "a file"),
      Param::strings("names", "[\"a\"]", "some names"),
      Param::paths("files", "[]", "some files"),
      Param::table("options", "{ depth = 2 }", "free-form table"),
      Param::array("layers", "[]", "free-form array"),
      sf_param_decl{sizeof(sf_param_decl), "note", SF_PARAM_STRING, 0, nullptr, "optional, no default",
                    nullptr, nullptr},
  };
  explicit Params(seqflow::CreateContext&) {}
  void process(seqflow::Context&, seqflow::Record&) {}
};

// Reads a string, writes an i32 tensor; batches (process_batch sets SF_FLAG_BATCH).
class Encode : public seqflow::Transform<Encode> {
 public:
  static constexpr Info info{"encode", "string -> tensor<i32>.", "", SF_FLAG_THREAD_SAFE, 0};
  static constexpr sf_param_decl params[] = {
      Param::field("input", "\"text\"", "string field read"),
      Param::field("output", "\"ids\"", "tensor field written"),
  };
  static constexpr sf_field_decl fields[] = {
      Field::reads("input", "text", SF_FIELD_STRING),
      Field::writes("output", "ids", SF_FIELD_TENSOR, SF_DTYPE_I32),
  };
  explicit Encode(seqflow::CreateContext&) {}
  void process_batch(seqflow::Context&, std::span<seqflow::Record>) {}
};

// Batches, but has no `input` parameter to group by.
class Pack : public seqflow::Transform<Pack> {
 public:
  static constexpr Info info{"pack", "Batches records without an input field.", "", 0, 0};
  explicit Pack(seqflow::CreateContext&) {}
  void process_batch(seqflow::Context&, std::span<seqflow::Record>) {}
};

class Embed : public seqflow::Transform<Embed> {
 public:
  static constexpr Info info{"embed", "tensor<f32> -> tensor<f32>.", "", 0, 4};
  static constexpr sf_param_decl params[] = {
      Param::field("input", "\"ids\"", "tensor field read"),
      Param::field("output", "\"emb\"", "tensor field written"),
      Param::field("score", "\"\"", "optional float output; empty: not written"),
  };
  static constexpr sf_field_decl fields[] = {
      Field::reads("input", "ids", SF_FIELD_TENSOR, SF_DTYPE_F32),
      Field::writes("output", "emb", SF_FIELD_TENSOR, SF_DTYPE_F32),
      Field::writes("score", "score", SF_FIELD_FLOAT),
  };
  explicit Embed(seqflow::CreateContext&) {}
  void process(seqflow::Context&, seqflow::Record&) {}
};

class Lookup : public seqflow::Transform<Lookup> {
 public:
  static constexpr Info info{"lookup", "Uses a vocabulary resource; reads any field, optionally `hint`.", "",
                             0, 0};
  static constexpr sf_param_decl params[] = {
      Param::resource("vocab", "spectest.vocab", "the vocabulary"),
      Param::field("input", "\"text\"", "field read, any type"),
  };
  static constexpr sf_field_decl fields[] = {
      Field::reads("input", "text", SF_FIELD_ANY),
      Field::reads_optional(nullptr, "hint", SF_FIELD_STRING),
  };
  explicit Lookup(seqflow::CreateContext&) {}
  void process(seqflow::Context&, seqflow::Record&) {}
};

class Filter : public seqflow::Transform<Filter> {
 public:
  static constexpr Info info{"filter", "Drops records.", "", SF_FLAG_FILTERS, 0};
  explicit Filter(seqflow::CreateContext&) {}
  void process(seqflow::Context&, seqflow::Record&) {}
};

class Split : public seqflow::Transform<Split> {
 public:
  static constexpr Info info{"split", "Splits records.", "", SF_FLAG_SPLITS, 0};
  explicit Split(seqflow::CreateContext&) {}
  void process(seqflow::Context&, seqflow::Record&) {}
};

class Ordered : public seqflow::Transform<Ordered> {
 public:
  static constexpr Info info{"ordered", "Must see records in order.", "", SF_FLAG_SERIAL, 1};
  explicit Ordered(seqflow::CreateContext&) {}
  void process(seqflow::Context&, seqflow::Record&) {}
};

class IntWriter : public seqflow::Transform<IntWriter> {
 public:
  static constexpr Info info{"int_writer", "Writes int field `output`.", "", 0, 0};
  static constexpr sf_param_decl params[] = {Param::field("output", "\"n\"", "int field written")};
  static constexpr sf_field_decl fields[] = {Field::writes("output", "n", SF_FIELD_INT)};
  explicit IntWriter(seqflow::CreateContext&) {}
  void process(seqflow::Context&, seqflow::Record&) {}
};

class Write : public seqflow::Sink<Write> {
 public:
  static constexpr Info info{"write", "Writes the listed fields to `path`.", "", 0, 1};
  static constexpr sf_param_decl params[] = {
      Param::path("path", nullptr, "output file"),
      Param::fields("fields", "[\"id\"]", "fields written"),
  };
  static constexpr sf_field_decl fields[] = {Field::reads("fields", nullptr, SF_FIELD_ANY)};
  explicit Write(seqflow::CreateContext&) {}
  void process(seqflow::Context&, seqflow::Record&) {}
};

class BadDefault : public seqflow::Transform<BadDefault> {
 public:
  static constexpr Info info{"bad_default", "Declares an integer whose default is a string.", "", 0, 0};
  static constexpr sf_param_decl params[] = {Param::integer("n", "\"many\"", "broken on purpose")};
  explicit BadDefault(seqflow::CreateContext&) {}
  void process(seqflow::Context&, seqflow::Record&) {}
};

class BadField : public seqflow::Transform<BadField> {
 public:
  static constexpr Info info{"bad_field", "Declares a field named by a parameter it does not have.", "", 0,
                             0};
  static constexpr sf_field_decl fields[] = {Field::reads("missing", "x", SF_FIELD_STRING)};
  explicit BadField(seqflow::CreateContext&) {}
  void process(seqflow::Context&, seqflow::Record&) {}
};

class Vocab : public seqflow::Resource<Vocab> {
 public:
  static constexpr Info info{"vocab", "A vocabulary file.", ""};
  static constexpr const char* interfaces[] = {"spectest.vocab"};
  static constexpr sf_param_decl params[] = {Param::path("file", nullptr, "vocabulary file")};
  explicit Vocab(seqflow::CreateContext&) {}
  bool get_interface(std::string_view, uint32_t, sf_interface&) { return false; }
};

class Other : public seqflow::Resource<Other> {
 public:
  static constexpr Info info{"other", "Provides another interface.", ""};
  static constexpr const char* interfaces[] = {"spectest.other"};
  explicit Other(seqflow::CreateContext&) {}
  bool get_interface(std::string_view, uint32_t, sf_interface&) { return false; }
};

}  // namespace

using Components = seqflow::ComponentList<Source, TableSource, Params, Encode, Pack, Embed, Lookup, Filter,
                                          Split, Ordered, IntWriter, Write, BadDefault, BadField>;
using Resources = seqflow::ResourceList<Vocab, Other>;
SEQFLOW_MODULE("spectest", "0.1.0", "Declarations for the pipeline loader's tests", Components, Resources)
