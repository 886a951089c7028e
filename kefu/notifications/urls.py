from django.urls import path

from kefu.notifications import callbacks, settings_views, views

app_name = "notifications"

urlpatterns = [
    # Providers' delivery reports (kefu.notifications.callbacks)
    path("callbacks/<slug:channel>/<str:key>/", callbacks.callback, name="callback"),
    # The delivery log
    path("", views.message_list, name="message_list"),
    path("messages/retry/", views.message_retry_many, name="message_retry_many"),
    path("messages/<int:message_id>/", views.message_detail, name="message_detail"),
    path("messages/<int:message_id>/retry/", views.message_retry, name="message_retry"),
    path("messages/<int:message_id>/cancel/", views.message_cancel, name="message_cancel"),
    # The bell and the inbox: every staff member, their own messages
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/bell/", views.bell, name="bell"),
    path("inbox/read/", views.inbox_read, name="inbox_read"),
    path("inbox/read-all/", views.inbox_read_all, name="inbox_read_all"),
    path("inbox/open/", views.inbox_open, name="inbox_open"),
    # Settings (kefu.notifications.settings_views)
    path("channels/", settings_views.channel_list, name="channel_list"),
    path("channels/<int:orgunit_id>/<slug:channel>/", settings_views.channel_edit, name="channel_edit"),
    path("channels/<int:orgunit_id>/<slug:channel>/delete/", settings_views.channel_delete, name="channel_delete"),
    path("channels/<int:orgunit_id>/<slug:channel>/test/", settings_views.channel_test, name="channel_test"),
    path("templates/", settings_views.template_list, name="template_list"),
    path(
        "templates/<int:orgunit_id>/<str:event>/<slug:channel>/",
        settings_views.template_edit,
        name="template_edit",
    ),
    path(
        "templates/<int:orgunit_id>/<str:event>/<slug:channel>/preview/",
        settings_views.template_preview,
        name="template_preview",
    ),
    path(
        "templates/<int:orgunit_id>/<str:event>/<slug:channel>/delete/",
        settings_views.template_delete,
        name="template_delete",
    ),
    path("policy/", settings_views.policy, name="policy"),
    path("policy/<int:orgunit_id>/", settings_views.policy_save, name="policy_save"),
    path("policy/<int:orgunit_id>/<str:event>/", settings_views.route_save, name="route_save"),
]
