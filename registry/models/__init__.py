"""Registry records: patients and their enrolment, portal invitations, pharmacies, and the
log of who looked at a patient's record."""

from registry.models.access import RecordAccess
from registry.models.compliance import MonthlyConfirmation, PregnancyTest
from registry.models.consents import ChannelConsent
from registry.models.guardians import Guardian
from registry.models.imports import ImportBatch, ImportedPatient
from registry.models.invitations import PortalInvitation
from registry.models.patients import Patient, PriorTreatment
from registry.models.pharmacies import (
    CertificationChange,
    Pharmacist,
    Pharmacy,
    PharmacyCertification,
)

__all__ = [
    "CertificationChange",
    "ChannelConsent",
    "Guardian",
    "ImportBatch",
    "ImportedPatient",
    "MonthlyConfirmation",
    "Patient",
    "Pharmacist",
    "Pharmacy",
    "PharmacyCertification",
    "PortalInvitation",
    "PregnancyTest",
    "PriorTreatment",
    "RecordAccess",
]
