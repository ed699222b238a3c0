// The IREE runtime built to wasm32 (dist/webtensor_runtime.wasm), and the
// JS half of its side-module linker. webtensor.mjs is the public API; this
// module is what it stands on.
//
// The runtime owns one wasm memory and one growable function table. An
// llvm-cpu executable compiled for wasm32 is a side module that imports both:
// side_module_load places its data in the runtime's heap and its functions
// in the table, and gives C table indices, which C calls as function
// pointers (src/dynamic_library_web.c).

import { ExecutionError, InvalidEncoding } from "./errors.mjs";

const utf8 = new TextDecoder();
const encoder = new TextEncoder();

export class Runtime {
  static async create(wasmBytes) {
    const runtime = new Runtime();
    const { instance } = await WebAssembly.instantiate(wasmBytes, runtime.#imports());
    runtime.exports = instance.exports;
    runtime.memory = instance.exports.memory;
    runtime.table = instance.exports.__indirect_function_table;
    instance.exports._initialize();
    return runtime;
  }

  #sideModules = new Map();
  #nextHandle = 1;
  #loaderError = "";

  #imports() {
    return {
      Math,
      webtensor: {
        side_module_load: (pointer, length) => this.#loadSideModule(pointer, length),
        side_module_lookup: (handle, name, length) => this.#lookup(handle, name, length),
        side_module_unload: (handle) => this.#unload(handle),
      },
      iree_syscall: {
        clock_now_ns: () => BigInt(Math.round(performance.now() * 1e6)),
        write: (fd, pointer, length) => {
          const text = utf8.decode(this.bytes(pointer, length));
          (fd === 2 ? console.error : console.log)(text.replace(/\n$/, ""));
          return length;
        },
        exit: (status) => {
          throw new ExecutionError(`the runtime aborted (exit status ${status})`);
        },
      },
      // The local-sync device runs everything in the calling thread, so the
      // async proactor never has anything to wait for or to wake.
      iree_proactor: {
        ring_drain: () => 0,
        poll_wait: () => 0,
        timer_start: () => {},
        timer_cancel: () => 0,
        wake: () => {},
        schedule_drain: () => {},
      },
    };
  }

  bytes(pointer, length) {
    return new Uint8Array(this.memory.buffer, pointer, length);
  }

  string(pointer, length) {
    return utf8.decode(this.bytes(pointer, length));
  }

  cString(pointer) {
    const bytes = new Uint8Array(this.memory.buffer, pointer);
    return utf8.decode(bytes.subarray(0, bytes.indexOf(0)));
  }

  // A copy of `bytes` in the runtime's heap; the caller frees it (or hands
  // it to a C function that takes ownership).
  copyIn(bytes) {
    const pointer = this.exports.wt_malloc(bytes.byteLength);
    if (!pointer) throw new ExecutionError(`out of wasm memory for ${bytes.byteLength} bytes`);
    this.bytes(pointer, bytes.byteLength).set(bytes);
    return pointer;
  }

  cStringIn(text) {
    const bytes = encoder.encode(text + "\0");
    return this.copyIn(bytes);
  }

  lastError() {
    const message = this.cString(this.exports.wt_last_error());
    return this.#loaderError ? `${message} (${this.#loaderError})` : message;
  }

  takeLastError() {
    const message = this.lastError();
    this.#loaderError = "";
    return message;
  }

  #loadSideModule(pointer, length) {
    try {
      return this.#link(this.bytes(pointer, length).slice());
    } catch (e) {
      this.#loaderError = e instanceof Error ? e.message : String(e);
      return 0;
    }
  }

  #link(bytes) {
    const module = new WebAssembly.Module(bytes);
    const layout = readDylink(module);
    const base = this.exports.wt_malloc(layout.memorySize + layout.memoryAlign);
    if (!base) throw new Error(`out of wasm memory for a side module's ${layout.memorySize} bytes`);
    const memoryBase = alignUp(base, layout.memoryAlign);
    this.bytes(memoryBase, layout.memorySize).fill(0);
    const tableBase = this.table.length;
    if (layout.tableSize) this.table.grow(layout.tableSize);
    const env = {
      memory: this.memory,
      __indirect_function_table: this.table,
      __memory_base: new WebAssembly.Global({ value: "i32", mutable: false }, memoryBase),
      __table_base: new WebAssembly.Global({ value: "i32", mutable: false }, tableBase),
      __stack_pointer: this.exports.__stack_pointer,
    };
    // What LLVM left as libcalls (fmaxf, memcpy, ...) comes from the
    // runtime's own exports (build.sh: SIDE_MODULE_EXPORTS).
    for (const { module: from, name, kind } of WebAssembly.Module.imports(module)) {
      if (from === "env" && !(name in env) && kind === "function" && typeof this.exports[name] === "function") {
        env[name] = this.exports[name];
      } else if (from !== "env" || !(name in env)) {
        this.exports.wt_free(base);
        throw new Error(`the executable imports ${from}.${name}, which the web runtime does not provide`);
      }
    }
    const instance = new WebAssembly.Instance(module, { env });
    instance.exports.__wasm_apply_data_relocs?.();
    instance.exports.__wasm_call_ctors?.();
    const handle = this.#nextHandle++;
    this.#sideModules.set(handle, { instance, base, slots: [] });
    return handle;
  }

  #lookup(handle, namePointer, length) {
    const side = this.#sideModules.get(handle);
    const fn = side?.instance.exports[this.string(namePointer, length)];
    if (typeof fn !== "function") return 0;
    const index = this.table.length;
    this.table.grow(1, fn);
    side.slots.push(index);
    return index;
  }

  #unload(handle) {
    const side = this.#sideModules.get(handle);
    if (!side) return;
    for (const index of side.slots) this.table.set(index, null);
    this.exports.wt_free(side.base);
    this.#sideModules.delete(handle);
  }
}

function alignUp(value, alignment) {
  return alignment > 1 ? Math.ceil(value / alignment) * alignment : value;
}

// The memory and table a side module needs, from its "dylink.0" section
// (WebAssembly tool conventions, DynamicLinking.md: subsection 1, MEM_INFO).
function readDylink(module) {
  const sections = WebAssembly.Module.customSections(module, "dylink.0");
  if (sections.length !== 1) throw new InvalidEncoding("the executable is not a wasm side module (no dylink.0 section)");
  const bytes = new Uint8Array(sections[0]);
  let offset = 0;
  const leb = () => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = bytes[offset++];
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if (!(byte & 0x80)) return result;
    }
  };
  while (offset < bytes.length) {
    const kind = bytes[offset++];
    const size = leb();
    const end = offset + size;
    if (kind === 1) {
      const memorySize = leb();
      const memoryAlign = 2 ** leb();
      const tableSize = leb();
      return { memorySize, memoryAlign, tableSize };
    }
    offset = end;
  }
  return { memorySize: 0, memoryAlign: 1, tableSize: 0 };
}
