// The caught-mail page: newest first, headers as text, the HTML part in a sandboxed frame.
import { el } from "/ui/blocks.js";

let shown = -1;

function mailNode(mail) {
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
    frame);
}

async function refresh() {
  const { mail } = await (await fetch("/_emu/mail")).json();
  if (mail.length !== shown) {
    shown = mail.length;
    document.getElementById("mail-empty").hidden = mail.length > 0;
    document.getElementById("mail-list").replaceChildren(...mail.slice().reverse().map(mailNode));
  }
  setTimeout(refresh, 1500);
}

refresh();
