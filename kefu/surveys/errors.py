from django.utils.translation import gettext_lazy as _

from kefu.core.errors import Conflict, InvalidInput, NotFound


class SurveyExpired(Conflict):
    code = "survey_expired"
    default_message = _("This survey has closed; answers are no longer accepted.")


class SurveyAlreadySubmitted(Conflict):
    code = "survey_submitted"
    default_message = _("This survey has already been answered. Thank you.")


class SurveyNotOpen(NotFound):
    code = "survey_not_open"
    default_message = _("This survey is not open.")


class UnknownQuestion(InvalidInput):
    code = "unknown_question"
    default_message = _("Question %(code)s is not part of this survey.")


class InvalidAnswer(InvalidInput):
    code = "invalid_answer"


class MissingAnswer(InvalidInput):
    code = "missing_answer"
    default_message = _("Please answer %(code)s %(text)s.")


class BuiltinLocked(Conflict):
    code = "survey_builtin_locked"
    default_message = _("The questions of the built-in 3-PRO evaluation are fixed by the service doctrine.")


class TemplateArchived(Conflict):
    code = "survey_template_archived"
    default_message = _("The survey %(name)s is archived.")


class InterventionClosed(Conflict):
    code = "intervention_closed"
    default_message = _("This intervention is closed.")
