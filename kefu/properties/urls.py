from django.urls import path

from kefu.properties import import_views, views

app_name = "properties"

urlpatterns: list = [
    path("projects/", views.project_list, name="project_list"),
    path("projects/new/", views.project_create, name="project_create"),
    path("projects/<int:project_id>/", views.project_detail, name="project_detail"),
    path("projects/<int:project_id>/edit/", views.project_edit, name="project_edit"),
    path("projects/<int:project_id>/buildings/new/", views.building_create, name="building_create"),
    path("buildings/<int:building_id>/", views.building_detail, name="building_detail"),
    path("buildings/<int:building_id>/edit/", views.building_edit, name="building_edit"),
    path("units/", views.unit_list, name="unit_list"),
    path("units/new/", views.unit_create, name="unit_create"),
    path("units/<int:unit_id>/", views.unit_detail, name="unit_detail"),
    path("units/<int:unit_id>/edit/", views.unit_edit, name="unit_edit"),
    path("common-parts/", views.commonpart_list, name="commonpart_list"),
    path("common-parts/new/", views.commonpart_create, name="commonpart_create"),
    path("common-parts/<int:commonpart_id>/edit/", views.commonpart_edit, name="commonpart_edit"),
    path("import/", import_views.import_form, name="import"),
    path("import/template.xlsx", import_views.import_template, name="import_template"),
    path("import/<int:import_id>/", import_views.import_detail, name="import_detail"),
    path("import/<int:import_id>/errors.xlsx", import_views.import_errors, name="import_errors"),
]
