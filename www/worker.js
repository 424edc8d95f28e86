// The tutorial's broker side: the CLI interpreter and every cluster it creates run in this worker, so the page
// only renders. Messages in: { id, op: 'run' | 'send' | 'stop' | 'complete' | 'hello', line }; out: { id, result }
// or { id, error }, plus { type: 'view', view } a few times a second and { type: 'lines', lines } while consuming.
import init, { Cli, version } from './pkg/franz.js';

let cli;
let polling = null;
const ready = (async () => {
  await init();
  cli = await Cli.open({ storage: 'indexeddb' });
  const wasm = performance.getEntriesByType('resource').find((e) => e.name.endsWith('.wasm'));
  return { version: version(), wasmBytes: wasm?.decodedBodySize || null };
})();

const post = (message) => self.postMessage(message);

function stopPolling() {
  clearInterval(polling);
  polling = null;
}

function startPolling() {
  stopPolling();
  polling = setInterval(async () => {
    try {
      const lines = await cli.poll();
      if (lines.length) post({ type: 'lines', lines });
    } catch (e) {
      post({ type: 'lines', lines: [e.text || String(e)] });
      stopPolling();
    }
  }, 250);
}

self.onmessage = async ({ data: { id, op, line, port } }) => {
  try {
    const v = await ready;
    let result;
    if (op === 'hello') result = v;
    else if (op === 'run') {
      result = await cli.run(line);
      if (result.streaming === 'consume') startPolling();
    } else if (op === 'send') await cli.send(line);
    else if (op === 'stop') {
      cli.stop();
      stopPolling();
    } else if (op === 'complete') result = cli.complete(line);
    else if (op === 'serve') cli.serve(port);
    else if (op === 'reset') {
      stopPolling();
      await cli.reset();
    }
    post({ id, result });
  } catch (e) {
    post({ id, error: (e && (e.text || e.message)) || String(e) });
  }
};

ready.then(() => setInterval(() => post({ type: 'view', view: cli.view(), status: cli.status() }), 250), () => {});
