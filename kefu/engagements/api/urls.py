from django.urls import path

from kefu.engagements.api import views

C = "commissions/<int:commission_id>"
N = f"{C}/nodes/<int:node_id>"

urlpatterns: list = [
    path("commission-types/", views.CommissionTypeListApi.as_view(), name="commission_type_list"),
    path(
        "commission-types/<int:commission_type_id>/",
        views.CommissionTypeDetailApi.as_view(),
        name="commission_type_detail",
    ),
    path(
        "commission-types/<int:commission_type_id>/update/",
        views.CommissionTypeUpdateApi.as_view(),
        name="commission_type_update",
    ),
    path("commissions/", views.CommissionListApi.as_view(), name="commission_list"),
    path("commissions/tasks/", views.TaskListApi.as_view(), name="commission_task_list"),
    path("commissions/tasks/<int:task_id>/complete/", views.TaskCompleteApi.as_view(), name="commission_task_complete"),
    path("commissions/statistics/", views.StatisticsApi.as_view(), name="commission_statistics"),
    path("commissions/scorecard/", views.ScorecardApi.as_view(), name="commission_scorecard"),
    path("commissions/scorecard/weights/", views.WeightsApi.as_view(), name="commission_weights"),
    path(f"{C}/", views.CommissionDetailApi.as_view(), name="commission_detail"),
    path(f"{C}/update/", views.CommissionUpdateApi.as_view(), name="commission_update"),
    path(f"{C}/close/", views.CommissionCloseApi.as_view(), name="commission_close"),
    path(f"{C}/cancel/", views.CommissionCancelApi.as_view(), name="commission_cancel"),
    path(f"{N}/start/", views.NodeStartApi.as_view(), name="commission_node_start"),
    path(f"{N}/complete/", views.NodeCompleteApi.as_view(), name="commission_node_complete"),
    path(f"{N}/skip/", views.NodeSkipApi.as_view(), name="commission_node_skip"),
    path(f"{N}/evaluate/", views.NodeEvaluateApi.as_view(), name="commission_node_evaluate"),
    path(f"{C}/plan-changes/", views.PlanChangeCreateApi.as_view(), name="commission_plan_change"),
    path(f"{C}/risks/", views.RiskCreateApi.as_view(), name="commission_risk_create"),
    path(f"{C}/risks/<int:risk_id>/close/", views.RiskCloseApi.as_view(), name="commission_risk_close"),
    path(f"{C}/deliverables/", views.DeliverableUploadApi.as_view(), name="commission_deliverable_upload"),
]
