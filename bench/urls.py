"""The application's URLs and the two floors the benchmark compares every page with."""

from django.urls import include, path

from bench import floor_views

urlpatterns = [
    path("bench/floor/ok/", floor_views.bare_ok, name="bench-floor-ok"),
    path("bench/floor/template/", floor_views.template_floor, name="bench-floor-template"),
    path("bench/floor/frame/", floor_views.frame_floor, name="bench-floor-frame"),
    path("", include("clinic.urls")),
]
