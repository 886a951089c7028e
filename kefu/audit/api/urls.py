from django.urls import path

from kefu.audit.api import views

urlpatterns: list = [
    path("audit-entries/", views.AuditEntryListApi.as_view(), name="auditentry_list"),
]
