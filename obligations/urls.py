from django.urls import path

from . import views

app_name = "obligations"

urlpatterns = [
    path("", views.DutyListView.as_view(), name="duty-list"),
    path("<int:pk>/", views.FulfilmentDetailView.as_view(), name="fulfilment-detail"),
    path("<int:pk>/upload/", views.FulfilmentUploadView.as_view(), name="fulfilment-upload"),
    path("<int:pk>/training/", views.FulfilmentTrainingView.as_view(), name="fulfilment-training"),
    path("<int:pk>/document/", views.FulfilmentDocumentView.as_view(), name="fulfilment-document"),
    path("plan/", views.PlanView.as_view(), name="plan"),
    path("forecasts/", views.ForecastView.as_view(), name="forecasts"),
]
