"""Code systems, codes and units of the FHIR export, written once (docs/INTEROP.md lists them).

Standard terminologies where one says what we recorded; our own URIs, under
settings.FHIR_SYSTEM_BASE, for our identifiers and for what no standard code says (the nodule
count, the flag kinds, a pregnancy test whose specimen we did not record).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"


def base() -> str:
    """Read per call, so a test (or a deployment) that overrides the setting is obeyed."""
    return settings.FHIR_SYSTEM_BASE


def registry_id_system() -> str:
    return f"{base()}/sid/registry-id"


def authorization_system() -> str:
    return f"{base()}/sid/dispense-authorization"


def prescription_system() -> str:
    return f"{base()}/sid/prescription"


def local_observation_system() -> str:
    return f"{base()}/CodeSystem/observation"


def flag_kind_system() -> str:
    return f"{base()}/CodeSystem/course-flag"


@dataclass(frozen=True)
class Measure:
    """A coded measurement: LOINC code and display, the UCUM unit, the observation category."""

    code: str
    display: str
    unit: str
    category: str = "laboratory"


WEIGHT = Measure("29463-7", "Body weight", "kg", "vital-signs")
# The visit records lipids in the unit the lab reported (LipidUnit); each unit has its own
# LOINC code, so the value is exported as measured, never converted.
LIPIDS = {
    "triglycerides": {
        "mg/dL": Measure("2571-8", "Triglyceride [Mass/volume] in Serum or Plasma", "mg/dL"),
        "mmol/L": Measure("14927-8", "Triglyceride [Moles/volume] in Serum or Plasma", "mmol/L"),
    },
    "total_cholesterol": {
        "mg/dL": Measure("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "mg/dL"),
        "mmol/L": Measure("14647-2", "Cholesterol [Moles/volume] in Serum or Plasma", "mmol/L"),
    },
}
LIVER = {
    "alt": Measure(
        "1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma", "U/L"
    ),
    "ast": Measure(
        "1920-8",
        "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
        "U/L",
    ),
}
PHQ2_TOTAL = ("55758-7", "Patient Health Questionnaire 2 item (PHQ-2) total score [Reported]")
PHQ2_INTEREST = ("44250-9", "Little interest or pleasure in doing things")
PHQ2_MOOD = ("44255-8", "Feeling down, depressed, or hopeless")
# No LOINC code counts inflammatory acne nodules: ours, under FHIR_SYSTEM_BASE.
NODULE_COUNT = ("nodule-count", "Total inflammatory nodule count")
# A home test is a urine test. A "medical setting" test may be urine or serum, and the
# registry does not record which, so a LOINC code (each names its specimen) would claim what
# we do not know: those carry our own code, with the text saying so.
HCG_URINE = ("2106-3", "Choriogonadotropin (pregnancy test) [Presence] in Urine")
HCG_UNRECORDED_SPECIMEN = (
    "hcg-presence-specimen-not-recorded",
    "Choriogonadotropin (pregnancy test) [Presence], specimen not recorded",
)
TEST_RESULT = {"negative": ("260385009", "Negative"), "positive": ("10828004", "Positive")}

ACNE = ("11381005", "Acne vulgaris")
ISOTRETINOIN = ("6064", "isotretinoin")
ORAL_ROUTE = ("26643006", "Oral route")
CONSENT_CATEGORY = ("59284-0", "Patient Consent")

# Our sex choices -> FHIR administrative gender (intersex has no code of its own there).
GENDER = {"female": "female", "male": "male", "intersex": "other", "undisclosed": "unknown"}
