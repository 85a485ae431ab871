/* scimhub admin UI: the few behaviours htmx does not provide (no inline scripts: CSP). */
(function () {
  "use strict";

  function say(regionId, kind, text) {
    var region = document.getElementById(regionId);
    if (!region) return;
    var message = document.createElement("p");
    message.className = "msg msg-" + kind;
    message.textContent = text;
    region.replaceChildren(message);
  }

  // Each action reports afresh: clear the previous messages when a request starts.
  document.addEventListener("htmx:beforeRequest", function () {
    ["status", "alert"].forEach(function (id) {
      var region = document.getElementById(id);
      if (region) region.replaceChildren();
    });
  });

  // Nothing fails silently: a request that got no answer says so.
  document.addEventListener("htmx:sendError", function () {
    say("alert", "error", "The server did not answer. Reload the page to see the current state.");
  });

  // <button type="button" data-copy="#element-id">Copy</button> copies that element's text.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) {
      say("alert", "error", "Copying is not available here; select the text and copy it.");
      return;
    }
    navigator.clipboard.writeText(source.textContent.trim()).then(
      function () { say("status", "success", "Copied to the clipboard."); },
      function () { say("alert", "error", "Copying failed; select the text and copy it."); }
    );
  });
})();

/* API Access (and any screen whose htmx answer carries data-focus-after-swap): move the
   keyboard focus once to the new content, e.g. a SCIM key shown once, when htmx swaps it in. */
document.addEventListener("htmx:afterSettle", function () {
  var focus = document.querySelector("[data-focus-after-swap]");
  if (!focus) return;
  focus.removeAttribute("data-focus-after-swap");
  focus.focus();
});

/* SSO Applications, Identity Management tab: the custom base URL field is shown only when
   "Custom base URL" is the chosen region (<select data-shows-when="custom" data-shows="#id">).
   Without scripts the field stays visible and the service ignores it for a region. */
(function () {
  "use strict";

  function sync(select) {
    var field = document.querySelector(select.getAttribute("data-shows"));
    if (field) field.hidden = select.value !== select.getAttribute("data-shows-when");
  }

  function syncAll() {
    document.querySelectorAll("select[data-shows]").forEach(sync);
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("select[data-shows]")) sync(event.target);
  });
  document.addEventListener("DOMContentLoaded", syncAll);
  document.addEventListener("htmx:afterSettle", syncAll);
})();
