// The bulk scan page (service page /board/<部门>/scans): files chosen or dropped are kept here,
// sent once for the preview (dry_run=1) and again, unchanged and in the same order, with the
// confirmation, so the server keeps nothing between the two. Without JavaScript the plain
// forms post and the preview asks for the files again.
(function () {
  "use strict";
  var held = [];

  function sizeText(bytes) {
    if (bytes < 1024) return bytes + " 字节";
    if (bytes < 1048576) return (bytes / 1024).toFixed(1) + " KB";
    return (bytes / 1048576).toFixed(1) + " MB";
  }

  function total() {
    return held.reduce(function (sum, file) { return sum + file.size; }, 0);
  }

  function showFiles(form) {
    var list = form.querySelector("[data-file-list]");
    if (!list) return;
    list.textContent = "";
    held.forEach(function (file, index) {
      var item = document.createElement("li");
      item.textContent = file.name + "（" + sizeText(file.size) + "）";
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "md-button";
      remove.textContent = "移除";
      remove.addEventListener("click", function () {
        held.splice(index, 1);
        showFiles(form);
      });
      item.appendChild(document.createTextNode(" "));
      item.appendChild(remove);
      list.appendChild(item);
    });
  }

  function say(form, text, failed) {
    var box = form.querySelector("[data-upload-progress]");
    var status = form.querySelector("[data-upload-status]");
    if (!box || !status) return;
    box.hidden = false;
    status.textContent = text;
    box.classList.toggle("failed", !!failed);
  }

  function swap(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.querySelector("article.md-content__inner");
    var article = document.querySelector("article.md-content__inner");
    if (!fresh || !article) return false;
    article.innerHTML = fresh.innerHTML;
    if (doc.title) document.title = doc.title;
    bind(article);
    window.scrollTo(0, 0);
    var focus = article.querySelector('[role="alert"], [role="status"], h1');
    if (focus) {
      focus.setAttribute("tabindex", "-1");
      focus.focus({ preventScroll: true });
    }
    return true;
  }

  function send(form, data, working) {
    var button = form.querySelector('button[type="submit"]');
    var bar = form.querySelector("[data-upload-progress] progress");
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "text/html");
    if (button) button.disabled = true;
    say(form, working);
    xhr.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) return;
      var pct = Math.round(100 * e.loaded / e.total);
      if (bar) bar.value = pct;
      say(form, pct < 100 ? working + pct + "%" : "已上传，正在识别二维码……（每页约 0.1 秒）");
    });
    xhr.addEventListener("load", function () {
      if (!swap(xhr.responseText)) {
        say(form, "未完成（服务器返回 " + xhr.status + "），请刷新页面后重试。", true);
        if (button) button.disabled = false;
      }
    });
    xhr.addEventListener("error", function () {
      say(form, "上传中断：网络连接失败，请检查网络后重试。", true);
      if (button) button.disabled = false;
    });
    xhr.send(data);
  }

  function chooser(form) {
    if (form.hasAttribute("data-enhanced")) return;
    form.setAttribute("data-enhanced", "");
    var input = form.querySelector('input[type="file"]');
    var zone = form.querySelector("[data-drop-zone]");
    var hint = form.querySelector("[data-drop-hint]");
    var maxBytes = (+form.getAttribute("data-max-mb") || 0) * 1048576;
    if (!input || !zone || !window.FormData || !window.XMLHttpRequest) return;
    held = [];
    input.required = false;
    if (hint) hint.hidden = false;
    zone.classList.add("drop-ready");
    function add(files) {
      Array.prototype.forEach.call(files, function (file) { held.push(file); });
      showFiles(form);
      if (maxBytes && total() > maxBytes) {
        say(form, "合计 " + sizeText(total()) + "，超过 " + sizeText(maxBytes) + " 的上限，请分几批上传。", true);
      } else {
        say(form, "已选择 " + held.length + " 个文件，合计 " + sizeText(total()) + "。");
      }
    }
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
      if (event.dataTransfer && event.dataTransfer.files.length) add(event.dataTransfer.files);
    });
    input.addEventListener("change", function () {
      add(input.files);
      input.value = "";
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!held.length) { say(form, "请先选择或拖入扫描件文件。", true); return; }
      if (maxBytes && total() > maxBytes) { add([]); return; }
      var data = new FormData();
      data.append("csrf", form.querySelector('input[name="csrf"]').value);
      data.append("dry_run", "1");
      held.forEach(function (file) { data.append("file", file, file.name); });
      send(form, data, "正在上传：");
    });
  }

  function confirmer(form) {
    if (form.hasAttribute("data-enhanced") || !held.length) return;  // without the files: the plain form
    form.setAttribute("data-enhanced", "");
    var resend = form.querySelector("[data-resend]");
    if (resend) resend.hidden = true;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var data = new FormData(form);
      data.delete("file");
      held.forEach(function (file) { data.append("file", file, file.name); });
      send(form, data, "正在存入：");
    });
  }

  function bind(root) {
    root.querySelectorAll("form[data-scan-batch-form]").forEach(chooser);
    root.querySelectorAll("form[data-scan-confirm-form]").forEach(confirmer);
  }

  bind(document);
})();
