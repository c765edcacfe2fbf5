// Web addresses in a chat message become links, safely: only http and https, opened in a new
// tab with no access back to this page and no referrer. Everything else stays text.
const ADDRESS = /https?:\/\/[^\s<>"']+/gi;
const TRAILING = /[.,;:!?)\]}'"]+$/; // "see https://x.example/a." ends the sentence, not the URL

function link(address) {
  let url;
  try { url = new URL(address); } catch { return null; }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  const node = document.createElement("a");
  node.href = url.href;
  node.target = "_blank";
  node.rel = "noopener noreferrer";
  node.textContent = address;
  return node;
}

/** The message as text nodes and links, for `element.append(...)`. */
export function withLinks(text) {
  const parts = [];
  let last = 0;
  for (const match of text.matchAll(ADDRESS)) {
    const address = match[0].replace(TRAILING, "");
    const node = link(address);
    if (!node) continue;
    parts.push(text.slice(last, match.index), node);
    last = match.index + address.length;
  }
  parts.push(text.slice(last));
  return parts.filter((part) => part !== "");
}
