from django.urls import path

from kefu.standards.api import views

urlpatterns: list = [
    path("calendars/", views.CalendarListApi.as_view(), name="calendar_list"),
    path("calendars/<int:calendar_id>/", views.CalendarDetailApi.as_view(), name="calendar_detail"),
    path("calendars/<int:calendar_id>/days/", views.CalendarDaysApi.as_view(), name="calendar_days"),
    path("calendars/<int:calendar_id>/days/clear/", views.CalendarDayClearApi.as_view(), name="calendar_day_clear"),
    path("calendars/<int:calendar_id>/load-year/", views.CalendarLoadYearApi.as_view(), name="calendar_load_year"),
    path("calendars/<int:calendar_id>/due-at/", views.CalendarDueAtApi.as_view(), name="calendar_due_at"),
    path("categories/", views.CategoryListApi.as_view(), name="category_list"),
    path("policies/", views.PolicyListApi.as_view(), name="policy_list"),
    path("policies/match/", views.PolicyMatchApi.as_view(), name="policy_match"),
    path("policies/<int:policy_id>/", views.PolicyDetailApi.as_view(), name="policy_detail"),
]
