// Editor autocomplete of the declaration forms: fills the shared <datalist> from the
// referential as the user types (free text stays allowed). Works without JavaScript too.
(function () {
  "use strict";
  var form = document.querySelector("form[data-editors-url]");
  var list = document.getElementById("editeurs");
  if (!form || !list) { return; }
  var url = form.getAttribute("data-editors-url");
  var timer = null;
  var last = null;

  function fill(names) {
    list.textContent = "";
    names.forEach(function (name) {
      var option = document.createElement("option");
      option.value = name;
      list.appendChild(option);
    });
  }

  function lookup(text) {
    if (text === last) { return; }
    last = text;
    fetch(url + "?q=" + encodeURIComponent(text), {
      headers: { "Accept": "application/json" },
      credentials: "same-origin"
    })
      .then(function (response) { return response.ok ? response.json() : { editeurs: [] }; })
      .then(function (data) { fill(data.editeurs || []); })
      .catch(function () { /* autocomplete is a convenience: typing still works */ });
  }

  ["editor", "sons_editor"].forEach(function (id) {
    var input = document.getElementById(id);
    if (!input) { return; }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { lookup(input.value.trim()); }, 200);
    });
    input.addEventListener("focus", function () { lookup(input.value.trim()); });
  });
}());
