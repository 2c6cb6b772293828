"""Reviewer profiles: areas, countries, languages, capacity, affiliations and declared conflicts."""
