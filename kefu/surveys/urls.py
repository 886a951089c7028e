from django.urls import path

from kefu.surveys import views

app_name = "surveys"

urlpatterns = [
    # Interventions: a low score followed up by the evaluated member's supervisor
    path("", views.intervention_list, name="intervention_list"),
    path("interventions/<int:intervention_id>/", views.intervention_detail, name="intervention_detail"),
    path("interventions/<int:intervention_id>/contact/", views.intervention_contact, name="intervention_contact"),
    path("interventions/<int:intervention_id>/adjust/", views.intervention_adjust, name="intervention_adjust"),
    path("interventions/<int:intervention_id>/close/", views.intervention_close, name="intervention_close"),
    # Reports
    path("results/", views.results, name="results"),
    path("rates/", views.rates, name="rates"),
    # Survey templates
    path("templates/", views.template_list, name="template_list"),
    path("templates/new/", views.template_create, name="template_create"),
    path("templates/builtin/", views.template_builtin_add, name="template_builtin_add"),
    path("templates/<int:template_id>/", views.template_detail, name="template_detail"),
    path("templates/<int:template_id>/edit/", views.template_edit, name="template_edit"),
    path("templates/<int:template_id>/archive/", views.template_archive, name="template_archive"),
    # Triggers and the fatigue policy
    path("triggers/", views.trigger_list, name="trigger_list"),
    path("triggers/new/", views.trigger_create, name="trigger_create"),
    path("triggers/<int:trigger_id>/", views.trigger_edit, name="trigger_edit"),
    path("triggers/limits/", views.fatigue_save, name="fatigue_save"),
]
