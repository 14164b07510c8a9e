from django.urls import path

from . import views

app_name = "tiers"

urlpatterns = [
    path("", views.StatusView.as_view(), name="status"),
    path("tiers.css", views.tier_css, name="tier-css"),
]
