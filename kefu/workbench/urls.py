from django.urls import path

from kefu.workbench import views

app_name = "workbench"

urlpatterns = [
    path("", views.home, name="home"),
]
