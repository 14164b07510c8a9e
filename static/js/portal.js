// The portal's one script of its own (served by the app; the CSP allows no inline script).
// On a phone the sections' row scrolls sideways: bring the current section into view.
document.addEventListener("DOMContentLoaded", () => {
  const current = document.querySelector(".mainnav [aria-current=page]");
  const nav = current && current.closest(".mainnav");
  if (nav && nav.scrollWidth > nav.clientWidth) {
    nav.scrollLeft = current.offsetLeft - (nav.clientWidth - current.offsetWidth) / 2;
  }
});
