// The enrolment and edit form's guardian fieldset (staff/_guardian_fieldset.html): shown while
// the date of birth makes the patient under 18, or while anything is entered in it; hidden for
// an adult with no guardian. Only a convenience: the server applies the rule (registry/
// guardianship.py) whether or not this runs, and without JavaScript the fieldset always shows.
// A file, not an inline script: the CSP allows scripts from 'self' only.
"use strict";
{
  const fieldset = document.getElementById("guardian-fieldset");
  const born = document.getElementById("id_date_of_birth");

  // Completed years on today's date, as registry.models.patients.age_on counts them.
  function ageOn(birth, day) {
    const before =
      day.getMonth() < birth.getMonth() ||
      (day.getMonth() === birth.getMonth() && day.getDate() < birth.getDate());
    return day.getFullYear() - birth.getFullYear() - (before ? 1 : 0);
  }

  function anythingEntered() {
    for (const input of fieldset.querySelectorAll("input, select")) {
      if (input.type === "checkbox" ? input.checked : input.value.trim() !== "") {
        return true;
      }
    }
    return false;
  }

  function update() {
    const value = born.value; // "YYYY-MM-DD" or "" while incomplete
    const parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
    let adult = false;
    if (parts) {
      const birth = new Date(Number(parts[1]), Number(parts[2]) - 1, Number(parts[3]));
      adult = ageOn(birth, new Date()) >= Number(fieldset.dataset.adultAge);
    }
    // An unknown date of birth shows the fieldset: better asked than missed.
    fieldset.hidden = adult && !anythingEntered() && !fieldset.querySelector(".is-invalid");
  }

  if (fieldset && born) {
    born.addEventListener("input", update);
    born.addEventListener("change", update);
    update();
  }
}
