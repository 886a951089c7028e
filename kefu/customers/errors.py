from django.utils.translation import gettext_lazy as _

from kefu.core.errors import Conflict, InvalidInput, NotFound


class IdNumberNeedsConsent(InvalidInput):
    code = "id_number_needs_consent"
    default_message = _("An ID number is stored only with the customer's separate consent. Record how they agreed.")


class ContactTaken(Conflict):
    code = "contact_taken"
    default_message = _("This customer already has %(value)s.")


class HouseholdExists(Conflict):
    code = "household_exists"
    default_message = _("%(customer)s is already linked to unit %(unit)s.")


class HouseholdDatesOutOfOrder(InvalidInput):
    code = "household_dates_out_of_order"
    default_message = _("%(later)s cannot be before %(earlier)s.")


class UnitOutsideScope(InvalidInput):
    code = "unit_outside_scope"
    default_message = _("Unit %(unit)s is not in your organisation.")


class CustomerMerged(Conflict):
    code = "customer_merged"
    default_message = _("%(name)s has been merged into another customer and can no longer be changed.")


class CustomerAnonymised(Conflict):
    code = "customer_anonymised"
    default_message = _("This customer's personal data has been erased; the record can no longer be changed.")


# Duplicates and merge


class MergeWithItself(InvalidInput):
    code = "merge_with_itself"
    default_message = _("A customer cannot be merged with itself: choose another customer.")


# Grade rules and tags


class ScoreOutOfRange(InvalidInput):
    code = "score_out_of_range"
    default_message = _("Enter a score from 0 to 100.")


class TagNameInvalid(InvalidInput):
    code = "tag_name_invalid"
    default_message = _("Enter a tag name of at most %(max)s characters.")


class TagNameTaken(Conflict):
    code = "tag_name_taken"
    default_message = _("There is already a tag called %(name)s.")


# Personal-data rights: reveal, erase


class NothingToReveal(NotFound):
    code = "nothing_to_reveal"
    default_message = _("This customer has no ID number on record.")


class ErasureReasonMissing(InvalidInput):
    code = "erasure_reason_missing"
    default_message = _("Say why the data is erased, e.g. the customer's written request and its date.")


class NotACompany(InvalidInput):
    code = "not_a_company"
    default_message = _("Contact people belong to company customers; add a contact method to a person instead.")
