// A model's weights in JS: the sources webtensor.load(source, { weights })
// takes, read and checked against the weights the model declares, as the
// Python runtime does (runtime/weights.py, runtime/parameters.py):
//
// - an object (or Map) of weight name to typed array, or to {data, shape};
// - the pytree the model was compiled with (`{w1: ..., b1: ...}` for
//   weights_argnums=0 of `params`), objects and arrays around typed arrays;
// - a safetensors file, an IREE parameter archive (.irpa) or a WebTensor
//   package (.wtpkg, runtime/package.py): a URL or path, or the file's bytes.
//
// Every name, shape, dtype and byte range is checked before the runtime sees
// a byte: a missing or extra name, a wrong shape or dtype is one
// InvalidArgument; a malformed file an InvalidEncoding; a package whose bytes
// do not match its hashes a SecurityError. An .irpa is read by our own reader
// of IREE's format (iree/schemas/parameter_archive.h), with the shape and
// dtype that save_weights records in each entry's metadata (runtime/weights.py).

import { InvalidArgument, InvalidEncoding, SecurityError, UnsupportedOperation } from "./errors.mjs";
import { DTYPES, LANES, itemSize, typeString } from "./dtypes.mjs";

// safetensors' dtype codes (runtime/weights.py SAFETENSORS_DTYPES) and the
// largest header its own reader allows.
const SAFETENSORS_DTYPES = {
  BOOL: "bool", I8: "int8", U8: "uint8", I16: "int16", U16: "uint16", I32: "int32", U32: "uint32",
  I64: "int64", U64: "uint64", F16: "float16", BF16: "bfloat16", F32: "float32", F64: "float64", C64: "complex64",
};
const MAX_SAFETENSORS_HEADER = 100 << 20;

// The package layout (runtime/package.py).
const PACKAGE_MAGIC = [0x89, 0x57, 0x54, 0x50, 0x4b, 0x47, 0x0d, 0x0a]; // "\x89WTPKG\r\n"
const PACKAGE_FORMAT = "webtensor-package";
const PACKAGE_VERSION = 1;
const PACKAGE_HEADER_BYTES = 56;
const PACKAGE_ALIGNMENT = 64;
const MAX_MANIFEST_BYTES = 16 << 20;

// IREE's parameter archive, version 0.0 (iree/schemas/parameter_archive.h):
// a header, an entry table, a metadata segment (names and metadata) and a
// storage segment (data), all little endian and packed. Our writer records
// each tensor's type in its metadata as "TENSORv0:" and a JSON object
// (runtime/weights.py).
const IRPA = {
  headerBytes: 88, // the v0 header: prefix (32) + entry count + three ranges
  alignment: 16, // of every header and of every entry in the table
  entryHeaderBytes: 60,
  splatEntryBytes: 85,
  dataEntryBytes: 76,
  skip: 0,
  splat: 1,
  data: 2,
  external: 3,
  metadataPrefix: "TENSORv0:",
};

const utf8 = new TextDecoder("utf-8", { fatal: true });
const lenientUtf8 = new TextDecoder("utf-8");

// What the model reads, from every function's signature: [{name, dtype,
// shape}], each name once, in the order the functions list them.
export function declaredWeights(signatures) {
  const byName = new Map();
  for (const signature of signatures) {
    for (const spec of signature.weights) if (!byName.has(spec.name)) byName.set(spec.name, spec);
  }
  return [...byName.values()];
}

// Whether `source` is a weights file (a URL, a path or bytes) rather than
// arrays by name.
export function isWeightsFile(source) {
  return typeof source === "string" || source instanceof URL || source instanceof ArrayBuffer || ArrayBuffer.isView(source);
}

// The bytes of every weight in `specs` order, checked: [[name, Uint8Array]].
// `file` is the file's bytes when the source is a file, read by the caller;
// `label` names it in messages. `tree` (the weight arguments' tree spec, or
// null) lets `source` be the pytree the model was compiled with, as in
// Python (runtime/weights.py _by_name): an object whose keys are weight
// names is by name, anything else is flattened against the tree.
export async function readWeights(specs, source, file, label, tree = null) {
  if (file) return fromFile(specs, file, label);
  const names = new Set(specs.map((spec) => spec.name));
  const byName = asMap(source);
  if (byName && (tree === null || [...byName.keys()].some((key) => names.has(key)))) return fromArrays(specs, byName);
  if (tree !== null && source !== null && typeof source === "object") {
    // One weight argument is given as itself, several as an array of them.
    const top = tree[0] !== "leaf" && tree[0] !== "none" && treeChildren(tree).length === 1 ? treeChildren(tree)[0] : tree;
    const leaves = [];
    flattenTree(top, source, "weights", leaves);
    return fromArrays(specs, new Map(specs.map((spec, i) => [spec.name, leaves[i]])));
  }
  throw new InvalidArgument(
    "weights: expected an object of weight name to typed array, or a weights file (safetensors, .irpa or a .wtpkg package: its URL, path or bytes)",
  );
}

function isPlainObject(value) {
  return value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype;
}

// A Map, or a plain object as one; null for anything else.
function asMap(value) {
  return value instanceof Map ? value : isPlainObject(value) ? new Map(Object.entries(value)) : null;
}

function treeChildren(tree) {
  return tree[0] === "dict" ? tree[2] : tree[1];
}

// The leaves of `value` in the tree spec's order (runtime/tree.py flatten,
// whose messages these are): a dict's keys as the spec lists them, arrays
// for tuples and lists; a leaf is a typed array or {data, shape}.
function flattenTree(tree, value, path, out) {
  const [kind] = tree;
  if (kind === "leaf") {
    if (value === null || value === undefined || (isPlainObject(value) && !ArrayBuffer.isView(value.data))) {
      throw new InvalidArgument(`${path}: expected an array, got ${describeValue(value)}`);
    }
    out.push(value);
    return;
  }
  if (kind === "none") {
    if (value !== null && value !== undefined) throw new InvalidArgument(`${path}: expected None, got ${describeValue(value)}`);
    return;
  }
  const children = treeChildren(tree);
  if (kind === "dict") {
    const entries = asMap(value);
    if (!entries) throw new InvalidArgument(`${path}: expected a dict, got ${describeValue(value)}`);
    const keys = tree[1];
    const quoted = (list) => `[${list.map((key) => `'${key}'`).join(", ")}]`;
    const missing = keys.filter((key) => !entries.has(key));
    const extra = [...entries.keys()].filter((key) => !keys.includes(key));
    if (missing.length || extra.length) {
      const parts = [];
      if (missing.length) parts.push(`missing keys ${quoted(missing)}`);
      if (extra.length) parts.push(`unexpected keys ${quoted(extra)}`);
      throw new InvalidArgument(`${path}: ${parts.join(" and ")}`);
    }
    keys.forEach((key, i) => flattenTree(children[i], entries.get(key), `${path}['${key}']`, out));
    return;
  }
  if (!Array.isArray(value)) throw new InvalidArgument(`${path}: expected a ${kind} of ${children.length}, got ${describeValue(value)}`);
  if (value.length !== children.length) throw new InvalidArgument(`${path}: expected ${children.length} items, got ${value.length}`);
  children.forEach((child, i) => flattenTree(child, value[i], `${path}[${i}]`, out));
}

function describeValue(value) {
  if (value === null || value === undefined) return "None";
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  if (Array.isArray(value)) return "a list";
  return isPlainObject(value) || value instanceof Map ? "a dict" : `a ${typeof value}`;
}

// InvalidArgument unless `names` are exactly the declared weights' names
// (runtime/parameters.py check_names).
function checkNames(specs, names, where) {
  const declared = new Set(specs.map((spec) => spec.name));
  const given = new Set(names);
  const missing = specs.map((spec) => spec.name).filter((name) => !given.has(name));
  const extra = [...given].filter((name) => !declared.has(name)).sort();
  if (!missing.length && !extra.length) return;
  const parts = [];
  if (missing.length) parts.push(`missing ${listNames(missing)}`);
  if (extra.length) parts.push(`not weights of this model: ${listNames(extra)}`);
  throw new InvalidArgument(`weights: ${where} do not match the model: ${parts.join("; ")}`);
}

function listNames(names, most = 5) {
  const shown = names.slice(0, most).join(", ");
  return names.length > most ? `${shown} and ${names.length - most} more` : shown;
}

function checkType(spec, shape, dtype, where) {
  const same = shape.length === spec.shape.length && shape.every((d, i) => d === spec.shape[i]);
  if (!same || dtype !== spec.dtype) {
    throw new InvalidArgument(`weight ${spec.name}: the model needs ${typeString(spec.dtype, spec.shape)}, ${where} ${typeString(dtype, shape)}`);
  }
}

function withArticle(name) {
  return `${/^[AEIOU]/.test(name) ? "an" : "a"} ${name}`;
}

function elementCount(shape) {
  return shape.reduce((a, b) => a * b, 1);
}

function fromArrays(specs, arrays) {
  checkNames(specs, [...arrays.keys()], "the arrays given");
  return specs.map((spec) => [spec.name, arrayBytes(spec, arrays.get(spec.name))]);
}

// One weight given as a typed array (its shape is the model's) or as
// {data, shape}: its bytes, checked.
function arrayBytes(spec, value) {
  const [ArrayType] = DTYPES[spec.dtype];
  const needs = typeString(spec.dtype, spec.shape);
  const tensor = ArrayBuffer.isView(value) ? { data: value, shape: null } : value;
  if (!tensor || !ArrayBuffer.isView(tensor.data) || (tensor.shape !== null && !Array.isArray(tensor.shape))) {
    throw new InvalidArgument(`weight ${spec.name}: the model needs ${needs}, as a ${ArrayType.name} or {data: ${ArrayType.name}, shape}`);
  }
  const { data, shape } = tensor;
  if (!(data instanceof ArrayType)) {
    throw new InvalidArgument(`weight ${spec.name}: the model needs ${needs} in a ${ArrayType.name}, given ${withArticle(data.constructor.name)}`);
  }
  if (shape !== null) checkType(spec, shape, spec.dtype, "given");
  const count = elementCount(spec.shape) * (LANES[spec.dtype] ?? 1);
  if (data.length !== count) {
    throw new InvalidArgument(`weight ${spec.name}: the model needs ${needs}, ${count} ${ArrayType.name} elements; given ${data.length}`);
  }
  // A bool is one byte, 0 or 1, whatever the caller's bytes held.
  const payload = spec.dtype === "bool" ? Uint8Array.from(data, (x) => (x ? 1 : 0)) : data;
  return new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
}

// Every tensor is checked (its type, then its length) before any is read:
// a splat entry of an .irpa is expanded only then, to the size the model
// declares.
async function fromFile(specs, bytes, label) {
  const tensors = await fileTensors(bytes, label);
  checkNames(specs, [...tensors.keys()], `the tensors in ${label}`);
  const checked = specs.map((spec) => {
    const tensor = tensors.get(spec.name);
    checkFileTensor(spec, tensor, label);
    return [spec.name, tensor];
  });
  return checked.map(([name, tensor]) => [name, tensor.bytes ?? tensor.read()]);
}

// A tensor of a file against its weight. An .irpa entry without our type
// metadata says only its length, which the Python runtime checks alone.
function checkFileTensor(spec, tensor, label) {
  const needed = elementCount(spec.shape) * itemSize(spec.dtype);
  if (tensor.dtype === null) {
    if (tensor.length !== needed) {
      throw new InvalidArgument(
        `weight ${spec.name}: the model needs ${typeString(spec.dtype, spec.shape)} (${needed} bytes), ${label} holds ${tensor.length} bytes`,
      );
    }
    return;
  }
  checkType(spec, tensor.shape, tensor.dtype, `${label} holds`);
  if (tensor.length !== needed) {
    throw new InvalidEncoding(`${label}: tensor '${spec.name}': ${tensor.length} bytes of data for ${typeString(spec.dtype, spec.shape)}, which needs ${needed}`);
  }
}

// The tensors of a weights file: Map name -> {dtype, shape, length, and
// bytes or read()}; dtype and shape are null for an .irpa entry that does
// not record them.
export async function fileTensors(bytes, label) {
  if (PACKAGE_MAGIC.every((b, i) => bytes[i] === b)) return packageTensors(bytes, label);
  if (bytes.length >= 4 && String.fromCharCode(...bytes.subarray(0, 4)) === "IRPA") return irpaTensors(bytes, label);
  if (bytes.length >= 9 && bytes[8] === 0x7b) return safetensorsTensors(bytes, label); // "{"
  throw new InvalidEncoding(`${label}: not a weights file (safetensors, .irpa or a .wtpkg package)`);
}

function readU64(bytes, at) {
  return new DataView(bytes.buffer, bytes.byteOffset + at, 8).getBigUint64(0, true);
}

function parseJson(bytes, fail) {
  try {
    return JSON.parse(utf8.decode(bytes));
  } catch {
    throw fail();
  }
}

const isCount = (value) => Number.isSafeInteger(value) && value >= 0;
const isCountList = (value) => Array.isArray(value) && value.every(isCount);

// safetensors: 8 bytes of header length (little endian), a JSON header,
// then the data (runtime/weights.py read_safetensors).
function safetensorsTensors(bytes, label) {
  const size = bytes.length;
  const length = readU64(bytes, 0);
  if (length > BigInt(Math.min(MAX_SAFETENSORS_HEADER, size - 8))) {
    throw new InvalidEncoding(`${label}: malformed safetensors file (a header of ${length} bytes in a file of ${size})`);
  }
  const start = 8 + Number(length);
  const header = parseJson(bytes.subarray(8, start), () => new InvalidEncoding(`${label}: malformed safetensors file (the header is not JSON)`));
  if (header === null || typeof header !== "object" || Array.isArray(header)) {
    throw new InvalidEncoding(`${label}: malformed safetensors file (the header is not an object)`);
  }
  const tensors = new Map();
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const bad = (why) => new InvalidEncoding(`${label}: tensor '${name}': ${why}`);
    if (entry === null || typeof entry !== "object") throw bad("malformed entry");
    const dtype = SAFETENSORS_DTYPES[entry.dtype];
    if (!dtype) throw bad(`unsupported dtype ${JSON.stringify(entry.dtype)}`);
    const { shape, data_offsets: offsets } = entry;
    if (!isCountList(shape) || !isCountList(offsets) || offsets.length !== 2) throw bad("malformed shape or data_offsets");
    const [begin, end] = offsets;
    const expected = elementCount(shape) * itemSize(dtype);
    if (end - begin !== expected) throw bad(`${end - begin} bytes of data for ${dtype}[${shape.join(", ")}], which needs ${expected}`);
    if (start + end > size) {
      throw bad(`the data ends at byte ${start + end}, past the end of the file (${size} bytes): the file is truncated`);
    }
    tensors.set(name, { dtype, shape, length: expected, bytes: bytes.subarray(start + begin, start + end) });
  }
  return tensors;
}

// An IREE parameter archive, read from IREE's definition of the format
// (iree/schemas/parameter_archive.h): each header of the file (headers may
// link to a next one), each entry of its table. A 64-bit field stays a
// BigInt until it is checked against the file's size, so no offset past the
// end, and no number above 2^53, is ever used. Data and splat entries are
// tensors; skip entries are erased ones; an external entry (data in another
// file) is refused, as IREE's own parser (and so the Python runtime) refuses it.
function irpaTensors(bytes, label) {
  const size = BigInt(bytes.length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (why) => new InvalidEncoding(`${label}: not a readable IREE parameter archive: ${why}`);
  const tensors = new Map();
  let tables = 0n; // the entry tables walked, in bytes: linked tables may not overlap
  for (let base = 0n; ; ) {
    const header = irpaHeader(view, base, size, fail);
    tables += header.entries.length;
    if (tables > size) throw fail("the entry tables of its linked headers overlap");
    for (const entry of irpaEntries(view, bytes, base, header, fail)) {
      if (tensors.has(entry.name)) throw fail(`two entries are named '${entry.name}'`);
      tensors.set(entry.name, entry.tensor);
    }
    if (header.next === 0n) return tensors;
    base += header.next;
  }
}

// The v0 header at `base`, its segments checked to lie within the file.
function irpaHeader(view, base, size, fail) {
  const where = base === 0n ? "" : ` (the header linked at byte ${base})`;
  if (base + BigInt(IRPA.headerBytes) > size) {
    throw fail(`the file ends at byte ${size}, inside the ${IRPA.headerBytes}-byte header at byte ${base}: it is truncated`);
  }
  if (base % BigInt(IRPA.alignment) !== 0n) throw fail(`the header linked at byte ${base} is not ${IRPA.alignment}-byte aligned`);
  const at = Number(base);
  const u64 = (offset) => view.getBigUint64(at + offset, true);
  if (view.getUint32(at, true) !== 0x41505249) throw fail(`no IRPA magic${where}`);
  const major = view.getUint16(at + 4, true);
  const minor = view.getUint16(at + 6, true);
  if (major !== 0 || minor !== 0) throw fail(`format version ${major}.${minor}${where}; this WebTensor reads version 0.0`);
  if (u64(8) !== BigInt(IRPA.headerBytes)) throw fail(`a version 0 header of ${u64(8)} bytes${where}, not ${IRPA.headerBytes}`);
  const segment = (offset, what) => {
    const range = { offset: u64(offset), length: u64(offset + 8) };
    const end = base + range.offset + range.length;
    if (range.length > 0n && end > size) {
      throw fail(`the ${what} (${range.length} bytes at byte ${base + range.offset}) ends at byte ${end}, past the end of the file (${size} bytes)`);
    }
    return range;
  };
  const header = {
    next: u64(16),
    count: u64(32),
    entries: segment(40, "entry table"),
    metadata: segment(56, "metadata segment"),
    storage: segment(72, "storage segment"),
  };
  if (header.entries.length > 0n && (base + header.entries.offset) % BigInt(IRPA.alignment) !== 0n) {
    throw fail(`the entry table at byte ${base + header.entries.offset} is not ${IRPA.alignment}-byte aligned`);
  }
  return header;
}

// The entries of one header's table: [{name, tensor}], skip entries left out.
function* irpaEntries(view, bytes, base, header, fail) {
  const metadataStart = base + header.metadata.offset;
  // A range of the metadata segment (a name, a metadata blob): its bytes.
  const metadataBytes = (at, what) => {
    const offset = view.getBigUint64(at, true);
    const length = view.getBigUint64(at + 8, true);
    if (length === 0n) return bytes.subarray(0, 0);
    if (offset + length > header.metadata.length) {
      throw fail(`${what} (bytes ${offset} to ${offset + length}) lies past the end of the metadata segment (${header.metadata.length} bytes)`);
    }
    const start = Number(metadataStart + offset);
    return bytes.subarray(start, start + Number(length));
  };
  let at = base + header.entries.offset;
  let remaining = header.entries.length;
  for (let i = 0n; i < header.count; ++i) {
    if (remaining < BigInt(IRPA.entryHeaderBytes)) {
      throw fail(`the entry table (${header.entries.length} bytes) ends inside entry ${i} of ${header.count}`);
    }
    const entryAt = Number(at);
    const entrySize = view.getBigUint64(entryAt, true);
    if (entrySize < BigInt(IRPA.entryHeaderBytes) || entrySize > remaining) {
      throw fail(`entry ${i} says it is ${entrySize} bytes, which the entry table (${remaining} bytes left) cannot hold`);
    }
    const type = view.getUint32(entryAt + 8, true);
    const name = parseName(metadataBytes(entryAt + 20, `the name of entry ${i}`), () => fail(`the name of entry ${i} is not UTF-8`));
    const metadata = metadataBytes(entryAt + 36, `the metadata of entry '${name}'`);
    const aligned = (entrySize + BigInt(IRPA.alignment - 1)) & ~BigInt(IRPA.alignment - 1);
    at += aligned;
    remaining -= aligned;
    const fits = (needed) => {
      if (entrySize < BigInt(needed)) throw fail(`entry '${name}' is ${entrySize} bytes, too short for its type (${needed})`);
    };
    if (type === IRPA.skip) continue;
    if (type === IRPA.data) {
      fits(IRPA.dataEntryBytes);
      yield { name, tensor: irpaData(view, bytes, base, header, entryAt, name, metadata, fail) };
    } else if (type === IRPA.splat) {
      fits(IRPA.splatEntryBytes);
      yield { name, tensor: irpaSplat(view, bytes, entryAt, name, metadata, fail) };
    } else if (type === IRPA.external) {
      throw fail(`entry '${name}' keeps its data in another file, which neither IREE's parser nor the web runtime reads`);
    } else {
      throw fail(`entry '${name}' has type ${type}, which the format does not define`);
    }
  }
}

function parseName(bytes, fail) {
  try {
    return utf8.decode(bytes);
  } catch {
    throw fail();
  }
}

function irpaData(view, bytes, base, header, entryAt, name, metadata, fail) {
  const offset = view.getBigUint64(entryAt + 60, true);
  const length = view.getBigUint64(entryAt + 68, true);
  if (length > 0n && offset + length > header.storage.length) {
    throw fail(`the data of entry '${name}' (bytes ${offset} to ${offset + length}) lies past the end of the storage segment (${header.storage.length} bytes)`);
  }
  const start = length > 0n ? Number(base + header.storage.offset + offset) : 0;
  return { ...irpaTensorType(metadata), length: Number(length), bytes: bytes.subarray(start, start + Number(length)) };
}

// A repeated pattern of 1, 2, 4, 8 or 16 bytes: expanded by read(), once the
// length is checked against the weight's.
function irpaSplat(view, bytes, entryAt, name, metadata, fail) {
  const length = view.getBigUint64(entryAt + 60, true);
  const patternLength = bytes[entryAt + 84];
  if (![1, 2, 4, 8, 16].includes(patternLength)) {
    throw fail(`entry '${name}' repeats a pattern of ${patternLength} bytes; the format allows 1, 2, 4, 8 or 16`);
  }
  if (length % BigInt(patternLength) !== 0n || length > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw fail(`entry '${name}' repeats its ${patternLength}-byte pattern over ${length} bytes`);
  }
  const pattern = bytes.slice(entryAt + 68, entryAt + 68 + patternLength);
  const read = () => {
    const out = new Uint8Array(Number(length));
    if (!out.length) return out;
    out.set(pattern);
    for (let filled = patternLength; filled < out.length; filled *= 2) out.copyWithin(filled, 0, Math.min(filled, out.length - filled));
    return out;
  };
  return { ...irpaTensorType(metadata), length: Number(length), read };
}

// {dtype, shape} from an entry's "TENSORv0:" metadata, or nulls where it
// has none (runtime/weights.py _irpa_tensor_type).
function irpaTensorType(metadata) {
  const none = { dtype: null, shape: null };
  const text = lenientUtf8.decode(metadata);
  if (!text.startsWith(IRPA.metadataPrefix)) return none;
  let described;
  try {
    described = JSON.parse(text.slice(IRPA.metadataPrefix.length));
  } catch {
    return none;
  }
  const { dtype, shape } = described ?? {};
  return typeof dtype === "string" && Array.isArray(shape) && shape.every(Number.isSafeInteger) ? { dtype, shape } : none;
}

async function sha256(bytes) {
  if (!globalThis.crypto?.subtle) {
    throw new UnsupportedOperation(
      "checking a package's hashes needs crypto.subtle, which a browser gives only to secure pages (https or localhost)",
    );
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

// A package's weights, after every byte of it checked out as the Python
// reader checks it (runtime/package.py): header, manifest hash, each
// section's hash, zero gaps, nothing after the last section.
async function packageTensors(bytes, label) {
  if (bytes.length < PACKAGE_HEADER_BYTES) {
    throw new SecurityError(`${label}: truncated package: the header ends at byte ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== PACKAGE_VERSION) {
    const newer = version > PACKAGE_VERSION ? " (a newer format: upgrade WebTensor to load it)" : "";
    throw new InvalidEncoding(`${label}: package format ${version}; this WebTensor reads format ${PACKAGE_VERSION}${newer}`);
  }
  if (view.getUint32(12, true) !== 0) throw new SecurityError(`${label}: damaged package: reserved header bytes are not zero`);
  const length = readU64(bytes, 16);
  if (length > BigInt(MAX_MANIFEST_BYTES)) {
    throw new SecurityError(`${label}: damaged package: a manifest of ${length} bytes (the most is ${MAX_MANIFEST_BYTES})`);
  }
  const start = PACKAGE_HEADER_BYTES + Number(length);
  const manifestBytes = bytes.subarray(PACKAGE_HEADER_BYTES, start);
  const expectedHash = Array.from(bytes.subarray(24, 56), (b) => b.toString(16).padStart(2, "0")).join("");
  if (manifestBytes.length < Number(length) || (await sha256(manifestBytes)) !== expectedHash) {
    throw new SecurityError(`${label}: the manifest does not match its hash: the package is damaged or was altered`);
  }
  const manifest = parseJson(manifestBytes, () => new SecurityError(`${label}: the manifest is not JSON`));
  const need = (condition, what) => {
    if (!condition) throw new SecurityError(`${label}: malformed manifest: ${what}`);
  };
  need(manifest !== null && typeof manifest === "object" && !Array.isArray(manifest), "not a JSON object");
  need(manifest.format === PACKAGE_FORMAT, `'format' is not '${PACKAGE_FORMAT}'`);
  need(manifest.format_version === PACKAGE_VERSION, "'format_version' disagrees with the header");
  need(Array.isArray(manifest.weights), "no 'weights' list");
  const section = (entry, what) => {
    const { offset, length: size, sha256: digest } = entry ?? {};
    need(isCount(offset) && isCount(size) && offset % PACKAGE_ALIGNMENT === 0, `${what} has no valid aligned offset and length`);
    need(typeof digest === "string" && digest.length === 64, `${what} has no SHA-256`);
    return { offset, length: size, sha256: digest };
  };
  const sections = [section(manifest.program, "the program")];
  const tensors = new Map();
  for (const entry of manifest.weights) {
    need(entry !== null && typeof entry === "object" && typeof entry.name === "string" && !tensors.has(entry.name), "a weight without a unique name");
    const { name, dtype, shape } = entry;
    need(dtype in DTYPES && isCountList(shape), `weight '${name}' has no valid dtype and shape`);
    const place = section(entry, `weight '${name}'`);
    const needed = elementCount(shape) * itemSize(dtype);
    if (place.length !== needed) {
      throw new SecurityError(`${label}: weight '${name}' is ${place.length} bytes, but ${typeString(dtype, shape)} needs ${needed}`);
    }
    sections.push(place);
    tensors.set(name, { dtype, shape, length: place.length, bytes: bytes.subarray(place.offset, place.offset + place.length) });
  }
  await checkSections(bytes, label, start, sections);
  return tensors;
}

async function checkSections(bytes, label, start, sections) {
  let position = start;
  for (const place of [...sections].sort((a, b) => a.offset - b.offset)) {
    if (place.offset < position) throw new SecurityError(`${label}: malformed manifest: sections overlap (at byte ${place.offset})`);
    const end = place.offset + place.length;
    if (end > bytes.length) throw new SecurityError(`${label}: truncated package: it ends at byte ${bytes.length}`);
    if (bytes.subarray(position, place.offset).some((b) => b !== 0)) {
      throw new SecurityError(`${label}: damaged package: the padding before byte ${place.offset} is not zero`);
    }
    if ((await sha256(bytes.subarray(place.offset, end))) !== place.sha256) {
      throw new SecurityError(
        `${label}: the section at byte ${place.offset} (${place.length} bytes) does not match its hash: the package is damaged or was altered`,
      );
    }
    position = end;
  }
  if (bytes.length > position) throw new SecurityError(`${label}: unexpected bytes after the last section, at byte ${position}`);
}
