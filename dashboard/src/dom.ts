/** A new element with a class and, when given, its text. */
export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const created = document.createElement(tag);
  created.className = className;
  if (text !== undefined) created.textContent = text;
  return created;
}

/** The same, appended to `parent`. */
export function child<K extends keyof HTMLElementTagNameMap>(
  parent: HTMLElement,
  tag: K,
  className: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const created = element(tag, className, text);
  parent.append(created);
  return created;
}

/** Fills a notice box with a heading and, when given, advice, and shows it. */
export function showMessage(box: HTMLElement, title: string, advice = ""): void {
  box.replaceChildren(element("h2", "", title), ...(advice ? [element("p", "", advice)] : []));
  box.hidden = false;
}
