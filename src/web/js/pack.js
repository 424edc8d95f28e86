// Packs KafkaJS-style messages into one buffer, so that a send crosses into wasm once instead of several times per
// message. Only conversion happens here; every decision (partition, batch, size limits) is wasm's.
//
// Layout, little-endian: u32 count, u32 data offset, then per message
//   u8 flags (1 = partition given, 2 = timestamp given) | i32 partition | f64 timestamp
//   ref key | ref value | u32 header count | (ref name, ref value) per header
// where a ref is i32 start (-1 = null) and i32 length into the data area, which starts at `data offset`.
// All strings of a send are encoded by one `encodeInto`: per-call costs dominate for short strings.

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

/** Packs `messages` (named `at` in errors). */
export function packMessages(messages, at) {
  if (!Array.isArray(messages)) throw typeError(at, 'an array', messages);
  // Pass 1: check every field and collect the byte fields in order.
  const fields = []; // string | Uint8Array | null, in layout order
  const fixed = []; // [flags, partition, timestamp, headerCount] per message
  let refs = 0;
  // Field names are built only for an error: a name per message would cost more than packing it.
  const push = (v, i, suffix) => {
    if (v !== null && v !== undefined && typeof v !== 'string' && !(v instanceof Uint8Array)) {
      throw typeError(`${at}[${i}]${suffix}`, 'a string, a Uint8Array or null', v);
    }
    fields.push(v ?? null);
    refs++;
  };
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (m === null || typeof m !== 'object') throw typeError(`${at}[${i}]`, 'a message object', m);
    if (m.value === undefined) throw typeError(`${at}[${i}].value`, 'a string, a Uint8Array or null', undefined);
    const partition = m.partition ?? null;
    const timestamp = m.timestamp ?? null;
    const flags = (partition !== null ? 1 : 0) | (timestamp !== null ? 2 : 0);
    const p = partition === null ? 0 : whole(partition, at, i, '.partition');
    const t = timestamp === null ? 0 : whole(timestamp, at, i, '.timestamp');
    push(m.key, i, '.key');
    push(m.value, i, '.value');
    let headerCount = 0;
    const headers = m.headers;
    if (headers !== null && headers !== undefined) {
      if (typeof headers !== 'object' || Array.isArray(headers)) throw typeError(`${at}[${i}].headers`, 'an object', headers);
      for (const name of Object.keys(headers)) {
        const value = headers[name];
        // KafkaJS allows an array of values for a repeated header key.
        for (const v of Array.isArray(value) ? value : [value]) {
          push(name, i, '.headers');
          push(v, i, `.headers.${name}`);
          headerCount++;
        }
      }
    }
    fixed.push(flags, p, t, headerCount);
  }

  // Pass 2: the data area. All strings in one encodeInto; if the send was pure ASCII, byte lengths are string lengths.
  const strings = fields.filter((f) => typeof f === 'string');
  const joined = strings.join('');
  let bytesTotal = 0;
  for (const f of fields) if (f instanceof Uint8Array) bytesTotal += f.length;
  const header = 8 + messages.length * 17 + refs * 8;
  const out = new Uint8Array(header + joined.length * 3 + bytesTotal);
  const view = new DataView(out.buffer);
  const written = encoder.encodeInto(joined, out.subarray(header)).written;
  const ascii = written === joined.length;
  let dataEnd = header + written;
  let stringAt = header;
  const refOf = (f) => {
    if (f === null) return [-1, 0];
    if (typeof f === 'string') {
      if (ascii) {
        const start = stringAt - header;
        stringAt += f.length;
        return [start, f.length];
      }
      const n = encoder.encodeInto(f, out.subarray(dataEnd)).written; // rare: non-ASCII text in this send
      dataEnd += n;
      return [dataEnd - n - header, n];
    }
    out.set(f, dataEnd);
    dataEnd += f.length;
    return [dataEnd - f.length - header, f.length];
  };
  if (!ascii) dataEnd = header; // re-encode string by string after the fixed part instead

  let pos = 0;
  const i32 = (v) => { view.setInt32(pos, v, true); pos += 4; };
  i32(messages.length);
  i32(header);
  let next = 0;
  for (let i = 0; i < messages.length; i++) {
    const headerCount = fixed[i * 4 + 3];
    out[pos++] = fixed[i * 4];
    i32(fixed[i * 4 + 1]);
    view.setFloat64(pos, fixed[i * 4 + 2], true);
    pos += 8;
    for (let r = 0; r < 2 + headerCount * 2; r++) {
      if (r === 2) i32(headerCount);
      const [start, len] = refOf(fields[next++]);
      i32(start);
      i32(len);
    }
    if (headerCount === 0) i32(0);
  }
  return out.subarray(0, dataEnd);
}

const decoder = new TextDecoder();

/** KafkaJS message objects from fetched records packed by the core (`PackedRecords`): keys, values and header
 * values are views of `arena`; offsets and timestamps strings (from BigInt64, so exact); repeated header names
 * arrays. */
export function unpackRecords(arena, numbers, refs) {
  const messages = [];
  const view = (start, length) => (start < 0 ? null : arena.subarray(start, start + length));
  for (let r = 0, i = 0; i < refs.length; r += 2) {
    const key = view(refs[i], refs[i + 1]);
    const value = view(refs[i + 2], refs[i + 3]);
    const headerCount = refs[i + 4];
    i += 5;
    const headers = {};
    for (let h = 0; h < headerCount; h++, i += 4) {
      const name = decoder.decode(arena.subarray(refs[i], refs[i] + refs[i + 1]));
      const v = view(refs[i + 2], refs[i + 3]);
      const seen = headers[name];
      headers[name] = seen === undefined ? v : Array.isArray(seen) ? [...seen, v] : [seen, v];
    }
    messages.push({ key, value, timestamp: String(numbers[r + 1]), attributes: 0, offset: String(numbers[r]), headers });
  }
  return messages;
}
