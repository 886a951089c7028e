"""The customer portal, mounted at /m/."""

from django.urls import path

from kefu.portal import commission_views, request_views, survey_views, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("signin/", views.signin, name="signin"),
    path("signin/code/", views.signin_code, name="signin_code"),
    path("signout/", views.signout, name="signout"),
    path("l/<str:token>/", views.link_open, name="link"),
    path("wechat/start/", views.wechat_start, name="wechat_start"),
    path("wechat/callback/", views.wechat_callback, name="wechat_callback"),
    path("requests/", request_views.request_list, name="request_list"),
    path("requests/new/", request_views.request_new, name="request_new"),
    path("requests/<int:ticket_id>/", request_views.request_detail, name="request_detail"),
    path("requests/<int:ticket_id>/feedback/", request_views.request_feedback, name="request_feedback"),
    path("surveys/<int:invitation_id>/", survey_views.survey, name="survey"),
    path("commissions/", commission_views.commission_list, name="commission_list"),
    path("commissions/<int:commission_id>/", commission_views.commission_detail, name="commission_detail"),
    path(
        "commissions/<int:commission_id>/files/<int:deliverable_id>/",
        commission_views.commission_file,
        name="commission_file",
    ),
]
