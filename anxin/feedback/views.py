from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def callback_queue(request):
    return render(request, "web/home.html", {"nav_active": "callbacks"})
