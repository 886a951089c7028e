"""URLs of the daily report, the supervisors' queue and the ticket import, in the "tickets" namespace."""

from django.urls import path

from kefu.tickets import report_views
from kefu.tickets.imports import views as import_views

report_urlpatterns = [
    path("reports/daily/", report_views.daily_report, name="daily_report"),
    path("reports/daily/export.xlsx", report_views.daily_report_export, name="daily_report_export"),
    path("queue/", report_views.queue, name="queue"),
    path("import/", import_views.import_form, name="import"),
    path("import/template.xlsx", import_views.import_template, name="import_template"),
    path("import/<int:ticketimport_id>/", import_views.import_detail, name="import_detail"),
    path("import/<int:ticketimport_id>/errors.xlsx", import_views.import_errors, name="import_errors"),
]
