from django.urls import path

from . import views

urlpatterns = [
    path("agencies/<slug:code>/roster/", views.roster, name="agency-roster"),
]
