from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    name = "vardkontakt.onboarding"
    label = "onboarding"
