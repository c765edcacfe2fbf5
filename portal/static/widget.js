// casebridge widget: one <script> tag adds a launcher button and the portal in a panel.
// Everything lives in a shadow root, so the host page's CSS and ours never meet.
// The portal in the frame is third-party here, and browsers refuse it storage: this page keeps
// its chat token for it (in this site's own storage), so a reload resumes the chat.
(function () {
  "use strict";
  var settings = __CASEBRIDGE_SETTINGS__;
  if (window.__casebridgeWidget) return;
  window.__casebridgeWidget = true;

  var portalOrigin = new URL(settings.url).origin;
  var memory = {};
  var keyPrefix = "casebridge-widget:";

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  function read(key) {
    var kept = storage();
    try { if (kept) return kept.getItem(keyPrefix + key); } catch (e) { /* refused: memory */ }
    return Object.prototype.hasOwnProperty.call(memory, key) ? memory[key] : null;
  }

  function write(key, value) {
    var kept = storage();
    try {
      if (kept) {
        if (value === null) kept.removeItem(keyPrefix + key);
        else kept.setItem(keyPrefix + key, value);
        return;
      }
    } catch (e) { /* refused or full: memory, for this visit */ }
    if (value === null) delete memory[key];
    else memory[key] = value;
  }

  function listen(frame) {
    window.addEventListener("message", function (event) {
      // Only our portal, in our frame, may read or write what we keep, and only its own keys.
      if (event.source !== frame.contentWindow || event.origin !== portalOrigin) return;
      var data = event.data;
      if (!data || data.casebridge !== 1) return;
      var own = function (key) { return typeof key === "string" && key.indexOf("casebridge:") === 0; };
      if (data.op === "get" && Array.isArray(data.keys)) {
        var values = {};
        data.keys.filter(own).forEach(function (key) { values[key] = read(key); });
        frame.contentWindow.postMessage({ casebridge: 1, op: "values", values: values }, portalOrigin);
      } else if (data.op === "set" && own(data.key) && typeof data.value === "string") {
        write(data.key, data.value);
      } else if (data.op === "remove" && own(data.key)) {
        write(data.key, null);
      }
    });
  }

  function start() {
    var host = document.createElement("div");
    host.setAttribute("data-casebridge-widget", "");
    host.style.cssText = "all: initial; position: fixed; z-index: 2147483000; right: 16px; bottom: 16px;";
    var root = host.attachShadow({ mode: "open" });
    var style = document.createElement("style");
    style.textContent =
      ":host { all: initial; }" +
      "button { font: 600 15px/1 system-ui, sans-serif; color: #fff; background: " + settings.colour + ";" +
      " border: 0; border-radius: 999px; padding: 14px 20px; cursor: pointer; box-shadow: 0 4px 14px rgba(0,0,0,.25); }" +
      "button:focus-visible { outline: 3px solid #000; outline-offset: 2px; }" +
      ".panel { position: fixed; right: 16px; bottom: 76px; width: min(400px, calc(100vw - 32px));" +
      " height: min(620px, calc(100vh - 100px)); border: 0; border-radius: 12px; background: #fff;" +
      " box-shadow: 0 8px 30px rgba(0,0,0,.3); }" +
      ".panel[hidden] { display: none; }";
    var frame = document.createElement("iframe");
    frame.className = "panel";
    frame.hidden = true;
    frame.title = settings.label;
    frame.setAttribute("allow", "clipboard-write");
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = settings.label;
    button.setAttribute("aria-expanded", "false");
    function show(open) {
      if (!frame.src) frame.src = settings.url + "&host=" + encodeURIComponent(location.origin);
      frame.hidden = !open;
      button.textContent = frame.hidden ? settings.label : settings.close;
      button.setAttribute("aria-expanded", String(!frame.hidden));
    }
    button.addEventListener("click", function () { show(frame.hidden); });
    // A file dragged onto the launcher opens the chat, to be dropped there (the frame takes it).
    button.addEventListener("dragenter", function (event) {
      var types = event.dataTransfer ? Array.prototype.slice.call(event.dataTransfer.types) : [];
      if (frame.hidden && types.indexOf("Files") !== -1) show(true);
    });
    listen(frame);
    root.append(style, frame, button);
    document.body.appendChild(host);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
