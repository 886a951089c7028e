from django.urls import path

from kefu.tickets import detail_views, settings_views, views
from kefu.tickets.report_urls import report_urlpatterns

app_name = "tickets"

urlpatterns: list = [
    # The list, logging a voice, the ticket page and what it polls and shows
    path("", views.ticket_list, name="ticket_list"),
    path("new/", views.ticket_create, name="ticket_create"),
    path("<int:ticket_id>/", detail_views.ticket_detail, name="ticket_detail"),
    path("<int:ticket_id>/presence/", views.presence, name="presence"),
    path("photos/<int:attachment_id>/", views.attachment, name="attachment"),
    # The actions on the ticket page (POST)
    path("<int:ticket_id>/reply/", detail_views.ticket_reply, name="ticket_reply"),
    path("<int:ticket_id>/note/", detail_views.ticket_note, name="ticket_note"),
    path("<int:ticket_id>/assign/", detail_views.ticket_assign, name="ticket_assign"),
    path("<int:ticket_id>/transfer/", detail_views.ticket_transfer, name="ticket_transfer"),
    path("<int:ticket_id>/pause/", detail_views.ticket_pause, name="ticket_pause"),
    path("<int:ticket_id>/resume/", detail_views.ticket_resume, name="ticket_resume"),
    path("<int:ticket_id>/resolve/", detail_views.ticket_resolve, name="ticket_resolve"),
    path("<int:ticket_id>/revisit/", detail_views.ticket_revisit, name="ticket_revisit"),
    path("<int:ticket_id>/close/", detail_views.ticket_close, name="ticket_close"),
    path("<int:ticket_id>/reopen/", detail_views.ticket_reopen, name="ticket_reopen"),
    path("<int:ticket_id>/photos/", detail_views.ticket_attach, name="ticket_attach"),
    path("<int:ticket_id>/edit/", detail_views.ticket_edit, name="ticket_edit"),
    path("<int:ticket_id>/merge/", detail_views.ticket_merge, name="ticket_merge"),
    path("<int:ticket_id>/split/", detail_views.ticket_split, name="ticket_split"),
    # Settings: teams, assignment rules, canned replies (kefu.tickets.settings_views)
    path("settings/teams/", settings_views.team_list, name="team_list"),
    path("settings/teams/new/", settings_views.team_create, name="team_create"),
    path("settings/teams/<int:team_id>/edit/", settings_views.team_edit, name="team_edit"),
    path("settings/rules/", settings_views.rule_list, name="rule_list"),
    path("settings/rules/new/", settings_views.rule_create, name="rule_create"),
    path("settings/rules/<int:rule_id>/edit/", settings_views.rule_edit, name="rule_edit"),
    path("settings/rules/<int:rule_id>/delete/", settings_views.rule_delete, name="rule_delete"),
    path("settings/replies/", settings_views.canned_reply_list, name="canned_reply_list"),
    path("settings/replies/new/", settings_views.canned_reply_create, name="canned_reply_create"),
    path("settings/replies/preview/", settings_views.canned_reply_preview, name="canned_reply_preview"),
    path("settings/replies/<int:reply_id>/edit/", settings_views.canned_reply_edit, name="canned_reply_edit"),
    path("settings/replies/<int:reply_id>/delete/", settings_views.canned_reply_delete, name="canned_reply_delete"),
]

# The daily report, the supervisors' queue and the ticket import.
urlpatterns += report_urlpatterns
