// iree_dynamic_library_* for the web: what lets IREE's system-library loader
// run llvm-cpu executables compiled for wasm32 ("system-wasm-wasm_32").
//
// Such an executable is a wasm side module (PIC, `--experimental-pic
// --shared`): it imports the runtime's memory and function table and the
// bases at which to place its data and functions. C cannot instantiate a wasm
// module, so the loading is done by JS (web/runtime_imports.mjs): it reserves
// the module's data in this memory, grows the table, instantiates the module,
// applies its relocations and hands back table indices for its exports.
// To C, a table index is a function pointer: the loader calls
// iree_hal_executable_library_query through it and dispatches through the
// pointers the library returns, all with call_indirect on the one table.
//
// IREE has posix and win32 versions of this file and none for the web; this
// one takes their place, with the same API (dynamic_library.h).

#include <stdlib.h>
#include <string.h>

#include "iree/base/internal/atomics.h"
#include "iree/base/internal/dynamic_library.h"

#define WT_IMPORT(name) \
  __attribute__((import_module("webtensor"), import_name(#name)))

// Instantiates the side module in [data, data + length); returns its handle
// (> 0), or 0 with the reason in the JS runtime's last error.
WT_IMPORT(side_module_load)
int32_t wt_side_module_load(const void* data, size_t length);
// The table index of export `name` of module `handle`, or 0 if it has none.
WT_IMPORT(side_module_lookup)
int32_t wt_side_module_lookup(int32_t handle, const char* name, size_t length);
WT_IMPORT(side_module_unload)
void wt_side_module_unload(int32_t handle);

struct iree_dynamic_library_t {
  iree_atomic_ref_count_t ref_count;
  iree_allocator_t allocator;
  int32_t handle;
};

iree_status_t iree_dynamic_library_load_from_file(
    const char* file_path, iree_dynamic_library_flags_t flags,
    iree_allocator_t allocator, iree_dynamic_library_t** out_library) {
  return iree_make_status(IREE_STATUS_UNAVAILABLE,
                          "the web runtime has no files; load from memory");
}

iree_status_t iree_dynamic_library_load_from_files(
    iree_host_size_t search_path_count, const char* const* search_paths,
    iree_dynamic_library_flags_t flags, iree_allocator_t allocator,
    iree_dynamic_library_t** out_library) {
  return iree_dynamic_library_load_from_file(NULL, flags, allocator,
                                             out_library);
}

iree_status_t iree_dynamic_library_load_from_memory(
    iree_string_view_t identifier, iree_const_byte_span_t buffer,
    iree_dynamic_library_flags_t flags, iree_allocator_t allocator,
    iree_dynamic_library_t** out_library) {
  *out_library = NULL;
  int32_t handle = wt_side_module_load(buffer.data, buffer.data_length);
  if (handle <= 0) {
    return iree_make_status(IREE_STATUS_INVALID_ARGUMENT,
                            "executable '%.*s' is not a loadable wasm side "
                            "module (see the runtime's error)",
                            (int)identifier.size, identifier.data);
  }
  iree_dynamic_library_t* library = NULL;
  iree_status_t status =
      iree_allocator_malloc(allocator, sizeof(*library), (void**)&library);
  if (!iree_status_is_ok(status)) {
    wt_side_module_unload(handle);
    return status;
  }
  iree_atomic_ref_count_init(&library->ref_count);
  library->allocator = allocator;
  library->handle = handle;
  *out_library = library;
  return iree_ok_status();
}

void iree_dynamic_library_retain(iree_dynamic_library_t* library) {
  if (library) iree_atomic_ref_count_inc(&library->ref_count);
}

void iree_dynamic_library_release(iree_dynamic_library_t* library) {
  if (library && iree_atomic_ref_count_dec(&library->ref_count) == 1) {
    wt_side_module_unload(library->handle);
    iree_allocator_free(library->allocator, library);
  }
}

void* iree_dynamic_library_try_lookup_symbol(iree_dynamic_library_t* library,
                                             const char* symbol_name) {
  int32_t index =
      wt_side_module_lookup(library->handle, symbol_name, strlen(symbol_name));
  return (void*)(uintptr_t)index;
}

iree_status_t iree_dynamic_library_lookup_symbol(
    iree_dynamic_library_t* library, const char* symbol_name, void** out_fn) {
  *out_fn = iree_dynamic_library_try_lookup_symbol(library, symbol_name);
  if (!*out_fn) {
    return iree_make_status(IREE_STATUS_NOT_FOUND,
                            "the side module exports no '%s'", symbol_name);
  }
  return iree_ok_status();
}

iree_status_t iree_dynamic_library_attach_symbols_from_file(
    iree_dynamic_library_t* library, const char* file_path) {
  return iree_ok_status();  // wasm side modules carry no separate symbols
}

iree_status_t iree_dynamic_library_attach_symbols_from_memory(
    iree_dynamic_library_t* library, iree_const_byte_span_t buffer) {
  return iree_ok_status();
}

iree_status_t iree_dynamic_library_append_symbol_path_to_builder(
    void* for_symbol, iree_string_builder_t* builder) {
  return iree_ok_status();
}
