// The errors webtensor.mjs throws: one class per kind, as in the Python
// runtime (runtime/errors.py), each with one message that says what to do.

export class WebTensorError extends Error {
  constructor(message) {
    super(message);
    this.name = new.target.name;
  }
}

// A call's inputs do not match the function's signature.
export class InvalidArgument extends WebTensorError {}
// The bytes are not a WebTensor artifact this runtime can read.
export class InvalidEncoding extends WebTensorError {}
// The artifact needs something this runtime does not have.
export class UnsupportedOperation extends WebTensorError {}
// A call would spend more than its work budget ("fuel"); no outputs are returned.
export class BudgetExceeded extends WebTensorError {}
// A call ran past its wall-clock deadline; its worker was stopped.
export class Timeout extends WebTensorError {}
// The runtime failed while running a call.
export class ExecutionError extends WebTensorError {}
// No function of that name, or nothing bound where the model needs it.
export class NotFound extends WebTensorError {}
// A package's bytes do not match its hashes (damaged or altered); nothing of it is used.
export class SecurityError extends WebTensorError {}
