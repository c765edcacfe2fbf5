// The local Slack's browser side: pick who you are, read channels and threads, click, reply.
import { el, emoji, mrkdwn, renderBlocks } from "/ui/blocks.js";

const state = { me: null, channel: "C0SUPPORT", thread: null, home: false, version: 0, data: null, openModal: null };
const $ = (id) => document.getElementById(id);

async function api(path, body) {
  const init = body ? { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ as: state.me, ...body }) } : {};
  const response = await fetch(path, init);
  return response.json();
}

// People and channels by id: <@U…> and <#C…> show names, as in Slack.
function names() {
  const people = (state.data?.users || []).map((u) => [u.id, u.name]);
  const channels = (state.data?.channels || []).filter((c) => !c.is_im).map((c) => [c.id, c.name]);
  return Object.fromEntries([...people, ...channels]);
}

// What a person types is text: Slack's client escapes &, < and > before sending, so a typed
// "<script>" arrives as "&lt;script&gt;" and shows as typed.
function escapeTyped(text) {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function confirmFirst(confirm) {
  if (!confirm) return Promise.resolve(true);
  const dialog = $("confirm");
  $("confirm-title").textContent = confirm.title?.text || "Are you sure?";
  $("confirm-text").replaceChildren(mrkdwn(confirm.text?.text || "", names()));
  $("confirm-ok").textContent = confirm.confirm?.text || "OK";
  $("confirm-deny").textContent = confirm.deny?.text || "Cancel";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), { once: true });
    dialog.showModal();
  });
}

function messageNode(message, where, inThread = false) {
  const who = message.username || names()[message.user] || message.user;
  const node = el("article", { class: `message${message.ephemeral ? " ephemeral" : ""}`, "data-ts": message.ts },
    el("div", { class: "meta", text: who },
      message.ephemeral ? el("small", { text: "Only visible to you" }) : null,
      message.edited ? el("small", { text: "(edited)" }) : null));
  const onAction = async (item, value) => {
    if (!(await confirmFirst(item.confirm))) return;
    await api("/_emu/click", { channel: where, ts: message.ts, action_id: item.action_id, option: value });
  };
  if (message.subtype === "thread_broadcast" && !inThread) node.append(el("small", { class: "broadcast", text: "replied to a thread" }));
  const personal = !message.bot_id && message.blocks?.every((b) => b.type === "rich_text");
  if (message.blocks?.length && !personal) node.append(renderBlocks(message.blocks, names(), onAction));
  else node.append(el("div", {}, mrkdwn(message.text || "", names())));
  for (const file of message.files || []) node.append(el("div", { class: "file", text: `📎 ${file.name}` }));
  for (const reaction of message.reactions || []) {
    node.append(el("span", { class: "reaction", "aria-label": `${reaction.name} ${reaction.count}` }, emoji(reaction.name), ` ${reaction.count}`));
  }
  if (!inThread && !message.ephemeral) {
    const count = message.reply_count || 0;
    const text = count ? `${count} repl${count === 1 ? "y" : "ies"}` : "Reply in thread";
    node.append(el("button", { class: count ? "replies" : "replies quiet", text,
      onclick: () => { state.thread = message.thread_ts || message.ts; refresh(); } }));
  }
  return node;
}

function renderNav() {
  const channels = state.data.channels;
  const item = (c) => el("li", {}, el("button", {
    class: "nav-item", "aria-current": String(!state.home && c.id === state.channel),
    onclick: () => { Object.assign(state, { channel: c.id, thread: null, home: false }); refresh(); },
    text: c.is_im ? c.name : `# ${c.name}`,
  }));
  $("channels").replaceChildren(...channels.filter((c) => !c.is_im).map(item));
  $("dms").replaceChildren(...channels.filter((c) => c.is_im).map(item));
  $("nav-home").setAttribute("aria-current", String(state.home));
}

async function renderMain() {
  if (state.home) {
    $("title").textContent = "Home";
    $("composer").hidden = true;
    const view = state.data.home;
    const onAction = async (item, value) => {
      if (await confirmFirst(item.confirm)) await api("/_emu/click", { view_id: view.id, action_id: item.action_id, option: value });
    };
    $("messages").replaceChildren(view ? renderBlocks(view.blocks, names(), onAction) : el("p", { text: "Nothing here yet." }));
    return;
  }
  const channel = state.data.channels.find((c) => c.id === state.channel);
  $("title").textContent = channel ? (channel.is_im ? channel.name : `#${channel.name}`) : "";
  $("composer").hidden = false;
  const { messages } = await api(`/_emu/messages?channel=${state.channel}&as=${state.me}`);
  $("messages").replaceChildren(...(messages || []).map((m) => messageNode(m, state.channel)));
}

async function renderThread() {
  $("thread").hidden = !state.thread;
  if (!state.thread) return;
  const { messages } = await api(`/_emu/messages?channel=${state.channel}&thread_ts=${state.thread}&as=${state.me}`);
  $("thread-messages").replaceChildren(...(messages || []).map((m) => messageNode(m, state.channel, true)));
}

function renderModal() {
  const dialog = $("modal");
  const view = state.data.modals[state.data.modals.length - 1];
  if (!view) {
    if (dialog.open) dialog.close();
    state.openModal = null;
    return;
  }
  if (state.openModal === `${view.id}:${JSON.stringify(view.errors)}:${view.blocks.length}`) return;
  state.openModal = `${view.id}:${JSON.stringify(view.errors)}:${view.blocks.length}`;
  const inputs = [];
  $("modal-title").textContent = view.title?.text || "";
  const onAction = (item, value) => api("/_emu/click", { view_id: view.id, action_id: item.action_id, option: value });
  $("modal-blocks").replaceChildren(renderBlocks(view.blocks, names(), onAction, inputs, view.errors || {}));
  $("modal-submit").textContent = view.submit?.text || "Submit";
  $("modal-submit").hidden = !view.submit;
  $("modal-form").onsubmit = async (event) => {
    event.preventDefault();
    const values = {};
    for (const input of inputs) {
      const entry = input.type === "static_select"
        ? { type: input.type, selected_option: { value: input.field.value, text: { type: "plain_text", text: input.field.selectedOptions[0]?.text || "" } } }
        : { type: input.type, value: input.field.value };
      values[input.block_id] = { [input.action_id]: entry };
    }
    await api("/_emu/submit", { view_id: view.id, values });
  };
  $("modal-close").onclick = () => api("/_emu/close", { view_id: view.id });
  if (!dialog.open) dialog.showModal();
}

async function refresh() {
  state.data = await api(`/_emu/state?as=${state.me}`);
  state.version = state.data.version;
  renderNav();
  await renderMain();
  await renderThread();
  renderModal();
}

// A picked file's bytes as base64, for the stand-in to keep (the bot downloads them later).
async function base64Of(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

async function send(text, threadTs) {
  const value = text.trim();
  // In a thread, as in Slack: "Also send to channel", and attached files with their bytes.
  const picked = threadTs ? [...$("thread-files").files] : [];
  const files = picked.map((f) => f.name);
  const contents = Object.fromEntries(await Promise.all(picked.map(async (f) => [f.name, await base64Of(f)])));
  const also = threadTs ? $("thread-broadcast").checked : false;
  if (!value && !files.length) return;
  if (value.startsWith("/") && !threadTs) await api("/_emu/command", { channel: state.channel, text: value });
  else await api("/_emu/post", { channel: state.channel, text: escapeTyped(value), thread_ts: threadTs, also_to_channel: also, files, contents });
  if (threadTs) { $("thread-files").value = ""; $("thread-broadcast").checked = false; }
}

async function watch() {
  for (;;) {
    try {
      const { version } = await api(`/_emu/wait?since=${state.version}`);
      if (version !== state.version) await refresh();
    } catch {
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

function openMessage(channel, thread) {
  Object.assign(state, { channel, thread: thread || null, home: false });
  refresh();
}

async function start() {
  const first = await api("/_emu/state");
  const people = first.users.filter((u) => !u.is_bot);
  state.me = new URLSearchParams(location.search).get("as") || people[0].id;
  $("who").replaceChildren(...people.map((u) => el("option", { value: u.id, text: `${u.name}${u.is_admin ? " (admin)" : ""}` })));
  $("who").value = state.me;
  $("who").onchange = (e) => { state.me = e.target.value; state.thread = null; refresh(); };
  $("nav-home").onclick = async () => { state.home = true; state.thread = null; await api("/_emu/home", {}); refresh(); };
  $("close-thread").onclick = () => { state.thread = null; refresh(); };
  const submitOnEnter = (form) => (e) => { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); } };
  $("compose-text").addEventListener("keydown", submitOnEnter($("composer")));
  $("thread-text").addEventListener("keydown", submitOnEnter($("thread-composer")));
  $("composer").onsubmit = async (e) => { e.preventDefault(); const t = $("compose-text").value; $("compose-text").value = ""; await send(t, null); };
  $("thread-composer").onsubmit = async (e) => {
    e.preventDefault();
    // The thread box only ever replies in a thread: with none open, nothing goes to the channel.
    const thread = state.thread;
    if (!thread) return;
    const t = $("thread-text").value;
    $("thread-text").value = "";
    await send(t, thread);
  };
  // Slack's links to its own messages open them here (a case's "Open the case", alerts, lists).
  document.addEventListener("click", (event) => {
    const link = event.target.closest?.("a.local-link");
    if (!link) return;
    event.preventDefault();
    openMessage(link.dataset.channel, link.dataset.thread);
  });
  const asked = new URLSearchParams(location.search);
  if (asked.get("channel")) Object.assign(state, { channel: asked.get("channel"), thread: asked.get("thread") });
  await refresh();
  watch();
}

start();
