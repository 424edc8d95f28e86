// "Add producer" and "Add consumer": real Web Workers (franz/worker's producer.js and consumer.js), each connected
// to the cluster in use through a MessageChannel whose other end the broker worker serves. Each is listed with
// what it did, and a Stop button that terminates it (as a crash would: its group notices after the session
// timeout). Each has its own clientId (consumer-3, …), so the group panel's member ids say which worker is which.
const esc = (s) => String(s ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

export function createWorkers(element, broker, currentView) {
  const running = new Map(); // id → { worker, label, status }
  let next = 0;

  element.innerHTML = `<h3>Workers</h3>
    <form data-kind="producer">
      <label>Topic<input name="topic" value="orders" required></label>
      <label>Rate /s<input name="rate" type="number" min="1" value="5"></label>
      <label>Keys<select name="keys"><option value="distinct">10 distinct</option><option value="fixed">one fixed</option><option value="none">none</option></select></label>
      <button>Add producer</button>
    </form>
    <form data-kind="consumer">
      <label>Topic<input name="topic" value="orders" required></label>
      <label>Group<input name="group" value="workers" placeholder="(standalone)"></label>
      <label>Rack<input name="rack" placeholder="(any)"></label>
      <button>Add consumer</button>
    </form>
    <ul></ul>`;
  const list = element.querySelector('ul');

  function render() {
    list.innerHTML = [...running].map(([id, w]) => `<li data-worker="${id}"><span>${esc(w.label)}: <b>${esc(w.status)}</b></span><button data-stop="${id}">Stop</button></li>`).join('');
  }

  async function spawn(kind, options, label) {
    if (!currentView()) throw new Error('no cluster in use yet: create and use one first (lessons 1 and 2)');
    const channel = new MessageChannel();
    await broker.serve(channel.port1);
    const worker = new Worker(`./pkg/worker/${kind}.js`, { type: 'module' });
    const id = ++next;
    const clientId = `${kind}-${id}`;
    const entry = { worker, label: `${clientId} ${label}`, status: 'starting' };
    running.set(id, entry);
    worker.onmessage = ({ data }) => {
      if (data.type === 'progress') entry.status = `${data.acked} sent${data.errors ? `, ${data.errors} failed sends` : ''}`;
      else if (data.type === 'consumed') entry.status = `${data.count} consumed, lag ${data.lag}`;
      else if (data.type === 'failed') entry.status = `failed: ${data.error.type ?? ''} ${data.error.message}`;
      else if (data.type === 'done' || data.type === 'stopped') entry.status = 'finished';
      render();
    };
    worker.postMessage({ type: 'start', port: channel.port2, clientId, ...options }, [channel.port2]);
    render();
  }

  element.addEventListener('submit', async (e) => {
    e.preventDefault();
    const form = e.target;
    const f = Object.fromEntries(new FormData(form));
    try {
      if (form.dataset.kind === 'producer') {
        const key = { distinct: 'user-{n}', fixed: 'the-key', none: null }[f.keys];
        await spawn('producer', { topic: f.topic, rate: Number(f.rate) || 5, key, keySpace: f.keys === 'distinct' ? 10 : 0 },
          `→ ${f.topic} (${f.rate}/s, ${f.keys} keys)`);
      } else {
        const groupId = f.group.trim() || undefined;
        await spawn('consumer', { topic: f.topic, groupId, rackId: f.rack.trim() || undefined, sessionTimeout: 6000, heartbeatInterval: 1000 },
          `← ${f.topic} (${groupId ? `group ${groupId}` : 'standalone'}${f.rack ? `, rack ${f.rack}` : ''})`);
      }
    } catch (err) {
      list.insertAdjacentHTML('beforeend', `<li class="error">${esc(err.message ?? err)}</li>`);
    }
  });

  element.addEventListener('click', (e) => {
    const id = Number(e.target.dataset.stop);
    if (!id) return;
    running.get(id)?.worker.terminate();
    running.delete(id);
    render();
  });

  return { count: () => running.size };
}
