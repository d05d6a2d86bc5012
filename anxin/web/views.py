from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def home(request):
    return render(request, "web/home.html")


@login_required
def order_list(request):
    return render(request, "web/home.html")


@login_required
def customer_list(request):
    return render(request, "web/home.html")


@login_required
def callback_queue(request):
    return render(request, "web/home.html")


@login_required
def technician_jobs(request):
    return render(request, "web/home.html")
