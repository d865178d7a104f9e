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

  // Security info: once the passkey library has registered a passkey, show where it landed. For
  // the first sign-in method that is its recovery codes, which come only in the answer that
  // registered it (the server keeps them nowhere to show later): shown here, in place of the page.
  var passkeyPlace = document.getElementById("passkey-registration-placeholder");
  if (passkeyPlace) {
    document.addEventListener("otp_webauthn.register_complete", function (event) {
      var answer = event.detail && event.detail.response;
      var codes = answer && answer.recovery_codes;
      var shown = document.getElementById("passkey-recovery-codes-template");
      if (!codes || !codes.length || !shown) {
        window.location.assign(passkeyPlace.getAttribute("data-after"));
        return;
      }
      var page = shown.content.cloneNode(true);
      var list = page.querySelector(".recovery-codes");
      codes.forEach(function (code) {
        var item = document.createElement("li");
        var text = document.createElement("code");
        text.textContent = code;
        item.appendChild(text);
        list.appendChild(item);
      });
      var card = shown.closest(".signin-card");
      card.replaceChildren(page);
      var heading = card.querySelector("h1");
      var suffix = document.title.indexOf(" – ");
      document.title = heading.textContent + (suffix < 0 ? "" : document.title.slice(suffix));
      heading.focus();
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

  // A bulk job's page: its progress, read every two seconds while it runs (without JavaScript,
  // a reload shows it). Once it has ended, the page reloads to show the results.
  var job = document.querySelector("[data-progress-url]");
  if (job) {
    var bar = job.querySelector("[data-bar]");
    var poll = function () {
      fetch(job.getAttribute("data-progress-url"), {
        credentials: "same-origin",
        headers: { Accept: "application/json" }
      })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (progress) {
          if (!progress) { window.setTimeout(poll, 5000); return; }
          bar.max = progress.total;
          bar.value = progress.done;
          var fields = {
            status_label: progress.status_label,
            done: progress.text.done,
            rate: progress.text.rate,
            left: progress.text.left,
            succeeded: progress.succeeded.toLocaleString(),
            skipped: progress.skipped.toLocaleString(),
            failed: progress.failed.toLocaleString()
          };
          Object.keys(fields).forEach(function (name) {
            var element = job.querySelector('[data-field="' + name + '"]');
            if (element) { element.textContent = fields[name]; }
          });
          if (progress.running) {
            window.setTimeout(poll, 2000);
          } else {
            window.location.reload();
          }
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    };
    job.querySelectorAll(".js-hidden").forEach(function (element) { element.hidden = true; });
    window.setTimeout(poll, 1000);
  }

  // Lists with a checkbox on each row: one in the header ticks the page's.
  document.querySelectorAll("[data-check-page]").forEach(function (all) {
    all.hidden = false;
    var boxes = document.querySelectorAll('input[type="checkbox"][name="' + all.getAttribute("data-check-page") + '"]');
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
    });
  });

  // A template's security groups: only the roles the template asks for are offered to a group.
  var mappings = document.querySelector("[data-mappings]");
  if (mappings) {
    var roleBoxes = document.querySelectorAll('#roles input[name="roles"]');
    var offer = function () {
      var chosen = {};
      roleBoxes.forEach(function (box) { if (box.checked) { chosen[box.value] = true; } });
      mappings.querySelectorAll("[data-role]").forEach(function (row) {
        var box = row.querySelector("input");
        row.hidden = !chosen[row.getAttribute("data-role")] && !box.checked;
      });
    };
    roleBoxes.forEach(function (box) { box.addEventListener("change", offer); });
    offer();
  }
})();
