// Renders Slack text and Block Kit into DOM nodes. Data only ever reaches the page through
// textContent and attributes, never innerHTML, so nothing a customer types can run here.

const ENTITIES = { "&lt;": "<", "&gt;": ">", "&amp;": "&" };

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null) node.setAttribute(key, value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function unescape(text) {
  return text.replace(/&lt;|&gt;|&amp;/g, (m) => ENTITIES[m]);
}

// The emoji casebridge uses, plus a few everyday ones; others show as their :name:.
const EMOJI = {
  bell: "🔔", bust_in_silhouette: "👤", email: "📧", envelope: "✉️", eyes: "👀",
  hourglass_flowing_sand: "⏳", large_green_circle: "🟢", lock: "🔒", no_entry: "⛔",
  raised_hand: "✋", red_circle: "🔴", speech_balloon: "💬", tada: "🎉", thumbsup: "👍",
  wastebasket: "🗑️", warning: "⚠️", wave: "👋", white_check_mark: "✅", white_circle: "⚪",
};

// :emoji:, *bold*, _italic_ and `code` inside a run of plain text. Emoji come first so the
// underscores of :large_green_circle: are not read as italics.
function styled(text) {
  const out = document.createDocumentFragment();
  const pattern = /(:[a-z0-9_+-]+:|\*[^*\n]+\*|_[^_\n]+_|`[^`\n]+`)/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    out.append(unescape(text.slice(last, match.index)));
    const inner = unescape(match[0].slice(1, -1));
    if (match[0][0] === ":") {
      out.append(el("span", { class: "emoji", title: match[0], text: EMOJI[inner] || match[0] }));
    } else {
      const tag = match[0][0] === "*" ? "strong" : match[0][0] === "_" ? "em" : "code";
      out.append(el(tag, { text: inner }));
    }
    last = match.index + match[0].length;
  }
  out.append(unescape(text.slice(last)));
  return out;
}

// Lines that start with ">" are a quote, as in Slack (an escaped "&gt;" is just text).
export function mrkdwn(text, names) {
  const out = document.createDocumentFragment();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; ) {
    const quoted = lines[i].startsWith(">");
    const group = [];
    while (i < lines.length && lines[i].startsWith(">") === quoted) {
      group.push(quoted ? lines[i].slice(1) : lines[i]);
      i += 1;
    }
    const body = inline(group.join("\n"), names);
    out.append(quoted ? el("blockquote", {}, body) : body);
  }
  return out;
}

// Slack's control sequences: <@U123>, <!channel>, <#C123>, <https://x|label>.
function inline(text, names) {
  const out = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(/<([^<>]+)>/g)) {
    out.append(styled(text.slice(last, match.index)));
    const [target, label] = match[1].split("|");
    if (target.startsWith("@")) {
      out.append(el("span", { class: "mention", text: `@${names[target.slice(1)] || target.slice(1)}` }));
    } else if (target.startsWith("!")) {
      out.append(el("span", { class: "mention", text: `@${target.slice(1)}` }));
    } else if (target.startsWith("#")) {
      out.append(el("span", { class: "mention", text: `#${label || target.slice(1)}` }));
    } else if (/^(https?:|mailto:)/.test(target)) {
      out.append(el("a", { href: target, target: "_blank", rel: "noopener", text: unescape(label || target) }));
    } else {
      out.append(unescape(match[0]));
    }
    last = match.index + match[0].length;
  }
  out.append(styled(text.slice(last)));
  return out;
}

function textObject(obj, names) {
  if (!obj) return document.createTextNode("");
  return obj.type === "mrkdwn" ? mrkdwn(obj.text, names) : document.createTextNode(obj.text);
}

function element(item, names, onAction) {
  if (item.type === "button") {
    return el("button", {
      type: "button", class: item.style || "", "data-action-id": item.action_id,
      onclick: () => onAction(item, null),
    }, textObject(item.text, names));
  }
  if (item.type === "static_select" || item.type === "overflow") {
    const select = el("select", {
      "data-action-id": item.action_id, "aria-label": item.placeholder?.text || item.action_id,
      onchange: (e) => onAction(item, e.target.value),
    }, el("option", { value: "", text: item.placeholder?.text || "Choose…" }));
    for (const option of item.options || []) {
      select.append(el("option", { value: option.value, text: option.text.text }));
    }
    return select;
  }
  return null;
}

// Draws a list of blocks. `onAction(element, selectedValue)` is called for clicks and picks;
// `inputs` collects the input elements of a modal so the caller can read their values.
export function renderBlocks(blocks, names, onAction, inputs = null, errors = {}) {
  const out = document.createDocumentFragment();
  for (const block of blocks || []) {
    const box = el("div", { class: `block ${block.type}` });
    if (block.type === "section") {
      if (block.text) box.append(el("div", {}, textObject(block.text, names)));
      if (block.fields) {
        box.append(el("div", { class: "fields" },
          ...block.fields.map((f) => el("div", {}, textObject(f, names)))));
      }
      if (block.accessory) box.append(element(block.accessory, names, onAction) || "");
    } else if (block.type === "header") {
      box.append(textObject(block.text, names));
    } else if (block.type === "divider") {
      box.append(el("hr"));
    } else if (block.type === "context") {
      for (const item of block.elements) box.append(item.type === "image" ? "" : textObject(item, names), " ");
    } else if (block.type === "actions") {
      box.className += " actions";
      for (const item of block.elements) box.append(element(item, names, onAction) || "");
    } else if (block.type === "input" && inputs) {
      box.className += " input-block";
      const id = `input-${block.block_id}`;
      const spec = block.element;
      const field = spec.type === "static_select"
        ? el("select", { id }, ...(spec.options || []).map((o) => el("option", { value: o.value, text: o.text.text })))
        : spec.multiline
          ? el("textarea", { id, rows: 5 })
          : el("input", { id, type: "text" });
      if (spec.initial_value) field.value = spec.initial_value;
      box.append(el("label", { for: id, text: block.label.text }), field);
      if (errors[block.block_id]) box.append(el("div", { class: "error", role: "alert", text: errors[block.block_id] }));
      inputs.push({ block_id: block.block_id, action_id: spec.action_id, type: spec.type, field });
    }
    out.append(box);
  }
  return out;
}
