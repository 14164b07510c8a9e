from django.urls import path

from . import views

app_name = "experts"

urlpatterns = [
    path("", views.DirectoryView.as_view(), name="directory"),
    path("mine/", views.ExpertProfileView.as_view(), name="profile"),
    path("mine/price-grid/", views.PriceGridAcceptView.as_view(), name="price-grid-accept"),
    path("mine/specialities/<int:pk>/apply/", views.SpecialityApplyView.as_view(), name="speciality-apply"),
    path("tests/<int:pk>/start/", views.AttemptStartView.as_view(), name="attempt-start"),
    path("attempts/<int:pk>/", views.AttemptView.as_view(), name="attempt"),
    path("assignments/", views.AssignmentListView.as_view(), name="assignment-list"),
    path("assignments/<int:pk>/accept/", views.AssignmentAcceptView.as_view(), name="assignment-accept"),
    path("assignments/<int:pk>/refuse/", views.AssignmentRefuseView.as_view(), name="assignment-refuse"),
    path("assignments/<int:pk>/done/", views.AssignmentDoneView.as_view(), name="assignment-done"),
]
