// The native core benchmark (benches/core.rs) compiled to wasm32-wasip1, run in the page's V8: the engine and
// version franz runs in. Node's V8 is older and ranks some code differently (in Node 20 its WASI run put the log
// append at four times its Chromium time), so the wasm figures come from here. The benchmark imports five WASI
// calls; they are all it gets. Usage: core.html?wasm=/target/wasm32-wasip1/release/deps/core-<hash>.wasm
// (run.mjs finds the newest build). Prints the benchmark's JSON lines; sets window.benchDone when finished.
const out = document.getElementById('out');
const report = (line) => {
  console.log(line);
  out.textContent += line + '\n';
};

let memory;
const view = () => new DataView(memory.buffer);
const decoder = new TextDecoder();
let pending = ''; // output up to its next newline
class Exit {
  constructor(code) {
    this.code = code;
  }
}

const wasi = {
  environ_get: () => 0,
  environ_sizes_get: (count, bytes) => {
    view().setUint32(count, 0, true);
    view().setUint32(bytes, 0, true);
    return 0;
  },
  clock_time_get: (_id, _precision, at) => {
    const ns = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
    view().setBigUint64(at, ns, true);
    return 0;
  },
  fd_write: (_fd, iovs, count, written) => {
    let total = 0;
    for (let i = 0; i < count; i++) {
      const start = view().getUint32(iovs + 8 * i, true);
      const length = view().getUint32(iovs + 8 * i + 4, true);
      pending += decoder.decode(new Uint8Array(memory.buffer, start, length));
      total += length;
    }
    const lines = pending.split('\n');
    pending = lines.pop();
    lines.forEach(report);
    view().setUint32(written, total, true);
    return 0;
  },
  proc_exit: (code) => {
    throw new Exit(code);
  },
};

async function main() {
  const file = new URLSearchParams(location.search).get('wasm');
  if (!file) throw new Error('core.html needs ?wasm=<the benchmark built for wasm32-wasip1>');
  const { instance } = await WebAssembly.instantiateStreaming(fetch(file), { wasi_snapshot_preview1: wasi });
  memory = instance.exports.memory;
  try {
    instance.exports._start();
  } catch (e) {
    if (!(e instanceof Exit) || e.code !== 0) throw e;
  }
}

main().then(
  () => (window.benchDone = 'ok'),
  (e) => {
    report(JSON.stringify({ error: String(e instanceof Exit ? `exit ${e.code}` : e) }));
    window.benchDone = 'failed';
  },
);
