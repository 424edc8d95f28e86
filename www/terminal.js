// The terminal: xterm.js with a line editor (history, Tab completion, Ctrl-C, Ctrl-D, paste). It sends each line
// to the broker worker and prints the answer; while `topic produce` runs, each line is a record.
import { Terminal } from './vendor/xterm.mjs';

const PROMPT = '\x1b[36m$\x1b[0m ';

export function createTerminal(element, broker) {
  const term = new Terminal({ convertEol: true, cursorBlink: true, fontSize: 13, theme: { background: '#0b0f14' } });
  term.open(element);
  const fit = () => {
    const cell = term._core?._renderService?.dimensions?.css?.cell;
    if (!cell?.width) return;
    term.resize(Math.max(40, Math.floor(element.clientWidth / cell.width)), Math.max(10, Math.floor(element.clientHeight / cell.height)));
  };
  new ResizeObserver(fit).observe(element);
  let line = '';
  let mode = null; // null, 'produce' or 'consume'
  const history = [];
  let back = 0;
  let busy = Promise.resolve();

  const prompt = () => term.write(mode === 'produce' ? '\x1b[33m>\x1b[0m ' : mode === 'consume' ? '' : PROMPT);
  const print = (text) => term.write(text.replace(/\n/g, '\r\n'));
  const replaceLine = (text) => {
    term.write('\r\x1b[2K');
    prompt();
    line = text;
    term.write(line);
  };

  /** Enter: a record while producing (the next prompt comes at once), else a command (its answer first). */
  function enter() {
    const text = line;
    line = '';
    term.write('\r\n');
    if (mode === 'produce') {
      prompt();
      busy = busy.then(() => broker.call('send', text).catch((e) => print(`\x1b[31m${e}\x1b[0m\n`)));
    } else {
      busy = busy.then(() => submit(text));
    }
    return busy;
  }

  async function submit(text) {
    if (text.trim()) history.push(text);
    back = 0;
    const r = await broker.call('run', text).catch((e) => ({ error: { text: String(e) } }));
    if (r.error) print(`\x1b[31m${r.error.text}\x1b[0m`);
    else print(r.output);
    mode = r.streaming ?? null;
    prompt();
  }

  function stop(label) {
    term.write(`${label}\r\n`);
    broker.call('stop');
    mode = null;
    line = '';
    prompt();
  }

  term.onData((data) => {
    if (data === '\x03') return stop('^C'); // Ctrl-C
    if (data === '\x04') return mode ? stop('^D') : undefined; // Ctrl-D
    if (mode === 'consume') return; // only Ctrl-C stops a consume
    if (data === '\r') {
      enter();
      return;
    }
    if (data === '\x7f') {
      if (line) {
        line = line.slice(0, -1);
        term.write('\b \b');
      }
      return;
    }
    if (data === '\x1b[A' || data === '\x1b[B') {
      if (!history.length || mode) return;
      back = Math.max(0, Math.min(history.length, back + (data === '\x1b[A' ? 1 : -1)));
      return replaceLine(back ? history[history.length - back] : '');
    }
    if (data === '\t') {
      broker.call('complete', line).then((options) => {
        if (options.length === 1) {
          const words = line.split(' ');
          words[words.length - 1] = options[0];
          replaceLine(words.join(' ') + ' ');
        } else if (options.length > 1) {
          print(`\n${options.join('  ')}\n`);
          replaceLine(line);
        }
      });
      return;
    }
    if (data.startsWith('\x1b')) return; // other escape sequences: not handled
    // Typed or pasted text; a paste may hold several lines.
    const parts = data.replace(/\r\n?/g, '\n').split('\n');
    parts.forEach((part, i) => {
      line += part;
      term.write(part);
      if (i < parts.length - 1) enter();
    });
  });

  print('Welcome to franz. Type a command, or click one in a lesson. Try: confluent login\n');
  prompt();
  term.focus();
  return {
    term,
    /** Types `text` and presses Enter, as a student would. */
    type(text) {
      replaceLine(text);
      term.focus();
      return enter();
    },
    /** Puts `text` on the command line for the student to finish. */
    fill(text) {
      replaceLine(text);
      term.focus();
    },
    /** Prints lines a running consume received. */
    lines(received) {
      if (mode === 'consume') print(received.join('\n') + '\n');
    },
    /** The terminal's whole text, for tests. */
    text() {
      const buf = term.buffer.active;
      const out = [];
      for (let i = 0; i < buf.length; i++) out.push(buf.getLine(i)?.translateToString(true) ?? '');
      return out.join('\n');
    },
  };
}
