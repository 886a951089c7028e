from django.urls import path

from kefu.orgs.api import views

urlpatterns = [
    path("orgunits/", views.OrgUnitListApi.as_view(), name="orgunit_list"),
    path("orgunits/<int:orgunit_id>/", views.OrgUnitDetailApi.as_view(), name="orgunit_detail"),
    path("staff/", views.StaffListApi.as_view(), name="staff_list"),
    path("staff/<int:staff_id>/", views.StaffDetailApi.as_view(), name="staff_detail"),
]
