"""Django REST framework and the OpenAPI schema."""

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an unauthenticated call then gets 401 with WWW-Authenticate, not 403.
        "kefu.accounts.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["kefu.core.api.permissions.HasRouteAccess"],
    "DEFAULT_PAGINATION_CLASS": "kefu.core.api.pagination.KeysetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "kefu.core.api.exceptions.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Bodies are JSON: in a form body every value is text and an empty value passes for a field
    # left out. Upload endpoints say MultiPartParser themselves.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    # OPTIONS metadata would call get_object() on views that have no queryset; nobody uses it.
    "DEFAULT_METADATA_CLASS": None,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_THROTTLE_RATES": {"token": "20/min"},
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Kefu API",
    "DESCRIPTION": "Kefu customer-service system. Every endpoint is scoped to the caller's unit.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["kefu.core.api.permissions.HasRouteAccess"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Choice sets that share a field name ("kind") or appear under two field names get one
    # stable component name each.
    "ENUM_NAME_OVERRIDES": {
        "CustomerKindEnum": "kefu.customers.models.Customer.Kind",
        "ContactKindEnum": "kefu.customers.models.ContactMethod.Kind",
        "ConsentMethodEnum": "kefu.customers.models.Consent.Method",
        "ConsentChannelEnum": "kefu.customers.models.Consent.Channel",
        "DuplicateKeyKindEnum": "kefu.customers.merge.DuplicateKey.KINDS",
        "RequestKindEnum": "kefu.standards.models.RequestKind",
        "TicketChannelEnum": "kefu.tickets.models.Channel",
        "TicketEventKindEnum": "kefu.tickets.models.TicketEvent.Kind",
        # Keeps the name the tickets API had before other "status" choice sets joined the schema.
        "StatusEnum": "kefu.tickets.models.Ticket.Status",
        "CommissionStatusEnum": "kefu.engagements.models.Commission.Status",
        "CommissionNodeStatusEnum": "kefu.engagements.models.Node.Status",
        "CommissionNodeOwnerEnum": "kefu.engagements.models.Owner",
        "FollowUpKindEnum": "kefu.engagements.models.FollowUpTemplate.Kind",
        "InvitationStatusEnum": "kefu.surveys.models.Invitation.Status",
    },
}
