// The little the pages need beyond htmx: open a dialog for one deal, close dialogs, dismiss alerts.
document.addEventListener("click", (event) => {
  const opener = event.target.closest("[data-open]");
  if (opener) {
    const dialog = document.getElementById(opener.dataset.open);
    const form = dialog.querySelector("form[data-deal-form]");
    if (form && opener.dataset.deal) {
      const action = `/deals/${opener.dataset.deal}/${form.dataset.dealForm}`;
      form.setAttribute("action", action);
      form.setAttribute("hx-post", action);
      if (window.htmx) window.htmx.process(form);
      dialog.querySelectorAll("[data-deal-name]").forEach((el) => { el.textContent = opener.dataset.name || ""; });
    }
    dialog.showModal();
    return;
  }
  const closer = event.target.closest("[data-close]");
  if (closer) { closer.closest("dialog").close(); return; }
  const dismiss = event.target.closest("[data-dismiss]");
  if (dismiss) dismiss.closest(".alert").remove();
});

// A dialog's form that htmx submitted closes its dialog once the answer is in.
document.addEventListener("htmx:afterRequest", (event) => {
  const dialog = event.target.closest && event.target.closest("dialog");
  if (dialog && event.detail.successful) dialog.close();
});
