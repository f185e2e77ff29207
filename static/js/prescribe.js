// Prescribing page: a suggested-dose button fills the dose field and asks for the live check.
// Loaded as a file (the Content Security Policy allows no inline script).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-dose]");
  if (!button) return;
  const input = document.getElementById("id_mg_per_dose");
  input.value = button.dataset.dose;
  const twice = document.querySelector("input[name=doses_per_day][value='2']");
  if (twice) twice.checked = true;
  input.focus();
  document.body.dispatchEvent(new Event("dose-picked"));
});
