// The Web Worker side of webtensor: loads and runs models off the page's
// main thread. Start it with worker_client.mjs's loadInWorker, not by hand.
//
// Messages in: {id, op: "load", source, options} | {id, op: "run", model,
// inputs, options} | {id, op: "close", model}. Out: {id, result} or {id,
// error: {name, message}}.

import * as webtensor from "./webtensor.mjs";

const models = new Map();
let nextModel = 1;

self.onmessage = async ({ data: { id, op, ...message } }) => {
  try {
    if (op === "load") {
      const model = await webtensor.load(message.source, message.options);
      const handle = nextModel++;
      models.set(handle, model);
      const signatures = Object.fromEntries(model.functions.map((name) => [name, model.signatureOf(name)]));
      self.postMessage({ id, result: { handle, defaultFunction: model.defaultFunction, signatures } });
    } else if (op === "run") {
      const outputs = await modelOf(message.model).run(message.inputs, message.options);
      self.postMessage({ id, result: outputs }, outputs.map((output) => output.data.buffer));
    } else if (op === "close") {
      modelOf(message.model).close();
      models.delete(message.model);
      self.postMessage({ id, result: null });
    } else {
      throw new webtensor.InvalidArgument(`unknown worker operation ${op}`);
    }
  } catch (error) {
    self.postMessage({ id, error: { name: error?.name ?? "Error", message: error?.message ?? String(error) } });
  }
};

function modelOf(handle) {
  const model = models.get(handle);
  if (!model) throw new webtensor.InvalidArgument("this model was closed");
  return model;
}
