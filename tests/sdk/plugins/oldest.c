/*
 * seqflow_oldest: a plugin written in plain C against the OLDEST supported ABI (1.0), using the frozen
 * header in tests/sdk/abi_1_0 and no SDK, as a binary built years ago would be. The host must keep
 * loading it: its structs are the smallest `struct_size`s the host has to accept.
 *
 *   oldest.reverse  transform: writes the bytes of a string field in reverse order.
 *
 * Threading: an instance only holds two slot numbers, so it is thread-safe.
 */
#include "plugin_abi.h"

#if SF_ABI_MAJOR != 1 || SF_ABI_MINOR != 0
#error "tests/sdk/abi_1_0/plugin_abi.h must stay the frozen ABI 1.0 header"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const sf_host* g_host = NULL;

typedef struct reverse_instance {
  int32_t input;
  int32_t output;
} reverse_instance;

static sf_status fail(sf_error* err, sf_status code, const char* message) {
  snprintf(err->message, sizeof(err->message), "%s", message);
  return code;
}

static const sf_value* table_get(const sf_value* table, const char* key) {
  size_t i;
  if (table == NULL || table->kind != SF_VALUE_TABLE) return NULL;
  for (i = 0; i < table->size; ++i) {
    if (strcmp(table->keys[i], key) == 0) return &table->items[i];
  }
  return NULL;
}

/* Resolves the field named by FIELD parameter `param` to its slot. */
static sf_status field_of(const sf_create_args* args, const char* param, int32_t* slot, sf_error* err) {
  char message[256];
  const sf_value* v = table_get(args->params, param);
  if (v == NULL || v->kind != SF_VALUE_STRING) {
    snprintf(message, sizeof(message), "oldest.reverse: parameter '%s' is missing", param);
    return fail(err, SF_ERR_INVALID, message);
  }
  *slot = g_host->field_slot(args->ctx, v->s);
  if (*slot < 0) {
    snprintf(message, sizeof(message), "oldest.reverse: field '%s' is not part of this pipeline", v->s);
    return fail(err, SF_ERR_INVALID, message);
  }
  return SF_OK;
}

static sf_status reverse_create(const sf_create_args* args, void** instance, sf_error* err) {
  reverse_instance self;
  sf_status status = field_of(args, "input", &self.input, err);
  if (status != SF_OK) return status;
  status = field_of(args, "output", &self.output, err);
  if (status != SF_OK) return status;
  *instance = malloc(sizeof(self));
  if (*instance == NULL) return fail(err, SF_ERR_INTERNAL, "out of memory");
  memcpy(*instance, &self, sizeof(self));
  return SF_OK;
}

static void reverse_destroy(void* instance) { free(instance); }

static sf_status reverse_process(void* instance, sf_context* ctx, sf_record* const* records, uint32_t count,
                                 sf_error* err) {
  const reverse_instance* self = (const reverse_instance*)instance;
  uint32_t r;
  for (r = 0; r < count; ++r) {
    const char* data = NULL;
    size_t size = 0;
    size_t i;
    char* reversed;
    if (!g_host->get_string(records[r], self->input, &data, &size)) {
      g_host->record_fail(ctx, records[r], "oldest.reverse: input field is missing or not a string");
      continue;
    }
    /* Copied first: `data` is invalidated when the output field (possibly the same one) is written. */
    reversed = (char*)malloc(size > 0 ? size : 1);
    if (reversed == NULL) return fail(err, SF_ERR_INTERNAL, "out of memory");
    for (i = 0; i < size; ++i) reversed[i] = data[size - 1 - i];
    g_host->set_string(records[r], self->output, reversed, size);
    free(reversed);
  }
  return SF_OK;
}

static sf_status reverse_finish(void* instance, sf_context* ctx, sf_error* err) {
  (void)instance;
  (void)ctx;
  (void)err;
  return SF_OK;
}

static const sf_param_decl reverse_params[] = {
    {sizeof(sf_param_decl), "input", SF_PARAM_FIELD, 0, "\"text\"", "String field to reverse.", NULL, NULL},
    {sizeof(sf_param_decl), "output", SF_PARAM_FIELD, 0, "\"text\"", "String field to write.", NULL, NULL},
};

static const sf_field_decl reverse_fields[] = {
    {sizeof(sf_field_decl), "input", "text", SF_READ, SF_FIELD_STRING, SF_DTYPE_ANY, 0, "text to reverse"},
    {sizeof(sf_field_decl), "output", "text", SF_WRITE, SF_FIELD_STRING, SF_DTYPE_ANY, 0, "reversed text"},
};

static const sf_component reverse_component = {
    sizeof(sf_component),
    "reverse",
    "Writes the bytes of a string field in reverse order.",
    "[[stage]]\nname = \"rev\"\nplugin = \"oldest.reverse\"\n",
    SF_TRANSFORM,
    SF_FLAG_THREAD_SAFE,
    0,
    sizeof(reverse_params) / sizeof(reverse_params[0]),
    reverse_params,
    sizeof(reverse_fields) / sizeof(reverse_fields[0]),
    reverse_fields,
    reverse_create,
    reverse_destroy,
    NULL,
    reverse_process,
    reverse_finish,
};

static const sf_component* const components[] = {&reverse_component};

static sf_status module_init(const sf_host* host, sf_error* err) {
  if (host == NULL || host->abi_major != 1) {
    return fail(err, SF_ERR_UNSUPPORTED, "seqflow_oldest needs a host with plugin ABI 1.x");
  }
  g_host = host;
  return SF_OK;
}

static const sf_module module = {
    SF_ABI_MAGIC,
    SF_ABI_MAJOR,
    SF_ABI_MINOR,
    sizeof(sf_module),
    "oldest",
    "1.0.0",
    "Test plugin: plain C against the frozen ABI 1.0 header.",
    1,
    components,
    0,
    NULL,
    module_init,
};

__attribute__((visibility("default"))) const sf_module* seqflow_plugin_entry(uint32_t host_abi_major,
                                                                             uint32_t host_abi_minor) {
  (void)host_abi_major;
  (void)host_abi_minor;
  return &module;
}
