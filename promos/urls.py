from django.urls import path

from . import views

app_name = "promos"

urlpatterns = [
    path("", views.QuoteCalculatorView.as_view(), name="quote-calculator"),
    path("quotes/", views.QuoteListView.as_view(), name="quote-list"),
    path("quotes/<int:pk>/", views.QuoteDetailView.as_view(), name="quote-detail"),
    path("quotes/<int:pk>/pdf/", views.QuotePdfView.as_view(), name="quote-pdf"),
]
