// The caught-mail page: newest first, headers as text, the HTML part in a sandboxed frame.
import { el } from "/ui/blocks.js";

let shown = -1;

// Answer as the recipient would: the reply goes back to casebridge by SMTP.
function replyForm(mail) {
  const text = el("textarea", { class: "mail-reply-text", rows: "3", "aria-label": `Reply to ${mail.subject}` });
  const status = el("span", { class: "mail-reply-status", role: "status" });
  const form = el("form", { class: "mail-reply" },
    text, el("button", { type: "submit", text: "Reply as the customer" }), status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.textContent = "Sending…";
    const answer = await fetch(`/_emu/mail/${mail.id}/reply`, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text: text.value }),
    });
    const body = await answer.json();
    status.textContent = body.ok ? "Sent." : `Not sent: ${body.error}`;
    if (body.ok) text.value = "";
  });
  return form;
}

function mailNode(mail, replies) {
  const frame = el("iframe", { class: "mail-html", title: `HTML part of ${mail.subject}`, sandbox: "" });
  frame.srcdoc = mail.html || "<p>(no HTML part)</p>";
  return el("li", { class: "mail", "data-id": String(mail.id) },
    el("h2", { class: "mail-subject", text: mail.subject || "(no subject)" }),
    el("dl", { class: "mail-headers" },
      el("dt", { text: "From" }), el("dd", { text: mail.from }),
      el("dt", { text: "To" }), el("dd", { class: "mail-to", text: mail.to }),
      el("dt", { text: "Reply-To" }), el("dd", { text: mail.reply_to }),
      el("dt", { text: "Language" }), el("dd", { text: mail.language }),
      el("dt", { text: "Received" }), el("dd", { text: new Date(mail.received_at).toLocaleString() })),
    el("details", {}, el("summary", { text: "Plain text" }), el("pre", { class: "mail-text", text: mail.text })),
    frame,
    ...(replies && mail.reply_to ? [replyForm(mail)] : []));
}

async function refresh() {
  const { mail, replies } = await (await fetch("/_emu/mail")).json();
  if (mail.length !== shown) {
    shown = mail.length;
    document.getElementById("mail-empty").hidden = mail.length > 0;
    document.getElementById("mail-list").replaceChildren(...mail.slice().reverse().map((m) => mailNode(m, replies)));
  }
  setTimeout(refresh, 1500);
}

refresh();
