/* Hisab — the little JavaScript the pages use. Every page works without it.
   - upload page: sends each chosen file on its own to the JSON API and shows its result;
     a capture made while the box is unreachable waits in IndexedDB (the "outbox") with the
     Idempotency-Key made at capture, and uploads by itself when the box answers again
     (on the `online` event, on every page load and every 20 s), so nothing is doubled
   - every page: "N waiting to upload" while the outbox holds something
   - review page: autosaves a draft every few seconds (to the box; to IndexedDB when the box
     is unreachable) and offers an earlier draft back, also after a reboot; line items can be
     added and removed, show qty × price where the amount is left empty and whether they add
     up to the subtotal; the supplier box suggests the shop's suppliers and fills the BIN;
     Enter never approves half an invoice typed in by hand (it moves on; Ctrl+Enter approves).
     The box parses and checks every value again: the numbers read here are only for showing.
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

  /* ---- review: numbers as typed (Bengali digits, lakh grouping), for showing only ---- */
  function typedNumber(value) {
    var s = String(value || "").replace(/[০-৯]/g, function (d) { return "০১২৩৪৫৬৭৮৯".indexOf(d); });
    s = s.replace(/(tk\.?|bdt|taka|টাকা|৳|\/-)/gi, "").replace(/[,\s]/g, "");
    return /^-?\d+(\.\d+)?$/.test(s) ? parseFloat(s) : null;
  }
  function lakh(n) {
    var parts = Math.abs(n).toFixed(2).split("."), whole = parts[0];
    if (whole.length > 3) {
      whole = whole.slice(0, -3).replace(/\B(?=(\d{2})+(?!\d))/g, ",") + "," + whole.slice(-3);
    }
    return localDigits((n < 0 ? "-" : "") + whole + "." + parts[1]);
  }

  /* ---- review: line items ---- */
  var LINE_COLUMNS = ["description", "quantity", "unit_price", "amount"];
  function lineRows(form) { return Array.prototype.slice.call(form.querySelectorAll("[data-line-rows] [data-line]")); }
  function lineCell(row, column) { return row.querySelector('[name="line_' + column + '"]'); }
  function lineIsBlank(row) {
    return LINE_COLUMNS.every(function (c) { return !lineCell(row, c).value.trim(); });
  }

  function setupLines(form) {
    var container = form.querySelector("[data-line-rows]");
    var template = document.getElementById("line-template");
    var add = form.querySelector("[data-line-add]");
    var sum = document.getElementById("lines-sum");
    var count = form.querySelector("[data-lines-count]");
    var subtotal = form.querySelector("#f-subtotal");
    if (!container || !template) return null;

    function wire(row) {
      var remove = row.querySelector("[data-line-remove]");
      remove.hidden = false;
      remove.addEventListener("click", function () { removeRow(row); });
    }
    function addRow(values) {
      var row = template.content.firstElementChild.cloneNode(true);
      container.appendChild(row);
      wire(row);
      LINE_COLUMNS.forEach(function (c) { if (values && values[c] != null) lineCell(row, c).value = values[c]; });
      update();
      return row;
    }
    function removeRow(row) {
      var rows = lineRows(form), at = rows.indexOf(row);
      if (rows.length === 1) {
        LINE_COLUMNS.forEach(function (c) { lineCell(row, c).value = ""; });
      } else {
        row.remove();
      }
      var next = lineRows(form)[Math.min(at, lineRows(form).length - 1)];
      lineCell(next, "description").focus();
      update();
    }
    function update() {
      var total = 0, any = false, unknown = false;
      lineRows(form).forEach(function (row) {
        var amountCell = lineCell(row, "amount");
        var q = typedNumber(lineCell(row, "quantity").value), p = typedNumber(lineCell(row, "unit_price").value);
        var computed = q !== null && p !== null ? Math.round(q * p * 100) / 100 : null;
        amountCell.placeholder = computed === null ? "" : lakh(computed);
        amountCell.title = computed === null ? "" : sum.dataset.msgComputed;
        var amount = amountCell.value.trim() ? typedNumber(amountCell.value) : computed;
        if (lineIsBlank(row)) return;
        any = true;
        if (amount === null) unknown = true; else total += amount;
      });
      var typed = lineRows(form).filter(function (row) { return !lineIsBlank(row); }).length;
      if (count) count.textContent = localDigits(typed);
      sum.className = "lines-sum small";
      if (!any || unknown) { sum.textContent = ""; return; }
      var sub = subtotal ? typedNumber(subtotal.value) : null;
      var text;
      if (sub === null) {
        text = sum.dataset.msgNosubtotal;
      } else if (Math.abs(total - sub) <= 0.011) {
        text = sum.dataset.msgMatch; sum.className += " match";
      } else {
        text = sum.dataset.msgDiffer.replace("{subtotal}", lakh(sub)).replace("{diff}", lakh(total - sub));
        sum.className += " differ";
      }
      sum.textContent = text.replace("{sum}", lakh(total));
    }
    /* Enter in a line moves to the next box; after a line's amount it starts the next line;
       on an empty last line it leaves the table for the subtotal. Never submits. */
    function enter(input) {
      var row = input.closest("[data-line]"), rows = lineRows(form);
      var column = LINE_COLUMNS.indexOf(input.name.replace("line_", ""));
      var last = rows[rows.length - 1] === row;
      if (last && lineIsBlank(row)) { if (subtotal) { subtotal.focus(); subtotal.select(); } return; }
      var target = column < LINE_COLUMNS.length - 1 ? lineCell(row, LINE_COLUMNS[column + 1])
        : lineCell(last ? addRow() : rows[rows.indexOf(row) + 1], "description");
      target.focus();
      target.select();
    }
    function setRows(lines) {
      lineRows(form).forEach(function (row) { row.remove(); });
      (lines || []).forEach(function (line) { addRow(line); });
      addRow();
    }
    lineRows(form).forEach(wire);
    if (add) {
      add.hidden = false;
      add.addEventListener("click", function () {
        var rows = lineRows(form), lastRow = rows[rows.length - 1];
        var row = lastRow && lineIsBlank(lastRow) ? lastRow : addRow();
        lineCell(row, "description").focus();
      });
    }
    container.addEventListener("input", update);
    if (subtotal) subtotal.addEventListener("input", update);
    update();
    return { enter: enter, setRows: setRows, update: update };
  }

  /* ---- review: the shop's suppliers, suggested as the name is typed; choosing one fills its BIN ---- */
  function setupSuppliers(form) {
    var name = form.querySelector("#f-supplier_name");
    var list = document.getElementById("supplier-list");
    if (!name || !list || !window.fetch) return;
    var known = {}, loaded = null, complete = false, timer = null, filledFor = null, touched = false;
    function load(q) {
      return fetch(form.dataset.suppliersUrl + (q ? "?q=" + encodeURIComponent(q) : ""), {
        credentials: "same-origin", headers: { "Accept": "application/json" }
      }).then(function (r) { return r.ok ? r.json() : { suppliers: [] }; }).then(function (data) {
        var suppliers = data.suppliers || [];
        if (!q) complete = suppliers.length < 500;  // the box sends at most 500: ask again as the name is typed
        list.innerHTML = "";
        suppliers.forEach(function (s) {
          known[s.name.trim().toLowerCase()] = s;
          var option = document.createElement("option");
          option.value = s.name;
          if (s.bin) option.label = s.bin;
          list.appendChild(option);
        });
        if (touched) fillKnown();  // typed (or pasted) before the list arrived; never on a mere look
      }).catch(function () { /* no list: typing still works */ });
    }
    function fill(s) {
      var targets = { supplier_bin: s.bin, supplier_address: s.address, vat_rate: s.vat_rate };
      Object.keys(targets).forEach(function (field) {
        var input = form.querySelector("#f-" + field), value = targets[field];
        if (!input || value == null || value === "") return;
        if (field !== "supplier_bin" && input.value.trim()) return;  // only the BIN is the supplier's own
        input.value = String(value);
        input.closest(".field").classList.add("autofilled");
        input.dispatchEvent(new Event("input", { bubbles: true }));
      });
    }
    function fillKnown() {
      var key = name.value.trim().toLowerCase(), s = known[key];
      if (!s || filledFor === key) return !!s;  // filled once per choice: a BIN corrected by hand stays
      filledFor = key;
      fill(s);
      return true;
    }
    function match() {
      touched = true;
      if (fillKnown()) return;
      if (!complete && name.value.trim().length >= 2) {
        clearTimeout(timer);
        timer = setTimeout(function () { load(name.value.trim()); }, 200);
      }
    }
    name.addEventListener("focus", function () { if (!loaded) loaded = load(""); });
    name.addEventListener("input", match);
    name.addEventListener("change", match);
    if (document.activeElement === name && !loaded) loaded = load("");
  }

  /* ---- review: the keyboard ---- */
  function setupKeys(form, lines) {
    var manual = form.dataset.manual === "1";
    function boxes() {
      return Array.prototype.filter.call(form.querySelectorAll("input"), function (el) {
        return el.type !== "hidden" && !el.disabled && el.getClientRects().length > 0;
      });
    }
    form.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.isComposing || event.target.tagName !== "INPUT") return;
      var input = event.target;
      if (event.ctrlKey || event.metaKey) {
        event.preventDefault();
        var button = document.getElementById("approve") || document.getElementById("save");
        if (form.requestSubmit) form.requestSubmit(button); else button.click();
        return;
      }
      if (input.closest("[data-line]") && lines) {
        event.preventDefault();
        lines.enter(input);
        return;
      }
      if (!manual) return;  // reviewing what the box read: Enter approves, as the button says
      event.preventDefault();
      var all = boxes(), next = all[all.indexOf(input) + 1];
      if (!next) { (document.getElementById("approve") || document.getElementById("save")).focus(); return; }
      next.focus();
      if (next.select && next.type !== "checkbox") next.select();  // as Tab does: typing replaces what is there
    });
    var invalid = form.querySelector('[aria-invalid="true"]');
    var start = form.querySelector("[data-autofocus]");
    if (invalid) invalid.focus();
    // Typing in by hand starts in the first box, where the photo stays beside the form; on a
    // phone the photo is above it, and a keyboard popping up at once would hide it.
    else if (start && window.matchMedia("(min-width: 980px)").matches) start.focus({ preventScroll: true });
  }

  /* ---- review: drafts ---- */
  function formFields(form) {
    var fields = {};
    form.querySelectorAll("input[name]").forEach(function (input) {
      if (input.type === "hidden" || input.name === "urgent_shown" || input.name.indexOf("line_") === 0) return;
      fields[input.name] = input.type === "checkbox" ? input.checked : input.value;
    });
    if (form.querySelector("[data-line-rows]")) {
      fields.line_items = lineRows(form).filter(function (row) { return !lineIsBlank(row); }).map(function (row) {
        var line = {};
        LINE_COLUMNS.forEach(function (c) { line[c] = lineCell(row, c).value; });
        return line;
      });
    }
    return fields;
  }

  function fillFields(form, fields, lines) {
    Object.keys(fields).forEach(function (name) {
      if (name === "line_items") { if (lines && Array.isArray(fields[name])) lines.setRows(fields[name]); return; }
      var input = form.querySelector('[name="' + name + '"]');
      if (!input || input.type === "hidden") return;
      if (input.type === "checkbox") input.checked = !!fields[name];
      else input.value = fields[name] == null ? "" : fields[name];
    });
    if (lines) lines.update();
  }

  function setupReview(form) {
    var lines = setupLines(form);
    setupSuppliers(form);
    setupKeys(form, lines);
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
      if (!restore) { fillFields(form, draft, lines); offer.remove(); return; }
      restore.addEventListener("click", function () {
        fillFields(form, draft, lines); offer.remove(); form.querySelector("input:not([type=hidden])").focus();
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
