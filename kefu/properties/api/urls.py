from django.urls import path

from kefu.properties.api import views

urlpatterns = [
    path("projects/", views.ProjectListApi.as_view(), name="project_list"),
    path("projects/<int:project_id>/", views.ProjectDetailApi.as_view(), name="project_detail"),
    path("buildings/", views.BuildingListApi.as_view(), name="building_list"),
    path("buildings/<int:building_id>/", views.BuildingDetailApi.as_view(), name="building_detail"),
    path("units/", views.UnitListApi.as_view(), name="unit_list"),
    path("units/<int:unit_id>/", views.UnitDetailApi.as_view(), name="unit_detail"),
    path("common-parts/", views.CommonPartListApi.as_view(), name="commonpart_list"),
    path("common-parts/<int:commonpart_id>/", views.CommonPartDetailApi.as_view(), name="commonpart_detail"),
]
