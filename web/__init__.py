"""WebTensor on the web: the wasm32 runtime, its JS API, and running it from Python in Node."""
