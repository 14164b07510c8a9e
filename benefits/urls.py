from django.urls import path

from . import views

app_name = "benefits"

urlpatterns = [
    path("", views.BenefitListView.as_view(), name="benefit-list"),
    path("<int:pk>/claim/", views.ClaimCreateView.as_view(), name="claim-create"),
    path("claims/<int:pk>/cancel/", views.ClaimCancelView.as_view(), name="claim-cancel"),
]
