from django.urls import path

from kefu.customers.api import views

urlpatterns: list = [
    path("customers/", views.CustomerListApi.as_view(), name="customer_list"),
    path("customers/duplicates/", views.DuplicateListApi.as_view(), name="duplicate_list"),
    path("customers/<int:customer_id>/", views.CustomerDetailApi.as_view(), name="customer_detail"),
    path("customers/<int:customer_id>/households/", views.CustomerHouseholdsApi.as_view(), name="customer_households"),
    path("customers/<int:customer_id>/contacts/", views.CustomerContactsApi.as_view(), name="customer_contacts"),
    path("customers/<int:customer_id>/consents/", views.CustomerConsentsApi.as_view(), name="customer_consents"),
    path("customers/<int:customer_id>/timeline/", views.CustomerTimelineApi.as_view(), name="customer_timeline"),
    path("customers/<int:customer_id>/merge/", views.CustomerMergeApi.as_view(), name="customer_merge"),
    path("consents/<int:consent_id>/withdraw/", views.ConsentWithdrawApi.as_view(), name="consent_withdraw"),
    path("customers/<int:customer_id>/grade/", views.CustomerGradeApi.as_view(), name="customer_grade"),
    path("customers/<int:customer_id>/scores/", views.CustomerScoresApi.as_view(), name="customer_scores"),
    path("customers/<int:customer_id>/tags/", views.CustomerTagsApi.as_view(), name="customer_tags"),
    path(
        "customers/<int:customer_id>/tags/<int:tag_id>/",
        views.CustomerTagDetailApi.as_view(),
        name="customer_tag_detail",
    ),
    path("grade-rules/", views.GradeRuleListApi.as_view(), name="graderule_list"),
    path("tags/", views.TagListApi.as_view(), name="tag_list"),
]
