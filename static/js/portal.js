// Small improvements on pages that already work without JavaScript. No dependencies.
"use strict";

(function () {
  // Copy to clipboard: the button lists the elements whose text it copies.
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var done = document.execCommand("copy");
    document.body.removeChild(area);
    return done ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.hidden = false;
    var status = button.parentElement.querySelector(".copy-status");
    button.addEventListener("click", function () {
      var parts = button.getAttribute("data-copy").split(",").map(function (selector) {
        var element = document.querySelector(selector);
        return element ? element.textContent : "";
      });
      var text = parts.length > 1 ? "Subject: " + parts[0] + "\n\n" + parts.slice(1).join("\n") : parts[0];
      copyText(text).then(
        function () { if (status) { status.textContent = "Copied"; } },
        function () { if (status) { status.textContent = "Select the text and copy it instead"; } }
      );
    });
  });

  // Security info: once the passkey library has registered a passkey, show where it landed (its
  // recovery codes when it was the first sign-in method).
  var passkeyPlace = document.getElementById("passkey-registration-placeholder");
  if (passkeyPlace) {
    document.addEventListener("otp_webauthn.register_complete", function () {
      window.location.assign(passkeyPlace.getAttribute("data-after"));
    });
  }

  // Add customer: say whether <prefix>.onmicrosoft.com is free while it is typed.
  var hint = document.getElementById("domain-hint");
  if (hint) {
    var input = document.getElementById(hint.getAttribute("data-for"));
    var timer = null;
    var latest = 0;
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      var prefix = input.value.trim().toLowerCase();
      if (!prefix) { hint.textContent = ""; hint.className = "hint"; return; }
      timer = window.setTimeout(function () {
        var asked = ++latest;
        var url = hint.getAttribute("data-check-url") + "?prefix=" + encodeURIComponent(prefix);
        fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (response) {
            // 429 (too many checks) says so in a message too.
            return response.ok || response.status === 429 ? response.json() : null;
          })
          .then(function (answer) {
            if (!answer || asked !== latest) { return; }
            hint.textContent = answer.message;
            hint.className = "hint " + (answer.available ? "ok" : "taken");
          })
          .catch(function () { /* the check on submit still runs */ });
      }, 300);
    });
  }
})();
