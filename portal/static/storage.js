// Where the page keeps its case token and unsent messages, so a reload resumes the chat.
// The browser's own storage when it lets us; a portal framed by another site (the widget on
// the company's shop) is usually refused it — third-party storage is blocked — and then the
// embedding page keeps them for us (the widget answers over postMessage, in its first-party
// storage), or, when there is no such page, memory holds them for the visit.

const memory = new Map();
const PREFIX = "casebridge:";

function usable(open) {
  try {
    const storage = open();
    const probe = `${PREFIX}probe`;
    storage.setItem(probe, "1");
    storage.removeItem(probe);
    return storage;
  } catch {
    return null; // SecurityError: this frame may not use it
  }
}

const local = usable(() => window.localStorage);

function hostOrigin(config) {
  // The widget says which page frames us; messages go to that origin only.
  const framed = window.parent !== window;
  return framed && config.embedHost ? config.embedHost : null;
}

export function createStore(config) {
  const host = local ? null : hostOrigin(config);
  const tell = (message) => host && window.parent.postMessage({ casebridge: 1, ...message }, host);

  return {
    /** Where things are kept: "local", "host" or "memory" (for tests and the curious). */
    where: local ? "local" : host ? "host" : "memory",

    get(key) {
      if (local) return local.getItem(key);
      return memory.has(key) ? memory.get(key) : null;
    },

    set(key, value) {
      if (local) {
        try { local.setItem(key, value); return; } catch { /* full: keep it for the visit */ }
      }
      memory.set(key, value);
      tell({ op: "set", key, value });
    },

    remove(key) {
      if (local) local.removeItem(key);
      memory.delete(key);
      tell({ op: "remove", key });
    },

    /** Load what the embedding page kept for us (a no-op when the browser's storage works). */
    recall(keys, waitMs = 1500) {
      if (!host) return Promise.resolve();
      return new Promise((resolve) => {
        const done = () => { window.removeEventListener("message", answer); clearTimeout(timer); resolve(); };
        const answer = (event) => {
          if (event.source !== window.parent || event.origin !== host) return;
          const data = event.data;
          if (!data || data.casebridge !== 1 || data.op !== "values") return;
          for (const key of keys) {
            if (typeof data.values?.[key] === "string") memory.set(key, data.values[key]);
          }
          done();
        };
        // A page without our widget never answers: carry on with an empty memory.
        const timer = setTimeout(done, waitMs);
        window.addEventListener("message", answer);
        tell({ op: "get", keys });
      });
    },
  };
}
