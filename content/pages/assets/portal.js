// The portal's own behaviour, on every page (a static file: the service's pages allow no inline script).
// - Deadline cards count down from the service's date (GET /api/status → today), else the browser's.
// - Boards marked data-live-status poll /api/status and update their numbers in place.
// - The scan upload form takes a dropped file and uploads with a progress bar; without
//   JavaScript the plain form posts as before.
// - The bulk scan page keeps the files dropped on it for its preview and its confirmation.
// - Lists of people filter as the user types (name, 工号, pinyin initials) and by status; rows
//   keep their place. Bulk forms select the rows shown and count them.
// - The targets form adds up its points as they are typed; duties forms fill a role's template.
// - A form sent after the session ended is kept in this tab (sessionStorage) and restored on the
//   same page once the user has signed in again.
(function () {
  "use strict";
  var STATUS_URL = new URL("api/status", siteRoot()).href;
  var POLL_MS = 4000;
  var DAY_MS = 86400000;
  var CHINA_OFFSET_MS = 8 * 3600000;

  // The site's root, where the service answers too: MkDocs's base of the page ("..", or the
  // service page's "/mubiao/"), so that a portal mounted under a path finds its own service.
  function siteRoot() {
    var config = document.getElementById("__config");
    var base = "/";
    try { base = JSON.parse(config.textContent).base || "."; } catch (error) { /* no config: the root */ }
    return new URL(base.replace(/\/?$/, "/"), location.href);
  }

  function getStatus(timeoutMs) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, timeoutMs) : null;
    return fetch(STATUS_URL, {
      cache: "no-store", credentials: "same-origin", headers: { Accept: "application/json" },
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      if (!response.ok) throw new Error("status " + response.status);
      return response.json();
    }).finally(function () { if (timer) clearTimeout(timer); });
  }

  // -- deadline countdown ---------------------------------------------------------------

  function dayNumber(iso) {
    var parts = iso.split("-");
    return Date.UTC(+parts[0], +parts[1] - 1, +parts[2]) / DAY_MS;
  }

  function browserToday() {
    return new Date(Date.now() + CHINA_OFFSET_MS).toISOString().slice(0, 10);
  }

  function countdownText(days) {
    return days < 0 ? "已截止" : days === 0 ? "今天截止" : "还有 " + days + " 天";
  }

  function renderCountdown(cards, today) {
    var next = null;
    cards.forEach(function (card) {
      var days = dayNumber(card.getAttribute("data-deadline")) - dayNumber(today);
      var out = card.querySelector(".deadline-countdown");
      card.classList.toggle("passed", days < 0);
      card.classList.toggle("soon", days >= 0 && days <= 3);
      card.setAttribute("data-days-left", String(days));
      if (out) out.textContent = countdownText(days);
      if (days >= 0 && next === null) next = { card: card, days: days };
    });
    document.querySelectorAll("[data-next-deadline]").forEach(function (banner) {
      if (next === null) {
        banner.textContent = "本年度的截止日期都已过去。";
      } else {
        var date = next.card.querySelector(".deadline-date");
        var what = next.card.querySelector(".deadline-what");
        banner.textContent = "下一个截止日期：" + (date ? date.textContent : "") + "（" +
          countdownText(next.days) + "）" + (what ? "——" + what.textContent : "");
      }
      banner.hidden = false;
    });
    document.documentElement.setAttribute("data-today", today);
  }

  function countdown(root) {
    var cards = Array.prototype.slice.call(root.querySelectorAll("[data-deadline]"));
    if (!cards.length) return;
    getStatus(3000).then(function (status) {
      return status.today || browserToday();
    }, function () {
      return browserToday();  // the site served without the service
    }).then(function (today) { renderCountdown(cards, today); });
  }

  // -- live numbers ---------------------------------------------------------------------

  function percentText(value) {
    return value === null ? "无人员" : Number(value).toFixed(1) + "%";  // null: a department without people
  }

  function setField(scope, name, text) {
    scope.querySelectorAll('[data-field="' + name + '"]').forEach(function (el) {
      if (el.textContent !== text) {
        el.textContent = text;
        el.classList.remove("just-changed");
        void el.offsetWidth;  // restart the highlight
        el.classList.add("just-changed");
      }
    });
  }

  function setCounts(scope, counts, percent) {
    ["staff", "completed", "exempt", "outstanding", "resign", "unapproved"].forEach(function (name) {
      if (counts[name] !== undefined) setField(scope, name, String(counts[name]));
    });
    setField(scope, "percent", percentText(percent));
    if (percent === null) return;
    scope.querySelectorAll('[role="progressbar"]').forEach(function (bar) {
      bar.setAttribute("aria-valuenow", String(percent));
      var fill = bar.querySelector("span");
      if (fill) fill.style.width = percent + "%";
    });
  }

  function applyStatus(container, status) {
    container.querySelectorAll("[data-totals]").forEach(function (scope) {
      setCounts(scope, status.totals, status.totals.percent);
    });
    status.departments.forEach(function (d) {
      container.querySelectorAll('[data-department="' + d.id + '"]').forEach(function (row) {
        setCounts(row, d, d.percent);
        row.classList.toggle("overdue-row", !!d.overdue);
        var state = row.querySelector('[data-field="state"]');
        if (state) {
          var label = d.overdue ? "逾期未完成" : d.empty ? "无人员" : d.outstanding === 0 ? "已完成" : "进行中";
          if (state.textContent !== label) {
            state.innerHTML = d.overdue ? '<span class="overdue">逾期未完成</span>' : label;
          }
        }
      });
    });
    container.querySelectorAll('[data-field="updated_at"]').forEach(function (el) {
      var text = status.updated_at ? zhTime(status.updated_at) : "尚无报送";
      if (el.textContent !== text) el.textContent = text;
    });
  }

  // An ISO stamp as the pages show it (the zh_time filter, service/templating.py): 2019年4月20日 10:31.
  function zhTime(stamp) {
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(stamp);
    return m ? m[1] + "年" + Number(m[2]) + "月" + Number(m[3]) + "日 " + m[4] + ":" + m[5] : stamp;
  }

  function refreshChart(container) {
    var chart = container.querySelector("[data-signature-chart]");
    if (!chart) return;
    fetch(location.pathname + location.search, { cache: "no-store", credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-signature-chart]");
        if (fresh) chart.replaceWith(document.importNode(fresh, true));
      }).catch(function () { /* the next change tries again */ });
  }

  var live = { containers: [], timer: null, updatedAt: null };

  function poll() {
    live.timer = null;
    live.containers = live.containers.filter(function (c) { return document.contains(c); });
    if (!live.containers.length) return;
    if (document.hidden) { schedule(); return; }
    getStatus(POLL_MS).then(function (status) {
      var changed = (status.updated_at || "") !== live.updatedAt;
      live.updatedAt = status.updated_at || "";
      live.containers.forEach(function (container) {
        applyStatus(container, status);
        if (changed) refreshChart(container);
      });
    }).catch(function () { /* offline for a moment: try again later */ }).then(schedule);
  }

  function schedule() {
    if (live.timer !== null) return;
    // the public page asks less often (data-live-interval) than the boards people work from
    var every = Math.min.apply(null, live.containers.map(function (c) {
      return +(c.getAttribute("data-live-interval") || POLL_MS);
    }).concat([60000]));
    live.timer = setTimeout(poll, Math.max(every, 1000));
  }

  function liveStatus(root) {
    var found = Array.prototype.slice.call(root.querySelectorAll("[data-live-status]:not([data-live-bound])"));
    if (!found.length) return;
    found.forEach(function (c) { c.setAttribute("data-live-bound", ""); });
    live.containers = live.containers.concat(found);
    if (live.updatedAt === null) live.updatedAt = found[0].getAttribute("data-updated") || "";
    schedule();
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && live.containers.length) {
      if (live.timer !== null) clearTimeout(live.timer);
      live.timer = null;
      poll();
    }
  });

  // -- drag-and-drop uploads with progress ----------------------------------------------

  function sizeText(bytes) {
    if (bytes < 1024) return bytes + " 字节";
    if (bytes < 1048576) return (bytes / 1024).toFixed(1) + " KB";
    return (bytes / 1048576).toFixed(1) + " MB";
  }

  function swapArticle(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.querySelector("article.md-content__inner");
    var article = document.querySelector("article.md-content__inner");
    if (!fresh || !article) return false;
    article.innerHTML = fresh.innerHTML;
    if (doc.title) document.title = doc.title;
    enhance(article);
    window.scrollTo(0, 0);
    var focus = article.querySelector('[role="alert"], [role="status"], h1');
    if (focus) {
      focus.setAttribute("tabindex", "-1");
      focus.focus({ preventScroll: true });
    }
    return true;
  }

  // A line under the form: what was chosen, how far the upload is, what went wrong.
  function say(form, text, failed) {
    var box = form.querySelector("[data-upload-progress]");
    var status = form.querySelector("[data-upload-status]");
    if (!box || !status) return;
    box.hidden = false;
    status.textContent = text;
    box.classList.toggle("failed", !!failed);
  }

  function dropZone(form, onFiles) {
    var zone = form.querySelector("[data-drop-zone]");
    var hint = form.querySelector("[data-drop-hint]");
    if (hint) hint.hidden = false;
    zone.classList.add("drop-ready");
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (event) {
        event.preventDefault();
        zone.classList.add("dragover");
      });
    });
    ["dragleave", "drop"].forEach(function (type) {
      zone.addEventListener(type, function () { zone.classList.remove("dragover"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      var files = event.dataTransfer && event.dataTransfer.files;
      if (files && files.length) onFiles(files);
    });
  }

  // POST `data` to the form's action with a progress bar; the answer (a page) replaces the article.
  function send(form, data, working, done, onSwap) {
    var button = form.querySelector('button[type="submit"]');
    var bar = form.querySelector("[data-upload-progress] progress");
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "text/html");
    if (button) button.disabled = true;
    if (bar) bar.value = 0;
    say(form, working + "……");
    xhr.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) return;
      var pct = Math.round(100 * e.loaded / e.total);
      if (bar) bar.value = pct;
      say(form, pct < 100 || !done ? working + "：" + pct + "%（" + sizeText(e.loaded) + " / " + sizeText(e.total) + "）"
        : done);
    });
    xhr.addEventListener("load", function () {
      if (bar) bar.value = 100;
      if (onSwap) onSwap(xhr.status);
      if (!swapArticle(xhr.responseText)) {
        say(form, "未完成（服务器返回 " + xhr.status + "），请刷新页面后重试。", true);
        if (button) button.disabled = false;
      }
    });
    xhr.addEventListener("error", function () {
      say(form, "上传中断：网络连接失败，请检查网络后重新上传。", true);
      if (button) button.disabled = false;
    });
    xhr.send(data);
  }

  function uploadForm(form) {
    if (form.hasAttribute("data-enhanced")) return;
    form.setAttribute("data-enhanced", "");
    var input = form.querySelector('input[type="file"]');
    var bar = form.querySelector("[data-upload-progress] progress");
    var maxBytes = (+form.getAttribute("data-max-mb") || 0) * 1048576;
    if (!input || !form.querySelector("[data-drop-zone]")) return;

    function chosen() {
      var file = input.files && input.files[0];
      if (!file) return;
      if (bar) bar.value = 0;
      if (maxBytes && file.size > maxBytes) {
        say(form, "文件“" + file.name + "”大小 " + sizeText(file.size) + "，超过 " + sizeText(maxBytes) +
          " 的上限，请压缩或降低扫描分辨率后再上传。", true);
      } else {
        say(form, "已选择：" + file.name + "（" + sizeText(file.size) + "）");
      }
    }

    dropZone(form, function (files) {
      input.files = files;
      chosen();
    });
    input.addEventListener("change", chosen);

    form.addEventListener("submit", function (event) {
      if (!window.FormData || !window.XMLHttpRequest) return;  // the plain form posts
      var file = input.files && input.files[0];
      event.preventDefault();
      if (file && maxBytes && file.size > maxBytes) { chosen(); return; }
      send(form, new FormData(form), "正在上传", null, function (status) {
        // the confirmation replaces the page; the address no longer holds the empty form
        if (status === 200) history.replaceState(null, "", location.pathname + "?uploaded=1");
      });
    });
  }

  // -- the bulk scan page: many files, a preview, one confirmation -------------------------
  // Files chosen or dropped are kept here, sent once for the preview (dry_run=1) and again,
  // unchanged and in the same order, with the confirmation: the server keeps nothing between
  // the two. Without JavaScript the plain forms post and the preview asks for the files again.

  var held = [];

  function heldBytes() {
    return held.reduce(function (sum, file) { return sum + file.size; }, 0);
  }

  function showHeld(form) {
    var list = form.querySelector("[data-file-list]");
    if (!list) return;
    list.textContent = "";
    held.forEach(function (file, index) {
      var item = document.createElement("li");
      item.textContent = file.name + "（" + sizeText(file.size) + "） ";
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "md-button";
      remove.textContent = "移除";
      remove.setAttribute("aria-label", "移除 " + file.name);
      remove.addEventListener("click", function () {
        held.splice(index, 1);
        showHeld(form);
      });
      item.appendChild(remove);
      list.appendChild(item);
    });
  }

  function batchForm(form) {
    if (form.hasAttribute("data-enhanced")) return;
    form.setAttribute("data-enhanced", "");
    var input = form.querySelector('input[type="file"]');
    var maxBytes = (+form.getAttribute("data-max-mb") || 0) * 1048576;
    if (!input || !form.querySelector("[data-drop-zone]") || !window.FormData || !window.XMLHttpRequest) return;
    held = [];
    input.required = false;

    function add(files) {
      Array.prototype.forEach.call(files, function (file) { held.push(file); });
      showHeld(form);
      if (maxBytes && heldBytes() > maxBytes) {
        say(form, "合计 " + sizeText(heldBytes()) + "，超过 " + sizeText(maxBytes) + " 的上限，请分几批上传。", true);
      } else {
        say(form, "已选择 " + held.length + " 个文件，合计 " + sizeText(heldBytes()) + "。");
      }
    }

    dropZone(form, add);
    input.addEventListener("change", function () {
      add(input.files);
      input.value = "";
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!held.length) { say(form, "请先选择或拖入扫描件文件。", true); return; }
      if (maxBytes && heldBytes() > maxBytes) { add([]); return; }
      var data = new FormData();
      data.append("csrf", form.querySelector('input[name="csrf"]').value);
      data.append("dry_run", "1");
      held.forEach(function (file) { data.append("file", file, file.name); });
      send(form, data, "正在上传", "已上传，正在识别二维码（每页约 0.1 秒）……");
    });
  }

  function batchConfirmation(form) {
    if (form.hasAttribute("data-enhanced") || !held.length) return;  // without the files: the plain form
    form.setAttribute("data-enhanced", "");
    var resend = form.querySelector("[data-resend]");
    if (resend) resend.hidden = true;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var data = new FormData(form);
      data.delete("file");
      held.forEach(function (file) { data.append("file", file, file.name); });
      send(form, data, "正在存入", "已上传，正在存入……");
    });
  }

  // -- confirmation before what cannot be undone ----------------------------------------

  function confirmButtons(root) {
    root.querySelectorAll("button[data-confirm]").forEach(function (button) {
      if (button.dataset.confirmReady) return;
      button.dataset.confirmReady = "1";
      button.addEventListener("click", function (event) {
        if (!window.confirm(button.dataset.confirm)) event.preventDefault();
      });
    });
  }


  // -- lists of people: search, status filter, selection ------------------------------------

  // As service/content/text_forms.py: invisible and bidi control characters go, NFKC, then
  // lower case with spaces collapsed (as people_search.normalised).
  var INVISIBLE = /[\u200b-\u200d\u2060\ufeff\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c]/g;

  function normalised(text) {
    return String(text || "").replace(INVISIBLE, "").normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim();
  }

  function peopleFilter(form) {
    if (form.hasAttribute("data-enhanced")) return;
    var table = document.getElementById(form.getAttribute("data-people-filter"));
    if (!table || !table.tBodies.length) return;
    form.setAttribute("data-enhanced", "");
    var input = form.querySelector('input[name="q"]');
    var select = form.querySelector('select[name="status"]');
    var count = form.querySelector("[data-filter-count]");
    var submit = form.querySelector("[data-filter-submit]");
    if (submit) submit.hidden = true;  // the list follows the typing
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var keys = rows.map(function (row) { return normalised(row.getAttribute("data-search")); });

    function apply(remember) {
      var words = normalised(input ? input.value : "").split(" ").filter(Boolean);
      var status = select ? select.value : "";
      var shown = 0;
      rows.forEach(function (row, i) {
        var ok = words.every(function (word) { return keys[i].indexOf(word) >= 0; }) &&
          (!status || row.getAttribute("data-filter-status") === status);
        row.hidden = !ok;
        if (ok) shown += 1;
      });
      if (count) count.textContent = (words.length || status) ? "显示 " + shown + " / 共 " + rows.length + " 人" : "共 " + rows.length + " 人";
      table.dispatchEvent(new CustomEvent("portal:filtered"));
      if (remember && window.URLSearchParams) {  // a reload keeps the filter
        var params = new URLSearchParams(location.search);
        params.delete("notice");
        if (input) { if (input.value) params.set("q", input.value); else params.delete("q"); }
        if (select) { if (status) params.set("status", status); else params.delete("status"); }
        var query = params.toString();
        history.replaceState(null, "", location.pathname + (query ? "?" + query : "") + location.hash);
      }
    }

    form.addEventListener("submit", function (event) { event.preventDefault(); apply(true); });
    if (input) input.addEventListener("input", function () { apply(true); });
    if (select) select.addEventListener("change", function () { apply(true); });
    apply(false);
  }

  function bulkForm(form) {
    if (form.hasAttribute("data-bulk-ready")) return;
    form.setAttribute("data-bulk-ready", "");
    var all = form.querySelector("input[data-select-all]");
    var counter = form.querySelector("[data-selected-count]");
    var idle = counter ? counter.textContent : "";
    function boxes() { return Array.prototype.slice.call(form.querySelectorAll("input[data-pick]")); }
    function visible(box) { var row = box.closest("tr"); return !row || !row.hidden; }
    function update() {
      var picked = boxes().filter(function (box) { return box.checked; }).length;
      if (counter) counter.textContent = picked ? "已选 " + picked + " 人" : idle;
      if (all) {
        var shown = boxes().filter(visible);
        var on = shown.filter(function (box) { return box.checked; }).length;
        all.checked = shown.length > 0 && on === shown.length;
        all.indeterminate = on > 0 && on < shown.length;
      }
    }
    if (all) {
      all.addEventListener("change", function () {
        boxes().forEach(function (box) { if (visible(box)) box.checked = all.checked; });
        update();
      });
    }
    form.addEventListener("change", function (event) {
      if (event.target.matches && event.target.matches("input[data-pick]")) update();
    });
    form.querySelectorAll("table").forEach(function (table) {
      table.addEventListener("portal:filtered", function () {
        boxes().forEach(function (box) { if (!visible(box)) box.checked = false; });  // what is sent is what is seen
        update();
      });
    });
    update();
  }

  // -- forms that help ------------------------------------------------------------------------

  function pointsTotal(form) {
    var box = form.querySelector("[data-points-total]");
    var out = form.querySelector("[data-points-sum]");
    if (!box || !out || form.hasAttribute("data-points-ready")) return;
    form.setAttribute("data-points-ready", "");
    var budget = +box.getAttribute("data-budget");
    function sum() {
      var total = 0;
      form.querySelectorAll("input[data-points]").forEach(function (input) {
        var value = parseFloat(normalised(input.value));
        if (!isNaN(value)) total += value;
      });
      total = Math.round(total * 100) / 100;
      out.textContent = String(total);
      box.classList.toggle("off", total !== budget);
      box.classList.toggle("ok", total === budget);
    }
    form.addEventListener("input", sum);
    sum();
  }

  function addRows(form) {
    var body = form.querySelector("tbody[data-target-rows]");
    var button = form.querySelector("button[data-add-row]");
    var note = form.querySelector("[data-add-row-note]");
    if (!body || !button || button.dataset.addReady) return;
    button.dataset.addReady = "1";
    var most = +body.getAttribute("data-max-rows");
    function rows() { return body.querySelectorAll("tr[data-target-row]"); }
    function update() {
      var full = rows().length >= most;
      button.hidden = full;
      if (note) note.hidden = !full;
    }
    button.addEventListener("click", function () {
      var all = rows();
      if (!all.length || all.length >= most) return;
      var row = all[all.length - 1].cloneNode(true);
      var n = all.length + 1;
      row.querySelector("[data-row-number]").textContent = String(n);
      row.querySelectorAll("input, textarea").forEach(function (field) {
        var column = field.id.split("-")[1];
        field.id = "r" + n + "-" + column;
        field.value = "";
        var label = row.querySelector("label[for='" + "r" + (n - 1) + "-" + column + "']");
        if (label) {
          label.htmlFor = field.id;
          label.textContent = label.textContent.replace(/^第\d+行/, "第" + n + "行");
        }
      });
      body.appendChild(row);
      update();
      var first = row.querySelector("textarea, input");
      if (first) first.focus();
    });
    update();
  }

  function templateButtons(root) {
    root.querySelectorAll("button[data-fill-template]").forEach(function (button) {
      if (button.dataset.templateReady) return;
      button.dataset.templateReady = "1";
      button.hidden = false;
      button.addEventListener("click", function () {
        var area = document.getElementById(button.getAttribute("data-fill-template"));
        if (!area) return;
        if (area.value.trim() && !window.confirm("用岗位模板替换已填写的内容吗？")) return;
        area.value = button.getAttribute("data-template");
        area.focus();
      });
    });
  }

  // -- nothing lost when the session ended ------------------------------------------------------

  var KEPT = "portal.kept";
  var KEEP_MS = 86400000;

  function kept(value) {
    try {
      if (value === undefined) return JSON.parse(sessionStorage.getItem(KEPT) || "null");
      if (value === null) sessionStorage.removeItem(KEPT); else sessionStorage.setItem(KEPT, JSON.stringify(value));
    } catch (error) { return null; }  // storage refused (private mode): nothing kept
    return null;
  }

  function keepForms(root) {
    root.querySelectorAll("form[data-keep-form]").forEach(function (form) {
      if (form.dataset.keepReady) return;
      form.dataset.keepReady = "1";
      form.addEventListener("submit", function () {
        var fields = [];
        Array.prototype.forEach.call(form.elements, function (el) {
          if (!el.name || el.name === "csrf" || el.disabled || /^(password|file|submit|button|hidden)$/.test(el.type)) return;
          fields.push([el.name, el.value, el.checked]);
        });
        kept({ path: location.pathname + location.search, action: form.getAttribute("action") || "", fields: fields,
               at: Date.now() });
      });
    });
  }

  function restoreKept() {
    var found = kept();
    if (!found) return;
    if (Date.now() - found.at > KEEP_MS) { kept(null); return; }
    if (document.querySelector("[data-expired]")) {  // the login page: the form did not go through
      found.restore = true;
      kept(found);
      return;
    }
    kept(null);
    if (!found.restore || found.path !== location.pathname + location.search) return;
    var form = Array.prototype.slice.call(document.querySelectorAll("form[data-keep-form]")).filter(function (f) {
      return (f.getAttribute("action") || "") === found.action;
    })[0];
    if (!form) return;
    var byName = {};
    found.fields.forEach(function (field) { (byName[field[0]] = byName[field[0]] || []).push(field); });
    Array.prototype.forEach.call(form.elements, function (el) {
      var queue = byName[el.name];
      if (!queue || !queue.length || el.name === "csrf" || /^(password|file|submit|button|hidden)$/.test(el.type)) return;
      var field = queue.shift();
      if (el.type === "checkbox" || el.type === "radio") el.checked = !!field[2]; else el.value = field[1];
      el.dispatchEvent(new Event("input", { bubbles: true }));
    });
    var note = document.createElement("div");
    note.className = "admonition warning";
    note.setAttribute("role", "status");
    note.setAttribute("data-restored", "");
    note.innerHTML = '<p class="admonition-title">已恢复填写的内容</p><p></p>';
    note.lastChild.textContent = "登录过期前填写的内容已恢复到下面的表格中，尚未提交，请检查后重新提交。";
    form.parentNode.insertBefore(note, form);
  }

  // -- a department's forms as one PDF: "正在生成" while LibreOffice makes it, then the download --

  function printJob(link) {
    if (link.hasAttribute("data-print-bound") || !window.fetch || !window.URL) return;
    link.setAttribute("data-print-bound", "");
    var status = document.createElement("span");
    status.setAttribute("role", "status");
    status.setAttribute("data-print-status", "");
    link.parentNode.insertBefore(status, link.nextSibling);
    link.addEventListener("click", function (event) {
      event.preventDefault();
      if (link.getAttribute("aria-busy") === "true") return;
      link.setAttribute("aria-busy", "true");
      status.textContent = " 正在生成……（第一次约需一两分钟，请勿关闭页面）";
      fetch(link.href, { credentials: "same-origin" }).then(function (response) {
        if (!response.ok) {
          return response.json().then(function (body) { throw new Error(body.message || "生成失败"); },
                                      function () { throw new Error("生成失败（" + response.status + "）"); });
        }
        var disposition = response.headers.get("Content-Disposition") || "";
        var named = /filename\*=UTF-8''([^;]+)/.exec(disposition);
        return response.blob().then(function (blob) {
          var url = URL.createObjectURL(blob);
          var save = document.createElement("a");
          save.href = url;
          save.download = named ? decodeURIComponent(named[1]) : "print.pdf";
          document.body.appendChild(save);
          save.click();
          save.remove();
          setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
          status.textContent = " 已生成，可打印。";
        });
      }).catch(function (error) {
        status.textContent = " " + error.message;
      }).then(function () { link.removeAttribute("aria-busy"); });
    });
  }

  // -- start ------------------------------------------------------------------------------

  function enhance(root) {
    countdown(root);
    liveStatus(root);
    root.querySelectorAll("form[data-upload-form]").forEach(uploadForm);
    confirmButtons(root);
    root.querySelectorAll("form[data-scan-batch-form]").forEach(batchForm);
    root.querySelectorAll("form[data-scan-confirm-form]").forEach(batchConfirmation);
    root.querySelectorAll("form[data-people-filter]").forEach(peopleFilter);
    root.querySelectorAll("form[data-bulk-form]").forEach(bulkForm);
    root.querySelectorAll("form[data-targets-form]").forEach(pointsTotal);
    root.querySelectorAll("form[data-targets-form]").forEach(addRows);
    templateButtons(root);
    keepForms(root);
    root.querySelectorAll("a[data-print-job]").forEach(printJob);
  }

  function start() { enhance(document); restoreKept(); }  // each step is safe to repeat
  if (typeof document$ !== "undefined") { document$.subscribe(start); } else { start(); }
})();
