"""The Flask side of Sello: one package per feature (views, forms, models, services, queries, policies)."""
