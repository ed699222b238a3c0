// webtensor in a Web Worker, with the API of webtensor.mjs:
//
//   import { loadInWorker } from "./worker_client.mjs";
//   const model = await loadInWorker(url);
//   const [y] = await model.run([x]);
//
// Loading and every call run in the worker, so the page stays responsive;
// outputs come back by transfer, without a copy. Errors are the classes of
// errors.mjs, with the worker's message.

import * as errors from "./errors.mjs";

class Worker_ {
  #worker = new Worker(new URL("./worker.mjs", import.meta.url), { type: "module" });
  #pending = new Map();
  #nextId = 1;

  constructor() {
    this.#worker.onmessage = ({ data: { id, result, error } }) => {
      const { resolve, reject } = this.#pending.get(id);
      this.#pending.delete(id);
      if (!error) return resolve(result);
      const ErrorClass = errors[error.name] ?? errors.WebTensorError;
      reject(new ErrorClass(error.message));
    };
  }

  call(message, transfer = []) {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ id, ...message }, transfer);
    });
  }

  terminate() {
    this.#worker.terminate();
  }
}

export class WorkerModel {
  #worker;
  #handle;

  constructor(worker, { handle, defaultFunction, signatures }) {
    this.#worker = worker;
    this.#handle = handle;
    this.defaultFunction = defaultFunction;
    this.signatures = signatures;
  }

  get functions() {
    return Object.keys(this.signatures);
  }

  get signature() {
    return this.signatures[this.defaultFunction];
  }

  signatureOf(name) {
    const signature = this.signatures[name];
    if (!signature) throw new errors.NotFound(`no function '${name}'; the artifact has: ${this.functions.join(", ")}`);
    return signature;
  }

  run(inputs, options = {}) {
    return this.#worker.call({ op: "run", model: this.#handle, inputs, options });
  }

  async close() {
    await this.#worker.call({ op: "close", model: this.#handle });
    this.#worker.terminate();
  }
}

// Loads the artifact at `source` (a URL, or its bytes) in a new worker.
// Options are webtensor.load's; a relative `runtime` or `weights` URL is
// resolved here (weights given as typed arrays are copied to the worker).
export async function loadInWorker(source, options = {}) {
  const worker = new Worker_();
  const absolute = (url) => (typeof url === "string" || url instanceof URL ? new URL(url, location.href).href : url);
  try {
    const result = await worker.call({ op: "load", source: absolute(source), options: { ...options, runtime: absolute(options.runtime), weights: absolute(options.weights) } });
    return new WorkerModel(worker, result);
  } catch (error) {
    worker.terminate();
    throw error;
  }
}
