/*
 * seqflow plugin ABI: the C boundary between the engine (host) and plugin modules.
 *
 * What it is: plain C structs and function tables. A module is a shared library that exports exactly one
 * symbol, `seqflow_plugin_entry`, returning a static `sf_module` that describes its components (stages)
 * and resource types. Nothing else crosses: no C++ types, no exceptions, no RTTI, no host symbols linked
 * by the plugin (the host passes its function table, `sf_host`, to `sf_module.init`).
 *
 * Versioning: `sf_module` starts with a magic number and the ABI major/minor the plugin was built with.
 * The major must equal the host's; the minor is negotiated: each side reads only the fields that both
 * know, which `struct_size` (the first member of every struct that crosses) tells. New fields are only
 * ever appended. A plugin built for another major is refused with a message naming its file.
 * History: 1.0 the first; 1.1 appends sf_host.field_is_read (a source may skip fields nobody reads);
 * 1.2 appends sf_error.param (the parameter a create() failure concerns, so the host can point at its
 * line and column), sf_host.create_warn (a warning at create time, e.g. input keys a reader ignores),
 * sf_create_args.shard_* (the shard a source reads when the run is split by file or by bytes) and the
 * flags SF_FLAG_SHARDS_FILES / SF_FLAG_SHARDS_BYTES (a source that can read such a shard alone).
 *
 * Lifecycle: entry -> init(host) once per process -> for each stage: create -> (read | process)* ->
 * finish -> destroy. Resources: create once per pipeline, shared read-only by stages, destroyed after
 * every stage. Modules are never unloaded while the process runs.
 *
 * Threading: metadata is immutable. `create`/`destroy` may run on any thread. An instance is used by one
 * thread at a time unless its component sets SF_FLAG_THREAD_SAFE; the engine keeps a pool of per-worker
 * instances otherwise. Resource objects must be safe for concurrent read-only use.
 *
 * Ownership: the host owns records, field storage and parameter values; pointers the host hands out are
 * valid for the duration of the call that received them (field data: until the field is next written).
 * The plugin owns its instances and its static metadata.
 *
 * Errors: every call returns sf_status; on failure the plugin writes a message into the `sf_error` it was
 * given. Per-record failures in a batch are reported with `sf_host.record_fail` and do not stop the call.
 */
#ifndef SEQFLOW_PLUGIN_ABI_H
#define SEQFLOW_PLUGIN_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SF_ABI_MAGIC 0x53514657u /* "SQFW" */
#define SF_ABI_MAJOR 1u
#define SF_ABI_MINOR 2u
#define SF_ENTRY_SYMBOL "seqflow_plugin_entry"
#define SF_MAX_DIMS 8
#define SF_ERROR_CAPACITY 2048
#define SF_PARAM_NAME_CAPACITY 64

typedef int32_t sf_status;
enum {
  SF_OK = 0,
  SF_END = 1,             /* a source has no more records */
  SF_ERR_INVALID = 2,     /* bad parameter or input */
  SF_ERR_IO = 3,          /* file system or stream failure */
  SF_ERR_UNSUPPORTED = 4, /* the request needs something this build lacks */
  SF_ERR_INTERNAL = 5     /* a bug or an unexpected exception */
};

/* Filled by the plugin when a call fails. */
typedef struct sf_error {
  uint32_t struct_size;
  char message[SF_ERROR_CAPACITY];
  /* ABI 1.2 (write only when struct_size covers it): the declared parameter a create() failure is about,
     NUL-terminated, "" when none; the host then reports the failure at that parameter's position. */
  char param[SF_PARAM_NAME_CAPACITY];
} sf_error;

typedef enum sf_field_type {
  SF_FIELD_STRING = 0,
  SF_FIELD_BYTES = 1,
  SF_FIELD_INT = 2,
  SF_FIELD_FLOAT = 3,
  SF_FIELD_TENSOR = 4,
  SF_FIELD_ANY = 255 /* only in declarations: accepts every type */
} sf_field_type;

typedef enum sf_dtype {
  SF_DTYPE_F32 = 0,
  SF_DTYPE_BF16 = 1,
  SF_DTYPE_F16 = 2,
  SF_DTYPE_I64 = 3,
  SF_DTYPE_I32 = 4,
  SF_DTYPE_U8 = 5,
  SF_DTYPE_I8 = 6,
  SF_DTYPE_ANY = 255 /* only in declarations */
} sf_dtype;

/* A read-only view of a tensor; data is contiguous, row-major. */
typedef struct sf_tensor_view {
  uint32_t struct_size;
  sf_dtype dtype;
  uint32_t ndim;
  int64_t shape[SF_MAX_DIMS];
  const void* data;
  size_t nbytes;
} sf_tensor_view;

/* ---- parameter values: a plain tree converted from TOML by the host ---- */
typedef enum sf_value_kind {
  SF_VALUE_NONE = 0,
  SF_VALUE_BOOL = 1,
  SF_VALUE_INT = 2,
  SF_VALUE_FLOAT = 3,
  SF_VALUE_STRING = 4,
  SF_VALUE_ARRAY = 5,
  SF_VALUE_TABLE = 6
} sf_value_kind;

typedef struct sf_value sf_value;
struct sf_value {
  sf_value_kind kind;
  int64_t i;
  double f;
  const char* s;           /* NUL-terminated; STRING */
  size_t size;             /* string length, element count or key count */
  const sf_value* items;   /* ARRAY elements, TABLE values */
  const char* const* keys; /* TABLE keys */
};

typedef enum sf_param_type {
  SF_PARAM_BOOL = 0,
  SF_PARAM_INT = 1,
  SF_PARAM_FLOAT = 2, /* an int literal is accepted */
  SF_PARAM_STRING = 3,
  SF_PARAM_PATH = 4, /* string; the host resolves it against the pipeline file's folder */
  SF_PARAM_STRING_LIST = 5,
  SF_PARAM_PATH_LIST = 6,
  SF_PARAM_TABLE = 7,       /* free-form table, checked by the plugin */
  SF_PARAM_ARRAY = 8,       /* free-form array, checked by the plugin */
  SF_PARAM_RESOURCE = 9,    /* name of a [resources.X] entry providing `interface` */
  SF_PARAM_FIELD = 10,      /* a record field name */
  SF_PARAM_FIELD_LIST = 11, /* record field names */
  SF_PARAM_FIELD_TABLE = 12 /* { name = "type" } with types string|bytes|int|float|tensor[:dtype] */
} sf_param_type;

typedef struct sf_param_decl {
  uint32_t struct_size;
  const char* name;
  sf_param_type type;
  int32_t required;         /* 1: no default */
  const char* default_toml; /* default as a TOML value literal ("64", "\"fail\"", "[]"), NULL if required */
  const char* doc;
  const char* choices;   /* for strings: "a|b|c", or NULL */
  const char* interface; /* for SF_PARAM_RESOURCE: interface name required */
} sf_param_decl;

typedef enum sf_access { SF_READ = 1, SF_WRITE = 2 } sf_access;

/* A record field a component reads or writes. The field's name is the value of parameter `param`
 * (a FIELD, FIELD_LIST or FIELD_TABLE parameter) or, when `param` is NULL, the fixed `name`. */
typedef struct sf_field_decl {
  uint32_t struct_size;
  const char* param;
  const char* name;
  sf_access access;
  sf_field_type type; /* ignored for FIELD_TABLE parameters, which carry their own types */
  sf_dtype dtype;     /* for tensors */
  int32_t optional;   /* 1: a read field that may be absent upstream (the component checks) */
  const char* doc;
} sf_field_decl;

typedef enum sf_component_kind { SF_SOURCE = 0, SF_TRANSFORM = 1, SF_SINK = 2 } sf_component_kind;

enum {
  SF_FLAG_THREAD_SAFE = 1u << 0, /* one instance may serve concurrent calls */
  SF_FLAG_BATCH = 1u << 1,       /* accepts engine-made batches (the `batch` stage key) */
  SF_FLAG_FILTERS = 1u << 2,     /* may drop records (host.record_drop) */
  SF_FLAG_SPLITS = 1u << 3,      /* replaces records with zero or more new ones (host.emit) */
  SF_FLAG_SERIAL = 1u << 4,      /* must see records one call at a time, in order */
  /* ABI 1.2, sources only: can read shard shard_index of shard_count alone when the run is split ... */
  SF_FLAG_SHARDS_FILES = 1u << 5, /* ... by whole input files (balanced by size, in input order) */
  SF_FLAG_SHARDS_BYTES = 1u << 6  /* ... by byte ranges of its inputs, resynchronised on a record */
};

/* ABI 1.2: how a run is split into shards (sf_create_args.shard_by). */
typedef enum sf_shard_by {
  SF_SHARD_RECORD = 0, /* the engine keeps positions shard_index, +shard_count, ...: the source reads all */
  SF_SHARD_FILE = 1,   /* the source reads only its share of whole files */
  SF_SHARD_BYTES = 2   /* the source reads only its byte range of the concatenated inputs */
} sf_shard_by;

/* ---- opaque host objects ---- */
typedef struct sf_record sf_record;   /* one record */
typedef struct sf_context sf_context; /* one call's context: emitter, error policy, stage identity */
typedef struct sf_create_context sf_create_context;

/* Interface of a resource, looked up by name; `vtable` layout is defined by the interface's own header. */
typedef struct sf_interface {
  uint32_t struct_size;
  const char* name;
  uint32_t version;
  const void* vtable;
} sf_interface;

typedef struct sf_create_args {
  uint32_t struct_size;
  const sf_value* params; /* TABLE with every declared parameter, defaults applied, paths resolved */
  sf_create_context* ctx; /* for host.field_slot / host.resource */
  const char* stage_name;
  const char* pipeline_dir;
  uint32_t worker_index;     /* which per-worker instance this is */
  uint32_t intra_op_threads; /* threads the instance may use inside one call */
  /* ABI 1.2 (read only when struct_size covers them). For a source: the shard of the run it reads, 0 of 1
     when the run is not split or is split by record (the engine then drops the other positions). */
  uint32_t shard_index;
  uint32_t shard_count;
  uint32_t shard_by; /* sf_shard_by */
} sf_create_args;

typedef struct sf_component {
  uint32_t struct_size;
  const char* name; /* component name within the module: "lines_read" */
  const char* doc;
  const char* example; /* a [[stage]] TOML snippet */
  sf_component_kind kind;
  uint32_t flags;
  int32_t default_concurrency; /* 0: unlimited, 1: serial, N */
  uint32_t num_params;
  const sf_param_decl* params;
  uint32_t num_fields;
  const sf_field_decl* fields;

  sf_status (*create)(const sf_create_args* args, void** instance, sf_error* err);
  void (*destroy)(void* instance);
  /* SF_SOURCE: emit up to `max_records` records with host.emit; return SF_END when exhausted. */
  sf_status (*read)(void* instance, sf_context* ctx, uint32_t max_records, sf_error* err);
  /* SF_TRANSFORM and SF_SINK: `records` are in input order (unless batched by length). */
  sf_status (*process)(void* instance, sf_context* ctx, sf_record* const* records, uint32_t count,
                       sf_error* err);
  /* Called once on each instance after the last record when the run succeeds (a writer commits). */
  sf_status (*finish)(void* instance, sf_context* ctx, sf_error* err);
} sf_component;

typedef struct sf_resource_type {
  uint32_t struct_size;
  const char* name; /* within the module: "model" */
  const char* doc;
  const char* example;
  uint32_t num_params;
  const sf_param_decl* params;
  uint32_t num_interfaces;
  const char* const* interfaces; /* names of the interfaces it provides */
  sf_status (*create)(const sf_create_args* args, void** object, sf_error* err);
  void (*destroy)(void* object);
  /* Fill `out` with interface `name` at `min_version` or later; SF_ERR_UNSUPPORTED if absent. */
  sf_status (*get_interface)(void* object, const char* name, uint32_t min_version, sf_interface* out);
} sf_resource_type;

/* The host's function table, handed to sf_module.init. Appended to, never reordered. */
typedef struct sf_host {
  uint32_t struct_size;
  uint32_t abi_major;
  uint32_t abi_minor;
  /* create time */
  int32_t (*field_slot)(sf_create_context* ctx, const char* name); /* -1 if unknown */
  sf_status (*resource)(sf_create_context* ctx, const char* resource_name, const char* interface,
                        uint32_t min_version, sf_interface* out, void** object, sf_error* err);
  /* field access; slot from field_slot */
  int32_t (*has)(const sf_record* r, int32_t slot);
  sf_field_type (*type_of)(const sf_record* r, int32_t slot);
  int32_t (*get_string)(const sf_record* r, int32_t slot, const char** data,
                        size_t* size); /* string or bytes */
  int32_t (*get_int)(const sf_record* r, int32_t slot, int64_t* out);
  int32_t (*get_float)(const sf_record* r, int32_t slot, double* out);
  int32_t (*get_tensor)(const sf_record* r, int32_t slot, sf_tensor_view* out);
  void (*set_string)(sf_record* r, int32_t slot, const char* data, size_t size);
  void (*set_bytes)(sf_record* r, int32_t slot, const char* data, size_t size);
  void (*set_int)(sf_record* r, int32_t slot, int64_t v);
  void (*set_float)(sf_record* r, int32_t slot, double v);
  /* Allocates an uninitialised tensor of `dtype`/`shape` in the field and returns its data pointer. */
  void* (*set_tensor)(sf_record* r, int32_t slot, sf_dtype dtype, uint32_t ndim, const int64_t* shape);
  /* Writable string buffer of `size` bytes in the field (avoids a copy for large strings). */
  char* (*set_string_buffer)(sf_record* r, int32_t slot, size_t size);
  void (*clear)(sf_record* r, int32_t slot);
  /* record flow */
  sf_record* (*emit)(sf_context* ctx, const sf_record* copy_fields_from); /* new record, appended */
  void (*record_drop)(sf_context* ctx, sf_record* r);                     /* filtered out, counted */
  void (*record_fail)(sf_context* ctx, sf_record* r, const char* reason); /* per the error policy */
  /* 1 when the pipeline's on_error is "skip": a reader may report a bad input record and go on. */
  int32_t (*skip_errors)(const sf_context* ctx);
  /* A reader's bad input under "skip": logged with the stage name, counted as skipped. */
  void (*input_skipped)(sf_context* ctx, const char* where, const char* reason);
  void (*log)(sf_context* ctx, int32_t level, const char* message); /* 0 info, 1 warning */
  /* Set once the run is being cancelled; long calls should return early. */
  int32_t (*cancelled)(const sf_context* ctx);
  /* ABI 1.1 (check struct_size before use). Create time: 1 when some stage of the pipeline (or the
     engine, for batch lengths and record ids) reads field `name`, 0 when none does, so that a source
     may skip filling it. */
  int32_t (*field_is_read)(sf_create_context* ctx, const char* name);
  /* ABI 1.2 (check struct_size before use). Create time: a warning about this stage or resource (input
     keys a reader will ignore, say), shown by `validate` and `run` with the stage's name. */
  void (*create_warn)(sf_create_context* ctx, const char* message);
} sf_host;

typedef struct sf_module {
  uint32_t magic;
  uint32_t abi_major;
  uint32_t abi_minor;
  uint32_t struct_size;
  const char* name; /* must equal the file's module name: seqflow_<name>.so */
  const char* version;
  const char* doc;
  uint32_t num_components;
  const sf_component* const* components;
  uint32_t num_resources;
  const sf_resource_type* const* resources;
  /* Called once, before any create; the table outlives the module. */
  sf_status (*init)(const sf_host* host, sf_error* err);
} sf_module;

/* The one exported symbol. `host_abi_major/minor` let a plugin refuse politely or adapt. */
typedef const sf_module* (*sf_entry_fn)(uint32_t host_abi_major, uint32_t host_abi_minor);

#ifdef __cplusplus
}
#endif

#endif /* SEQFLOW_PLUGIN_ABI_H */
