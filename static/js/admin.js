// The admin site's accessible names that Django's own markup leaves out (axe-core findings,
// docs/SECURITY.md "The admin site under the CSP"). Loaded from a file, so the CSP's
// script-src 'self' allows it; templates/admin/base_site.html includes it with defer, which
// runs its "load" listener after those of the admin's widget scripts (they are not deferred).
"use strict";
{
  // A date-and-time pair (AdminSplitDateTime): "Date:" and "Time:" are plain text and the
  // field's <label> names neither input (its widget template is the form renderer's, which
  // templates/ cannot override). Each input is named "<field> <word>": "Last login date".
  function nameDateTimePairs() {
    for (const input of document.querySelectorAll("p.datetime input:not([aria-label])")) {
      const before = input.previousSibling;
      const word = before && before.nodeType === Node.TEXT_NODE ? before.textContent : "";
      const row = input.closest(".flex-container");
      const label = row ? row.querySelector(":scope > label") : null;
      const field = label ? label.textContent : "";
      const name = `${field} ${word}`.replace(/:/g, "").replace(/\s+/g, " ").trim();
      if (name) {
        input.setAttribute("aria-label", name);
      }
    }
  }

  // filter_horizontal: SelectFilter2.js puts aria-label on a <span> icon without a role, which
  // ARIA forbids (aria-prohibited-attr); as an image the icon may carry that name.
  function nameFilterIcons() {
    for (const icon of document.querySelectorAll(".search-label-icon[aria-label]:not([role])")) {
      icon.setAttribute("role", "img");
    }
  }

  window.addEventListener("load", () => {
    nameDateTimePairs();
    nameFilterIcons();
  });
}
