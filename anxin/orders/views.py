from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def order_list(request):
    return render(request, "web/home.html", {"nav_active": "orders"})


@login_required
def technician_jobs(request):
    return render(request, "web/home.html", {"nav_active": "jobs"})
