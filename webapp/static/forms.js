/* A form is sent once: after the first submit its buttons are disabled (and say so to screen
   readers) until the answer comes. The server guards create forms too (a one-time token),
   so this is for the person, not for correctness. */
(function () {
  function busy(form, on) {
    form.querySelectorAll("button[type=submit], input[type=submit], button:not([type])").forEach(function (b) {
      b.disabled = on;
      if (on) b.setAttribute("aria-busy", "true"); else b.removeAttribute("aria-busy");
    });
    if (on) form.dataset.sending = "1"; else delete form.dataset.sending;
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.sending) { event.preventDefault(); return; }
    // After this event: a disabled button would not be sent with the form.
    setTimeout(function () { if (!event.defaultPrevented) busy(form, true); }, 0);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;  // only the form's own request, not a live preview inside it
    if (elt && elt.tagName === "FORM") busy(elt, false);
  });
  window.addEventListener("pageshow", function () {  // back to a page kept in memory
    document.querySelectorAll("form[data-sending]").forEach(function (f) { busy(f, false); });
  });
})();
