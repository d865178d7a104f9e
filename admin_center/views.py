from django.http import HttpResponse
from django.shortcuts import render


def home(request):
    return render(request, "admin_center/placeholder.html", {"title": "Home"})


def invitation_open(request):
    return HttpResponse(status=404)
