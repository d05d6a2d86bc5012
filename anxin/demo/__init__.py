"""Demo data for Anxin: static tables (``data``) and the seeding code (``builder``).

Not a Django app: nothing here has models. ``manage.py seed_demo`` and ``manage.py demo_logins``
(in ``anxin/core/management/commands``) are the entry points.
"""
