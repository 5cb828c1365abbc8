// Every page: a <select data-autosubmit> submits its form when changed (the language switch, the scheme picker).
// A listener here rather than onchange="" attributes, which the Content-Security-Policy refuses.
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-autosubmit]");
  if (select && select.form) select.form.requestSubmit ? select.form.requestSubmit() : select.form.submit();
});
