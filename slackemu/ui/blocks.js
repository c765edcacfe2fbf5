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
  paperclip: "📎", 1234: "🔢",
};

/** A reaction or emoji by name, as Slack draws it (its :name: when we do not know it). */
export function emoji(name) {
  return el("span", { class: "emoji", title: `:${name}:`, text: EMOJI[name] || `:${name}:` });
}

// <!date^1700000000^{date_short_pretty} at {time}^optional-link|fallback>, as Slack shows it:
// in the reader's own time zone and language.
const DAY = 24 * 60 * 60 * 1000;

function prettyDay(when, fallback) {
  const start = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const days = Math.round((start(when) - start(new Date())) / DAY);
  return { 0: "today", [-1]: "yesterday", 1: "tomorrow" }[days] || fallback;
}

function ago(when) {
  const seconds = Math.round((when.getTime() - Date.now()) / 1000);
  const format = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  for (const [unit, size] of [["year", 31536000], ["month", 2592000], ["day", 86400], ["hour", 3600], ["minute", 60]]) {
    if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit);
  }
  return format.format(seconds, "second");
}

export function slackDate(stamp, template) {
  const when = new Date(Number(stamp) * 1000);
  const date = (options) => when.toLocaleDateString(undefined, options);
  const tokens = {
    date_num: `${when.getFullYear()}-${String(when.getMonth() + 1).padStart(2, "0")}-${String(when.getDate()).padStart(2, "0")}`,
    date: date({ year: "numeric", month: "long", day: "numeric" }),
    date_short: date({ year: "numeric", month: "short", day: "numeric" }),
    date_long: date({ weekday: "long", year: "numeric", month: "long", day: "numeric" }),
    time: when.toLocaleTimeString(undefined, { hour: "numeric", minute: "2-digit" }),
    time_secs: when.toLocaleTimeString(undefined, { hour: "numeric", minute: "2-digit", second: "2-digit" }),
    ago: ago(when),
  };
  for (const kind of ["date", "date_short", "date_long"]) tokens[`${kind}_pretty`] = prettyDay(when, tokens[kind]);
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in tokens ? tokens[name] : whole));
}

// Slack's own message links (permalinks) open the message here, not at slack.com.
const ARCHIVES = /^https:\/\/(?:[a-z0-9-]+\.)?slack\.com\/archives\/([A-Z0-9]+)\/p(\d{10})(\d{6})(?:\?thread_ts=([0-9.]+))?/;

export function localLink(url) {
  const found = ARCHIVES.exec(url);
  if (!found) return null;
  const [, channel, seconds, micros, threadTs] = found;
  const ts = `${seconds}.${micros}`;
  return { channel, thread: threadTs || ts, href: `/?channel=${channel}&thread=${threadTs || ts}` };
}

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
    } else if (target.startsWith("!date^")) {
      const [, stamp, template = "{date}", link] = target.split("^");
      const shown = Number.isFinite(Number(stamp)) ? slackDate(stamp, template) : unescape(label || "");
      const moment = el("time", { datetime: new Date(Number(stamp) * 1000).toISOString?.() || "", title: unescape(label || ""), text: shown });
      out.append(link && /^https?:/.test(link) ? el("a", { href: link, target: "_blank", rel: "noopener noreferrer" }, moment) : moment);
    } else if (target.startsWith("!")) {
      out.append(el("span", { class: "mention", text: `@${target.slice(1)}` }));
    } else if (target.startsWith("#")) {
      const channel = names[target.slice(1)];
      out.append(el("span", { class: "mention", text: `#${label || channel || target.slice(1)}` }));
    } else if (localLink(target)) {
      const here = localLink(target);
      out.append(el("a", { href: here.href, class: "local-link", "data-channel": here.channel, "data-thread": here.thread, text: unescape(label || target) }));
    } else if (/^(https?:|mailto:)/.test(target)) {
      out.append(el("a", { href: target, target: "_blank", rel: "noopener noreferrer", text: unescape(label || target) }));
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
