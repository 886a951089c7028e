from django.urls import path

from kefu.customers import admin_views, import_views, privacy_views, views

app_name = "customers"

urlpatterns: list = [
    # The ledger pages (list, 360° view, customer forms)
    path("", views.customer_list, name="customer_list"),
    path("new/", views.customer_create, name="customer_create"),
    path("<int:customer_id>/", views.customer_detail, name="customer_detail"),
    path("<int:customer_id>/edit/", views.customer_edit, name="customer_edit"),
    path("<int:customer_id>/households/new/", views.household_add, name="household_add"),
    path("households/<int:household_id>/edit/", views.household_edit, name="household_edit"),
    path("<int:customer_id>/contacts/new/", views.contact_add, name="contact_add"),
    path("contacts/<int:contact_id>/remove/", views.contact_remove, name="contact_remove"),
    path("<int:customer_id>/contact-people/new/", views.contactperson_add, name="contactperson_add"),
    path("contact-people/<int:contactperson_id>/remove/", views.contactperson_remove, name="contactperson_remove"),
    path("<int:customer_id>/consents/new/", views.consent_add, name="consent_add"),
    path("consents/<int:consent_id>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("<int:customer_id>/id-number/", views.id_number_set, name="id_number_set"),
    path("<int:customer_id>/grade/", views.grade_override, name="grade_override"),
    path("<int:customer_id>/scores/", views.scores_set, name="scores_set"),
    # Personal-data rights (kefu.customers.privacy_views)
    path("<int:customer_id>/id-number/reveal/", privacy_views.reveal_id, name="reveal_id"),
    path("contacts/<int:contact_id>/reveal/", privacy_views.reveal_contact, name="reveal_contact"),
    path("<int:customer_id>/privacy/export/", privacy_views.privacy_export, name="privacy_export"),
    path("<int:customer_id>/privacy/erase/", privacy_views.privacy_erase, name="privacy_erase"),
    # Duplicates, merge, grade rules and tags (kefu.customers.admin_views)
    path("duplicates/", admin_views.duplicate_list, name="duplicate_list"),
    path("merge/<int:target_id>/<int:source_id>/", admin_views.merge_compare, name="merge_compare"),
    path("merge/<int:target_id>/<int:source_id>/confirm/", admin_views.customer_merge, name="merge"),
    path("grade-rules/", admin_views.graderule_list, name="graderule_list"),
    path("grade-rules/new/", admin_views.graderule_create, name="graderule_create"),
    path("grade-rules/apply/", admin_views.graderule_apply, name="graderule_apply"),
    path("grade-rules/<int:graderule_id>/edit/", admin_views.graderule_edit, name="graderule_edit"),
    path("grade-rules/<int:graderule_id>/delete/", admin_views.graderule_delete, name="graderule_delete"),
    path("tags/", admin_views.tag_list, name="tag_list"),
    path("tags/new/", admin_views.tag_create, name="tag_create"),
    path("tags/<int:tag_id>/rename/", admin_views.tag_rename, name="tag_rename"),
    path("tags/<int:tag_id>/delete/", admin_views.tag_delete, name="tag_delete"),
    path("<int:customer_id>/tags/add/", admin_views.customer_tag_add, name="customer_tag_add"),
    path("<int:customer_id>/tags/<int:tag_id>/remove/", admin_views.customer_tag_remove, name="customer_tag_remove"),
    # The ledger in Excel: import and export (kefu.customers.import_views)
    path("import/", import_views.import_form, name="import"),
    path("import/template.xlsx", import_views.import_template, name="import_template"),
    path("import/<int:customerimport_id>/preview/", import_views.import_preview, name="import_preview"),
    path("import/<int:customerimport_id>/commit/", import_views.import_commit_view, name="import_commit"),
    path("import/<int:customerimport_id>/cancel/", import_views.import_cancel_view, name="import_cancel"),
    path("import/<int:customerimport_id>/", import_views.import_detail, name="import_detail"),
    path("import/<int:customerimport_id>/errors.xlsx", import_views.import_errors, name="import_errors"),
    path("export/", import_views.export, name="export"),
]
