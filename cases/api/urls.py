from django.urls import path

from .catalogue import CategoryListView

urlpatterns = [
    path("categories/", CategoryListView.as_view(), name="api-category-list"),
]
