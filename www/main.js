// The tutorial page: lessons on the left, a terminal in the middle, the live cluster view on the right. The
// broker (the CLI interpreter and its clusters) runs in a worker; this page only renders what it reports.
import { createTerminal } from './terminal.js';
import { createView } from './view.js';
import { LESSONS } from './lessons.js';
import { createWorkers } from './workers.js';

const status = document.getElementById('status');
const worker = new Worker('./worker.js', { type: 'module' });
let nextId = 0;
const pending = new Map();
let latestView = null;

/** Calls the broker worker: `run`, `send`, `stop`, `complete`; `serve` hands it a port to serve the cluster on. */
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

worker.onmessage = ({ data }) => {
  if (data.type === 'view') {
    latestView = data.view;
    view.render(data.view);
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
  (version) => {
    status.textContent = `franz ${version} loaded`;
    status.dataset.version = version;
  },
  (err) => {
    status.textContent = `franz failed to start: ${err}`;
    status.classList.add('error');
  },
);

// Lessons: a list, and the current lesson's text, commands to try, and quiz.
const lessons = document.getElementById('lessons');
let current = Number(localStorage.getItem('franz-lesson') ?? 0) || 0;

/** A lesson's command with what the live view knows filled in (the cluster and environment in use). */
function fill(command) {
  return command
    .replaceAll('<lkc-id>', latestView?.cluster.id ?? '<lkc-id>')
    .replaceAll('<env-id>', latestView?.cluster.environment ?? '<env-id>');
}

function renderLessons() {
  const lesson = LESSONS[current];
  const list = LESSONS.map((l, i) => `<li class="${i === current ? 'current' : ''}"><button data-lesson="${i}">${l.title}</button></li>`).join('');
  const tries = (lesson.try ?? []).map((c) => `<code class="try" data-command="${c.replaceAll('"', '&quot;')}">${c.replaceAll('<', '&lt;')}</code>`).join('');
  const quiz = lesson.quiz
    ? `<div class="quiz"><p><b>${lesson.quiz.question}</b></p>${lesson.quiz.answers.map((a, i) => `<button data-answer="${i}">${a}</button>`).join('')}<p class="verdict"></p></div>`
    : '';
  lessons.innerHTML = `<h2>Lessons</h2><ol>${list}</ol><div class="lesson" data-lesson="${current}"><h2>${current + 1}. ${lesson.title}</h2>
    ${lesson.text}${tries ? `<p>Try (click to type):</p>${tries}` : ''}${lesson.note ? `<p><small>${lesson.note}</small></p>` : ''}${quiz}
    <p><button data-lesson="${Math.min(LESSONS.length - 1, current + 1)}">Next lesson →</button></p></div>`;
}

lessons.addEventListener('click', (e) => {
  const target = e.target.closest('[data-lesson], [data-command], [data-answer]');
  if (!target) return;
  if (target.dataset.command) {
    const command = fill(target.dataset.command);
    // A command still holding a <placeholder> waits in the terminal for the student to complete it.
    if (/<[^>]+>/.test(command)) terminal.fill(command);
    else terminal.type(command);
  } else if (target.dataset.answer) {
    const quiz = LESSONS[current].quiz;
    const right = Number(target.dataset.answer) === quiz.right;
    const verdict = lessons.querySelector('.verdict');
    verdict.className = `verdict ${right ? 'right' : 'wrong'}`;
    verdict.textContent = right ? `Right. ${quiz.why}` : 'Not quite: think about what min.insync.replicas is for.';
  } else {
    current = Number(target.dataset.lesson);
    localStorage.setItem('franz-lesson', String(current));
    renderLessons();
  }
});
renderLessons();

window.tutorial = { terminal, workers, lessons: LESSONS, view: () => latestView };
