from django.urls import path

from . import views

app_name = "recruitment"

# Mounted at the site's root, public: the programme's description and the application form.
urlpatterns = [
    path("programme/", views.ProgrammeView.as_view(), name="programme"),
    path("apply/", views.ApplyView.as_view(), name="apply"),
    path("apply/thanks/", views.ApplyDoneView.as_view(), name="apply-done"),
]
