// Small behaviours for the staff pages. No inline scripts: the CSP allows only files from /static/.
(function () {
  "use strict";

  // ECharts: any element with data-chart="<id of a json_script>" becomes a chart.
  function initCharts(root) {
    if (!window.echarts) return;
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      var source = document.getElementById(el.dataset.chart);
      if (!source || el.dataset.chartReady) return;
      var chart = window.echarts.init(el);
      chart.setOption(JSON.parse(source.textContent));
      el.dataset.chartReady = "1";
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  function disposeCharts(root) {
    if (!window.echarts) return;
    root.querySelectorAll("[data-chart-ready]").forEach(function (el) {
      var chart = window.echarts.getInstanceByDom(el);
      if (chart) chart.dispose();
    });
  }

  // Forms with data-confirm ask before submitting (disable a user, deactivate a unit).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });

  // Filter forms with data-autosubmit submit when a select changes.
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.tagName === "SELECT" && el.form && el.form.dataset.autosubmit !== undefined) {
      el.form.requestSubmit();
    }
  });

  document.addEventListener("DOMContentLoaded", function () { initCharts(document); });
  document.addEventListener("htmx:beforeSwap", function (event) { disposeCharts(event.detail.target); });
  document.addEventListener("htmx:afterSettle", function (event) { initCharts(event.detail.target); });
})();
