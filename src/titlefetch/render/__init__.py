"""Titles that JavaScript sets: pages opened in a headless Chromium (--render)."""
