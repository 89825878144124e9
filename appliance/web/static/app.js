/* Hisab — the little JavaScript the pages use. Every page works without it.
   - upload page: sends each chosen file on its own to the JSON API and shows its result;
     a capture made while the box is unreachable waits in IndexedDB (the "outbox") with the
     Idempotency-Key made at capture, and uploads by itself when the box answers again
     (on the `online` event, on every page load and every 20 s), so nothing is doubled
   - every page: "N waiting to upload" while the outbox holds something
   - review page: autosaves a draft every few seconds (to the box; to IndexedDB when the box
     is unreachable) and offers an earlier draft back, also after a reboot
   - registers the service worker */
(function () {
  "use strict";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  function text(id) { var t = document.getElementById(id); return t ? t.innerHTML.trim() : ""; }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  /* ---- IndexedDB: "outbox" (captures waiting for the box) and "drafts" (typing) ---- */
  var dbPromise = null;
  function openDb() {
    if (!window.indexedDB) return Promise.reject(new Error("no IndexedDB"));
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = indexedDB.open("hisab", 1);
        request.onupgradeneeded = function () {
          var db = request.result;
          if (!db.objectStoreNames.contains("outbox")) db.createObjectStore("outbox", { keyPath: "key" });
          if (!db.objectStoreNames.contains("drafts")) db.createObjectStore("drafts", { keyPath: "id" });
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { dbPromise = null; reject(request.error); };
      });
    }
    return dbPromise;
  }
  function store(name, mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(name, mode);
        var request = work(tx.objectStore(name));
        tx.oncomplete = function () { resolve(request ? request.result : undefined); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
      });
    });
  }
  function localDigits(n) {
    var s = String(n);
    if (document.documentElement.lang !== "bn") return s;
    return s.replace(/[0-9]/g, function (d) { return "০১২৩৪৫৬৭৮৯"[+d]; });
  }

  /* ---- outbox: captures made while the box was unreachable ---- */
  function queueCapture(file, key) {
    return store("outbox", "readwrite", function (s) {
      return s.put({ key: key, blob: file, name: file.name || "capture.jpg", type: file.type, created: Date.now() });
    }).then(showOutbox);
  }
  function showOutbox() {
    var box = document.getElementById("outbox");
    if (!box) return Promise.resolve(0);
    return store("outbox", "readonly", function (s) { return s.count(); }).then(function (n) {
      box.hidden = !n;
      box.dataset.count = n;
      box.textContent = n === 1 ? box.dataset.one : (box.dataset.many || "").replace("{n}", localDigits(n));
      return n;
    }, function () { return 0; });
  }
  var flushing = false;
  function flushOutbox() {
    if (flushing) return Promise.resolve();
    flushing = true;
    return store("outbox", "readonly", function (s) { return s.getAll(); }).then(function (entries) {
      var chain = Promise.resolve(true);
      (entries || []).forEach(function (entry) {
        chain = chain.then(function (goOn) {
          if (!goOn) return false;
          var body = new FormData();
          body.append("file", entry.blob, entry.name);
          return fetch("/api/v1/invoices", {
            method: "POST", body: body, credentials: "same-origin",
            headers: { "X-CSRFToken": csrf, "Idempotency-Key": entry.key, "Accept": "application/json" }
          }).then(function (response) {
            // 201 (stored, or stored earlier under this key): done. 401/403/408/429/5xx: try later.
            // Any other 4xx (not an invoice, too large): the box will never take it; drop it.
            var later = response.status === 401 || response.status === 403 || response.status === 408 ||
              response.status === 429 || response.status >= 500;
            if (later) return false;
            return store("outbox", "readwrite", function (s) { return s.delete(entry.key); })
              .then(showOutbox).then(function () { return true; });
          }, function () { return false; }); // still unreachable
        });
      });
      return chain;
    }).catch(function () { /* no IndexedDB: nothing can wait */ }).then(function () { flushing = false; });
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
        chain = chain.then(function () { return send(file, key, row, state); });
      });
      chain.then(function () {
        button.disabled = false;
        form.reset();
        list.innerHTML = "";
      });
    });
  }

  function send(file, key, row, state) {
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
      // The box is unreachable (rebooting after a power cut?): keep the capture on this phone
      // with the key made at capture, so the upload later is the same upload, never a second.
      return queueCapture(file, key).then(function () {
        row.className = "result busy queued";
        state.textContent = text("msg-queued");
      }, function () {
        row.className = "result bad";
        state.textContent = text("msg-offline");
      });
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
    var saved = JSON.stringify(formFields(form));
    var version = form.elements.version.value;
    var offer = document.getElementById("draft-offer");
    function forget() { return store("drafts", "readwrite", function (s) { return s.delete(id); }).catch(function () {}); }

    function offerBack(draft, local) {
      var restore = offer.querySelector("[data-draft-restore]");
      var discard = offer.querySelector("[data-draft-discard]");
      if (!restore) { fillFields(form, draft); offer.remove(); return; }
      restore.addEventListener("click", function () {
        fillFields(form, draft); offer.remove(); form.querySelector("input:not([type=hidden])").focus();
      });
      discard.addEventListener("click", function () { offer.remove(); if (local) forget(); });
    }

    if (offer) {
      offerBack(JSON.parse(offer.dataset.draft || "{}"), false);
    } else {
      // typed while the box was unreachable (kept in IndexedDB): offer it back like a server draft
      store("drafts", "readonly", function (s) { return s.get(id); }).then(function (local) {
        if (!local || local.version !== version || JSON.stringify(local.fields) === saved) return;
        var template = document.getElementById("draft-offer-local");
        offer = template ? template.content.firstElementChild.cloneNode(true) : document.createElement("div");
        offer.id = "draft-offer";
        form.parentNode.insertBefore(offer, form);
        offerBack(local.fields, true);
      }).catch(function () { /* no IndexedDB */ });
    }
    form.addEventListener("submit", function () { forget(); });
    function autosave() {
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
        forget();
        status.textContent = form.dataset.msgSaved;
      }).catch(function () {
        store("drafts", "readwrite", function (s) {
          return s.put({ id: id, version: version, fields: fields, saved: Date.now() });
        }).then(function () { status.textContent = form.dataset.msgOffline; },
                function () { status.textContent = ""; });
      });
    }
    setInterval(autosave, 4000);
    window.addEventListener("online", autosave);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var upload = document.getElementById("upload-form");
    if (upload) setupUpload(upload);
    var review = document.getElementById("review-form");
    if (review) setupReview(review);
    var month = document.getElementById("e-month");
    if (month) month.addEventListener("change", function () {
      window.location.href = "/exports?month=" + encodeURIComponent(month.value);  // counts for that month
    });
    document.querySelectorAll("[data-print]").forEach(function (b) {
      b.addEventListener("click", function () { window.print(); });
    });
    showOutbox().then(function (n) { if (n) flushOutbox(); });
    window.addEventListener("online", flushOutbox);
    setInterval(function () {
      showOutbox().then(function (n) { if (n) flushOutbox(); });
    }, 20000);
    if ("serviceWorker" in navigator && window.isSecureContext) {
      navigator.serviceWorker.register("/sw.js").catch(function () { /* optional */ });
    }
  });
  window.hisabOutbox = { flush: flushOutbox, count: showOutbox };  // for tests and the console
})();
