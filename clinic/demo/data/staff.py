"""Staff accounts and pharmacies (small numbers, created once and reused by --append)."""

from __future__ import annotations

import datetime

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.utils import timezone

from clinic.accounts.roles import Role
from clinic.demo.data.names import (
    FEMALE_NAMES,
    LAST_NAMES,
    MALE_NAMES,
    PHARMACY_WORDS,
    STREETS,
    TOWNS,
)
from registry.models import CertificationChange, Pharmacist, Pharmacy, PharmacyCertification

PRESCRIBERS = 24
NURSES = 16
ADMINS = 2
PHARMACISTS = 20
Status = PharmacyCertification.Status


def ensure_users(rng, prefix: str, role: Role, count: int) -> list[int]:
    """`count` demo accounts of a role (existing ones reused); returns their ids in order."""
    names = [f"demo-{prefix}-{i + 1:02d}" for i in range(count)]
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    unusable = make_password(None)  # fake people: nobody logs in as them
    firsts = FEMALE_NAMES + MALE_NAMES
    new = [
        User(
            username=name,
            first_name=rng.choice(firsts),
            last_name=rng.choice(LAST_NAMES),
            email=f"{name}@clinic.example.org",
            password=unusable,
        )
        for name in names
        if name not in existing
    ]
    User.objects.bulk_create(new)
    users = list(User.objects.filter(username__in=names).order_by("username"))
    Group.objects.get(name=role.value).user_set.add(*users)
    return [user.pk for user in users]


def ensure_pharmacies(rng, count: int, admin_id: int, today: datetime.date) -> list[int]:
    """Demo pharmacies in every certification state, with their change log; returns the ids
    of those that may dispense today."""
    have = Pharmacy.objects.filter(registration_number__startswith="DEMO-").count()
    tz = timezone.get_default_timezone()
    for n in range(have, count):
        word = PHARMACY_WORDS[n % len(PHARMACY_WORDS)]
        town = TOWNS[(n // len(PHARMACY_WORDS)) % len(TOWNS)]
        pharmacy = Pharmacy.objects.create(
            name=f"{word} Pharmacy {town} {n + 1}",
            address=f"{rng.randrange(1, 200)} {rng.choice(STREETS)}\n{town}",
            phone=f"01632 {rng.randrange(100000, 999999)}",
            registration_number=f"DEMO-{n + 1:05d}",
            responsible_pharmacist=f"{rng.choice(FEMALE_NAMES)} {rng.choice(LAST_NAMES)}",
        )
        # n % 10: 0-5 certified, 6 certified but lapsed, 7 pending, 8 suspended, 9 revoked
        kind = n % 10
        start = today - datetime.timedelta(days=rng.randrange(30, 700))
        until = start + datetime.timedelta(days=365)
        if kind <= 5 and until < today:
            until = today + datetime.timedelta(days=rng.randrange(5, 360))
        if kind == 6:
            until = today - datetime.timedelta(days=rng.randrange(1, 60))
        final = {7: Status.PENDING, 8: Status.SUSPENDED, 9: Status.REVOKED}.get(kind)
        final = final or Status.CERTIFIED
        cert = PharmacyCertification.objects.create(
            pharmacy=pharmacy,
            number=f"DEMO-CERT-{n + 1:05d}",
            status=final,
            valid_from=None if final == Status.PENDING else start,
            valid_until=None if final == Status.PENDING else until,
        )
        if final == Status.PENDING:
            continue
        changes = [(Status.PENDING, Status.CERTIFIED, start, "Certified")]
        if final == Status.SUSPENDED:
            changes.append((Status.CERTIFIED, final, start + datetime.timedelta(days=40), "Audit"))
        elif final == Status.REVOKED:
            changes.append((Status.CERTIFIED, final, start + datetime.timedelta(days=20), "Breach"))
        CertificationChange.objects.bulk_create(
            CertificationChange(
                certification=cert,
                from_status=old,
                to_status=new,
                valid_from=start,
                valid_until=until,
                changed_by_id=admin_id,
                changed_at=datetime.datetime.combine(day, datetime.time(10), tzinfo=tz),
                reason=reason,
            )
            for old, new, day, reason in changes
        )
    active = Pharmacy.objects.filter(
        registration_number__startswith="DEMO-",
        certification__status=Status.CERTIFIED,
        certification__valid_from__lte=today,
        certification__valid_until__gte=today,
    ).order_by("pk")
    return list(active.values_list("pk", flat=True))


def ensure_pharmacists(rng, pharmacy_ids: list[int]) -> None:
    user_ids = ensure_users(rng, "pharmacist", Role.PHARMACIST, min(PHARMACISTS, len(pharmacy_ids)))
    linked = set(Pharmacist.objects.filter(user_id__in=user_ids).values_list("user_id", flat=True))
    Pharmacist.objects.bulk_create(
        Pharmacist(user_id=uid, pharmacy_id=pharmacy_ids[i % len(pharmacy_ids)])
        for i, uid in enumerate(user_ids)
        if uid not in linked
    )
