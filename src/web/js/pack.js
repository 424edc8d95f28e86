// The JavaScript side of crossing into and out of wasm, in one snippet module: with a second one, the web_api test
// page hung while loading in 1 of 3 headless runs (0 of 10 with one), for a reason not found.
//
// Packs KafkaJS-style messages into one buffer, so that a send crosses into wasm once instead of several times per
// message. Only conversion happens here; every decision (partition, batch, size limits) is wasm's.
//
// Layout, in little-endian 32-bit words (written as Int32Array elements: DataView calls were not inlined and cost
// a tenth of packing): count, data offset, then per message
//   flags (1 = partition given, 2 = timestamp given) | partition | timestamp low word | timestamp high word
//   ref key | ref value | header count | (ref name, ref value) per header
// where a ref is start (-1 = null) and length into the data area, which starts at `data offset` (in bytes).
// All strings of a send are encoded at once (per-call costs dominate for short strings): by one `encodeInto`, or
// for a few short ones by a loop.

const encoder = new TextEncoder();

function kind(v) {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** A TypeError shaped like franz's other errors, naming the field. */
function typeError(field, expected, got) {
  const err = new TypeError(`franz: ${field} must be ${expected}, got ${kind(got)}`);
  Object.assign(err, { type: 'INVALID_REQUEST', code: 42, retriable: false });
  return err;
}

function whole(v, at, i, suffix) {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw typeError(`${at}[${i}]${suffix}`, 'a whole number in range', v);
  return n;
}

// A buffer to pack into when wasm's is not aligned for words (its allocator aligns them, so not expected), grown
// as needed.
let scratch = new Uint8Array(1 << 16);
let scratchWords = new Int32Array(scratch.buffer);
function scratchOf(bytes) {
  if (scratch.length < bytes) {
    // A whole number of words: an Int32Array views it all.
    scratch = new Uint8Array(Math.ceil(Math.max(bytes, scratch.length * 2) / 4) * 4);
    scratchWords = new Int32Array(scratch.buffer);
  }
  return scratch;
}
const FIXED_WORDS = 9; // flags, partition, timestamp (2), key ref (2), value ref (2), header count
const TWO_TO_32 = 2 ** 32;

/** Calls `each(name, value)` for every header value, in order; KafkaJS allows an array of values per name. */
function forEachHeader(headers, each) {
  for (const name in headers) {
    if (!Object.hasOwn(headers, name)) continue;
    const value = headers[name];
    if (Array.isArray(value)) for (const v of value) each(name, v);
    else each(name, value);
  }
}

/** Packs `messages` (named `at` in errors) into the `length` bytes of wasm memory at `start`: returns the bytes
 * written, or minus the bytes needed when `length` is less than that (an upper bound: strings are sized at
 * three UTF-8 bytes a unit before they are encoded). Written through the cached views of wasm memory (packing
 * calls nothing in wasm, so they stay valid): a view per send was a measurable part of a one-record send. */
export function packMessages(messages, at, memory, start, length) {
  if (!Array.isArray(messages)) throw typeError(at, 'an array', messages);
  // Pass 1: check every field, count the refs, and collect the strings in layout order. Field names are built
  // only for an error: a name per message would cost more than packing it.
  const strings = [];
  let stringUnits = 0;
  let refs = 0;
  let bytesTotal = 0;
  const collect = (v, i, suffix) => {
    if (typeof v === 'string') {
      strings.push(v);
      stringUnits += v.length;
    } else if (v instanceof Uint8Array) bytesTotal += v.length;
    else if (v !== null && v !== undefined) throw typeError(`${at}[${i}]${suffix}`, 'a string, a Uint8Array or null', v);
    refs++;
  };
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (m === null || typeof m !== 'object') throw typeError(`${at}[${i}]`, 'a message object', m);
    if (m.value === undefined) throw typeError(`${at}[${i}].value`, 'a string, a Uint8Array or null', undefined);
    if (m.partition != null) whole(m.partition, at, i, '.partition');
    if (m.timestamp != null) whole(m.timestamp, at, i, '.timestamp');
    collect(m.key, i, '.key');
    collect(m.value, i, '.value');
    const headers = m.headers;
    if (headers !== null && headers !== undefined) {
      if (typeof headers !== 'object' || Array.isArray(headers)) throw typeError(`${at}[${i}].headers`, 'an object', headers);
      forEachHeader(headers, (name, v) => {
        collect(name, i, '.headers');
        collect(v, i, `.headers.${name}`);
      });
    }
  }

  // In words: the count and data offset, each message's fixed words, and two for each header ref (`refs` counted
  // keys and values too).
  const headerRefs = refs - 2 * messages.length;
  const header = 4 * (2 + messages.length * FIXED_WORDS + headerRefs * 2);
  const needed = header + stringUnits * 3 + bytesTotal;
  if (length < needed) return -needed;
  // Straight into wasm memory when the words can be written there (its allocator aligns them), else through
  // the scratch buffer. `base` is where the packed bytes start in `out`, `wordBase` in `words`.
  wasmViews(memory);
  const aligned = start % 4 === 0;
  const out = aligned ? wasmBytes : scratchOf(needed);
  const words = aligned ? wasmWords : scratchWords;
  const base = aligned ? start : 0;
  const wordBase = base >> 2;
  const end = base + needed;

  // The data area: the strings first, then the bytes. If the send is pure ASCII, each string's byte length is
  // its length, and they are all written at once; otherwise strings are encoded one by one in pass 2.
  const ascii = stringUnits <= SHORT_TEXT ? asciiInto(strings, out, base + header) : encodeAll(strings, out, base + header, end);
  let stringAt = header;
  let dataEnd = ascii ? header + stringUnits : header;

  // Pass 2: the fixed part, each ref written where its field's bytes went. `pos` counts words.
  let pos = 0;
  const ref = (f) => {
    let from = -1;
    let size = 0;
    if (typeof f === 'string') {
      if (ascii) {
        from = stringAt;
        size = f.length;
        stringAt += size;
      } else {
        from = dataEnd;
        size = encoder.encodeInto(f, out.subarray(base + dataEnd, end)).written;
        dataEnd += size;
      }
    } else if (f instanceof Uint8Array) {
      out.set(f, base + dataEnd);
      from = dataEnd;
      size = f.length;
      dataEnd += size;
    }
    words[wordBase + pos] = from < 0 ? -1 : from - header;
    words[wordBase + pos + 1] = size;
    pos += 2;
  };
  words[wordBase] = messages.length;
  words[wordBase + 1] = header;
  pos = 2;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    const partition = m.partition ?? null;
    const timestamp = m.timestamp ?? null;
    const fixed = wordBase + pos;
    words[fixed] = (partition !== null ? 1 : 0) | (timestamp !== null ? 2 : 0);
    // A field its flag says is absent is zero, so that the same messages always pack to the same bytes.
    words[fixed + 1] = partition !== null ? Number(partition) : 0;
    const t = timestamp !== null ? Number(timestamp) : 0; // a safe integer (checked above): its words are exact
    words[fixed + 2] = t % TWO_TO_32;
    words[fixed + 3] = Math.floor(t / TWO_TO_32);
    pos += 4;
    ref(m.key);
    ref(m.value);
    const countAt = pos;
    pos += 1;
    let headerCount = 0;
    if (m.headers !== null && m.headers !== undefined) {
      forEachHeader(m.headers, (name, v) => {
        ref(name);
        ref(v);
        headerCount++;
      });
    }
    words[wordBase + countAt] = headerCount;
  }
  if (!aligned) wasmBytes.set(out.subarray(0, dataEnd), start);
  return dataEnd;
}

// Up to this many UTF-16 units a send's text is copied by a loop: joining one short value and encoding it with
// `encodeInto` took ~25 µs of a one-record send between workers (stamped; each call is slow on a thread that
// wakes for one record), and a one-record send is mostly such fixed costs. Long text goes to one `encodeInto`,
// which a loop was slower than.
const SHORT_TEXT = 256;

/** Writes `strings` end to end at `at` in `out` if they are all ASCII (one byte a unit): whether they were. */
function asciiInto(strings, out, at) {
  for (const s of strings) {
    for (let i = 0; i < s.length; i++) {
      const unit = s.charCodeAt(i);
      if (unit > 0x7f) return false;
      out[at++] = unit;
    }
  }
  return true;
}

/** `asciiInto` for long text: all of it by one `encodeInto` (per-call costs dominate for short strings). */
function encodeAll(strings, out, at, end) {
  const joined = strings.join('');
  return encoder.encodeInto(joined, out.subarray(at, end)).written === joined.length;
}

const decoder = new TextDecoder();

/** A consumed key, value or header value: a Uint8Array whose `toString()` decodes it as a Node Buffer's does, so
 * that what KafkaJS users write, `message.value.toString()` or `JSON.parse(message.value)`, works: UTF-8 unless
 * asked for 'hex', 'base64' or 'latin1'. (A view made by this constructor costs what a Uint8Array's does.) */
class MessageBytes extends Uint8Array {
  toString(encoding = 'utf8') {
    switch (String(encoding).toLowerCase()) {
      case 'utf8':
      case 'utf-8':
        return decoder.decode(this);
      case 'hex':
        return Array.from(this, (b) => b.toString(16).padStart(2, '0')).join('');
      case 'base64':
        return btoa(latin1(this));
      case 'latin1':
      case 'binary':
        return latin1(this);
      default:
        throw new TypeError(`franz: unknown encoding ${encoding} (utf8, hex, base64 or latin1)`);
    }
  }
}

/** Each byte as the character of that code, in pieces (an argument list has a limit). */
function latin1(bytes) {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return text;
}

// Offsets are consecutive, and a number's string is costly (its digits, and a cache entry): an offset's string
// is its thousands' string, made once per thousand, joined to its last three digits from a table (a fifth less
// time per message in Node for a 3300-record fetch).
const LAST_THREE_DIGITS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
let thousands = -1;
let thousandsString = '';

/** An offset's decimal string; `n` is a double holding a whole number, or a BigInt. */
function offsetString(n) {
  // Below 10^15, n / 1000 cannot round up to the next whole number.
  if (typeof n !== 'number' || n < 1000 || n >= 1e15) return String(n);
  const high = Math.floor(n / 1000);
  if (high !== thousands) {
    thousands = high;
    thousandsString = String(high);
  }
  return thousandsString + LAST_THREE_DIGITS[n - high * 1000];
}

/** KafkaJS message objects from fetched records packed by the core (`PackedRecords`): keys, values and header
 * values are views of `arena`; offsets and timestamps strings (from `numbers`, doubles when all are exact as
 * doubles, BigInts otherwise); repeated header names arrays. */
export function unpackRecords(arena, numbers, refs) {
  // Made at its size: growing it by push cost a third of building the messages (Node, 1000 messages).
  const messages = new Array(numbers.length / 2);
  // A view by constructor: `subarray` looks up a species constructor on every call, half again as slow.
  const { buffer, byteOffset } = arena;
  const view = (start, length) => (start < 0 ? null : new MessageBytes(buffer, byteOffset + start, length));
  // Records of a batch mostly share their timestamp, and a 13-digit number's string is costly: made once per run.
  let time;
  let timeString;
  for (let r = 0, i = 0; i < refs.length; r += 2) {
    const key = view(refs[i], refs[i + 1]);
    const value = view(refs[i + 2], refs[i + 3]);
    const headerCount = refs[i + 4];
    i += 5;
    const headers = {};
    for (let h = 0; h < headerCount; h++, i += 4) {
      const name = decoder.decode(view(refs[i], refs[i + 1]));
      const v = view(refs[i + 2], refs[i + 3]);
      const seen = headers[name];
      headers[name] = seen === undefined ? v : Array.isArray(seen) ? [...seen, v] : [seen, v];
    }
    if (numbers[r + 1] !== time) {
      time = numbers[r + 1];
      timeString = String(time);
    }
    messages[r / 2] = { key, value, timestamp: timeString, attributes: 0, offset: offsetString(numbers[r]), headers };
  }
  return messages;
}

// Property reads and writes at the API boundary. js-sys's Reflect bindings may throw, so every call through them
// allocates a catching wrapper; a try/catch here allocates nothing, and a throwing getter or a frozen object
// gives `undefined` or leaves the object as it is, as franz treated those errors anyway.

export function getProperty(object, key) {
  try {
    return object[key];
  } catch {
    return undefined;
  }
}

export function setProperty(object, key, value) {
  try {
    object[key] = value;
  } catch {
    // a frozen or exotic object keeps what it has
  }
}

/** A whole number's decimal string (KafkaJS's offsets), for a double that holds it exactly. */
export function decimal(n) {
  return String(n);
}

/** A new ArrayBuffer holding wasm memory's bytes [start, start + length). `slice` copies into memory it does not
 * zero first, so this costs half of `new Uint8Array(length)` and `set` (about 5 against 11 µs per 112 KB). */
export function copyOut(memory, start, length) {
  return memory.buffer.slice(start, start + length);
}

// Record data crosses to another context in buffers that come back. Writing into fresh memory is what a transfer
// costs (page faults: measured ~50 µs per 112 KB, against ~2 µs into memory already written), so the side that
// copied a received buffer into wasm gives it back with its next envelope (`give`), and the sender writes its
// next records into it.
const spare = []; // buffers given back, ready to write
let spareBytes = 0;
const SPARE_MAX_BYTES = 32 << 20;
const RECYCLED_MIN = 16 << 10; // smaller buffers come from warm memory anyway
let toGive = []; // received buffers, copied into wasm, to give back

/** A spare buffer for `total` bytes, taken from the pool, or null: the smallest that fits within twice the size;
 * or, to `carry` it back to the side that sends record data, the largest that fits. */
function takeSpare(total, carry) {
  let best = -1;
  if (carry || total >= RECYCLED_MIN) {
    for (let i = 0; i < spare.length; i++) {
      const size = spare[i].byteLength;
      if (size < total || (!carry && size > 2 * total)) continue;
      if (best < 0 || (carry ? size > spare[best].byteLength : size < spare[best].byteLength)) best = i;
    }
  }
  if (best < 0) return null;
  const buffer = spare[best];
  spare[best] = spare[spare.length - 1];
  spare.pop();
  spareBytes -= buffer.byteLength;
  return buffer;
}

/** Keeps a buffer whose bytes are no longer needed (copied into wasm), for the next record data sent. */
export function keepSpare(buffer) {
  if (buffer instanceof ArrayBuffer && buffer.byteLength >= RECYCLED_MIN && spareBytes + buffer.byteLength <= SPARE_MAX_BYTES) {
    spare.push(buffer);
    spareBytes += buffer.byteLength;
  }
}

let wasmBytes = new Uint8Array(0);
let wasmWords = new Uint32Array(0);
/** Views of all of wasm memory, made again only once it has grown (which detaches the old ones): a view per
 * use would be most of what sending a small frame allocates, and the garbage costs pauses. */
function wasmViews(memory) {
  if (wasmBytes.buffer !== memory.buffer) {
    wasmBytes = new Uint8Array(memory.buffer);
    wasmWords = new Uint32Array(memory.buffer);
  }
}

/** Writes the chunks at `spans` (`count` [start, length] word pairs in wasm memory, each a piece of wasm memory)
 * end to end at the start of `buffer`; a view of them. */
function layOut(buffer, memory, spans, count, total) {
  wasmViews(memory);
  const out = new Uint8Array(buffer, 0, total);
  for (let i = spans >>> 2, end = i + 2 * count, at = 0; i < end; i += 2) {
    const start = wasmWords[i];
    const length = wasmWords[i + 1];
    // Short pieces (a frame's fields) byte by byte: no view to allocate.
    if (length <= 64) for (let j = 0; j < length; j++) out[at + j] = wasmBytes[start + j];
    else out.set(wasmBytes.subarray(start, start + length), at);
    at += length;
  }
  return out;
}

/** `total` bytes of wasm memory, from the chunks at `spans` laid end to end, in a buffer to transfer: a spare one
 * when one fits, a new one otherwise. */
export function copyOutToSend(memory, spans, count, total) {
  const buffer = takeSpare(total, false);
  if (buffer === null && count === 1) {
    wasmViews(memory);
    return new Uint8Array(copyOut(memory, wasmWords[spans >>> 2], wasmWords[(spans >>> 2) + 1]));
  }
  return layOut(buffer ?? new ArrayBuffer(total), memory, spans, count, total);
}

/** A frame (`core::frame`) of `total` bytes from the chunks at `spans`, at the start of a buffer to post (see
 * `postFrame`): `into` (the buffer its request came in, so that it goes back) when it fits, else as
 * `copyOutToSend` chooses, or the largest spare to `carry` one back. */
export function copyOutFrame(memory, spans, count, total, into, carry) {
  let buffer = into !== undefined && into.byteLength >= total ? into : null;
  if (into !== undefined && buffer === null) keepSpare(into);
  buffer ??= takeSpare(total, carry);
  return layOut(buffer ?? new ArrayBuffer(total), memory, spans, count, total).buffer;
}

/** Posts a frame's `buffer` on `port`: transferred when it is large enough to be recycled (it comes back with
 * the answer, or as a spare), copied otherwise (no transfer list to build, and a small buffer is not kept). */
export function postFrame(port, buffer) {
  if (buffer.byteLength >= RECYCLED_MIN) port.postMessage(buffer, [buffer]);
  else port.postMessage(buffer);
}

/** The bytes of a received buffer up to the length its frame's head gives (a reused buffer is longer, and its
 * tail is not worth copying into wasm); the frame's reader in wasm checks the rest, that length included. */
export function frameIn(buffer) {
  const all = new Uint8Array(buffer);
  const length = all.length >= 8 ? ((all[4] << 24) | (all[5] << 16) | (all[6] << 8) | all[7]) >>> 0 : all.length;
  return length < all.length ? all.subarray(0, length) : all;
}

/** Notes a received buffer whose bytes are now copied into wasm: it goes back with the next envelope. */
export function giveBackLater(buffer) {
  if (buffer instanceof ArrayBuffer && buffer.byteLength >= RECYCLED_MIN && toGive.length < 64) toGive.push(buffer);
}

const NOTHING = Object.freeze([]);

/** The received buffers noted since the last call, each once (several views may share one) and none detached:
 * a transfer list with either makes `postMessage` throw. Called for every envelope: it allocates only when there
 * is something to give. */
export function takeToGive() {
  if (toGive.length === 0) return NOTHING;
  const given = [];
  for (const b of toGive) if (b.byteLength > 0 && !given.includes(b)) given.push(b);
  toGive = [];
  return given;
}

/** Gives `buffers` back with an outgoing `envelope` (as `give`), adding them to its `transfer` list. */
export function attachGiven(envelope, transfer, buffers) {
  if (buffers.length === 0) return;
  envelope.give = buffers;
  for (const b of buffers) transfer.push(b);
}

/** Keeps the buffers an incoming envelope gives back, for the next records sent. */
export function keepGiven(envelope) {
  const given = envelope?.give;
  if (!Array.isArray(given)) return;
  for (const b of given) keepSpare(b);
}

/** Settles `value` (a promise, or anything else, as `await` would) into `callback(id, ok, result)`: one wasm
 * callback for every promise a thread awaits (see `signal::settled`). */
export function settleWith(value, id, callback) {
  Promise.resolve(value).then((v) => callback(id, true, v), (e) => callback(id, false, e));
}

// Values go to IndexedDB from buffers reused for every put: a put clones its value at once, and filling a fresh
// buffer costs ~50 µs per 110 KB here (page faults), against ~2 µs for memory already written. A size put more
// than once (up to a batch part's 64 KiB) gets a buffer of its own; other sizes go through one resizable buffer,
// resized to each (resizing costs ~15 µs a put: a transaction of two puts took 0.35 ms that way, 0.32 ms from
// buffers of their size).
const BY_SIZE_MAX = 16;
const BY_SIZE_BYTES = 64 << 10;
const bySize = new Map(); // byte length -> its buffer, or null once seen
let staging = null;

/** Wasm memory's bytes [start, start + length) in a buffer to be put (and cloned) right away. */
export function stagedForPut(memory, start, length) {
  const buffer = bufferFor(length);
  if (buffer === null) return copyOut(memory, start, length); // no resizable buffers here
  new Uint8Array(buffer).set(new Uint8Array(memory.buffer, start, length));
  return buffer;
}

/** A buffer of exactly `length` bytes to fill: the size's own from its second put on, else the resizable one. */
function bufferFor(length) {
  if (length <= BY_SIZE_BYTES) {
    const own = bySize.get(length);
    if (own) return own;
    if (own === null) {
      const made = new ArrayBuffer(length);
      bySize.set(length, made);
      return made;
    }
    if (bySize.size >= BY_SIZE_MAX) bySize.clear();
    bySize.set(length, null);
  }
  return resized(length);
}

/** The resizable staging buffer, at `length` bytes; null where ArrayBuffers cannot be resized. */
function resized(length) {
  if (staging === null || staging.maxByteLength < length) {
    let max = 1 << 16;
    while (max < length) max *= 2;
    staging = new ArrayBuffer(length, { maxByteLength: max });
  }
  if (typeof staging.resize !== 'function') return null;
  staging.resize(length);
  return staging;
}

// KafkaJS's error classes: its names, hierarchy, constructor arguments and fields, so that code written against
// KafkaJS (`e instanceof KafkaJSProtocolError`, `e.name === 'KafkaJSNumberOfRetriesExceeded'`, `e.retriable`)
// reads franz's errors unchanged. The package's entry re-exports every `KafkaJS…` export here
// (scripts/package-exports.mjs). franz's own errors add Kafka's `type` and `code` wherever KafkaJS has none.

export class KafkaJSError extends Error {
  constructor(e, { retriable = true, cause } = {}) {
    super(e?.message || e, { cause });
    this.name = 'KafkaJSError';
    this.retriable = retriable;
    this.helpUrl = e?.helpUrl;
    this.cause = cause;
  }
}

export class KafkaJSNonRetriableError extends KafkaJSError {
  constructor(e, { cause } = {}) {
    super(e, { retriable: false, cause });
    this.name = 'KafkaJSNonRetriableError';
  }
}

export class KafkaJSProtocolError extends KafkaJSError {
  constructor(e, { retriable = e?.retriable } = {}) {
    super(e, { retriable });
    this.type = e?.type;
    this.code = e?.code;
    this.name = 'KafkaJSProtocolError';
  }
}

/** A subclass that only names itself (KafkaJS has a dozen); `name` is what its instances report. */
function named(Base, className, name = className) {
  return { [className]: class extends Base {
    constructor(...args) {
      super(...args);
      this.name = name;
    }
  } }[className];
}

/** A subclass that names itself and keeps `fields`: those of its metadata argument, or with `positional`, the
 * arguments after the error (KafkaJS's `new KafkaJSCreateTopicError(e, topic)`). */
function withFields(Base, className, fields, positional = false) {
  return { [className]: class extends Base {
    constructor(e, ...rest) {
      super(e);
      const given = positional ? Object.fromEntries(fields.map((field, i) => [field, rest[i]])) : rest[0] ?? {};
      for (const field of fields) this[field] = given[field];
      this.name = className;
    }
  } }[className];
}

export const KafkaJSOffsetOutOfRange = withFields(KafkaJSProtocolError, 'KafkaJSOffsetOutOfRange', ['topic', 'partition']);
export const KafkaJSMemberIdRequired = withFields(KafkaJSProtocolError, 'KafkaJSMemberIdRequired', ['memberId']);
export const KafkaJSConnectionError = withFields(KafkaJSError, 'KafkaJSConnectionError', ['broker', 'code']);
export const KafkaJSRequestTimeoutError = withFields(KafkaJSError, 'KafkaJSRequestTimeoutError', [
  'broker', 'correlationId', 'createdAt', 'sentAt', 'pendingDuration',
]);
export const KafkaJSMetadataNotLoaded = named(KafkaJSError, 'KafkaJSMetadataNotLoaded');
export const KafkaJSTopicMetadataNotLoaded = withFields(KafkaJSMetadataNotLoaded, 'KafkaJSTopicMetadataNotLoaded', ['topic']);
export const KafkaJSStaleTopicMetadataAssignment = withFields(KafkaJSError, 'KafkaJSStaleTopicMetadataAssignment', [
  'topic', 'unknownPartitions',
]);
export const KafkaJSServerDoesNotSupportApiKey = withFields(KafkaJSNonRetriableError, 'KafkaJSServerDoesNotSupportApiKey', [
  'apiKey', 'apiName',
]);
export const KafkaJSBrokerNotFound = named(KafkaJSError, 'KafkaJSBrokerNotFound');
export const KafkaJSPartialMessageError = named(KafkaJSNonRetriableError, 'KafkaJSPartialMessageError');
export const KafkaJSSASLAuthenticationError = named(KafkaJSNonRetriableError, 'KafkaJSSASLAuthenticationError');
export const KafkaJSGroupCoordinatorNotFound = named(KafkaJSNonRetriableError, 'KafkaJSGroupCoordinatorNotFound');
export const KafkaJSNotImplemented = named(KafkaJSNonRetriableError, 'KafkaJSNotImplemented');
export const KafkaJSTimeout = named(KafkaJSNonRetriableError, 'KafkaJSTimeout');
export const KafkaJSLockTimeout = named(KafkaJSTimeout, 'KafkaJSLockTimeout');
export const KafkaJSUnsupportedMagicByteInMessageSet = named(KafkaJSNonRetriableError, 'KafkaJSUnsupportedMagicByteInMessageSet');
// KafkaJS's own instances of these two report the parent's name.
export const KafkaJSInvalidVarIntError = named(KafkaJSNonRetriableError, 'KafkaJSInvalidVarIntError', 'KafkaJSNonRetriableError');
export const KafkaJSInvalidLongError = named(KafkaJSNonRetriableError, 'KafkaJSInvalidLongError', 'KafkaJSNonRetriableError');
export class KafkaJSFetcherRebalanceError extends Error {}

export class KafkaJSNumberOfRetriesExceeded extends KafkaJSNonRetriableError {
  constructor(e, { retryCount, retryTime } = {}) {
    super(e, { cause: e });
    this.name = 'KafkaJSNumberOfRetriesExceeded';
    this.stack = `${this.name}\n  Caused by: ${e?.stack ?? e}`;
    this.retryCount = retryCount;
    this.retryTime = retryTime;
  }
}

export class KafkaJSConnectionClosedError extends KafkaJSConnectionError {
  constructor(e, { host, port } = {}) {
    super(e, { broker: `${host}:${port}` });
    this.host = host;
    this.port = port;
    this.name = 'KafkaJSConnectionClosedError';
  }
}

export class KafkaJSDeleteGroupsError extends KafkaJSError {
  constructor(e, groups = []) {
    super(e);
    this.groups = groups;
    this.name = 'KafkaJSDeleteGroupsError';
  }
}

export class KafkaJSDeleteTopicRecordsError extends KafkaJSError {
  constructor({ partitions }) {
    // Worth retrying only if every partition's error is.
    const retriable = partitions.filter(({ error }) => error != null).every(({ error }) => error.retriable === true);
    super('Error while deleting records', { retriable });
    this.partitions = partitions;
    this.name = 'KafkaJSDeleteTopicRecordsError';
  }
}

export class KafkaJSInvariantViolation extends KafkaJSNonRetriableError {
  constructor(e) {
    super(`Invariant violated: ${e?.message || e}. This is likely a bug and should be reported.`);
    this.name = 'KafkaJSInvariantViolation';
  }
}

export const KafkaJSCreateTopicError = withFields(KafkaJSProtocolError, 'KafkaJSCreateTopicError', ['topic'], true);
export const KafkaJSAlterPartitionReassignmentsError = withFields(KafkaJSProtocolError, 'KafkaJSAlterPartitionReassignmentsError', [
  'topic', 'partition',
], true);

export class KafkaJSAggregateError extends Error {
  constructor(message, errors) {
    super(message);
    this.errors = errors;
    this.name = 'KafkaJSAggregateError';
  }
}

export class KafkaJSNoBrokerAvailableError extends KafkaJSError {
  constructor() {
    super('No broker available');
    this.name = 'KafkaJSNoBrokerAvailableError';
  }
}

/**
 * KafkaJS's registry of codec plugins, so that code registering one (`CompressionCodecs[CompressionTypes.ZSTD] =
 * ZstdCodec()`) loads and runs. franz compresses with its own built-in codecs, and does not use what is put here.
 */
export const CompressionCodecs = {};

// franz's errors, made as KafkaJS makes the same ones.

const BROKER_ERRORS = { KafkaJSProtocolError, KafkaJSOffsetOutOfRange, KafkaJSSASLAuthenticationError };

/** A Kafka error, as the KafkaJS class Rust chose (error.rs) makes it, with Kafka's `type` and `code` (which a
 * refused login, not a protocol error in KafkaJS, would otherwise lack). */
export function brokerError(className, message, type, code, retriable) {
  return Object.assign(new BROKER_ERRORS[className]({ message, type, code, retriable }), { type, code });
}

/** A client used out of order (a send before connect): non-retriable, with franz's name for what went wrong. */
export function clientError(type, message) {
  return Object.assign(new KafkaJSNonRetriableError(message), { type, code: -1 });
}

/** `cause` kept failing through `retryCount` retries. A cause that is not an Error still gives a message. */
export function retriesExceeded(cause, retryCount, retryTime) {
  const err = new KafkaJSNumberOfRetriesExceeded(cause, { retryCount, retryTime });
  if (!(cause instanceof Error) && typeof cause !== 'string') err.message = JSON.stringify(cause) ?? String(cause);
  return err;
}

/** The failures of several items in one call, with the lead failure's message, Kafka `type` and `code`. */
function carrying(err, lead, retriable = lead.retriable) {
  err.message = `${err.message}: ${lead.message}`;
  return Object.assign(err, { type: lead.type, code: lead.code, retriable });
}

/** createTopics' failures (`[{ topic, error }]`, the lead first), as KafkaJS reports them. */
export function topicCreationErrors(failures) {
  const errors = failures.map(({ topic, error }) => new KafkaJSCreateTopicError(error, topic));
  return carrying(new KafkaJSAggregateError('Topic creation errors', errors), errors[0]);
}

/** alterPartitionReassignments' failures (`[{ topic, partition, error }]`), as KafkaJS reports them. */
export function reassignmentErrors(failures) {
  const errors = failures.map(({ topic, partition, error }) => new KafkaJSAlterPartitionReassignmentsError(error, topic, partition));
  return carrying(new KafkaJSAggregateError('Errors altering partition reassignments', errors), errors[0]);
}

/** deleteGroups' failures: `[{ groupId, errorCode, error }]`. */
export function deleteGroupsError(groups) {
  return carrying(new KafkaJSDeleteGroupsError('Error in DeleteGroups', groups), groups[0].error);
}

/** deleteTopicRecords' failures: `[{ partition, offset, error }]`. KafkaJS's rule decides `retriable`. */
export function deleteRecordsError(topic, partitions) {
  const err = new KafkaJSDeleteTopicRecordsError({ topic, partitions });
  return carrying(err, partitions[0].error, err.retriable);
}

// KafkaJS's `cluster` as a custom partition assigner is given it: the part of KafkaJS's Cluster an assigner
// reads. `refresh` fetches the cluster's metadata; the group's leader refreshes it before each `assign`, as
// KafkaJS's does, so `findTopicPartitionMetadata` answers from what the cluster says then.
export class AssignerCluster {
  #refresh;
  #brokers = [];
  #topics = new Map();
  #loaded = false;

  constructor(refresh) {
    this.#refresh = refresh;
  }

  async refreshMetadata() {
    const { brokers, topicMetadata } = await this.#refresh();
    this.#brokers = brokers;
    this.#topics = new Map(topicMetadata.map((t) => [t.topic, t]));
    this.#loaded = true;
  }

  async refreshMetadataIfNecessary() {
    if (!this.#loaded) await this.refreshMetadata();
  }

  async metadata() {
    await this.refreshMetadataIfNecessary();
    return { brokers: this.#brokers, topicMetadata: [...this.#topics.values()] };
  }

  isConnected() {
    return true;
  }

  getNodeIds() {
    return this.#brokers.map((b) => b.nodeId);
  }

  /** `[{ partitionErrorCode, partitionId, leader, replicas, isr, offlineReplicas }]`; `[]` for a topic not known. */
  findTopicPartitionMetadata(topic) {
    return this.#topics.get(topic)?.partitionMetadata ?? [];
  }

  /** `{ [leader]: partitions }` for those of `partitions` the metadata knows. */
  findLeaderForPartitions(topic, partitions) {
    const byLeader = {};
    for (const p of this.findTopicPartitionMetadata(topic)) {
      if (partitions.includes(p.partitionId)) (byLeader[p.leader] ??= []).push(p.partitionId);
    }
    return byLeader;
  }
}
