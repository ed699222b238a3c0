// Runs one call of a wasm32 artifact in Node through the JS API, for
// webtensor-run --device=node and the tests (web/node.py drives it).
//
//   node web/node_run.mjs REQUEST.json
//
// The request: {artifact, function (or null), fuel (a decimal string or
// null), deadline (seconds or null), inputs: [{dtype, shape, path}],
// weights, out_dir}; each input's raw
// little-endian bytes are at its path. weights (for a model compiled with
// bound weights) is null, {file: PATH} (safetensors, .irpa or .wtpkg) or {arrays:
// {name: {dtype, shape, path}}}. With a deadline the model runs in a worker
// thread (worker_client.mjs), which the deadline stops. Prints one JSON line: {outputs:
// [{name, dtype, shape, path}]} with each result's bytes written under
// out_dir, or {error: {kind, message}} (kind is an errors.mjs class name)
// and exits with status 1.

import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

import * as webtensor from "./webtensor.mjs";
import { loadInWorker } from "./worker_client.mjs";

const TYPED = {
  bool: Uint8Array, int8: Int8Array, int16: Int16Array, int32: Int32Array, int64: BigInt64Array,
  uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array, uint64: BigUint64Array,
  float16: Uint16Array, bfloat16: Uint16Array, float32: Float32Array, float64: Float64Array,
  complex64: Float32Array, complex128: Float64Array,
};

// A tensor staged by web/node.py: {data, shape} from its raw bytes.
async function readTensor({ dtype, shape, path }) {
  const ArrayType = TYPED[dtype];
  if (!ArrayType) throw new webtensor.InvalidArgument(`the web runtime cannot pass element type ${dtype}`);
  const bytes = await readFile(path);
  // A fresh, aligned buffer: a typed array needs its element alignment.
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return { data: new ArrayType(copy.buffer), shape };
}

async function weightsOf(request) {
  if (!request.weights) return undefined;
  if (request.weights.file) return request.weights.file;
  const arrays = {};
  for (const [name, tensor] of Object.entries(request.weights.arrays)) arrays[name] = await readTensor(tensor);
  return arrays;
}

async function main() {
  const request = JSON.parse(await readFile(process.argv[2], "utf8"));
  const deadline = request.deadline ?? undefined;
  const loadOptions = { weights: await weightsOf(request) };
  const model = deadline === undefined ? await webtensor.load(request.artifact, loadOptions) : await loadInWorker(request.artifact, { ...loadOptions, deadline });
  try {
    await call(request, model);
  } finally {
    await model.close();
  }
}

async function call(request, model) {
  const inputs = [];
  for (const tensor of request.inputs) inputs.push(await readTensor(tensor));
  const options = {};
  if (request.function) options.function = request.function;
  if (request.fuel !== null && request.fuel !== undefined) options.fuel = BigInt(request.fuel);
  const started = performance.now();
  const results = await model.run(inputs, options);
  const milliseconds = performance.now() - started;
  const outputs = [];
  for (const [i, result] of results.entries()) {
    const path = join(request.out_dir, `result${i}.bin`);
    await writeFile(path, new Uint8Array(result.data.buffer, result.data.byteOffset, result.data.byteLength));
    outputs.push({ name: result.name, dtype: result.dtype, shape: result.shape, path });
  }
  const timing = request.repeat ? await time(model, inputs, options, request.repeat) : null;
  process.stdout.write(JSON.stringify({ outputs, milliseconds, timing }) + "\n");
}

// The median of `repeat` calls, in milliseconds, after the first (warm) one.
async function time(model, inputs, options, repeat) {
  const times = [];
  for (let i = 0; i < repeat; ++i) {
    const started = performance.now();
    await model.run(inputs, options);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { median_ms: times[Math.floor(times.length / 2)], min_ms: times[0], repeat };
}

main().catch((error) => {
  const kind = error instanceof webtensor.WebTensorError ? error.name : "ExecutionError";
  const message = error instanceof webtensor.WebTensorError ? error.message : `${error?.name}: ${error?.message}`;
  process.stdout.write(JSON.stringify({ error: { kind, message } }) + "\n");
  process.exitCode = 1;
});
