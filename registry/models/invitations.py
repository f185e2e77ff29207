"""One-time links that let a patient set the password of their portal account."""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

INVITATION_LIFETIME = datetime.timedelta(hours=72)


def hash_token(token: str) -> str:
    # Only the hash is stored: a copy of the database does not hand out working links.
    return hashlib.sha256(token.encode()).hexdigest()


class PortalInvitationQuerySet(models.QuerySet):
    def usable(self, now=None):
        now = now or timezone.now()
        return self.filter(used_at=None, revoked_at=None, expires_at__gt=now)


class PortalInvitation(models.Model):
    """An emailed link: expires after 72 hours, works once, and a re-send revokes it."""

    patient = models.ForeignKey(
        "registry.Patient", on_delete=models.PROTECT, related_name="invitations"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    sent_to = models.EmailField()
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = PortalInvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Invitation for {self.patient_id} sent {self.created_at:%Y-%m-%d %H:%M}"

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)

    @property
    def state(self) -> str:
        if self.used_at:
            return "used"
        if self.revoked_at:
            return "replaced by a newer link"
        if self.expires_at <= timezone.now():
            return "expired"
        return "waiting"
