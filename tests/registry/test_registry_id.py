import random

from hypothesis import given
from hypothesis import strategies as st

from registry.registry_id import (
    ALPHABET,
    BODY_LENGTH,
    check_character,
    format_id,
    is_valid,
    new_registry_id,
    normalize,
)

bodies = st.text(alphabet=ALPHABET, min_size=BODY_LENGTH, max_size=BODY_LENGTH)


def test_a_new_id_is_valid_and_formatted():
    registry_id = new_registry_id()
    assert len(registry_id) == 11
    assert registry_id[4] == "-"
    assert registry_id[9] == "-"
    assert is_valid(registry_id)


@given(bodies, st.integers(min_value=0, max_value=BODY_LENGTH), st.sampled_from(ALPHABET))
def test_it_catches_every_single_mistyped_character(body, position, typo):
    compact = body + check_character(body)
    if compact[position] == typo:
        return
    mistyped = compact[:position] + typo + compact[position + 1 :]
    assert not is_valid(mistyped)


def test_it_catches_most_swaps_of_neighbouring_characters():
    rng = random.Random(7)
    caught = total = 0
    for _ in range(2000):
        body = "".join(rng.choice(ALPHABET) for _ in range(BODY_LENGTH))
        compact = body + check_character(body)
        i = rng.randrange(len(compact) - 1)
        if compact[i] == compact[i + 1]:
            continue
        swapped = compact[:i] + compact[i + 1] + compact[i] + compact[i + 2 :]
        total += 1
        caught += not is_valid(swapped)
    assert caught / total > 0.9


def test_it_reads_dashes_spaces_lower_case_and_look_alike_letters():
    body = "0123ABCD"
    canonical = format_id(body + check_character(body))
    spoken = canonical.lower().replace("0", "o").replace("1", "l").replace("-", " ")
    assert normalize(spoken) == normalize(canonical)
    assert is_valid(spoken)


def test_it_refuses_wrong_lengths_and_foreign_characters():
    assert not is_valid("")
    assert not is_valid("ABCD-EFGH")
    assert not is_valid("ABCD-EFGH-!!")
    assert not is_valid("UUUU-UUUU-U")  # U is not in the alphabet
