// DOM helpers shared by every renderer.
// Text always goes in through textContent (or append of a string), never innerHTML: model names and
// decision messages are data.

export const $ = (id) => document.getElementById(id);

/** Builds an element; `attrs` keys starting with "data-"/"aria-" or "role" become attributes. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    if (name === 'class') node.className = value;
    else node.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}
