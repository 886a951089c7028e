import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from kefu.accounts.passwords import CharacterClassValidator


def test_password_validators_reject_password123():
    with pytest.raises(ValidationError):
        validate_password("password123")


def test_password_validators_accept_a_long_mixed_password():
    assert validate_password("Kefu-test-2026!") is None


def test_character_class_validator_rejects_two_classes():
    with pytest.raises(ValidationError) as caught:
        CharacterClassValidator().validate("lowercaseonly2026")

    assert caught.value.code == "password_too_simple"


def test_character_class_validator_accepts_three_classes():
    assert CharacterClassValidator().validate("lowercase2026!") is None
