import pytest

from kefu.core.errors import InvalidInput
from kefu.customers.identity import mask_id_number, mask_mobile, normalise_mobile, validate_id_number


@pytest.mark.parametrize(
    "raw", ["13812345678", "138 1234 5678", "138-1234-5678", "+86 138 1234 5678", "008613812345678"]
)
def test_normalise_mobile_accepts_the_ways_people_write_a_mainland_mobile(raw):
    assert normalise_mobile(raw) == "8613812345678"


@pytest.mark.parametrize("raw", ["12812345678", "1381234567", "138123456789", "abc", ""])
def test_normalise_mobile_rejects_what_is_not_a_mainland_mobile(raw):
    with pytest.raises(InvalidInput) as caught:
        normalise_mobile(raw)

    assert caught.value.field == "mobile"


def test_normalise_mobile_accepts_another_country_with_its_code():
    assert normalise_mobile("+852 9123 4567") == "85291234567"


def test_mask_mobile_keeps_first_three_and_last_four():
    assert mask_mobile("8613812345678") == "138****5678"


def test_validate_id_number_accepts_a_valid_number_with_lower_case_x():
    assert validate_id_number("11010519491231002x") == "11010519491231002X"


def test_validate_id_number_rejects_a_wrong_check_digit():
    with pytest.raises(InvalidInput) as caught:
        validate_id_number("110105194912310021")

    assert caught.value.field == "id_number"


def test_validate_id_number_rejects_an_impossible_birth_date():
    with pytest.raises(InvalidInput):
        validate_id_number("110105194902300021")


def test_mask_id_number_shows_three_and_four():
    assert mask_id_number("11010519491231002X") == "110***********002X"
