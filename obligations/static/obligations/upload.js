// How much of a document htmx has sent: htmx fires htmx:xhr:progress on the form while the body uploads,
// and the form's <progress> (shown by .htmx-request, obligations/duties.css) takes the share sent. A file
// under the strict CSP (no inline script, no hx-on); without it the bar stays indeterminate, and without
// JavaScript at all the form posts as a plain one.
document.addEventListener("htmx:xhr:progress", (event) => {
  const bar = event.target.querySelector && event.target.querySelector(".evidence-form__progress");
  if (bar && event.detail.lengthComputable && event.detail.total > 0) {
    bar.value = Math.round((100 * event.detail.loaded) / event.detail.total);
  }
});
