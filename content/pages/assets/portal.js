// Live countdown on the home page's deadline cards (dates are in data-deadline, China time).
(function () {
  function render() {
    var now = new Date();
    document.querySelectorAll("[data-deadline]").forEach(function (card) {
      var end = new Date(card.getAttribute("data-deadline") + "T23:59:59+08:00");
      var out = card.querySelector(".deadline-countdown");
      var days = Math.ceil((end - now) / 86400000);
      card.classList.toggle("passed", days < 0);
      card.classList.toggle("soon", days >= 0 && days <= 3);
      if (out) out.textContent = days < 0 ? "已截止" : days === 0 ? "今天截止" : "还有 " + days + " 天";
    });
  }
  if (typeof document$ !== "undefined") { document$.subscribe(render); } else { render(); }
})();
