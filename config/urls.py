from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

api_v1 = [
    path("", include("kefu.accounts.api.urls")),
    path("", include("kefu.orgs.api.urls")),
    path("", include("kefu.properties.api.urls")),
    path("", include("kefu.customers.api.urls")),
    path("", include("kefu.audit.api.urls")),
    path("", include("kefu.standards.api.urls")),
    path("", include("kefu.tickets.api.urls")),
    path("", include("kefu.engagements.api.urls")),
]

urlpatterns = [
    path("", include("kefu.workbench.urls")),
    path("", include("kefu.core.urls")),
    path("accounts/", include("kefu.accounts.urls")),
    path("orgs/", include("kefu.orgs.urls")),
    path("properties/", include("kefu.properties.urls")),
    path("customers/", include("kefu.customers.urls")),
    path("audit/", include("kefu.audit.urls")),
    path("standards/", include("kefu.standards.urls")),
    path("tickets/", include("kefu.tickets.urls")),
    path("notifications/", include("kefu.notifications.urls")),
    path("surveys/", include("kefu.surveys.urls")),
    path("commissions/", include("kefu.engagements.urls")),
    # The customer portal: phones, signed links, SMS codes and WeChat sign-in.
    path("m/", include("kefu.portal.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

handler403 = "kefu.core.errorviews.permission_denied"
handler404 = "kefu.core.errorviews.page_not_found"
handler500 = "kefu.core.errorviews.server_error"
