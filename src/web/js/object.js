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
