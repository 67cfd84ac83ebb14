import pytest

from dealflow_libs.secretbox import SecretBox, SecretBoxError, new_key_spec
from dealflow_libs.settings import CommonSettings


def test_sealed_value_opens_and_hides_the_plaintext() -> None:
    box = SecretBox.from_spec(new_key_spec("k1"))
    sealed = box.seal("whsec_abc", context="t1/calcom")
    assert "whsec_abc" not in sealed
    assert sealed.startswith("v1:k1:")
    assert box.open(sealed, context="t1/calcom") == "whsec_abc"


def test_each_seal_uses_a_fresh_nonce() -> None:
    box = SecretBox.from_spec(new_key_spec("k1"))
    assert box.seal("same", context="c") != box.seal("same", context="c")


def test_a_value_moved_to_another_context_does_not_open() -> None:
    box = SecretBox.from_spec(new_key_spec("k1"))
    sealed = box.seal("whsec_abc", context="tenant-a/calcom")
    with pytest.raises(SecretBoxError, match="does not open"):
        box.open(sealed, context="tenant-b/calcom")


def test_rotation_new_key_seals_old_key_still_opens_until_resealed() -> None:
    old_spec, new_spec = new_key_spec("old"), new_key_spec("new")
    before = SecretBox.from_spec(old_spec).seal("s3cret", context="c")
    ring = SecretBox.from_spec(f"{new_spec},{old_spec}")
    assert ring.open(before, context="c") == "s3cret"
    assert not ring.is_current(before)
    [resealed] = ring.reseal_all([before], context="c")
    assert resealed.startswith("v1:new:")
    only_new = SecretBox.from_spec(new_spec)
    assert only_new.open(resealed, context="c") == "s3cret"
    with pytest.raises(SecretBoxError, match="not in the key ring"):
        only_new.open(before, context="c")


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("", "empty"),
        ("nokey", "'<id>:<base64url key>'"),
        ("k1:c2hvcnQ", "32 bytes"),
        ("k1:!!!!", "base64url"),
    ],
)
def test_bad_key_rings_are_refused_with_a_reason(spec: str, problem: str) -> None:
    with pytest.raises(SecretBoxError, match=problem):
        SecretBox.from_spec(spec)


def test_duplicate_key_ids_are_refused() -> None:
    spec = new_key_spec("k1")
    with pytest.raises(SecretBoxError, match="twice"):
        SecretBox.from_spec(f"{spec},{new_key_spec('k1')}")


def test_tampered_value_does_not_open() -> None:
    box = SecretBox.from_spec(new_key_spec("k1"))
    sealed = box.seal("s3cret", context="c")
    tampered = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(SecretBoxError):
        box.open(tampered, context="c")


def test_settings_without_keys_say_what_to_set() -> None:
    with pytest.raises(SecretBoxError, match="DEALFLOW_SECRET_KEYS"):
        CommonSettings(secret_keys=None).secret_box()


def test_key_ring_never_appears_in_settings_repr() -> None:
    spec = new_key_spec("k1")
    settings = CommonSettings(secret_keys=spec)
    assert spec.split(":")[1] not in repr(settings)
