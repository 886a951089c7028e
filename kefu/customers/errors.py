from django.utils.translation import gettext_lazy as _

from kefu.core.errors import Conflict, InvalidInput


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
