from rest_framework.routers import SimpleRouter

from .case_views import CaseViewSet

router = SimpleRouter()
router.register("cases", CaseViewSet, basename="case")
urlpatterns = router.urls
