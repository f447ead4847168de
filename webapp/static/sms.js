/* The SMS size box's "Use plain quotes" button: puts the server's plain spelling of the
   message into the editor's textarea (the server decided what to replace) and lets the
   box measure it again. */
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-plain-text]");
  if (!button) return;
  var form = button.closest("form");
  var body = form && form.querySelector("textarea[name=body]");
  if (!body) return;
  body.value = button.getAttribute("data-plain-text");
  body.dispatchEvent(new Event("input", { bubbles: true }));
  body.focus();
});
