from django.urls import path

from .scores import FrozenPeriodsView, PublishedScoresView

urlpatterns = [
    path("scores/", PublishedScoresView.as_view(), name="api-score-list"),
    path("scores/periods/", FrozenPeriodsView.as_view(), name="api-score-periods"),
]
