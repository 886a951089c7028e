from django.urls import path

from kefu.engagements import detail_views, report_views, type_views, views

app_name = "engagements"

urlpatterns = [
    # Commissions
    path("", views.commission_list, name="commission_list"),
    path("new/", views.commission_create, name="commission_create"),
    path("<int:commission_id>/", detail_views.commission_detail, name="commission_detail"),
    path("<int:commission_id>/edit/", views.commission_edit, name="commission_edit"),
    path("<int:commission_id>/close/", detail_views.commission_close, name="commission_close"),
    path("<int:commission_id>/cancel/", detail_views.commission_cancel, name="commission_cancel"),
    # Its nodes, change of plan, deliverables and risks
    path("<int:commission_id>/nodes/<int:node_id>/start/", detail_views.node_start, name="node_start"),
    path("<int:commission_id>/nodes/<int:node_id>/complete/", detail_views.node_complete, name="node_complete"),
    path("<int:commission_id>/nodes/<int:node_id>/skip/", detail_views.node_skip, name="node_skip"),
    path("<int:commission_id>/nodes/<int:node_id>/evaluate/", detail_views.node_evaluate, name="node_evaluate"),
    path("<int:commission_id>/plan/", detail_views.plan_change, name="plan_change"),
    path("<int:commission_id>/files/", detail_views.deliverable_add, name="deliverable_add"),
    path(
        "<int:commission_id>/files/<int:deliverable_id>/",
        detail_views.deliverable_download,
        name="deliverable_download",
    ),
    path("<int:commission_id>/risks/", detail_views.risk_add, name="risk_add"),
    path("<int:commission_id>/risks/<int:risk_id>/close/", detail_views.risk_close, name="risk_close"),
    # Follow-up tasks after delivery
    path("tasks/", detail_views.task_list, name="task_list"),
    path("tasks/<int:task_id>/complete/", detail_views.task_complete, name="task_complete"),
    # Commission types
    path("types/", type_views.type_list, name="type_list"),
    path("types/new/", type_views.type_create, name="type_create"),
    path("types/<int:commission_type_id>/edit/", type_views.type_edit, name="type_edit"),
    # Reports
    path("statistics/", report_views.statistics, name="statistics"),
    path("scorecard/", report_views.scorecard, name="scorecard"),
    path("scorecard/weights/", report_views.weights_save, name="weights_save"),
]
