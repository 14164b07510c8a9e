from django.urls import path

from . import views

app_name = "documents"

# Mounted at the site's root: "Mes documents" under /documents/, the public verification under /verify/.
urlpatterns = [
    path("documents/", views.DocumentListView.as_view(), name="document-list"),
    path("documents/<int:pk>/download/", views.DocumentDownloadView.as_view(), name="document-download"),
    path("verify/<str:code>", views.VerifyView.as_view(), name="verify"),
]
