// WebTensor in JS: load an artifact compiled with --target=wasm32 and run it.
//
//   import * as webtensor from "./webtensor.mjs";
//   const model = await webtensor.load(urlOrBytes);
//   model.signature;                        // inputs, outputs: names, shapes, dtypes
//   // a model compiled with bound weights (weights_argnums) binds them at load:
//   await webtensor.load(url, { weights: { "params['w1']": new Float32Array(...) } });
//   await webtensor.load(url, { weights: "model.safetensors" });  // or an .irpa, a .wtpkg, or its bytes
//   const [y] = await model.run([{ data: new Float32Array(...), shape: [4, 32] }]);
//   y.data, y.shape, y.dtype
//
// The shape follows the Python API (runtime/model.py) and wasi-nn: load a
// graph, call it with tensors, get tensors back. Inputs are checked against
// the artifact's signature before anything runs (their types, bounds, and
// the dynamic dims that must be equal or fixed); errors are the classes of
// errors.mjs. In a browser, run it in a Web Worker (worker_client.mjs's
// loadInWorker) so that the page stays responsive; that is also where a
// call can have a deadline, since a worker can be stopped.

import {
  BudgetExceeded,
  ExecutionError,
  InvalidArgument,
  InvalidEncoding,
  NotFound,
  SecurityError,
  Timeout,
  UnsupportedOperation,
  WebTensorError,
} from "./errors.mjs";
import { DTYPES, LANES, itemSize } from "./dtypes.mjs";
import { Runtime } from "./runtime.mjs";
import { declaredWeights, isWeightsFile, readWeights } from "./weights.mjs";

export { BudgetExceeded, ExecutionError, InvalidArgument, InvalidEncoding, NotFound, SecurityError, Timeout, UnsupportedOperation, WebTensorError };

// A call runs on the thread that makes it, and wasm on a thread cannot be
// stopped from inside it: a deadline needs the model in a worker.
const NO_DEADLINE_HERE =
  "a deadline needs the model in a worker, which can be stopped at the deadline: load it with loadInWorker (worker_client.mjs)";

// The work budget of a call unless it says otherwise, and the largest one
// (runtime/limits.py: DEFAULT_FUEL, MAX_FUEL).
export const DEFAULT_FUEL = 100_000_000_000n;
export const MAX_FUEL = 1n << 62n;
const SIGNATURE_FORMAT = 2;
const utf8 = new TextEncoder();

const runtimes = new Map();

// The runtime at `wasm` (a URL, or the .wasm's bytes), instantiated once.
async function runtimeFor(wasm) {
  const key = wasm ?? "default";
  if (!runtimes.has(key)) {
    runtimes.set(key, (async () => Runtime.create(await bytesOf(wasm ?? new URL("./dist/webtensor_runtime.wasm", import.meta.url))))());
  }
  return runtimes.get(key);
}

async function bytesOf(source) {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  const url = source instanceof URL ? source : new URL(String(source), globalThis.location?.href ?? `file://${process.cwd()}/`);
  if (url.protocol === "file:") {
    const { readFile } = await import("node:fs/promises");
    try {
      return new Uint8Array(await readFile(url));
    } catch (error) {
      if (error?.code === "ENOENT") throw new NotFound(`${source}: no such file`);
      throw error;
    }
  }
  const response = await fetch(url);
  if (!response.ok) throw new NotFound(`could not fetch ${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

// Loads the artifact at `source` (a URL or path, or its bytes).
// Options: weights (a model compiled with bound weights reads them: see
// Model.loadWeights), fuel (each call's default work budget, a number or
// BigInt), runtime (the runtime .wasm's URL or bytes, default dist/ beside
// this file).
export async function load(source, options = {}) {
  if (options.deadline !== undefined) throw new UnsupportedOperation(NO_DEADLINE_HERE);
  const bytes = await bytesOf(source);
  // A .vmfb is a zip archive holding the flatbuffer (older ones are the
  // bare flatbuffer, whose file identifier sits at offset 4).
  const magic = (from) => String.fromCharCode(...bytes.subarray(from, from + 4));
  if (magic(0) === "\x89WTP") {
    throw new UnsupportedOperation(
      "this is a WebTensor package, whose program the web runtime does not compile: compile it with " +
        "webtensor-compile PACKAGE --target=wasm32 and pass the package as the weights: load(artifact, { weights: package })",
    );
  }
  if (bytes.length < 8 || (magic(0) !== "PK\x03\x04" && magic(4) !== "IREE")) {
    throw new InvalidEncoding("not a WebTensor artifact: expected an IREE .vmfb from webtensor-compile --target=wasm32");
  }
  const runtime = await runtimeFor(options.runtime);
  const model = new Model(runtime, bytes, checkFuel(options.fuel ?? DEFAULT_FUEL));
  try {
    if (options.weights !== undefined) await model.loadWeights(options.weights);
  } catch (error) {
    model.close();
    throw error;
  }
  return model;
}

function checkFuel(fuel) {
  const value = typeof fuel === "bigint" ? fuel : Number.isInteger(fuel) ? BigInt(fuel) : null;
  if (value === null || value < 0n || value > MAX_FUEL) {
    throw new InvalidArgument(`fuel must be an integer from 0 to ${MAX_FUEL}, got ${fuel}`);
  }
  return value;
}

export class Model {
  #runtime;
  #module; // the program, kept to make a new session when weights change
  #session = 0; // 0 until the weights are bound, for a model that reads any
  #closed = false;
  #functions = new Map(); // name -> {ordinal, signature}
  #weightsTree = null; // the weight arguments' tree spec (runtime/tree.py's JSON), if any

  constructor(runtime, bytes, fuel) {
    this.#runtime = runtime;
    this.fuel = fuel;
    const api = runtime.exports;
    const pointer = runtime.copyIn(bytes); // the module takes ownership
    this.#module = api.wt_module_create(pointer, bytes.length);
    if (!this.#module) throw new InvalidEncoding(`not a loadable IREE module: ${runtime.takeLastError()}`);
    try {
      this.#readFunctions(this.#module);
      // The weights every function reads ([{name, dtype, shape}]), as in
      // Python's model.weights; the source they were bound from.
      const signatures = [...this.#functions.values()].map((entry) => entry.signature);
      this.weights = declaredWeights(signatures);
      // The structure of the weight arguments, to bind the same pytree again.
      this.#weightsTree = signatures.map((signature) => signature.weightsTree).find((tree) => tree) ?? null;
      this.weightsSource = null;
      if (!this.weights.length) this.#session = this.#open(null);
    } catch (error) {
      this.close();
      throw error;
    }
  }

  // Binds the model's weights, checked against the ones it declares: an
  // object (or Map) of weight name to typed array (its shape is the
  // model's) or to {data, shape}; or a weights file, safetensors, an IREE
  // parameter archive (.irpa) or a WebTensor package (.wtpkg), as a URL, a
  // path or its bytes. The bytes are copied once into the runtime's memory;
  // a model already bound swaps to the new weights, without recompiling.
  async loadWeights(source) {
    if (this.#closed) throw new InvalidArgument("this model was closed");
    if (!this.weights.length) {
      throw new InvalidArgument("this model has no weights to bind: it was compiled without weights_argnums");
    }
    const file = isWeightsFile(source) ? await bytesOf(source) : null;
    const label = typeof source === "string" || source instanceof URL ? String(source) : "the weights file";
    const tensors = await readWeights(this.weights, source, file, label, this.#weightsTree);
    const session = this.#open(tensors);
    if (this.#session) this.#runtime.exports.wt_session_destroy(this.#session);
    this.#session = session;
    this.weightsSource = file ? label : "arrays";
  }

  // A session on the program, with `tensors` ([[name, bytes]]) as its
  // parameters in scope "model"; making it runs the module's initializer.
  #open(tensors) {
    const runtime = this.#runtime;
    const api = runtime.exports;
    const index = tensors ? this.#index(tensors) : 0;
    const session = api.wt_session_create(this.#module, index);
    if (index) api.wt_weights_release(index);
    if (!session) throw new UnsupportedOperation(`the web runtime cannot load this artifact: ${runtime.takeLastError()}`);
    return session;
  }

  // A parameter index holding a copy of each tensor's bytes in the
  // runtime's memory, by name: the only copy, which IREE imports as the
  // weight's buffer.
  #index(tensors) {
    const runtime = this.#runtime;
    const api = runtime.exports;
    const index = api.wt_weights_create();
    if (!index) throw new ExecutionError(`could not make a parameter index: ${runtime.takeLastError()}`);
    try {
      for (const [name, bytes] of tensors) {
        const data = api.wt_blob_alloc(bytes.byteLength);
        if (!data) throw new ExecutionError(`weight ${name}: out of wasm memory for ${bytes.byteLength} bytes: ${runtime.takeLastError()}`);
        runtime.bytes(data, bytes.byteLength).set(bytes);
        const blob = api.wt_blob_create(data, bytes.byteLength); // takes the data
        if (!blob) throw new ExecutionError(`weight ${name}: ${runtime.takeLastError()}`);
        const key = utf8.encode(name);
        const keyPointer = runtime.copyIn(key);
        const added = api.wt_weights_add(index, keyPointer, key.byteLength, blob, 0, bytes.byteLength);
        api.wt_free(keyPointer);
        api.wt_blob_release(blob); // the index holds it now
        if (!added) throw new ExecutionError(`weight ${name}: ${runtime.takeLastError()}`);
      }
      return index;
    } catch (error) {
      api.wt_weights_release(index);
      throw error;
    }
  }

  // Every WebTensor function's signature, checked before any of the
  // module's code runs.
  #readFunctions(module) {
    const api = this.#runtime.exports;
    for (let ordinal = 0; ordinal < api.wt_function_count(module); ++ordinal) {
      const name = this.#read((out) => api.wt_function_name(module, ordinal, out));
      const text = this.#attr(module, ordinal, "webtensor.signature");
      if (name.startsWith("__") || text === null) continue; // IREE's own functions
      const target = this.#attr(module, ordinal, "webtensor.target");
      if (target !== "wasm32") {
        throw new UnsupportedOperation(
          `this artifact was compiled for target '${target}'; the web runtime runs wasm32 artifacts (webtensor-compile --target=wasm32)`,
        );
      }
      this.#functions.set(name, { ordinal, signature: parseSignature(text) });
    }
    if (this.#functions.size === 0) {
      throw new InvalidEncoding("the artifact has no WebTensor functions (was it made by webtensor-compile?)");
    }
  }

  // The names of the artifact's functions.
  get functions() {
    return [...this.#functions.keys()];
  }

  // The function `run` calls unless told otherwise: main, or the only one.
  get defaultFunction() {
    return this.#functions.has("main") ? "main" : this.functions[0];
  }

  get signature() {
    return this.#entry(this.defaultFunction).signature;
  }

  signatureOf(name) {
    return this.#entry(name).signature;
  }

  // Runs a function on `inputs` (an array in signature order, or an object
  // by input name); each input is {data: TypedArray, shape} or, for a
  // static shape, the typed array alone. Resolves to the outputs, each
  // {name, dtype, shape, data}. Options: function (name), fuel.
  async run(inputs, options = {}) {
    if (options.deadline !== undefined) throw new UnsupportedOperation(NO_DEADLINE_HERE);
    const { ordinal, signature } = this.#entry(options.function ?? this.defaultFunction);
    this.#checkBound();
    const staged = stageInputs(signature, inputs);
    checkDims(signature, staged.map((tensor) => tensor.shape));
    const budget = options.fuel === undefined ? this.fuel : checkFuel(options.fuel);
    const cost = BigInt(signature.cost);
    if (budget < cost) {
      throw new BudgetExceeded(
        `${signature.name} costs ${signature.cost} work units before any loop runs, above its budget of ${budget}; ` +
          `nothing ran. Pass a larger fuel if the model needs it (at most ${MAX_FUEL})`,
      );
    }
    const passed = staged.filter((_, i) => !signature.unused.includes(i));
    if (signature.fuel) {
      passed.push({ dtype: "int64", shape: [], data: BigInt64Array.of(budget - cost) });
    }
    const results = this.#invoke(ordinal, signature, passed);
    if (signature.fuel && results.pop().data[0] < 0n) {
      throw new BudgetExceeded(
        `${signature.name} ran out of its budget of ${budget} work units and returned nothing; pass a larger fuel if the model needs it`,
      );
    }
    return results.map((result, i) => ({ name: signature.outputs[i].name, ...result }));
  }

  close() {
    const api = this.#runtime.exports;
    if (this.#session) api.wt_session_destroy(this.#session);
    if (this.#module) api.wt_module_release(this.#module);
    this.#session = 0;
    this.#module = 0;
    this.#closed = true;
  }

  #entry(name) {
    const entry = this.#functions.get(name);
    if (!entry) throw new NotFound(`no function '${name}'; the artifact has: ${this.functions.join(", ")}`);
    if (this.#closed) throw new InvalidArgument("this model was closed");
    return entry;
  }

  // NotFound unless the model's weights, if it reads any, are bound.
  #checkBound() {
    if (!this.#session) {
      const bytes = this.weights.reduce((sum, spec) => sum + spec.shape.reduce((a, b) => a * b, 1) * itemSize(spec.dtype), 0);
      throw new NotFound(
        `this model reads ${this.weights.length} weights (${bytes.toLocaleString("en-US")} bytes) and none are bound; ` +
          "bind them with webtensor.load(source, { weights }) or model.loadWeights(arrays or a weights file)",
      );
    }
  }

  #invoke(ordinal, signature, tensors) {
    const runtime = this.#runtime;
    const api = runtime.exports;
    const call = api.wt_call_create(this.#session, ordinal);
    if (!call) throw new ExecutionError(`${signature.name}: ${runtime.takeLastError()}`);
    const scratch = api.wt_malloc(4 * 18);
    try {
      for (const tensor of tensors) this.#push(call, tensor, signature);
      if (!api.wt_call_invoke(call)) {
        throw new ExecutionError(`${signature.name} failed: ${runtime.takeLastError()}`);
      }
      const count = signature.outputs.length + (signature.fuel ? 1 : 0);
      const results = [];
      for (let i = 0; i < count; ++i) {
        const length = api.wt_call_next_result(call, scratch);
        if (length < 0) throw new ExecutionError(`${signature.name}: ${runtime.takeLastError()}`);
        const info = new Int32Array(runtime.memory.buffer, scratch, 18);
        const shape = Array.from(info.subarray(2, 2 + info[1]));
        const dtype = i < signature.outputs.length ? signature.outputs[i].dtype : "int64";
        const [ArrayType] = DTYPES[dtype];
        const data = new ArrayType(length / ArrayType.BYTES_PER_ELEMENT);
        const target = api.wt_malloc(length);
        try {
          if (!api.wt_call_read(call, target, length)) throw new ExecutionError(runtime.takeLastError());
          new Uint8Array(data.buffer).set(runtime.bytes(target, length));
        } finally {
          api.wt_free(target);
        }
        results.push({ dtype, shape, data });
      }
      return results;
    } finally {
      api.wt_free(scratch);
      api.wt_call_destroy(call);
    }
  }

  #push(call, tensor, signature) {
    const runtime = this.#runtime;
    const api = runtime.exports;
    const bytes = new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
    const shape = runtime.copyIn(new Uint8Array(Int32Array.from(tensor.shape).buffer));
    const data = runtime.copyIn(bytes);
    try {
      if (!api.wt_call_push(call, DTYPES[tensor.dtype][1], tensor.shape.length, shape, data, bytes.length)) {
        throw new ExecutionError(`${signature.name}: ${runtime.takeLastError()}`);
      }
    } finally {
      api.wt_free(shape);
      api.wt_free(data);
    }
  }

  #read(fill) {
    const api = this.#runtime.exports;
    const out = api.wt_malloc(4);
    try {
      const pointer = fill(out);
      if (!pointer) return null;
      return this.#runtime.string(pointer, new Uint32Array(this.#runtime.memory.buffer, out, 1)[0]);
    } finally {
      api.wt_free(out);
    }
  }

  #attr(module, ordinal, key) {
    const api = this.#runtime.exports;
    const name = this.#runtime.cStringIn(key);
    try {
      return this.#read((out) => api.wt_function_attr(module, ordinal, name, out));
    } finally {
      api.wt_free(name);
    }
  }
}

function parseSignature(text) {
  let data;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new InvalidEncoding(`malformed WebTensor signature: ${e.message}`);
  }
  if (data.version !== SIGNATURE_FORMAT) {
    throw new InvalidEncoding(
      `this artifact's signature format is ${data.version}; this runtime reads format ${SIGNATURE_FORMAT}: compile it again with this WebTensor`,
    );
  }
  const weights = data.weights ?? [];
  const equalDims = dimGroups(data, data.equal_dims ?? []);
  const fixedDims = fixedGroups(data, data.fixed_dims ?? []);
  for (const spec of [...data.inputs, ...data.outputs, ...weights]) {
    if (!(spec.dtype in DTYPES)) {
      throw new UnsupportedOperation(`${data.name}: ${spec.name} has element type ${spec.dtype}, which the web runtime cannot pass`);
    }
  }
  return {
    name: data.name,
    inputs: data.inputs,
    outputs: data.outputs,
    fuel: Boolean(data.fuel),
    cost: Number(data.cost),
    unused: data.unused ?? [],
    equalDims,
    fixedDims,
    weights,
    weightsTree: data.weights_tree ?? null,
  };
}

// Groups of [input, dim] pairs, each naming a dim of an input.
function dimGroups(data, groups) {
  const isDim = (pair) =>
    Array.isArray(pair) && pair.length === 2 && Number.isInteger(pair[0]) && Number.isInteger(pair[1]) &&
    pair[0] >= 0 && pair[0] < data.inputs.length && pair[1] >= 0 && pair[1] < data.inputs[pair[0]].shape.length;
  if (!Array.isArray(groups) || !groups.every((group) => Array.isArray(group) && group.every(isDim))) {
    throw new InvalidEncoding(`malformed WebTensor signature: ${data.name}: a dim group names no input's dim`);
  }
  return groups;
}

// [{dims, size}] from [[dims, size]].
function fixedGroups(data, fixed) {
  const valid = Array.isArray(fixed) && fixed.every((entry) => Array.isArray(entry) && entry.length === 2 && Number.isSafeInteger(entry[1]));
  if (!valid) throw new InvalidEncoding(`malformed WebTensor signature: ${data.name}: fixed_dims is not a list of [dims, size]`);
  return fixed.map(([dims, size]) => ({ dims: dimGroups(data, [dims])[0], size }));
}

// InvalidArgument unless the inputs' dynamic dims agree as compiled: those
// of a group equal, those fixed at their size (runtime/signature.py
// check_dims, whose messages these are).
function checkDims(signature, shapes) {
  for (const group of signature.equalDims) {
    if (new Set(group.map(([i, d]) => shapes[i][d])).size > 1) {
      const where = group.map(([i, d]) => `${signature.inputs[i].name} dim ${d} = ${shapes[i][d]}`).join(", ");
      throw new InvalidArgument(`${signature.name}: these dimensions must be equal: ${where}`);
    }
  }
  for (const { dims, size } of signature.fixedDims) {
    for (const [i, d] of dims) {
      if (shapes[i][d] !== size) {
        throw new InvalidArgument(`argument ${signature.inputs[i].name}: dimension ${d} is ${shapes[i][d]}, but the model needs ${size}`);
      }
    }
  }
}

function describe(shape, dtype) {
  return `${dtype}[${shape.map((d) => (d === null ? "?" : d)).join(", ")}]`;
}

// Checks `inputs` against the signature; returns [{dtype, shape, data}].
function stageInputs(signature, inputs) {
  const specs = signature.inputs;
  let list = inputs;
  if (!Array.isArray(inputs)) {
    if (inputs === null || typeof inputs !== "object" || ArrayBuffer.isView(inputs)) {
      throw new InvalidArgument(`${signature.name} takes an array of ${specs.length} inputs, or an object by input name`);
    }
    const unknown = Object.keys(inputs).filter((key) => !specs.some((spec) => spec.name === key));
    if (unknown.length) {
      throw new InvalidArgument(`${signature.name} has no input named ${unknown.join(", ")}; its inputs: ${specs.map((s) => s.name).join(", ")}`);
    }
    list = specs.map((spec) => {
      if (!(spec.name in inputs)) throw new InvalidArgument(`${signature.name}: input ${spec.name} is missing`);
      return inputs[spec.name];
    });
  }
  if (list.length !== specs.length) {
    throw new InvalidArgument(`${signature.name} takes ${specs.length} inputs, got ${list.length}`);
  }
  return list.map((value, i) => stageInput(specs[i], value));
}

function stageInput(spec, value) {
  const tensor = ArrayBuffer.isView(value) ? { data: value, shape: spec.shape } : value;
  const [ArrayType] = DTYPES[spec.dtype];
  const expected = describe(spec.shape, spec.dtype);
  if (!tensor || !ArrayBuffer.isView(tensor.data) || !Array.isArray(tensor.shape)) {
    throw new InvalidArgument(`argument ${spec.name}: expected ${expected} as {data: ${ArrayType.name}, shape}`);
  }
  const { data, shape } = tensor;
  if (!(data instanceof ArrayType)) {
    throw new InvalidArgument(`argument ${spec.name}: expected ${expected} in a ${ArrayType.name}, got a ${data.constructor.name}`);
  }
  if (shape.some((d) => d === null)) {
    throw new InvalidArgument(`argument ${spec.name}: dimension ${shape.indexOf(null)} is dynamic; give the shape with {data, shape}`);
  }
  // Dim by dim, as the Python runtime checks (runtime/signature.py TensorSpec.check).
  const mismatch = () => new InvalidArgument(`argument ${spec.name}: expected ${expected}, got ${describe(shape, spec.dtype)}`);
  if (shape.length !== spec.shape.length || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw mismatch();
  shape.forEach((d, j) => {
    if (spec.shape[j] !== null && d !== spec.shape[j]) throw mismatch();
    const bound = spec.shape[j] === null ? spec.bounds?.[j] : null;
    if (bound != null && d > bound) throw new InvalidArgument(`argument ${spec.name}: dimension ${j} is ${d}, above its declared bound ${bound}`);
  });
  const count = shape.reduce((a, b) => a * b, 1) * (LANES[spec.dtype] ?? 1);
  if (data.length !== count) {
    throw new InvalidArgument(`argument ${spec.name}: shape [${shape.join(", ")}] needs ${count} ${ArrayType.name} elements, the data has ${data.length}`);
  }
  // A bool is one byte, 0 or 1, whatever the caller's bytes held.
  const payload = spec.dtype === "bool" ? Uint8Array.from(data, (x) => (x ? 1 : 0)) : data;
  return { dtype: spec.dtype, shape, data: payload };
}
