from django.urls import path

from kefu.tickets.api import views

urlpatterns: list = [
    path("tickets/", views.TicketListApi.as_view(), name="ticket_list"),
    path("tickets/<int:ticket_id>/", views.TicketDetailApi.as_view(), name="ticket_detail"),
    path("tickets/<int:ticket_id>/assign/", views.TicketAssignApi.as_view(), name="ticket_assign"),
    path("tickets/<int:ticket_id>/transfer/", views.TicketTransferApi.as_view(), name="ticket_transfer"),
    path("tickets/<int:ticket_id>/reply/", views.TicketReplyApi.as_view(), name="ticket_reply"),
    path("tickets/<int:ticket_id>/note/", views.TicketNoteApi.as_view(), name="ticket_note"),
    path("tickets/<int:ticket_id>/pause/", views.TicketPauseApi.as_view(), name="ticket_pause"),
    path("tickets/<int:ticket_id>/update/", views.TicketUpdateApi.as_view(), name="ticket_update"),
    path("tickets/<int:ticket_id>/resume/", views.TicketResumeApi.as_view(), name="ticket_resume"),
    path("tickets/<int:ticket_id>/resolve/", views.TicketResolveApi.as_view(), name="ticket_resolve"),
    path("tickets/<int:ticket_id>/revisit/", views.TicketRevisitApi.as_view(), name="ticket_revisit"),
    path("tickets/<int:ticket_id>/close/", views.TicketCloseApi.as_view(), name="ticket_close"),
    path("tickets/<int:ticket_id>/reopen/", views.TicketReopenApi.as_view(), name="ticket_reopen"),
    path("tickets/<int:ticket_id>/merge/", views.TicketMergeApi.as_view(), name="ticket_merge"),
    path("tickets/<int:ticket_id>/split/", views.TicketSplitApi.as_view(), name="ticket_split"),
    path("tickets/<int:ticket_id>/events/", views.TicketEventsApi.as_view(), name="ticket_events"),
    path("tickets/<int:ticket_id>/attachments/", views.TicketAttachmentsApi.as_view(), name="ticket_attachments"),
    path("teams/", views.TeamListApi.as_view(), name="team_list"),
    path("canned-replies/", views.CannedReplyListApi.as_view(), name="cannedreply_list"),
]
