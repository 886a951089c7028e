from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkbenchConfig(AppConfig):
    """The landing page. An edge app: it reads from every module, nothing depends on it."""

    name = "kefu.workbench"
    label = "workbench"
    verbose_name = _("Workbench")
