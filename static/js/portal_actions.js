// Patient portal buttons: print the schedule, copy the calendar link. All code lives here, so
// the CSP needs no inline script.
(function () {
  document.querySelectorAll("[data-print]").forEach((button) => {
    button.addEventListener("click", () => window.print());
  });
  document.querySelectorAll("[data-copy]").forEach((button) => {
    button.addEventListener("click", async () => {
      const field = document.querySelector(button.dataset.copy);
      const status = document.querySelector("[data-copy-status]");
      if (!field) return;
      field.select();
      let copied = false;
      try {
        await navigator.clipboard.writeText(field.value);
        copied = true;
      } catch (error) {
        copied = document.execCommand && document.execCommand("copy");
      }
      if (status) {
        // The words come from the page, in the patient's language (calendar.html).
        status.textContent = copied
          ? status.dataset.copied || "Copied."
          : status.dataset.copyFailed || "Select the link and copy it.";
      }
    });
  });
})();
