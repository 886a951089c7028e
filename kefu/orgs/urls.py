from django.urls import path

from kefu.orgs import views

app_name = "orgs"

urlpatterns = [
    path("units/", views.unit_list, name="unit_list"),
    path("units/new/", views.unit_create, name="unit_create"),
    path("units/<int:orgunit_id>/", views.unit_detail, name="unit_detail"),
    path("units/<int:orgunit_id>/edit/", views.unit_edit, name="unit_edit"),
    path("units/<int:orgunit_id>/deactivate/", views.unit_deactivate, name="unit_deactivate"),
    path("units/<int:orgunit_id>/activate/", views.unit_activate, name="unit_activate"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/new/", views.staff_create, name="staff_create"),
    path("staff/<int:staff_id>/", views.staff_detail, name="staff_detail"),
    path("staff/<int:staff_id>/edit/", views.staff_edit, name="staff_edit"),
    path("staff/<int:staff_id>/disable/", views.staff_disable, name="staff_disable"),
    path("staff/<int:staff_id>/enable/", views.staff_enable, name="staff_enable"),
    path("staff/<int:staff_id>/password/", views.staff_reset_password, name="staff_reset_password"),
]
