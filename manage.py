#!/usr/bin/env python
"""MigrateIQ's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "migrateiq.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv)
    if argv[1:] == ["version"]:
        # Django would print its own version; MigrateIQ's is what operators ask for.
        argv[1] = "migrateiq_version"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
