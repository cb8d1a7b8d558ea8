/** A tiny element builder: text always goes in as text (never parsed as HTML), so data cannot inject markup. */
export function el(tag: string, attrs: Record<string, string> = {}, ...children: Array<Node | string>): HTMLElement {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  for (const child of children) node.append(child);
  return node;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (node === null) throw new Error(`the page has no #${id}`);
  return node as T;
}

/** Sets the text of every element with data-metric=`name`. */
export function setMetric(name: string, text: string): void {
  document.querySelectorAll(`[data-metric="${name}"]`).forEach((node) => {
    if (node.textContent !== text) node.textContent = text;
  });
}

/** Replaces a table body's rows, or shows one muted row saying it is empty. */
export function fillRows(tbody: HTMLElement, rows: HTMLElement[], columns: number, empty: string): void {
  tbody.replaceChildren(...(rows.length > 0 ? rows : [el('tr', {}, el('td', { class: 'empty', colspan: String(columns) }, empty))]));
}

export function pill(text: string, tone: 'ok' | 'bad' | 'warn'): HTMLElement {
  return el('span', { class: `pill ${tone}` }, text);
}
