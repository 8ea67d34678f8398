// Progress of background jobs: poll /jobs/<id> until the job ends, then reload the page
// (its results are rendered by the server).
(function () {
  "use strict";
  function follow(section) {
    var url = section.getAttribute("data-job-url");
    var bar = section.querySelector(".job-progress");
    var status = section.querySelector(".job-status");
    var message = section.querySelector(".job-message");
    var error = section.querySelector(".job-error");
    var errorText = section.querySelector(".job-error-text");
    function tick() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          return response.json();
        })
        .then(function (job) {
          bar.value = Math.round(job.progress * 100);
          bar.textContent = bar.value + "\u00a0%";
          status.textContent = job.status_label;
          // The page's own state (« État : en attente ») follows the job.
          document.querySelectorAll("[data-state-labels]").forEach(function (element) {
            var labels = JSON.parse(element.getAttribute("data-state-labels"));
            if (labels[job.status]) { element.textContent = labels[job.status]; }
          });
          message.textContent = job.message || "";
          if (job.error) { errorText.textContent = job.error; error.hidden = false; }
          if (job.finished) { window.location.reload(); } else { window.setTimeout(tick, 1000); }
        })
        .catch(function () { window.setTimeout(tick, 3000); });
    }
    window.setTimeout(tick, 500);
  }
  document.querySelectorAll("section.job[data-finished='false']").forEach(follow);
})();
