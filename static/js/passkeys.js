// The two-factor page: after a passkey is added, show it in the list (django-otp-webauthn's
// script announces the new passkey with this event on its button).
document.addEventListener("otp_webauthn.register_complete", () => {
  window.location.reload();
});
