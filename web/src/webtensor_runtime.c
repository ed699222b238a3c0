// WebTensor's web runtime: the C functions web/webtensor.mjs calls.
//
// One session per loaded artifact, on a local-sync HAL device (the calling
// thread; a Web Worker in the browser). Executables load through the
// system-library loader (llvm-cpu wasm32 side modules, linked by
// dynamic_library_web.c) or, as a fallback, the VMVX loader.
//
// A model compiled with bound weights reads them as IREE parameters in scope
// "model" (runtime/parameters.py). JS copies their bytes into blobs of wasm
// memory (wt_blob_alloc, wt_blob_create), indexes them by name
// (wt_weights_add) and
// passes the index to wt_session_create, which puts IREE's io_parameters
// module into the context before the program's module.
//
// Every function returns 0 (or NULL) on failure and leaves the reason in
// wt_last_error(); JS turns that into a typed error. Shapes are checked in JS
// against the artifact's signature before a call, and IREE checks them again.

#include <string.h>

#include "iree/hal/drivers/local_sync/registration/driver_module.h"
#include "iree/io/parameter_index.h"
#include "iree/io/parameter_index_provider.h"
#include "iree/modules/io/parameters/module.h"
#include "iree/runtime/api.h"
#include "iree/vm/bytecode/module.h"

#define WT_EXPORT(name) __attribute__((export_name(#name))) name

// The reactor entry point, which JS calls once after instantiating. Without
// it wasm-ld makes a "command" module, whose every export runs the static
// constructors again, re-initializing the runtime's state on each call.
extern void __wasm_call_ctors(void);
void WT_EXPORT(_initialize)(void) { __wasm_call_ctors(); }

static char wt_error[1024];
static iree_runtime_instance_t* wt_instance = NULL;

// Keeps the message of `status` (and frees it); returns 0 for the caller to pass on.
static int wt_fail(iree_status_t status) {
  iree_host_size_t length = 0;
  if (!iree_status_format(status, sizeof(wt_error) - 1, wt_error, &length)) {
    strcpy(wt_error, "an IREE error whose message did not fit");
    length = strlen(wt_error);
  }
  wt_error[length < sizeof(wt_error) ? length : sizeof(wt_error) - 1] = 0;
  iree_status_ignore(status);
  return 0;
}

const char* WT_EXPORT(wt_last_error)(void) { return wt_error; }

void* WT_EXPORT(wt_malloc)(size_t size) { return malloc(size ? size : 1); }

void WT_EXPORT(wt_free)(void* pointer) { free(pointer); }

static iree_status_t wt_ensure_instance(void) {
  if (wt_instance) return iree_ok_status();
  iree_runtime_instance_options_t options;
  iree_runtime_instance_options_initialize(&options);
  IREE_RETURN_IF_ERROR(iree_hal_local_sync_driver_module_register(
      iree_hal_driver_registry_default()));
  iree_runtime_instance_options_use_all_available_drivers(&options);
  return iree_runtime_instance_create(&options, iree_allocator_system(),
                                      &wt_instance);
}

// Reads the artifact: its functions and their reflection attributes, which
// JS checks (target, signature) before anything of the module runs. Takes
// ownership of `data` (from wt_malloc): the module reads it in place.
iree_vm_module_t* WT_EXPORT(wt_module_create)(uint8_t* data, size_t length) {
  iree_status_t status = wt_ensure_instance();
  iree_vm_module_t* module = NULL;
  if (iree_status_is_ok(status)) {
    status = iree_vm_bytecode_module_create(
        iree_runtime_instance_vm_instance(wt_instance),
        IREE_VM_BYTECODE_MODULE_FLAG_NONE,
        iree_make_const_byte_span(data, length), iree_allocator_system(),
        iree_allocator_system(), &module);
  }
  if (!iree_status_is_ok(status)) {
    free(data);
    wt_fail(status);
    return NULL;
  }
  return module;
}

void WT_EXPORT(wt_module_release)(iree_vm_module_t* module) {
  iree_vm_module_release(module);
}

int WT_EXPORT(wt_function_count)(iree_vm_module_t* module) {
  return (int)iree_vm_module_signature(module).export_function_count;
}

static int wt_function_at(iree_vm_module_t* module, int ordinal,
                          iree_vm_function_t* out_function) {
  iree_status_t status = iree_vm_module_lookup_function_by_ordinal(
      module, IREE_VM_FUNCTION_LINKAGE_EXPORT, ordinal, out_function);
  return iree_status_is_ok(status) ? 1 : wt_fail(status);
}

// The function's name; its length goes to *out_length.
const char* WT_EXPORT(wt_function_name)(iree_vm_module_t* module, int ordinal,
                                        size_t* out_length) {
  iree_vm_function_t function;
  if (!wt_function_at(module, ordinal, &function)) return NULL;
  iree_string_view_t name = iree_vm_function_name(&function);
  *out_length = name.size;
  return name.data;
}

// The function's reflection attribute `key` (its signature is
// "webtensor.signature"), or NULL with *out_length 0 if it has none.
const char* WT_EXPORT(wt_function_attr)(iree_vm_module_t* module, int ordinal,
                                        const char* key, size_t* out_length) {
  iree_vm_function_t function;
  *out_length = 0;
  if (!wt_function_at(module, ordinal, &function)) return NULL;
  iree_string_view_t value = iree_vm_function_lookup_attr_by_name(
      &function, iree_make_cstring_view(key));
  *out_length = value.size;
  return value.size ? value.data : NULL;
}

// The parameter scope every compiled weight lives in (runtime/parameters.py).
#define WT_PARAMETER_SCOPE "model"

// Memory for `length` bytes of a blob, aligned as the HAL's heap buffers
// are: the parameter provider then imports each weight in place as the
// device's buffer instead of copying it (it tries, and needs that alignment),
// so a weight's bytes sit in wasm memory once.
uint8_t* WT_EXPORT(wt_blob_alloc)(size_t length) {
  void* data = NULL;
  iree_status_t status = iree_allocator_malloc_aligned(
      iree_allocator_system(), length ? length : 1,
      IREE_HAL_HEAP_BUFFER_ALIGNMENT, 0, &data);
  return iree_status_is_ok(status) ? (uint8_t*)data : (wt_fail(status), NULL);
}

static void wt_blob_free(void* user_data,
                         iree_io_file_handle_primitive_t primitive) {
  iree_allocator_free_aligned(iree_allocator_system(), user_data);
}

// A read-only IREE file handle on `length` bytes at `data` (from
// wt_blob_alloc), which it owns: they are freed when the last entry or
// buffer that reads them goes.
iree_io_file_handle_t* WT_EXPORT(wt_blob_create)(uint8_t* data,
                                                 size_t length) {
  iree_io_file_handle_release_callback_t release = {wt_blob_free, data};
  iree_io_file_handle_t* handle = NULL;
  iree_status_t status = iree_io_file_handle_wrap_host_allocation(
      IREE_IO_FILE_ACCESS_READ, iree_make_byte_span(data, length), release,
      iree_allocator_system(), &handle);
  if (!iree_status_is_ok(status)) {
    iree_allocator_free_aligned(iree_allocator_system(), data);
    wt_fail(status);
    return NULL;
  }
  return handle;
}

void WT_EXPORT(wt_blob_release)(iree_io_file_handle_t* handle) {
  iree_io_file_handle_release(handle);
}

iree_io_parameter_index_t* WT_EXPORT(wt_weights_create)(void) {
  iree_io_parameter_index_t* index = NULL;
  iree_status_t status =
      iree_io_parameter_index_create(iree_allocator_system(), &index);
  return iree_status_is_ok(status) ? index : (wt_fail(status), NULL);
}

void WT_EXPORT(wt_weights_release)(iree_io_parameter_index_t* index) {
  iree_io_parameter_index_release(index);
}

// Indexes the weight `name` as `length` bytes at `offset` in `blob`.
int WT_EXPORT(wt_weights_add)(iree_io_parameter_index_t* index,
                              const char* name, size_t name_length,
                              iree_io_file_handle_t* blob, size_t offset,
                              size_t length) {
  iree_io_parameter_index_entry_t entry = {
      .key = iree_make_string_view(name, name_length),
      .length = length,
      .type = IREE_IO_PARAMETER_INDEX_ENTRY_STORAGE_TYPE_FILE,
      .storage.file = {.handle = blob, .offset = offset},
  };
  iree_status_t status = iree_io_parameter_index_add(index, &entry);
  return iree_status_is_ok(status) ? 1 : wt_fail(status);
}

// Appends IREE's io_parameters module, reading `index` as scope "model".
static iree_status_t wt_append_parameters(iree_runtime_session_t* session,
                                          iree_io_parameter_index_t* index) {
  iree_allocator_t allocator = iree_allocator_system();
  iree_io_parameter_provider_t* provider = NULL;
  IREE_RETURN_IF_ERROR(iree_io_parameter_index_provider_create(
      iree_make_cstring_view(WT_PARAMETER_SCOPE), index,
      IREE_IO_PARAMETER_INDEX_PROVIDER_DEFAULT_MAX_CONCURRENT_OPERATIONS,
      allocator, &provider));
  iree_vm_module_t* module = NULL;
  iree_status_t status = iree_io_parameters_module_create(
      iree_runtime_instance_vm_instance(wt_instance), 1, &provider, allocator,
      &module);
  iree_io_parameter_provider_release(provider);
  if (iree_status_is_ok(status)) {
    status = iree_runtime_session_append_module(session, module);
  }
  iree_vm_module_release(module);
  return status;
}

typedef struct wt_session_t {
  iree_runtime_session_t* session;
  iree_vm_module_t* module;  // retained
} wt_session_t;

// A session on a new local-sync device with `module` in its context, after
// the parameter module on `weights` if the model reads any (else NULL); this
// runs the module's initializer, which loads the weights.
wt_session_t* WT_EXPORT(wt_session_create)(iree_vm_module_t* module,
                                           iree_io_parameter_index_t* weights) {
  iree_hal_device_t* device = NULL;
  iree_status_t status = iree_runtime_instance_try_create_default_device(
      wt_instance, iree_make_cstring_view("local-sync"), &device);
  wt_session_t* session = NULL;
  if (iree_status_is_ok(status)) {
    session = (wt_session_t*)calloc(1, sizeof(*session));
    if (!session) status = iree_make_status(IREE_STATUS_RESOURCE_EXHAUSTED);
  }
  if (iree_status_is_ok(status)) {
    iree_runtime_session_options_t options;
    iree_runtime_session_options_initialize(&options);
    status = iree_runtime_session_create_with_device(
        wt_instance, &options, device,
        iree_runtime_instance_host_allocator(wt_instance), &session->session);
  }
  iree_hal_device_release(device);
  if (iree_status_is_ok(status) && weights) {
    status = wt_append_parameters(session->session, weights);
  }
  if (iree_status_is_ok(status)) {
    status = iree_runtime_session_append_module(session->session, module);
  }
  if (!iree_status_is_ok(status)) {
    if (session) iree_runtime_session_release(session->session);
    free(session);
    wt_fail(status);
    return NULL;
  }
  iree_vm_module_retain(module);
  session->module = module;
  return session;
}

void WT_EXPORT(wt_session_destroy)(wt_session_t* session) {
  if (!session) return;
  iree_runtime_session_release(session->session);
  iree_vm_module_release(session->module);
  free(session);
}

typedef struct wt_call_t {
  wt_session_t* session;
  iree_runtime_call_t call;
  iree_hal_buffer_view_t* result;  // the result last read by wt_call_result
} wt_call_t;

wt_call_t* WT_EXPORT(wt_call_create)(wt_session_t* session, int ordinal) {
  iree_vm_function_t function;
  if (!wt_function_at(session->module, ordinal, &function)) return NULL;
  wt_call_t* call = (wt_call_t*)calloc(1, sizeof(*call));
  if (!call) {
    return wt_fail(iree_make_status(IREE_STATUS_RESOURCE_EXHAUSTED)), NULL;
  }
  call->session = session;
  iree_status_t status =
      iree_runtime_call_initialize(session->session, function, &call->call);
  if (!iree_status_is_ok(status)) {
    free(call);
    wt_fail(status);
    return NULL;
  }
  return call;
}

void WT_EXPORT(wt_call_destroy)(wt_call_t* call) {
  if (!call) return;
  iree_hal_buffer_view_release(call->result);
  iree_runtime_call_deinitialize(&call->call);
  free(call);
}

// Copies `length` bytes at `data` into a fresh device buffer of `shape` and
// pushes it as the call's next argument.
int WT_EXPORT(wt_call_push)(wt_call_t* call, uint32_t element_type, int rank,
                            const int32_t* shape, const void* data,
                            size_t length) {
  iree_hal_dim_t dims[16];
  if (rank < 0 || rank > 16) {
    return wt_fail(iree_make_status(IREE_STATUS_INVALID_ARGUMENT,
                                    "rank %d is above 16", rank));
  }
  for (int i = 0; i < rank; ++i) dims[i] = (iree_hal_dim_t)shape[i];
  iree_runtime_session_t* session = call->session->session;
  iree_hal_buffer_params_t params = {
      .type = IREE_HAL_MEMORY_TYPE_DEVICE_LOCAL,
      .usage = IREE_HAL_BUFFER_USAGE_DEFAULT,
  };
  iree_hal_buffer_view_t* view = NULL;
  iree_status_t status = iree_hal_buffer_view_allocate_buffer_copy(
      iree_runtime_session_device(session),
      iree_runtime_session_device_allocator(session), rank, dims, element_type,
      IREE_HAL_ENCODING_TYPE_DENSE_ROW_MAJOR, params,
      iree_make_const_byte_span(data, length), &view);
  if (iree_status_is_ok(status)) {
    status = iree_runtime_call_inputs_push_back_buffer_view(&call->call, view);
  }
  iree_hal_buffer_view_release(view);
  return iree_status_is_ok(status) ? 1 : wt_fail(status);
}

int WT_EXPORT(wt_call_invoke)(wt_call_t* call) {
  iree_status_t status = iree_runtime_call_invoke(&call->call, 0);
  return iree_status_is_ok(status) ? 1 : wt_fail(status);
}

// Takes the next result. Its element type, rank and dims (up to 16) go to
// `out_info` = [element_type, rank, dim0, ...]; returns its byte length, or
// -1 on failure. wt_call_read copies its bytes out.
int WT_EXPORT(wt_call_next_result)(wt_call_t* call, int32_t* out_info) {
  iree_hal_buffer_view_release(call->result);
  call->result = NULL;
  iree_status_t status =
      iree_runtime_call_outputs_pop_front_buffer_view(&call->call,
                                                      &call->result);
  if (!iree_status_is_ok(status)) return wt_fail(status), -1;
  iree_host_size_t rank = iree_hal_buffer_view_shape_rank(call->result);
  if (rank > 16) {
    return wt_fail(iree_make_status(IREE_STATUS_UNIMPLEMENTED,
                                    "a result of rank %d", (int)rank)),
           -1;
  }
  out_info[0] = (int32_t)iree_hal_buffer_view_element_type(call->result);
  out_info[1] = (int32_t)rank;
  for (iree_host_size_t i = 0; i < rank; ++i) {
    out_info[2 + i] = (int32_t)iree_hal_buffer_view_shape_dim(call->result, i);
  }
  return (int)iree_hal_buffer_view_byte_length(call->result);
}

int WT_EXPORT(wt_call_read)(wt_call_t* call, void* target, size_t length) {
  iree_status_t status = iree_hal_device_transfer_d2h(
      iree_runtime_session_device(call->session->session),
      iree_hal_buffer_view_buffer(call->result), 0, target, length,
      IREE_HAL_TRANSFER_BUFFER_FLAG_DEFAULT, iree_infinite_timeout());
  return iree_status_is_ok(status) ? 1 : wt_fail(status);
}
