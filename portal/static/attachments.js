// The customer's files: the attach button, the upload with its progress, the file in the chat.
// Names are only ever set with textContent; files come back from casebridge with the case token
// in a header and are shown from blob: URLs, so the token never travels in a URL.

const $ = (id) => document.getElementById(id);

async function showFile(item, file, token) {
  const response = await fetch(file.url, { headers: { Authorization: `Bearer ${token()}` } });
  if (!response.ok) return;
  const url = URL.createObjectURL(await response.blob());
  const body = item.querySelector("p");
  const link = document.createElement("a");
  link.href = url;
  link.download = file.name;
  link.className = "file-link";
  link.textContent = `📎 ${file.name}`;
  body.replaceChildren(link);
  if (file.kind.startsWith("image/")) {
    const image = document.createElement("img");
    image.src = url;
    image.alt = file.name;
    image.className = "file-image";
    body.append(image);
  }
}

function upload(file, { token, t, addMessage }) {
  const progress = $("attach-progress");
  const error = $("chat-error");
  const body = new FormData();
  body.append("file", file, file.name);
  const request = new XMLHttpRequest();
  request.open("POST", "/files");
  request.setRequestHeader("Authorization", `Bearer ${token()}`);
  request.setRequestHeader("Accept-Language", document.documentElement.lang || "en");
  progress.value = 0;
  progress.hidden = false;
  request.upload.addEventListener("progress", (event) => {
    if (event.lengthComputable) progress.value = event.loaded / event.total;
  });
  request.addEventListener("load", () => {
    progress.hidden = true;
    let answer = {};
    try { answer = JSON.parse(request.responseText); } catch { answer = {}; }
    if (request.status !== 201) {
      error.textContent = answer.errors?.file || t("errors.generic");
      return;
    }
    error.textContent = "";
    const item = addMessage({ id: answer.message_id, direction: "customer", author: "", text: `📎 ${answer.name}`, posted: false })
      || document.querySelector(`#messages [data-id="${answer.message_id}"]`);
    if (item) showFile(item, answer, token);
  });
  request.addEventListener("error", () => {
    progress.hidden = true;
    error.textContent = t("errors.generic");
  });
  request.send(body);
}

// Called once the chat has a token: `token()` reads the current one.
export function setUpAttachments(chat) {
  const input = $("attach-file");
  if (!input || input.dataset.ready) return;
  input.dataset.ready = "yes";
  input.addEventListener("change", () => {
    for (const file of input.files) upload(file, chat);
    input.value = "";
  });
}
