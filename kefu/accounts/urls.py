from django.urls import path

from kefu.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("security/events/", views.security_events, name="security_events"),
    path("security/policy/", views.security_policy, name="security_policy"),
]
