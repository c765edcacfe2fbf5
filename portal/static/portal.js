// The customer's page: the pre-chat form, then the live chat over Socket.IO.
// Text from anyone is only ever set with textContent: nothing typed becomes markup.
import { io } from "/portal/vendor/socket.io.esm.min.js";
import { createStore } from "/portal/static/storage.js";
import { withLinks } from "/portal/static/links.js";
import { setUpAttachments, showFiles, textBesideFiles } from "/portal/static/attachments.js";

const config = JSON.parse(document.getElementById("casebridge-config").textContent);
const $ = (id) => document.getElementById(id);
const state = { socket: null, token: null, waitingSince: null, timer: null, ended: false, lastSeen: 0, flushing: false };
const pendingKey = `${config.storageKey}:pending`;
const store = createStore(config);
const newRequestId = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}-${Math.random()}`);
// One id per filled-in form: sending it again (a retry after an error) returns the same case.
let requestId = newRequestId();

function t(key, values = {}) {
  const text = key.split(".").reduce((node, part) => (node ? node[part] : undefined), config.strings) || key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in values ? String(values[name]) : `{${name}}`));
}

function show(section) {
  for (const id of ["start", "chat", "done"]) if ($(id)) $(id).hidden = id !== section;
}

// --- the pre-chat form -------------------------------------------------------------------
function clearErrors(form) {
  for (const node of form.querySelectorAll(".field-error, .form-error")) node.textContent = "";
  for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
}

function showErrors(form, errors) {
  let first = null;
  for (const [field, message] of Object.entries(errors)) {
    const slot = $(`error-${field}`) || $("error-form");
    slot.textContent = message;
    const input = form.elements[field];
    if (input && input.setAttribute) { input.setAttribute("aria-invalid", "true"); first = first || input; }
  }
  (first || $("error-form")).focus?.();
}

function checkLocally(form) {
  const errors = {};
  for (const name of ["first_name", "last_name", "email", "question", "code"]) {
    const input = form.elements[name];
    if (input && !input.value.trim()) errors[name] = t("errors.required");
  }
  const email = form.elements.email;
  if (email && email.value.trim() && !/^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$/.test(email.value.trim())) {
    errors.email = t("errors.email");
  }
  const code = form.elements.code;
  if (code && code.value.trim() && code.value.replace(/[\s-]/g, "").length !== 9) errors.code = t("errors.code_format");
  if (form.querySelector("input[name=agent]") && !form.querySelector("input[name=agent]:checked")) {
    errors.agent = t("errors.agent");
  }
  return errors;
}

function device() {
  return {
    language: navigator.language || "",
    time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone || "",
    screen: `${screen.width}x${screen.height}`,
    referrer: document.referrer || "",
  };
}

async function submitStart(event) {
  event.preventDefault();
  const form = event.currentTarget;
  clearErrors(form);
  const local = checkLocally(form);
  if (Object.keys(local).length) return showErrors(form, local);
  const data = Object.fromEntries(new FormData(form).entries());
  const request = form.dataset.request === "yes";
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const response = await fetch(`${config.api}/cases`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        ...data, language: config.lang, support_request: request, device: device(), request_id: requestId,
      }),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) return showErrors(form, answer.errors || { form: t("errors.generic") });
    requestId = newRequestId();
    if (request) {
      store.remove(config.storageKey);
      finish(t("request_received", { reference: answer.reference }), answer.reference, false);
      state.token = answer.token;
      return;
    }
    store.set(config.storageKey, answer.token);
    startChat(answer.token);
    $("message").focus();
  } catch {
    showErrors(form, { form: t("errors.generic") });
  } finally {
    button.disabled = false;
  }
}

// --- the chat ------------------------------------------------------------------------------
// A customer's line is "sent" once it is in the team's Slack thread; until then it waits,
// and after a while says it is still being retried (Slack down, the bot not in the channel).
const NOT_POSTED_AFTER_MS = 8000;

function statusNote(node, text) {
  let note = node.querySelector("small.delivery");
  if (!note) {
    note = document.createElement("small");
    note.className = "delivery";
    node.append(note);
  }
  note.textContent = text;
}

function awaitPosted(node) {
  node.classList.add("unposted");
  setTimeout(() => {
    if (node.classList.contains("unposted")) statusNote(node, t("not_posted_yet"));
  }, NOT_POSTED_AFTER_MS);
}

function markPosted(id) {
  const node = document.querySelector(`#messages .message.customer[data-id="${id}"]`);
  if (!node) return;
  node.classList.remove("unposted");
  statusNote(node, t("posted"));
}

function addMessage({ id, direction, author, text, pending, posted, files }) {
  if (id && document.querySelector(`#messages [data-id="${id}"]`)) return null;
  const item = document.createElement("li");
  item.className = `message ${direction}${pending ? " pending" : ""}`;
  if (id) item.dataset.id = id;
  const who = document.createElement("strong");
  who.textContent = direction === "customer" ? t("you") : author;
  const body = document.createElement("p");
  const words = textBesideFiles(text, files);
  body.append(...withLinks(words));
  body.hidden = !words && Boolean(files?.length);
  item.append(who, body);
  if (files?.length) showFiles(item, files, () => state.token, t);
  if (pending) {
    const note = document.createElement("small");
    note.textContent = t("pending");
    item.append(note);
  }
  $("messages").append(item);
  item.scrollIntoView({ block: "end" });
  if (direction === "customer" && id && posted === false) awaitPosted(item);
  if (direction === "customer" && id && posted === true) statusNote(item, t("posted"));
  return item;
}

function addNotice(text) {
  const item = document.createElement("li");
  item.className = "notice-line";
  item.textContent = text;
  $("messages").append(item);
  item.scrollIntoView({ block: "end" });
}

function elapsed(since) {
  const seconds = Math.max(0, Math.floor((Date.now() - since) / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

function setWaiting(since) {
  clearInterval(state.timer);
  state.waitingSince = since;
  $("waiting").hidden = !since;
  if (!since) return;
  const tick = () => { $("waiting-text").textContent = t("waiting", { elapsed: elapsed(since) }); };
  tick();
  state.timer = setInterval(tick, 1000);
}

function lastAgentMessage() {
  const agentMessages = [...document.querySelectorAll("#messages .message.agent[data-id]")];
  return Math.max(0, ...agentMessages.map((node) => Number(node.dataset.id)));
}

// The agent sees in Slack that their reply reached this browser (then that it was read).
function markReceived() {
  const last = lastAgentMessage();
  if (last > (state.lastReceived || 0) && state.socket?.connected) {
    state.lastReceived = last;
    state.socket.emit("received", { up_to: last });
  }
}

function markSeen() {
  markReceived();
  const last = lastAgentMessage();
  if (last > state.lastSeen && document.visibilityState === "visible" && state.socket?.connected) {
    state.lastSeen = last;
    state.socket.emit("seen", { up_to: last });
  }
}

function pending() {
  try { return JSON.parse(store.get(pendingKey) || "[]"); } catch { return []; }
}

function savePending(list) {
  store.set(pendingKey, JSON.stringify(list));
}

// A send the server does not answer in time is sent again with the same client_id (the server
// keeps it once), after a growing pause; meanwhile the line says so instead of hanging.
const SEND_TIMEOUT_MS = 8000;
const RESEND_MAX_MS = 30000;

async function flushPending() {
  // Messages typed while offline go out once, in order; the server drops a repeated client_id.
  // One flush at a time, reading the queue afresh each turn, so nothing typed meanwhile waits.
  if (state.flushing) return;
  state.flushing = true;
  try {
    let item;
    while ((item = pending()[0]) && state.socket?.connected) {
      const waiting = document.querySelector(`#messages [data-client="${item.client_id}"]`);
      if (waiting) statusNote(waiting, t("sending"));
      let answer;
      try {
        answer = await state.socket
          .timeout(SEND_TIMEOUT_MS)
          .emitWithAck("send", { text: item.text, client_id: item.client_id });
      } catch {
        if (waiting) statusNote(waiting, t("not_sent_retrying"));
        state.resendDelay = Math.min((state.resendDelay || 500) * 2, RESEND_MAX_MS);
        setTimeout(flushPending, state.resendDelay);
        return;
      }
      state.resendDelay = 0;
      if (!answer.ok && answer.error === "rate_limited") {
        setTimeout(flushPending, (answer.retry_after || 1) * 1000);
        return;
      }
      savePending(pending().filter((p) => p.client_id !== item.client_id));
      const node = document.querySelector(`#messages [data-client="${item.client_id}"]`);
      if (node && answer.duplicate) {
        node.remove(); // the server had it already (an answer lost or late): redraw from it
        state.socket
          .timeout(SEND_TIMEOUT_MS)
          .emitWithAck("hello")
          .then((hello) => hello.ok && draw(hello.case))
          .catch(() => {});
      } else if (node && answer.ok) {
        node.classList.remove("pending");
        node.querySelectorAll("small").forEach((note) => note.remove());
        if (answer.id) {
          node.dataset.id = answer.id;
          awaitPosted(node);
        }
      }
      if (!answer.ok) showChatError(answer.error);
    }
  } catch {
    // Disconnected mid-send: the queue is intact, and the next "connect" flushes it.
  } finally {
    state.flushing = false;
  }
}

function showChatError(code) {
  $("chat-error").textContent = code ? t(`errors.${code}`, { max: config.maxMessage }) : "";
}

function draw(caseState) {
  // A push can arrive between the server reading this state and the page drawing it: keep
  // the lines newer than the state, or the redraw would wipe them.
  const newest = Math.max(0, ...caseState.messages.map((m) => m.id));
  const newer = [...document.querySelectorAll("#messages .message[data-id]")]
    .filter((node) => Number(node.dataset.id) > newest);
  $("messages").replaceChildren();
  $("case-reference").textContent = `${t("reference")}: ${caseState.reference}`;
  for (const message of caseState.messages) addMessage(message);
  $("messages").append(...newer);
  for (const item of pending()) {
    const node = addMessage({ direction: "customer", text: item.text, pending: true });
    if (node) node.dataset.client = item.client_id;
  }
  if (caseState.agent && caseState.status === "assigned") addNotice(t("agent_joined", { agent: caseState.agent }));
  if (caseState.type === "support_request") return finish(t("converted", { reference: caseState.reference }), caseState.reference);
  if (caseState.chat_ended) return finish(t("chat_ended"), caseState.reference);
  state.ended = false;
  setLive(true);
  setWaiting(caseState.status === "unassigned" ? Date.parse(caseState.created_at) : null);
  show("chat");
  markSeen();
}

function finish(text, reference, canDownload = true) {
  state.ended = true;
  setWaiting(null);
  $("done-text").textContent = text;
  $("transcript").hidden = !canDownload;
  // The conversation stays on the page, readable, with the transcript download beside it;
  // only what no longer applies (typing, ending, waiting) goes.
  const conversation = $("messages").children.length > 0;
  show("done");
  $("chat").hidden = !conversation;
  setLive(false);
  if (reference) document.title = `${reference} · ${document.title.split(" · ").pop()}`;
}

function setLive(live) {
  $("composer").hidden = !live;
  $("end-chat").hidden = !live;
  if (!live) $("waiting").hidden = true;
}

// An agent reopened the chat: it is on again.
function resume() {
  if (!state.ended) return;
  state.ended = false;
  show("chat");
  setLive(true);
}

function startChat(token) {
  state.token = token;
  setUpAttachments({
    token: () => state.token, t, addMessage, live: () => !state.ended, maxFileBytes: config.maxFileBytes,
  });
  state.ended = false;
  show("chat");
  const socket = io("/chat", { auth: { token }, transports: ["websocket", "polling"] });
  state.socket = socket;
  socket.on("connect", async () => {
    $("connection").textContent = "";
    const answer = await socket.emitWithAck("hello");
    if (!answer.ok) return forget();
    draw(answer.case);
    if (!state.ended) flushPending();
  });
  socket.on("connect_error", (error) => {
    if (["unknown_case", "no_token"].includes(error.message)) forget();
    else $("connection").textContent = t("reconnecting");
  });
  socket.on("disconnect", () => { if (!state.ended) $("connection").textContent = t("reconnecting"); });
  socket.on("agent_message", (message) => {
    addMessage({ ...message, direction: "agent" });
    markSeen();
  });
  socket.on("customer_message", (message) => addMessage({ ...message, direction: "customer" }));
  socket.on("messages_posted", ({ ids }) => (ids || []).forEach(markPosted));
  socket.on("agent_joined", ({ agent }) => { resume(); setWaiting(null); addNotice(t("agent_joined", { agent })); });
  socket.on("agent_left", ({ agent }) => {
    addNotice(t("agent_left", { agent }));
    // Waiting again, for whoever is alerted next; the customer may stop waiting instead.
    if (!state.ended) setWaiting(Date.now());
  });
  socket.on("wait_warning", ({ seconds_left }) => {
    $("wait-warning").hidden = false;
    $("wait-warning").textContent = t("wait_warning", { seconds: seconds_left });
  });
  socket.on("support_request", () => {
    finish(t("converted", { reference: $("case-reference").textContent.split(": ").pop() }), null);
  });
  socket.on("chat_ended", () => { addNotice(t("chat_ended")); finish(t("chat_ended"), null); });
}

function forget() {
  state.socket?.close();
  store.remove(config.storageKey);
  store.remove(pendingKey);
  state.token = null;
  show("start");
}

function send(event) {
  event.preventDefault();
  const text = $("message").value.trim();
  if (!text) return;
  $("message").value = "";
  showChatError(null);
  const clientId = crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
  const node = addMessage({ direction: "customer", text, pending: !state.socket?.connected });
  node.dataset.client = clientId;
  savePending([...pending(), { text, client_id: clientId }]);
  if (state.socket?.connected) flushPending();
}

async function downloadTranscript() {
  const response = await fetch("/transcript", { headers: { Authorization: `Bearer ${state.token}` } });
  if (!response.ok) return;
  const blob = await response.blob();
  const name = (response.headers.get("Content-Disposition") || "").match(/filename="([^"]+)"/)?.[1] || "transcript.txt";
  const link = Object.assign(document.createElement("a"), { href: URL.createObjectURL(blob), download: name });
  document.body.append(link);
  link.click();
  link.remove();
}

async function wire() {
  const form = $("start-form");
  if (!form) return;
  form.addEventListener("submit", submitStart);
  $("composer").addEventListener("submit", send);
  $("message").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); $("composer").requestSubmit(); }
  });
  $("stop-waiting").addEventListener("click", async () => {
    const answer = await state.socket.emitWithAck("stop_waiting");
    if (!answer.ok) showChatError("generic");
  });
  $("end-chat").addEventListener("click", () => $("confirm-end").showModal());
  $("confirm-end").addEventListener("close", async () => {
    if ($("confirm-end").returnValue === "end") await state.socket.emitWithAck("end_chat");
  });
  $("transcript").addEventListener("click", downloadTranscript);
  $("new-chat").addEventListener("click", () => { forget(); location.reload(); });
  document.addEventListener("visibilitychange", markSeen);
  await store.recall([config.storageKey, pendingKey]);
  const token = store.get(config.storageKey);
  if (token) startChat(token);
}

wire();
