from django.urls import path

from kefu.standards import policy_views, views

app_name = "standards"

urlpatterns: list = [
    # Business calendars: working hours, holidays and make-up working days (调休)
    path("calendars/", views.calendar_list, name="calendar_list"),
    path("calendars/new/", views.calendar_create, name="calendar_create"),
    path("calendars/<int:calendar_id>/", views.calendar_detail, name="calendar_detail"),
    path("calendars/<int:calendar_id>/edit/", views.calendar_edit, name="calendar_edit"),
    path("calendars/<int:calendar_id>/hours/", views.calendar_hours, name="calendar_hours"),
    path("calendars/<int:calendar_id>/try/", views.calendar_try, name="calendar_try"),
    path("calendars/<int:calendar_id>/load-year/", views.calendar_load_year, name="calendar_load_year"),
    path("calendars/<int:calendar_id>/days/", views.calendar_day_set, name="calendar_day_set"),
    path("calendars/<int:calendar_id>/days/clear/", views.calendar_day_clear, name="calendar_day_clear"),
    # Request categories
    path("categories/", policy_views.category_list, name="category_list"),
    path("categories/new/", policy_views.category_create, name="category_create"),
    path("categories/<int:category_id>/edit/", policy_views.category_edit, name="category_edit"),
    # SLA policies and the matcher
    path("policies/", policy_views.policy_list, name="policy_list"),
    path("policies/new/", policy_views.policy_create, name="policy_create"),
    path("policies/match/", policy_views.policy_match, name="policy_match"),
    path("policies/<int:policy_id>/", policy_views.policy_detail, name="policy_detail"),
    path("policies/<int:policy_id>/edit/", policy_views.policy_edit, name="policy_edit"),
]
