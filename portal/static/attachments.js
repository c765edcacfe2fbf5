// The customer's files: the attach button, dropping files on the chat, pasting a screenshot;
// a preview and a progress bar while each uploads; then the file in the chat.
// Names are only ever set with textContent; files come back from casebridge with the case token
// in a header and are shown from blob: URLs, so the token never travels in a URL.

const $ = (id) => document.getElementById(id);

// "2.5 MB" in the page's language (the unit's wording comes from the catalog, `size.*`).
export function formatSize(bytes, t) {
  const lang = document.documentElement.lang || "en";
  const number = (n) => new Intl.NumberFormat(lang, { maximumFractionDigits: 1 }).format(n);
  if (bytes < 1024) return t("size.bytes", { n: number(bytes) });
  if (bytes < 1024 * 1024) return t("size.kb", { n: number(bytes / 1024) });
  return t("size.mb", { n: number(bytes / (1024 * 1024)) });
}

// The files a line of the chat carries (the customer's or an agent's): each as its name (a
// link) and size, images drawn inline. The bytes come from casebridge with the case token in a
// header, and the link and image use a blob: URL of them.
export function showFiles(item, files, token, t) {
  for (const file of files || []) {
    if (item.querySelector(`.file[data-file-id="${file.id}"]`)) continue;
    const holder = document.createElement("div");
    holder.className = "file";
    holder.dataset.fileId = file.id;
    const link = document.createElement("a");
    link.className = "file-link";
    link.textContent = `📎 ${file.name}`;
    link.download = file.name;
    holder.append(link);
    if (typeof file.size === "number") {
      const size = document.createElement("small");
      size.className = "file-size";
      size.textContent = ` (${formatSize(file.size, t)})`;
      holder.append(size);
    }
    const last = [...item.querySelectorAll(".file")].pop() || item.querySelector("p");
    if (last) last.after(holder);
    else item.append(holder);
    fetchInto(holder, link, file, token);
  }
}

async function fetchInto(holder, link, file, token) {
  let response;
  try {
    response = await fetch(file.url, { headers: { Authorization: `Bearer ${token()}` } });
  } catch {
    return;
  }
  if (!response.ok) return;
  const url = URL.createObjectURL(await response.blob());
  link.href = url;
  if (file.kind.startsWith("image/")) {
    const image = document.createElement("img");
    image.src = url;
    image.alt = file.name;
    image.className = "file-image";
    holder.append(image);
  }
}

// The text of a line without the "📎 name" lines of the files it carries (those are shown as
// the files themselves).
export function textBesideFiles(text, files) {
  if (!files?.length) return text;
  const marks = new Set(files.map((file) => `📎 ${file.name}`));
  return text.split("\n").filter((line) => !marks.has(line.trim())).join("\n").trim();
}

// A pasted screenshot arrives as "image.png" (or nameless): give it a name an agent can place.
function named(file) {
  if (file.name && file.name !== "image.png") return file;
  const stamp = new Date().toISOString().slice(0, 19).replace(/[T:]/g, "-");
  const extension = (file.type.split("/")[1] || "png").replace(/[^a-z0-9]/g, "") || "png";
  return new File([file], `screenshot-${stamp}.${extension}`, { type: file.type });
}

function problem(t, name, text) {
  $("chat-error").textContent = t("file_problem", { name, problem: text });
}

// The file waiting to go: a thumbnail (images) or its name and size, and its progress bar.
function preview(file, t, cancel) {
  const item = document.createElement("li");
  item.className = "upload-preview";
  if (file.type.startsWith("image/")) {
    const thumbnail = document.createElement("img");
    thumbnail.className = "upload-thumbnail";
    thumbnail.alt = file.name;
    thumbnail.src = URL.createObjectURL(file);
    thumbnail.addEventListener("load", () => URL.revokeObjectURL(thumbnail.src), { once: true });
    item.append(thumbnail);
  }
  const name = document.createElement("span");
  name.className = "upload-name";
  name.textContent = file.name;
  const size = document.createElement("small");
  size.className = "upload-size";
  size.textContent = formatSize(file.size, t);
  const progress = document.createElement("progress");
  progress.max = 1;
  progress.value = 0;
  progress.setAttribute("aria-label", `${t("uploading")}: ${file.name}`);
  const stop = document.createElement("button");
  stop.type = "button";
  stop.className = "upload-cancel";
  stop.textContent = t("cancel");
  stop.addEventListener("click", cancel);
  item.append(name, size, progress, stop);
  $("attach-previews").append(item);
  return { item, progress };
}

function upload(original, { token, t, addMessage, maxFileBytes }) {
  const file = named(original);
  if (maxFileBytes && file.size > maxFileBytes) {
    // Refused before a byte goes out, in the customer's words; the server checks again.
    return problem(t, file.name, t("errors.file_too_large", { max: formatSize(maxFileBytes, t) }));
  }
  const body = new FormData();
  body.append("file", file, file.name);
  const request = new XMLHttpRequest();
  const shown = preview(file, t, () => request.abort());
  const done = () => shown.item.remove();
  request.open("POST", "/files");
  request.setRequestHeader("Authorization", `Bearer ${token()}`);
  request.setRequestHeader("Accept-Language", document.documentElement.lang || "en");
  request.upload.addEventListener("progress", (event) => {
    if (event.lengthComputable) shown.progress.value = event.loaded / event.total;
  });
  request.addEventListener("load", () => {
    done();
    let answer = {};
    try { answer = JSON.parse(request.responseText); } catch { answer = {}; }
    if (request.status !== 201) return problem(t, file.name, answer.errors?.file || t("errors.generic"));
    $("chat-error").textContent = "";
    const item = addMessage({ id: answer.message_id, direction: "customer", author: "", text: `📎 ${answer.name}`, posted: false, files: [answer] })
      || document.querySelector(`#messages [data-id="${answer.message_id}"]`);
    if (item) showFiles(item, [answer], token, t);
  });
  request.addEventListener("abort", done);
  request.addEventListener("error", () => {
    done();
    problem(t, file.name, t("errors.generic"));
  });
  request.send(body);
}

function filesOf(transfer) {
  if (!transfer) return [];
  const files = [...(transfer.files || [])];
  if (files.length) return files;
  // Some sources (a copied screenshot) offer the file only as an item.
  return [...(transfer.items || [])]
    .filter((entry) => entry.kind === "file")
    .map((entry) => entry.getAsFile())
    .filter(Boolean);
}

// Called once the chat has a token: `token()` reads the current one, `live()` whether the
// customer may still write (no files into an ended chat).
export function setUpAttachments(chat) {
  const input = $("attach-file");
  if (!input || input.dataset.ready) return;
  input.dataset.ready = "yes";
  const send = (files) => { for (const file of files) upload(file, chat); };
  input.addEventListener("change", () => {
    send(input.files);
    input.value = "";
  });

  // Pasting a screenshot anywhere on the page while the chat is on (text pastes as usual).
  document.addEventListener("paste", (event) => {
    if (!chat.live()) return;
    const files = filesOf(event.clipboardData);
    if (!files.length) return;
    event.preventDefault();
    send(files);
  });

  // Dropping files anywhere on the page (in the widget, the frame is the chat): a file let go
  // beside the chat must not make the browser leave the page to show it. The chat is outlined
  // while files hover.
  const zone = $("chat");
  let depth = 0;
  const carriesFiles = (event) => [...(event.dataTransfer?.types || [])].includes("Files");
  document.addEventListener("dragenter", (event) => {
    if (!chat.live() || !carriesFiles(event)) return;
    depth += 1;
    zone.classList.add("dropping");
  });
  document.addEventListener("dragover", (event) => {
    if (!chat.live() || !carriesFiles(event)) return;
    event.preventDefault(); // without it the browser opens the file instead
    event.dataTransfer.dropEffect = "copy";
  });
  document.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (!depth) zone.classList.remove("dropping");
  });
  document.addEventListener("drop", (event) => {
    depth = 0;
    zone.classList.remove("dropping");
    if (!chat.live()) return;
    const files = filesOf(event.dataTransfer);
    if (!files.length) return;
    event.preventDefault();
    send(files);
  });
}
