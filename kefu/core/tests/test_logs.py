import logging

from kefu.core.logs import JsonFormatter, MaskPersonalDataFilter, mask_personal_data


def test_mask_personal_data_masks_mobile_numbers():
    assert mask_personal_data("call 13812345678 now") == "call 138****5678 now"


def test_mask_personal_data_masks_id_numbers():
    assert mask_personal_data("id 11010519491231002X") == "id 110105********002X"


def test_mask_personal_data_leaves_other_numbers():
    assert mask_personal_data("unit 3-1-1202, 412 units") == "unit 3-1-1202, 412 units"


def test_log_records_are_masked_before_formatting():
    record = logging.LogRecord("kefu", logging.INFO, __file__, 1, "sms to %s", ("13912345678",), None)

    MaskPersonalDataFilter().filter(record)

    assert JsonFormatter().format(record).count("139****5678") == 1


def test_mask_personal_data_masks_mobiles_stored_with_the_country_code():
    assert mask_personal_data("to 8613812345678") == "to 86138****5678"
