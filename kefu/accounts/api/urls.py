from django.urls import path

from kefu.accounts.api import views

urlpatterns = [
    path("auth/token/", views.TokenCreateApi.as_view(), name="token"),
    path("me/", views.MeApi.as_view(), name="me"),
]
