from django.utils.translation import gettext_lazy as _

from kefu.core.errors import Conflict, InvalidInput


class NoWorkingTime(InvalidInput):
    code = "no_working_time"
    default_message = _("The business calendar has no working time in the next two years; check its working hours.")


class CalendarExists(Conflict):
    code = "calendar_exists"
    default_message = _("%(unit)s already has a business calendar.")


class NoPublishedSchedule(InvalidInput):
    code = "no_published_schedule"
    default_message = _("The built-in holiday schedule has no data for %(year)s yet; enter that year's days by hand.")


class InvalidDuration(InvalidInput):
    code = "invalid_duration"
    default_message = _("The time must be longer than zero.")
