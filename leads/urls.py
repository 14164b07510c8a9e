from django.urls import path

from . import views

app_name = "leads"

urlpatterns = [
    path("", views.LeadListView.as_view(), name="lead-list"),
    path("<int:pk>/", views.LeadDetailView.as_view(), name="lead-detail"),
    path("<int:pk>/accept/", views.LeadAcceptView.as_view(), name="lead-accept"),
    path("<int:pk>/decline/", views.LeadDeclineView.as_view(), name="lead-decline"),
    path("<int:pk>/progress/", views.LeadProgressView.as_view(), name="lead-progress"),
]
