// webtensor in a worker, with the API of webtensor.mjs:
//
//   import { loadInWorker } from "./worker_client.mjs";
//   const model = await loadInWorker(url, { weights, deadline: 2 });
//   const [y] = await model.run([x]);
//
// Loading and every call run in a Web Worker (in Node, a worker thread), so
// the page stays responsive; outputs come back by transfer, without a copy.
// Errors are the classes of errors.mjs, with the worker's message.
//
// Deadlines. A call with a deadline (seconds; the model's default from
// loadInWorker, or the call's own) that has not finished by then stops: its
// worker is terminated, which stops the wasm where it is, and the call
// rejects with Timeout. The model's next call loads it again in a new
// worker (with the same weights), within that call's deadline.

import * as errors from "./errors.mjs";

const WORKER_URL = new URL("./worker.mjs", import.meta.url);

class Worker_ {
  #worker;
  #pending = new Map();
  #nextId = 1;

  static async start() {
    if (typeof Worker === "function") return new Worker_(new Worker(WORKER_URL, { type: "module" }));
    const { Worker: NodeWorker } = await import("node:worker_threads");
    // The parent's flags, less --input-type (for `node -e`), which a worker refuses.
    const execArgv = process.execArgv.filter((flag) => !flag.startsWith("--input-type"));
    return new Worker_(new NodeWorker(WORKER_URL, { execArgv }));
  }

  constructor(worker) {
    this.#worker = worker;
    const receive = ({ id, result, error }) => {
      const { resolve, reject } = this.#pending.get(id);
      this.#pending.delete(id);
      if (!error) return resolve(result);
      const ErrorClass = errors[error.name] ?? errors.WebTensorError;
      reject(new ErrorClass(error.message));
    };
    if (typeof worker.on === "function") worker.on("message", receive);
    else worker.onmessage = ({ data }) => receive(data);
  }

  call(message, transfer = []) {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ id, ...message }, transfer);
    });
  }

  // Stops the worker at once, wherever its wasm is; pending calls reject
  // with `error`.
  terminate(error = new errors.InvalidArgument("this model was closed")) {
    this.#worker.terminate();
    for (const { reject } of this.#pending.values()) reject(error);
    this.#pending.clear();
  }
}

// A deadline in seconds, or null for none (undefined, null or Infinity), as
// the Python runtime takes it (runtime/deadline.py check_deadline).
function checkDeadline(deadline) {
  if (deadline === undefined || deadline === null || deadline === Infinity) return null;
  if (typeof deadline !== "number" || !(deadline > 0)) {
    throw new errors.InvalidArgument(`deadline must be a positive number of seconds, or null, got ${String(deadline)}`);
  }
  return deadline;
}

export class WorkerModel {
  #worker; // null after a deadline stopped it, until the next call
  #handle;
  #source;
  #options;
  #closed = false;

  // `options` are webtensor.load's, to load the model again after a deadline.
  constructor(worker, source, options, deadline, { handle, defaultFunction, signatures, weights }) {
    this.#worker = worker;
    this.#handle = handle;
    this.#source = source;
    this.#options = options;
    this.defaultFunction = defaultFunction;
    this.signatures = signatures;
    this.weights = weights;
    this.deadline = checkDeadline(deadline); // each call's default, in seconds, or null
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

  // Options: those of webtensor.mjs's run, and deadline (seconds).
  async run(inputs, options = {}) {
    if (this.#closed) throw new errors.InvalidArgument("this model was closed");
    const { deadline: own, ...rest } = options;
    const deadline = own === undefined ? this.deadline : checkDeadline(own);
    let expired = false;
    const work = async () => {
      if (!this.#worker) await this.#reload(() => expired);
      return this.#worker.call({ op: "run", model: this.#handle, inputs, options: rest });
    };
    if (deadline === null) return work();
    const name = rest.function ?? this.defaultFunction;
    const timeout = new errors.Timeout(
      `${name} did not finish within its deadline of ${deadline} s in its worker; the worker was stopped, ` +
        "and the model's next call loads it in a new one",
    );
    let timer;
    const stopped = new Promise((_, reject) => {
      timer = setTimeout(() => {
        expired = true;
        this.#worker?.terminate(timeout);
        this.#worker = null;
        reject(timeout);
      }, deadline * 1000);
    });
    try {
      return await Promise.race([work(), stopped]);
    } finally {
      clearTimeout(timer);
    }
  }

  // Binds new weights (webtensor.mjs Model.loadWeights); a reload after a
  // deadline binds these.
  async loadWeights(source) {
    if (this.#closed) throw new errors.InvalidArgument("this model was closed");
    if (!this.#worker) await this.#reload();
    const absolute = absoluteUrl(source);
    await this.#worker.call({ op: "weights", model: this.#handle, source: absolute });
    this.#options = { ...this.#options, weights: absolute };
  }

  // Loads the model in a new worker; one whose call's deadline passed
  // meanwhile (`expired()`) is stopped instead of kept.
  async #reload(expired = () => false) {
    const worker = await Worker_.start();
    try {
      const { handle } = await worker.call({ op: "load", source: this.#source, options: this.#options });
      if (expired()) throw new errors.Timeout("the deadline passed while the model loaded");
      this.#worker = worker;
      this.#handle = handle;
    } catch (error) {
      worker.terminate();
      throw error;
    }
  }

  async close() {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#worker) return;
    await this.#worker.call({ op: "close", model: this.#handle });
    this.#worker.terminate();
    this.#worker = null;
  }
}

// A relative URL resolved against the page (a worker resolves against its
// own script otherwise); in Node, paths stay as they are.
function absoluteUrl(url) {
  if (url instanceof URL) return url.href;
  const base = globalThis.location?.href;
  return base && typeof url === "string" ? new URL(url, base).href : url;
}

// Loads the artifact at `source` (a URL, or its bytes) in a new worker.
// Options are webtensor.load's (weights, fuel, runtime; relative URLs are
// resolved here, typed arrays copied to the worker) and deadline, each
// call's default deadline in seconds.
export async function loadInWorker(source, options = {}) {
  const { deadline, ...rest } = options;
  checkDeadline(deadline);
  const loadOptions = { ...rest, runtime: absoluteUrl(rest.runtime), weights: absoluteUrl(rest.weights) };
  const absolute = absoluteUrl(source);
  const worker = await Worker_.start();
  try {
    const result = await worker.call({ op: "load", source: absolute, options: loadOptions });
    return new WorkerModel(worker, absolute, loadOptions, deadline, result);
  } catch (error) {
    worker.terminate();
    throw error;
  }
}
