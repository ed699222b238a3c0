// The worker side of webtensor: loads and runs models off the page's main
// thread, in a Web Worker (or a Node worker thread). Start it with
// worker_client.mjs's loadInWorker, not by hand.
//
// Messages in: {id, op: "load", source, options} | {id, op: "run", model,
// inputs, options} | {id, op: "weights", model, source} | {id, op: "close",
// model}. Out: {id, result} or {id, error: {name, message}}.

import * as webtensor from "./webtensor.mjs";

const models = new Map();
let nextModel = 1;

// A Web Worker talks through `self`; a Node worker thread through its parentPort.
const nodePort = typeof self === "undefined" ? (await import("node:worker_threads")).parentPort : null;
const post = (message, transfer = []) => (nodePort ?? self).postMessage(message, transfer);

async function handle({ id, op, ...message }) {
  try {
    if (op === "load") {
      const model = await webtensor.load(message.source, message.options);
      const handle = nextModel++;
      models.set(handle, model);
      const signatures = Object.fromEntries(model.functions.map((name) => [name, model.signatureOf(name)]));
      post({ id, result: { handle, defaultFunction: model.defaultFunction, signatures, weights: model.weights } });
    } else if (op === "run") {
      const outputs = await modelOf(message.model).run(message.inputs, message.options);
      post({ id, result: outputs }, outputs.map((output) => output.data.buffer));
    } else if (op === "weights") {
      await modelOf(message.model).loadWeights(message.source);
      post({ id, result: null });
    } else if (op === "close") {
      modelOf(message.model).close();
      models.delete(message.model);
      post({ id, result: null });
    } else {
      throw new webtensor.InvalidArgument(`unknown worker operation ${op}`);
    }
  } catch (error) {
    post({ id, error: { name: error?.name ?? "Error", message: error?.message ?? String(error) } });
  }
}

if (nodePort) nodePort.on("message", handle);
else self.onmessage = ({ data }) => handle(data);

function modelOf(handle) {
  const model = models.get(handle);
  if (!model) throw new webtensor.InvalidArgument("this model was closed");
  return model;
}
