// seqflow C++ SDK: a header-only layer over plugin_abi.h that makes a component a small class.
//
// What it is: RAII-free, allocation-free wrappers (Record, Tensor, Params, Context, CreateContext) over
// the host's function table, CRTP bases (Source, Transform, Sink, Resource) that fill the C function
// tables, and SEQFLOW_MODULE, which defines the one exported entry symbol.
//
// Lifecycle: the host calls the module's init once (the SDK stores the host table), then creates one
// instance of a component class per worker through its `T(CreateContext&)` constructor, calls
// `read` / `process` / `consume`, then `finish` once per instance after a successful run, then the
// destructor. A Resource class is constructed once per [resources.X] entry and shared read-only.
//
// Threading: a class is used by one thread at a time unless its info sets SF_FLAG_THREAD_SAFE.
//
// Ownership: views returned by Record and Params point into host storage and are valid during the
// call that produced them. Components own their members; the host owns records.
//
// Errors: throw seqflow::Error (or any std::exception) anywhere. The SDK catches every exception at
// the boundary: from a per-record `process`/`consume` it becomes that record's failure (handled by the
// pipeline's on_error policy); from a constructor, `read`, a batch call or `finish` it fails the call
// with the message. Nothing ever propagates into the host.
//
// Everything lives in an inline versioned namespace, so two plugins built against different SDK
// versions never clash even if loaded into one process with default visibility.
#pragma once

#include <seqflow/plugin_abi.h>

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(_WIN32)
#define SEQFLOW_EXPORT extern "C" __declspec(dllexport)
#else
#define SEQFLOW_EXPORT extern "C" __attribute__((visibility("default")))
#endif

namespace seqflow {
inline namespace sdk_v1 {

/// An error thrown by a component; `code` becomes the sf_status returned to the host.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, sf_status code = SF_ERR_INVALID)
      : std::runtime_error(message), code_(code) {}
  sf_status code() const noexcept { return code_; }

 private:
  sf_status code_;
};

/// A create-time error about one declared parameter: the host reports it at that parameter's line and
/// column in the pipeline file (ABI 1.2; an older host shows the message at the stage).
class ParamError : public Error {
 public:
  ParamError(std::string param, const std::string& message, sf_status code = SF_ERR_INVALID)
      : Error(message, code), param_(std::move(param)) {}
  const std::string& param() const noexcept { return param_; }

 private:
  std::string param_;
};

namespace detail {
inline const sf_host*& host_slot() {
  static const sf_host* h = nullptr;
  return h;
}
inline sf_status fail(sf_error* err, sf_status code, const char* message) {
  if (err != nullptr) std::snprintf(err->message, sizeof(err->message), "%s", message);
  return code;
}
// Runs `f`, turning any exception into a status and a message.
template <class F>
sf_status guard(sf_error* err, F&& f) noexcept {
  try {
    return f();
  } catch (const ParamError& e) {
    if (err != nullptr && err->struct_size >= offsetof(sf_error, param) + sizeof(err->param))
      std::snprintf(err->param, sizeof(err->param), "%s", e.param().c_str());
    return fail(err, e.code(), e.what());
  } catch (const Error& e) {
    return fail(err, e.code(), e.what());
  } catch (const std::bad_alloc&) {
    return fail(err, SF_ERR_INTERNAL, "out of memory");
  } catch (const std::exception& e) {
    return fail(err, SF_ERR_INTERNAL, e.what());
  } catch (...) {
    return fail(err, SF_ERR_INTERNAL, "an exception not derived from std::exception");
  }
}
}  // namespace detail

/// The host table this module was initialised with.
inline const sf_host& host() { return *detail::host_slot(); }

/// Size in bytes of one element of `dtype`.
constexpr size_t dtype_size(sf_dtype d) {
  switch (d) {
    case SF_DTYPE_F32: return 4;
    case SF_DTYPE_I32: return 4;
    case SF_DTYPE_BF16: return 2;
    case SF_DTYPE_F16: return 2;
    case SF_DTYPE_I64: return 8;
    case SF_DTYPE_U8: return 1;
    case SF_DTYPE_I8: return 1;
    default: return 0;
  }
}

constexpr const char* dtype_name(sf_dtype d) {
  switch (d) {
    case SF_DTYPE_F32: return "f32";
    case SF_DTYPE_BF16: return "bf16";
    case SF_DTYPE_F16: return "f16";
    case SF_DTYPE_I64: return "i64";
    case SF_DTYPE_I32: return "i32";
    case SF_DTYPE_U8: return "u8";
    case SF_DTYPE_I8: return "i8";
    default: return "any";
  }
}

template <class T>
constexpr sf_dtype dtype_of();
template <>
constexpr sf_dtype dtype_of<float>() {
  return SF_DTYPE_F32;
}
template <>
constexpr sf_dtype dtype_of<int64_t>() {
  return SF_DTYPE_I64;
}
template <>
constexpr sf_dtype dtype_of<int32_t>() {
  return SF_DTYPE_I32;
}
template <>
constexpr sf_dtype dtype_of<uint8_t>() {
  return SF_DTYPE_U8;
}
template <>
constexpr sf_dtype dtype_of<int8_t>() {
  return SF_DTYPE_I8;
}

/// A record field resolved to its slot at create time.
struct Slot {
  int32_t id = -1;
  explicit operator bool() const { return id >= 0; }
};

/// A read-only tensor view.
class Tensor {
 public:
  explicit Tensor(const sf_tensor_view& v) : v_(v) {}
  sf_dtype dtype() const { return v_.dtype; }
  uint32_t ndim() const { return v_.ndim; }
  int64_t dim(uint32_t i) const { return v_.shape[i]; }
  std::span<const int64_t> shape() const { return {v_.shape, v_.ndim}; }
  int64_t numel() const {
    int64_t n = 1;
    for (uint32_t i = 0; i < v_.ndim; ++i) n *= v_.shape[i];
    return n;
  }
  const void* raw() const { return v_.data; }
  size_t nbytes() const { return v_.nbytes; }
  template <class T>
  std::span<const T> data() const {
    if (dtype_of<T>() != v_.dtype)
      throw Error(std::string("tensor has dtype ") + dtype_name(v_.dtype) + ", expected " +
                  dtype_name(dtype_of<T>()));
    return {static_cast<const T*>(v_.data), v_.nbytes / sizeof(T)};
  }

 private:
  sf_tensor_view v_;
};

/// One record. A thin handle: copying it copies the pointer.
class Record {
 public:
  explicit Record(sf_record* r) : r_(r) {}
  sf_record* raw() const { return r_; }

  bool has(Slot s) const { return host().has(r_, s.id) != 0; }
  sf_field_type type(Slot s) const { return host().type_of(r_, s.id); }

  std::string_view string(Slot s) const {
    const char* d = nullptr;
    size_t n = 0;
    if (!host().get_string(r_, s.id, &d, &n)) throw Error("field is missing or not a string");
    return {d, n};
  }
  int64_t integer(Slot s) const {
    int64_t v = 0;
    if (!host().get_int(r_, s.id, &v)) throw Error("field is missing or not an int");
    return v;
  }
  double real(Slot s) const {
    double v = 0;
    if (!host().get_float(r_, s.id, &v)) throw Error("field is missing or not a float");
    return v;
  }
  Tensor tensor(Slot s) const {
    sf_tensor_view v{};
    v.struct_size = sizeof(v);
    if (!host().get_tensor(r_, s.id, &v)) throw Error("field is missing or not a tensor");
    return Tensor(v);
  }

  void set_string(Slot s, std::string_view v) { host().set_string(r_, s.id, v.data(), v.size()); }
  void set_bytes(Slot s, std::string_view v) { host().set_bytes(r_, s.id, v.data(), v.size()); }
  void set_int(Slot s, int64_t v) { host().set_int(r_, s.id, v); }
  void set_float(Slot s, double v) { host().set_float(r_, s.id, v); }
  /// Allocates a string field of `size` bytes and returns its buffer to fill.
  std::span<char> string_buffer(Slot s, size_t size) {
    return {host().set_string_buffer(r_, s.id, size), size};
  }
  /// Allocates a tensor field and returns its (uninitialised) data.
  template <class T>
  std::span<T> make_tensor(Slot s, std::initializer_list<int64_t> shape) {
    return make_tensor<T>(s, std::span<const int64_t>(shape.begin(), shape.size()));
  }
  template <class T>
  std::span<T> make_tensor(Slot s, std::span<const int64_t> shape) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    void* p = host().set_tensor(r_, s.id, dtype_of<T>(), static_cast<uint32_t>(shape.size()), shape.data());
    return {static_cast<T*>(p), static_cast<size_t>(n)};
  }
  void* make_tensor_raw(Slot s, sf_dtype dtype, std::span<const int64_t> shape) {
    return host().set_tensor(r_, s.id, dtype, static_cast<uint32_t>(shape.size()), shape.data());
  }
  void clear(Slot s) { host().clear(r_, s.id); }

 private:
  sf_record* r_;
};

/// A parameter value (a node of the host's value tree).
class Value {
 public:
  explicit Value(const sf_value* v) : v_(v) {}
  const sf_value* raw() const { return v_; }
  bool present() const { return v_ != nullptr && v_->kind != SF_VALUE_NONE; }
  sf_value_kind kind() const { return v_ == nullptr ? SF_VALUE_NONE : v_->kind; }
  bool as_bool() const { return expect(SF_VALUE_BOOL, "a boolean").i != 0; }
  int64_t as_int() const { return expect(SF_VALUE_INT, "an integer").i; }
  double as_float() const {
    if (kind() == SF_VALUE_INT) return static_cast<double>(v_->i);
    return expect(SF_VALUE_FLOAT, "a number").f;
  }
  std::string as_string() const {
    const sf_value& v = expect(SF_VALUE_STRING, "a string");
    return std::string(v.s, v.size);
  }
  size_t size() const { return present() ? v_->size : 0; }
  Value operator[](size_t i) const {
    const sf_value& v = expect(SF_VALUE_ARRAY, "an array");
    return Value(i < v.size ? &v.items[i] : nullptr);
  }
  /// Table member or an absent Value.
  Value get(std::string_view key) const {
    if (kind() != SF_VALUE_TABLE) return Value(nullptr);
    for (size_t i = 0; i < v_->size; ++i)
      if (key == v_->keys[i]) return Value(&v_->items[i]);
    return Value(nullptr);
  }
  std::string_view key(size_t i) const { return v_->keys[i]; }
  Value item(size_t i) const { return Value(&v_->items[i]); }
  std::vector<std::string> as_strings() const {
    std::vector<std::string> out;
    for (size_t i = 0; i < size(); ++i) out.push_back((*this)[i].as_string());
    return out;
  }

 private:
  const sf_value& expect(sf_value_kind k, const char* what) const {
    if (v_ == nullptr || v_->kind != k) throw Error(std::string("parameter value is not ") + what);
    return *v_;
  }
  const sf_value* v_;
};

/// Per-call context: emitting, dropping and failing records.
class Context {
 public:
  explicit Context(sf_context* c) : c_(c) {}
  sf_context* raw() const { return c_; }
  /// A new record appended to the output; fields copied from `from` when given.
  Record emit(const Record* from = nullptr) {
    return Record(host().emit(c_, from != nullptr ? from->raw() : nullptr));
  }
  void drop(Record r) { host().record_drop(c_, r.raw()); }
  void fail(Record r, const std::string& reason) { host().record_fail(c_, r.raw(), reason.c_str()); }
  bool skip_errors() const { return host().skip_errors(c_) != 0; }
  /// Reports a bad input record that a reader skipped (only when skip_errors()).
  void input_skipped(const std::string& where, const std::string& reason) {
    host().input_skipped(c_, where.c_str(), reason.c_str());
  }
  void warn(const std::string& m) { host().log(c_, 1, m.c_str()); }
  bool cancelled() const { return host().cancelled(c_) != 0; }

 private:
  sf_context* c_;
};

/// The shard a source reads alone (ABI 1.2): index of count, split by file or by bytes.
struct Shard {
  uint32_t index = 0;
  uint32_t count = 1;
  sf_shard_by by = SF_SHARD_RECORD;
  /// True when this source must read only part of its input.
  bool split() const { return count > 1 && by != SF_SHARD_RECORD; }
};

/// Construction context: parameters, field slots and resources.
class CreateContext {
 public:
  explicit CreateContext(const sf_create_args* a) : a_(a) {}
  Value params() const { return Value(a_->params); }
  Value param(std::string_view name) const { return params().get(name); }
  std::string stage_name() const { return a_->stage_name; }
  std::string pipeline_dir() const { return a_->pipeline_dir; }
  uint32_t worker_index() const { return a_->worker_index; }
  uint32_t intra_op_threads() const { return a_->intra_op_threads; }
  /// The shard to read (0 of 1 from a host older than ABI 1.2, which never splits a source's input).
  Shard shard() const {
    Shard s;
    if (a_->struct_size >= offsetof(sf_create_args, shard_by) + sizeof(a_->shard_by) && a_->shard_count > 0) {
      s.index = a_->shard_index;
      s.count = a_->shard_count;
      s.by = static_cast<sf_shard_by>(a_->shard_by);
    }
    return s;
  }
  /// Slot of a field by name.
  Slot field(const std::string& name) const {
    Slot s{host().field_slot(a_->ctx, name.c_str())};
    if (!s) throw Error("field '" + name + "' is not part of this pipeline's records");
    return s;
  }
  /// Whether anything downstream reads field `name` (true on a host older than ABI 1.1, which cannot
  /// tell): a source may skip filling a field nobody reads.
  bool field_is_read(const std::string& name) const {
    const sf_host& h = host();
    if (h.struct_size < offsetof(sf_host, field_is_read) + sizeof(h.field_is_read) ||
        h.field_is_read == nullptr)
      return true;
    return h.field_is_read(a_->ctx, name.c_str()) != 0;
  }
  /// A warning about this stage or resource, shown by `validate` and `run` (ignored by a host older than
  /// ABI 1.2, which cannot show it).
  void warn(const std::string& message) const {
    const sf_host& h = host();
    if (h.struct_size < offsetof(sf_host, create_warn) + sizeof(h.create_warn) || h.create_warn == nullptr)
      return;
    h.create_warn(a_->ctx, message.c_str());
  }
  /// Slot of the field named by FIELD parameter `param`.
  Slot field_param(std::string_view param_name) const { return field(param(param_name).as_string()); }
  /// The object and interface vtable of resource named by parameter `param_name`.
  std::pair<void*, sf_interface> resource(std::string_view param_name, const char* interface,
                                          uint32_t min_version) const {
    std::string name = param(param_name).as_string();
    sf_interface iface{};
    iface.struct_size = sizeof(iface);
    void* object = nullptr;
    sf_error err{};
    err.struct_size = sizeof(err);
    if (host().resource(a_->ctx, name.c_str(), interface, min_version, &iface, &object, &err) != SF_OK)
      throw Error(err.message);
    return {object, iface};
  }

 private:
  const sf_create_args* a_;
};

// ---- declarations ----

/// Parameter declaration helpers: `Param::integer("k", "6", "k-mer length")`.
struct Param {
  static constexpr sf_param_decl make(const char* name, sf_param_type t, const char* def, const char* doc,
                                      const char* choices = nullptr, const char* iface = nullptr) {
    return sf_param_decl{sizeof(sf_param_decl), name, t, def == nullptr ? 1 : 0, def, doc, choices, iface};
  }
  static constexpr sf_param_decl boolean(const char* n, const char* def, const char* doc) {
    return make(n, SF_PARAM_BOOL, def, doc);
  }
  static constexpr sf_param_decl integer(const char* n, const char* def, const char* doc) {
    return make(n, SF_PARAM_INT, def, doc);
  }
  static constexpr sf_param_decl real(const char* n, const char* def, const char* doc) {
    return make(n, SF_PARAM_FLOAT, def, doc);
  }
  static constexpr sf_param_decl string(const char* n, const char* def, const char* doc,
                                        const char* choices = nullptr) {
    return make(n, SF_PARAM_STRING, def, doc, choices);
  }
  static constexpr sf_param_decl path(const char* n, const char* def, const char* doc) {
    return make(n, SF_PARAM_PATH, def, doc);
  }
  static constexpr sf_param_decl strings(const char* n, const char* def, const char* doc) {
    return make(n, SF_PARAM_STRING_LIST, def, doc);
  }
  static constexpr sf_param_decl paths(const char* n, const char* def, const char* doc) {
    return make(n, SF_PARAM_PATH_LIST, def, doc);
  }
  static constexpr sf_param_decl table(const char* n, const char* def, const char* doc) {
    return make(n, SF_PARAM_TABLE, def, doc);
  }
  static constexpr sf_param_decl array(const char* n, const char* def, const char* doc) {
    return make(n, SF_PARAM_ARRAY, def, doc);
  }
  static constexpr sf_param_decl resource(const char* n, const char* iface, const char* doc) {
    return make(n, SF_PARAM_RESOURCE, nullptr, doc, nullptr, iface);
  }
  static constexpr sf_param_decl field(const char* n, const char* def, const char* doc) {
    return make(n, SF_PARAM_FIELD, def, doc);
  }
  static constexpr sf_param_decl fields(const char* n, const char* def, const char* doc) {
    return make(n, SF_PARAM_FIELD_LIST, def, doc);
  }
  static constexpr sf_param_decl field_table(const char* n, const char* def, const char* doc) {
    return make(n, SF_PARAM_FIELD_TABLE, def, doc);
  }
};

/// Field declaration helpers: `Field::reads("input", "seq", SF_FIELD_STRING)`.
struct Field {
  static constexpr sf_field_decl reads(const char* param, const char* name, sf_field_type t,
                                       sf_dtype d = SF_DTYPE_ANY, const char* doc = "") {
    return sf_field_decl{sizeof(sf_field_decl), param, name, SF_READ, t, d, 0, doc};
  }
  static constexpr sf_field_decl reads_optional(const char* param, const char* name, sf_field_type t,
                                                sf_dtype d = SF_DTYPE_ANY, const char* doc = "") {
    return sf_field_decl{sizeof(sf_field_decl), param, name, SF_READ, t, d, 1, doc};
  }
  static constexpr sf_field_decl writes(const char* param, const char* name, sf_field_type t,
                                        sf_dtype d = SF_DTYPE_ANY, const char* doc = "") {
    return sf_field_decl{sizeof(sf_field_decl), param, name, SF_WRITE, t, d, 0, doc};
  }
};

/// What every component class declares as `static constexpr seqflow::Info info{...}`.
struct Info {
  const char* name;
  const char* doc;
  const char* example;
  uint32_t flags = 0;
  int32_t concurrency = 0;  // 0 unlimited, 1 serial, N
};

namespace detail {

template <class T>
concept HasFinish = requires(T& t, Context& c) {
  t.finish(c);
};
template <class T>
concept HasBatch = requires(T& t, Context& c, std::span<Record> s) {
  t.process_batch(c, s);
};
template <class T>
concept HasParams = requires {
  T::params;
};
template <class T>
concept HasFields = requires {
  T::fields;
};

template <class T>
constexpr uint32_t num_params() {
  if constexpr (HasParams<T>) return static_cast<uint32_t>(std::size(T::params));
  else return 0;
}
template <class T>
constexpr const sf_param_decl* params_ptr() {
  if constexpr (HasParams<T>) return T::params;
  else return nullptr;
}
template <class T>
constexpr uint32_t num_fields() {
  if constexpr (HasFields<T>) return static_cast<uint32_t>(std::size(T::fields));
  else return 0;
}
template <class T>
constexpr const sf_field_decl* fields_ptr() {
  if constexpr (HasFields<T>) return T::fields;
  else return nullptr;
}

template <class T>
struct Adapter {
  static sf_status create(const sf_create_args* args, void** instance, sf_error* err) {
    return guard(err, [&] {
      CreateContext ctx(args);
      *instance = new T(ctx);
      return SF_OK;
    });
  }
  static void destroy(void* instance) { delete static_cast<T*>(instance); }
  static sf_status finish(void* instance, sf_context* c, sf_error* err) {
    return guard(err, [&] {
      if constexpr (HasFinish<T>) {
        Context ctx(c);
        static_cast<T*>(instance)->finish(ctx);
      }
      return SF_OK;
    });
  }
  static sf_status read(void* instance, sf_context* c, uint32_t max_records, sf_error* err) {
    return guard(err, [&] {
      Context ctx(c);
      return static_cast<T*>(instance)->read(ctx, max_records) ? SF_OK : SF_END;
    });
  }
  // Per-record calls fail only their record; a batch call fails as a whole.
  static sf_status process(void* instance, sf_context* c, sf_record* const* records, uint32_t count,
                           sf_error* err) {
    T* self = static_cast<T*>(instance);
    Context ctx(c);
    if constexpr (HasBatch<T>) {
      return guard(err, [&] {
        std::vector<Record> batch;
        batch.reserve(count);
        for (uint32_t i = 0; i < count; ++i) batch.emplace_back(records[i]);
        self->process_batch(ctx, std::span<Record>(batch));
        return SF_OK;
      });
    } else {
      for (uint32_t i = 0; i < count; ++i) {
        Record r(records[i]);
        try {
          self->process(ctx, r);
        } catch (const std::exception& e) {
          ctx.fail(r, e.what());
        } catch (...) {
          ctx.fail(r, "an exception not derived from std::exception");
        }
      }
      return SF_OK;
    }
  }

  template <sf_component_kind kind>
  static constexpr sf_component describe() {
    sf_component c{};
    c.struct_size = sizeof(sf_component);
    c.name = T::info.name;
    c.doc = T::info.doc;
    c.example = T::info.example;
    c.kind = kind;
    c.flags = T::info.flags | (HasBatch<T> ? static_cast<uint32_t>(SF_FLAG_BATCH) : 0u);
    c.default_concurrency = T::info.concurrency;
    c.num_params = num_params<T>();
    c.params = params_ptr<T>();
    c.num_fields = num_fields<T>();
    c.fields = fields_ptr<T>();
    c.create = &create;
    c.destroy = &destroy;
    // Only the entry point of this kind is instantiated: a source need not define process().
    if constexpr (kind == SF_SOURCE) c.read = &read;
    else c.process = &process;
    c.finish = &finish;
    return c;
  }
};

template <class T>
struct ResourceAdapter {
  static sf_status create(const sf_create_args* args, void** object, sf_error* err) {
    return guard(err, [&] {
      CreateContext ctx(args);
      *object = new T(ctx);
      return SF_OK;
    });
  }
  static void destroy(void* object) { delete static_cast<T*>(object); }
  static sf_status get_interface(void* object, const char* name, uint32_t min_version, sf_interface* out) {
    sf_error ignored{};
    return guard(&ignored, [&] {
      return static_cast<T*>(object)->get_interface(name, min_version, *out) ? SF_OK : SF_ERR_UNSUPPORTED;
    });
  }
};

}  // namespace detail

/// Base of a source: implement `T(CreateContext&)` and `bool read(Context&, uint32_t max)` that emits
/// at most `max` records with ctx.emit() and returns false once the input is exhausted.
template <class T>
struct Source {
  static constexpr sf_component kind_descriptor() {
    return detail::Adapter<T>::template describe<SF_SOURCE>();
  }
};

/// Base of a transform: implement `void process(Context&, Record&)` (modify in place, ctx.drop() to
/// filter, ctx.emit(&r) + ctx.drop(r) to split) or `void process_batch(Context&, std::span<Record>)`.
template <class T>
struct Transform {
  static constexpr sf_component kind_descriptor() {
    return detail::Adapter<T>::template describe<SF_TRANSFORM>();
  }
};

/// Base of a sink: `void process(Context&, Record&)` sees records in input order; `void finish(Context&)`
/// commits once the run succeeded (a destructor without finish() must discard partial output).
template <class T>
struct Sink {
  static constexpr sf_component kind_descriptor() { return detail::Adapter<T>::template describe<SF_SINK>(); }
};

/// Base of a resource: implement `T(CreateContext&)` and
/// `bool get_interface(std::string_view name, uint32_t min_version, sf_interface& out)`.
template <class T>
struct Resource {
  static constexpr sf_resource_type descriptor() {
    sf_resource_type r{};
    r.struct_size = sizeof(sf_resource_type);
    r.name = T::info.name;
    r.doc = T::info.doc;
    r.example = T::info.example;
    r.num_params = detail::num_params<T>();
    r.params = detail::params_ptr<T>();
    r.num_interfaces = static_cast<uint32_t>(std::size(T::interfaces));
    r.interfaces = T::interfaces;
    r.create = &detail::ResourceAdapter<T>::create;
    r.destroy = &detail::ResourceAdapter<T>::destroy;
    r.get_interface = &detail::ResourceAdapter<T>::get_interface;
    return r;
  }
};

template <class... Ts>
struct ComponentList {
  static constexpr sf_component table[sizeof...(Ts) > 0 ? sizeof...(Ts) : 1] = {Ts::kind_descriptor()...};
  static inline const sf_component* pointers[sizeof...(Ts) > 0 ? sizeof...(Ts) : 1] = {};
  static const sf_component* const* get() {
    for (size_t i = 0; i < sizeof...(Ts); ++i) pointers[i] = &table[i];
    return pointers;
  }
  static constexpr uint32_t size = sizeof...(Ts);
};

template <class... Ts>
struct ResourceList {
  static constexpr sf_resource_type table[sizeof...(Ts) > 0 ? sizeof...(Ts) : 1] = {Ts::descriptor()...};
  static inline const sf_resource_type* pointers[sizeof...(Ts) > 0 ? sizeof...(Ts) : 1] = {};
  static const sf_resource_type* const* get() {
    for (size_t i = 0; i < sizeof...(Ts); ++i) pointers[i] = &table[i];
    return pointers;
  }
  static constexpr uint32_t size = sizeof...(Ts);
};

namespace detail {
template <class Components, class Resources>
const sf_module* make_module(const char* name, const char* version, const char* doc) {
  static sf_module m = [&] {
    sf_module x{};
    x.magic = SF_ABI_MAGIC;
    x.abi_major = SF_ABI_MAJOR;
    x.abi_minor = SF_ABI_MINOR;
    x.struct_size = sizeof(sf_module);
    x.name = name;
    x.version = version;
    x.doc = doc;
    x.num_components = Components::size;
    x.components = Components::get();
    x.num_resources = Resources::size;
    x.resources = Resources::get();
    x.init = [](const sf_host* h, sf_error* err) -> sf_status {
      if (h == nullptr || h->abi_major != SF_ABI_MAJOR)
        return fail(err, SF_ERR_UNSUPPORTED, "host ABI major version differs from the plugin's");
      host_slot() = h;
      return SF_OK;
    };
    return x;
  }();
  return &m;
}
}  // namespace detail

}  // namespace sdk_v1
}  // namespace seqflow

/// Defines the module's entry symbol. The lists go through aliases (a bare comma would split the
/// macro's arguments):
///   using Components = seqflow::ComponentList<LinesRead, LinesWrite>;
///   using Resources = seqflow::ResourceList<>;
///   SEQFLOW_MODULE("io", "0.1.0", "Text and tensor files", Components, Resources)
#define SEQFLOW_MODULE(NAME, VERSION, DOC, COMPONENTS, RESOURCES)                     \
  SEQFLOW_EXPORT const sf_module* seqflow_plugin_entry(uint32_t, uint32_t) {          \
    return ::seqflow::detail::make_module<COMPONENTS, RESOURCES>(NAME, VERSION, DOC); \
  }
