"""The public side of connecting a unit: the application form and the applicant's status page.

The head of a unit need not have a login (staff without a role cannot log in): the form is public,
and the applicant follows the application through an unguessable link sent to the contact e-mail.
The region checks the application with the unit before it approves."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from vardkontakt.directory.models import EService
from vardkontakt.onboarding import actions
from vardkontakt.onboarding.forms import ApplicationForm, add_errors
from vardkontakt.onboarding.models import Decision


@require_http_methods(["GET", "HEAD", "POST"])
def apply(request: HttpRequest) -> HttpResponse:
    form = ApplicationForm(request.POST) if request.method == "POST" else ApplicationForm()
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                actions.submit_application(
                    unit_hsa_id=data["unit_hsa_id"],
                    applicant_name=data["applicant_name"],
                    contact_email=data["contact_email"],
                    admins=form.proposals(),
                    services=data["services"],
                    language=get_language() or "sv",
                    base_url=settings.VK_PUBLIC_URL or request.build_absolute_uri("/"),
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                return HttpResponseRedirect(reverse("onboarding_public:sent"))
        return render(request, "onboarding/apply.html", {"form": form}, status=400)
    return render(request, "onboarding/apply.html", {"form": form})


@require_safe
def sent(request: HttpRequest) -> HttpResponse:
    return render(request, "onboarding/sent.html")


@require_safe
@never_cache
def status(request: HttpRequest, token: str) -> HttpResponse:
    """The applicant's view of their application: status and decision, nothing about anyone else."""
    found = actions.application_by_token(token)
    if found is None:
        raise Http404
    context = {
        "application": found,
        "services": [EService(s).label for s in found.services],
        "pending": found.decision == Decision.PENDING,
        "approved": found.decision == Decision.APPROVED,
    }
    return render(request, "onboarding/status.html", context)
