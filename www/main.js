// The tutorial page: lessons on the left, a terminal in the middle, workers and the live cluster view on the
// right. The broker (the CLI interpreter and its clusters) runs in a worker; this page only renders what it
// reports.
import { createTerminal } from './terminal.js';
import { createView } from './view.js';
import { LESSONS } from './lessons.js';
import { PROGRESS } from './progress.js';
import { createWorkers } from './workers.js';

const started = performance.now();
const status = document.getElementById('status');
const worker = new Worker('./worker.js', { type: 'module' });
let nextId = 0;
const pending = new Map();
let latestView = null;
let latestStatus = null;

/** Calls the broker worker: `run`, `send`, `stop`, `complete`, `reset`; `serve` hands it a port to serve on. */
const broker = {
  call(op, line, port) {
    const id = ++nextId;
    worker.postMessage({ id, op, line, port }, port ? [port] : []);
    return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
  },
  serve(port) {
    return this.call('serve', undefined, port);
  },
};

const terminal = createTerminal(document.getElementById('terminal'), broker);
const view = createView(document.getElementById('view'), terminal);
const workers = createWorkers(document.getElementById('workers'), broker, () => latestView);

worker.onerror = (e) => {
  status.textContent = `franz failed to start: ${e.message ?? 'the broker worker did not load'}`;
  status.classList.add('error');
};

worker.onmessage = ({ data }) => {
  if (data.type === 'view') {
    latestView = data.view;
    latestStatus = data.status;
    view.render(data.view);
    updateProgress();
  } else if (data.type === 'lines') {
    terminal.lines(data.lines);
  } else if (pending.has(data.id)) {
    const { resolve, reject } = pending.get(data.id);
    pending.delete(data.id);
    if ('error' in data) reject(data.error);
    else resolve(data.result);
  }
};

broker.call('hello').then(
  ({ version, wasmBytes }) => {
    const ready = Math.round(performance.now() - started);
    const size = wasmBytes ? ` · wasm ${(wasmBytes / 1e6).toFixed(2)} MB` : '';
    status.textContent = `franz ${version} loaded in ${ready} ms${size}`;
    Object.assign(status.dataset, { version, readyMs: ready, wasmBytes: wasmBytes ?? '' });
  },
  (err) => {
    status.textContent = `franz failed to start: ${err}`;
    status.classList.add('error');
  },
);

// Lessons: a list with ✓ for those done, the current one (linkable as #lesson/<slug>), its checks, and a quiz.
const lessons = document.getElementById('lessons');
const saved = (key, fallback) => JSON.parse(localStorage.getItem(key) ?? 'null') ?? fallback;
const done = new Set(saved('franz-done', []));
const answers = saved('franz-answers', {});
let current = 0;

function lessonFromHash() {
  const slug = /^#lesson\/(.+)$/.exec(location.hash)?.[1];
  const i = PROGRESS.findIndex((p) => p.slug === slug);
  return i >= 0 ? i : Number(localStorage.getItem('franz-lesson') ?? 0) || 0;
}

/** A lesson's command with what the live view knows filled in (the cluster and environment in use). */
function fill(command) {
  return command
    .replaceAll('<lkc-id>', latestStatus?.currentCluster ?? '<lkc-id>')
    .replaceAll('<env-id>', latestStatus?.currentEnvironment ?? '<env-id>');
}

const checksOf = (i) => (latestStatus ? PROGRESS[i].checks(latestView, latestStatus, answers, done) : []);

function updateProgress() {
  let changed = false;
  PROGRESS.forEach((p, i) => {
    const checks = checksOf(i);
    if (checks.length && checks.every(([, ok]) => ok) && !done.has(p.slug)) {
      done.add(p.slug);
      changed = true;
    }
  });
  if (changed) localStorage.setItem('franz-done', JSON.stringify([...done]));
  const list = lessons.querySelector('.checks');
  if (list) list.innerHTML = renderChecks();
  lessons.querySelectorAll('li[data-slug]').forEach((li) => li.classList.toggle('done', done.has(li.dataset.slug)));
}

function renderChecks() {
  return checksOf(current).map(([label, ok]) => `<li class="${ok ? 'ok' : ''}">${ok ? '✓' : '○'} ${label}</li>`).join('');
}

function renderLessons() {
  const lesson = LESSONS[current];
  const list = LESSONS.map((l, i) => `<li data-slug="${PROGRESS[i].slug}" class="${i === current ? 'current' : ''} ${done.has(PROGRESS[i].slug) ? 'done' : ''}"><a href="#lesson/${PROGRESS[i].slug}">${l.title}</a></li>`).join('');
  const tries = (lesson.try ?? []).map((c) => `<code class="try" tabindex="0" data-command="${c.replaceAll('"', '&quot;')}">${c.replaceAll('<', '&lt;')}</code>`).join('');
  const quiz = lesson.quiz
    ? `<div class="quiz"><p><b>${lesson.quiz.question}</b></p>${lesson.quiz.answers.map((a, i) => `<button data-answer="${i}">${a}</button>`).join('')}<p class="verdict"></p></div>`
    : '';
  const next = PROGRESS[Math.min(LESSONS.length - 1, current + 1)].slug;
  lessons.innerHTML = `<h2>Lessons</h2><ol>${list}</ol><div class="lesson" data-lesson="${PROGRESS[current].slug}"><h2>${current + 1}. ${lesson.title}</h2>
    ${lesson.text}${tries ? `<p>Try (click to type):</p>${tries}` : ''}${lesson.note ? `<p><small>${lesson.note.replaceAll('<', '&lt;')}</small></p>` : ''}${quiz}
    <ul class="checks">${renderChecks()}</ul><p><a class="next" href="#lesson/${next}">Next lesson →</a></p></div>`;
}

function show() {
  current = lessonFromHash();
  localStorage.setItem('franz-lesson', String(current));
  renderLessons();
}

function runTry(target) {
  const command = fill(target.dataset.command);
  // A command still holding a <placeholder> waits in the terminal for the student to complete it.
  if (/<[^>]+>/.test(command)) terminal.fill(command);
  else terminal.type(command);
}

lessons.addEventListener('click', (e) => {
  const target = e.target.closest('[data-command], [data-answer]');
  if (!target) return;
  if (target.dataset.command) return runTry(target);
  const quiz = LESSONS[current].quiz;
  const right = Number(target.dataset.answer) === quiz.right;
  if (right) {
    answers[PROGRESS[current].slug] = true;
    localStorage.setItem('franz-answers', JSON.stringify(answers));
  }
  const verdict = lessons.querySelector('.verdict');
  verdict.className = `verdict ${right ? 'right' : 'wrong'}`;
  verdict.textContent = right ? `Right. ${quiz.why}` : 'Not quite: think about what min.insync.replicas is for.';
  updateProgress();
});
lessons.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && e.target.dataset.command) runTry(e.target);
});
window.addEventListener('hashchange', show);
show();

document.getElementById('reset').addEventListener('click', async () => {
  if (!confirm('Delete every environment, cluster, topic and record, and your lesson progress?')) return;
  await broker.call('reset');
  for (const key of ['franz-done', 'franz-answers', 'franz-lesson']) localStorage.removeItem(key);
  location.hash = '';
  location.reload();
});

// Offline after the first visit: a service worker keeps every asset.
if ('serviceWorker' in navigator) navigator.serviceWorker.register('./sw.js').catch(() => {});

window.tutorial = { terminal, workers, lessons: LESSONS, view: () => latestView, status: () => latestStatus, done: () => [...done] };
