// One client process of bench/sockets.py: opens a real socket.io-client connection per token
// read from a file, at most `inFlight` opening at a time, and reports what became of them.
// Then, on "close" on stdin, disconnects them all and reports again.
//   node bench/socket_clients.js <url> <tokens-file> [client-number] [inFlight]
"use strict";
const fs = require("fs");
const { io } = require("socket.io-client");

const [url, tokensFile, clientArg, inFlightArg] = process.argv.slice(2);
const client = Number(clientArg || 0);
const tokens = fs.readFileSync(tokensFile, "utf8").split("\n").filter(Boolean);
const inFlight = Number(inFlightArg || 200);
const sockets = [];
let next = 0, connected = 0, refused = 0, failed = 0, pending = 0;

function settle(outcome) {
  if (outcome === "connected") connected++;
  else if (outcome === "refused") refused++;
  else failed++;
  pending--;
  if (connected + refused + failed === tokens.length) {
    process.stdout.write(JSON.stringify({ connected, refused, failed }) + "\n");
  } else {
    open();
  }
}

function open() {
  while (pending < inFlight && next < tokens.length) {
    const n = next++;
    const token = tokens[n];
    pending++;
    // Each customer comes from their own address, through the loopback "proxy" the server
    // trusts (TRUSTED_PROXIES), as they would behind a real reverse proxy.
    const address = `10.${client & 255}.${(n >> 8) & 255}.${n & 255}`;
    const socket = io(url + "/chat", {
      auth: { token },
      transports: ["websocket"],
      reconnection: false,
      timeout: 60000,
      extraHeaders: { "X-Forwarded-For": address },
    });
    let done = false;
    socket.on("connect", () => { if (!done) { done = true; settle("connected"); } });
    socket.on("connect_error", (err) => {
      if (done) return;
      done = true;
      // The server's refusal arrives as a CONNECT_ERROR packet; a transport error or a
      // timeout means the server never answered.
      const transport = err && (err.type === "TransportError" || err.message === "timeout");
      settle(transport ? "failed" : "refused");
    });
    sockets.push(socket);
  }
}

process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  if (chunk.includes("close")) {
    for (const socket of sockets) socket.disconnect();
    process.stdout.write(JSON.stringify({ closed: sockets.length }) + "\n");
    setTimeout(() => process.exit(0), 200);
  }
});
if (tokens.length === 0) process.stdout.write(JSON.stringify({ connected, refused, failed }) + "\n");
open();
