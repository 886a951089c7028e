from django.urls import path

from kefu.engagements import views

app_name = "engagements"

urlpatterns = [
    path("<int:commission_id>/", views.commission_detail, name="commission_detail"),
]
