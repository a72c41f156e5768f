export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

export function seconds(s: number | undefined): string {
  return s === undefined ? '–' : `${s.toFixed(1)} s`;
}

export function when(epochMs: number): string {
  return new Date(epochMs).toLocaleString();
}

/** `el('td', {class: 'x'}, 'text')`: just enough DOM building for this page. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

export function $<T extends Element = HTMLElement>(testId: string): T {
  const node = document.querySelector<T>(`[data-testid="${testId}"]`);
  if (!node) throw new Error(`missing element [data-testid="${testId}"]`);
  return node;
}
