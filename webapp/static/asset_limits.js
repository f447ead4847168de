// Live limit counters on the asset edit form: every field with data-limit gets "n / limit"
// beside it, counted as the platform counts (X: weighted, URLs as 23; lines: each line and
// how many), and turns red when over. Also the "Copy" buttons. No dependencies.
(function () {
  "use strict";
  var LIGHT = [[0x0, 0x10ff], [0x2000, 0x200d], [0x2010, 0x201f], [0x2032, 0x2037]];
  var URL = /(?:https?:\/\/|www\.)[^\s<>"']+[^\s<>"'.,;:!?)\]]|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|org|net|io|co|de|at|ch|eu|uk|shop|info|biz|app)(?:\/[^\s<>"']*[^\s<>"'.,;:!?)\]])?\b/gi;
  function isEmoji(cp) { return (cp >= 0x1f000 && cp <= 0x1faff) || (cp >= 0x2600 && cp <= 0x27bf) || (cp >= 0x2b00 && cp <= 0x2bff) || (cp >= 0x2300 && cp <= 0x23ff); }
  function isTail(cp) { return cp === 0xfe0f || (cp >= 0x1f3fb && cp <= 0x1f3ff) || (cp >= 0xe0020 && cp <= 0xe007f) || cp === 0x20e3; }
  function weigh(text) {
    var cps = Array.from(text).map(function (c) { return c.codePointAt(0); });
    var total = 0, i = 0;
    while (i < cps.length) {
      var cp = cps[i];
      if (cp >= 0x1f1e6 && cp <= 0x1f1ff) { i += (cps[i + 1] >= 0x1f1e6 && cps[i + 1] <= 0x1f1ff) ? 2 : 1; total += 2; continue; }
      if (isEmoji(cp)) {
        i += 1;
        while (i < cps.length) { if (isTail(cps[i])) { i += 1; } else if (cps[i] === 0x200d && i + 1 < cps.length) { i += 2; } else { break; } }
        total += 2; continue;
      }
      total += LIGHT.some(function (r) { return cp >= r[0] && cp <= r[1]; }) ? 1 : 2;
      i += 1;
    }
    return total;
  }
  function xLength(text) {
    text = text.normalize("NFC");
    var total = 0, last = 0, m;
    URL.lastIndex = 0;
    while ((m = URL.exec(text)) !== null) { total += weigh(text.slice(last, m.index)) + 23; last = m.index + m[0].length; }
    return total + weigh(text.slice(last));
  }
  function chars(text) { return Array.from(text.normalize("NFC")).length; }
  function measure(field) {
    var limit = parseInt(field.dataset.limit, 10), mode = field.dataset.count || "chars";
    if (mode === "lines") {
      var lines = field.value.split(/\r?\n/).filter(function (l) { return l.trim(); });
      var over = lines.filter(function (l) { return chars(l.trim()) > limit; }).length;
      var most = parseInt(field.dataset.maxLines || "0", 10);
      var bad = over > 0 || (most && lines.length > most);
      var text = lines.length + (most ? " of " + most : "") + " lines, each at most " + limit + " characters";
      if (over) { text += " — " + over + (over === 1 ? " line is" : " lines are") + " too long"; }
      return { bad: bad, text: text };
    }
    var n = mode === "x" ? xLength(field.value) : chars(field.value);
    return { bad: n > limit, text: n.toLocaleString() + " / " + limit.toLocaleString() + (mode === "x" ? " (as X counts)" : "") };
  }
  document.querySelectorAll("[data-limit]").forEach(function (field) {
    var counter = document.createElement("small");
    counter.id = field.id + "-count";
    counter.className = "limit-counter";
    counter.setAttribute("aria-live", "polite");
    field.insertAdjacentElement("afterend", counter);
    var described = field.getAttribute("aria-describedby");
    field.setAttribute("aria-describedby", described ? described + " " + counter.id : counter.id);
    function update() {
      var result = measure(field);
      counter.textContent = result.text;
      counter.classList.toggle("over", result.bad);
      field.setAttribute("aria-invalid", result.bad ? "true" : "false");
    }
    field.addEventListener("input", update);
    update();
  });
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var source = document.querySelector(button.dataset.copy);
      if (!source || !navigator.clipboard) { return; }
      navigator.clipboard.writeText(source.textContent).then(function () { button.textContent = "Copied"; });
    });
  });
}());
