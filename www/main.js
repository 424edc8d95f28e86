// Loads the franz wasm module and shows its version. Rendering only: every decision lives in the wasm core.
import init, { version } from './pkg/franz.js';

const status = document.getElementById('status');
try {
  await init();
  status.textContent = `franz ${version()} loaded`;
  status.dataset.version = version();
} catch (err) {
  status.textContent = `franz failed to load: ${err}`;
  status.classList.add('error');
}
