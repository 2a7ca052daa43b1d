// The sf_host function table: how plugins touch records, emit, drop and fail them.
// Every accessor checks the slot and the field type: a plugin bug yields "missing", never a bad read.
#include <seqflow/caller.h>

#include "caller_channels.hpp"
#include "plugin_host.hpp"
#include "runtime.hpp"

#include <cstring>

namespace seqflow::engine {

namespace {

FieldValue* slot_of(sf_record* r, int32_t slot) {
  if (r == nullptr || slot < 0 || static_cast<size_t>(slot) >= r->fields.size()) return nullptr;
  return &r->fields[static_cast<size_t>(slot)];
}
const FieldValue* slot_of(const sf_record* r, int32_t slot) {
  if (r == nullptr || slot < 0 || static_cast<size_t>(slot) >= r->fields.size()) return nullptr;
  return &r->fields[static_cast<size_t>(slot)];
}

int32_t h_field_is_read(sf_create_context* ctx, const char* name) {
  if (ctx->run->spec == nullptr || std::strcmp(name, "id") == 0) return 1;  // id names records in errors
  const PipelineSpec& spec = *ctx->run->spec;  // error messages name records by it
  for (const StageSpec& s : spec.stages) {
    if (s.batch.by_length && s.batch.length_field == name) return 1;
    for (const FieldUse& f : s.reads)
      if (f.name == name) return 1;
  }
  return 0;
}

int32_t h_field_slot(sf_create_context* ctx, const char* name) {
  auto it = ctx->run->slots.find(name);
  return it == ctx->run->slots.end() ? -1 : it->second;
}

sf_status h_resource(sf_create_context* ctx, const char* name, const char* interface, uint32_t min_version,
                     sf_interface* out, void** object, sf_error* err) {
  // Not a [resources.X] entry: the embedding program's queues (seqflow/caller.h).
  if (std::strcmp(name, SF_CALLER_RESOURCE) == 0)
    return caller_interface(ctx, interface, min_version, out, object, err);
  for (const ResourceInstance& r : ctx->run->resources) {
    if (r.spec->name != name) continue;
    const sf_resource_type* t = r.spec->type.type;
    if (t->get_interface == nullptr || t->get_interface(r.object, interface, min_version, out) != SF_OK) {
      std::snprintf(err->message, sizeof(err->message),
                    "resource '%s' (%s) does not provide interface '%s' version %u or later", name,
                    r.spec->plugin.c_str(), interface, min_version);
      return SF_ERR_UNSUPPORTED;
    }
    *object = r.object;
    return SF_OK;
  }
  std::snprintf(err->message, sizeof(err->message), "no resource named '%s' in this pipeline", name);
  return SF_ERR_INVALID;
}

int32_t h_has(const sf_record* r, int32_t slot) {
  const FieldValue* f = slot_of(r, slot);
  return f != nullptr && f->type != SF_FIELD_ANY;
}

sf_field_type h_type_of(const sf_record* r, int32_t slot) {
  const FieldValue* f = slot_of(r, slot);
  return f == nullptr ? SF_FIELD_ANY : f->type;
}

int32_t h_get_string(const sf_record* r, int32_t slot, const char** data, size_t* size) {
  const FieldValue* f = slot_of(r, slot);
  if (f == nullptr || (f->type != SF_FIELD_STRING && f->type != SF_FIELD_BYTES)) return 0;
  *data = f->blob->data();
  *size = static_cast<size_t>(f->i);
  return 1;
}

int32_t h_get_int(const sf_record* r, int32_t slot, int64_t* out) {
  const FieldValue* f = slot_of(r, slot);
  if (f == nullptr || f->type != SF_FIELD_INT) return 0;
  *out = f->i;
  return 1;
}

int32_t h_get_float(const sf_record* r, int32_t slot, double* out) {
  const FieldValue* f = slot_of(r, slot);
  if (f == nullptr || f->type != SF_FIELD_FLOAT) return 0;
  *out = f->f;
  return 1;
}

int32_t h_get_tensor(const sf_record* r, int32_t slot, sf_tensor_view* out) {
  const FieldValue* f = slot_of(r, slot);
  if (f == nullptr || f->type != SF_FIELD_TENSOR) return 0;
  const Blob* b = f->blob;
  out->dtype = b->dtype;
  out->ndim = b->ndim;
  std::memcpy(out->shape, b->shape, sizeof(b->shape));
  out->data = const_cast<Blob*>(b)->data();
  out->nbytes = b->nbytes;
  return 1;
}

char* set_blob(sf_record* r, int32_t slot, sf_field_type type, size_t size) {
  FieldValue* f = slot_of(r, slot);
  if (f == nullptr) return nullptr;
  // Reuse the slot's own buffer when no other record shares it: a recycled record's spare (known to be
  // exclusive, its capacity kept in the slot) or a present field this record alone holds.
  const bool spare_fits = f->type == SF_FIELD_ANY && f->blob != nullptr && f->room >= size;
  if (!spare_fits && !(f->type != SF_FIELD_ANY && f->blob != nullptr && f->blob->capacity >= size &&
                       f->blob->refs.load(std::memory_order_acquire) == 1)) {
    Blob* b = Blob::make(size);
    f->reset();
    f->blob = b;
  }
  f->room = 0;
  f->type = type;
  f->i = static_cast<int64_t>(size);
  return f->blob->data();
}

void h_set_string(sf_record* r, int32_t slot, const char* data, size_t size) {
  if (char* p = set_blob(r, slot, SF_FIELD_STRING, size); p != nullptr && size > 0)
    std::memcpy(p, data, size);
}

void h_set_bytes(sf_record* r, int32_t slot, const char* data, size_t size) {
  if (char* p = set_blob(r, slot, SF_FIELD_BYTES, size); p != nullptr && size > 0) std::memcpy(p, data, size);
}

char* h_set_string_buffer(sf_record* r, int32_t slot, size_t size) {
  return set_blob(r, slot, SF_FIELD_STRING, size);
}

void h_set_int(sf_record* r, int32_t slot, int64_t v) {
  if (FieldValue* f = slot_of(r, slot)) {
    f->reset();
    f->type = SF_FIELD_INT;
    f->i = v;
  }
}

void h_set_float(sf_record* r, int32_t slot, double v) {
  if (FieldValue* f = slot_of(r, slot)) {
    f->reset();
    f->type = SF_FIELD_FLOAT;
    f->f = v;
  }
}

void* h_set_tensor(sf_record* r, int32_t slot, sf_dtype dtype, uint32_t ndim, const int64_t* shape) {
  size_t elem = 0;
  switch (dtype) {
    case SF_DTYPE_F32:
    case SF_DTYPE_I32: elem = 4; break;
    case SF_DTYPE_BF16:
    case SF_DTYPE_F16: elem = 2; break;
    case SF_DTYPE_I64: elem = 8; break;
    case SF_DTYPE_U8:
    case SF_DTYPE_I8: elem = 1; break;
    default: return nullptr;
  }
  if (ndim > SF_MAX_DIMS) return nullptr;
  size_t n = 1;
  for (uint32_t i = 0; i < ndim; ++i) {
    if (shape[i] < 0) return nullptr;
    n *= static_cast<size_t>(shape[i]);
  }
  char* p = set_blob(r, slot, SF_FIELD_TENSOR, n * elem);
  if (p == nullptr) return nullptr;
  Blob* b = r->fields[static_cast<size_t>(slot)].blob;
  b->nbytes = n * elem;
  b->dtype = dtype;
  b->ndim = ndim;
  for (uint32_t i = 0; i < ndim; ++i) b->shape[i] = shape[i];
  return p;
}

void h_clear(sf_record* r, int32_t slot) {
  if (FieldValue* f = slot_of(r, slot)) f->reset();
}

sf_record* h_emit(sf_context* ctx, const sf_record* from) {
  sf_record* r = nullptr;
  if (from == nullptr && ctx->spare != nullptr && !ctx->spare->empty()) {
    r = ctx->run->reuse_record(ctx->spare->back());
    ctx->spare->pop_back();
  } else {
    r = ctx->run->new_record(from);
  }
  if (from != nullptr) r->order = from->order;
  else if (ctx->source_order != nullptr) r->order = (*ctx->source_order)++;
  ctx->emitted->push_back(r);
  return r;
}

void h_record_drop(sf_context* ctx, sf_record* r) {
  if (r == nullptr || r->state != RecordState::kAlive) return;
  r->state = RecordState::kDropped;
  if (!ctx->splits) ctx->counters->filtered.fetch_add(1, std::memory_order_relaxed);
}

void h_record_fail(sf_context* ctx, sf_record* r, const char* reason) {
  if (r == nullptr || r->state != RecordState::kAlive) return;
  r->state = RecordState::kFailed;
  ctx->counters->skipped.fetch_add(1, std::memory_order_relaxed);
  ErrorEntry e;
  e.order = r->order;
  e.stage = ctx->stage_name;
  e.plugin = ctx->plugin;
  e.record_id = ctx->run->record_id(r);
  e.reason = reason != nullptr ? reason : "";
  ctx->run->report(std::move(e), !ctx->run->spec->skip_errors);
}

int32_t h_skip_errors(const sf_context* ctx) { return ctx->run->spec->skip_errors ? 1 : 0; }

void h_input_skipped(sf_context* ctx, const char* where, const char* reason) {
  ctx->counters->skipped.fetch_add(1, std::memory_order_relaxed);
  ErrorEntry e;
  e.order = ctx->source_order != nullptr ? *ctx->source_order : 0;
  e.stage = ctx->stage_name;
  e.plugin = ctx->plugin;
  e.where = where != nullptr ? where : "";
  e.reason = reason != nullptr ? reason : "";
  ctx->run->report(std::move(e), !ctx->run->spec->skip_errors);
}

void h_log(sf_context* ctx, int32_t level, const char* message) {
  std::lock_guard lock(ctx->run->mu);
  std::fprintf(stderr, "%s: stage '%s' (%s): %s\n", level > 0 ? "warning" : "info", ctx->stage_name,
               ctx->plugin, message);
}

void h_create_warn(sf_create_context* ctx, const char* message) {
  std::lock_guard lock(ctx->run->mu);
  const std::string text = ctx->owner + ": " + (message != nullptr ? message : "");
  if (ctx->run->create_warnings.insert(text).second) std::fprintf(stderr, "warning: %s\n", text.c_str());
}

int32_t h_cancelled(const sf_context* ctx) {
  return ctx->run->cancelled.load(std::memory_order_relaxed) ? 1 : 0;
}

}  // namespace

const sf_host* make_host_table() {
  static const sf_host table = [] {
    sf_host h{};
    h.struct_size = sizeof(sf_host);
    h.abi_major = SF_ABI_MAJOR;
    h.abi_minor = SF_ABI_MINOR;
    h.field_slot = h_field_slot;
    h.resource = h_resource;
    h.has = h_has;
    h.type_of = h_type_of;
    h.get_string = h_get_string;
    h.get_int = h_get_int;
    h.get_float = h_get_float;
    h.get_tensor = h_get_tensor;
    h.set_string = h_set_string;
    h.set_bytes = h_set_bytes;
    h.set_int = h_set_int;
    h.set_float = h_set_float;
    h.set_tensor = h_set_tensor;
    h.set_string_buffer = h_set_string_buffer;
    h.clear = h_clear;
    h.emit = h_emit;
    h.record_drop = h_record_drop;
    h.record_fail = h_record_fail;
    h.skip_errors = h_skip_errors;
    h.input_skipped = h_input_skipped;
    h.log = h_log;
    h.cancelled = h_cancelled;
    h.field_is_read = h_field_is_read;
    h.create_warn = h_create_warn;
    return h;
  }();
  return &table;
}

const sf_host* PluginHost::host_table() { return make_host_table(); }

sf_record* RunState::new_record(const sf_record* copy_from) {
  sf_record* r = copy_from != nullptr ? new sf_record(*copy_from) : new sf_record(num_slots);
  return reuse_record(r);
}

sf_record* RunState::reuse_record(sf_record* r) {
  r->state = RecordState::kAlive;
  return r;
}

void RunState::count_live(int64_t delta) {
  int64_t live = live_records.fetch_add(delta, std::memory_order_relaxed) + delta;
  int64_t peak = peak_live_records.load(std::memory_order_relaxed);
  while (live > peak && !peak_live_records.compare_exchange_weak(peak, live, std::memory_order_relaxed)) {
  }
}

void RunState::delete_record(sf_record* r) { delete r; }

void RunState::retire_record(sf_record* r) {
  for (FieldValue& f : r->fields) f.recycle();
}

std::string RunState::record_id(const sf_record* r) const {
  const FieldValue& f = r->fields[static_cast<size_t>(id_slot)];
  if (f.type == SF_FIELD_STRING) return std::string(f.blob->data(), static_cast<size_t>(f.i));
  return "#" + std::to_string(r->order + 1);
}

void RunState::report(ErrorEntry entry, bool fatal) {
  std::lock_guard lock(mu);
  entry.seq = error_seq++;
  if (fatal) {
    failures.push_back(std::move(entry));
    cancelled.store(true, std::memory_order_relaxed);
  } else {
    skipped.add(std::move(entry));
  }
}

}  // namespace seqflow::engine
