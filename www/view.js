// The live cluster view: brokers (up or down, leaderships, Kill and Restart), each partition's replicas (leader,
// followers, out of the ISR, offline) with log end and high watermark bars and its last records, consumer groups
// with their members and lag, and throughput in and out. It renders what the broker worker sends; it decides
// nothing.
import uPlot from './vendor/uPlot.esm.js';

const esc = (s) => String(s ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

export function createView(element, terminal) {
  const samples = [[], [], []]; // time (s), records in/s, records out/s
  let previous = null;
  let chart = null;

  function throughput(view) {
    const now = Date.now() / 1000;
    const produced = view.topics.flatMap((t) => t.partitions).reduce((n, p) => n + p.highWatermark, 0);
    const consumed = view.groups.flatMap((g) => g.lag).reduce((n, l) => n + (l.committed ?? 0), 0);
    if (previous) {
      const dt = Math.max(0.001, now - previous.now);
      samples[0].push(now);
      samples[1].push(Math.max(0, (produced - previous.produced) / dt));
      samples[2].push(Math.max(0, (consumed - previous.consumed) / dt));
      for (const s of samples) if (s.length > 150) s.shift();
    }
    previous = { now, produced, consumed };
  }

  function brokers(view) {
    return `<h3>Brokers</h3><div class="brokers">${view.brokers.map((b) => `
      <div class="broker ${b.alive ? 'up' : 'down'}" data-broker="${b.id}">
        <div>Broker ${b.id}${b.rack ? ` <small>(${esc(b.rack)})</small>` : ''}</div>
        <div class="state">${b.alive ? 'UP' : 'DOWN'}</div>
        <div><small>leads ${b.leaders} partition${b.leaders === 1 ? '' : 's'}</small></div>
        ${b.alive ? `<button data-action="kill" data-id="${b.id}">Kill</button>` : `<button data-action="restart" data-id="${b.id}">Restart</button>`}
      </div>`).join('')}</div>`;
  }

  function partitions(view) {
    return view.topics.map((t) => {
      const max = Math.max(1, ...t.partitions.flatMap((p) => p.logEndOffsets));
      const rows = t.partitions.map((p) => {
        const replicas = p.replicas.map((r, i) => {
          const kind = p.replicaStates[i];
          // A partition moving between brokers (a reassignment): replicas joining it, and those leaving once done.
          const move = p.adding.includes(r) ? ' joining' : p.removing.includes(r) ? ' leaving' : '';
          const title = `broker ${r}: ${kind}${move ? `, ${move.trim()} (a reassignment)` : ''}, LEO ${p.logEndOffsets[i]}, HW ${p.highWatermarks[i]}`;
          return `<span class="replica ${kind}${move}" title="${title}" data-replica="${r}">${r}${r === p.leader ? '★' : ''}</span>`;
        }).join('');
        const leo = Math.max(...p.logEndOffsets, 0);
        const bars = `<div class="bar" title="log end ${leo}"><span class="leo" style="width:${(100 * leo) / max}%"></span></div>
          <div class="bar" title="high watermark ${p.highWatermark}"><span class="hw" style="width:${(100 * p.highWatermark) / max}%"></span></div>`;
        const headers = (r) => (r.headers.length ? ` <small class="headers">[${r.headers.map(([k, v]) => `${esc(k)}=${v === null ? 'null' : esc(v)}`).join(', ')}]</small>` : '');
        const last = p.last.map((r) => `${r.offset}: ${r.key === null ? '' : esc(r.key) + ' → '}${esc(r.value)}${headers(r)}`).join('<br>');
        return `<tr data-partition="${p.partition}"><td>${p.partition}</td><td>${replicas}</td><td>${bars}<small>HW ${p.highWatermark} · epoch ${p.leaderEpoch}</small></td><td class="records">${last}</td></tr>`;
      }).join('');
      return `<h3>Topic ${esc(t.name)}</h3><table data-topic="${esc(t.name)}"><tr><th>P</th><th>Replicas (★ leader)</th><th>LEO / HW</th><th>Last records</th></tr>${rows}</table>`;
    }).join('');
  }

  function groups(view) {
    if (!view.groups.length) return '';
    return view.groups.map((g) => {
      const owner = (topic, partition) => g.members.find((m) => m.partitions.some(([t, p]) => t === topic && p === partition));
      const idle = g.members.filter((m) => !m.partitions.length).map((m) => `<div>${esc(m.id)} <em>idle</em></div>`).join('');
      const rows = g.lag.map((l) => `<tr><td>${esc(l.topic)}-${l.partition}</td><td>${esc(owner(l.topic, l.partition)?.id ?? '—')}</td><td>${l.committed ?? '—'}</td><td>${l.logEnd}</td><td>${l.lag}</td></tr>`).join('');
      return `<h3>Group ${esc(g.group)} <small>(${esc(g.state)}, ${g.members.length} member${g.members.length === 1 ? '' : 's'})</small></h3>${idle}
        <table data-group="${esc(g.group)}"><tr><th>Partition</th><th>Member</th><th>Committed</th><th>Log end</th><th>Lag</th></tr>${rows}</table>`;
    }).join('');
  }

  element.addEventListener('click', (e) => {
    const button = e.target.closest('button[data-action]');
    if (button) terminal.type(`franz broker ${button.dataset.action} ${button.dataset.id}`);
  });

  return {
    render(view) {
      if (!view) {
        element.innerHTML = '<p class="empty">No cluster in use yet: the first lesson creates one.</p>';
        chart = null;
        return;
      }
      throughput(view);
      element.innerHTML = `<h2>${esc(view.cluster.name)} <small>${esc(view.cluster.id)}</small></h2>${brokers(view)}
        <h3>Throughput (records/s)</h3><div id="chart"></div>${partitions(view)}${groups(view)}`;
      const opts = { width: element.clientWidth - 30, height: 120, legend: { show: true }, scales: { x: { time: true } },
        series: [{}, { label: 'in', stroke: '#4fb3ff' }, { label: 'out', stroke: '#4cc38a' }], axes: [{ stroke: '#8a96a3' }, { stroke: '#8a96a3' }] };
      chart = new uPlot(opts, samples, element.querySelector('#chart'));
    },
  };
}
