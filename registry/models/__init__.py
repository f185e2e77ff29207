"""Registry records: patients and their enrolment, portal invitations, pharmacies."""

from registry.models.compliance import PregnancyTest
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
    "Patient",
    "Pharmacist",
    "Pharmacy",
    "PharmacyCertification",
    "PortalInvitation",
    "PregnancyTest",
    "PriorTreatment",
]
