// The dashboard's only script: copy buttons, and live numbers on pages that ask for them.
// Everything works without it (values can be selected by hand; pages can be reloaded).
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy]");
  if (!button) return;
  var source = document.getElementById(button.getAttribute("data-copy"));
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.textContent.trim()).then(function () {
    button.textContent = "Copied";
    setTimeout(function () { button.textContent = "Copy"; }, 1500);
  });
});

// <section data-live="/ui/.../progress.json">: each [data-field=NAME] shows that field of the JSON,
// a <progress data-field> takes it as its value; polling stops once "done" is true.
document.querySelectorAll("[data-live]").forEach(function (section) {
  function refresh() {
    fetch(section.getAttribute("data-live"), {credentials: "same-origin"}).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (data) {
      if (!data) return;
      section.querySelectorAll("[data-field]").forEach(function (el) {
        var value = data[el.getAttribute("data-field")];
        if (value === undefined) return;
        if (el.tagName === "PROGRESS") { el.max = data.total || 1; el.value = value; } else { el.textContent = value; }
      });
      if (!data.done) setTimeout(refresh, 1500);
    });
  }
  setTimeout(refresh, 1500);
});
