/* The website chat widget: <script src=".../static/chat/widget.js" data-chat="KEY" async>.
   Builds a launcher and a chat panel in a shadow root (the site's styles and ours never mix),
   talks to /chat-widget/KEY/ with fetch (CORS, no credentials) and keeps one first-party
   cookie: the conversation token, sent back in the X-Chat-Token header. Nothing else is
   stored, and nothing is loaded from anyone but us. */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[data-chat]");
  if (!script || !script.getAttribute("data-chat")) return;
  var key = script.getAttribute("data-chat");
  var origin = new URL(script.src, location.href).origin;
  var api = origin + "/chat-widget/" + encodeURIComponent(key);
  var cookieName = "ma_chat_" + key.replace(/[^A-Za-z0-9_]/g, "_");
  var lastId = 0, timer = null, shown = {};

  function readToken() {
    var m = document.cookie.match(new RegExp("(?:^|; )" + cookieName + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : "";
  }
  function saveToken(token) {
    document.cookie = cookieName + "=" + encodeURIComponent(token) +
      "; path=/; max-age=2592000; SameSite=Lax" + (location.protocol === "https:" ? "; Secure" : "");
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }

  var host = el("div", { "data-chat-widget": "" });
  var root = host.attachShadow({ mode: "open" });
  root.appendChild(el("link", { rel: "stylesheet", href: origin + "/static/chat/widget.css" }));
  var launcher = el("button", { type: "button", "class": "launcher", "aria-expanded": "false",
                                "aria-controls": "chat-panel" }, "Chat with us");
  var panel = el("section", { id: "chat-panel", "class": "panel", role: "dialog",
                              "aria-labelledby": "chat-title", hidden: "" });
  var header = el("header", {});
  var title = el("h2", { id: "chat-title" }, "Chat with us");
  var close = el("button", { type: "button", "class": "close", "aria-label": "Close chat" }, "×");
  header.appendChild(title); header.appendChild(close);
  var log = el("div", { "class": "log", role: "log", "aria-live": "polite",
                        "aria-label": "Conversation", tabindex: "0" });
  var status = el("p", { "class": "status", role: "status" });
  var form = el("form", { "class": "compose" });
  var label = el("label", { "for": "chat-input", "class": "visually-hidden" }, "Your message");
  var input = el("input", { id: "chat-input", type: "text", autocomplete: "off", maxlength: "1000",
                            placeholder: "Type your message…" });
  var send = el("button", { type: "submit" }, "Send");
  form.appendChild(label); form.appendChild(input); form.appendChild(send);
  panel.appendChild(header); panel.appendChild(log); panel.appendChild(status); panel.appendChild(form);
  root.appendChild(launcher); root.appendChild(panel);
  document.body.appendChild(host);

  function add(message) {
    if (shown[message.id]) return;
    shown[message.id] = true;
    lastId = Math.max(lastId, message.id);
    var who = message.from === "visitor" ? "You" : message.from === "staff" ? "Team" : "Assistant";
    var item = el("p", { "class": "msg msg-" + message.from });
    item.appendChild(el("span", { "class": "who" }, who + ": "));
    item.appendChild(document.createTextNode(message.text));
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }
  function request(method, path, body) {
    var headers = { "Content-Type": "application/json" };
    var token = readToken();
    if (token) headers["X-Chat-Token"] = token;
    return fetch(api + path, { method: method, headers: headers, credentials: "omit",
                               body: body ? JSON.stringify(body) : undefined })
      .then(function (r) { return r.json().then(function (data) { return { ok: r.ok, data: data }; }); });
  }
  function poll() {
    if (!readToken()) return;
    request("GET", "/messages?after=" + lastId).then(function (r) {
      if (r.ok) r.data.messages.forEach(add);
    }).catch(function () {});
  }
  function open() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    input.focus();
    poll();
    if (!timer) timer = setInterval(poll, 4000);
  }
  function shut() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    clearInterval(timer); timer = null;
    launcher.focus();
  }
  launcher.addEventListener("click", function () { panel.hidden ? open() : shut(); });
  close.addEventListener("click", shut);
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") shut(); });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) { status.textContent = "Type a message first."; return; }
    send.disabled = true; status.textContent = "";
    request("POST", "/messages", { text: text }).then(function (r) {
      send.disabled = false;
      if (!r.ok) { status.textContent = r.data.error || "Could not send; try again."; return; }
      saveToken(r.data.token);
      input.value = "";
      r.data.messages.forEach(add);
      input.focus();
    }).catch(function () { send.disabled = false; status.textContent = "Could not send; try again."; });
  });
  fetch(api + "/config", { credentials: "omit" }).then(function (r) { return r.ok ? r.json() : null; })
    .then(function (c) { if (c) { title.textContent = c.title; launcher.textContent = c.title; } })
    .catch(function () {});
})();
