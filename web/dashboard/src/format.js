// Numbers for people: POD amounts (12 decimals), bytes, table rows.

const PLANCK_PER_POD = 10n ** 12n;

/** `12.5 POD` from planck (a bigint). */
export function pod(planck) {
  const p = BigInt(planck);
  const whole = p / PLANCK_PER_POD;
  const frac = (p % PLANCK_PER_POD).toString().padStart(12, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac} POD` : `${whole} POD`;
}

/** POD as a float, for charts only. */
export function podNumber(planck) {
  return Number(BigInt(planck)) / 1e12;
}

/** `1,234,567`. */
export function grouped(n) {
  return BigInt(n).toLocaleString('en-US');
}

/** `3.0 MB`-style, for tiles. */
export function bytes(n) {
  const v = Number(n);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let x = v;
  while (x >= 1024 && i < units.length - 1) { x /= 1024; i += 1; }
  return i === 0 ? `${v} B` : `${x.toFixed(1)} ${units[i]}`;
}

/** Replaces `table`'s body with `rows` (arrays of cells; a cell {text, cls} gets a class). */
export function fillTable(table, rows, empty = 'nothing yet') {
  const body = table.querySelector('tbody');
  body.replaceChildren();
  if (rows.length === 0) {
    const tr = body.insertRow();
    const td = tr.insertCell();
    td.colSpan = table.querySelectorAll('th').length;
    td.className = 'muted';
    td.textContent = empty;
    return;
  }
  for (const row of rows) {
    const tr = body.insertRow();
    for (const cell of row) {
      const td = tr.insertCell();
      if (cell !== null && typeof cell === 'object') {
        td.textContent = cell.text;
        td.className = cell.cls;
      } else {
        td.textContent = String(cell);
      }
    }
  }
}

/** Sets the text of the element with id `id`. */
export function set(id, text) {
  document.getElementById(id).textContent = String(text);
}

/** Hex of a byte array or a codec value (no 0x). */
export function hex(v) {
  return v.toHex().replace(/^0x/, '');
}

/** Text of a `Vec<u8>` holding UTF-8. */
export function utf8(v) {
  return new TextDecoder().decode(v.toU8a(true));
}
