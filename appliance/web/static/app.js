/* Hisab — the little JavaScript the pages use. Every page works without it.
   - upload page: sends each chosen file on its own to the JSON API and shows its result
   - review page: autosaves a draft every few seconds (server, or this device when the box is
     unreachable) and offers an earlier draft back
   - registers the service worker */
(function () {
  "use strict";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  function text(id) { var t = document.getElementById(id); return t ? t.innerHTML.trim() : ""; }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  /* ---- upload: one request per file, each with its own Idempotency-Key ---- */
  function setupUpload(form) {
    var list = document.getElementById("chosen");
    var results = document.getElementById("upload-results");
    form.addEventListener("change", function () {
      list.innerHTML = "";
      form.querySelectorAll('input[type="file"]').forEach(function (input) {
        Array.prototype.forEach.call(input.files, function (f) {
          var li = document.createElement("li");
          li.textContent = f.name + " (" + Math.max(1, Math.round(f.size / 1024)) + " KB)";
          list.appendChild(li);
        });
      });
    });
    form.addEventListener("submit", function (event) {
      var files = [];
      form.querySelectorAll('input[type="file"]').forEach(function (input) {
        Array.prototype.forEach.call(input.files, function (f) { files.push(f); });
      });
      if (!files.length || !window.fetch || !window.FormData) return; // let the plain form speak
      event.preventDefault();
      results.innerHTML = "";
      var button = form.querySelector('button[type="submit"]');
      button.disabled = true;
      var chain = Promise.resolve();
      files.forEach(function (file) {
        var row = document.createElement("li");
        row.className = "result busy";
        var name = document.createElement("span");
        name.className = "result-name";
        name.textContent = file.name;
        var state = document.createElement("span");
        state.textContent = text("msg-uploading");
        row.appendChild(name);
        row.appendChild(state);
        results.appendChild(row);
        var key = uuid();
        chain = chain.then(function () { return send(file, key, 0, row, state); });
      });
      chain.then(function () {
        button.disabled = false;
        form.reset();
        list.innerHTML = "";
      });
    });
  }

  function send(file, key, attempt, row, state) {
    var body = new FormData();
    body.append("file", file, file.name);
    return fetch("/api/v1/invoices", {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Idempotency-Key": key, "Accept": "application/json" }
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.ok) {
          row.className = "result ok";
          state.innerHTML = "";
          var a = document.createElement("a");
          a.href = "/invoices/" + data.id;
          a.textContent = text("msg-stored");
          state.appendChild(a);
        } else {
          row.className = "result bad";
          state.textContent = data.error || response.statusText;
        }
      });
    }, function () {
      // network failure: the same key makes a retry safe (the box never stores it twice)
      if (attempt < 2) {
        return new Promise(function (r) { setTimeout(r, 1500 * (attempt + 1)); })
          .then(function () { return send(file, key, attempt + 1, row, state); });
      }
      row.className = "result bad";
      state.textContent = text("msg-offline");
    });
  }

  /* ---- review: drafts ---- */
  function formFields(form) {
    var fields = {};
    form.querySelectorAll("input[name]").forEach(function (input) {
      if (input.type === "hidden" || input.name === "urgent_shown") return;
      fields[input.name] = input.type === "checkbox" ? input.checked : input.value;
    });
    return fields;
  }

  function fillFields(form, fields) {
    Object.keys(fields).forEach(function (name) {
      var input = form.querySelector('[name="' + name + '"]');
      if (!input || input.type === "hidden") return;
      if (input.type === "checkbox") input.checked = !!fields[name];
      else input.value = fields[name] == null ? "" : fields[name];
    });
  }

  function setupReview(form) {
    var id = form.dataset.invoice;
    var url = form.dataset.draftUrl;
    var status = form.querySelector(".autosave");
    var localKey = "hisab-draft-" + id;
    var saved = JSON.stringify(formFields(form));
    var offer = document.getElementById("draft-offer");
    var local = null;
    try { local = JSON.parse(localStorage.getItem(localKey) || "null"); } catch (e) { local = null; }
    if (!offer && local && local.version === form.elements.version.value &&
        JSON.stringify(local.fields) !== saved) {
      // typed while the box was unreachable: offer it back like a server draft
      offer = document.createElement("div");
      offer.id = "draft-offer";
      offer.dataset.draft = JSON.stringify(local.fields);
      form.parentNode.insertBefore(offer, form);
    }
    if (offer) {
      var draft = JSON.parse(offer.dataset.draft || "{}");
      var restore = offer.querySelector("[data-draft-restore]");
      var discard = offer.querySelector("[data-draft-discard]");
      if (!restore) { fillFields(form, draft); offer.remove(); }
      else {
        restore.addEventListener("click", function () { fillFields(form, draft); offer.remove(); form.querySelector("input:not([type=hidden])").focus(); });
        discard.addEventListener("click", function () { offer.remove(); localStorage.removeItem(localKey); });
      }
    }
    form.addEventListener("submit", function () { localStorage.removeItem(localKey); });
    setInterval(function () {
      var now = JSON.stringify(formFields(form));
      if (now === saved) return;
      var fields = JSON.parse(now);
      fetch(url, {
        method: "PUT", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ fields: fields })
      }).then(function (response) {
        if (!response.ok) throw new Error(response.status);
        saved = now;
        localStorage.removeItem(localKey);
        status.textContent = form.dataset.msgSaved;
      }).catch(function () {
        try { localStorage.setItem(localKey, JSON.stringify({ version: form.elements.version.value, fields: fields })); } catch (e) { /* full */ }
        status.textContent = form.dataset.msgOffline;
      });
    }, 4000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var upload = document.getElementById("upload-form");
    if (upload) setupUpload(upload);
    var review = document.getElementById("review-form");
    if (review) setupReview(review);
    if ("serviceWorker" in navigator && window.isSecureContext) {
      navigator.serviceWorker.register("/sw.js").catch(function () { /* optional */ });
    }
  });
})();
