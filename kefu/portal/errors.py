"""What can go wrong on the customer's ways in and their submissions."""

from django.utils.translation import gettext_lazy as _

from kefu.core.errors import Conflict, InvalidInput, KefuError, NotFound


class LinkUnknown(NotFound):
    code = "link_unknown"
    default_message = _("This link is not valid. Check that it was copied whole, or sign in another way.")


class LinkExpired(KefuError):
    status, code = 410, "link_expired"
    default_message = _("This link has expired. Sign in with a code sent to your mobile instead.")


class LinkUsed(KefuError):
    status, code = 410, "link_used"
    default_message = _("This link has already been used. Sign in with a code sent to your mobile instead.")


class TooManyCodes(KefuError):
    status, code = 429, "too_many_codes"
    default_message = _("Too many codes have been asked for. Try again later.")


class CodeWrong(InvalidInput):
    code = "code_wrong"
    default_message = _("The code is wrong or has expired. Ask for a new one if needed.")


class WechatStateInvalid(InvalidInput):
    code = "wechat_state"
    default_message = _("This WeChat sign-in was not started here or has already been used. Start again.")


class WechatUnavailable(KefuError):
    status, code = 503, "wechat_unavailable"
    default_message = _("WeChat sign-in is not available right now. Sign in with a code sent to your mobile.")


class SubmissionKeyReused(Conflict):
    code = "idempotency_key_reused"
    default_message = _("This form was already sent with other content. Reload the page and send it again.")
