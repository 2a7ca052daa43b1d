/*
 * seqflow caller interface: how a stage exchanges records with the program that embeds seqflow.
 *
 * What it is: an interface (sf_interface, as resources provide) that the host itself provides under the
 * reserved resource name "@caller" to the stages that a program feeds or drains (the C++ embedding API
 * seqflow/embed.hpp, the Python package). The `embed` module's embed.input and embed.output use it;
 * any source or sink may. It needs no new ABI: a stage asks for it with sf_host.resource at create time.
 *
 * Lifecycle: look it up in create (SF_ERR_INVALID with a message when no program is attached to this
 * stage, as under `seqflow run`); use it in read / process; the object lives as long as the run.
 * Threading: read from the source's calls, write from the sink's calls (one at a time each).
 * Ownership: the host owns the queues and the records. Tensors cross without copies: a pushed tensor's
 * payload moves into the record, a pulled one is shared by reference count.
 * Errors: sf_status with the message in err.
 */
#ifndef SEQFLOW_CALLER_H
#define SEQFLOW_CALLER_H

#include <seqflow/plugin_abi.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SF_CALLER_RESOURCE "@caller"
#define SF_CALLER_INTERFACE "seqflow.caller"
#define SF_CALLER_VERSION 1u

typedef struct sf_caller_vtable {
  uint32_t struct_size;
  /* A source: emits (sf_host.emit semantics) up to `max_records` records that the program pushed, in push
     order, and stores how many in `*emitted`. With `wait` = 1 it blocks until at least one is there.
     SF_END once the program closed its input and every record was read, or the run is being cancelled. */
  sf_status (*read)(void* object, sf_context* ctx, uint32_t max_records, int32_t wait, uint32_t* emitted,
                    sf_error* err);
  /* A sink: hands `records` (their fields by name) to the program, in order; blocks while the program's
     queue is full (backpressure). Records are dropped once the run is being cancelled. */
  sf_status (*write)(void* object, sf_context* ctx, sf_record* const* records, uint32_t count, sf_error* err);
} sf_caller_vtable;

#ifdef __cplusplus
}
#endif

#endif /* SEQFLOW_CALLER_H */
