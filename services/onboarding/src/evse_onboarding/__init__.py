"""Onboarding service: applications, users, the EVSE registry and the onboarding flow."""
