// The admin page: signs in to the admin namespace with the Volley browser client, then renders each
// snapshot the server pushes. Data is written with textContent only (never parsed as HTML), and the
// credentials live in this page's memory for the connection's handshake, nowhere else.

const settings = document.querySelector('meta[name="volley-admin"]').dataset;
const $ = (id) => document.getElementById(id);
const MAX_CHARTS = 48;
// Series that are levels (drawn as they are); every other metric is a counter since start, drawn as
// a rate per second between samples.
const GAUGE =
  /^sockets |^metrics\.connections\.|^metrics\.engine\.sessions\.|^metrics\.engine\.bufferedBytes\.|^metrics\.cluster\..*\.nodes$/;

let socket;
let samples = [];
let historySize = 150;

function element(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) node.append(child);
  return node;
}

function setStatus(text, live) {
  $("status").textContent = text;
  $("status").classList.toggle("live", live);
}

function showLogin(message) {
  $("view").hidden = true;
  $("logout").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
  setStatus("signed out", false);
}

function signIn(username, password) {
  if (typeof io !== "function") {
    showLogin(`The Volley client was not found at ${settings.ioPath}/socket.io.js (is serveClient off?)`);
    return;
  }
  $("sign-in").disabled = true;
  socket = io(settings.namespace, {
    path: settings.ioPath,
    auth: { username, password },
    reconnectionAttempts: Number.POSITIVE_INFINITY,
  });
  socket.on("connect", () => {
    $("sign-in").disabled = false;
    $("password").value = "";
    $("login").hidden = true;
    $("view").hidden = false;
    $("logout").hidden = false;
    setStatus(`signed in as ${username}`, true);
  });
  socket.on("connect_error", (err) => {
    $("sign-in").disabled = false;
    // A refusal by the server's middleware is final; a network failure is retried by the client.
    if (socket.active) {
      setStatus(`reconnecting (${err.message})`, false);
      return;
    }
    const retry = err.data?.retryAfter ? ` (try again in ${err.data.retryAfter} s)` : "";
    socket = undefined;
    showLogin(`Sign-in refused: ${err.message}${retry}`);
  });
  socket.on("disconnect", (reason) => {
    setStatus(`disconnected (${reason})`, false);
    if (!socket?.active) showLogin(`Disconnected: ${reason}`);
  });
  socket.on("hello", (hello) => {
    samples = hello.history;
    historySize = Math.max(historySize, samples.length);
    renderCharts();
  });
  socket.on("sample", (sample) => {
    samples.push(sample);
    if (samples.length > historySize) samples.shift();
    renderCharts();
  });
  socket.on("snapshot", render);
  socket.on("action", logAction);
}

$("login").addEventListener("submit", (event) => {
  event.preventDefault();
  signIn($("username").value, $("password").value);
});

$("chart-filter").addEventListener("input", renderCharts);

$("logout").addEventListener("click", () => {
  const s = socket;
  socket = undefined;
  s?.disconnect();
  showLogin("");
});

// ── rendering ───────────────────────────────────────────────────────────────────────────────────

function since(ms) {
  const seconds = Math.max(0, Math.round((Date.now() - ms) / 1000));
  const ago =
    seconds < 60
      ? `${seconds} s`
      : seconds < 3600
        ? `${Math.floor(seconds / 60)} min`
        : `${Math.floor(seconds / 3600)} h`;
  return `${new Date(ms).toLocaleTimeString()} (${ago} ago)`;
}

function render(snapshot) {
  $("incomplete").hidden = snapshot.complete;
  renderNodes(snapshot);
  renderNamespaces(snapshot.namespaces);
}

function renderNodes(snapshot) {
  const body = $("nodes").tBodies[0];
  body.replaceChildren(
    ...snapshot.nodes.map((node) => {
      const s = node.summary;
      const counts = s
        ? Object.entries(s.sockets)
            .map(([nsp, n]) => `${nsp}: ${n}`)
            .join(", ")
        : "no summary (it does not run the admin view, or did not answer in time)";
      return element("tr", { "data-node": node.uid }, [
        element("td", { class: "mono", text: node.self ? `${node.uid} (this node)` : node.uid }),
        element("td", { text: s ? s.hostname : "—" }),
        element("td", { text: s ? String(s.pid) : "—" }),
        element("td", { text: s ? since(s.startedAt) : "—" }),
        element("td", { text: counts }),
        element("td", { text: traffic(s?.metrics) }),
      ]);
    }),
  );
  const others = snapshot.operators - 1;
  $("operators").textContent =
    `${snapshot.operators} operator connection${snapshot.operators === 1 ? "" : "s"} on this node` +
    (others > 0 ? ` (${others} besides this page)` : "") +
    "; they are not listed below.";
}

/** A node's totals from its `io.metrics()`, when it has them. */
function traffic(metrics) {
  const engine = metrics?.engine;
  if (!engine) return "—";
  const sum = (record) => Object.values(record ?? {}).reduce((a, b) => a + b, 0);
  return (
    `${sum(engine.handshakes)} sessions, ${formatNumber(engine.messagesReceived)} messages in, ` +
    `${formatNumber(engine.messagesSent)} out, ${sum(metrics.disconnects)} disconnects`
  );
}

function act(event, request) {
  if (!socket) return;
  socket.emit(event, request, (result) => {
    if (!result.ok) logLine(`refused: ${result.error}`);
  });
}

function roomChip(nsp, socketView, room) {
  return element("span", { class: "room" }, [
    element("span", { text: String(room) }),
    element("button", {
      type: "button",
      title: `make ${socketView.id} leave ${room}`,
      text: "×",
      "data-leave": String(room),
      onclick: () => act("leave-room", { namespace: nsp, socketId: socketView.id, room }),
    }),
  ]);
}

function renderNamespaces(namespaces) {
  $("namespaces").replaceChildren(
    ...namespaces.map((nsp) => {
      const more = nsp.roomCount > nsp.rooms.length ? `, and ${nsp.roomCount - nsp.rooms.length} more` : "";
      const rooms = nsp.rooms.length
        ? nsp.rooms.map((r) => `${r.name} (${r.members})`).join(", ") + more
        : "no rooms besides the sockets' own";
      const rows = nsp.sockets.map((s) =>
        element("tr", { "data-socket": s.id }, [
          element("td", { class: "mono", text: s.id }),
          element("td", { text: s.transport ?? "other node", class: s.local ? "" : "remote" }),
          element("td", { class: "mono", text: s.address }),
          element("td", {}, [
            ...s.rooms.map((room) => roomChip(nsp.name, s, room)),
            s.roomCount > s.rooms.length ? `+${s.roomCount - s.rooms.length} more` : "",
          ]),
          element("td", { text: since(s.connectedAt) }),
          element("td", {}, [
            element("button", {
              type: "button",
              text: "Disconnect",
              "data-disconnect": s.id,
              onclick: () =>
                act("disconnect-socket", {
                  namespace: nsp.name,
                  socketId: s.id,
                  reason: $("reason").value,
                  close: $("close-connection").checked,
                }),
            }),
          ]),
        ]),
      );
      const cut = nsp.socketCount > nsp.sockets.length ? ` (first ${nsp.sockets.length} listed)` : "";
      return element("div", { "data-namespace": nsp.name }, [
        element("h3", {
          text: `${nsp.name} — ${nsp.socketCount} socket${nsp.socketCount === 1 ? "" : "s"}${cut}`,
        }),
        element("p", { class: "note", text: `Rooms: ${rooms}` }),
        element("table", {}, [
          element("thead", {}, [
            element("tr", {}, [
              ...["Socket", "Transport", "Address", "Rooms", "Connected since", ""].map((h) =>
                element("th", { text: h }),
              ),
            ]),
          ]),
          element("tbody", {}, rows),
        ]),
      ]);
    }),
  );
}

function logLine(text) {
  $("actions").prepend(element("li", { text }));
  while ($("actions").children.length > 100) $("actions").lastChild.remove();
}

function logAction(a) {
  const what =
    a.type === "disconnect"
      ? `disconnected ${a.socketId} from ${a.namespace}${a.close ? " (connection closed)" : ""}${a.reason ? `: ${a.reason}` : ""}`
      : `made ${a.socketId} leave ${a.room} in ${a.namespace}`;
  logLine(`${new Date(a.at).toLocaleTimeString()} ${a.operator} ${what}`);
}

// ── charts: one small line per series, drawn on a canvas ────────────────────────────────────────

/** [time, value] points of a series: levels as they are, counters as a rate per second. */
function points(name) {
  const raw = samples.filter((s) => name in s.values).map((s) => [s.at, s.values[name]]);
  if (GAUGE.test(name)) return raw;
  const rates = [];
  for (let i = 1; i < raw.length; i++) {
    const dt = (raw[i][0] - raw[i - 1][0]) / 1000;
    // A counter that went down belongs to a restarted server: no rate for that step.
    const dv = raw[i][1] - raw[i - 1][1];
    if (dt > 0) rates.push([raw[i][0], dv >= 0 ? dv / dt : 0]);
  }
  return rates;
}

function seriesNames() {
  const filter = $("chart-filter").value.trim().toLowerCase();
  const names = new Set();
  for (const sample of samples) for (const name of Object.keys(sample.values)) names.add(name);
  // Without a filter, counters that never moved are left out: there are many.
  return [...names]
    .filter((name) =>
      filter
        ? name.toLowerCase().includes(filter)
        : GAUGE.test(name) || points(name).some(([, v]) => v !== 0),
    )
    .slice(0, MAX_CHARTS);
}

function renderCharts() {
  const container = $("charts");
  const names = seriesNames();
  const existing = new Map([...container.children].map((c) => [c.dataset.series, c]));
  const charts = names.map((name) => existing.get(name) ?? newChart(name));
  container.replaceChildren(...charts);
  for (const chart of charts) drawChart(chart);
}

function newChart(name) {
  const canvas = element("canvas");
  const value = element("span");
  return element("div", { class: "chart", "data-series": name }, [
    element("div", { class: "label" }, [element("span", { text: name, title: name }), value]),
    canvas,
  ]);
}

function drawChart(chart) {
  const name = chart.dataset.series;
  const canvas = chart.querySelector("canvas");
  const line = points(name);
  const last = line.length ? line[line.length - 1][1] : undefined;
  const unit = GAUGE.test(name) ? "" : "/s";
  chart.querySelector(".label span:last-child").textContent =
    last === undefined ? "" : `${formatNumber(last)}${unit}`;
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 240;
  const height = canvas.clientHeight || 60;
  canvas.width = width * ratio;
  canvas.height = height * ratio;
  const g = canvas.getContext("2d");
  g.scale(ratio, ratio);
  g.clearRect(0, 0, width, height);
  if (line.length === 0) return;
  const t0 = line[0][0];
  const t1 = Math.max(line[line.length - 1][0], t0 + 1);
  let min = Math.min(...line.map((p) => p[1]));
  let max = Math.max(...line.map((p) => p[1]));
  if (min > 0) min = 0;
  if (max === min) max = min + 1;
  const x = (t) => 2 + ((t - t0) / (t1 - t0)) * (width - 4);
  const y = (v) => height - 3 - ((v - min) / (max - min)) * (height - 6);
  g.strokeStyle = "#3866d6";
  g.lineWidth = 1.5;
  g.beginPath();
  for (const [i, [t, v]] of line.entries()) {
    if (i === 0) g.moveTo(x(t), y(v));
    else g.lineTo(x(t), y(v));
  }
  if (line.length === 1) g.lineTo(width - 2, y(line[0][1]));
  g.stroke();
  g.fillStyle = "#667";
  g.font = "10px system-ui, sans-serif";
  g.fillText(formatNumber(max), 4, 10);
}

function formatNumber(v) {
  if (Math.abs(v) >= 1e9) return `${(v / 1e9).toFixed(1)}G`;
  if (Math.abs(v) >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (Math.abs(v) >= 1e4) return `${(v / 1e3).toFixed(1)}k`;
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}
